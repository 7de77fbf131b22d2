#pragma once

// What an automation is allowed to be (docs/automations.md), pure: no gRPC, no SQL. Validation
// answers INVALID_ARGUMENT naming the field at fault ("actions[2].tag", "conditions.conditions[0]
// .field", "schedule.time"); it also normalises (tags lower-cased, an empty zone is "UTC").
// Whether an assign_agent action's agent is a member is the service's check (it needs auth).

#include <cstdint>
#include <string>
#include <string_view>

#include "automation_store.h"
#include "salesos/conversation/v1/conversation.pb.h"
#include "salesos/core/status.h"
#include "salesos/segments/custom_fields.h"

namespace salesos::conversation {

inline constexpr int64_t kMaxAutomationsPerWorkspace = 200;
inline constexpr int kMaxAutomationActions = 20;
inline constexpr int kMaxAutomationPriority = 1000;
inline constexpr long kMaxAutomationTextChars = 4096;
// A chain of automations stops at this depth (EventEnvelope.automation_depth).
inline constexpr int32_t kMaxAutomationDepth = 3;
// A schedule.daily run reaches at most this many contacts.
inline constexpr int64_t kMaxDailyContacts = 10000;
// Executions are kept this long.
inline constexpr int64_t kExecutionRetentionMs = 30LL * 86'400'000;

// "message.received", "conversation.created", ...: whether `event` is a trigger.
bool IsAutomationEvent(std::string_view event);

// Checks and normalises `a` for create (or for the result of an update). `custom`: the
// workspace's declared custom fields. schedule.daily conditions are contact fields only (they run
// in SQL over the workspace's contacts); other events also take the conversation.*, message.* and
// event.* fields.
Status ValidateAutomation(v1::Automation* a, const segments::CustomFieldDecls& custom);

// The row to store and back. Conditions and actions travel as protobuf JSON.
Result<AutomationRow> RowOfAutomation(const v1::Automation& a);
Status FillAutomation(const AutomationRow& row, v1::Automation* out);
Status ActionsOf(const AutomationRow& row,
                 google::protobuf::RepeatedPtrField<v1::AutomationAction>* out);
// nullopt-like: false when the row has no conditions.
Result<bool> ConditionsOf(const AutomationRow& row, common::v1::SegmentRule* out);
void FillExecution(const ExecutionRow& row, v1::AutomationExecution* out);

// "HH:MM" → minutes after midnight, or -1.
int ScheduleMinutes(std::string_view hh_mm);

}  // namespace salesos::conversation

namespace salesos::conversation {

// The local date ("YYYY-MM-DD") and minute of the day at `now_ms` in the IANA zone `zone`.
struct LocalMoment {
  std::string date;
  int minute = 0;
};
Result<LocalMoment> LocalMomentIn(std::string_view zone, int64_t now_ms);

}  // namespace salesos::conversation
