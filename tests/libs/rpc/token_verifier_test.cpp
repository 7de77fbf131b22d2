// JwtTokenVerifier: bearer parsing, verification, key rotation with a rate-limited key source,
// cache expiry on an injectable clock, and a bounded cache.

#include "salesos/rpc/token_verifier.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/crypto/ed25519.h"
#include "salesos/crypto/jwt.h"
#include "support/process.h"

namespace salesos::rpc {
namespace {

using std::chrono::milliseconds;

// A clock the test moves by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t millis) : millis_(millis) {}
  int64_t NowMillis() const override { return millis_.load(); }
  void Set(int64_t millis) { millis_.store(millis); }
  void AdvanceSeconds(int64_t s) { millis_.fetch_add(s * 1000); }

 private:
  std::atomic<int64_t> millis_;
};

// The keys a fake issuer publishes, and how often they were asked for.
class KeyRing {
 public:
  void Publish(std::vector<crypto::Ed25519Key> keys) {
    std::lock_guard lock(mu_);
    jwks_.clear();
    for (const auto& k : keys) {
      jwks_.push_back(crypto::ToJwk(k));
    }
  }
  KeySource Source() {
    return [this]() -> Result<std::vector<crypto::Jwk>> {
      ++calls_;
      std::lock_guard lock(mu_);
      return jwks_;
    };
  }
  int calls() const { return calls_.load(); }

