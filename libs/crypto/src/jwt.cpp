#include "salesos/crypto/jwt.h"

#include <boost/json.hpp>
#include <mutex>
#include <optional>

#include "salesos/crypto/encoding.h"
#include "salesos/crypto/hash.h"

namespace salesos::crypto {
namespace {

namespace json = boost::json;

constexpr char kAlg[] = "EdDSA";

Status Malformed() { return Unauthenticated("malformed token"); }

// Parses a JSON object; nullopt for anything else. boost::json reports syntax errors through the
// error_code, but allocation can still throw, and nothing may escape this library.
std::optional<json::object> ParseObject(std::string_view text) {
  try {
    boost::system::error_code ec;
    json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
    if (ec || !v.is_object()) {
      return std::nullopt;
    }
    return std::move(v.as_object());
  } catch (...) {
    return std::nullopt;
  }
}

// Copies claim `name` into `out` when present; false when present but not a string.
bool GetString(const json::object& obj, std::string_view name, std::string* out) {
  const json::value* v = obj.if_contains(json::string_view(name.data(), name.size()));
  if (v == nullptr) {
    return true;
  }
  if (!v->is_string()) {
    return false;
  }
  *out = std::string(v->as_string());
  return true;
}

enum class IntClaim { kMissing, kPresent, kWrongType };

// NumericDate claims. We only ever issue integers, so fractions and out-of-range values are treated
// as malformed rather than rounded.
IntClaim GetInt(const json::object& obj, std::string_view name, int64_t* out) {
  const json::value* v = obj.if_contains(json::string_view(name.data(), name.size()));
  if (v == nullptr) {
    return IntClaim::kMissing;
  }
  if (v->is_int64()) {
    *out = v->as_int64();
    return IntClaim::kPresent;
  }
  // boost::json only uses uint64 for values above INT64_MAX.
  return IntClaim::kWrongType;
}

std::string Serialize(const json::object& obj) { return json::serialize(obj); }

}  // namespace

std::string KeyId(const Ed25519Key& key) {
  // RFC 7638 §3.2: the required members only, sorted, no whitespace.
  std::string canonical =
      R"({"crv":"Ed25519","kty":"OKP","x":")" + Base64UrlEncode(key.PublicRaw()) + R"("})";
  return Base64UrlEncode(Sha256(canonical));
}

std::string SignJwt(const JwtClaims& claims, const Ed25519Key& key, std::string_view kid) {
  json::object header;
  header["alg"] = kAlg;
  header["typ"] = "JWT";
  header["kid"] = json::string_view(kid.data(), kid.size());

  json::object payload;
  auto put = [&payload](const char* name, const std::string& value) {
    if (!value.empty()) {
      payload[name] = value;
    }
  };
  put("sub", claims.sub);
  put("wid", claims.wid);
  put("role", claims.role);
  put("jti", claims.jti);
  put("typ", claims.typ);
  payload["iat"] = claims.iat;
  payload["exp"] = claims.exp;

  std::string signing_input =
      Base64UrlEncode(Serialize(header)) + "." + Base64UrlEncode(Serialize(payload));
  std::string sig = key.Sign(signing_input);
  return signing_input + "." + Base64UrlEncode(sig);
}

void JwtVerifier::AddKey(std::string kid, Ed25519Key public_key) {
  // Keep no private key material in a verifier that may live in every service.
  if (public_key.HasPrivate()) {
    auto pub = Ed25519Key::FromPublicRaw(public_key.PublicRaw());
    if (pub.ok()) {
      public_key = std::move(pub).value();
    }
  }
  std::unique_lock lock(mu_);
  keys_.insert_or_assign(std::move(kid), std::move(public_key));
}

bool JwtVerifier::HasKey(std::string_view kid) const {
  std::shared_lock lock(mu_);
  return keys_.find(kid) != keys_.end();
}

Result<JwtClaims> JwtVerifier::Verify(std::string_view token, int64_t now_unix_seconds) const {
  // The size cap keeps decoding and JSON parsing of hostile input cheap.
  if (token.size() > kMaxJwtBytes) {
    return Malformed();
  }
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Malformed();
  }
  // JWS forbids padding (RFC 7515 §2); refusing it keeps one spelling per token.
  if (token.find('=') != std::string_view::npos) {
    return Malformed();
  }
  std::string_view header_b64 = token.substr(0, dot1);
  std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view sig_b64 = token.substr(dot2 + 1);

