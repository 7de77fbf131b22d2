// One suite, run against both engines: every check below is registered twice, as
// "sqlite store: ..." and "postgresql store: ...", so services can rely on identical behaviour.

#include <atomic>
#include <catch2/catch.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "salesos/store/store.h"
#include "support/databases.h"  // Unwrap, REQUIRE_OK
#include "support/postgres.h"
#include "support/temp_dir.h"
#include "support/process.h"

namespace salesos::store {
namespace {

using testing::Unwrap;

// A value as text that tells the types apart, so a mismatch reads well in a failure.
std::string Describe(const Value& value) {
  if (std::holds_alternative<Null>(value)) {
    return "null";
  }
  if (const auto* i = std::get_if<int64_t>(&value)) {
    return "int " + std::to_string(*i);
  }
  if (const auto* d = std::get_if<double>(&value)) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), *d);
    return "double " + std::string(buf, end);
  }
  if (const auto* s = std::get_if<std::string>(&value)) {
    return "text '" + *s + "'";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "blob ";
  for (unsigned char c : std::get<Blob>(value).bytes) {
    hex += kHex[c >> 4];
    hex += kHex[c & 0xf];
  }
  return hex;
}

int64_t Count(Store& store, const std::string& table) {
  return Unwrap(store.Query("SELECT COUNT(*) AS n FROM " + table)).at(0).GetInt(0);
}

std::vector<int64_t> Column(const Rows& rows, size_t column = 0) {
  std::vector<int64_t> values;
  for (const Row& row : rows) {
    values.push_back(row.GetInt(column));
  }
  return values;
}

// One database for one test, and a way to open stores on it: one per replica or restart.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual std::string_view engine() const = 0;
  virtual Result<StorePtr> TryOpen(StoreOptions options) = 0;
  StorePtr Open(StoreOptions options = {}) { return Unwrap(TryOpen(std::move(options))); }
};

class SqliteDatabase final : public TestDatabase {
 public:
  std::string_view engine() const override { return "sqlite"; }
  Result<StorePtr> TryOpen(StoreOptions options) override {
    return OpenStore("sqlite://" + path(), options);
  }
  // In a directory that does not exist yet: the store creates it.
  std::string path() const { return dir_.File("data/store.db"); }

 private:
  testing::TempDir dir_;
};

class PostgresDatabase final : public TestDatabase {
 public:
  PostgresDatabase()
      : url_(testing::PostgresUrlOrSkip()), schema_(testing::UniqueSchema("store")) {}
  ~PostgresDatabase() override {
    // Leave the shared test database as we found it.
    auto store = TryOpen({});
    if (store.ok()) {
      (void)(*store)->Exec("DROP SCHEMA \"" + schema_ + "\" CASCADE");
    }
  }
  std::string_view engine() const override { return "postgresql"; }
  Result<StorePtr> TryOpen(StoreOptions options) override {
    options.schema = schema_;
    return OpenStore(url_, options);
  }
  const std::string& schema() const { return schema_; }

 private:
  std::string url_;
  std::string schema_;
};

// Registers `check` once per engine, as two test cases that ctest runs separately.
#define STORE_CONFORMANCE_TEST(description, check)                     \
  TEST_CASE("sqlite store: " description, "[store][sqlite]") {         \
    SqliteDatabase db;                                                 \
    check(db);                                                         \
  }                                                                    \
  TEST_CASE("postgresql store: " description, "[store][postgresql]") { \
    PostgresDatabase db;                                               \
    check(db);                                                         \
  }

const Migration kCreateItems{1, "create_items",
                             "CREATE TABLE items (id BIGINT PRIMARY KEY, label TEXT NOT NULL)"};
constexpr std::string_view kInsertItem = "INSERT INTO items (id, label) VALUES ($1, $2)";

void OpensAndAnswersPing(TestDatabase& db) {
  StorePtr store = db.Open();
  CHECK(store->Engine() == db.engine());
  REQUIRE_OK(store->Ping());
}
STORE_CONFORMANCE_TEST("a new store answers ping and names its engine", OpensAndAnswersPing)

