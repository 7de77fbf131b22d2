// Aead as a keyring for data-key rotation: seals with the current key, opens with the current or a
// previous one, says which key opened a value, and refuses values no configured key opens.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "salesos/crypto/aead.h"
#include "salesos/crypto/encoding.h"
#include "salesos/crypto/hash.h"
#include "support/temp_dir.h"

namespace salesos::crypto {
namespace {

std::string NewKeyBytes() { return SecureRandom(Aead::kKeyBytes); }

TEST_CASE("keyring opens values sealed under a previous key and says which key opened them",
          "[crypto][rotation]") {
  std::string old_key = NewKeyBytes();
  std::string older_key = NewKeyBytes();
  std::string new_key = NewKeyBytes();
  std::string by_old = Aead::FromKey(old_key).value().Seal("sealed last year", "row/1");
  std::string by_older = Aead::FromKey(older_key).value().Seal("sealed long ago", "row/2");

  Aead ring = Aead::FromKeys(new_key, {old_key, older_key}).value();
  CHECK(ring.previous_key_count() == 2);
  size_t index = 99;
  CHECK(ring.Open(by_old, "row/1", &index).value() == "sealed last year");
  CHECK(index == 1);
  CHECK(ring.Open(by_older, "row/2", &index).value() == "sealed long ago");
  CHECK(index == 2);
  // The short form opens them too, so services calling Open(sealed, aad) need no change.
  CHECK(ring.Open(by_old, "row/1").value() == "sealed last year");

  // New values are sealed with the current key only: the current key alone opens them, the old
  // key does not.
  std::string fresh = ring.Seal("sealed today", "row/3");
  CHECK(ring.Open(fresh, "row/3", &index).value() == "sealed today");
  CHECK(index == 0);
  CHECK(Aead::FromKey(new_key).value().Open(fresh, "row/3").value() == "sealed today");
  CHECK(Aead::FromKey(old_key).value().Open(fresh, "row/3").status().code() == Code::kDataLoss);
}

TEST_CASE("keyring refuses a value sealed under a key it does not hold, with a clear error",
          "[crypto][rotation]") {
  std::string stranger = Aead::FromKey(NewKeyBytes()).value().Seal("secret", "row/1");
  Aead ring = Aead::FromKeys(NewKeyBytes(), {NewKeyBytes()}).value();
  size_t index = 99;
  auto opened = ring.Open(stranger, "row/1", &index);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Code::kDataLoss);
  CHECK_THAT(opened.status().message(),
             Catch::Contains("current key and 1 previous key") &&
                 Catch::Contains("sealed with a key that is not configured"));
  CHECK(index == 99);

  // A previous key does not make a wrong aad or a tampered value open.
  std::string old_key = NewKeyBytes();
  std::string sealed = Aead::FromKey(old_key).value().Seal("secret", "row/1");
  Aead with_old = Aead::FromKeys(NewKeyBytes(), {old_key}).value();
  CHECK(with_old.Open(sealed, "row/2").status().code() == Code::kDataLoss);
  std::string tampered = sealed;
  tampered[Aead::kNonceBytes] ^= 1;
  CHECK(with_old.Open(tampered, "row/1").status().code() == Code::kDataLoss);
  CHECK(with_old.Open("short", "row/1").status().code() == Code::kInvalidArgument);
}

TEST_CASE("keyring rejects keys of the wrong size naming which one and drops duplicates",
          "[crypto][rotation]") {
  auto bad_current = Aead::FromKeys(std::string(16, 'k'), {});
  REQUIRE_FALSE(bad_current.ok());
  CHECK(bad_current.status().code() == Code::kInvalidArgument);
  CHECK_THAT(bad_current.status().message(), Catch::Contains("current"));

  auto bad_previous = Aead::FromKeys(NewKeyBytes(), {NewKeyBytes(), std::string(31, 'k')});
  REQUIRE_FALSE(bad_previous.ok());
  CHECK_THAT(bad_previous.status().message(), Catch::Contains("previous AES-256-GCM key 2"));

  std::string current = NewKeyBytes();
  std::string old_key = NewKeyBytes();
  Aead ring = Aead::FromKeys(current, {current, old_key, old_key}).value();
  CHECK(ring.previous_key_count() == 1);
  CHECK(Aead::FromKey(current).value().previous_key_count() == 0);
}

TEST_CASE("copies of a keyring keep every key", "[crypto][rotation]") {
  std::string old_key = NewKeyBytes();
  std::string sealed = Aead::FromKey(old_key).value().Seal("secret");
  Aead original = Aead::FromKeys(NewKeyBytes(), {old_key}).value();
  Aead copy = original;
  Aead moved = std::move(copy);
  CHECK(moved.Open(sealed).value() == "secret");
  CHECK(original.Open(moved.Seal("other")).value() == "other");
}

TEST_CASE("a previous key file must exist and is never created", "[crypto][rotation]") {
  testing::TempDir dir;
  std::string path = dir.File("old.key");
  auto missing = LoadKeyFile(path, 32);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::kNotFound);
  CHECK_THAT(missing.status().message(), Catch::Contains(path));
  CHECK(testing::ReadFile(path).empty());

  std::string key = NewKeyBytes();
  std::ofstream(path) << Base64Encode(key) << "\n";
  CHECK(LoadKeyFile(path, 32).value() == key);
  std::ofstream(path) << Base64Encode(SecureRandom(16)) << "\n";
  CHECK(LoadKeyFile(path, 32).status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace salesos::crypto
