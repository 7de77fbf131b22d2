#include "salesos/rpc/token_verifier.h"

#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/crypto/hash.h"

namespace salesos::rpc {

std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size()) {
    return {};
  }
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kPrefix[i]))) {
      return {};
    }
  }
  header.remove_prefix(kPrefix.size());
  while (!header.empty() && header.front() == ' ') {
    header.remove_prefix(1);
  }
  return header;
}

JwtTokenVerifier::JwtTokenVerifier(KeySource keys, VerifierOptions options, const Clock& clock)
    : keys_(std::move(keys)),
      options_(options),
      clock_(clock),
      verifier_(std::make_shared<crypto::JwtVerifier>()) {}

Status JwtTokenVerifier::RefreshKeys(bool wait) {
  std::unique_lock lock(refresh_mu_, std::defer_lock);
  if (wait) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return OkStatus();
  }
  int64_t now = NowMs();
  if (now - last_refresh_ms_ < options_.key_refresh_interval_ms) {
    return OkStatus();
  }
  last_refresh_ms_ = now;
  auto jwks = keys_();
  if (!jwks.ok()) {
    log::Warn("cannot fetch token signing keys", {{"error", jwks.status().message()}});
    return jwks.status();
  }
  auto fresh = std::make_shared<crypto::JwtVerifier>();
  for (const auto& jwk : *jwks) {
    auto key = crypto::FromJwk(jwk);
    if (!key.ok()) {
      log::Warn("ignoring a bad signing key", {{"kid", jwk.kid}, {"error", key.status().message()}});
      continue;
    }
    fresh->AddKey(jwk.kid, std::move(*key));
  }
  {
    std::unique_lock wlock(verifier_mu_);
    verifier_ = std::move(fresh);
  }
  fetched_ms_.store(now);
  return OkStatus();
}

Result<Caller> JwtTokenVerifier::VerifyUncached(std::string_view token) {
  if (options_.key_max_age_ms > 0 &&
      NowMs() - fetched_ms_.load() > options_.key_max_age_ms) {
    RefreshKeys(/*wait=*/false).ok();  // failures are logged; the keys in hand still verify
  }
  std::shared_ptr<crypto::JwtVerifier> verifier;
  {
    std::shared_lock lock(verifier_mu_);
    verifier = verifier_;
  }
  auto claims = verifier->Verify(token, clock_.NowSeconds());
  // jwt.h's contract: exactly this message when the kid is missing or not among the keys.
  if (!claims.ok() && claims.status().message() == "unknown signing key") {
    // The issuer may have a key we have not seen yet (a rotation): fetch the keys (rate-limited)
    // and retry once with whatever set is newest by then.
    RefreshKeys(/*wait=*/true).ok();
    {
      std::shared_lock lock(verifier_mu_);
      if (verifier_ == verifier) {
        return claims.status();
      }
      verifier = verifier_;
    }
    claims = verifier->Verify(token, clock_.NowSeconds());
  }
  if (!claims.ok()) {
    return claims.status();
  }
  Caller caller;
  caller.user_id = claims->sub;
  caller.workspace_id = claims->wid;
  caller.role = claims->role;
  caller.token_id = claims->jti;
  caller.token_type = claims->typ.empty() ? "access" : claims->typ;
  caller.issued_at = claims->iat;
  caller.issued_at_ms = UuidV7Millis(claims->jti);
  if (caller.issued_at_ms <= 0 || caller.issued_at_ms / 1000 != claims->iat) {
    caller.issued_at_ms = claims->iat * 1000;
  }
  caller.expires_at = claims->exp;
  return caller;
}

Result<Caller> JwtTokenVerifier::Verify(std::string_view token) {
  if (token.empty()) {
    return Unauthenticated("missing bearer token");
  }
  std::string key = crypto::Sha256(token);
  Shard& shard = cache_[static_cast<unsigned char>(key[0]) % kShards];
  int64_t now = clock_.NowSeconds();
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      if (it->second.expires_at > now) {
        return it->second;
      }
      shard.map.erase(it);
      return Unauthenticated("token expired");
    }
  }
  auto caller = VerifyUncached(token);
  if (caller.ok()) {
    std::lock_guard lock(shard.mu);
    if (shard.map.size() >= options_.max_cached_tokens / kShards) {
      shard.map.clear();  // bounded memory; entries are cheap to rebuild
    }
    shard.map.emplace(std::move(key), *caller);
  }
  return caller;
}

}  // namespace salesos::rpc
