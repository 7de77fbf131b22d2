#pragma once

// What both engines' connections offer beyond Executor, so transactions and migrations are
// written once. A Connection is used by one thread at a time: the store hands it out exclusively.

#include <functional>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::store::internal {

class Connection : public Executor {
 public:
  // Runs parameterless SQL that may hold several statements (migrations, pragmas). Errors name
  // the line when the script has more than one.
  virtual Status RunScript(std::string_view sql) = 0;
  virtual Status Begin() = 0;
  // Rolls back by itself when the transaction cannot be committed.
  virtual Status Commit() = 0;
  // Best effort and logged; a no-op outside a transaction.
  virtual void Rollback() = 0;
  virtual bool InTransaction() const = 0;
};

// Store::InTransaction on one connection. If fn throws, the transaction is left open for the
// caller's connection lease to roll back.
// `engine` ("sqlite" | "postgresql") labels the outcome in salesos_store_transactions_total.
Status RunInTransaction(Connection& conn, const std::function<Status(Executor&)>& fn,
                        std::string_view engine);

// Store::Migrate on one connection: each pending migration in its own transaction, re-checked
// inside it so two processes migrating at once apply each version once.
Status ApplyMigrations(Connection& conn, const std::vector<Migration>& migrations,
                       std::string_view engine);

}  // namespace salesos::store::internal
