#include "automation_store.h"

namespace salesos::conversation {
namespace {

constexpr char kAutomationColumns[] =
    "id, workspace_id, name, event, conditions, actions, is_active, priority, schedule_time, "
    "schedule_timezone, created_by, created_at, updated_at, execution_count, last_executed_at";

constexpr char kExecutionColumns[] =
    "id, workspace_id, automation_id, event_id, event, contact_id, conversation_id, status, "
    "result, error, execution_time_ms, depth, started_at, started_ms";

AutomationRow AutomationOf(const store::Row& r) {
  AutomationRow a;
  size_t i = 0;
  a.id = r.GetText(i++);
  a.workspace_id = r.GetText(i++);
  a.name = r.GetText(i++);
  a.event = r.GetText(i++);
  a.conditions = r.GetText(i++);
  a.actions = r.GetText(i++);
  a.is_active = r.GetBool(i++);
  a.priority = r.GetInt(i++);
  a.schedule_time = r.GetText(i++);
  a.schedule_timezone = r.GetText(i++);
  a.created_by = r.GetText(i++);
  a.created_at = r.GetText(i++);
  a.updated_at = r.GetText(i++);
  a.execution_count = r.GetInt(i++);
  a.last_executed_at = r.GetText(i++);
  return a;
}

ExecutionRow ExecutionOf(const store::Row& r) {
  ExecutionRow e;
  size_t i = 0;
  e.id = r.GetText(i++);
  e.workspace_id = r.GetText(i++);
  e.automation_id = r.GetText(i++);
  e.event_id = r.GetText(i++);
  e.event = r.GetText(i++);
  e.contact_id = r.GetText(i++);
  e.conversation_id = r.GetText(i++);
  e.status = r.GetText(i++);
  e.result = r.GetText(i++);
  e.error = r.GetText(i++);
  e.execution_time_ms = r.GetInt(i++);
  e.depth = r.GetInt(i++);
  e.started_at = r.GetText(i++);
  e.started_ms = r.GetInt(i++);
  return e;
}

Result<std::vector<AutomationRow>> Automations(store::Executor& db, const std::string& sql,
                                               const store::Params& params) {
  SALESOS_ASSIGN_OR_RETURN(auto rows, db.Query(sql, params));
  std::vector<AutomationRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(AutomationOf(r));
  }
  return out;
}

}  // namespace

Status AutomationStore::Create(const AutomationRow& a, int64_t max_per_workspace) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        auto count,
        tx.Query("SELECT COUNT(*) FROM automations WHERE workspace_id = $1", {a.workspace_id}));
    if (!count.empty() && count[0].GetInt(0) >= max_per_workspace) {
      return FailedPrecondition("a workspace has at most " + std::to_string(max_per_workspace) +
                                " automations; delete one first");
    }
    return tx
        .Exec(std::string("INSERT INTO automations (") + kAutomationColumns +
                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, '')",
              {a.id, a.workspace_id, a.name, a.event, a.conditions, a.actions,
               int64_t{a.is_active ? 1 : 0}, a.priority, a.schedule_time, a.schedule_timezone,
               a.created_by, a.created_at, a.updated_at})
        .status();
  });
}

Result<std::optional<AutomationRow>> AutomationStore::Get(const std::string& workspace_id,
                                                          const std::string& id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, Automations(db_,
                             std::string("SELECT ") + kAutomationColumns +
                                 " FROM automations WHERE workspace_id = $1 AND id = $2",
                             {workspace_id, id}));
  if (rows.empty()) {
    return std::optional<AutomationRow>();
  }
  return std::optional<AutomationRow>(std::move(rows.front()));
}

Result<bool> AutomationStore::Update(const AutomationRow& a) {
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n,
      db_.Exec("UPDATE automations SET name = $3, event = $4, conditions = $5, actions = $6, "
               "is_active = $7, priority = $8, schedule_time = $9, schedule_timezone = $10, "
               "updated_at = $11 WHERE workspace_id = $1 AND id = $2",
               {a.workspace_id, a.id, a.name, a.event, a.conditions, a.actions,
                int64_t{a.is_active ? 1 : 0}, a.priority, a.schedule_time, a.schedule_timezone,
                a.updated_at}));
  return n > 0;
}

