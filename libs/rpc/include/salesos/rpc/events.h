#pragma once

// EventPublisher: writes domain events to the Redis stream salesos:events (DESIGN §1) as
// EventEnvelope records, and, for screens, to the pub/sub channel salesos:rt:{workspace}.
// The stream entry has the fields "id", "type", "workspace" and "envelope" (the serialized
// salesos.events.v1.EventEnvelope), and "traceparent" when the publishing thread has one in its
// log context (log::CurrentTraceparent: the call or stream entry being handled); the envelope's
// trace_id is that same traceparent. Consumers dedupe on id. Thread-safe.

#include <google/protobuf/message_lite.h>

#include <cstdint>
#include <string>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"

namespace salesos::rpc {

inline constexpr char kEventsStream[] = "salesos:events";
// Streams are trimmed (approximately) to this many entries; consumers keep up long before.
inline constexpr int64_t kEventsStreamMaxLen = 1'000'000;

// The automation an event is caused by. While an EventCause lives on a thread, every event that
// thread publishes carries its depth (EventEnvelope.automation_depth) and automation id
// (caused_by_automation_id), so code that publishes (a status change, a hand-off) needs no
// parameter for it. Scopes nest: the innermost wins, and the outer one is back when it ends.
// Without one, events have depth 0. Thread-local: each thread sees only its own scopes.
class EventCause {
 public:
  EventCause(int32_t depth, std::string automation_id);
  ~EventCause();
  EventCause(const EventCause&) = delete;
  EventCause& operator=(const EventCause&) = delete;

  // The innermost scope of this thread, or nullptr.
  static const EventCause* Current();
  int32_t depth() const { return depth_; }
  const std::string& automation_id() const { return automation_id_; }

 private:
  int32_t depth_;
  std::string automation_id_;
  const EventCause* outer_;
};

class EventPublisher {
 public:
  EventPublisher(redis::ClientPtr redis, std::string source);

  // Appends the event to salesos:events, with the depth and automation of the thread's EventCause;
  // kUnavailable when Redis cannot take it. Returns the event id (UUIDv7).
  Result<std::string> Publish(const std::string& type, const std::string& workspace_id,
                              const google::protobuf::MessageLite& payload);

 private:
  redis::ClientPtr redis_;
  std::string source_;
};

}  // namespace salesos::rpc
