#include "salesos/rpc/realtime.h"

#include <boost/json.hpp>
#include <cstdlib>
#include <utility>

#include "salesos/core/log.h"
#include "salesos/core/time.h"

namespace salesos::rpc {
namespace {

// KEYS[1] the log, ARGV[1] its cap, ARGV[2] the event without its id, ARGV[3] the log's TTL,
// ARGV[4] the channel. The logged entry keeps the text without the id (the entry id is it); the
// published text is the same object with "id" first.
constexpr char kPublishScript[] = R"lua(
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], '{"id":"' .. id .. '",' .. string.sub(ARGV[2], 2))
return id
)lua";

// "<ms>-<seq>" as two numbers; false when it is not that.
bool ParseId(const std::string& id, std::pair<uint64_t, uint64_t>* out) {
  size_t dash = id.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == id.size() || dash > 20 ||
      id.size() - dash - 1 > 20) {
    return false;
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (i != dash && (id[i] < '0' || id[i] > '9')) {
      return false;
    }
  }
  out->first = std::strtoull(id.substr(0, dash).c_str(), nullptr, 10);
  out->second = std::strtoull(id.substr(dash + 1).c_str(), nullptr, 10);
  return true;
}

std::string WithId(const std::string& id, const std::string& body) {
  return "{\"id\":\"" + id + "\"," + body.substr(1);
}

}  // namespace

std::string RealtimeChannel(const std::string& workspace_id) {
  return kRealtimeChannelPrefix + workspace_id;
}

std::string RealtimeLogKey(const std::string& workspace_id) {
  return kRealtimeLogPrefix + workspace_id;
}

bool IsRealtimeId(const std::string& id) {
  std::pair<uint64_t, uint64_t> parsed;
  return ParseId(id, &parsed);
}

Result<std::string> PublishRealtime(redis::Client& redis, const RealtimeEvent& event) {
  boost::json::object body;
  body["type"] = event.type;
  body["workspaceId"] = event.workspace_id;
  body["conversationId"] = event.conversation_id;
  boost::system::error_code ec;
  boost::json::value data =
      boost::json::parse(event.data_json.empty() ? "{}" : event.data_json, ec);
  if (ec || !data.is_object()) {
    return InvalidArgument("realtime event data must be a JSON object");
  }
  body["data"] = std::move(data);
  body["ts"] = FormatRfc3339Millis(NowUnixMillis());
  auto reply = redis.Eval(kPublishScript, {RealtimeLogKey(event.workspace_id)},
                          {std::to_string(kRealtimeLogMaxLen), boost::json::serialize(body),
                           std::to_string(kRealtimeLogTtlMs), RealtimeChannel(event.workspace_id)});
  if (!reply.ok()) {
    log::Warn("realtime event not published",
              {{"type", event.type}, {"error", reply.status().message()}});
    return Unavailable("realtime event not published");
  }
  return reply->str;
}

Result<RealtimeReplay> RealtimeSince(redis::Client& redis, const std::string& workspace_id,
                                     const std::string& since, int64_t limit) {
  std::pair<uint64_t, uint64_t> since_id;
  if (!ParseId(since, &since_id)) {
    return FieldError("since", "must be the id of an event (\"<ms>-<seq>\")");
  }
  const std::string key = RealtimeLogKey(workspace_id);
  SALESOS_ASSIGN_OR_RETURN(auto entries, redis.Command({"XRANGE", key, "(" + since, "+", "COUNT",
                                                        std::to_string(limit)}));
  RealtimeReplay replay;
  for (const auto& e : entries.elements) {
    if (e.elements.size() != 2 || e.elements[1].elements.size() < 2) {
      continue;
    }
    replay.events.push_back(WithId(e.elements[0].str, e.elements[1].elements[1].str));
  }
  // A gap when the log does not reach back to `since`: it is gone (expired), or its oldest entry
  // is newer than `since` and entries were trimmed from it.
  SALESOS_ASSIGN_OR_RETURN(auto first, redis.Command({"XRANGE", key, "-", "+", "COUNT", "1"}));
  if (first.elements.empty()) {
    replay.gap = true;
    return replay;
  }
  std::pair<uint64_t, uint64_t> oldest;
  if (!ParseId(first.elements[0].elements[0].str, &oldest) || oldest <= since_id) {
    return replay;
  }
  SALESOS_ASSIGN_OR_RETURN(auto info, redis.Command({"XINFO", "STREAM", key}));
  int64_t length = 0;
  int64_t added = 0;
  for (size_t i = 0; i + 1 < info.elements.size(); i += 2) {
    if (info.elements[i].str == "length") {
      length = info.elements[i + 1].integer;
    } else if (info.elements[i].str == "entries-added") {
      added = info.elements[i + 1].integer;
    }
  }
  replay.gap = added > length;
  return replay;
}

}  // namespace salesos::rpc
