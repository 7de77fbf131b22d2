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
// of threads at once. It holds a copy of the key and wipes it on destruction.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

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

  Aead(const Aead&) = default;
  Aead& operator=(const Aead&) = default;
  ~Aead();

  // Never fails for valid input; aborts if OpenSSL cannot run the cipher (out of memory).
  std::string Seal(std::string_view plaintext, std::string_view aad = {}) const;
  // kInvalidArgument when `sealed` is shorter than nonce + tag; kDataLoss when authentication fails
  // (tampered bytes, wrong key or wrong aad). No plaintext is returned unless the tag verifies.
  Result<std::string> Open(std::string_view sealed, std::string_view aad = {}) const;

 private:
  Aead() = default;
  std::array<unsigned char, kKeyBytes> key_{};
};

// Reads a key file holding base64 (standard alphabet, whitespace ignored) of exactly `n_bytes`
// bytes. If the file does not exist, creates it with mode 0600 holding `n_bytes` of SecureRandom,
// atomically: a concurrent creator either wins or reads the winner's key, never a partial file.
// Errors name the path: kInvalidArgument when the file does not decode to `n_bytes` bytes (never
// overwritten: it may be the only copy of a key that data is sealed with), kInternal for I/O.
Result<std::string> LoadOrCreateKeyFile(const std::string& path, size_t n_bytes);

}  // namespace salesos::crypto
