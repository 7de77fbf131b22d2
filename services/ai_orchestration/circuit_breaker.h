#pragma once

// A circuit breaker per LLM endpoint, so that a provider that keeps failing is skipped (and the
// built-in answer used at once) instead of costing every conversation a full timeout.
//
// Per key: closed (calls go through) → open after `failure_threshold` consecutive failures, for
// `cooldown_ms` → half-open: one trial call goes through; its success closes the circuit, its
// failure opens it for another cool-down. A trial that never reports back (its caller died) is
// given up after a cool-down and another trial is let through. Trip() opens a circuit at once for
// a given time (a 429's retry-after). Successes erase the key, so the map only holds endpoints
// that are failing.
//
// Thread-safe. Time comes from the injected Clock, which must outlive the breaker.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "llm_types.h"
#include "salesos/core/time.h"

namespace salesos::ai {

struct CircuitBreakerOptions {
  int failure_threshold = 5;
  int64_t cooldown_ms = 30'000;
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  explicit CircuitBreaker(const Clock& clock = SystemClock(), CircuitBreakerOptions options = {});

  // Whether a call to `key` may go ahead now. In half-open state the first caller gets true (it
  // is the trial) and the others false until the trial reports.
  bool Allow(std::string_view key);
  void RecordSuccess(std::string_view key);
  void RecordFailure(std::string_view key);
  // Opens the circuit now for `open_ms` (at least), whatever its state.
  void Trip(std::string_view key, int64_t open_ms);

  State StateOf(std::string_view key) const;
  // Consecutive failures counted for `key` (0 when closed and healthy).
  int FailuresOf(std::string_view key) const;

 private:
  struct Entry {
    int failures = 0;
    bool open = false;
    int64_t open_until_ms = 0;
    bool trial_in_flight = false;
    int64_t trial_started_ms = 0;
  };

  const Clock& clock_;
  CircuitBreakerOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

// The breaker key of an endpoint: base URL, model and a fingerprint of the API key (two
// workspaces with their own keys on the same provider have their own rate limits and failures).
// Never contains the key itself.
std::string CircuitKey(const ProviderSettings& settings);

}  // namespace salesos::ai
