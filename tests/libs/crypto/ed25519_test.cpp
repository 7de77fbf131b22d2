#include "salesos/crypto/ed25519.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>
#include <vector>

#include "salesos/crypto/encoding.h"
#include "support/temp_dir.h"

namespace salesos::crypto {
namespace {

// RFC 8037 appendix A.1: the private seed d and public x of its example key.
constexpr char kRfcD[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr char kRfcX[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

// Wraps a 32-byte seed in the fixed PKCS#8 prefix for Ed25519 (RFC 8410 §7).
std::string PemFromSeed(const std::string& seed) {
  std::string der = HexDecode("302e020100300506032b657004220420").value() + seed;
  return "-----BEGIN PRIVATE KEY-----\n" + Base64Encode(der) + "\n-----END PRIVATE KEY-----\n";
}

// Made at run time rather than pasted in, so no private key PEM sits in the repository.
std::string P256Pem() {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  REQUIRE(pkey != nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return pem;
}

Ed25519Key RfcKey() {
  return Ed25519Key::FromPrivatePem(PemFromSeed(Base64UrlDecode(kRfcD).value())).value();
}

TEST_CASE("ed25519 signature verifies and fails for other data or a flipped bit", "[crypto]") {
  auto key = Ed25519Key::Generate();
  REQUIRE(key.ok());
  CHECK(key->HasPrivate());
  std::string sig = key->Sign("hello");
  REQUIRE(sig.size() == Ed25519Key::kSignatureBytes);
  CHECK(key->Verify("hello", sig));
  CHECK_FALSE(key->Verify("hellO", sig));
  for (size_t i = 0; i < sig.size(); ++i) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    INFO("byte " << i);
    CHECK_FALSE(key->Verify("hello", bad));
  }
  CHECK_FALSE(key->Verify("hello", sig.substr(1)));
  CHECK_FALSE(key->Verify("hello", ""));
}

TEST_CASE("ed25519 signs the RFC 8037 example exactly", "[crypto]") {
  Ed25519Key key = RfcKey();
  CHECK(Base64UrlEncode(key.PublicRaw()) == kRfcX);
  // Appendix A.4: JWS over {"alg":"EdDSA"} and "Example of Ed25519 signing".
  std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  CHECK(Base64UrlEncode(key.Sign(input)) ==
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
}

TEST_CASE("ed25519 private key survives a PEM round trip", "[crypto]") {
  Ed25519Key key = Ed25519Key::Generate().value();
  std::string pem = key.PrivatePem();
  CHECK_THAT(pem, Catch::StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  auto again = Ed25519Key::FromPrivatePem(pem);
  REQUIRE(again.ok());
  CHECK(again->PublicRaw() == key.PublicRaw());
  CHECK(key.Verify("m", again->Sign("m")));
}

TEST_CASE("ed25519 public-only key verifies but cannot sign or export a private PEM", "[crypto]") {
  Ed25519Key key = Ed25519Key::Generate().value();
  auto pub = Ed25519Key::FromPublicRaw(key.PublicRaw());
  REQUIRE(pub.ok());
  CHECK_FALSE(pub->HasPrivate());
  CHECK(pub->PrivatePem().empty());
  CHECK(pub->PublicRaw() == key.PublicRaw());
  CHECK(pub->Verify("m", key.Sign("m")));
}

TEST_CASE("ed25519 rejects public keys that are not 32 bytes and PEMs that are not ed25519",
          "[crypto]") {
  for (size_t n : {0, 31, 33, 64}) {
    CHECK(Ed25519Key::FromPublicRaw(std::string(n, 'x')).status().code() == Code::kInvalidArgument);
  }
  CHECK(Ed25519Key::FromPrivatePem("").status().code() == Code::kInvalidArgument);
  CHECK(Ed25519Key::FromPrivatePem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .status()
            .code() == Code::kInvalidArgument);
  // A valid PKCS#8 PEM of the wrong key type.
  CHECK(Ed25519Key::FromPrivatePem(P256Pem()).status().code() == Code::kInvalidArgument);
}

TEST_CASE("ed25519 copies share the key and sign from many threads at once", "[crypto]") {
  Ed25519Key key = Ed25519Key::Generate().value();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([key, t, &failures] {
      for (int i = 0; i < 200; ++i) {
        std::string msg = std::to_string(t) + "/" + std::to_string(i);
        if (!key.Verify(msg, key.Sign(msg))) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(failures == 0);
}

TEST_CASE("signing key file is created with mode 0600 and reloads the same key", "[crypto]") {
  testing::TempDir dir;
  std::string path = dir.File("jwt.pem");
  auto created = LoadOrCreateSigningKey(path);
  REQUIRE(created.ok());
  CHECK(created->HasPrivate());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK_THAT(testing::ReadFile(path), Catch::StartsWith("-----BEGIN PRIVATE KEY-----"));
  auto reloaded = LoadOrCreateSigningKey(path);
  REQUIRE(reloaded.ok());
  CHECK(reloaded->PublicRaw() == created->PublicRaw());
}

TEST_CASE("signing key file that is not a private key PEM is an error and left alone", "[crypto]") {
  testing::TempDir dir;
  std::string path = dir.File("jwt.pem");
  std::ofstream(path) << "garbage\n";
  auto r = LoadOrCreateSigningKey(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains(path));
  CHECK(testing::ReadFile(path) == "garbage\n");
}

TEST_CASE("ed25519 public key survives a PEM round trip and verifies only", "[crypto]") {
  Ed25519Key key = RfcKey();
  std::string pem = key.PublicPem();
  CHECK_THAT(pem, Catch::StartsWith("-----BEGIN PUBLIC KEY-----"));
  Ed25519Key pub = Ed25519Key::FromPublicPem(pem).value();
  CHECK_FALSE(pub.HasPrivate());
  CHECK(pub.PublicRaw() == key.PublicRaw());
  CHECK(pub.Verify("data", key.Sign("data")));
  CHECK(Ed25519Key::FromPublicPem(PemFromSeed(std::string(32, 's'))).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("verifying key file takes a private or a public PEM, keeps only the public half, and is "
          "never created",
          "[crypto]") {
  testing::TempDir dir;
  Ed25519Key key = RfcKey();
  std::ofstream(dir.File("private.pem")) << key.PrivatePem();
  std::ofstream(dir.File("public.pem")) << key.PublicPem();
  for (const char* name : {"private.pem", "public.pem"}) {
    INFO(name);
    auto loaded = LoadVerifyingKey(dir.File(name));
    REQUIRE(loaded.ok());
    CHECK_FALSE(loaded->HasPrivate());
    CHECK(loaded->PublicRaw() == key.PublicRaw());
  }
  auto missing = LoadVerifyingKey(dir.File("missing.pem"));
  CHECK(missing.status().code() == Code::kNotFound);
  CHECK(testing::ReadFile(dir.File("missing.pem")).empty());

  std::ofstream(dir.File("p256.pem")) << P256Pem();
  auto wrong = LoadVerifyingKey(dir.File("p256.pem"));
  CHECK(wrong.status().code() == Code::kInvalidArgument);
  CHECK_THAT(wrong.status().message(), Catch::Contains(dir.File("p256.pem")));
}

}  // namespace
}  // namespace salesos::crypto
