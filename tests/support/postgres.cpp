#include "support/postgres.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "salesos/core/ids.h"
#include "salesos/store/store.h"

namespace salesos::testing {

std::string PostgresUrlOrSkip() {
  const char* url = std::getenv("SALESOS_TEST_POSTGRES_URL");
  if (url != nullptr && *url != '\0') {
    return url;
  }
  const char* required = std::getenv("SALESOS_REQUIRE_POSTGRES");
  if (required != nullptr && std::string(required) == "1") {
    FAIL("SALESOS_TEST_POSTGRES_URL is not set but SALESOS_REQUIRE_POSTGRES=1");
  }
  std::cerr << "skipped: SALESOS_TEST_POSTGRES_URL is not set (./salesos test starts a cluster)\n";
  std::exit(4);
}

std::string UniqueSchema(const std::string& prefix) { return prefix + "_" + RandomHex(6); }

}  // namespace salesos::testing
