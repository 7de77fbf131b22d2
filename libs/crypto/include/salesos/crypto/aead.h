#pragma once

// Authenticated encryption for data at rest (OAuth tokens, API secrets in the database):
// AES-256-GCM with a fresh random 96-bit nonce per Seal.
//
// Sealed format: 12-byte nonce || ciphertext || 16-byte tag. The aad (e.g. the row id and column
// name) is authenticated but not stored; Open must be given the same aad, which stops a sealed
// value from being copied into another row and decrypting there.
//
// Random nonces stay safe for about 2^32 Seals under one key (NIST SP 800-38D); rotate keys long
// before that. An Aead is immutable after construction, so one instance may be used from any number
// of threads at once. It holds a copy of its keys and wipes them on destruction.
//
// Key rotation: an Aead may also be a keyring (FromKeys): it seals with its current key only, and
// opens with the current key or, failing that, each previous key in turn. The sealed format names
// no key, so values sealed before a rotation keep opening as long as their key is kept as a
// previous one; Open(sealed, aad, &key_index) says which key opened a value, so a re-seal pass
// (rpc::ResealColumn) can move old values to the current key before the old key is retired.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"

namespace salesos::crypto {

class Aead {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kNonceBytes = 12;
  static constexpr size_t kTagBytes = 16;
  static constexpr size_t kOverheadBytes = kNonceBytes + kTagBytes;

  // kInvalidArgument unless `key32` is exactly 32 bytes.
  static Result<Aead> FromKey(std::string_view key32);
  // A keyring: seals with `current32`, opens with it or any of `previous32` (tried in this order
  // after the current key). kInvalidArgument unless every key is exactly 32 bytes; the message
  // names the offending one ("previous key 2 ..."). A previous key equal to the current one, or
  // to an earlier previous one, is dropped (listing the current key among the previous is
  // harmless).
  static Result<Aead> FromKeys(std::string_view current32,
                               const std::vector<std::string>& previous32);

  Aead(const Aead&) = default;
  Aead& operator=(const Aead&) = default;
  ~Aead();

  // Never fails for valid input; aborts if OpenSSL cannot run the cipher (out of memory).
  std::string Seal(std::string_view plaintext, std::string_view aad = {}) const;
  // kInvalidArgument when `sealed` is shorter than nonce + tag; kDataLoss when authentication fails
  // (tampered bytes, wrong key or wrong aad). No plaintext is returned unless the tag verifies.
  // With previous keys, each is tried after the current one; when none opens the value the
  // kDataLoss message says how many keys were tried.
  Result<std::string> Open(std::string_view sealed, std::string_view aad = {}) const;
  // Open, and set *key_index to the key that opened it: 0 the current key, i >= 1 previous key i
  // (in FromKeys' order, after duplicates were dropped). Untouched on failure.
  Result<std::string> Open(std::string_view sealed, std::string_view aad, size_t* key_index) const;

  // Previous keys held (0 for an Aead made by FromKey).
  size_t previous_key_count() const { return keys_.size() - 1; }

 private:
  using Key = std::array<unsigned char, kKeyBytes>;
  Aead() = default;
  static Result<std::string> OpenWith(const Key& key, std::string_view sealed,
                                      std::string_view aad);
  std::vector<Key> keys_;  // [0] seals; never empty once made
};

// Reads a key file holding base64 (standard alphabet, whitespace ignored) of exactly `n_bytes`
// bytes. If the file does not exist, creates it with mode 0600 holding `n_bytes` of SecureRandom,
// atomically: a concurrent creator either wins or reads the winner's key, never a partial file.
// Errors name the path: kInvalidArgument when the file does not decode to `n_bytes` bytes (never
// overwritten: it may be the only copy of a key that data is sealed with), kInternal for I/O.
Result<std::string> LoadOrCreateKeyFile(const std::string& path, size_t n_bytes);
// The same for a key file that must already exist (a previous key kept for rotation): kNotFound
// naming the path when it does not, never creates one.
Result<std::string> LoadKeyFile(const std::string& path, size_t n_bytes);

}  // namespace salesos::crypto
