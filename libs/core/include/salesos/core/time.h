#pragma once

#include <cstdint>
#include <string>

namespace salesos {

// Milliseconds since the Unix epoch, UTC (system clock).
int64_t NowUnixMillis();
int64_t NowUnixSeconds();
// Monotonic milliseconds, for deadlines and durations.
int64_t MonotonicMillis();

// "2026-11-21T06:30:00Z" / "2026-11-21T06:30:00.123Z".
std::string FormatRfc3339(int64_t unix_seconds);
std::string FormatRfc3339Millis(int64_t unix_millis);

// A source of time that tests can replace.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMillis() const = 0;
  int64_t NowSeconds() const { return NowMillis() / 1000; }
};
// The process-wide system clock.
const Clock& SystemClock();

}  // namespace salesos
