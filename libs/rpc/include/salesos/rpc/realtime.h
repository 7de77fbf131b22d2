#pragma once

// Realtime: the screens' feed (DESIGN §1). A service that changed something a dashboard shows
// calls PublishRealtime; the gateway's /ws hub relays it to that workspace's WebSockets.
//
// One event is the JSON object {id, type, workspaceId, conversationId, data, ts}:
//   id    the entry id in the workspace's capped log (Redis stream ids, "1732190000000-0"),
//         increasing, so a client that reconnects with ?since=<id> gets everything after it;
//   type  "message.created" | "message.updated" | "conversation.created" |
//         "conversation.updated" (screens ignore types they do not know);
//   data  the changed resource as the REST API shows it (lowerCamelCase JSON);
//   ts    RFC 3339 UTC with milliseconds, when it was published.
// PublishRealtime appends the event to salesos:rtlog:{workspace} (trimmed to about
// kRealtimeLogMaxLen entries, expiring kRealtimeLogTtlMs after the last event) and PUBLISHes the
// same text on salesos:rt:{workspace}, both in one Lua script, so what a live client sees and what
// a reconnecting one replays are the same events with the same ids. Pub/sub is at-most-once; the
// log is for catching up, not for durability (that is the database's job).

#include <cstdint>
#include <string>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"

namespace salesos::rpc {

inline constexpr char kRealtimeChannelPrefix[] = "salesos:rt:";
inline constexpr char kRealtimeLogPrefix[] = "salesos:rtlog:";
inline constexpr int64_t kRealtimeLogMaxLen = 1000;
inline constexpr int64_t kRealtimeLogTtlMs = 24LL * 3600 * 1000;

struct RealtimeEvent {
  std::string type;
  std::string workspace_id;
  std::string conversation_id;
  std::string data_json;  // a JSON object's text; "{}" when empty
};

std::string RealtimeChannel(const std::string& workspace_id);
std::string RealtimeLogKey(const std::string& workspace_id);

// Logs and publishes the event; its id. kUnavailable when Redis cannot take it (callers log it and
// carry on: a screen missing an event refetches, the stored change is not undone).
Result<std::string> PublishRealtime(redis::Client& redis, const RealtimeEvent& event);

struct RealtimeReplay {
  std::vector<std::string> events;  // the events' JSON texts after `since`, oldest first
  // The log no longer reaches back to `since` (trimmed or expired), so events may be missing:
  // the client should refetch what it shows.
  bool gap = false;
};

// The workspace's logged events after `since` (an id from an event), at most `limit`.
// InvalidArgument for a `since` that is not a stream id.
Result<RealtimeReplay> RealtimeSince(redis::Client& redis, const std::string& workspace_id,
                                     const std::string& since, int64_t limit = kRealtimeLogMaxLen);

// Whether `id` has the shape of a log id ("<ms>-<seq>", digits).
bool IsRealtimeId(const std::string& id);

}  // namespace salesos::rpc
