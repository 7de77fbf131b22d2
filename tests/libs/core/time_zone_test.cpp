// TimeZone on the system's tz database (Debian's tzdata) and on POSIX rules: offsets across DST,
// after the files' last transition, in the southern hemisphere and at half hours.

#include "salesos/core/time_zone.h"

#include <catch2/catch.hpp>

namespace salesos {
namespace {

int64_t Utc(int64_t y, int m, int d, int hh = 0, int mm = 0) {
  return DaysFromCivil(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

TimeZonePtr Zone(const std::string& name) {
  auto tz = TimeZone::Load(name);
  INFO(name << ": " << tz.status().ToString() << " (is the tzdata package installed?)");
  REQUIRE(tz.ok());
  return *tz;
}

TEST_CASE("civil dates convert to days and back, weekdays included", "[analytics][tz]") {
  CHECK(DaysFromCivil(1970, 1, 1) == 0);
  CHECK(DaysFromCivil(2026, 3, 2) == 20514);
  const CivilDate d = CivilFromDays(20514);
  CHECK(d.year == 2026);
  CHECK(d.month == 3);
  CHECK(d.day == 2);
  CHECK(WeekdayFromDays(20514) == 0);  // a Monday
  CHECK(WeekdayFromDays(0) == 3);      // a Thursday
  CHECK(WeekdayFromDays(-1) == 2);
  CHECK(CivilFromDays(DaysFromCivil(2024, 2, 29)).day == 29);
  CHECK(FloorDiv(-1, 3600) == -1);
  CHECK(FloorDiv(3599, 3600) == 0);
}

TEST_CASE("Asia/Kolkata is 5:30 ahead, so 23:30 UTC is 05:00 the next day", "[analytics][tz]") {
  auto tz = Zone("Asia/Kolkata");
  const int64_t t = Utc(2026, 3, 2, 23, 30);
  CHECK(tz->OffsetAt(t) == 19800);
  CHECK(tz->ToLocal(t) == Utc(2026, 3, 3, 5, 0));
  CHECK(tz->FromLocal(Utc(2026, 3, 3)) == Utc(2026, 3, 2, 18, 30));
}

TEST_CASE("America/New_York moves with daylight saving time, also past the file's transitions",
          "[analytics][tz]") {
  auto tz = Zone("America/New_York");
  CHECK(tz->OffsetAt(Utc(2026, 1, 15)) == -5 * 3600);
  CHECK(tz->OffsetAt(Utc(2026, 7, 15)) == -4 * 3600);
  // 2026-03-08 02:00 EST = 07:00 UTC.
  CHECK(tz->OffsetAt(Utc(2026, 3, 8, 7, 0) - 1) == -5 * 3600);
  CHECK(tz->OffsetAt(Utc(2026, 3, 8, 7, 0)) == -4 * 3600);
  // 2026-11-01 02:00 EDT = 06:00 UTC.
  CHECK(tz->OffsetAt(Utc(2026, 11, 1, 6, 0) - 1) == -4 * 3600);
  CHECK(tz->OffsetAt(Utc(2026, 11, 1, 6, 0)) == -5 * 3600);
  // Far beyond any transition in the file: the footer's rule.
  CHECK(tz->OffsetAt(Utc(2100, 7, 1)) == -4 * 3600);
  CHECK(tz->OffsetAt(Utc(2100, 12, 1)) == -5 * 3600);
  CHECK(tz->ToLocal(Utc(2026, 3, 2, 23, 30)) == Utc(2026, 3, 2, 18, 30));
  // Local midnights map back to the instants they are, on both sides of a change.
  CHECK(tz->FromLocal(Utc(2026, 3, 8)) == Utc(2026, 3, 8, 5, 0));
  CHECK(tz->FromLocal(Utc(2026, 3, 9)) == Utc(2026, 3, 9, 4, 0));
}

TEST_CASE("Australia/Sydney has daylight time across the year's end", "[analytics][tz]") {
  auto tz = Zone("Australia/Sydney");
  CHECK(tz->OffsetAt(Utc(2026, 1, 15)) == 11 * 3600);
  CHECK(tz->OffsetAt(Utc(2026, 7, 15)) == 10 * 3600);
  CHECK(tz->OffsetAt(Utc(2095, 1, 15)) == 11 * 3600);
  CHECK(tz->OffsetAt(Utc(2095, 7, 15)) == 10 * 3600);
}

TEST_CASE("POSIX TZ rules parse as TZif footers write them", "[analytics][tz]") {
  auto ny = TimeZone::ParseRule("EST5EDT,M3.2.0,M11.1.0");
  REQUIRE(ny.ok());
  CHECK(ny->std_offset == -18000);
  CHECK(ny->dst_offset == -14400);
  CHECK(ny->start.month == 3);
  CHECK(ny->start.week == 2);
  CHECK(ny->end.time == 7200);
  auto nepal = TimeZone::ParseRule("<+0545>-5:45");
  REQUIRE(nepal.ok());
  CHECK(nepal->std_offset == 5 * 3600 + 45 * 60);
  CHECK_FALSE(nepal->has_dst);
  auto dublin = TimeZone::ParseRule("IST-1GMT0,M10.5.0,M3.5.0/1");
  REQUIRE(dublin.ok());
  CHECK(dublin->std_offset == 3600);
  CHECK(dublin->dst_offset == 0);
  CHECK(dublin->end.time == 3600);
  for (const char* bad : {"", "E5", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "<+05"}) {
    INFO(bad);
    CHECK_FALSE(TimeZone::ParseRule(bad).ok());
  }
}

TEST_CASE("UTC needs no files, and unknown or malformed names are refused naming the field",
          "[analytics][tz]") {
  auto utc = TimeZone::Load("UTC");
  REQUIRE(utc.ok());
  CHECK((*utc)->OffsetAt(Utc(2026, 7, 1)) == 0);
  for (const char* bad : {"Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe/Paris ", "",
                          "Europe//Paris"}) {
    INFO("[" << bad << "]");
    auto tz = TimeZone::Load(bad, "tz");
    REQUIRE_FALSE(tz.ok());
    CHECK(tz.status().code() == Code::kInvalidArgument);
    REQUIRE(tz.status().violations().size() == 1);
    CHECK(tz.status().violations()[0].field == "tz");
  }
  CHECK_FALSE(
      TimeZone::FromTzif("x", "not a tzif file at all, but long enough to have a header").ok());
}

}  // namespace
}  // namespace salesos