 private:
  std::mutex mu_;
  std::vector<crypto::Jwk> jwks_;
  std::atomic<int> calls_{0};
};

crypto::Ed25519Key NewKey() {
  auto key = crypto::Ed25519Key::Generate();
  REQUIRE(key.ok());
  return *key;
}

struct TokenSpec {
  std::string sub = "user-1";
  std::string wid = "ws-1";
  std::string role = "admin";
  std::string typ = "access";
  std::string jti = NewUuidV7();
  int64_t iat = 0;
  int64_t exp = 0;
};

std::string Sign(const crypto::Ed25519Key& key, const TokenSpec& spec) {
  crypto::JwtClaims claims;
  claims.sub = spec.sub;
  claims.wid = spec.wid;
  claims.role = spec.role;
  claims.typ = spec.typ;
  claims.jti = spec.jti;
  claims.iat = spec.iat;
  claims.exp = spec.exp;
  return crypto::SignJwt(claims, key, crypto::KeyId(key));
}

// A token valid for `ttl` seconds from the clock's now.
std::string SignFor(const crypto::Ed25519Key& key, const Clock& clock, int64_t ttl = 900,
                    std::string sub = "user-1") {
  TokenSpec spec;
  spec.sub = std::move(sub);
  spec.iat = clock.NowSeconds();
  spec.exp = spec.iat + ttl;
  return Sign(key, spec);
}

TEST_CASE("bearer token takes the credential of a bearer header only", "[rpc][verifier]") {
  CHECK(BearerToken("Bearer abc.def.ghi") == "abc.def.ghi");
  CHECK(BearerToken("bearer abc") == "abc");
  CHECK(BearerToken("BEARER abc") == "abc");
  CHECK(BearerToken("Bearer    abc") == "abc");
  CHECK(BearerToken("Basic dXNlcjpwYXNz") == "");
  CHECK(BearerToken("Bearer ") == "");
  CHECK(BearerToken("Bearer    ") == "");
  CHECK(BearerToken("Bearer") == "");
  CHECK(BearerToken("Bearerabc") == "");
  CHECK(BearerToken("") == "");
  CHECK(BearerToken("abc") == "");
}

TEST_CASE("a valid token gives the caller of its claims", "[rpc][verifier]") {
  ManualClock clock(NowUnixMillis());
  crypto::Ed25519Key key = NewKey();
  KeyRing ring;
  ring.Publish({key});
  JwtTokenVerifier verifier(ring.Source(), {}, clock);

  TokenSpec spec;
  spec.sub = "0190f5c1-7b2a-7cde-8f00-0123456789ab";
  spec.wid = "0190f5c1-7b2a-7cde-8f00-ba9876543210";
  spec.role = "owner";
  spec.iat = clock.NowSeconds();
  spec.exp = spec.iat + 900;
  auto caller = verifier.Verify(Sign(key, spec));
  INFO(caller.status().ToString());
  REQUIRE(caller.ok());
  CHECK(caller->user_id == spec.sub);
  CHECK(caller->workspace_id == spec.wid);
  CHECK(caller->role == "owner");
  CHECK(caller->token_id == spec.jti);
  CHECK(caller->token_type == "access");
  CHECK(caller->expires_at == spec.exp);

  // A second look comes from the cache and says the same.
  auto again = verifier.Verify(Sign(key, spec));
  REQUIRE(again.ok());
  CHECK(again->user_id == spec.sub);
  CHECK(again->expires_at == spec.exp);
}

TEST_CASE("the token type defaults to access and is passed on otherwise", "[rpc][verifier]") {
  ManualClock clock(NowUnixMillis());
  crypto::Ed25519Key key = NewKey();
  KeyRing ring;
  ring.Publish({key});
  JwtTokenVerifier verifier(ring.Source(), {}, clock);

  TokenSpec untyped;
  untyped.typ = "";
  untyped.iat = clock.NowSeconds();
  untyped.exp = untyped.iat + 60;
  auto a = verifier.Verify(Sign(key, untyped));
  REQUIRE(a.ok());
  CHECK(a->token_type == "access");

  TokenSpec service = untyped;
  service.typ = "service";
  service.role = "service";
  service.jti = NewUuidV7();
  auto s = verifier.Verify(Sign(key, service));
  REQUIRE(s.ok());
  CHECK(s->token_type == "service");
  CHECK(s->role == "service");
}

TEST_CASE("an expired token is unauthenticated", "[rpc][verifier]") {
  ManualClock clock(NowUnixMillis());
  crypto::Ed25519Key key = NewKey();
  KeyRing ring;
  ring.Publish({key});
  JwtTokenVerifier verifier(ring.Source(), {}, clock);

  TokenSpec spec;
  spec.iat = clock.NowSeconds() - 1000;
  spec.exp = clock.NowSeconds() - 100;
  auto caller = verifier.Verify(Sign(key, spec));
  CHECK(caller.status().code() == Code::kUnauthenticated);
  CHECK_THAT(caller.status().message(), Catch::Contains("expired"));

  spec.exp = clock.NowSeconds();  // expiry is exclusive
  CHECK(verifier.Verify(Sign(key, spec)).status().code() == Code::kUnauthenticated);
}

TEST_CASE("a token signed with an unknown key is refused", "[rpc][verifier]") {
  ManualClock clock(NowUnixMillis());
  crypto::Ed25519Key key = NewKey();
  crypto::Ed25519Key stranger = NewKey();
  KeyRing ring;
  ring.Publish({key});
  JwtTokenVerifier verifier(ring.Source(), {}, clock);

  REQUIRE(verifier.Verify(SignFor(key, clock)).ok());
  auto caller = verifier.Verify(SignFor(stranger, clock));
  CHECK(caller.status().code() == Code::kUnauthenticated);

  // Signed by the stranger but claiming the trusted key's kid: a bad signature.
  TokenSpec spec;
  spec.iat = clock.NowSeconds();
  spec.exp = spec.iat + 60;
  crypto::JwtClaims claims;
  claims.sub = "intruder";
  claims.iat = spec.iat;
  claims.exp = spec.exp;
  std::string forged = crypto::SignJwt(claims, stranger, crypto::KeyId(key));
  CHECK(verifier.Verify(forged).status().code() == Code::kUnauthenticated);
}

TEST_CASE("empty and malformed tokens are unauthenticated", "[rpc][verifier]") {
  KeyRing ring;
  ring.Publish({NewKey()});
  JwtTokenVerifier verifier(ring.Source());
  for (const char* token : {"", "garbage", "a.b.c", "..", "eyJhbGciOiJub25lIn0.e30."}) {
    INFO(token);
    CHECK(verifier.Verify(token).status().code() == Code::kUnauthenticated);
  }
}

TEST_CASE("a token by a new key verifies once the key source has it", "[rpc][verifier]") {
  ManualClock clock(NowUnixMillis());
  crypto::Ed25519Key a = NewKey();
  crypto::Ed25519Key b = NewKey();
  KeyRing ring;
  ring.Publish({a});
  VerifierOptions options;
  options.key_refresh_interval_ms = 0;  // every unknown key may refresh
  JwtTokenVerifier verifier(ring.Source(), options, clock);

  REQUIRE(verifier.Verify(SignFor(a, clock)).ok());
  int after_first = ring.calls();
  CHECK(after_first == 1);

  // The issuer has not published B yet: refused, after asking the source once.
  std::string by_b = SignFor(b, clock, 900, "user-b");
  CHECK(verifier.Verify(by_b).status().code() == Code::kUnauthenticated);
  CHECK(ring.calls() == after_first + 1);

  // Rotation: the source now returns A and B.
  ring.Publish({a, b});
  auto caller = verifier.Verify(by_b);
  INFO(caller.status().ToString());
  REQUIRE(caller.ok());
  CHECK(caller->user_id == "user-b");
  CHECK(ring.calls() == after_first + 2);

  // A is still trusted, also for tokens not seen before.
  CHECK(verifier.Verify(SignFor(a, clock, 300, "user-a2")).ok());
  // A verified token is not checked against the source again.
  int before = ring.calls();
  CHECK(verifier.Verify(by_b).ok());
  CHECK(ring.calls() == before);
}

TEST_CASE("forged tokens cannot make the verifier hammer the key source", "[rpc][verifier]") {
  ManualClock clock(NowUnixMillis());
  crypto::Ed25519Key key = NewKey();
  crypto::Ed25519Key stranger = NewKey();
  KeyRing ring;
  ring.Publish({key});
  VerifierOptions options;
  options.key_refresh_interval_ms = 60'000;
  JwtTokenVerifier verifier(ring.Source(), options, clock);

  REQUIRE(verifier.Verify(SignFor(key, clock)).ok());
  REQUIRE(ring.calls() == 1);

  std::string forged = SignFor(stranger, clock);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(verifier.Verify(forged).status().code() == Code::kUnauthenticated);
    // Distinct forged tokens too, so no cache could be what stops them.
    REQUIRE(verifier.Verify(SignFor(stranger, clock, 60 + i)).status().code() ==
            Code::kUnauthenticated);
  }
  CHECK(ring.calls() <= 2);
  // The verifier still works for genuine tokens.
  CHECK(verifier.Verify(SignFor(key, clock, 120, "user-2")).ok());
}

