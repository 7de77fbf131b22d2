#include "salesos/crypto/jwt.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "salesos/crypto/encoding.h"
#include "salesos/crypto/hash.h"

namespace salesos::crypto {
namespace {

constexpr int64_t kNow = 1'700'000'000;

JwtClaims AccessClaims() {
  JwtClaims c;
  c.sub = "user-1";
  c.wid = "ws-1";
  c.role = "member";
  c.jti = "jti-1";
  c.typ = "access";
  c.iat = kNow;
  c.exp = kNow + 900;
  return c;
}

struct Issuer {
  Ed25519Key key = Ed25519Key::Generate().value();
  std::string kid = KeyId(key);
  JwtVerifier verifier;
  Issuer() { verifier.AddKey(kid, Ed25519Key::FromPublicRaw(key.PublicRaw()).value()); }
};

std::string B64(std::string_view s) { return Base64UrlEncode(s); }

// A token with any header and payload, signed by `key` over exactly those bytes.
std::string Craft(const std::string& header, const std::string& payload, const Ed25519Key& key) {
  std::string input = B64(header) + "." + B64(payload);
  return input + "." + B64(key.Sign(input));
}

std::string Header(const std::string& kid) {
  return R"({"alg":"EdDSA","typ":"JWT","kid":")" + kid + R"("})";
}

std::string Payload(const std::string& extra = "") {
  return R"({"sub":"user-1",)" + extra + R"("iat":1700000000,"exp":1700000900})";
}

void RequireRejected(const Result<JwtClaims>& r, const std::string& message) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnauthenticated);
  CHECK(r.status().message() == message);
}

TEST_CASE("jwt signed by a known key verifies and returns its claims", "[crypto]") {
  Issuer issuer;
  std::string token = SignJwt(AccessClaims(), issuer.key, issuer.kid);
  auto claims = issuer.verifier.Verify(token, kNow);
  REQUIRE(claims.ok());
  CHECK(claims->sub == "user-1");
  CHECK(claims->wid == "ws-1");
  CHECK(claims->role == "member");
  CHECK(claims->jti == "jti-1");
  CHECK(claims->typ == "access");
  CHECK(claims->iat == kNow);
  CHECK(claims->exp == kNow + 900);
}

TEST_CASE("jwt header names EdDSA and the kid, and the payload omits empty claims", "[crypto]") {
  Issuer issuer;
  JwtClaims c;
  c.sub = "svc-campaign";
  c.typ = "service";
  c.iat = kNow;
  c.exp = kNow + 60;
  std::string token = SignJwt(c, issuer.key, issuer.kid);
  size_t dot1 = token.find('.');
  size_t dot2 = token.find('.', dot1 + 1);
  CHECK(Base64UrlDecode(token.substr(0, dot1)).value() == Header(issuer.kid));
  CHECK(Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1)).value() ==
        R"({"sub":"svc-campaign","typ":"service","iat":1700000000,"exp":1700000060})");
  auto claims = issuer.verifier.Verify(token, kNow);
  REQUIRE(claims.ok());
  CHECK(claims->wid.empty());
  CHECK(claims->role.empty());
}

TEST_CASE("jwt is rejected as expired from its exp second on, with no leeway", "[crypto]") {
  Issuer issuer;
  std::string token = SignJwt(AccessClaims(), issuer.key, issuer.kid);
  CHECK(issuer.verifier.Verify(token, kNow + 899).ok());
  RequireRejected(issuer.verifier.Verify(token, kNow + 900), "token expired");
  RequireRejected(issuer.verifier.Verify(token, kNow + 100000), "token expired");
}

TEST_CASE("jwt without exp is rejected", "[crypto]") {
  Issuer issuer;
  std::string token = Craft(Header(issuer.kid), R"({"sub":"user-1","iat":1700000000})", issuer.key);
  RequireRejected(issuer.verifier.Verify(token, kNow), "token has no expiry");
}

TEST_CASE("jwt issued more than 60 seconds in the future is rejected", "[crypto]") {
  Issuer issuer;
  JwtClaims c = AccessClaims();
  c.iat = kNow + 60;
  CHECK(issuer.verifier.Verify(SignJwt(c, issuer.key, issuer.kid), kNow).ok());
  c.iat = kNow + 61;
  RequireRejected(issuer.verifier.Verify(SignJwt(c, issuer.key, issuer.kid), kNow),
                  "token issued in the future");
}

