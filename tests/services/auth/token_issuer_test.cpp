// TokenIssuer with a real, private redis-server: signed access tokens and stored refresh tokens.

#include "token_issuer.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/crypto/encoding.h"
#include "salesos/crypto/jwt.h"
#include "salesos/redis/redis.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace salesos::auth {
namespace {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t millis) : millis_(millis) {}
  int64_t NowMillis() const override { return millis_; }

 private:
  int64_t millis_;
};

template <typename T>
T Unwrap(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

crypto::Ed25519Key NewKey() { return Unwrap(crypto::Ed25519Key::Generate()); }

redis::ClientPtr ConnectTo(const std::string& url) {
  redis::RedisOptions options;
  options.connect_timeout_ms = 500;
  options.command_timeout_ms = 500;
  return Unwrap(redis::Connect(url, options));
}

TEST_CASE("issued access token verifies with the issuer's key and carries the claims",
          "[auth][tokens]") {
  testing::RedisServer server;
  crypto::Ed25519Key key = NewKey();
  const FixedClock clock(NowUnixMillis());
  TokenIssuer issuer(key, ConnectTo(server.url()), 600, clock);

  IssuedTokens tokens = Unwrap(issuer.Issue("user-1", "ws-1", "owner"));
  CHECK(tokens.expires_in == 600);
  REQUIRE_FALSE(tokens.access_token.empty());

  crypto::JwtVerifier verifier;
  verifier.AddKey(crypto::KeyId(key), key);
  crypto::JwtClaims claims = Unwrap(verifier.Verify(tokens.access_token, clock.NowSeconds()));
  CHECK(claims.sub == "user-1");
  CHECK(claims.wid == "ws-1");
  CHECK(claims.role == "owner");
  CHECK(claims.typ == "access");
  CHECK(claims.iat == clock.NowSeconds());
  CHECK(claims.exp - claims.iat == 600);
  CHECK(IsUuid(claims.jti));

  // It expires exactly ttl seconds after issue.
  CHECK(verifier.Verify(tokens.access_token, clock.NowSeconds() + 599).ok());
  CHECK(verifier.Verify(tokens.access_token, clock.NowSeconds() + 600).status().code() ==
        Code::kUnauthenticated);
}

TEST_CASE("issued access token verifies with the published public keys", "[auth][tokens]") {
  testing::RedisServer server;
  crypto::Ed25519Key key = NewKey();
  TokenIssuer issuer(key, ConnectTo(server.url()), kDefaultAccessTtlSeconds);

  auto jwks = issuer.PublicKeys();
  REQUIRE(jwks.size() == 1);
  CHECK(jwks[0].kid == crypto::KeyId(key));
  crypto::JwtVerifier verifier;
  verifier.AddKey(jwks[0].kid, Unwrap(crypto::FromJwk(jwks[0])));

  IssuedTokens tokens = Unwrap(issuer.Issue("user-2", "ws-2", "agent"));
  auto claims = Unwrap(verifier.Verify(tokens.access_token, NowUnixSeconds()));
  CHECK(claims.sub == "user-2");
  CHECK(claims.exp - claims.iat == kDefaultAccessTtlSeconds);

  // A verifier that only knows another key refuses it.
  crypto::JwtVerifier stranger;
  crypto::Ed25519Key other = NewKey();
  stranger.AddKey(crypto::KeyId(other), other);
  CHECK(stranger.Verify(tokens.access_token, NowUnixSeconds()).status().code() ==
        Code::kUnauthenticated);
}

TEST_CASE("refresh token is stored in redis by its hash for 30 days", "[auth][tokens]") {
  testing::RedisServer server;
  redis::ClientPtr redis = ConnectTo(server.url());
  TokenIssuer issuer(NewKey(), redis, 900);

  IssuedTokens tokens = Unwrap(issuer.Issue("user-3", "ws-3", "owner"));
  REQUIRE(tokens.refresh_token.size() >= 32);

  const std::string key = TokenIssuer::RefreshKey(tokens.refresh_token);
  CHECK(key == TokenIssuer::RefreshKey(tokens.refresh_token));
  // Only a hash of the token is stored: the key does not contain the token itself.
  CHECK(key.find(tokens.refresh_token) == std::string::npos);

  auto record = Unwrap(redis->Get(key));
  REQUIRE(record.has_value());
  CHECK_THAT(*record, Catch::Contains("user-3"));
  CHECK_THAT(*record, Catch::Contains("ws-3"));

  auto pttl = Unwrap(redis->Command({"PTTL", key}));
  REQUIRE(pttl.type == redis::Reply::Type::kInteger);
  constexpr int64_t kThirtyDaysMs = 30LL * 24 * 3600 * 1000;
  CHECK(pttl.integer <= kThirtyDaysMs);
  CHECK(pttl.integer > kThirtyDaysMs - 60'000);

  // Nothing is stored under the raw token.
  CHECK_FALSE(Unwrap(redis->Get(tokens.refresh_token)).has_value());
}

TEST_CASE("each issue makes a new refresh token and token id", "[auth][tokens]") {
  testing::RedisServer server;
  redis::ClientPtr redis = ConnectTo(server.url());
  crypto::Ed25519Key key = NewKey();
  TokenIssuer issuer(key, redis, 900);

  IssuedTokens a = Unwrap(issuer.Issue("user-4", "ws-4", "owner"));
  IssuedTokens b = Unwrap(issuer.Issue("user-4", "ws-4", "owner"));
  CHECK(a.refresh_token != b.refresh_token);
  CHECK(a.access_token != b.access_token);
  CHECK(TokenIssuer::RefreshKey(a.refresh_token) != TokenIssuer::RefreshKey(b.refresh_token));
  CHECK(Unwrap(redis->Get(TokenIssuer::RefreshKey(a.refresh_token))).has_value());
  CHECK(Unwrap(redis->Get(TokenIssuer::RefreshKey(b.refresh_token))).has_value());

  crypto::JwtVerifier verifier;
  verifier.AddKey(crypto::KeyId(key), key);
  CHECK(Unwrap(verifier.Verify(a.access_token, NowUnixSeconds())).jti !=
        Unwrap(verifier.Verify(b.access_token, NowUnixSeconds())).jti);
}

TEST_CASE("issue is unavailable when redis has gone away", "[auth][tokens]") {
  redis::ClientPtr redis;
  {
    testing::RedisServer server;
    redis = ConnectTo(server.url());
    TokenIssuer issuer(NewKey(), redis, 900);
    REQUIRE(issuer.Issue("user-5", "ws-5", "owner").ok());
  }  // the server is killed here; the client's pooled connection is now dead
  TokenIssuer issuer(NewKey(), redis, 900);
  auto first = issuer.Issue("user-5", "ws-5", "owner");
  CHECK(first.status().code() == Code::kUnavailable);
  // The message is for a client: it names no internals.
  CHECK_THAT(first.status().message(), !Catch::Contains("redis"));
  // Still down on the next call (a fresh connection attempt fails too).
  CHECK(issuer.Issue("user-5", "ws-5", "owner").status().code() == Code::kUnavailable);
}

TEST_CASE("issue is unavailable when redis was never there", "[auth][tokens]") {
  testing::TempDir dir;
  TokenIssuer issuer(NewKey(), ConnectTo("unix://" + dir.File("no-redis.sock")), 900);
  auto tokens = issuer.Issue("user-6", "ws-6", "owner");
  CHECK(tokens.status().code() == Code::kUnavailable);
}

TEST_CASE("after a key rotation the JWKS carries the previous keys beside the current one and "
          "only the current key signs",
          "[auth][tokens][rotation]") {
  testing::RedisServer server;
  auto redis = ConnectTo(server.url());
  const FixedClock clock(NowUnixMillis());
  crypto::Ed25519Key old_key = NewKey();
  crypto::Ed25519Key older_key = NewKey();
  crypto::Ed25519Key new_key = NewKey();

  // Before the rotation: tokens by the old key.
  TokenIssuer before(old_key, redis, 600, clock);
  IssuedTokens old_tokens = Unwrap(before.Issue("user-1", "ws-1", "owner"));
  int64_t old_service_expiry = 0;
  std::string old_service = before.SignService("campaign", &old_service_expiry);

  // After: signing with the new key, the old one (and an older one, given as a public key only,
  // listed twice and once more as the current key) published too.
  crypto::Ed25519Key older_public =
      Unwrap(crypto::Ed25519Key::FromPublicRaw(older_key.PublicRaw()));
  TokenIssuer after(new_key, redis, 600, clock, {old_key, older_public, older_public, new_key});
  auto jwks = after.PublicKeys();
  REQUIRE(jwks.size() == 3);
  CHECK(jwks[0].kid == crypto::KeyId(new_key));
  CHECK(jwks[1].kid == crypto::KeyId(old_key));
  CHECK(jwks[2].kid == crypto::KeyId(older_key));
  CHECK(after.kid() == crypto::KeyId(new_key));

  crypto::JwtVerifier verifier;
  for (const auto& jwk : jwks) {
    verifier.AddKey(jwk.kid, Unwrap(crypto::FromJwk(jwk)));
  }
  // Tokens issued before the rotation still verify, user and service tokens alike.
  CHECK(Unwrap(verifier.Verify(old_tokens.access_token, clock.NowSeconds())).sub == "user-1");
  CHECK(Unwrap(verifier.Verify(old_service, clock.NowSeconds())).sub == "service:campaign");

  // New tokens carry the new key's kid and verify with the new key alone.
  IssuedTokens new_tokens = Unwrap(after.Issue("user-2", "ws-2", "agent"));
  std::string header = Unwrap(crypto::Base64UrlDecode(
      new_tokens.access_token.substr(0, new_tokens.access_token.find('.'))));
  CHECK_THAT(header, Catch::Contains("\"kid\":\"" + crypto::KeyId(new_key) + "\""));
  crypto::JwtVerifier new_only;
  new_only.AddKey(crypto::KeyId(new_key), new_key);
  CHECK(new_only.Verify(new_tokens.access_token, clock.NowSeconds()).ok());
  int64_t expires = 0;
  CHECK(new_only.Verify(after.SignService("campaign", &expires), clock.NowSeconds()).ok());
  CHECK(new_only.Verify(old_tokens.access_token, clock.NowSeconds()).status().message() ==
        "unknown signing key");
}

TEST_CASE("the kid is derived from the key, so a restarted issuer with the same key keeps it",
          "[auth][tokens][rotation]") {
  testing::TempDir dir;
  testing::RedisServer server;
  auto redis = ConnectTo(server.url());
  std::string path = dir.File("jwt.pem");
  crypto::Ed25519Key first = Unwrap(crypto::LoadOrCreateSigningKey(path));
  crypto::Ed25519Key again = Unwrap(crypto::LoadOrCreateSigningKey(path));
  TokenIssuer a(first, redis, 600);
  TokenIssuer b(again, redis, 600);
  CHECK(a.kid() == b.kid());
  CHECK(a.kid() == crypto::KeyId(first));
  CHECK(a.kid().size() == 43);
  CHECK(TokenIssuer(NewKey(), redis, 600).kid() != a.kid());
}

}  // namespace
}  // namespace salesos::auth