void MigrationsApplyOnceInOrder(TestDatabase& db) {
  // Out of order on purpose; each depends on the one before, so a wrong order fails.
  const std::vector<Migration> migrations = {
      {3, "index_people", "CREATE INDEX people_by_name ON people (name)"},
      {1, "create_people", "CREATE TABLE people (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"},
      {2, "seed_people",
       "INSERT INTO people (id, name) VALUES (1, 'ada');\n"
       "-- a comment; with a semicolon\n"
       "INSERT INTO people (id, name) VALUES (2, 'grace; hopper -- not a comment');\n"},
  };
  StorePtr store = db.Open();
  REQUIRE_OK(store->Migrate(migrations));

  const Rows applied = Unwrap(
      store->Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version"));
  REQUIRE(applied.size() == 3);
  CHECK(Column(applied) == std::vector<int64_t>{1, 2, 3});
  CHECK(applied[0].GetText(1) == "create_people");
  CHECK(applied[1].GetText(1) == "seed_people");
  CHECK(applied[2].GetText(1) == "index_people");
  CHECK_FALSE(applied[0].GetText(2).empty());
  const Rows people = Unwrap(store->Query("SELECT name FROM people ORDER BY id"));
  REQUIRE(people.size() == 2);
  CHECK(people[1].GetText(0) == "grace; hopper -- not a comment");

  // Running again, here or after a restart, applies nothing (1 and 2 would fail if re-run).
  REQUIRE_OK(store->Migrate(migrations));
  StorePtr restarted = db.Open();
  REQUIRE_OK(restarted->Migrate(migrations));
  CHECK(Count(*restarted, "schema_migrations") == 3);
  CHECK(Count(*restarted, "people") == 2);

  // A later release applies only what is new.
  std::vector<Migration> next = migrations;
  next.push_back({4, "add_email", "ALTER TABLE people ADD COLUMN email TEXT"});
  REQUIRE_OK(restarted->Migrate(next));
  CHECK(Count(*restarted, "schema_migrations") == 4);
  CHECK(Unwrap(restarted->Exec("UPDATE people SET email = $1 WHERE id = $2",
                               {"ada@example.com", int64_t{1}})) == 1);
}
STORE_CONFORMANCE_TEST("migrations apply once, in order, and a rerun applies nothing",
                       MigrationsApplyOnceInOrder)

void BrokenMigrationStopsThere(TestDatabase& db) {
  std::vector<Migration> migrations = {
      {1, "create_notes", "CREATE TABLE notes (id BIGINT PRIMARY KEY)"},
      {2, "broken_step",
       "CREATE TABLE half_done (id BIGINT);\nINSERT INTO no_such_table VALUES (1);"},
      {3, "after_broken", "CREATE TABLE later (id BIGINT)"},
  };
  StorePtr store = db.Open();
  const Status status = store->Migrate(migrations);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == Code::kInternal);
  CHECK_THAT(status.message(), Catch::Contains("migration 2 (broken_step)"));
  CHECK_THAT(status.message(), Catch::Contains("line 2"));

  CHECK(Column(Unwrap(store->Query("SELECT version FROM schema_migrations"))) ==
        std::vector<int64_t>{1});
  CHECK(Count(*store, "notes") == 0);
  // The broken migration's first statement went with it, and nothing after it ran.
  CHECK_FALSE(store->Query("SELECT id FROM half_done").ok());
  CHECK_FALSE(store->Query("SELECT id FROM later").ok());

  // Once fixed, the next start applies it and what follows.
  migrations[1].sql = "CREATE TABLE half_done (id BIGINT)";
  REQUIRE_OK(store->Migrate(migrations));
  CHECK(Column(Unwrap(store->Query("SELECT version FROM schema_migrations ORDER BY version"))) ==
        std::vector<int64_t>{1, 2, 3});
}
STORE_CONFORMANCE_TEST("a broken migration fails with its name and leaves earlier ones applied",
                       BrokenMigrationStopsThere)

