#include "support/databases.h"

#include <catch2/catch.hpp>

#include "support/postgres.h"

namespace salesos::testing {

SqliteDatabase::SqliteDatabase(const std::vector<store::Migration>& migrations) {
  auto opened = store::OpenStore("sqlite://" + dir_.File("service.db"), {});
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  store_ = std::move(opened).value();
  Status st = store_->Migrate(migrations);
  INFO(st.ToString());
  REQUIRE(st.ok());
}

PostgresDatabase::Schema::Schema(const std::string& prefix)
    : url(PostgresUrlOrSkip()), name(UniqueSchema(prefix)) {}

PostgresDatabase::Schema::~Schema() {
  auto admin = store::OpenStore(url, {});
  if (admin.ok()) {
    (void)(*admin)->Exec("DROP SCHEMA IF EXISTS \"" + name + "\" CASCADE");
  }
}

PostgresDatabase::PostgresDatabase(const std::vector<store::Migration>& migrations,
                                   const std::string& prefix)
    : schema_(prefix) {
  store::StoreOptions options;
  options.schema = schema_.name;
  auto opened = store::OpenStore(schema_.url, options);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  store_ = std::move(opened).value();
  REQUIRE(store_->Engine() == "postgresql");
  Status st = store_->Migrate(migrations);
  INFO(st.ToString());
  REQUIRE(st.ok());
}

void RunOnSqlite(const std::vector<store::Migration>& migrations, StoreCheck check) {
  SqliteDatabase db(migrations);
  REQUIRE(db.store().Engine() == "sqlite");
  check(db.store());
}

void RunOnPostgres(const std::vector<store::Migration>& migrations, const std::string& prefix,
                   StoreCheck check) {
  PostgresDatabase db(migrations, prefix);
  check(db.store());
}

}  // namespace salesos::testing
