#include "connection_limiter.h"

namespace salesos::gateway {

ConnectionLimiter::Ticket& ConnectionLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    limiter_ = std::move(other.limiter_);
    ip_ = std::move(other.ip_);
    verdict_ = other.verdict_;
    other.limiter_.reset();
  }
  return *this;
}

void ConnectionLimiter::Ticket::Release() {
  if (limiter_ != nullptr) {
    limiter_->Release(ip_, verdict_);
    limiter_.reset();
  }
}

ConnectionLimiter::Ticket ConnectionLimiter::Admit(const std::string& ip) {
  Ticket ticket;
  std::lock_guard lock(mu_);
  if (limits_.max_connections > 0 && admitted_ >= limits_.max_connections) {
    ticket.verdict_ = Verdict::kOverTotal;
  } else if (limits_.max_per_ip > 0) {
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && it->second >= limits_.max_per_ip) {
      ticket.verdict_ = Verdict::kOverPerIp;
    }
  }
  if (ticket.verdict_ != Verdict::kAdmitted) {
    if (overflowing_ >= limits_.overflow) {
      ticket.verdict_ = Verdict::kDropped;
      return ticket;
    }
    ++overflowing_;
  } else {
    ++admitted_;
    if (limits_.max_per_ip > 0) {
      ++per_ip_[ip];
    }
  }
  ticket.limiter_ = shared_from_this();
  ticket.ip_ = ip;
  return ticket;
}

void ConnectionLimiter::Release(const std::string& ip, Verdict verdict) {
  std::lock_guard lock(mu_);
  if (verdict != Verdict::kAdmitted) {
    --overflowing_;
    return;
  }
  --admitted_;
  if (limits_.max_per_ip > 0) {
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && --it->second == 0) {
      per_ip_.erase(it);
    }
  }
}

size_t ConnectionLimiter::connections() const {
  std::lock_guard lock(mu_);
  return admitted_;
}

size_t ConnectionLimiter::overflowing() const {
  std::lock_guard lock(mu_);
  return overflowing_;
}

}  // namespace salesos::gateway
