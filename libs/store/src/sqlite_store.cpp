#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <variant>

#include "connection.h"
#include "store_metrics.h"
#include "engines.h"
#include "salesos/core/log.h"
#include "sql_text.h"

namespace salesos::store::internal {
namespace {

// Services run a fixed set of statements; the cap only guards against SQL built at run time.
constexpr size_t kMaxCachedStatements = 256;

// Maps an SQLite result code (extended codes are on) to the Store's error contract.
Status SqliteError(int rc, std::string_view message, std::string_view sql) {
  std::string text = "sqlite: " + std::string(message);
  if (!sql.empty()) {
    text += " (in: " + SqlSnippet(sql) + ")";
  }
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return CountedError("sqlite", AlreadyExists(std::move(text)));
  }
  // The file is locked by another process for longer than busy_timeout, or cannot be opened:
  // the database is not reachable right now, which callers may retry.
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_CANTOPEN) {
    return CountedError("sqlite", Unavailable(std::move(text)));
  }
  return CountedError("sqlite", Internal(std::move(text)));
}

int BindValue(sqlite3_stmt* stmt, int index, const Value& value) {
  return std::visit(
      [&](const auto& v) -> int {
        using T = std::decay_t<decltype(v)>;
        // SQLITE_STATIC: the caller's params outlive the statement's use, and Run clears the
        // bindings before returning.
        if constexpr (std::is_same_v<T, Null>) {
          return sqlite3_bind_null(stmt, index);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return sqlite3_bind_int64(stmt, index, v);
        } else if constexpr (std::is_same_v<T, double>) {
          return sqlite3_bind_double(stmt, index, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return sqlite3_bind_text64(stmt, index, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
        } else if (v.bytes.empty()) {
          // A zero-length blob bound from a null pointer would read back as NULL.
          return sqlite3_bind_zeroblob(stmt, index, 0);
        } else {
          return sqlite3_bind_blob64(stmt, index, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
        }
      },
      value);
}

Value ColumnValue(sqlite3_stmt* stmt, int col) {
  switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_INTEGER:
      return int64_t{sqlite3_column_int64(stmt, col)};
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, col);
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
      const int size = sqlite3_column_bytes(stmt, col);
      return text == nullptr ? std::string() : std::string(text, size);
    }
    case SQLITE_BLOB: {
      const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, col));
      const int size = sqlite3_column_bytes(stmt, col);
      return Blob{bytes == nullptr ? std::string() : std::string(bytes, size)};
    }
    default:
      return Null{};
  }
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    FinalizeStatements();
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    Rows rows;
    SALESOS_RETURN_IF_ERROR(Run(sql, params, &rows, nullptr));
    return rows;
  }

  Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    int64_t changed = 0;
    SALESOS_RETURN_IF_ERROR(Run(sql, params, nullptr, &changed));
    return changed;
  }

  Status RunScript(std::string_view script) override;

  Status Begin() override {
    // IMMEDIATE takes the write lock now, so a transaction never fails half-way with SQLITE_BUSY
    // on its first write (which a deferred one would, without waiting on busy_timeout).
    return Run("BEGIN IMMEDIATE", {}, nullptr, nullptr);
  }

  Status Commit() override {
    Status status = Run("COMMIT", {}, nullptr, nullptr);
    if (!status.ok()) {
      // A failed COMMIT (busy, deferred constraint) leaves the transaction open.
      Rollback();
    }
    return status;
  }

  void Rollback() override {
    // Some errors (I/O, full disk) roll back by themselves; ROLLBACK would then fail.
    if (!InTransaction()) {
      return;
    }
    Status status = Run("ROLLBACK", {}, nullptr, nullptr);
    if (!status.ok()) {
      log::Warn("sqlite rollback failed", {{"error", status.message()}});
    }
  }

  bool InTransaction() const override { return sqlite3_get_autocommit(db_) == 0; }

  void TrimStatementCache() {
    if (statements_.size() > kMaxCachedStatements) {
      FinalizeStatements();
    }
  }

 private:
  Result<sqlite3_stmt*> Prepare(std::string_view sql);
  Status Run(std::string_view sql, const Params& params, Rows* rows, int64_t* changed);

  void FinalizeStatements() {
    for (auto& [sql, stmt] : statements_) {
      sqlite3_finalize(stmt);
    }
    statements_.clear();
  }

  sqlite3* db_;
  // Keyed by the caller's SQL text (before placeholder rewriting).
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