TEST_CASE("a rotated key is picked up within bounded time while fetches stay rate limited",
          "[rpc][verifier]") {
  ManualClock clock(NowUnixMillis());
  crypto::Ed25519Key a = NewKey();
  crypto::Ed25519Key b = NewKey();
  KeyRing ring;
  ring.Publish({a});
  VerifierOptions options;
  options.key_refresh_interval_ms = 300;
  JwtTokenVerifier verifier(ring.Source(), options, clock);

  auto start = std::chrono::steady_clock::now();
  REQUIRE(verifier.Verify(SignFor(a, clock)).ok());
  ring.Publish({a, b});
  std::string by_b = SignFor(b, clock, 900, "user-b");

  // Polled hard: B is accepted within a bounded time, while the source is asked at most once per
  // interval (plus the first fetch).
  bool accepted =
      testing::WaitFor([&] { return verifier.Verify(by_b).ok(); }, milliseconds(10'000));
  auto elapsed_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  CHECK(accepted);
  INFO("elapsed " << elapsed_ms << " ms, " << ring.calls() << " key fetches");
  CHECK(ring.calls() >= 2);
  CHECK(ring.calls() <= 2 + elapsed_ms / options.key_refresh_interval_ms);
}

TEST_CASE("a cached token stops verifying once it expires", "[rpc][verifier]") {
  ManualClock clock(1'800'000'000'000);
  crypto::Ed25519Key key = NewKey();
  KeyRing ring;
  ring.Publish({key});
  JwtTokenVerifier verifier(ring.Source(), {}, clock);

  std::string token = SignFor(key, clock, 60);
  REQUIRE(verifier.Verify(token).ok());  // verified and cached

  clock.AdvanceSeconds(59);
  CHECK(verifier.Verify(token).ok());

  clock.AdvanceSeconds(1);  // now == exp
  auto expired = verifier.Verify(token);
  CHECK(expired.status().code() == Code::kUnauthenticated);
  CHECK_THAT(expired.status().message(), Catch::Contains("expired"));

  clock.AdvanceSeconds(3600);
  CHECK(verifier.Verify(token).status().code() == Code::kUnauthenticated);
}

TEST_CASE("the token cache stays bounded and correct past its size", "[rpc][verifier]") {
  ManualClock clock(NowUnixMillis());
  crypto::Ed25519Key key = NewKey();
  crypto::Ed25519Key stranger = NewKey();
  KeyRing ring;
  ring.Publish({key});
  size_t max_cached = GENERATE(as<size_t>{}, 0, 1, 16, 40);
  INFO("max_cached_tokens " << max_cached);
  VerifierOptions options;
  options.max_cached_tokens = max_cached;
  JwtTokenVerifier verifier(ring.Source(), options, clock);

  std::vector<std::string> tokens;
  for (int i = 0; i < 300; ++i) {
    tokens.push_back(SignFor(key, clock, 600 + i, "user-" + std::to_string(i)));
  }
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      auto caller = verifier.Verify(tokens[i]);
      REQUIRE(caller.ok());
      REQUIRE(caller->user_id == "user-" + std::to_string(i));
    }
  }
  CHECK(verifier.Verify(SignFor(stranger, clock)).status().code() == Code::kUnauthenticated);
  // Entries evicted or not, expiry still holds for all of them.
  clock.AdvanceSeconds(600 + 300);
  for (const auto& token : tokens) {
    REQUIRE(verifier.Verify(token).status().code() == Code::kUnauthenticated);
  }
}

