#include "realtime_hub.h"

#include <boost/beast/http/rfc7230.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <vector>

#include "router.h"

namespace salesos::gateway {
namespace {

// The subprotocol that carries the access token: `Sec-WebSocket-Protocol: bearer, <token>`.
constexpr std::string_view kBearerSubprotocol = "bearer";

// The subprotocols offered, in order, over every Sec-WebSocket-Protocol line (a token list: a
// JWT's characters are all token characters).
std::vector<std::string_view> OfferedSubprotocols(const Request& req) {
  std::vector<std::string_view> offered;
  auto [begin, end] = req.equal_range(http::field::sec_websocket_protocol);
  for (auto it = begin; it != end; ++it) {
    for (std::string_view item : http::token_list(it->value())) {
      offered.push_back(item);
    }
  }
  return offered;
}

std::optional<uint64_t> ParseDigits(std::string_view digits) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

Result<RealtimeHandshake> ReadRealtimeHandshake(const Request& req) {
  RealtimeHandshake out;
  std::string query_token;
  std::string_view target = req.target();
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    SALESOS_ASSIGN_OR_RETURN(QueryParams params, DecodeQuery(target.substr(q + 1)));
    for (auto& [name, value] : params) {
      if (name == "access_token" && query_token.empty()) {
        query_token = std::move(value);
      } else if (name == "since" && !out.since) {
        out.since = std::move(value);
      }
    }
  }
  std::vector<std::string_view> offered = OfferedSubprotocols(req);
  for (size_t i = 0; i < offered.size(); ++i) {
    if (offered[i] == kBearerSubprotocol) {
      out.bearer_subprotocol = true;
      if (i + 1 < offered.size()) {
        out.token = std::string(offered[i + 1]);
      }
      break;
    }
  }
  if (out.token.empty()) {
    out.token = std::move(query_token);
  }
  if (out.token.empty()) {
    if (auto it = req.find(http::field::authorization); it != req.end()) {
      out.token = std::string(rpc::BearerToken(it->value()));
    }
  }
  return out;
}

std::optional<std::pair<uint64_t, uint64_t>> ParseRealtimeId(std::string_view id) {
  size_t dash = id.find('-');
  if (dash == std::string_view::npos) {
    return std::nullopt;
  }
  auto ms = ParseDigits(id.substr(0, dash));
  auto seq = ParseDigits(id.substr(dash + 1));
  if (!ms || !seq) {
    return std::nullopt;
  }
  return std::pair{*ms, *seq};
}

bool CoveredBy(std::string_view id, std::string_view watermark) {
  auto event = ParseRealtimeId(id);
  auto mark = ParseRealtimeId(watermark);
  return event && mark && *event <= *mark;
}

std::string EventIdOf(std::string_view text) {
  // PublishRealtime writes the id first; anything else is read as JSON.
  constexpr std::string_view kPrefix = "{\"id\":\"";
  if (text.starts_with(kPrefix)) {
    size_t end = text.find('"', kPrefix.size());
    if (end != std::string_view::npos) {
      return std::string(text.substr(kPrefix.size(), end - kPrefix.size()));
    }
  }
  boost::system::error_code ec;
  boost::json::value event = boost::json::parse(text, ec);
  if (ec || !event.is_object()) {
    return "";
  }
  const boost::json::value* id = event.as_object().if_contains("id");
  return id != nullptr && id->is_string() ? std::string(id->as_string()) : "";
}

std::string_view WorkspaceOfChannel(std::string_view channel) {
  std::string_view prefix = rpc::kRealtimeChannelPrefix;
  return channel.starts_with(prefix) ? channel.substr(prefix.size()) : std::string_view();
}

void FitReplay(rpc::RealtimeReplay* replay, const SendQueueLimits& limits) {
  size_t bytes = 0;
  for (const auto& event : replay->events) {
    bytes += event.size();
  }
  if (replay->events.size() > ReplayLimit(limits) || bytes > limits.max_bytes / 2) {
    replay->events.clear();
    replay->gap = true;
  }
}

size_t ReplayLimit(const SendQueueLimits& limits) {
  return std::min<size_t>(static_cast<size_t>(rpc::kRealtimeLogMaxLen), limits.max_frames / 2);
}

RealtimeHub::RealtimeHub(RealtimeOptions options, rpc::TokenVerifierPtr verifier,
                         redis::ClientPtr redis)
    : options_(options), verifier_(std::move(verifier)), redis_(std::move(redis)), replays_(2) {}

RealtimeHub::~RealtimeHub() { replays_.Shutdown(); }

void RealtimeHub::Shutdown() { replays_.Shutdown(); }

Result<RealtimeAdmission> RealtimeHub::Admit(const Request& req) const {
  SALESOS_ASSIGN_OR_RETURN(RealtimeHandshake handshake, ReadRealtimeHandshake(req));
  if (handshake.token.empty()) {
    return Unauthenticated(
        "missing access token: offer the subprotocols \"bearer, <accessToken>\" "
        "(Sec-WebSocket-Protocol) or add ?access_token=<accessToken>");
  }
  SALESOS_ASSIGN_OR_RETURN(rpc::Caller caller, verifier_->Verify(handshake.token));
  if (caller.is_service() || caller.token_type != "access") {
    return PermissionDenied("/ws needs a user's access token");
  }
  if (caller.workspace_id.empty()) {
    return PermissionDenied("this token is of no workspace; sign in to a workspace first");
  }
  if (handshake.since && !ParseRealtimeId(*handshake.since)) {
    return FieldError("since", "must be the id of an event (\"<ms>-<seq>\")");
  }
  RealtimeAdmission admission;
  admission.caller = std::move(caller);
  admission.token = std::move(handshake.token);
  admission.since = std::move(handshake.since);
  admission.bearer_subprotocol = handshake.bearer_subprotocol;
  return admission;
}

Status RealtimeHub::Reverify(std::string_view token) const {
  return verifier_->Verify(token).status();
}

Result<uint64_t> RealtimeHub::Join(const std::string& workspace_id,
                                   std::weak_ptr<RealtimeSink> sink) {
  std::lock_guard lock(mu_);
  if (total_ >= options_.max_connections) {
    return Unavailable("this gateway holds its most WebSockets (" +
                       std::to_string(options_.max_connections) + "); try again later")
        .WithRetryAfter(5);
  }
  auto& sessions = workspaces_[workspace_id];
  if (sessions.size() >= options_.max_per_workspace) {
    return ResourceExhausted("this workspace has " + std::to_string(sessions.size()) +
                             " live connections, the most allowed; close one first");
  }
  uint64_t id = next_id_++;
  sessions.emplace(id, std::move(sink));
  ++total_;
  return id;
}

void RealtimeHub::Leave(const std::string& workspace_id, uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = workspaces_.find(workspace_id);
  if (it == workspaces_.end()) {
    return;
  }
  total_ -= it->second.erase(id);
  if (it->second.empty()) {
    workspaces_.erase(it);
  }
}

void RealtimeHub::Dispatch(std::string_view channel, std::string_view text) {
  std::string_view workspace_id = WorkspaceOfChannel(channel);
  if (workspace_id.empty()) {
    return;
  }
  std::vector<std::shared_ptr<RealtimeSink>> sinks;
  {
    std::lock_guard lock(mu_);
    auto it = workspaces_.find(std::string(workspace_id));
    if (it == workspaces_.end()) {
      return;
    }
    sinks.reserve(it->second.size());
    for (const auto& [id, weak] : it->second) {
      if (auto sink = weak.lock()) {
        sinks.push_back(std::move(sink));
      }
    }
  }
  // One copy of the text, shared by every session's queue.
  auto frame =
      std::make_shared<const RealtimeFrame>(RealtimeFrame{std::string(text), EventIdOf(text)});
  for (const auto& sink : sinks) {
    sink->Deliver(frame);
  }
}

void RealtimeHub::GoAway() {
  std::vector<std::shared_ptr<RealtimeSink>> sinks;
  {
    std::lock_guard lock(mu_);
    for (const auto& [workspace_id, sessions] : workspaces_) {
      for (const auto& [id, weak] : sessions) {
        if (auto sink = weak.lock()) {
          sinks.push_back(std::move(sink));
        }
      }
    }
  }
  for (const auto& sink : sinks) {
    sink->GoAway();
  }
}

void RealtimeHub::Replay(std::string workspace_id, std::string since,
                         std::function<void(Result<rpc::RealtimeReplay>)> done) {
  replays_.Post([this, workspace_id = std::move(workspace_id), since = std::move(since),
                 done = std::move(done)] {
    // One more than fits: more than that is as good as a gap.
    SendQueueLimits limits = options_.send_queue;
    auto replay = rpc::RealtimeSince(*redis_, workspace_id, since,
                                     static_cast<int64_t>(ReplayLimit(limits)) + 1);
    if (replay.ok()) {
      FitReplay(&*replay, limits);
    }
    done(std::move(replay));
  });
}

size_t RealtimeHub::connections() const {
  std::lock_guard lock(mu_);
  return total_;
}

size_t RealtimeHub::connections(const std::string& workspace_id) const {
  std::lock_guard lock(mu_);
  auto it = workspaces_.find(workspace_id);
  return it == workspaces_.end() ? 0 : it->second.size();
}

}  // namespace salesos::gateway
