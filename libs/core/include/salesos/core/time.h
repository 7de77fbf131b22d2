#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace salesos {

// Milliseconds since the Unix epoch, UTC (system clock).
int64_t NowUnixMillis();
int64_t NowUnixSeconds();
// Monotonic milliseconds, for deadlines and durations.
int64_t MonotonicMillis();

// "2026-11-21T06:30:00Z" / "2026-11-21T06:30:00.123Z".
std::string FormatRfc3339(int64_t unix_seconds);
std::string FormatRfc3339Millis(int64_t unix_millis);
// Unix milliseconds of an RFC 3339 time ("2026-11-21T06:30:00Z", with optional fraction and a
// "Z" or ±hh:mm offset); nullopt for anything else.
std::optional<int64_t> ParseRfc3339Millis(std::string_view text);

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
