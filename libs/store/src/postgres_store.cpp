#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "connection.h"
#include "store_metrics.h"
#include "engines.h"
#include "salesos/core/log.h"
#include "sql_text.h"

namespace salesos::store::internal {
namespace {

// Type OIDs from pg_type; they are fixed across releases and libpq ships no catalog header.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// Services run a fixed set of statements; the cap only guards against SQL built at run time.
constexpr size_t kMaxCachedStatements = 256;

struct PgResultDeleter {
  void operator()(PGresult* res) const { PQclear(res); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

struct PgSettings {
  std::string url;
  std::string schema;
  int pool_size;
  int timeout_ms;
};

std::string TrimNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

std::string_view ErrorField(const PGresult* res, int field) {
  const char* value = res != nullptr ? PQresultErrorField(res, field) : nullptr;
  return value != nullptr ? value : "";
}

// Class 08 is "connection exception"; 57P01..03 are the server shutting down or not yet up.
bool IsConnectionFailure(std::string_view sqlstate) {
  return sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

// Maps a failed command to the Store's error contract. Only the primary message is kept: the
// DETAIL of a unique violation quotes the duplicate value, which may be personal data.
Status PgError(PGconn* conn, const PGresult* res, std::string_view sql,
               std::string_view where = "") {
  const std::string_view sqlstate = ErrorField(res, PG_DIAG_SQLSTATE);
  std::string message(ErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
  if (message.empty()) {
    message = TrimNewlines(PQerrorMessage(conn));
  }
  if (message.empty() && PQresultStatus(res) == PGRES_EMPTY_QUERY) {
    message = "empty statement";
  }
  std::string text = "postgresql: " + message;
  if (!sqlstate.empty()) {
    text += " [SQLSTATE " + std::string(sqlstate) + "]";
  }
  text += where;
  if (!sql.empty()) {
    text += " (in: " + SqlSnippet(sql) + ")";
  }
  if (PQstatus(conn) != CONNECTION_OK || IsConnectionFailure(sqlstate)) {
    return CountedError("postgresql", Unavailable(std::move(text)));
  }
  if (sqlstate == "23505") {
    return CountedError("postgresql", AlreadyExists(std::move(text)));
  }
  return CountedError("postgresql", Internal(std::move(text)));
}

bool Succeeded(const PGresult* res) {
  const ExecStatusType status = PQresultStatus(res);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

void LogNotice(void* /*arg*/, const char* message) {
  // "relation already exists, skipping" and friends: useful when debugging, noise otherwise.
  log::Debug("postgresql notice", {{"notice", TrimNewlines(message)}});
}

Value ColumnValue(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) {
    return Null{};
  }
  const char* text = PQgetvalue(res, row, col);
  const std::string_view value(text, PQgetlength(res, row, col));
  switch (PQftype(res, col)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      int64_t i = 0;
      if (ParseInt64(value, &i)) {
        return i;
      }
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double d = 0;
      if (ParseDouble(value, &d)) {
        return d;
      }
      break;
    }
    case kBoolOid:
      return int64_t{value == "t" ? 1 : 0};
    case kByteaOid: {
      size_t size = 0;
      unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
      if (bytes != nullptr) {
        Blob blob{std::string(reinterpret_cast<const char*>(bytes), size)};
        PQfreemem(bytes);
        return blob;
      }
      break;
    }
    default:
      break;
  }
  return std::string(value);
}

Rows ToRows(const PGresult* res) {
  const int columns = PQnfields(res);
  auto column_names = std::make_shared<std::vector<std::string>>();
  column_names->reserve(columns);
  for (int c = 0; c < columns; ++c) {
    column_names->emplace_back(PQfname(res, c));
  }
  ColumnNames names = std::move(column_names);
  Rows rows;
  const int count = PQntuples(res);
  rows.reserve(count);
  for (int r = 0; r < count; ++r) {
    std::vector<Value> values;
    values.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      values.push_back(ColumnValue(res, r, c));
    }
    rows.emplace_back(names, std::move(values));
  }
  return rows;
}

struct PgStatement {
  std::string name;
  int param_count;
};

class PgConnection final : public Connection {
 public:
  PgConnection(PGconn* conn, const PgSettings& settings) : conn_(conn), settings_(settings) {}
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  static Result<std::unique_ptr<PgConnection>> Connect(const PgSettings& settings);

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    SALESOS_ASSIGN_OR_RETURN(PgResultPtr res, Run(sql, params));
    return ToRows(res.get());
  }

  Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    SALESOS_ASSIGN_OR_RETURN(PgResultPtr res, Run(sql, params));
    // PostgreSQL counts the rows a SELECT returned; Exec promises rows changed, as on SQLite.
    const std::string_view command = PQcmdStatus(res.get());
    if (PQresultStatus(res.get()) == PGRES_TUPLES_OK && command.substr(0, 6) == "SELECT") {
      return int64_t{0};
    }
    int64_t changed = 0;
    return ParseInt64(PQcmdTuples(res.get()), &changed) ? changed : 0;
  }

