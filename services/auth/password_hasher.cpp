#include "password_hasher.h"

#include <algorithm>

#include "salesos/core/ids.h"
#include "salesos/crypto/password.h"

namespace salesos::auth {
class SlotGuard {
 public:
  explicit SlotGuard(PasswordHasher& h) : h_(h) {
    h_.slots_.acquire();
    int now = h_.in_flight_.fetch_add(1) + 1;
    int peak = h_.peak_.load();
    while (now > peak && !h_.peak_.compare_exchange_weak(peak, now)) {
    }
  }
  ~SlotGuard() {
    h_.in_flight_.fetch_sub(1);
    h_.slots_.release();
  }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  PasswordHasher& h_;
};

PasswordHasher::PasswordHasher(int slots) : slots_(std::clamp(slots, 1, 1024)) {
  auto h = crypto::HashPassword(RandomHex(16));
  dummy_hash_ = h.ok() ? *h : std::string();
}

Result<std::string> PasswordHasher::Hash(std::string_view password) {
  SlotGuard guard(*this);
  return crypto::HashPassword(password);
}

bool PasswordHasher::Verify(std::string_view hash, std::string_view password) {
  SlotGuard guard(*this);
  return crypto::VerifyPassword(hash, password);
}

void PasswordHasher::VerifyDummy(std::string_view password) {
  SlotGuard guard(*this);
  (void)crypto::VerifyPassword(dummy_hash_, password);
}

}  // namespace salesos::auth
