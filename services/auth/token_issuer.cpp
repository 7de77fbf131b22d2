#include "token_issuer.h"

#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"
#include "salesos/crypto/hash.h"

namespace salesos::auth {

TokenIssuer::TokenIssuer(crypto::Ed25519Key key, redis::ClientPtr redis, int access_ttl_seconds,
                         const Clock& clock, std::vector<crypto::Ed25519Key> previous_keys)
    : key_(std::move(key)),
      kid_(crypto::KeyId(key_)),
      redis_(std::move(redis)),
      access_ttl_seconds_(access_ttl_seconds),
      clock_(clock) {
  public_keys_.push_back(crypto::ToJwk(key_));
  for (const auto& previous : previous_keys) {
    crypto::Jwk jwk = crypto::ToJwk(previous);
    bool seen = false;
    for (const auto& held : public_keys_) {
      seen = seen || held.kid == jwk.kid;
    }
    if (!seen) {
      public_keys_.push_back(std::move(jwk));
    }
  }
}

std::string TokenIssuer::RefreshKey(const std::string& refresh_token) {
  return "salesos:auth:refresh:" + HexEncode(crypto::Sha256(refresh_token));
}

Result<IssuedTokens> TokenIssuer::Issue(const std::string& user_id,
                                        const std::string& workspace_id, const std::string& role,
                                        const std::string& family) {
  crypto::JwtClaims claims;
  claims.sub = user_id;
  claims.wid = workspace_id;
  claims.role = role;
  claims.typ = "access";
  claims.jti = NewUuidV7();
  claims.iat = clock_.NowSeconds();
  claims.exp = claims.iat + access_ttl_seconds_;

  IssuedTokens out;
  out.access_token = crypto::SignJwt(claims, key_, kid_);
  out.expires_in = access_ttl_seconds_;
  out.refresh_token = crypto::Base64UrlEncode(crypto::SecureRandom(32));
  // The record names the token's family (one login's chain of refresh tokens).
  std::string record =
      user_id + " " + workspace_id + " " + (family.empty() ? claims.jti : family);
  Status st = redis_->Set(RefreshKey(out.refresh_token), record, kRefreshTtlSeconds * 1000);
  if (!st.ok()) {
    return Unavailable("cannot store the session right now; try again");
  }
  return out;
}

std::string TokenIssuer::SignService(const std::string& service, int64_t* expires_at) {
  crypto::JwtClaims claims;
  claims.sub = "service:" + service;
  claims.role = "service";
  claims.typ = "service";
  claims.jti = NewUuidV7();
  claims.iat = clock_.NowSeconds();
  claims.exp = claims.iat + kServiceTokenTtlSeconds;
  *expires_at = claims.exp;
  return crypto::SignJwt(claims, key_, kid_);
}

std::vector<crypto::Jwk> TokenIssuer::PublicKeys() const { return public_keys_; }

}  // namespace salesos::auth
