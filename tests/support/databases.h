#pragma once

// A migrated store of a service for one test: a fresh SQLite file, or a fresh PostgreSQL schema
// in the cluster `./salesos test` starts (the test is skipped without one, see postgres.h),
// dropped when the test ends, also when set-up failed half-way. And what every store test uses
// with them: Unwrap, REQUIRE_OK and SALESOS_TEST_BOTH_ENGINES.

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/store/store.h"
#include "support/temp_dir.h"

// Requires an ok Status, showing it (not just "false") when it is not.
#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "OK")

// Registers `check` (void(store::Store&)) once per engine, as the test cases "sqlite: <name>"
// tagged `tags` + "[sqlite]" and "postgresql: <name>" tagged `tags` + "[postgresql]", each on a
// fresh store migrated with `migrations` (the PostgreSQL schema named after `prefix`).
#define SALESOS_TEST_BOTH_ENGINES(name, tags, migrations, prefix, check) \
  TEST_CASE("sqlite: " name, tags "[sqlite]") {                          \
    ::salesos::testing::RunOnSqlite(migrations, check);                  \
  }                                                                      \
  TEST_CASE("postgresql: " name, tags "[postgresql]") {                  \
    ::salesos::testing::RunOnPostgres(migrations, prefix, check);        \
  }

namespace salesos::testing {

// The value of an ok `result`; otherwise the test fails, showing the status.
template <typename T>
T Unwrap(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

class SqliteDatabase {
 public:
  explicit SqliteDatabase(const std::vector<store::Migration>& migrations);
  store::Store& store() { return *store_; }

 private:
  TempDir dir_;
  store::StorePtr store_;
};

class PostgresDatabase {
 public:
  PostgresDatabase(const std::vector<store::Migration>& migrations, const std::string& prefix);
  store::Store& store() { return *store_; }

 private:
  struct Schema {
    explicit Schema(const std::string& prefix);
    ~Schema();
    std::string url;
    std::string name;
  };
  Schema schema_;  // declared first: destroyed after the store's connections are closed
  store::StorePtr store_;
};

using StoreCheck = void (*)(store::Store&);

// `check` on a fresh store of each engine, migrated with `migrations`.
void RunOnSqlite(const std::vector<store::Migration>& migrations, StoreCheck check);
void RunOnPostgres(const std::vector<store::Migration>& migrations, const std::string& prefix,
                   StoreCheck check);

}  // namespace salesos::testing