  auto header_json = Base64UrlDecode(header_b64);
  if (!header_json.ok()) {
    return Malformed();
  }
  std::optional<json::object> header = ParseObject(*header_json);
  if (!header) {
    return Malformed();
  }
  // We implement no JWS extensions, and RFC 7515 §4.1.11 requires rejecting unknown critical ones.
  if (header->contains("crit")) {
    return Malformed();
  }
  // Exactly "EdDSA": the key type alone must never pick the algorithm ("none", HMAC with the public
  // key as secret).
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != kAlg) {
    return Unauthenticated("unsupported alg");
  }
  const json::value* kid = header->if_contains("kid");
  if (kid == nullptr || !kid->is_string()) {
    return Unauthenticated("unknown signing key");
  }
  std::optional<Ed25519Key> key;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(std::string_view(kid->as_string()));
    if (it != keys_.end()) {
      key = it->second;
    }
  }
  if (!key) {
    return Unauthenticated("unknown signing key");
  }

  auto sig = Base64UrlDecode(sig_b64);
  if (!sig.ok()) {
    return Malformed();
  }
  // The signature covers the encoded bytes exactly as received.
  if (!key->Verify(token.substr(0, dot2), *sig)) {
    return Unauthenticated("bad signature");
  }

  auto payload_json = Base64UrlDecode(payload_b64);
  if (!payload_json.ok()) {
    return Malformed();
  }
  std::optional<json::object> payload = ParseObject(*payload_json);
  if (!payload) {
    return Malformed();
  }
  JwtClaims claims;
  if (!GetString(*payload, "sub", &claims.sub) || !GetString(*payload, "wid", &claims.wid) ||
      !GetString(*payload, "role", &claims.role) || !GetString(*payload, "jti", &claims.jti) ||
      !GetString(*payload, "typ", &claims.typ)) {
    return Malformed();
  }
  IntClaim exp = GetInt(*payload, "exp", &claims.exp);
  IntClaim iat = GetInt(*payload, "iat", &claims.iat);
  if (exp == IntClaim::kWrongType || iat == IntClaim::kWrongType) {
    return Malformed();
  }
  if (exp == IntClaim::kMissing) {
    return Unauthenticated("token has no expiry");
  }
  if (claims.exp <= now_unix_seconds) {
    return Unauthenticated("token expired");
  }
  // Unsigned difference: exact for any pair of int64 values with iat > now, so no overflow.
  if (iat == IntClaim::kPresent && claims.iat > now_unix_seconds &&
      static_cast<uint64_t>(claims.iat) - static_cast<uint64_t>(now_unix_seconds) >
          static_cast<uint64_t>(kMaxIatSkewSeconds)) {
    return Unauthenticated("token issued in the future");
  }
  if (claims.sub.empty()) {
    return Unauthenticated("token has no subject");
  }
  return claims;
}

Jwk ToJwk(const Ed25519Key& key) { return Jwk{KeyId(key), Base64UrlEncode(key.PublicRaw())}; }

Result<Ed25519Key> FromJwk(const Jwk& jwk) {
  auto raw = Base64UrlDecode(jwk.x);
  if (!raw.ok()) {
    return InvalidArgument("JWK " + jwk.kid + ": x is not base64url");
  }
  if (raw->size() != Ed25519Key::kPublicBytes) {
    return InvalidArgument("JWK " + jwk.kid + ": x must encode 32 bytes, got " +
                           std::to_string(raw->size()));
  }
  return Ed25519Key::FromPublicRaw(*raw);
}

}  // namespace salesos::crypto
