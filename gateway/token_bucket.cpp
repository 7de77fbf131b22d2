#include "token_bucket.h"

#include <algorithm>

namespace salesos::gateway {

TokenBucket::TokenBucket(double rate_per_second, double burst, int64_t now_ms)
    : rate_per_ms_(rate_per_second / 1000.0),
      burst_(std::max(1.0, burst)),
      tokens_(burst_),
      last_ms_(now_ms) {}

bool TokenBucket::Take(int64_t now_ms) {
  if (rate_per_ms_ <= 0) {
    return true;
  }
  if (now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * rate_per_ms_);
    last_ms_ = now_ms;
  }
  if (tokens_ < 1.0) {
    return false;
  }
  tokens_ -= 1.0;
  return true;
}

}  // namespace salesos::gateway