void TwoStoresMigrateAtOnce(TestDatabase& db) {
  const std::vector<Migration> migrations = {
      {1, "create_people", "CREATE TABLE people (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"},
      {2, "seed_people", "INSERT INTO people (id, name) VALUES (1, 'ada')"},
  };
  StorePtr a = db.Open();
  StorePtr b = db.Open();
  Status status_a;
  Status status_b;
  std::thread thread_a([&] { status_a = a->Migrate(migrations); });
  std::thread thread_b([&] { status_b = b->Migrate(migrations); });
  thread_a.join();
  thread_b.join();
  REQUIRE_OK(status_a);
  REQUIRE_OK(status_b);
  CHECK(Count(*a, "schema_migrations") == 2);
  CHECK(Count(*a, "people") == 1);
}
STORE_CONFORMANCE_TEST("two replicas migrating at once apply each migration once",
                       TwoStoresMigrateAtOnce)

void ParamsRoundTrip(TestDatabase& db) {
  StorePtr store = db.Open();
  REQUIRE_OK(store->Migrate({{1, "create_vals",
                              "CREATE TABLE vals (id BIGINT PRIMARY KEY, n BIGINT, "
                              "d DOUBLE PRECISION, s TEXT, b BYTEA)"}}));
  const std::string text = "héllo ☃ 日本語 🙂 it's \"quoted\", $1, ?1 and a \\ backslash";
  const std::string bytes("\0\x01\xff\0tail\0", 9);
  const std::vector<Params> inputs = {
      {int64_t{1}, int64_t{-42}, 3.141592653589793, text, Blob{bytes}},
      {int64_t{2}, int64_t{1} << 62, -0.5, std::string(), Blob{}},
      {int64_t{3}, std::numeric_limits<int64_t>::min(), 1e300, std::string("$2"),
       Blob{std::string(1, '\0')}},
      {int64_t{4}, std::numeric_limits<int64_t>::max(), -1e-300,
       std::string("'); DROP TABLE vals; --"), Blob{"\\x00"}},
      {int64_t{5}, Null{}, Null{}, Null{}, Null{}},
  };
  for (const Params& params : inputs) {
    REQUIRE(Unwrap(store->Exec("INSERT INTO vals (id, n, d, s, b) VALUES ($1, $2, $3, $4, $5)",
                               params)) == 1);
  }

  const Rows rows = Unwrap(store->Query("SELECT id, n, d, s, b FROM vals ORDER BY id"));
  REQUIRE(rows.size() == inputs.size());
  for (size_t r = 0; r < inputs.size(); ++r) {
    for (size_t c = 0; c < inputs[r].size(); ++c) {
      INFO("row " << r << ", column " << c);
      CHECK(Describe(rows[r].at(c)) == Describe(inputs[r][c]));
    }
  }

  // Parameters work in WHERE clauses too, a blob and a reused one included.
  CHECK(Column(Unwrap(store->Query("SELECT id FROM vals WHERE s = $1 OR b = $2 ORDER BY id",
                                   {text, Blob{std::string(1, '\0')}}))) ==
        std::vector<int64_t>{1, 3});
  CHECK(Column(Unwrap(store->Query("SELECT id FROM vals WHERE n = $1 OR id = $1", {int64_t{4}}))) ==
        std::vector<int64_t>{4});
  // Booleans come back as integers on both engines.
  const Rows matches = Unwrap(store->Query(
      "SELECT id = $1 AS matches FROM vals WHERE id <= $2 ORDER BY id", {int64_t{1}, int64_t{2}}));
  REQUIRE(matches.size() == 2);
  CHECK(Describe(matches[0].at(0)) == "int 1");
  CHECK(Describe(matches[1].at(0)) == "int 0");
}
STORE_CONFORMANCE_TEST("parameters of every type round trip", ParamsRoundTrip)

void UniqueViolationIsAlreadyExists(TestDatabase& db) {
  StorePtr store = db.Open();
  REQUIRE_OK(
      store->Migrate({{1, "create_users",
                       "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL UNIQUE)"}}));
  constexpr std::string_view kInsert = "INSERT INTO users (id, email) VALUES ($1, $2)";
  REQUIRE(Unwrap(store->Exec(kInsert, {int64_t{1}, "ada@example.com"})) == 1);

  const Status same_key = store->Exec(kInsert, {int64_t{1}, "grace@example.com"}).status();
  CHECK(same_key.code() == Code::kAlreadyExists);
  const Status same_email = store->Exec(kInsert, {int64_t{2}, "ada@example.com"}).status();
  CHECK(same_email.code() == Code::kAlreadyExists);

  // The failed statements left the store usable.
  REQUIRE(Unwrap(store->Exec(kInsert, {int64_t{2}, "grace@example.com"})) == 1);
  CHECK(Count(*store, "users") == 2);
}
STORE_CONFORMANCE_TEST("a unique violation is ALREADY_EXISTS", UniqueViolationIsAlreadyExists)

