#pragma once

// TimeZone: UTC offsets of an IANA time zone ("Asia/Kolkata"), read from the system's compiled
// tz database (TZif files, RFC 8536, under $TZDIR or /usr/share/zoneinfo: Debian's `tzdata`).
// libstdc++ 12 has no std::chrono::tzdb and localtime_r needs the process-wide TZ, so the files are
// read here: their transitions, then the POSIX TZ rule of their footer for later times.
// "UTC" (and "Etc/UTC") works without the files. Immutable, so thread-safe once loaded.
//
// And the civil-calendar arithmetic the rollups and schedules need: days since the epoch ↔ year/month/day.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"

namespace salesos {

class TimeZone {
 public:
  // The zone called `name`, cached after the first load. kInvalidArgument naming `field` for a
  // malformed name or one the tz database does not have.
  static Result<std::shared_ptr<const TimeZone>> Load(std::string_view name,
                                                      std::string_view field = "tz");
  // A zone from the bytes of a TZif file (tests, and Load).
  static Result<TimeZone> FromTzif(std::string name, std::string_view tzif);
  static TimeZone Utc();

  const std::string& name() const { return name_; }
  // Seconds east of UTC at `utc_seconds`.
  int64_t OffsetAt(int64_t utc_seconds) const;
  int64_t ToLocal(int64_t utc_seconds) const { return utc_seconds + OffsetAt(utc_seconds); }
  // The first instant whose local wall time is `local_seconds`; for a wall time skipped by a
  // transition (a spring-forward gap), the instant the gap ends.
  int64_t FromLocal(int64_t local_seconds) const;

  // A POSIX TZ rule as in a TZif footer ("EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30").
  struct Rule {
    int64_t std_offset = 0;  // seconds east of UTC
    int64_t dst_offset = 0;
    bool has_dst = false;
    struct Date {
      char kind = 'M';  // 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.weekday)
      int day = 0, week = 0, month = 0;
      int64_t time = 7200;  // local seconds after midnight; may be negative or past 24 h
    } start, end;
  };
  static Result<Rule> ParseRule(std::string_view text);

 private:
  TimeZone() = default;
  int64_t RuleOffsetAt(int64_t utc_seconds) const;

  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int64_t> offsets_;      // the offset from transitions_[i] on
  int64_t initial_offset_ = 0;        // before the first transition
  bool has_rule_ = false;
  Rule rule_;
};

using TimeZonePtr = std::shared_ptr<const TimeZone>;

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t year, int month, int day);
struct CivilDate {
  int64_t year;
  int month;
  int day;
};
CivilDate CivilFromDays(int64_t days);
// 0 = Monday .. 6 = Sunday.
int WeekdayFromDays(int64_t days);
// floor(a / b) for b > 0.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace salesos
