#pragma once

// PasswordHasher: argon2id hashing and verification with at most `slots` running at once. Each
// one holds 64 MiB (by default) for about a tenth of a second: without a bound, a burst of logins
// on 8 handler threads would take 512 MiB and run no faster on fewer cores. Thread-safe.

#include <atomic>
#include <semaphore>
#include <string>
#include <string_view>

#include "salesos/core/status.h"

namespace salesos::auth {

class PasswordHasher {
 public:
  explicit PasswordHasher(int slots);

  Result<std::string> Hash(std::string_view password);
  bool Verify(std::string_view hash, std::string_view password);
  // Spends the time of a verification without a real hash (an unknown email must take as long
  // as a wrong password).
  void VerifyDummy(std::string_view password);

  // The most hashes that ever ran at once (for tests and metrics).
  int peak_in_flight() const { return peak_.load(); }

 private:
  friend class SlotGuard;
  std::atomic<int> in_flight_{0};
  std::atomic<int> peak_{0};
  std::counting_semaphore<1024> slots_;
  std::string dummy_hash_;
};

}  // namespace salesos::auth
