#pragma once

#include <string>

namespace salesos::testing {

// The URL of the PostgreSQL cluster `./salesos test` starts (SALESOS_TEST_POSTGRES_URL). When it
// is not set the calling test is skipped (exit code 4, which ctest reports as skipped), unless
// SALESOS_REQUIRE_POSTGRES=1 (as `./salesos test` and CI set), where it fails.
std::string PostgresUrlOrSkip();

// A schema name no other test uses, so tests can run in parallel against one database.
std::string UniqueSchema(const std::string& prefix);

// Whether suites run on PostgreSQL: SALESOS_SUITE_DATABASE=postgresql (ctest's "postgresql e2e: "
// run of the integration tests sets it). Anything else, or unset: SQLite.
bool SuiteOnPostgres();

// A database of its own on the cluster of `cluster_url` (CREATE DATABASE <prefix>_<random>),
// dropped by the destructor, with whatever still connects to it (DROP DATABASE ... WITH FORCE).
// Every service of a suite keeps its own schema in it, as in production.
class ScratchDatabase {
 public:
  ScratchDatabase(const std::string& cluster_url, const std::string& prefix);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  // The cluster's URL with this database in place of the URL's own.
  const std::string& url() const { return url_; }

 private:
  std::string cluster_url_;
  std::string name_;
  std::string url_;
};

// `url` (postgresql://user@host:port/db?params) naming database `database` instead.
std::string WithDatabase(const std::string& url, const std::string& database);

}  // namespace salesos::testing
