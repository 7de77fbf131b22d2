#include "salesos/crypto/encoding.h"

#include <catch2/catch.hpp>

#include "salesos/core/ids.h"
#include "salesos/crypto/hash.h"

namespace salesos::crypto {
namespace {

TEST_CASE("base64 encodes the RFC 4648 test vectors", "[crypto]") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foob") == "Zm9vYg==");
  CHECK(Base64Encode("fooba") == "Zm9vYmE=");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(Base64UrlEncode("f") == "Zg");
  CHECK(Base64UrlEncode("fo") == "Zm8");
  CHECK(Base64UrlEncode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64url uses - and _ where standard base64 uses + and /", "[crypto]") {
  std::string bytes("\xfb\xff\xbf", 3);
  CHECK(Base64Encode(bytes) == "+/+/");
  CHECK(Base64UrlEncode(bytes) == "-_-_");
  CHECK(Base64UrlDecode("-_-_").value() == bytes);
  CHECK(Base64Decode("+/+/").value() == bytes);
  CHECK_FALSE(Base64UrlDecode("+/+/").ok());
  CHECK_FALSE(Base64Decode("-_-_").ok());
}

TEST_CASE("base64 and base64url round trip every length and byte value", "[crypto]") {
  for (size_t n = 0; n <= 70; ++n) {
    std::string bytes = SecureRandom(n);
    CHECK(Base64Decode(Base64Encode(bytes)).value() == bytes);
    CHECK(Base64UrlDecode(Base64UrlEncode(bytes)).value() == bytes);
  }
  std::string all;
  for (int c = 0; c < 256; ++c) {
    all += static_cast<char>(c);
  }
  CHECK(Base64UrlDecode(Base64UrlEncode(all)).value() == all);
}

TEST_CASE("base64url decoding tolerates only correct trailing padding", "[crypto]") {
  CHECK(Base64UrlDecode("Zg").value() == "f");
  CHECK(Base64UrlDecode("Zg==").value() == "f");
  CHECK(Base64UrlDecode("Zm8=").value() == "fo");
  for (const char* bad : {"Zg=", "Zg===", "Zm8==", "Zm9v=", "=", "====", "Z=g=", "Zg==Zg=="}) {
    INFO(bad);
    auto r = Base64UrlDecode(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("base64 decoders reject invalid characters, lengths and non-canonical text", "[crypto]") {
  for (const char* bad : {"Zm9v!", "Zm 9v", "Zm9v\n", "Z", "Zm9vY", "Zh", "Zm9"}) {
    INFO(bad);
    CHECK_FALSE(Base64UrlDecode(bad).ok());
  }
  // "Zh" would decode to "f" too if the spare low bits were ignored.
  CHECK_FALSE(Base64Decode("Zh==").ok());
  CHECK_FALSE(Base64Decode("Zg").ok());  // standard base64 requires its padding
  CHECK(Base64Decode("").value().empty());
  CHECK(Base64UrlDecode("").value().empty());
}

TEST_CASE("hex decoding accepts both cases and rejects odd or non-hex input", "[crypto]") {
  std::string bytes = SecureRandom(40);
  CHECK(HexDecode(HexEncode(bytes)).value() == bytes);
  CHECK(HexDecode("00FFaB").value() == std::string("\x00\xff\xab", 3));
  CHECK(HexDecode("").value().empty());
  CHECK(HexDecode("abc").status().code() == Code::kInvalidArgument);
  CHECK(HexDecode("zz").status().code() == Code::kInvalidArgument);
  CHECK_FALSE(HexDecode("0x00").ok());
}

}  // namespace
}  // namespace salesos::crypto
