#include "circuit_breaker.h"

#include <algorithm>
#include <cstdio>

namespace salesos::ai {

CircuitBreaker::CircuitBreaker(const Clock& clock, CircuitBreakerOptions options)
    : clock_(clock), options_(options) {
  options_.failure_threshold = std::max(1, options_.failure_threshold);
  options_.cooldown_ms = std::max<int64_t>(0, options_.cooldown_ms);
}

bool CircuitBreaker::Allow(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || !it->second.open) {
    return true;
  }
  Entry& e = it->second;
  int64_t now = clock_.NowMillis();
  if (now < e.open_until_ms) {
    return false;
  }
  if (e.trial_in_flight && now - e.trial_started_ms < options_.cooldown_ms) {
    return false;
  }
  e.trial_in_flight = true;
  e.trial_started_ms = now;
  return true;
}

void CircuitBreaker::RecordSuccess(std::string_view key) {
  std::lock_guard lock(mu_);
  entries_.erase(std::string(key));
}

void CircuitBreaker::RecordFailure(std::string_view key) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[std::string(key)];
  int64_t now = clock_.NowMillis();
  ++e.failures;
  if (e.open || e.failures >= options_.failure_threshold) {
    // A failed trial, or the threshold reached: (re)open for a cool-down.
    e.open = true;
    e.open_until_ms = std::max(e.open_until_ms, now + options_.cooldown_ms);
    e.trial_in_flight = false;
  }
}

void CircuitBreaker::Trip(std::string_view key, int64_t open_ms) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[std::string(key)];
  ++e.failures;
  e.open = true;
  e.open_until_ms = std::max(e.open_until_ms, clock_.NowMillis() + std::max<int64_t>(0, open_ms));
  e.trial_in_flight = false;
}

CircuitBreaker::State CircuitBreaker::StateOf(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || !it->second.open) {
    return State::kClosed;
  }
  return clock_.NowMillis() < it->second.open_until_ms ? State::kOpen : State::kHalfOpen;
}

int CircuitBreaker::FailuresOf(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(key));
  return it == entries_.end() ? 0 : it->second.failures;
}

std::string CircuitKey(const ProviderSettings& settings) {
  // FNV-1a over the key: enough to tell keys apart, and not reversible into the key.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : settings.api_key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char fp[17];
  std::snprintf(fp, sizeof(fp), "%016llx", static_cast<unsigned long long>(h));
  std::string base = settings.base_url;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return base + " " + settings.model + " " + (settings.api_key.empty() ? "-" : fp);
}

}  // namespace salesos::ai
