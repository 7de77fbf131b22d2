#pragma once

// EventIntake: the handler of analytics' salesos:events consumer. Decodes each entry, folds it
// into the rollups (AnalyticsStore::Fold, idempotent) and tells the UpdateNotifier which metrics
// of which workspace changed. An entry that can never be folded (not an EventEnvelope, a payload
// that does not parse) is logged and acknowledged; a store failure is returned, so the consumer
// retries the entry.

#include "analytics_store.h"
#include "salesos/core/status.h"
#include "salesos/redis/redis.h"
#include "update_notifier.h"

namespace salesos::analytics {

class EventIntake {
 public:
  // `notifier` may be null (tests, tools).
  EventIntake(AnalyticsStore& store, UpdateNotifier* notifier)
      : store_(store), notifier_(notifier) {}

  Status Handle(const redis::StreamEntry& entry);

 private:
  AnalyticsStore& store_;
  UpdateNotifier* notifier_;
};

}  // namespace salesos::analytics
