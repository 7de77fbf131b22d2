#include "salesos/crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace salesos::crypto {
namespace {

[[noreturn]] void Die(const char* what) {
  // Only reachable when OpenSSL cannot allocate or its RNG is unseeded; carrying on would mean
  // handing out empty digests or guessable bytes.
  std::fprintf(stderr, "salesos::crypto: %s failed\n", what);
  std::abort();
}

}  // namespace

std::string Sha256(std::string_view data) {
  std::string out(kSha256Bytes, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sha256(), nullptr) != 1 ||
      len != kSha256Bytes) {
    Die("SHA-256");
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<size_t>(INT_MAX)) {
    // HMAC hashes over-long keys down anyway (RFC 2104 §3); only OpenSSL's int length needs this.
    return HmacSha256(Sha256(key), data);
  }
  std::string out(kSha256Bytes, '\0');
  unsigned int len = 0;
  // A null key pointer means "reuse the previous key" to OpenSSL; give it a valid one when empty.
  static const char kEmpty = 0;
  const void* key_ptr = key.empty() ? &kEmpty : key.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr ||
      len != kSha256Bytes) {
    Die("HMAC-SHA256");
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string SecureRandom(size_t n) {
  std::string out(n, '\0');
  size_t done = 0;
  while (done < n) {
    int chunk = static_cast<int>(std::min<size_t>(n - done, INT_MAX));
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done), chunk) != 1) {
      Die("RAND_bytes");
    }
    done += static_cast<size_t>(chunk);
  }
  return out;
}

}  // namespace salesos::crypto
