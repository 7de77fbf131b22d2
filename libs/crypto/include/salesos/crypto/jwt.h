#pragma once

// JSON Web Tokens signed with Ed25519 (JWS "EdDSA", RFC 8037), as the auth service issues them and
// every other service checks them.
//
// Keys are named by their RFC 7638 JWK thumbprint (KeyId), so a kid is derived from the key itself
// and the same key always gets the same kid, on every replica.

#include <cstdint>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "salesos/core/status.h"
#include "salesos/crypto/ed25519.h"

namespace salesos::crypto {

// Tokens longer than this are rejected before any parsing.
inline constexpr size_t kMaxJwtBytes = 8 * 1024;
// How far in the future "iat" may be, to absorb clock skew between the issuer and this host.
inline constexpr int64_t kMaxIatSkewSeconds = 60;

struct JwtClaims {
  std::string sub;   // subject: user or service account id; required by Verify
  std::string wid;   // workspace id
  std::string role;  // role within the workspace
  std::string jti;   // token id, for revocation lists
  std::string typ;   // "access" or "service"; Verify does not check it, callers must
  int64_t iat = 0;   // issued at, Unix seconds
  int64_t exp = 0;   // expires at, Unix seconds; required by Verify
};

// RFC 7638 thumbprint: base64url(SHA-256('{"crv":"Ed25519","kty":"OKP","x":"<base64url pub>"}')),
// 43 characters.
std::string KeyId(const Ed25519Key& key);

// header {"alg":"EdDSA","typ":"JWT","kid":<kid>}; payload holds the non-empty string claims and,
// always, iat and exp. Precondition: key.HasPrivate().
std::string SignJwt(const JwtClaims& claims, const Ed25519Key& key, std::string_view kid);

// Checks tokens against a set of public keys by kid. Add keys at start-up (or on rotation); Verify
// may be called from any number of threads at once, also while a key is being added. Neither
// copyable nor movable (it owns its lock); keep one per process, by value in its owner.
//
// Every failure is kUnauthenticated with one of these messages; the first failing check wins, in
// this order (the payload is not parsed until the signature has verified):
//   "malformed token"            over kMaxJwtBytes, not three base64url segments, or the header
//                                not a JSON object, or a "crit" header (no extensions are
//                                supported)
//   "unsupported alg"            header alg is not exactly "EdDSA" (so "none", "HS256", missing)
//   "unknown signing key"        kid missing or not added
//   "bad signature"              signature does not verify over the "header.payload" bytes
//   "malformed token"            payload not a JSON object, or a claim of the wrong type
//   "token has no expiry"        exp missing
//   "token expired"              exp <= now; no leeway, since issuers pick short lifetimes and a
//                                leeway would only extend them
//   "token issued in the future" iat > now + kMaxIatSkewSeconds
//   "token has no subject"       sub missing or empty
class JwtVerifier {
 public:
  // Replaces any key already added under `kid`. Only the public half is used.
  void AddKey(std::string kid, Ed25519Key public_key);
  bool HasKey(std::string_view kid) const;
  Result<JwtClaims> Verify(std::string_view token, int64_t now_unix_seconds) const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, Ed25519Key, std::less<>> keys_;
};

// The fields of an OKP/Ed25519 public JWK (RFC 8037) that a JWKS document needs; kty "OKP" and crv
// "Ed25519" are implied.
struct Jwk {
  std::string kid;  // KeyId(key)
  std::string x;    // base64url of the 32 raw public bytes
};
Jwk ToJwk(const Ed25519Key& key);
// A verify-only key; kInvalidArgument when x is not base64url of 32 bytes. kid is not checked
// against the key, so keys published under other kids still load.
Result<Ed25519Key> FromJwk(const Jwk& jwk);

}  // namespace salesos::crypto
