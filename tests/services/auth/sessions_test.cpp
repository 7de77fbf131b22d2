// Sessions and LoginGuard against a real, private redis-server.

#include "sessions.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "login_guard.h"
#include "salesos/crypto/ed25519.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/revocations.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace salesos::auth {
namespace {

template <typename T>
T Unwrap(Result<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

struct Fixture {
  testing::RedisServer server;
  redis::ClientPtr redis = Unwrap(redis::Connect(server.url()));
  TokenIssuer issuer{Unwrap(crypto::Ed25519Key::Generate()), redis, 900};
  Sessions sessions{redis, issuer};

  static Result<std::string> Owner(const std::string&, const std::string&) {
    return std::string("owner");
  }
};

TEST_CASE("a refresh token rotates: the new one works once, the old one no more",
          "[auth][sessions]") {
  Fixture f;
  IssuedTokens first = Unwrap(f.sessions.Start("u1", "w1", "owner"));
  RefreshedSession second = Unwrap(f.sessions.Refresh(first.refresh_token, Fixture::Owner));
  CHECK(second.user_id == "u1");
  CHECK(second.workspace_id == "w1");
  CHECK(second.tokens.refresh_token != first.refresh_token);
  CHECK(second.tokens.access_token != first.access_token);
  RefreshedSession third = Unwrap(f.sessions.Refresh(second.tokens.refresh_token, Fixture::Owner));
  CHECK_FALSE(third.tokens.refresh_token.empty());
}

TEST_CASE("presenting a rotated refresh token again revokes the whole family",
          "[auth][sessions]") {
  Fixture f;
  IssuedTokens first = Unwrap(f.sessions.Start("u1", "w1", "owner"));
  RefreshedSession stolen = Unwrap(f.sessions.Refresh(first.refresh_token, Fixture::Owner));
  // The old token comes back (an attacker, or the victim after the attacker): reuse.
  auto reuse = f.sessions.Refresh(first.refresh_token, Fixture::Owner);
  CHECK(reuse.status().code() == Code::kUnauthenticated);
  CHECK_THAT(reuse.status().message(), Catch::Contains("already used"));
  // The descendant is dead too, for whoever holds it.
  CHECK(f.sessions.Refresh(stolen.tokens.refresh_token, Fixture::Owner).status().code() ==
        Code::kUnauthenticated);
  // Another session of the same user is untouched.
  IssuedTokens other = Unwrap(f.sessions.Start("u1", "w1", "owner"));
  CHECK(f.sessions.Refresh(other.refresh_token, Fixture::Owner).ok());
}

TEST_CASE("two concurrent refreshes of one token: exactly one wins", "[auth][sessions]") {
  Fixture f;
  IssuedTokens first = Unwrap(f.sessions.Start("u1", "w1", "owner"));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (f.sessions.Refresh(first.refresh_token, Fixture::Owner).ok()) {
        ++ok;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(ok.load() == 1);
}

TEST_CASE("logout revokes the token's family and is fine for unknown tokens", "[auth][sessions]") {
  Fixture f;
  IssuedTokens first = Unwrap(f.sessions.Start("u1", "w1", "owner"));
  RefreshedSession second = Unwrap(f.sessions.Refresh(first.refresh_token, Fixture::Owner));
  REQUIRE(f.sessions.Logout(second.tokens.refresh_token).ok());
  CHECK(f.sessions.Refresh(second.tokens.refresh_token, Fixture::Owner).status().code() ==
        Code::kUnauthenticated);
  CHECK(f.sessions.Logout("never-issued").ok());
  CHECK(f.sessions.Logout("").ok());
}

TEST_CASE("an unknown, empty or oversized refresh token is refused", "[auth][sessions]") {
  Fixture f;
  CHECK(f.sessions.Refresh("nope", Fixture::Owner).status().code() == Code::kUnauthenticated);
  CHECK(f.sessions.Refresh("", Fixture::Owner).status().code() == Code::kUnauthenticated);
  CHECK(f.sessions.Refresh(std::string(5000, 'a'), Fixture::Owner).status().code() ==
        Code::kUnauthenticated);
}

TEST_CASE("a refresh for a member who is gone ends the session", "[auth][sessions]") {
  Fixture f;
  IssuedTokens first = Unwrap(f.sessions.Start("u1", "w1", "owner"));
  auto gone = f.sessions.Refresh(first.refresh_token, [](const std::string&, const std::string&) {
    return Result<std::string>(NotFound("member not found"));
  });
  CHECK(gone.status().code() == Code::kUnauthenticated);
}

TEST_CASE("revoking a user ends every refresh token and publishes an access-token cut-off",
          "[auth][sessions]") {
  Fixture f;
  rpc::RevocationList list(f.server.url(), f.redis, 60'000);
  list.Start();
  IssuedTokens a = Unwrap(f.sessions.Start("u1", "w1", "owner"));
  IssuedTokens b = Unwrap(f.sessions.Start("u1", "w1", "owner"));
  IssuedTokens other_user = Unwrap(f.sessions.Start("u2", "w1", "agent"));

  rpc::Caller before;
  before.user_id = "u1";
  before.workspace_id = "w1";
  before.issued_at_ms = NowUnixMillis() - 1;
  // The subscriber must be listening before the revocation is published (pub/sub keeps nothing).
  REQUIRE(testing::WaitFor([&] { return f.redis->Publish(rpc::kRevocationsChannel, "user warmup 1").ok() &&
                                         list.size() > 0; },
                           std::chrono::seconds(5)));

  REQUIRE(f.sessions.RevokeUser("u1").ok());
  CHECK(f.sessions.Refresh(a.refresh_token, Fixture::Owner).status().code() == Code::kUnauthenticated);
  CHECK(f.sessions.Refresh(b.refresh_token, Fixture::Owner).status().code() == Code::kUnauthenticated);
  CHECK(f.sessions.Refresh(other_user.refresh_token, Fixture::Owner).ok());

  CHECK(testing::WaitFor([&] { return list.Revoked(before); }, std::chrono::seconds(5)));
  rpc::Caller later = before;
  later.issued_at_ms = NowUnixMillis() + 1;  // a token from a new login after the revocation
  CHECK_FALSE(list.Revoked(later));
  rpc::Caller someone_else = before;
  someone_else.user_id = "u2";
  CHECK_FALSE(list.Revoked(someone_else));

  // A list that missed the message finds the cut-off in Redis.
  rpc::RevocationList late(f.server.url(), f.redis, 60'000);
  REQUIRE(late.Reload().ok());
  CHECK(late.Revoked(before));
  list.Stop();
}

TEST_CASE("revoking a workspace refuses every access token of it", "[auth][sessions]") {
  Fixture f;
  rpc::Caller c;
  c.user_id = "anyone";
  c.workspace_id = "w9";
  c.issued_at_ms = NowUnixMillis();  // a token issued before the revocation
  REQUIRE(f.sessions.RevokeWorkspace("w9").ok());
  rpc::RevocationList list(f.server.url(), f.redis, 60'000);
  REQUIRE(list.Reload().ok());
  CHECK(list.Revoked(c));
  c.workspace_id = "w8";
  CHECK_FALSE(list.Revoked(c));
}

TEST_CASE("malformed revocation messages change nothing", "[auth][sessions]") {
  Fixture f;
  rpc::RevocationList list(f.server.url(), f.redis, 60'000);
  list.Apply("");
  list.Apply("user");
  list.Apply("group g1 123");
  list.Apply("user u1 notanumber");
  CHECK(list.size() == 0);
}

TEST_CASE("ten failed logins lock that email, and only that email", "[auth][lockout]") {
  testing::RedisServer server;
  LoginGuard guard(Unwrap(redis::Connect(server.url())));
  for (int i = 0; i < LoginGuard::kMaxFailures; ++i) {
    REQUIRE(guard.Check("victim@example.com").ok());
    guard.RecordFailure("victim@example.com");
  }
  Status locked = guard.Check("victim@example.com");
  CHECK(locked.code() == Code::kResourceExhausted);
  CHECK(locked.retry_after_seconds() > 0);
  CHECK(locked.retry_after_seconds() <= LoginGuard::kWindowSeconds);
  CHECK(guard.Check("someone-else@example.com").ok());
}

TEST_CASE("a Redis outage does not lock anyone out", "[auth][lockout]") {
  redis::RedisOptions options;
  options.connect_timeout_ms = 200;
  options.command_timeout_ms = 200;
  LoginGuard guard(Unwrap(redis::Connect("unix:///nonexistent/redis.sock", options)));
  guard.RecordFailure("a@example.com");
  CHECK(guard.Check("a@example.com").ok());
}

}  // namespace
}  // namespace salesos::auth