  Status RunScript(std::string_view script) override;

  Status Begin() override { return RunScript("BEGIN"); }

  Status Commit() override {
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
      // COMMIT would quietly roll back; the caller ignored a failed statement and must hear it.
      Rollback();
      return Internal("postgresql: a statement in the transaction failed, so it was rolled back");
    }
    PgResultPtr res(PQexec(conn_, "COMMIT"));
    if (!Succeeded(res.get())) {
      Status status = PgError(conn_, res.get(), "COMMIT");
      Rollback();
      return status;
    }
    if (std::string_view(PQcmdStatus(res.get())) == "ROLLBACK") {
      return Internal("postgresql: the server rolled the transaction back instead of committing");
    }
    return OkStatus();
  }

  void Rollback() override {
    if (!InTransaction()) {
      return;
    }
    PgResultPtr res(PQexec(conn_, "ROLLBACK"));
    if (!Succeeded(res.get())) {
      log::Warn("postgresql rollback failed",
                {{"error", PgError(conn_, res.get(), "ROLLBACK").message()}});
    }
  }

  bool InTransaction() const override {
    const PGTransactionStatusType status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
  }

  // A connection the server or network dropped is reset once; kUnavailable when that fails
  // (the pool keeps it and tries again on a later call).
  Status EnsureConnected() {
    if (PQstatus(conn_) == CONNECTION_OK) {
      return OkStatus();
    }
    log::Warn("resetting a broken postgresql connection");
    // Prepared statements live in the server session, which is gone.
    statements_.clear();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return Unavailable("postgresql: connection lost and could not be re-established: " +
                         TrimNewlines(PQerrorMessage(conn_)));
    }
    return UseSchema();
  }

  void TrimStatementCache() {
    if (statements_.size() <= kMaxCachedStatements) {
      return;
    }
    Status status = RunScript("DEALLOCATE ALL");
    if (!status.ok()) {
      log::Warn("postgresql could not drop cached statements", {{"error", status.message()}});
      return;
    }
    statements_.clear();
  }

 private:
  Status UseSchema() { return RunScript("SET search_path TO \"" + settings_.schema + "\""); }
  Result<const PgStatement*> Prepare(const std::string& sql);
  Result<PgResultPtr> Run(std::string_view sql, const Params& params);

  PGconn* conn_;
  const PgSettings& settings_;  // owned by the store, which outlives its connections
  // Keyed by SQL text; names are unique per session.
  std::unordered_map<std::string, PgStatement> statements_;
  uint64_t next_statement_id_ = 0;
};

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgSettings& settings) {
  // libpq counts whole seconds and treats anything below 2 as 2.
  const std::string timeout = std::to_string(std::max(2, (settings.timeout_ms + 999) / 1000));
  // Settings in the URL itself (a later, expanded dbname) override these defaults.
  const char* const keys[] = {"connect_timeout", "client_encoding", "dbname", nullptr};
  const char* const values[] = {timeout.c_str(), "UTF8", settings.url.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (raw == nullptr) {
    return Unavailable("postgresql: out of memory while connecting");
  }
  auto conn = std::make_unique<PgConnection>(raw, settings);
  if (PQstatus(raw) != CONNECTION_OK) {
    return Unavailable("postgresql: cannot connect: " + TrimNewlines(PQerrorMessage(raw)));
  }
  PQsetNoticeProcessor(raw, &LogNotice, nullptr);
  SALESOS_RETURN_IF_ERROR(conn->UseSchema());
  return conn;
}

Status PgConnection::RunScript(std::string_view script) {
  const std::string sql(script);
  PgResultPtr res(PQexec(conn_, sql.c_str()));
  if (Succeeded(res.get()) || PQresultStatus(res.get()) == PGRES_EMPTY_QUERY) {
    return OkStatus();
  }
  // For a script the whole text is no help; point at the line PostgreSQL complained about.
  size_t position = 0;
  std::string where;
  std::string_view shown = sql;
  int64_t character = 0;
  if (sql.find('\n') != std::string::npos &&
      ParseInt64(ErrorField(res.get(), PG_DIAG_STATEMENT_POSITION), &character) && character > 0) {
    position = ByteOffsetOfCharacter(sql, static_cast<size_t>(character));
    where = " at line " + std::to_string(LineAt(sql, position));
    const size_t line_start = sql.rfind('\n', position == 0 ? 0 : position - 1);
    const size_t from = line_start == std::string::npos ? 0 : line_start + 1;
    shown = std::string_view(sql).substr(from, sql.find('\n', position) - from);
  }
  return PgError(conn_, res.get(), shown, where);
}

Result<const PgStatement*> PgConnection::Prepare(const std::string& sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    return &it->second;
  }
  std::string name = "salesos_" + std::to_string(++next_statement_id_);
  PgResultPtr prepared(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr));
  if (!Succeeded(prepared.get())) {
    return PgError(conn_, prepared.get(), sql);
  }
  // The server inferred the parameter types; ask how many so a wrong count is a clear error
  // rather than a protocol violation.
  PgResultPtr described(PQdescribePrepared(conn_, name.c_str()));
  if (!Succeeded(described.get())) {
    return PgError(conn_, described.get(), sql);
  }
  const int param_count = PQnparams(described.get());
  auto [it, inserted] = statements_.emplace(sql, PgStatement{std::move(name), param_count});
  return &it->second;
}

