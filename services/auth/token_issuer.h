#pragma once

// TokenIssuer: signs access tokens (Ed25519 JWT: sub, wid, role, exp, iat, jti, kid header) and
// creates refresh tokens (opaque random; only their SHA-256 is stored, in Redis, with a TTL).
// Thread-safe.

#include <string>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/core/time.h"
#include "salesos/crypto/ed25519.h"
#include "salesos/crypto/jwt.h"
#include "salesos/redis/redis.h"

namespace salesos::auth {

inline constexpr int kDefaultAccessTtlSeconds = 15 * 60;
inline constexpr int64_t kRefreshTtlSeconds = 30LL * 24 * 3600;
inline constexpr int kServiceTokenTtlSeconds = 5 * 60;

struct IssuedTokens {
  std::string access_token;
  std::string refresh_token;
  int expires_in = 0;
};

class TokenIssuer {
 public:
  // Signs with `key` only. `previous_keys` (only their public halves matter) are published beside
  // it by PublicKeys, so tokens signed before a key rotation verify until they expire.
  TokenIssuer(crypto::Ed25519Key key, redis::ClientPtr redis, int access_ttl_seconds,
              const Clock& clock = SystemClock(),
              std::vector<crypto::Ed25519Key> previous_keys = {});

  // kUnavailable when the refresh token cannot be stored. `family` names the chain of refresh
  // tokens the new one belongs to (Sessions); empty: a chain of its own (the access token's jti).
  Result<IssuedTokens> Issue(const std::string& user_id, const std::string& workspace_id,
                             const std::string& role, const std::string& family = "");
  // A service token: typ "service", sub the service's name, role "service", 5 minutes.
  std::string SignService(const std::string& service, int64_t* expires_at);
  int access_ttl_seconds() const { return access_ttl_seconds_; }
  // The public keys that verify what this issuer signs, the current key first, then each previous
  // key once (one whose kid equals an earlier one's is left out). The JWKS (GetJwks) serves these.
  std::vector<crypto::Jwk> PublicKeys() const;
  // The kid of the signing key: its RFC 7638 thumbprint, so the same key has the same kid on
  // every replica and across restarts.
  const std::string& kid() const { return kid_; }

  // The Redis key under which a refresh token's record lives.
  static std::string RefreshKey(const std::string& refresh_token);

 private:
  crypto::Ed25519Key key_;
  std::string kid_;
  std::vector<crypto::Jwk> public_keys_;
  redis::ClientPtr redis_;
  int access_ttl_seconds_;
  const Clock& clock_;
};

}  // namespace salesos::auth
