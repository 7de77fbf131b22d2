#include "salesos/crypto/password.h"

#include <catch2/catch.hpp>

namespace salesos::crypto {
namespace {

// libsodium's minimum cost, so each hash takes microseconds; one test below keeps the default.
void UseCheapHashes() { SetPasswordHashCost(1, 8192); }

TEST_CASE("argon2id hash verifies the right password and rejects a wrong one", "[crypto]") {
  UseCheapHashes();
  auto hash = HashPassword("correct horse battery staple");
  REQUIRE(hash.ok());
  CHECK(VerifyPassword(*hash, "correct horse battery staple"));
  CHECK_FALSE(VerifyPassword(*hash, "correct horse battery stapler"));
  CHECK_FALSE(VerifyPassword(*hash, ""));
}

TEST_CASE("argon2id hash string is a PHC string starting with $argon2id$", "[crypto]") {
  UseCheapHashes();
  auto hash = HashPassword("pw");
  REQUIRE(hash.ok());
  CHECK_THAT(*hash, Catch::StartsWith("$argon2id$"));
}

TEST_CASE("two argon2id hashes of one password differ by their salt", "[crypto]") {
  UseCheapHashes();
  auto a = HashPassword("same password");
  auto b = HashPassword("same password");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a != *b);
  CHECK(VerifyPassword(*a, "same password"));
  CHECK(VerifyPassword(*b, "same password"));
}

TEST_CASE("argon2id hashes passwords with embedded NULs and non-ASCII bytes", "[crypto]") {
  UseCheapHashes();
  std::string pw("p\0w\xc3\xa9", 5);
  auto hash = HashPassword(pw);
  REQUIRE(hash.ok());
  CHECK(VerifyPassword(*hash, pw));
  CHECK_FALSE(VerifyPassword(*hash, "p"));
}

TEST_CASE("password verification rejects strings that are not argon2 hashes", "[crypto]") {
  CHECK_FALSE(VerifyPassword("", "pw"));
  CHECK_FALSE(VerifyPassword("pw", "pw"));
  CHECK_FALSE(VerifyPassword("$argon2id$v=19$m=8,t=1,p=1$garbage$garbage", "pw"));
  CHECK_FALSE(VerifyPassword(std::string(200, 'a'), "pw"));
  UseCheapHashes();
  std::string hash = HashPassword("pw").value();
  CHECK_FALSE(VerifyPassword(hash + std::string("\0", 1), "pw"));
}

TEST_CASE("argon2id hashes at the cost set and verifies hashes made at any cost", "[crypto]") {
  // libsodium's INTERACTIVE limits, the default (set explicitly: tests share a process when the
  // binary is run by hand).
  SetPasswordHashCost(2, 64 * 1024 * 1024);
  auto hash = HashPassword("pw");
  REQUIRE(hash.ok());
  CHECK_THAT(*hash, Catch::StartsWith("$argon2id$v=19$m=65536,t=2,p=1$"));
  CHECK(VerifyPassword(*hash, "pw"));
  UseCheapHashes();
  CHECK_THAT(HashPassword("pw").value(), Catch::StartsWith("$argon2id$v=19$m=8,t=1,p=1$"));
  CHECK(VerifyPassword(*hash, "pw"));
}

TEST_CASE("password hash cost below libsodium's minimum is raised to it", "[crypto]") {
  SetPasswordHashCost(0, 0);
  auto hash = HashPassword("pw");
  REQUIRE(hash.ok());
  CHECK_THAT(*hash, Catch::StartsWith("$argon2id$v=19$m=8,t=1,p=1$"));
}

}  // namespace
}  // namespace salesos::crypto