Result<sqlite3_stmt*> SqliteConnection::Prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end()) {
    return it->second;
  }
  const std::string rewritten = RewritePlaceholdersForSqlite(sql);
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, rewritten.data(), static_cast<int>(rewritten.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) {
    return SqliteError(rc, sqlite3_errmsg(db_), sql);
  }
  if (stmt == nullptr) {
    return Internal("sqlite: empty statement");
  }
  const std::string_view rest(tail, rewritten.data() + rewritten.size() - tail);
  if (!OnlyTrivia(rest)) {
    sqlite3_finalize(stmt);
    // PostgreSQL refuses several statements in one prepared statement; refuse them here too so
    // the same code behaves the same on both engines.
    return Internal("sqlite: one statement per Query or Exec (in: " + SqlSnippet(sql) + ")");
  }
  statements_.emplace(std::move(key), stmt);
  return stmt;
}

Status SqliteConnection::Run(std::string_view sql, const Params& params, Rows* rows,
                             int64_t* changed) {
  SALESOS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
  // Reset on every way out, so the cached statement is ready for its next use and no longer
  // points into params.
  struct ResetOnExit {
    sqlite3_stmt* stmt;
    ~ResetOnExit() {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
  } reset{stmt};

  const int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<size_t>(expected) != params.size()) {
    return Internal("sqlite: statement takes " + std::to_string(expected) + " parameters, got " +
                    std::to_string(params.size()) + " (in: " + SqlSnippet(sql) + ")");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int rc = BindValue(stmt, static_cast<int>(i + 1), params[i]);
    if (rc != SQLITE_OK) {
      return SqliteError(rc, sqlite3_errmsg(db_), sql);
    }
  }

  const int64_t total_before = sqlite3_total_changes64(db_);
  ColumnNames names;
  while (true) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      return SqliteError(rc, sqlite3_errmsg(db_), sql);
    }
    if (rows == nullptr) {
      continue;
    }
    const int columns = sqlite3_column_count(stmt);
    if (names == nullptr) {
      auto column_names = std::make_shared<std::vector<std::string>>();
      for (int c = 0; c < columns; ++c) {
        const char* name = sqlite3_column_name(stmt, c);
        column_names->emplace_back(name == nullptr ? "" : name);
      }
      names = std::move(column_names);
    }
    std::vector<Value> values;
    values.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      values.push_back(ColumnValue(stmt, c));
    }
    rows->emplace_back(names, std::move(values));
  }
  if (changed != nullptr) {
    // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE, so a statement that
    // changed nothing (DDL, SELECT) would report a stale number without this check.
    *changed = sqlite3_total_changes64(db_) == total_before ? 0 : sqlite3_changes64(db_);
  }
  return OkStatus();
}