Result<PgResultPtr> PgConnection::Run(std::string_view sql, const Params& params) {
  const std::string key(sql);
  SALESOS_ASSIGN_OR_RETURN(const PgStatement* stmt, Prepare(key));
  if (static_cast<size_t>(stmt->param_count) != params.size()) {
    return Internal("postgresql: statement takes " + std::to_string(stmt->param_count) +
                    " parameters, got " + std::to_string(params.size()) +
                    " (in: " + SqlSnippet(sql) + ")");
  }
  const size_t n = params.size();
  std::vector<std::string> numbers(n);
  std::vector<const char*> values(n, nullptr);
  std::vector<int> lengths(n, 0);
  std::vector<int> formats(n, 0);
  for (size_t i = 0; i < n; ++i) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          // Text format throughout, and the server converts to the type it inferred; blobs go
          // in binary so their bytes need no escaping.
          if constexpr (std::is_same_v<T, Null>) {
            values[i] = nullptr;
          } else if constexpr (std::is_same_v<T, int64_t>) {
            numbers[i] = std::to_string(v);
            values[i] = numbers[i].c_str();
          } else if constexpr (std::is_same_v<T, double>) {
            numbers[i] = FormatDouble(v);
            values[i] = numbers[i].c_str();
          } else if constexpr (std::is_same_v<T, std::string>) {
            values[i] = v.c_str();
          } else {
            values[i] = v.bytes.data();  // never null, so an empty blob is not NULL
            lengths[i] = static_cast<int>(v.bytes.size());
            formats[i] = 1;
          }
        },
        params[i]);
  }
  PgResultPtr res(PQexecPrepared(conn_, stmt->name.c_str(), static_cast<int>(n), values.data(),
                                 lengths.data(), formats.data(), /*resultFormat=*/0));
  if (Succeeded(res.get())) {
    return res;
  }
  Status status = PgError(conn_, res.get(), sql);
  if (ErrorField(res.get(), PG_DIAG_SQLSTATE) == "0A000") {
    // "cached plan must not change result type": a migration changed a table under a prepared
    // SELECT *. Forget it so the next call prepares afresh (the server copy is simply leaked).
    statements_.erase(key);
  }
  return status;
}

class PgPool;

// Exclusive use of one pooled connection; returns it to the pool when destroyed.
class PgLease {
 public:
  PgLease(PgPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
  PgLease(PgLease&&) = default;
  PgLease& operator=(PgLease&&) = delete;
  ~PgLease();

  PgConnection& conn() { return *conn_; }

 private:
  PgPool* pool_;
  std::unique_ptr<PgConnection> conn_;
};

// Up to pool_size connections, opened on demand; waiting for one is bounded by timeout_ms.
class PgPool {
 public:
  explicit PgPool(const PgSettings& settings) : settings_(settings) {}

  // The connection opened eagerly at start-up, so a bad URL fails OpenStore.
  void Add(std::unique_ptr<PgConnection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    ++open_;
    idle_.push_back(std::move(conn));
  }

