#include "salesos/crypto/hash.h"

#include <catch2/catch.hpp>

#include "salesos/core/ids.h"

namespace salesos::crypto {
namespace {

TEST_CASE("sha256 matches the FIPS 180-2 abc vector", "[crypto]") {
  CHECK(HexEncode(Sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexEncode(Sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("hmac-sha256 matches RFC 4231 test case 2", "[crypto]") {
  CHECK(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("hmac-sha256 accepts an empty key and keys longer than a block", "[crypto]") {
  // RFC 4231 test case 6: a 131-byte key, hashed down first.
  std::string key(131, '\xaa');
  CHECK(HexEncode(HmacSha256(key, "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(HmacSha256("", "data").size() == 32);
  CHECK(HmacSha256("", "data") != HmacSha256("k", "data"));
}

TEST_CASE("constant-time equality is true only for identical strings", "[crypto]") {
  CHECK(ConstantTimeEquals("", ""));
  CHECK(ConstantTimeEquals("secret-mac", "secret-mac"));
  CHECK_FALSE(ConstantTimeEquals("secret-mac", "secret-mad"));
  CHECK_FALSE(ConstantTimeEquals("Secret-mac", "secret-mac"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secret-mac"));
  CHECK_FALSE(ConstantTimeEquals("secret-mac", ""));
  CHECK(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  CHECK_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST_CASE("secure random gives the requested number of distinct bytes", "[crypto]") {
  CHECK(SecureRandom(0).empty());
  CHECK(SecureRandom(32).size() == 32);
  CHECK(SecureRandom(32) != SecureRandom(32));
}

}  // namespace
}  // namespace salesos::crypto
