// Fuzz target: the JWT parser and verifier (libs/crypto jwt.cpp, with its base64url decoder).
// The first byte picks the mode:
//   even: the rest is a token, verified as it is (header parsing, kid lookup, signature check);
//   odd:  the rest is "<header JSON>\n<payload JSON>", encoded and signed with the verifier's
//         key, so the claim parsing behind the signature check is reached too.
// Checks, besides the sanitizers: a token that verifies has a subject and an expiry after now;
// base64url decoding is canonical (decode then encode gives the input back).

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "salesos/crypto/ed25519.h"
#include "salesos/crypto/encoding.h"
#include "salesos/crypto/jwt.h"

namespace {

using namespace salesos::crypto;

// A fixed key (generated for this test only), so every crash input reproduces.
constexpr char kPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIGkJ6HLrawT9AUUIDOM8R0Cm4oYP2FVdWeh6GLnHYANG\n"
    "-----END PRIVATE KEY-----\n";
constexpr int64_t kNow = 1795000000;  // 2026-11-18

struct Fixture {
  Ed25519Key key;
  std::string kid;
  JwtVerifier verifier;
};

Fixture& Get() {
  static Fixture* f = [] {
    auto key = Ed25519Key::FromPrivatePem(kPem);
    FUZZ_REQUIRE(key.ok());
    auto* fx = new Fixture{*key, KeyId(*key), {}};
    fx->verifier.AddKey(fx->kid, *key);
    return fx;
  }();
  return *f;
}

void CheckVerified(const salesos::Result<JwtClaims>& claims) {
  if (claims.ok()) {
    FUZZ_REQUIRE(!claims->sub.empty());
    FUZZ_REQUIRE(claims->exp > kNow);
  } else {
    FUZZ_REQUIRE(claims.status().code() == salesos::Code::kUnauthenticated);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  Fixture& fx = Get();
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto decoded = Base64UrlDecode(in);
  if (decoded.ok() && in.find('=') == std::string_view::npos) {
    FUZZ_REQUIRE(Base64UrlEncode(*decoded) == in);
  }

  if ((data[0] & 1) == 0) {
    CheckVerified(fx.verifier.Verify(in, kNow));
    return 0;
  }
  size_t nl = in.find('\n');
  std::string_view header = in.substr(0, nl);
  std::string_view payload = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  std::string signing_input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  std::string token = signing_input + "." + Base64UrlEncode(fx.key.Sign(signing_input));
  CheckVerified(fx.verifier.Verify(token, kNow));
  return 0;
}
