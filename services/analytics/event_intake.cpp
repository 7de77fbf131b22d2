#include "event_intake.h"

#include "salesos/core/log.h"

namespace salesos::analytics {

Status EventIntake::Handle(const redis::StreamEntry& entry) {
  auto fact = DecodeEntry(entry);
  if (!fact.ok()) {
    log::Warn("event not folded: it never can be",
              {{"entryId", entry.id}, {"error", fact.status().message()}});
    return OkStatus();
  }
  auto folded = store_.Fold(*fact);
  if (!folded.ok()) {
    return folded.status();
  }
  if (folded->applied && notifier_ != nullptr) {
    notifier_->Mark(fact->workspace_id, folded->metrics);
  }
  return OkStatus();
}

}  // namespace salesos::analytics