void ForeignKeysAreEnforced(TestDatabase& db) {
  StorePtr store = db.Open();
  REQUIRE_OK(store->Migrate({
      {1, "create_users", "CREATE TABLE users (id BIGINT PRIMARY KEY)"},
      {2, "create_orders",
       "CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users "
       "(id))"},
  }));
  REQUIRE(Unwrap(store->Exec("INSERT INTO users (id) VALUES ($1)", {int64_t{1}})) == 1);
  const Status orphan =
      store->Exec("INSERT INTO orders (id, user_id) VALUES ($1, $2)", {int64_t{1}, int64_t{99}})
          .status();
  CHECK(orphan.code() == Code::kInternal);
  CHECK(Unwrap(store->Exec("INSERT INTO orders (id, user_id) VALUES ($1, $2)",
                           {int64_t{1}, int64_t{1}})) == 1);
}
STORE_CONFORMANCE_TEST("a row pointing at a missing parent is rejected", ForeignKeysAreEnforced)

void TransactionsCommitOrLeaveNothing(TestDatabase& db) {
  StorePtr store = db.Open();
  REQUIRE_OK(store->Migrate({kCreateItems}));

  REQUIRE_OK(store->InTransaction([](Executor& tx) -> Status {
    SALESOS_RETURN_IF_ERROR(tx.Exec(kInsertItem, {int64_t{1}, "one"}).status());
    SALESOS_RETURN_IF_ERROR(tx.Exec(kInsertItem, {int64_t{2}, "two"}).status());
    // The transaction sees its own writes.
    SALESOS_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT COUNT(*) FROM items"));
    return rows.at(0).GetInt(0) == 2 ? OkStatus() : Internal("own writes are not visible");
  }));
  CHECK(Count(*store, "items") == 2);

  const Status refused = store->InTransaction([](Executor& tx) -> Status {
    SALESOS_RETURN_IF_ERROR(tx.Exec(kInsertItem, {int64_t{3}, "three"}).status());
    return FailedPrecondition("changed my mind");
  });
  CHECK(refused.code() == Code::kFailedPrecondition);
  CHECK(refused.message() == "changed my mind");
  CHECK(Count(*store, "items") == 2);

  // A failed statement's status comes back, and the writes before it are undone.
  const Status duplicate = store->InTransaction([](Executor& tx) -> Status {
    SALESOS_RETURN_IF_ERROR(tx.Exec(kInsertItem, {int64_t{4}, "four"}).status());
    return tx.Exec(kInsertItem, {int64_t{1}, "one again"}).status();
  });
  CHECK(duplicate.code() == Code::kAlreadyExists);
  CHECK(Count(*store, "items") == 2);

  // A callback that throws leaves nothing behind either, and the store carries on.
  CHECK_THROWS_AS(store->InTransaction([](Executor& tx) -> Status {
    (void)tx.Exec(kInsertItem, {int64_t{5}, "five"});
    throw std::runtime_error("boom");
  }),
                  std::runtime_error);
  CHECK(Column(Unwrap(store->Query("SELECT id FROM items ORDER BY id"))) ==
        std::vector<int64_t>{1, 2});
}
STORE_CONFORMANCE_TEST("a committed transaction keeps its writes and a failed one leaves nothing",
                       TransactionsCommitOrLeaveNothing)