Status SqliteConnection::RunScript(std::string_view script) {
  const bool multiline = script.find('\n') != std::string_view::npos;
  const char* const begin = script.data();
  const char* const end = begin + script.size();
  const char* p = begin;
  while (p < end) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    // SQLite's own parser finds the statement boundaries, so ';' inside literals, comments and
    // trigger bodies (BEGIN ...; END) is handled as the engine sees it.
    int rc = sqlite3_prepare_v2(db_, p, static_cast<int>(end - p), &stmt, &tail);
    std::string_view statement(p, tail != nullptr ? tail - p : end - p);
    // The previous statement's tail starts right after its ';', so skip the line break that
    // follows before naming the line.
    const size_t lead = std::min(statement.find_first_not_of(" \t\r\n"), statement.size());
    statement.remove_prefix(lead);
    size_t error_at = p - begin + lead;
    if (rc == SQLITE_OK && stmt != nullptr) {
      do {
        rc = sqlite3_step(stmt);
      } while (rc == SQLITE_ROW);
      if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
      }
    } else if (rc != SQLITE_OK && sqlite3_error_offset(db_) >= 0) {
      error_at = p - begin + sqlite3_error_offset(db_);
    }
    Status status = OkStatus();
    if (rc != SQLITE_OK) {
      std::string message = sqlite3_errmsg(db_);
      if (multiline) {
        message += " at line " + std::to_string(LineAt(script, error_at));
      }
      status = SqliteError(rc, message, statement);
    }
    sqlite3_finalize(stmt);
    SALESOS_RETURN_IF_ERROR(status);
    if (tail == nullptr || tail <= p) {
      break;
    }
    p = tail;
  }
  return OkStatus();
}

class SqliteLease;

// The store's one connection, handed to one caller at a time with a bounded wait. A mutex and
// condition variable rather than a timed_mutex: both bound the wait, and this form is the one
// ThreadSanitizer understands (GCC 12's does not intercept pthread_mutex_clocklock).
class SqliteGate {
 public:
  SqliteGate(std::unique_ptr<SqliteConnection> conn, int timeout_ms)
      : conn_(std::move(conn)), timeout_(timeout_ms) {}

  Result<SqliteLease> Acquire();

  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      busy_ = false;
    }
    cv_.notify_one();
  }

  SqliteConnection& conn() { return *conn_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool busy_ = false;
  std::unique_ptr<SqliteConnection> conn_;
  const std::chrono::milliseconds timeout_;
};

// Exclusive use of the connection for a call, a transaction or a migration run.
class SqliteLease {
 public:
  explicit SqliteLease(SqliteGate* gate) : gate_(gate) {}
  SqliteLease(SqliteLease&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
  SqliteLease& operator=(SqliteLease&&) = delete;
  ~SqliteLease() {
    if (gate_ == nullptr) {
      return;
    }
    // A transaction must not outlive the lease: the next holder is another caller. This happens
    // when InTransaction's fn throws or someone runs BEGIN through Exec.
    if (gate_->conn().InTransaction()) {
      log::Warn("sqlite connection released inside a transaction; rolling back");
      gate_->conn().Rollback();
    }
    gate_->Release();
  }

  SqliteConnection& conn() { return gate_->conn(); }

 private:
  SqliteGate* gate_;
};

Result<SqliteLease> SqliteGate::Acquire() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout_, [&] { return !busy_; })) {
      return Unavailable("sqlite: the connection stayed busy for " +
                         std::to_string(timeout_.count()) +
                         " ms (does an InTransaction callback use the Store instead of its "
                         "Executor?)");
    }
    busy_ = true;
  }
  SqliteLease lease(this);
  conn_->TrimStatementCache();
  return lease;
}

// One connection: SQLite allows one writer at a time anyway, and a single connection makes
// ":memory:" databases and transactions behave like a file's.
// Checkpoints the WAL into the database file every kEveryMs from a connection and a thread of its
// own, so no commit pays for one: SQLite's automatic checkpoint (every 1,000 pages) runs inside
// whichever commit crosses the mark and syncs the file, tens of milliseconds a few times a second
// under a steady write load. A PASSIVE checkpoint never waits for the writer, which keeps
// appending to the WAL meanwhile; once everything is checkpointed the next commit starts the WAL
// over (and a RESTART makes sure it does when the WAL gets long).
class WalCheckpointer {
 public:
  // Each checkpoint syncs the database file, which stalls the writer's own writes for a moment
  // (the file system's journal): a few large ones cost the commits less than many small ones.
  static constexpr int kEveryMs = 2000;
  // A WAL this long (pages: 64 MiB at 4 KiB) is checkpointed with RESTART, which waits for the
  // writer and has the next commit write the WAL from its start.
  static constexpr int kRestartFrames = 16384;

