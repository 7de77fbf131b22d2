#pragma once

// TokenVerifier: turns a bearer token into a Caller. The gateway and every service use the same
// implementation: Ed25519 JWT verification against the issuer's public keys, with verified tokens
// cached by their SHA-256 until they expire (a hit costs one hash instead of a signature check).
// Thread-safe.

#include <array>
#include <atomic>
#include <functional>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/core/time.h"
#include "salesos/crypto/jwt.h"
#include "salesos/rpc/caller.h"

namespace salesos::rpc {

class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  virtual Result<Caller> Verify(std::string_view token) = 0;
};
using TokenVerifierPtr = std::shared_ptr<TokenVerifier>;

// Where the public keys come from: auth's own key in auth, auth's GetJwks rpc elsewhere.
using KeySource = std::function<Result<std::vector<crypto::Jwk>>()>;

// Key rotation: a token whose kid is not among the keys held makes the verifier fetch the keys
// again at once (the issuer may have started signing with a new key, e.g. auth restarted after a
// rotation) and verify with the fresh set; the fetches are rate-limited, so forged kids cannot make
// it hammer the source. The set is also fetched again once it is older than key_max_age_ms, so a
// key the issuer retired stops verifying new tokens within that time. Other failures (expired, bad
// signature) never fetch.
struct VerifierOptions {
  // At most one fetch in this interval (a token with an unknown kid inside it is refused).
  int64_t key_refresh_interval_ms = 1'000;
  // A set older than this is fetched again on the next verification that is not a cache hit; while
  // that fetch fails (issuer down) the set in hand keeps verifying. 0: never.
  int64_t key_max_age_ms = 5 * 60'000;
  // Entries kept in the verified-token cache; past it the oldest shard is cleared.
  size_t max_cached_tokens = 100'000;
  // Monotonic milliseconds for the two intervals above; empty: MonotonicMillis (tests inject one).
  std::function<int64_t()> monotonic_ms;
};

class JwtTokenVerifier final : public TokenVerifier {
 public:
  JwtTokenVerifier(KeySource keys, VerifierOptions options = {}, const Clock& clock = SystemClock());
  Result<Caller> Verify(std::string_view token) override;

 private:
  struct CachedCaller {
    Caller caller;
  };
  // wait: block until a fetch in progress elsewhere ends (unknown kid) or skip when one is
  // running (age refresh, so a slow issuer never holds up callers that have keys).
  Status RefreshKeys(bool wait);
  int64_t NowMs() const {
    return options_.monotonic_ms ? options_.monotonic_ms() : MonotonicMillis();
  }
  Result<Caller> VerifyUncached(std::string_view token);

  KeySource keys_;
  VerifierOptions options_;
  const Clock& clock_;
  std::shared_mutex verifier_mu_;
  std::shared_ptr<crypto::JwtVerifier> verifier_;
  std::mutex refresh_mu_;
  int64_t last_refresh_ms_ = -1'000'000'000;
  std::atomic<int64_t> fetched_ms_{-1'000'000'000};  // last successful fetch

  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Caller> map;
  };
  std::array<Shard, kShards> cache_;
};

// "Bearer abc" → "abc"; "" when the header is not a bearer credential.
std::string_view BearerToken(std::string_view authorization_header);

}  // namespace salesos::rpc