TEST_CASE("jwt without a subject is rejected", "[crypto]") {
  Issuer issuer;
  JwtClaims c = AccessClaims();
  c.sub.clear();
  RequireRejected(issuer.verifier.Verify(SignJwt(c, issuer.key, issuer.kid), kNow),
                  "token has no subject");
}

TEST_CASE("jwt signed by another key under the same kid has a bad signature", "[crypto]") {
  Issuer issuer;
  Ed25519Key attacker = Ed25519Key::Generate().value();
  std::string token = SignJwt(AccessClaims(), attacker, issuer.kid);
  RequireRejected(issuer.verifier.Verify(token, kNow), "bad signature");
}

TEST_CASE("jwt with a tampered payload keeping the old signature has a bad signature", "[crypto]") {
  Issuer issuer;
  std::string token = SignJwt(AccessClaims(), issuer.key, issuer.kid);
  size_t dot1 = token.find('.');
  size_t dot2 = token.find('.', dot1 + 1);
  std::string payload = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1)).value();
  size_t at = payload.find(R"("role":"member")");
  REQUIRE(at != std::string::npos);
  payload.replace(at, 15, R"("role":"owner")");
  std::string tampered = token.substr(0, dot1 + 1) + B64(payload) + token.substr(dot2);
  RequireRejected(issuer.verifier.Verify(tampered, kNow), "bad signature");

  // Flipping any character of the signature segment fails too.
  for (size_t i = dot2 + 1; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    INFO("char " << i);
    CHECK_FALSE(issuer.verifier.Verify(bad, kNow).ok());
  }
}

TEST_CASE("jwt with alg none is rejected", "[crypto]") {
  Issuer issuer;
  std::string header = R"({"alg":"none","typ":"JWT","kid":")" + issuer.kid + R"("})";
  std::string token = B64(header) + "." + B64(Payload()) + ".";
  RequireRejected(issuer.verifier.Verify(token, kNow), "unsupported alg");
  // Even with a real signature attached.
  RequireRejected(issuer.verifier.Verify(Craft(header, Payload(), issuer.key), kNow),
                  "unsupported alg");
}

TEST_CASE("jwt with alg HS256 keyed by the public key is rejected", "[crypto]") {
  Issuer issuer;
  // The classic confusion attack: HMAC with the verifier's public key as the shared secret.
  std::string input =
      B64(R"({"alg":"HS256","typ":"JWT","kid":")" + issuer.kid + R"("})") + "." + B64(Payload());
  std::string token = input + "." + B64(HmacSha256(issuer.key.PublicRaw(), input));
  RequireRejected(issuer.verifier.Verify(token, kNow), "unsupported alg");
}

TEST_CASE("jwt whose alg is missing, not a string, or differently spelt is rejected", "[crypto]") {
  Issuer issuer;
  for (std::string alg : {std::string(), std::string(R"("alg":"eddsa",)"),
                          std::string(R"("alg":"Ed25519",)"), std::string(R"("alg":"EdDSA ",)"),
                          std::string(R"("alg":null,)"), std::string(R"("alg":["EdDSA"],)")}) {
    INFO(alg);
    std::string header = "{" + alg + R"("typ":"JWT","kid":")" + issuer.kid + R"("})";
    RequireRejected(issuer.verifier.Verify(Craft(header, Payload(), issuer.key), kNow),
                    "unsupported alg");
  }
}

TEST_CASE("jwt with an unknown or missing kid is rejected", "[crypto]") {
  Issuer issuer;
  RequireRejected(issuer.verifier.Verify(SignJwt(AccessClaims(), issuer.key, "other-kid"), kNow),
                  "unknown signing key");
  std::string no_kid = Craft(R"({"alg":"EdDSA","typ":"JWT"})", Payload(), issuer.key);
  RequireRejected(issuer.verifier.Verify(no_kid, kNow), "unknown signing key");
  std::string numeric_kid = Craft(R"({"alg":"EdDSA","kid":7})", Payload(), issuer.key);
  RequireRejected(issuer.verifier.Verify(numeric_kid, kNow), "unknown signing key");
}

TEST_CASE("malformed jwts are rejected before any key is consulted", "[crypto]") {
  Issuer issuer;
  std::string token = SignJwt(AccessClaims(), issuer.key, issuer.kid);
  size_t dot1 = token.find('.');
  size_t dot2 = token.find('.', dot1 + 1);
  std::string header = token.substr(0, dot1);
  std::string payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string sig = token.substr(dot2 + 1);
  std::vector<std::string> bad = {
      "",
      "..",
      header + "." + payload,                       // two segments
      token + ".x",                                 // four segments
      "!!!." + payload + "." + sig,                 // header not base64url
      B64("not json") + "." + payload + "." + sig,  // header not JSON
      B64("[1,2]") + "." + payload + "." + sig,     // header not an object
      header + "." + payload + "." + sig + "==",    // padding
      header + "." + payload + "." + sig + "*",     // signature not base64url
      token + std::string(kMaxJwtBytes, 'A'),       // over the size cap
  };
  for (const auto& t : bad) {
    INFO(t.substr(0, 80));
    RequireRejected(issuer.verifier.Verify(t, kNow), "malformed token");
  }
}

