#include "inbound_pipeline.h"

#include <map>
#include <utility>
#include <vector>

#include "meta_parser.h"
#include "meta_signature.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"

namespace salesos::webhook_ingest {
namespace {

// KEYS[1]: the stream; KEYS[1 + i]: item i's dedupe key. ARGV[1]: MAXLEN (approximate), ARGV[2]:
// the dedupe TTL in ms, then four per item: id, type, workspace, event. Appends each item whose
// dedupe key is absent and then sets the key; answers 1 (appended) or 0 (duplicate) per item.
// Redis runs a script alone and writes its effects to the AOF and replicas as one transaction.
constexpr char kAppendScript[] = R"lua(
local out = {}
for i = 2, #KEYS do
  local a = 3 + (i - 2) * 4
  if redis.call('EXISTS', KEYS[i]) == 1 then
    out[#out + 1] = 0
  else
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'id', ARGV[a], 'type', ARGV[a + 1],
               'workspace', ARGV[a + 2], 'event', ARGV[a + 3])
    redis.call('SET', KEYS[i], ARGV[a], 'PX', ARGV[2])
    out[#out + 1] = 1
  end
end
return out
)lua";

void Bump(std::atomic<int64_t>& counter, int64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

// Redis or auth failed us: the delivery is not stored, and Meta must try again.
Status Unreachable(const std::string& what, const Status& cause) {
  return Unavailable(what + ": " + cause.message()).WithRetryAfter(1);
}

}  // namespace

InboundPipeline::InboundPipeline(redis::ClientPtr redis, ChannelResolver& resolver,
                                 PipelineOptions options, const Clock& clock)
    : redis_(std::move(redis)), resolver_(resolver), options_(std::move(options)), clock_(clock) {}

Result<IngestCounts> InboundPipeline::Ingest(std::string_view body,
                                             std::string_view signature_header) {
  Bump(deliveries_);
  if (body.size() > kMaxBodyBytes) {
    Bump(refused_body_);
    log::Warn("webhook refused: body larger than 4 MiB", {{"bytes", body.size()}});
    return InvalidArgument("the webhook body is larger than 4 MiB");
  }
  Status sig = VerifySignature(body, signature_header, options_.app_secret);
  if (!sig.ok()) {
    Bump(refused_signature_);
    // A wrong secret fails every real delivery and gets the app unsubscribed within an hour: loud.
    log::Write(options_.app_secret.empty() ? log::Level::kError : log::Level::kWarn,
               "webhook refused",
               {{"reason", sig.message()},
                {"refusedTotal", refused_signature_.load()},
                {"bytes", body.size()}});
    return sig;
  }
  int64_t started = MonotonicMillis();
  auto counts = Process(body);
  if (!counts.ok()) {
    Bump(counts.status().code() == Code::kUnavailable ? unavailable_ : refused_body_);
    log::Warn("webhook not taken", {{"error", counts.status().message()}});
    return counts;
  }
  Bump(accepted_, counts->accepted);
  Bump(duplicates_, counts->duplicates);
  Bump(ignored_, counts->ignored);
  log::Info("webhook taken", {{"accepted", counts->accepted},
                              {"duplicates", counts->duplicates},
                              {"ignored", counts->ignored},
                              {"ms", MonotonicMillis() - started},
                              {"acceptedTotal", accepted_.load()},
                              {"ignoredTotal", ignored_.load()}});
  return counts;
}

Result<IngestCounts> InboundPipeline::Process(std::string_view body) {
  SALESOS_ASSIGN_OR_RETURN(ParsedWebhook parsed, ParseMetaWebhook(body));
  IngestCounts counts;
  counts.ignored = parsed.ignored_total();
  for (const auto& [reason, n] : parsed.ignored) {
    log::Info("webhook items ignored", {{"reason", reason}, {"count", n}});
  }

  // Route: one resolution per channel of the delivery.
  std::map<std::pair<std::string, std::string>, std::optional<ChannelRef>> channels;
  std::vector<v1::InboundEvent> routed;
  routed.reserve(parsed.events.size());
  int64_t received_at = clock_.NowMillis();
  for (v1::InboundEvent& ev : parsed.events) {
    auto key = std::make_pair(ev.platform(), ev.channel_external_id());
    auto it = channels.find(key);
    if (it == channels.end()) {
      auto resolved = resolver_.Resolve(key.first, key.second);
      if (!resolved.ok()) {
        return Unreachable("cannot resolve the channel", resolved.status());
      }
      it = channels.emplace(key, std::move(*resolved)).first;
      if (!it->second.has_value()) {
        log::Info("webhook for a channel no workspace has connected",
                  {{"platform", key.first}, {"channel", key.second}});
      }
    }
    if (!it->second.has_value()) {
      ++counts.ignored;
      Bump(unknown_channel_);
      continue;
    }
    ev.set_id(NewUuidV7());
    ev.set_workspace_id(it->second->workspace_id);
    ev.set_integration_id(it->second->integration_id);
    ev.set_received_at_ms(received_at);
    ev.set_traceparent(log::CurrentTraceparent());
    routed.push_back(std::move(ev));
  }

  // Append and mark, a chunk per script call.
  for (size_t begin = 0; begin < routed.size(); begin += options_.chunk) {
    size_t end = std::min(routed.size(), begin + static_cast<size_t>(options_.chunk));
    std::vector<std::string> keys = {options_.stream};
    std::vector<std::string> args = {std::to_string(options_.stream_max_len),
                                     std::to_string(options_.dedupe_ttl_ms)};
    for (size_t i = begin; i < end; ++i) {
      const v1::InboundEvent& ev = routed[i];
      keys.push_back(DedupeKey(ev));
      args.push_back(ev.id());
      args.push_back(ev.kind());
      args.push_back(ev.workspace_id());
      args.push_back(ev.SerializeAsString());
    }
    auto reply = redis_->Eval(kAppendScript, keys, args);
    if (!reply.ok()) {
      return Unreachable("cannot append to " + options_.stream, reply.status());
    }
    if (reply->type != redis::Reply::Type::kArray || reply->elements.size() != end - begin) {
      return Internal("unexpected reply of the append script");
    }
    for (const redis::Reply& r : reply->elements) {
      ++(r.integer == 1 ? counts.accepted : counts.duplicates);
    }
  }
  return counts;
}

PipelineTotals InboundPipeline::totals() const {
  return {deliveries_.load(),   accepted_.load(),        duplicates_.load(),
          ignored_.load(),      unknown_channel_.load(), refused_signature_.load(),
          refused_body_.load(), unavailable_.load()};
}

}  // namespace salesos::webhook_ingest
