#include "connection.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "salesos/core/log.h"
#include "store_metrics.h"
#include "salesos/core/time.h"

namespace salesos::store::internal {
namespace {

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

std::string Describe(const Migration& m) {
  return "migration " + std::to_string(m.version) + " (" + m.name + ")";
}

// The migrations not yet applied, in version order.
Result<std::vector<const Migration*>> Pending(const std::vector<Migration>& migrations,
                                              const std::map<int64_t, std::string>& applied,
                                              std::string_view engine) {
  std::vector<const Migration*> sorted;
  sorted.reserve(migrations.size());
  for (const Migration& m : migrations) {
    sorted.push_back(&m);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const Migration* a, const Migration* b) { return a->version < b->version; });

  std::set<int64_t> known;
  std::vector<const Migration*> pending;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const Migration& m = *sorted[i];
    if (m.version < 1) {
      return InvalidArgument(Describe(m) + ": versions start at 1");
    }
    if (i > 0 && sorted[i - 1]->version == m.version) {
      return InvalidArgument(Describe(m) + ": version also used by " + Describe(*sorted[i - 1]));
    }
    known.insert(m.version);
    auto it = applied.find(m.version);
    if (it == applied.end()) {
      pending.push_back(&m);
    } else if (it->second != m.name) {
      // Renaming a migration file is harmless, but it can also mean two branches picked the
      // same number; say so rather than silently skip.
      log::Warn(
          "applied migration has another name",
          {{"engine", engine}, {"version", m.version}, {"applied", it->second}, {"given", m.name}});
    }
  }
  for (const auto& [version, name] : applied) {
    if (!known.count(version)) {
      log::Warn("database has a migration this binary does not know",
                {{"engine", engine}, {"version", version}, {"name", name}});
    }
  }
  return pending;
}

}  // namespace

Status RunInTransaction(Connection& conn, const std::function<Status(Executor&)>& fn,
                        std::string_view engine) {
  Status begun = conn.Begin();
  if (!begun.ok()) {
    CountTransaction(engine, begun, false);
    return begun;
  }
  Status status = fn(conn);
  if (!status.ok()) {
    conn.Rollback();
    CountTransaction(engine, status, true);
    return status;
  }
  Status committed = conn.Commit();
  CountTransaction(engine, committed, false);
  return committed;
}

Status ApplyMigrations(Connection& conn, const std::vector<Migration>& migrations,
                       std::string_view engine) {
  SALESOS_RETURN_IF_ERROR(conn.RunScript(kCreateMigrationsTable));
  SALESOS_ASSIGN_OR_RETURN(Rows rows, conn.Query("SELECT version, name FROM schema_migrations"));
  std::map<int64_t, std::string> applied;
  for (const Row& row : rows) {
    applied[row.GetInt(0)] = row.GetText(1);
  }
  SALESOS_ASSIGN_OR_RETURN(std::vector<const Migration*> pending,
                           Pending(migrations, applied, engine));

  for (const Migration* m : pending) {
    bool applied_here = false;
    Status status = RunInTransaction(conn, [&](Executor& tx) -> Status {
      // Another process may have applied it since the list was read; inside the transaction
      // (BEGIN IMMEDIATE on SQLite, the advisory lock on PostgreSQL) the answer is final.
      SALESOS_ASSIGN_OR_RETURN(Rows done,
                               tx.Query("SELECT version FROM schema_migrations WHERE version = $1",
                                        {int64_t{m->version}}));
      if (!done.empty()) {
        return OkStatus();
      }
      SALESOS_RETURN_IF_ERROR(conn.RunScript(m->sql));
      SALESOS_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                  {int64_t{m->version}, m->name, FormatRfc3339Millis(NowUnixMillis())})
              .status());
      applied_here = true;
      return OkStatus();
    }, engine);
    if (!status.ok()) {
      return {status.code(), Describe(*m) + " failed: " + status.message()};
    }
    if (applied_here) {
      log::Info("applied migration",
                {{"engine", engine}, {"version", m->version}, {"name", m->name}});
    }
  }
  return OkStatus();
}

}  // namespace salesos::store::internal