  explicit WalCheckpointer(sqlite3* db) : db_(db), thread_([this] { Run(); }) {}
  ~WalCheckpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(kEveryMs), [this] { return stop_; })) {
      lock.unlock();
      int wal_frames = 0;
      int rc =
          sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_frames, nullptr);
      if (rc == SQLITE_OK && wal_frames > kRestartFrames) {
        // Writes never paused long enough for the WAL to start over: make them, once.
        rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
      }
      if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
        log::Warn("sqlite: WAL checkpoint failed", {{"error", sqlite3_errmsg(db_)}});
      }
      lock.lock();
    }
  }

  sqlite3* db_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<SqliteConnection> conn, int timeout_ms,
              std::unique_ptr<WalCheckpointer> checkpointer)
      : gate_(std::move(conn), timeout_ms), checkpointer_(std::move(checkpointer)) {}
  ~SqliteStore() override { checkpointer_.reset(); }  // before the main connection closes

  std::string_view Engine() const override { return "sqlite"; }

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    SALESOS_ASSIGN_OR_RETURN(SqliteLease lease, gate_.Acquire());
    return lease.conn().Query(sql, params);
  }

  Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    SALESOS_ASSIGN_OR_RETURN(SqliteLease lease, gate_.Acquire());
    return lease.conn().Exec(sql, params);
  }

  Status Migrate(const std::vector<Migration>& migrations) override {
    SALESOS_ASSIGN_OR_RETURN(SqliteLease lease, gate_.Acquire());
    return ApplyMigrations(lease.conn(), migrations, Engine());
  }

  Status InTransaction(const std::function<Status(Executor&)>& fn) override {
    SALESOS_ASSIGN_OR_RETURN(SqliteLease lease, gate_.Acquire());
    return RunInTransaction(lease.conn(), fn, "sqlite");
  }

  Status Ping() override { return Query("SELECT 1", {}).status(); }

 private:
  SqliteGate gate_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // file databases
};

}  // namespace

Result<StorePtr> OpenSqliteStore(const std::string& path, const StoreOptions& options) {
  if (path != ":memory:") {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::create_directories(parent, ec) && ec) {
      return Unavailable("sqlite: cannot create directory " + parent.string() + ": " +
                         ec.message());
    }
  }
  sqlite3* db = nullptr;
  // NOMUTEX: SqliteStore serialises all use of the connection itself.
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return SqliteError(rc, "cannot open " + path + ": " + message, "");
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.timeout_ms);
  auto conn = std::make_unique<SqliteConnection>(db);
  // WAL lets readers in other processes (backups, the sqlite3 shell) work while we write;
  // synchronous=NORMAL is durable across application crashes in WAL mode, fast enough for
  // per-request commits, and may lose only the last commits on power loss.
  SALESOS_RETURN_IF_ERROR(conn->RunScript(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON"));
  std::unique_ptr<WalCheckpointer> checkpointer;
  if (path != ":memory:") {
    sqlite3* second = nullptr;
    if (sqlite3_open_v2(path.c_str(), &second, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(second, options.timeout_ms);
      // A connection learns the file is in WAL mode when it first reads it; until then it would
      // not checkpoint at all.
      if (sqlite3_exec(second, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
        sqlite3_close_v2(second);
        return SqliteError(SQLITE_ERROR, "cannot open " + path + " for checkpoints", "");
      }
      SALESOS_RETURN_IF_ERROR(conn->RunScript("PRAGMA wal_autocheckpoint = 0"));
      checkpointer = std::make_unique<WalCheckpointer>(second);
    } else {
      sqlite3_close_v2(second);  // SQLite's own checkpoints, then
    }
  }
  return StorePtr(std::make_unique<SqliteStore>(std::move(conn), options.timeout_ms,
                                                std::move(checkpointer)));
}

}  // namespace salesos::store::internal
