#include "salesos/crypto/aead.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "salesos/crypto/encoding.h"
#include "salesos/crypto/hash.h"
#include "support/temp_dir.h"

namespace salesos::crypto {
namespace {

Aead NewAead() { return Aead::FromKey(SecureRandom(Aead::kKeyBytes)).value(); }

std::string Hex(std::string_view hex) { return HexDecode(hex).value(); }

mode_t FileMode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

TEST_CASE("aes-gcm seals and opens plaintext of any length", "[crypto]") {
  Aead aead = NewAead();
  for (std::string plaintext :
       {std::string(), std::string("x"), std::string("ya29.oauth-token"), SecureRandom(1000)}) {
    std::string sealed = aead.Seal(plaintext, "users/42/token");
    CHECK(sealed.size() == plaintext.size() + Aead::kOverheadBytes);
    auto opened = aead.Open(sealed, "users/42/token");
    REQUIRE(opened.ok());
    CHECK(*opened == plaintext);
  }
}

TEST_CASE("aes-gcm opens the GCM specification's AES-256 test case 16", "[crypto]") {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16, in our nonce||ct||tag
  // form.
  Aead aead = Aead::FromKey(Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
                  .value();
  std::string sealed =
      Hex("cafebabefacedbaddecaf888"
          "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
          "568288"
          "38c5f61e6393ba7a0abcc9f662"
          "76fc6ece0f4e1768cddf8853bb2d551b");
  auto opened = aead.Open(sealed, Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"));
  REQUIRE(opened.ok());
  CHECK(*opened == Hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95"
                       "956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"));
}

TEST_CASE("aes-gcm uses a fresh nonce for every seal", "[crypto]") {
  Aead aead = NewAead();
  std::string a = aead.Seal("same");
  std::string b = aead.Seal("same");
  CHECK(a != b);
  CHECK(a.substr(0, Aead::kNonceBytes) != b.substr(0, Aead::kNonceBytes));
}

TEST_CASE("aes-gcm refuses to open a sealed value with any single byte flipped", "[crypto]") {
  Aead aead = NewAead();
  const std::string sealed = aead.Seal("refresh-token-123", "aad");
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string tampered = sealed;
      tampered[i] = static_cast<char>(tampered[i] ^ mask);
      auto opened = aead.Open(tampered, "aad");
      INFO("byte " << i << " mask " << int(mask));
      REQUIRE_FALSE(opened.ok());
      CHECK(opened.status().code() == Code::kDataLoss);
    }
  }
}

TEST_CASE("aes-gcm refuses truncated or extended sealed values", "[crypto]") {
  Aead aead = NewAead();
  const std::string sealed = aead.Seal("secret");
  for (size_t n = 0; n < sealed.size(); ++n) {
    INFO("length " << n);
    auto opened = aead.Open(sealed.substr(0, n));
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() ==
          (n < Aead::kOverheadBytes ? Code::kInvalidArgument : Code::kDataLoss));
  }
  CHECK_FALSE(aead.Open(sealed + "x").ok());
}

TEST_CASE("aes-gcm refuses to open with the wrong aad or the wrong key", "[crypto]") {
  Aead aead = NewAead();
  std::string sealed = aead.Seal("secret", "users/42/token");
  CHECK(aead.Open(sealed, "users/43/token").status().code() == Code::kDataLoss);
  CHECK(aead.Open(sealed).status().code() == Code::kDataLoss);
  CHECK(NewAead().Open(sealed, "users/42/token").status().code() == Code::kDataLoss);
}

TEST_CASE("aes-gcm rejects keys that are not exactly 32 bytes", "[crypto]") {
  for (size_t n : {0, 16, 24, 31, 33, 64}) {
    INFO(n);
    auto aead = Aead::FromKey(std::string(n, 'k'));
    REQUIRE_FALSE(aead.ok());
    CHECK(aead.status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("copies of an aead open what the original sealed", "[crypto]") {
  Aead original = NewAead();
  Aead copy = original;
  Aead moved = std::move(copy);
  CHECK(moved.Open(original.Seal("secret")).value() == "secret");
}

TEST_CASE("key file is created with mode 0600 and reloads the same key", "[crypto]") {
  testing::TempDir dir;
  std::string path = dir.File("aead.key");
  auto created = LoadOrCreateKeyFile(path, 32);
  REQUIRE(created.ok());
  CHECK(created->size() == 32);
  CHECK(FileMode(path) == 0600);
  auto reloaded = LoadOrCreateKeyFile(path, 32);
  REQUIRE(reloaded.ok());
  CHECK(*reloaded == *created);
  CHECK(testing::ReadFile(path) == Base64Encode(*created) + "\n");
}

TEST_CASE("key file written by hand may carry whitespace around its base64", "[crypto]") {
  testing::TempDir dir;
  std::string path = dir.File("aead.key");
  std::string key = SecureRandom(32);
  WriteFile(path, "  " + Base64Encode(key) + "\r\n");
  CHECK(LoadOrCreateKeyFile(path, 32).value() == key);
}

TEST_CASE("key file of the wrong length or not base64 is an error and left alone", "[crypto]") {
  testing::TempDir dir;
  std::string path = dir.File("aead.key");
  std::string contents = Base64Encode(SecureRandom(16)) + "\n";
  WriteFile(path, contents);
  auto r = LoadOrCreateKeyFile(path, 32);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains(path));
  CHECK(testing::ReadFile(path) == contents);

  WriteFile(path, "not base64!\n");
  CHECK(LoadOrCreateKeyFile(path, 32).status().code() == Code::kInvalidArgument);
}

TEST_CASE("key file in a missing directory is an error", "[crypto]") {
  testing::TempDir dir;
  auto r = LoadOrCreateKeyFile(dir.File("missing/aead.key"), 32);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInternal);
}

}  // namespace
}  // namespace salesos::crypto
