#pragma once

// EventPublisher: writes domain events to the Redis stream salesos:events (DESIGN §1) as
// EventEnvelope records, and, for screens, to the pub/sub channel salesos:rt:{workspace}.
// The stream entry has the fields "id", "type", "workspace" and "envelope" (the serialized
// salesos.events.v1.EventEnvelope); consumers dedupe on id. Thread-safe.

#include <google/protobuf/message_lite.h>

#include <string>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"

namespace salesos::rpc {

inline constexpr char kEventsStream[] = "salesos:events";
// Streams are trimmed (approximately) to this many entries; consumers keep up long before.
inline constexpr int64_t kEventsStreamMaxLen = 1'000'000;

class EventPublisher {
 public:
  EventPublisher(redis::ClientPtr redis, std::string source);

  // Appends the event to salesos:events; kUnavailable when Redis cannot take it. Returns the
  // event id (UUIDv7).
  Result<std::string> Publish(const std::string& type, const std::string& workspace_id,
                              const google::protobuf::MessageLite& payload);

 private:
  redis::ClientPtr redis_;
  std::string source_;
};

}  // namespace salesos::rpc