TEST_CASE("many threads verify at once", "[rpc][verifier]") {
  ManualClock clock(NowUnixMillis());
  crypto::Ed25519Key key = NewKey();
  crypto::Ed25519Key stranger = NewKey();
  KeyRing ring;
  ring.Publish({key});
  VerifierOptions options;
  options.max_cached_tokens = 64;
  JwtTokenVerifier verifier(ring.Source(), options, clock);

  std::vector<std::string> good;
  for (int i = 0; i < 50; ++i) {
    good.push_back(SignFor(key, clock, 600, "user-" + std::to_string(i)));
  }
  std::string bad = SignFor(stranger, clock);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < good.size(); ++i) {
          auto c = verifier.Verify(good[(i + t) % good.size()]);
          if (!c.ok() || c->user_id != "user-" + std::to_string((i + t) % good.size())) {
            ++failures;
          }
        }
        if (verifier.Verify(bad).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(failures.load() == 0);
}

// Monotonic time the test moves by hand, for the verifier's rate limit and key age.
struct ManualMonotonic {
  std::atomic<int64_t> ms{1'000'000};
  std::function<int64_t()> Source() {
    return [this] { return ms.load(); };
  }
};

TEST_CASE("a token with a kid not seen before makes the verifier fetch the keys at once, even "
          "right after expired and forged tokens",
          "[rpc][verifier][rotation]") {
  ManualClock clock(NowUnixMillis());
  ManualMonotonic mono;
  crypto::Ed25519Key a = NewKey();
  crypto::Ed25519Key b = NewKey();
  crypto::Ed25519Key stranger = NewKey();
  KeyRing ring;
  ring.Publish({a});
  VerifierOptions options;
  options.monotonic_ms = mono.Source();
  JwtTokenVerifier verifier(ring.Source(), options, clock);
  REQUIRE(verifier.Verify(SignFor(a, clock)).ok());
  REQUIRE(ring.calls() == 1);

  mono.ms += 60'000;  // long after the last fetch, well inside the key max age
  // Expired tokens and bad signatures under a known kid are not a reason to fetch.
  TokenSpec expired;
  expired.iat = clock.NowSeconds() - 1000;
  expired.exp = clock.NowSeconds() - 10;
  CHECK_THAT(verifier.Verify(Sign(a, expired)).status().message(), Catch::Contains("expired"));
  crypto::JwtClaims claims;
  claims.sub = "intruder";
  claims.iat = clock.NowSeconds();
  claims.exp = claims.iat + 60;
  CHECK(verifier.Verify(crypto::SignJwt(claims, stranger, crypto::KeyId(a))).status().message() ==
        "bad signature");
  CHECK(ring.calls() == 1);

  // Auth restarted with key B (A kept as a previous key): B's first token is fetched for at once,
  // in the same call, and A's tokens still verify.
  ring.Publish({b, a});
  auto by_b = verifier.Verify(SignFor(b, clock, 900, "user-b"));
  INFO(by_b.status().ToString());
  REQUIRE(by_b.ok());
  CHECK(by_b->user_id == "user-b");
  CHECK(ring.calls() == 2);
  CHECK(verifier.Verify(SignFor(a, clock, 600, "user-a2")).ok());
  CHECK(ring.calls() == 2);
}

