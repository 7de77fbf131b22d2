#pragma once

// Digests, MACs, comparison and randomness on OpenSSL. All functions are thread-safe; outputs are
// raw bytes (hex or base64 them for display).

#include <cstddef>
#include <string>
#include <string_view>

namespace salesos::crypto {

inline constexpr size_t kSha256Bytes = 32;

// Raw 32-byte SHA-256 digest.
std::string Sha256(std::string_view data);
// Raw 32-byte HMAC-SHA256 (RFC 2104); any key length.
std::string HmacSha256(std::string_view key, std::string_view data);

// Compares secrets (MACs, tokens) in time that depends only on their length, so a caller cannot
// learn a correct prefix by timing. Different lengths return false without reading the contents;
// the length itself is not secret for the values this is meant for.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// n bytes from OpenSSL's CSPRNG (RAND_bytes). Aborts the process if it cannot give them: no caller
// could do anything safe with a short or predictable key.
std::string SecureRandom(size_t n);

}  // namespace salesos::crypto
