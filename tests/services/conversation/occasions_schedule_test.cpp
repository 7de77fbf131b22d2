// The important-date schedule (occasions.h) as pure computation: the send instant in the date's
// zone across DST changes and gaps, 02-29 in other years, the 12-hour late window that ends with
// the local date, years already handled, one-off dates and opt-outs.
#include <catch2/catch.hpp>
#include <string>

#include "occasions.h"
#include "salesos/core/time.h"

namespace salesos::conversation {
namespace {

int64_t At(const std::string& rfc3339) {
  auto ms = ParseRfc3339Millis(rfc3339);
  REQUIRE(ms.has_value());
  return *ms;
}

v1::ImportantDate Date(const std::string& mm_dd, const std::string& time, const std::string& zone) {
  v1::ImportantDate d;
  d.set_id("d1");
  d.set_type("birthday");
  d.set_date(mm_dd);
  d.set_send_time(time);
  d.set_timezone(zone);
  d.set_template_id("t1");
  d.set_repeat_annually(true);
  return d;
}

TimeZonePtr Zone(const std::string& name) {
  auto zone = TimeZone::Load(name);
  REQUIRE(zone.ok());
  return *zone;
}

const auto kNone = [](int64_t) { return false; };

TEST_CASE("a greeting goes out at its send time in the contact's zone", "[conversation][occasions]") {
  auto tokyo = Zone("Asia/Tokyo");
  auto d = Date("03-14", "09:00", "Asia/Tokyo");
  auto next = NextOccasionSend(d, *tokyo, At("2026-03-01T00:00:00Z"), kNone, false);
  REQUIRE(next.has_value());
  CHECK(next->year == 2026);
  CHECK(next->at_ms == At("2026-03-14T00:00:00Z"));  // 09:00 JST
}

TEST_CASE("the send instant follows daylight saving time and skips a spring-forward gap",
          "[conversation][occasions]") {
  auto ny = Zone("America/New_York");
  auto d = Date("03-08", "09:00", "America/New_York");
  // 2026-03-08 is the first day of EDT (UTC-4); on 2027-03-08 New York is still on EST (UTC-5).
  CHECK(OccasionAtMs(d, *ny, 2026) == At("2026-03-08T13:00:00Z"));
  CHECK(OccasionAtMs(d, *ny, 2027) == At("2027-03-08T14:00:00Z"));
  auto next = NextOccasionSend(d, *ny, At("2026-03-09T12:00:00Z"), kNone, false);
  REQUIRE(next.has_value());
  CHECK(next->year == 2027);
  CHECK(next->at_ms == At("2027-03-08T14:00:00Z"));
  // 02:30 does not exist on 2026-03-08 in New York: it goes out an hour later by the clock
  // (03:30 EDT, the instant 02:30 EST would have been).
  auto gap = Date("03-08", "02:30", "America/New_York");
  CHECK(OccasionAtMs(gap, *ny, 2026) == At("2026-03-08T07:30:00Z"));
  // Autumn: 2026-11-01 01:30 happens twice; the first one (EDT) is taken.
  auto twice = Date("11-01", "01:30", "America/New_York");
  CHECK(OccasionAtMs(twice, *ny, 2026) == At("2026-11-01T05:30:00Z"));
}

TEST_CASE("a late greeting still goes out within 12 hours on the same local date only",
          "[conversation][occasions]") {
  auto tokyo = Zone("Asia/Tokyo");
  auto d = Date("03-14", "09:00", "Asia/Tokyo");
  // 09:30 JST: half an hour late, still today's.
  auto late = NextOccasionSend(d, *tokyo, At("2026-03-14T00:30:00Z"), kNone, false);
  REQUIRE(late.has_value());
  CHECK(late->year == 2026);
  CHECK(late->at_ms == At("2026-03-14T00:00:00Z"));
  // 23:59 JST is within 12 hours? No: 09:00 + 12 h = 21:00 JST ends it.
  CHECK(OccasionLatestMs(d, *tokyo, 2026) == At("2026-03-14T12:00:00Z"));
  auto missed = NextOccasionSend(d, *tokyo, At("2026-03-14T12:00:01Z"), kNone, false);
  REQUIRE(missed.has_value());
  CHECK(missed->year == 2027);
  // A 20:00 greeting may be 4 hours late at most: the local date ends at midnight.
  auto evening = Date("03-14", "20:00", "Asia/Tokyo");
  CHECK(OccasionLatestMs(evening, *tokyo, 2026) == At("2026-03-14T15:00:00Z"));
}

TEST_CASE("02-29 is greeted on 02-28 in other years and a handled year is not sent again",
          "[conversation][occasions]") {
  auto utc = Zone("UTC");
  auto d = Date("02-29", "10:00", "UTC");
  CHECK(OccasionAtMs(d, *utc, 2027) == At("2027-02-28T10:00:00Z"));
  CHECK(OccasionAtMs(d, *utc, 2028) == At("2028-02-29T10:00:00Z"));
  auto done2027 = [](int64_t y) { return y == 2027; };
  auto next = NextOccasionSend(d, *utc, At("2027-02-28T10:00:30Z"), done2027, true);
  REQUIRE(next.has_value());
  CHECK(next->year == 2028);
}

TEST_CASE("one-off dates, opt-outs and dates without a template get no greeting",
          "[conversation][occasions]") {
  auto utc = Zone("UTC");
  auto d = Date("06-01", "09:00", "UTC");
  d.set_repeat_annually(false);
  d.set_year(2027);
  auto next = NextOccasionSend(d, *utc, At("2026-07-01T00:00:00Z"), kNone, false);
  REQUIRE(next.has_value());
  CHECK(next->at_ms == At("2027-06-01T09:00:00Z"));
  CHECK_FALSE(NextOccasionSend(d, *utc, At("2027-06-02T00:00:00Z"), kNone, false).has_value());
  // Without a year, a one-off goes out once: not again once sent.
  d.set_year(0);
  CHECK(NextOccasionSend(d, *utc, At("2027-06-02T00:00:00Z"), kNone, false).has_value());
  CHECK_FALSE(NextOccasionSend(d, *utc, At("2027-06-02T00:00:00Z"), kNone, true).has_value());
  auto opted = Date("06-01", "09:00", "UTC");
  opted.set_opt_out(true);
  CHECK_FALSE(NextOccasionSend(opted, *utc, At("2026-01-01T00:00:00Z"), kNone, false).has_value());
  auto no_template = Date("06-01", "09:00", "UTC");
  no_template.clear_template_id();
  CHECK_FALSE(
      NextOccasionSend(no_template, *utc, At("2026-01-01T00:00:00Z"), kNone, false).has_value());
}

}  // namespace
}  // namespace salesos::conversation