Result<bool> AutomationStore::Delete(const std::string& workspace_id, const std::string& id) {
  bool removed = false;
  SALESOS_RETURN_IF_ERROR(db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n,
        tx.Exec("DELETE FROM automations WHERE workspace_id = $1 AND id = $2", {workspace_id, id}));
    removed = n > 0;
    if (!removed) {
      return OkStatus();
    }
    SALESOS_RETURN_IF_ERROR(tx.Exec("DELETE FROM automation_executions WHERE workspace_id = $1 "
                                    "AND automation_id = $2",
                                    {workspace_id, id})
                                .status());
    return tx
        .Exec("DELETE FROM automation_schedule_runs WHERE workspace_id = $1 AND automation_id = $2",
              {workspace_id, id})
        .status();
  }));
  return removed;
}

Result<std::vector<AutomationRow>> AutomationStore::List(const std::string& workspace_id,
                                                         const std::string& event,
                                                         const std::string& after_id,
                                                         int64_t limit) {
  return Automations(db_,
                     std::string("SELECT ") + kAutomationColumns +
                         " FROM automations WHERE workspace_id = $1 AND ($2 = '' OR event = $2) "
                         "AND id > $3 ORDER BY id LIMIT $4",
                     {workspace_id, event, after_id, limit});
}

Result<std::vector<AutomationRow>> AutomationStore::Active(const std::string& workspace_id,
                                                           const std::string& event) {
  return Automations(db_,
                     std::string("SELECT ") + kAutomationColumns +
                         " FROM automations WHERE workspace_id = $1 AND event = $2 AND "
                         "is_active = 1 ORDER BY priority DESC, id",
                     {workspace_id, event});
}

Result<std::vector<AutomationRow>> AutomationStore::ActiveDaily() {
  return Automations(db_,
                     std::string("SELECT ") + kAutomationColumns +
                         " FROM automations WHERE event = 'schedule.daily' AND is_active = 1 "
                         "ORDER BY workspace_id, priority DESC, id",
                     {});
}

Result<bool> AutomationStore::ClaimExecution(const ExecutionRow& e) {
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n,
      db_.Exec(std::string("INSERT INTO automation_executions (") + kExecutionColumns +
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
                   "ON CONFLICT (automation_id, event_id, contact_id) DO NOTHING",
               {e.id, e.workspace_id, e.automation_id, e.event_id, e.event, e.contact_id,
                e.conversation_id, e.status, e.result, e.error, e.execution_time_ms, e.depth,
                e.started_at, e.started_ms}));
  return n > 0;
}

Status AutomationStore::FinishExecution(const ExecutionRow& e) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_RETURN_IF_ERROR(
        tx.Exec("UPDATE automation_executions SET status = $3, result = $4, error = $5, "
                "execution_time_ms = $6 WHERE workspace_id = $1 AND id = $2",
                {e.workspace_id, e.id, e.status, e.result, e.error, e.execution_time_ms})
            .status());
    return tx
        .Exec("UPDATE automations SET execution_count = execution_count + 1, "
              "last_executed_at = $3 WHERE workspace_id = $1 AND id = $2",
              {e.workspace_id, e.automation_id, e.started_at})
        .status();
  });
}

Result<std::vector<ExecutionRow>> AutomationStore::ListExecutions(
    const std::string& workspace_id, const std::string& automation_id, const std::string& status,
    const std::string& before_id, int64_t limit) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kExecutionColumns +
                    " FROM automation_executions WHERE workspace_id = $1 AND automation_id = $2 "
                    "AND ($3 = '' OR status = $3) AND ($4 = '' OR id < $4) "
                    "ORDER BY id DESC LIMIT $5",
                {workspace_id, automation_id, status, before_id, limit}));
  std::vector<ExecutionRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(ExecutionOf(r));
  }
  return out;
}

Result<int64_t> AutomationStore::PruneExecutions(int64_t before_ms) {
  return db_.Exec("DELETE FROM automation_executions WHERE started_ms < $1", {before_ms});
}

Result<std::string> AutomationStore::LastScheduledDate(const std::string& automation_id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT last_local_date FROM automation_schedule_runs WHERE "
                           "automation_id = $1",
                           {automation_id}));
  return rows.empty() ? std::string() : rows[0].GetText(0);
}

Status AutomationStore::MarkScheduled(const std::string& workspace_id,
                                      const std::string& automation_id,
                                      const std::string& local_date, const std::string& now) {
  return db_
      .Exec("INSERT INTO automation_schedule_runs (automation_id, workspace_id, last_local_date, "
            "ran_at) VALUES ($1, $2, $3, $4) ON CONFLICT (automation_id) DO UPDATE SET "
            "last_local_date = excluded.last_local_date, ran_at = excluded.ran_at",
            {automation_id, workspace_id, local_date, now})
      .status();
}

}  // namespace salesos::conversation
