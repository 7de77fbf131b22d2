#pragma once

// TokenVerifier: turns a bearer token into a Caller. The gateway and every service use the same
// implementation: Ed25519 JWT verification against the issuer's public keys, with verified tokens
// cached by their SHA-256 until they expire (a hit costs one hash instead of a signature check).
// Thread-safe.

#include <array>
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

struct VerifierOptions {
  // Keys are fetched again when a token fails verification, at most this often.
  int64_t key_refresh_interval_ms = 10'000;
  // Entries kept in the verified-token cache; past it the oldest shard is cleared.
  size_t max_cached_tokens = 100'000;
};

class JwtTokenVerifier final : public TokenVerifier {
 public:
  JwtTokenVerifier(KeySource keys, VerifierOptions options = {}, const Clock& clock = SystemClock());
  Result<Caller> Verify(std::string_view token) override;

 private:
  struct CachedCaller {
    Caller caller;
  };
  Status RefreshKeys();
  Result<Caller> VerifyUncached(std::string_view token);

  KeySource keys_;
  VerifierOptions options_;
  const Clock& clock_;
  std::shared_mutex verifier_mu_;
  std::shared_ptr<crypto::JwtVerifier> verifier_;
  std::mutex refresh_mu_;
  int64_t last_refresh_ms_ = -1'000'000'000;

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
