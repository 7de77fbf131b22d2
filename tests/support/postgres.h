#pragma once

#include <string>

namespace salesos::testing {

// The URL of the PostgreSQL cluster `./salesos test` starts (SALESOS_TEST_POSTGRES_URL). When it
// is not set the calling test is skipped (exit code 4, which ctest reports as skipped), unless
// SALESOS_REQUIRE_POSTGRES=1 (as `./salesos test` and CI set), where it fails.
std::string PostgresUrlOrSkip();

// A schema name no other test uses, so tests can run in parallel against one database.
std::string UniqueSchema(const std::string& prefix);

}  // namespace salesos::testing
