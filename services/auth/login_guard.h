#pragma once

// LoginGuard: after kMaxFailures failed logins for one email within the window, every further
// attempt for that email is refused (RESOURCE_EXHAUSTED with Retry-After) until the window passes,
// whatever the password. The count is per email, from any address, and a success does not reset
// it: an attacker cannot clear its own count by letting the owner log in, nor the owner an
// attacker's. Redis key salesos:auth:login-failures:<sha256(email)> (INCR, TTL = the window).
// Thread-safe.

#include <string>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"

namespace salesos::auth {

class LoginGuard {
 public:
  static constexpr int kMaxFailures = 10;
  static constexpr int kWindowSeconds = 15 * 60;

  explicit LoginGuard(redis::ClientPtr redis) : redis_(std::move(redis)) {}

  // RESOURCE_EXHAUSTED when the email is locked; ok otherwise (also when Redis cannot say: a
  // Redis outage must not lock everyone out, the password check still runs).
  Status Check(const std::string& email_key);
  void RecordFailure(const std::string& email_key);

 private:
  redis::ClientPtr redis_;
};

}  // namespace salesos::auth
