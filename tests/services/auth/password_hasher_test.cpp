#include "password_hasher.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "salesos/crypto/password.h"

using salesos::auth::PasswordHasher;

TEST_CASE("password hasher verifies what it hashed and refuses other passwords", "[auth][hasher]") {
  salesos::crypto::SetPasswordHashCost(1, 8 * 1024);
  PasswordHasher hasher(2);
  auto hash = hasher.Hash("correct horse battery");
  REQUIRE(hash.ok());
  CHECK(hasher.Verify(*hash, "correct horse battery"));
  CHECK_FALSE(hasher.Verify(*hash, "correct horse batterz"));
  hasher.VerifyDummy("anything at all");  // must not crash, returns nothing
}

TEST_CASE("password hasher never runs more hashes at once than it has slots", "[auth][hasher]") {
  salesos::crypto::SetPasswordHashCost(1, 1024 * 1024);
  for (int slots : {1, 2}) {
    PasswordHasher hasher(slots);
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 3; ++i) {
          auto h = hasher.Hash("password-" + std::to_string(i));
          REQUIRE(h.ok());
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    INFO("slots " << slots);
    CHECK(hasher.peak_in_flight() >= 1);
    CHECK(hasher.peak_in_flight() <= slots);
  }
}
