#include "realtime_cursor.h"

#include "realtime_hub.h"

namespace salesos::gateway {

RealtimeCursor::RealtimeCursor(std::optional<std::string> since, SendQueueLimits hold)
    : watermark_(since.value_or("")), held_(hold) {}

bool RealtimeCursor::Live(RealtimeFramePtr frame) {
  if (live_) {
    return !CoveredBy(frame->id, watermark_);
  }
  if (!held_overflowed_ && !held_.Push(std::move(frame))) {
    held_overflowed_ = true;
    held_.Clear();
  }
  return false;
}

RealtimeCursor::CatchUpPlan RealtimeCursor::CatchUp(Result<rpc::RealtimeReplay> replay) {
  CatchUpPlan plan;
  plan.resync = !replay.ok() || replay->gap || held_overflowed_;
  if (replay.ok()) {
    for (auto& text : replay->events) {
      std::string id = EventIdOf(text);
      plan.frames.push_back(
          std::make_shared<const RealtimeFrame>(RealtimeFrame{std::move(text), id}));
      if (!id.empty()) {
        watermark_ = std::move(id);
      }
    }
  }
  for (; !held_.empty(); held_.Pop()) {
    if (!CoveredBy(held_.front()->id, watermark_)) {
      plan.frames.push_back(held_.front());
    }
  }
  live_ = true;
  return plan;
}

}  // namespace salesos::gateway
