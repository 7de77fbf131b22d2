#pragma once

// TokenBucket: a rate with a burst, for one client's messages (a WebSocket's inbound frames).
// `rate_per_second` tokens flow in, up to `burst`; each message takes one, and a message finding
// none is over the rate. Time is passed in (monotonic milliseconds), so it is testable alone. Not
// thread-safe: one owner (a session, on its strand).

#include <cstdint>

namespace salesos::gateway {

class TokenBucket {
 public:
  // rate_per_second 0: no limit (Take always succeeds).
  TokenBucket(double rate_per_second, double burst, int64_t now_ms);
  // Takes one token at `now_ms`; false when there is none.
  bool Take(int64_t now_ms);
  double tokens() const { return tokens_; }

 private:
  double rate_per_ms_;
  double burst_;
  double tokens_;
  int64_t last_ms_;
};

}  // namespace salesos::gateway