void ConcurrentWriters(TestDatabase& db) {
  StorePtr store = db.Open();
  REQUIRE_OK(store->Migrate({kCreateItems}));
  constexpr int kThreads = 8;
  constexpr int kRowsPerThread = 100;
  std::atomic<int> failures{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRowsPerThread; ++i) {
        const int64_t id = int64_t{t} * 1000 + i;
        // Half the threads write directly, half through transactions, so both paths contend.
        Status status = t % 2 == 0
                            ? store->Exec(kInsertItem, {id, "direct"}).status()
                            : store->InTransaction([&](Executor& tx) -> Status {
                                return tx.Exec(kInsertItem, {id, "in a transaction"}).status();
                              });
        if (!status.ok()) {
          ++failures;
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.empty()) {
            first_error = status.ToString();
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  INFO(first_error);
  CHECK(failures == 0);
  CHECK(Count(*store, "items") == kThreads * kRowsPerThread);
}
STORE_CONFORMANCE_TEST("eight threads writing at once all succeed", ConcurrentWriters)

void BusyStoreAnswersUnavailable(TestDatabase& db) {
  StoreOptions options;
  options.pool_size = 1;
  options.timeout_ms = 300;
  StorePtr store = db.Open(options);
  Status inner;
  const auto start = std::chrono::steady_clock::now();
  // Using the Store (not the Executor) inside a transaction needs a second connection, which
  // never comes: the wait is bounded.
  REQUIRE_OK(store->InTransaction([&](Executor&) -> Status {
    inner = store->Ping();
    return OkStatus();
  }));
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(inner.code() == Code::kUnavailable);
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::seconds(3));
  REQUIRE_OK(store->Ping());
}
STORE_CONFORMANCE_TEST("waiting for a busy connection ends in UNAVAILABLE",
                       BusyStoreAnswersUnavailable)

void ExecCountsChangedRows(TestDatabase& db) {
  StorePtr store = db.Open();
  REQUIRE_OK(store->Migrate({kCreateItems}));
  for (int64_t id = 1; id <= 3; ++id) {
    // Query runs statements without a result too, and returns no rows for them.
    CHECK(Unwrap(store->Query(kInsertItem, {id, "item"})).empty());
  }
  CHECK(Unwrap(store->Exec("UPDATE items SET label = $1 WHERE id > $2", {"x", int64_t{1}})) == 2);
  CHECK(Unwrap(store->Exec("DELETE FROM items WHERE id = $1", {int64_t{99}})) == 0);
  CHECK(Unwrap(store->Exec("CREATE TABLE other (id BIGINT)")) == 0);
  CHECK(Unwrap(store->Exec("SELECT id FROM items")) == 0);
}
STORE_CONFORMANCE_TEST("exec returns the number of rows changed", ExecCountsChangedRows)

void InsertRowsSpansStatements(TestDatabase& db) {
  StorePtr store = db.Open();
  REQUIRE_OK(store->Migrate({kCreateItems}));
  // 5,000 rows of two values: more than one statement's worth, the last one partial.
  std::vector<Params> rows;
  for (int64_t id = 1; id <= 5000; ++id) {
    rows.push_back({id, "item " + std::to_string(id)});
  }
  CHECK(Unwrap(InsertRows(*store, "INSERT INTO items (id, label)", rows)) == 5000);
  CHECK(Count(*store, "items") == 5000);
  auto last = Unwrap(store->Query("SELECT label FROM items WHERE id = $1", {int64_t{5000}}));
  REQUIRE(last.size() == 1);
  CHECK(last[0].GetText(0) == "item 5000");
  // A tail applies to every statement: the rows already there are skipped, the new one is not.
  rows.push_back({int64_t{5001}, "new"});
  CHECK(Unwrap(InsertRows(*store, "INSERT INTO items (id, label)", rows,
                          " ON CONFLICT (id) DO NOTHING")) == 1);
  CHECK(Unwrap(InsertRows(*store, "INSERT INTO items (id, label)", {})) == 0);
  // Rows of different widths are refused before anything is written.
  Status uneven =
      InsertRows(*store, "INSERT INTO items (id, label)", {{int64_t{9001}, "a"}, {int64_t{9002}}})
          .status();
  CHECK(uneven.code() == Code::kInvalidArgument);
  CHECK(Count(*store, "items") == 5001);
  // Inside a transaction, a failing statement leaves nothing of the earlier ones.
  std::vector<Params> clash;
  for (int64_t id = 6001; id <= 9000; ++id) {
    clash.push_back({id, "x"});
  }
  clash.push_back({int64_t{1}, "taken"});
  Status failed = store->InTransaction([&](Executor& tx) {
    return InsertRows(tx, "INSERT INTO items (id, label)", clash).status();
  });
  CHECK(failed.code() == Code::kAlreadyExists);
  CHECK(Count(*store, "items") == 5001);
}
STORE_CONFORMANCE_TEST("many rows insert in few statements, all or none in a transaction",
                       InsertRowsSpansStatements)

void BadSqlIsInternal(TestDatabase& db) {
  StorePtr store = db.Open();
  const Status syntax = store->Query("SELEC 1").status();
  CHECK(syntax.code() == Code::kInternal);
  CHECK_FALSE(syntax.message().empty());
  const Status in_transaction = store->InTransaction(
      [](Executor& tx) -> Status { return tx.Exec("INSERT INTO nowhere VALUES (1)").status(); });
  CHECK(in_transaction.code() == Code::kInternal);
  // Programming mistakes the engines would report differently are INTERNAL on both.
  CHECK(store->Query("SELECT $1 AS a").status().code() == Code::kInternal);
  CHECK(store->Query("SELECT 1 AS a", {int64_t{1}}).status().code() == Code::kInternal);
  CHECK(store->Exec("SELECT 1; SELECT 2").status().code() == Code::kInternal);

  REQUIRE_OK(store->Ping());
  CHECK(Unwrap(store->Query("SELECT 1 AS one")).at(0).GetInt(0) == 1);
}
STORE_CONFORMANCE_TEST("a syntax error is INTERNAL and the store keeps working", BadSqlIsInternal)

void DollarInLiteralIsText(TestDatabase& db) {
  StorePtr store = db.Open();
  const Rows rows = Unwrap(store->Query(
      "SELECT 'it''s $1' AS literal, $1 AS param, '$2' AS \"x$3\" -- and $4\n", {"value"}));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].GetText(0) == "it's $1");
  CHECK(rows[0].GetText(1) == "value");
  CHECK(rows[0].Index("x$3") == 2);
  CHECK(rows[0].GetText(2) == "$2");
}
STORE_CONFORMANCE_TEST("a dollar sign inside a string literal is not a placeholder",
                       DollarInLiteralIsText)

