#pragma once

// AutomationStore: automations, their executions and the daily schedule's state
// (migrations/006_automations.sql) on libs/store, one code path for SQLite and PostgreSQL. Every
// query filters on the workspace id, so another workspace's row is simply not found. An execution
// is claimed (inserted as "running") before its actions run: the unique (automation, event,
// contact) index makes a redelivered event run an automation once. Thread-safe as the Store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

struct AutomationRow {
  std::string id, workspace_id, name, event;
  std::string conditions;        // SegmentRule as protobuf JSON; "" for none
  std::string actions = "[]";    // JSON array of AutomationAction (protobuf JSON)
  bool is_active = true;
  int64_t priority = 0;
  std::string schedule_time, schedule_timezone;
  std::string created_by, created_at, updated_at;
  int64_t execution_count = 0;
  std::string last_executed_at;
};

struct ExecutionRow {
  std::string id, workspace_id, automation_id, event_id, event, contact_id, conversation_id;
  std::string status;  // running | succeeded | failed | skipped
  std::string result, error;
  int64_t execution_time_ms = 0;
  int64_t depth = 0;
  std::string started_at;
  int64_t started_ms = 0;
};

class AutomationStore {
 public:
  explicit AutomationStore(store::Store& db) : db_(db) {}

  // FAILED_PRECONDITION when the workspace already has `max_per_workspace` automations.
  Status Create(const AutomationRow& a, int64_t max_per_workspace);
  Result<std::optional<AutomationRow>> Get(const std::string& workspace_id, const std::string& id);
  // Writes every field but the keys, created_*, and the execution counters; false when absent.
  Result<bool> Update(const AutomationRow& a);
  // Removes the automation, its executions and schedule state; false when it was not there.
  Result<bool> Delete(const std::string& workspace_id, const std::string& id);
  // Up to `limit` automations ordered by id, after `after_id`; `event` "" for any.
  Result<std::vector<AutomationRow>> List(const std::string& workspace_id, const std::string& event,
                                          const std::string& after_id, int64_t limit);
  // The workspace's active automations for `event`: higher priority first, then oldest.
  Result<std::vector<AutomationRow>> Active(const std::string& workspace_id,
                                            const std::string& event);
  // Every active schedule.daily automation, across workspaces.
  Result<std::vector<AutomationRow>> ActiveDaily();

  // Inserts `e` (status "running" or "skipped"); false when an execution of the same automation,
  // event and contact exists already (nothing is written).
  Result<bool> ClaimExecution(const ExecutionRow& e);
  // The execution's outcome, and the automation's counters moved on.
  Status FinishExecution(const ExecutionRow& e);
  // Up to `limit` executions of an automation, newest first, before `before_id` ("" from the
  // newest); `status` "" for any.
  Result<std::vector<ExecutionRow>> ListExecutions(const std::string& workspace_id,
                                                   const std::string& automation_id,
                                                   const std::string& status,
                                                   const std::string& before_id, int64_t limit);
  // Drops executions started before `before_ms`; how many.
  Result<int64_t> PruneExecutions(int64_t before_ms);

  // The local date a schedule.daily automation last ran for ("" never).
  Result<std::string> LastScheduledDate(const std::string& automation_id);
  Status MarkScheduled(const std::string& workspace_id, const std::string& automation_id,
                       const std::string& local_date, const std::string& now);

 private:
  store::Store& db_;
};

}  // namespace salesos::conversation
