#include "salesos/rpc/events.h"

#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"

namespace salesos::rpc {
namespace {

thread_local const EventCause* current_cause = nullptr;

}  // namespace

EventCause::EventCause(int32_t depth, std::string automation_id)
    : depth_(depth), automation_id_(std::move(automation_id)), outer_(current_cause) {
  current_cause = this;
}

EventCause::~EventCause() { current_cause = outer_; }

const EventCause* EventCause::Current() { return current_cause; }

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
  if (const EventCause* cause = EventCause::Current(); cause != nullptr) {
    envelope.set_automation_depth(cause->depth());
    envelope.set_caused_by_automation_id(cause->automation_id());
  }
  const std::string& traceparent = log::CurrentTraceparent();
  envelope.set_trace_id(traceparent);
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", envelope.id()},
      {"type", type},
      {"workspace", workspace_id},
      {"envelope", envelope.SerializeAsString()}};
  if (!traceparent.empty()) {
    // Readable without parsing the envelope: StreamConsumer handles the entry within this trace.
    fields.emplace_back("traceparent", traceparent);
  }
  auto id = redis_->XAdd(kEventsStream, fields, kEventsStreamMaxLen);
  if (!id.ok()) {
    log::Warn("cannot publish event", {{"type", type}, {"error", id.status().message()}});
    return Unavailable("cannot record the change right now; try again");
  }
  return envelope.id();
}

}  // namespace salesos::rpc