TEST_CASE("jwt with a crit header is rejected as malformed", "[crypto]") {
  Issuer issuer;
  std::string header =
      R"({"alg":"EdDSA","kid":")" + issuer.kid + R"(","crit":["b64"],"b64":false})";
  RequireRejected(issuer.verifier.Verify(Craft(header, Payload(), issuer.key), kNow),
                  "malformed token");
}

TEST_CASE("jwt with a signed payload that is not a JSON object of claims is malformed",
          "[crypto]") {
  Issuer issuer;
  for (std::string payload :
       {std::string("not json"), std::string("[]"), Payload(R"("role":5,)"),
        Payload(R"("wid":null,)"), std::string(R"({"sub":"u","exp":"1700000900"})"),
        std::string(R"({"sub":"u","exp":1700000900.5})"),
        std::string(R"({"sub":"u","exp":18446744073709551615})")}) {
    INFO(payload);
    RequireRejected(issuer.verifier.Verify(Craft(Header(issuer.kid), payload, issuer.key), kNow),
                    "malformed token");
  }
}

TEST_CASE("jwt key id is the RFC 8037 thumbprint and stable", "[crypto]") {
  // RFC 8037 appendix A.3.
  auto rfc = Ed25519Key::FromPublicRaw(
      Base64UrlDecode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").value());
  REQUIRE(rfc.ok());
  CHECK(KeyId(*rfc) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");

  Ed25519Key key = Ed25519Key::Generate().value();
  std::string kid = KeyId(key);
  CHECK(kid.size() == 43);
  CHECK(KeyId(key) == kid);
  CHECK(KeyId(Ed25519Key::FromPrivatePem(key.PrivatePem()).value()) == kid);
  CHECK(KeyId(Ed25519Key::FromPublicRaw(key.PublicRaw()).value()) == kid);
  CHECK(KeyId(Ed25519Key::Generate().value()) != kid);
}

TEST_CASE("jwk round trip gives a key that verifies the issuer's tokens", "[crypto]") {
  Issuer issuer;
  Jwk jwk = ToJwk(issuer.key);
  CHECK(jwk.kid == issuer.kid);
  CHECK(jwk.x == B64(issuer.key.PublicRaw()));
  auto pub = FromJwk(jwk);
  REQUIRE(pub.ok());
  CHECK_FALSE(pub->HasPrivate());
  JwtVerifier verifier;
  verifier.AddKey(jwk.kid, *pub);
  CHECK(verifier.Verify(SignJwt(AccessClaims(), issuer.key, issuer.kid), kNow).ok());

  CHECK(FromJwk(Jwk{"k", "not base64!"}).status().code() == Code::kInvalidArgument);
  CHECK(FromJwk(Jwk{"k", B64(std::string(31, 'x'))}).status().code() == Code::kInvalidArgument);
}

TEST_CASE("jwt verifier knows the kids added to it, replacing on re-add", "[crypto]") {
  Issuer issuer;
  CHECK(issuer.verifier.HasKey(issuer.kid));
  CHECK_FALSE(issuer.verifier.HasKey("nope"));
  Ed25519Key rotated = Ed25519Key::Generate().value();
  issuer.verifier.AddKey(issuer.kid, rotated);  // a private key is accepted; only x is kept
  RequireRejected(issuer.verifier.Verify(SignJwt(AccessClaims(), issuer.key, issuer.kid), kNow),
                  "bad signature");
  CHECK(issuer.verifier.Verify(SignJwt(AccessClaims(), rotated, issuer.kid), kNow).ok());
}

TEST_CASE("jwt verifier verifies from many threads while keys are added", "[crypto]") {
  Issuer issuer;
  std::string token = SignJwt(AccessClaims(), issuer.key, issuer.kid);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        if (!issuer.verifier.Verify(token, kNow).ok()) {
          ++failures;
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    Ed25519Key extra = Ed25519Key::Generate().value();
    issuer.verifier.AddKey(KeyId(extra), extra);
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(failures == 0);
}

}  // namespace
}  // namespace salesos::crypto
