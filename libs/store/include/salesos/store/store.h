#pragma once

// Store: one small SQL interface over SQLite (embedded default) and PostgreSQL (libpq).
//
// SQL is written once, portably, with $1..$n placeholders; every statement is prepared (and cached
// per connection), never built by concatenating values. Each service owns one store: a SQLite file
// of its own, or a PostgreSQL schema named after the service (search_path is set to it).
//
// Errors: a unique-constraint violation is kAlreadyExists (so callers can answer 409); a lost or
// refused connection is kUnavailable; anything else the engine rejects is kInternal with the
// engine's message for the log (callers never pass that message to clients).
//
// Thread-safety: a Store may be used from many threads at once. An Executor handed to an
// InTransaction callback belongs to that callback's thread only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "salesos/core/status.h"

namespace salesos::store {

// A numbered migration: applied once, in order, inside a transaction, recorded in
// schema_migrations(version, name, applied_at).
struct Migration {
  int version;
  std::string name;
  std::string sql;  // one or more statements separated by ';'
};

struct Null {};
struct Blob {
  std::string bytes;
};
// A bound parameter or a column value. Booleans are stored as integers 0/1.
using Value = std::variant<Null, int64_t, double, std::string, Blob>;
using Params = std::vector<Value>;

// Column names, shared by every row of one result.
using ColumnNames = std::shared_ptr<const std::vector<std::string>>;

class Row {
 public:
  Row() = default;
  Row(ColumnNames names, std::vector<Value> values);

  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const;
  int64_t GetInt(size_t i) const;          // 0 for NULL; numeric text is parsed
  double GetDouble(size_t i) const;        // 0 for NULL
  std::string GetText(size_t i) const;     // "" for NULL; numbers formatted
  std::string GetBlob(size_t i) const;     // raw bytes; "" for NULL
  bool GetBool(size_t i) const { return GetInt(i) != 0; }
  const Value& at(size_t i) const { return values_.at(i); }
  // Column index by name, or -1.
  int Index(std::string_view column) const;

 private:
  ColumnNames names_;
  std::vector<Value> values_;
};
using Rows = std::vector<Row>;

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs one statement and returns its rows (none for statements without a result).
  virtual Result<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
  // Runs one statement and returns the number of rows it changed.
  virtual Result<int64_t> Exec(std::string_view sql, const Params& params = {}) = 0;
};

class Store : public Executor {
 public:
  // "sqlite" or "postgresql".
  virtual std::string_view Engine() const = 0;
  // Applies the migrations not applied yet, in version order. On PostgreSQL it holds an advisory
  // lock for the schema meanwhile, so replicas starting together do not race.
  virtual Status Migrate(const std::vector<Migration>& migrations) = 0;
  // Runs fn in one transaction: committed when fn returns ok, rolled back otherwise (and on
  // any failure to commit). Returns fn's status or the commit's.
  virtual Status InTransaction(const std::function<Status(Executor&)>& fn) = 0;
  // Cheap liveness check (SELECT 1).
  virtual Status Ping() = 0;
};
using StorePtr = std::unique_ptr<Store>;

// Inserts many rows in as few statements as both engines take: `head` is
// "INSERT INTO t (a, b, c)", each row holds one value per column (every row as many), and `tail`
// ends each statement (" ON CONFLICT (a) DO NOTHING", or empty). A row count of the batch's size
// is what one prepared statement serves, so a long run of batches prepares at most two shapes.
// Returns the number of rows inserted; kInvalidArgument when rows differ in width.
Result<int64_t> InsertRows(Executor& tx, std::string_view head, const std::vector<Params>& rows,
                           std::string_view tail = {});

struct StoreOptions {
  // PostgreSQL: the schema this service owns (created when missing). SQLite: ignored.
  std::string schema;
  // PostgreSQL connections kept open. SQLite: ignored.
  int pool_size = 4;
  // SQLite busy timeout and PostgreSQL connect timeout.
  int timeout_ms = 5000;
};

// url: "sqlite:///absolute/path.db", "sqlite://relative/path.db", "sqlite::memory:",
// or "postgresql://user:pass@host:port/db" / "postgres://...". kInvalidArgument for anything else.
Result<StorePtr> OpenStore(std::string_view url, const StoreOptions& options);

}  // namespace salesos::store
