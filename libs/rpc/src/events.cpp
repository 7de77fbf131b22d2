#include "salesos/rpc/events.h"

#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"

namespace salesos::rpc {

EventPublisher::EventPublisher(redis::ClientPtr redis, std::string source)
    : redis_(std::move(redis)), source_(std::move(source)) {}

Result<std::string> EventPublisher::Publish(const std::string& type,
                                            const std::string& workspace_id,
                                            const google::protobuf::MessageLite& payload) {
  events::v1::EventEnvelope envelope;
  envelope.set_id(NewUuidV7());
  envelope.set_type(type);
  envelope.set_workspace_id(workspace_id);
  envelope.set_occurred_at(FormatRfc3339Millis(NowUnixMillis()));
  envelope.set_source(source_);
  envelope.set_payload(payload.SerializeAsString());
  auto id = redis_->XAdd(kEventsStream,
                         {{"id", envelope.id()},
                          {"type", type},
                          {"workspace", workspace_id},
                          {"envelope", envelope.SerializeAsString()}},
                         kEventsStreamMaxLen);
  if (!id.ok()) {
    log::Warn("cannot publish event", {{"type", type}, {"error", id.status().message()}});
    return Unavailable("cannot record the change right now; try again");
  }
  return envelope.id();
}

}  // namespace salesos::rpc
