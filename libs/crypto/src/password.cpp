#include "salesos/crypto/password.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace salesos::crypto {
namespace {

struct Cost {
  unsigned long long opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
  size_t memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
};

// A mutex rather than two atomics so a hash never mixes an old opslimit with a new memlimit.
std::mutex cost_mu;
Cost cost;

Cost CurrentCost() {
  std::lock_guard lock(cost_mu);
  return cost;
}

void EnsureSodium() {
  // Function-local static: initialised exactly once even when first used from many threads.
  static const bool ok = [] {
    if (sodium_init() < 0) {
      std::fprintf(stderr, "salesos::crypto: sodium_init failed\n");
      std::abort();
    }
    return true;
  }();
  (void)ok;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  EnsureSodium();
  if (password.size() > crypto_pwhash_argon2id_PASSWD_MAX) {
    return InvalidArgument("password is too long to hash");
  }
  Cost c = CurrentCost();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), c.opslimit, c.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // The documented failure is running out of memory for the argon2 blocks.
    return ResourceExhausted("argon2id password hashing failed (out of memory?)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  EnsureSodium();
  // libsodium reads a NUL-terminated string; an embedded NUL or an over-long value is never a hash
  // we made.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES ||
      hash.find('\0') != std::string_view::npos) {
    return false;
  }
  std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void SetPasswordHashCost(unsigned long long opslimit, size_t memlimit) {
  std::lock_guard lock(cost_mu);
  cost.opslimit = std::max<unsigned long long>(opslimit, crypto_pwhash_argon2id_OPSLIMIT_MIN);
  cost.memlimit = std::max<size_t>(memlimit, crypto_pwhash_argon2id_MEMLIMIT_MIN);
}

}  // namespace salesos::crypto
