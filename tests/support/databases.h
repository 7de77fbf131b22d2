#pragma once

// A migrated store of a service for one test: a fresh SQLite file, or a fresh PostgreSQL schema
// in the cluster `./salesos test` starts (the test is skipped without one, see postgres.h),
// dropped when the test ends, also when set-up failed half-way.

#include <string>
#include <vector>

#include "salesos/store/store.h"
#include "support/temp_dir.h"

namespace salesos::testing {

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

}  // namespace salesos::testing