  Result<PgLease> Acquire() {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(settings_.timeout_ms);
    std::unique_ptr<PgConnection> conn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_until(lock, deadline,
                          [&] { return !idle_.empty() || open_ < settings_.pool_size; })) {
        return Unavailable("postgresql: all " + std::to_string(settings_.pool_size) +
                           " connections stayed busy for " + std::to_string(settings_.timeout_ms) +
                           " ms (does an InTransaction callback use the Store instead of its "
                           "Executor?)");
      }
      if (!idle_.empty()) {
        // Most recently used first: it is the one most likely still alive and warm.
        conn = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;
      }
    }
    if (conn == nullptr) {
      auto connected = PgConnection::Connect(settings_);
      if (!connected.ok()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          --open_;
        }
        cv_.notify_one();
        return connected.status();
      }
      conn = std::move(connected).value();
    }
    PgLease lease(this, std::move(conn));
    SALESOS_RETURN_IF_ERROR(lease.conn().EnsureConnected());
    lease.conn().TrimStatementCache();
    return lease;
  }

  void Release(std::unique_ptr<PgConnection> conn) {
    // A transaction must not outlive the lease: the next holder is another caller. This happens
    // when InTransaction's fn throws or someone runs BEGIN through Exec.
    if (conn->InTransaction()) {
      log::Warn("postgresql connection released inside a transaction; rolling back");
      conn->Rollback();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

 private:
  const PgSettings& settings_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // idle plus leased plus being opened
};

PgLease::~PgLease() {
  if (conn_ != nullptr) {
    pool_->Release(std::move(conn_));
  }
}

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(PgSettings settings) : settings_(std::move(settings)), pool_(settings_) {}

  // Connects once and creates the schema, so bad settings fail at start-up.
  Status Open() {
    SALESOS_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(settings_));
    // IF NOT EXISTS still races when replicas start together; the loser's unique violation
    // means the schema is there.
    Status created = conn->RunScript("CREATE SCHEMA IF NOT EXISTS \"" + settings_.schema + "\"");
    if (!created.ok() && created.code() != Code::kAlreadyExists) {
      return created;
    }
    pool_.Add(std::move(conn));
    return OkStatus();
  }

  std::string_view Engine() const override { return "postgresql"; }

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    SALESOS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
    return lease.conn().Query(sql, params);
  }

  Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    SALESOS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
    return lease.conn().Exec(sql, params);
  }

  Status Migrate(const std::vector<Migration>& migrations) override {
    SALESOS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
    PgConnection& conn = lease.conn();
    // Session-level lock, held across the per-migration transactions; replicas starting together
    // wait here and then find the work done.
    SALESOS_RETURN_IF_ERROR(
        conn.Exec("SELECT pg_advisory_lock(hashtext($1))", {settings_.schema}).status());
    Status status = ApplyMigrations(conn, migrations, Engine());
    Result<int64_t> unlocked =
        conn.Exec("SELECT pg_advisory_unlock(hashtext($1))", {settings_.schema});
    if (!unlocked.ok()) {
      // The server drops session locks with the session, so a lost connection frees it anyway.
      log::Warn("postgresql could not release the migration lock",
                {{"error", unlocked.status().message()}});
    }
    return status;
  }

  Status InTransaction(const std::function<Status(Executor&)>& fn) override {
    SALESOS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
    return RunInTransaction(lease.conn(), fn, "postgresql");
  }

  Status Ping() override { return Query("SELECT 1", {}).status(); }

 private:
  PgSettings settings_;
  PgPool pool_;  // after settings_, which it refers to
};

}  // namespace

Result<StorePtr> OpenPostgresStore(const std::string& url, const StoreOptions& options) {
  // An empty schema means the database's default one, for tools that own no schema.
  const std::string schema = options.schema.empty() ? "public" : options.schema;
  if (!IsValidSchemaName(schema)) {
    return InvalidArgument("store schema \"" + schema +
                           "\" must match [a-z_][a-z0-9_]* and be at most 63 characters");
  }
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string message = parse_error != nullptr ? TrimNewlines(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return InvalidArgument("store url is not a valid PostgreSQL url: " + message);
  }
  PQconninfoFree(parsed);

  auto store = std::make_unique<PostgresStore>(
      PgSettings{url, schema, options.pool_size, options.timeout_ms});
  SALESOS_RETURN_IF_ERROR(store->Open());
  return StorePtr(std::move(store));
}

}  // namespace salesos::store::internal