void RowsFindColumnsByName(TestDatabase& db) {
  StorePtr store = db.Open();
  const Rows rows = Unwrap(store->Query("SELECT 7 AS seven, 'two' AS two, NULL AS absent"));
  REQUIRE(rows.size() == 1);
  const Row& row = rows[0];
  REQUIRE(row.size() == 3);
  CHECK(row.Index("seven") == 0);
  CHECK(row.Index("two") == 1);
  CHECK(row.Index("absent") == 2);
  CHECK(row.Index("missing") == -1);
  CHECK(row.GetInt(row.Index("seven")) == 7);
  CHECK(row.GetText(row.Index("two")) == "two");
  CHECK(row.IsNull(row.Index("absent")));
}
STORE_CONFORMANCE_TEST("rows find their columns by name", RowsFindColumnsByName)

// Engine-specific set-up that the conformance checks cannot see.

TEST_CASE("sqlite store: the database file is created in WAL mode with foreign keys on",
          "[store][sqlite]") {
  SqliteDatabase db;
  StorePtr store = db.Open();
  CHECK(std::filesystem::exists(db.path()));
  CHECK(Unwrap(store->Query("PRAGMA journal_mode")).at(0).GetText(0) == "wal");
  CHECK(Unwrap(store->Query("PRAGMA foreign_keys")).at(0).GetInt(0) == 1);
  CHECK(Unwrap(store->Query("PRAGMA synchronous")).at(0).GetInt(0) == 1);  // NORMAL
  CHECK(Unwrap(store->Query("PRAGMA busy_timeout")).at(0).GetInt(0) == 5000);
}

