#include "login_guard.h"

#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/crypto/hash.h"

namespace salesos::auth {
namespace {

std::string Key(const std::string& email_key) {
  return "salesos:auth:login-failures:" + HexEncode(crypto::Sha256(email_key));
}

// INCR, and start the window on the first failure only (a fixed window from the first failure).
constexpr char kFailScript[] = R"lua(
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
)lua";

}  // namespace

Status LoginGuard::Check(const std::string& email_key) {
  auto count = redis_->Get(Key(email_key));
  if (!count.ok() || !count->has_value()) {
    return OkStatus();
  }
  if (std::atoll((*count)->c_str()) < kMaxFailures) {
    return OkStatus();
  }
  auto ttl = redis_->Command({"TTL", Key(email_key)});
  int retry = ttl.ok() && ttl->integer > 0 ? static_cast<int>(ttl->integer) : kWindowSeconds;
  return ResourceExhausted("too many failed logins for this email; try again in " +
                           std::to_string((retry + 59) / 60) + " minutes")
      .WithRetryAfter(retry);
}

void LoginGuard::RecordFailure(const std::string& email_key) {
  auto r = redis_->Eval(kFailScript, {Key(email_key)}, {std::to_string(kWindowSeconds)});
  if (!r.ok()) {
    log::Warn("cannot count a failed login", {{"error", r.status().message()}});
  }
}

}  // namespace salesos::auth