TEST_CASE("unknown kids make the verifier fetch at most once per refresh interval",
          "[rpc][verifier][rotation]") {
  ManualClock clock(NowUnixMillis());
  ManualMonotonic mono;
  crypto::Ed25519Key a = NewKey();
  crypto::Ed25519Key b = NewKey();
  KeyRing ring;
  ring.Publish({a});
  VerifierOptions options;
  options.key_refresh_interval_ms = 1'000;
  options.monotonic_ms = mono.Source();
  JwtTokenVerifier verifier(ring.Source(), options, clock);
  REQUIRE(verifier.Verify(SignFor(a, clock)).ok());
  REQUIRE(ring.calls() == 1);

  // Inside the interval: every new kid is refused without a fetch, however many arrive.
  mono.ms += 500;
  ring.Publish({a, b});
  std::string by_b = SignFor(b, clock, 900, "user-b");
  for (int i = 0; i < 50; ++i) {
    auto forged = NewKey();
    REQUIRE(verifier.Verify(SignFor(forged, clock)).status().message() == "unknown signing key");
  }
  CHECK(verifier.Verify(by_b).status().message() == "unknown signing key");
  CHECK(ring.calls() == 1);

  // Once the interval has passed, one fetch, and B verifies.
  mono.ms += 600;
  CHECK(verifier.Verify(by_b).ok());
  CHECK(ring.calls() == 2);
  // And forged kids again get one fetch per interval at most.
  for (int i = 0; i < 50; ++i) {
    mono.ms += 100;
    CHECK_FALSE(verifier.Verify(SignFor(NewKey(), clock)).ok());
  }
  CHECK(ring.calls() == 2 + 5);  // at +1000, +2000, ... +5000
}

TEST_CASE("a key the issuer stopped publishing stops verifying new tokens within the key max age",
          "[rpc][verifier][rotation]") {
  ManualClock clock(NowUnixMillis());
  ManualMonotonic mono;
  crypto::Ed25519Key old_key = NewKey();
  crypto::Ed25519Key new_key = NewKey();
  KeyRing ring;
  ring.Publish({new_key, old_key});
  VerifierOptions options;
  options.key_max_age_ms = 60'000;
  options.monotonic_ms = mono.Source();
  JwtTokenVerifier verifier(ring.Source(), options, clock);
  REQUIRE(verifier.Verify(SignFor(old_key, clock, 900, "user-1")).ok());
  REQUIRE(ring.calls() == 1);

  // The operator retired the old key; inside the max age the set in hand still has it.
  ring.Publish({new_key});
  mono.ms += 30'000;
  CHECK(verifier.Verify(SignFor(old_key, clock, 900, "user-2")).ok());
  CHECK(ring.calls() == 1);
  // Past it, the next uncached verification fetches, and the old key is gone.
  mono.ms += 31'000;
  CHECK(verifier.Verify(SignFor(old_key, clock, 900, "user-3")).status().message() ==
        "unknown signing key");
  CHECK(ring.calls() == 2);
  CHECK(verifier.Verify(SignFor(new_key, clock, 900, "user-4")).ok());
}

TEST_CASE("while the key source fails, the keys in hand keep verifying",
          "[rpc][verifier][rotation]") {
  ManualClock clock(NowUnixMillis());
  ManualMonotonic mono;
  crypto::Ed25519Key key = NewKey();
  KeyRing ring;
  ring.Publish({key});
  std::atomic<bool> down{false};
  KeySource inner = ring.Source();
  KeySource source = [&]() -> Result<std::vector<crypto::Jwk>> {
    if (down.load()) {
      return Unavailable("auth is restarting");
    }
    return inner();
  };
  VerifierOptions options;
  options.key_max_age_ms = 1'000;
  options.monotonic_ms = mono.Source();
  JwtTokenVerifier verifier(source, options, clock);
  REQUIRE(verifier.Verify(SignFor(key, clock, 900, "user-1")).ok());
  down = true;
  for (int i = 0; i < 5; ++i) {
    mono.ms += 5'000;
    CHECK(verifier.Verify(SignFor(key, clock, 900, "user-" + std::to_string(i + 2))).ok());
  }
}

}  // namespace
}  // namespace salesos::rpc