TEST_CASE("sqlite store: commits leave the WAL to a checkpoint of its own, not to SQLite's",
          "[store][sqlite]") {
  SqliteDatabase db;
  StorePtr store = db.Open();
  // SQLite's own checkpoint would wait for 1,000 pages; the store's runs every 2 s.
  CHECK(Unwrap(store->Query("PRAGMA wal_autocheckpoint")).at(0).GetInt(0) == 0);
  REQUIRE(store->Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", {}).ok());
  const auto before = std::filesystem::file_size(db.path());
  for (int i = 0; i < 50; ++i) {  // about 100 pages, each row its own commit
    REQUIRE(store->Exec("INSERT INTO notes (body) VALUES ($1)", {std::string(8000, 'x')}).ok());
  }
  // The rows reach the database file itself, with no checkpoint asked for here.
  CHECK(testing::WaitFor(
      [&] { return std::filesystem::file_size(db.path()) >= before + 50 * 8000; },
      std::chrono::seconds(5)));
  CHECK(Unwrap(store->Query("SELECT count(*) FROM notes")).at(0).GetInt(0) == 50);
}

TEST_CASE("sqlite store: an in-memory store keeps its data while it is open", "[store][sqlite]") {
  StorePtr store = Unwrap(OpenStore("sqlite::memory:", {}));
  REQUIRE_OK(store->Migrate({kCreateItems}));
  REQUIRE_OK(store->InTransaction([](Executor& tx) -> Status {
    return tx.Exec(kInsertItem, {int64_t{1}, "one"}).status();
  }));
  CHECK(Count(*store, "items") == 1);
}

TEST_CASE("postgresql store: the store creates its schema and works inside it",
          "[store][postgresql]") {
  PostgresDatabase db;
  StorePtr store = db.Open();
  CHECK(Unwrap(store->Query("SELECT current_schema() AS s")).at(0).GetText(0) == db.schema());
  REQUIRE_OK(store->Migrate({kCreateItems}));
  CHECK(Unwrap(store->Query("SELECT COUNT(*) FROM information_schema.tables "
                            "WHERE table_schema = $1 AND table_name = 'items'",
                            {db.schema()}))
            .at(0)
            .GetInt(0) == 1);
}

TEST_CASE("postgresql store: a terminated connection is reset and the store recovers",
          "[store][postgresql]") {
  PostgresDatabase db;
  StoreOptions options;
  options.pool_size = 1;
  StorePtr store = db.Open(options);
  StorePtr other = db.Open();
  const int64_t pid = Unwrap(store->Query("SELECT pg_backend_pid()")).at(0).GetInt(0);
  // The timeout makes the server wait until the backend is gone.
  REQUIRE(Unwrap(other->Query("SELECT pg_terminate_backend(CAST($1 AS INTEGER), 5000)", {pid}))
              .at(0)
              .GetBool(0));

  CHECK(store->Ping().code() == Code::kUnavailable);
  REQUIRE_OK(store->Ping());
  CHECK(Unwrap(store->Query("SELECT pg_backend_pid()")).at(0).GetInt(0) != pid);
  CHECK(Unwrap(store->Query("SELECT current_schema()")).at(0).GetText(0) == db.schema());
}

// Opening a store: no database needed.

TEST_CASE("opening a store with a mysql url is INVALID_ARGUMENT", "[store]") {
  const Status mysql = OpenStore("mysql://root:hunter2@db/sales", {}).status();
  CHECK(mysql.code() == Code::kInvalidArgument);
  CHECK_THAT(mysql.message(), Catch::Contains("\"mysql\""));
  CHECK_THAT(mysql.message(), !Catch::Contains("hunter2"));
  CHECK(OpenStore("", {}).status().code() == Code::kInvalidArgument);
  CHECK(OpenStore("sqlite://", {}).status().code() == Code::kInvalidArgument);
}

TEST_CASE("opening a store with bad options fails before connecting", "[store]") {
  StoreOptions options;
  options.pool_size = 0;
  CHECK(OpenStore("sqlite::memory:", options).status().code() == Code::kInvalidArgument);
  options.pool_size = 1;
  options.schema = "Bad-Name";
  CHECK(OpenStore("postgresql://nobody@127.0.0.1:1/none", options).status().code() ==
        Code::kInvalidArgument);
  options.schema = "x\"; DROP SCHEMA public; --";
  CHECK(OpenStore("postgresql://nobody@127.0.0.1:1/none", options).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("opening a store on an unreachable PostgreSQL is UNAVAILABLE", "[store]") {
  StoreOptions options;
  options.schema = "anything";
  options.timeout_ms = 2000;
  const Status status = OpenStore("postgresql://nobody@127.0.0.1:1/none", options).status();
  CHECK(status.code() == Code::kUnavailable);
}

}  // namespace
}  // namespace salesos::store
