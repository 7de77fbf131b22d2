// RFC 3339 formatting of known instants, and the clocks.

#include "salesos/core/time.h"

#include <catch2/catch.hpp>

namespace salesos {
namespace {

TEST_CASE("rfc 3339 formats known instants in utc", "[core][time]") {
  CHECK(FormatRfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatRfc3339(1'000'000'000) == "2001-09-09T01:46:40Z");
  CHECK(FormatRfc3339(951'782'400) == "2000-02-29T00:00:00Z");  // a leap day
  CHECK(FormatRfc3339(1'798'093'800) == "2026-12-24T06:30:00Z");
  CHECK(FormatRfc3339(4'102'444'799) == "2099-12-31T23:59:59Z");
}

TEST_CASE("rfc 3339 with millis keeps three digits", "[core][time]") {
  CHECK(FormatRfc3339Millis(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatRfc3339Millis(1'000'000'000'123) == "2001-09-09T01:46:40.123Z");
  CHECK(FormatRfc3339Millis(1'000'000'000'007) == "2001-09-09T01:46:40.007Z");
  CHECK(FormatRfc3339Millis(1'000'000'000'999) == "2001-09-09T01:46:40.999Z");
  CHECK(FormatRfc3339Millis(1'798'093'800'050) == "2026-12-24T06:30:00.050Z");
}

TEST_CASE("clocks agree with each other and move forward", "[core][time]") {
  int64_t before = NowUnixMillis();
  int64_t clock = SystemClock().NowMillis();
  int64_t after = NowUnixMillis();
  CHECK(before <= clock);
  CHECK(clock <= after);
  CHECK(SystemClock().NowSeconds() >= before / 1000);
  CHECK(NowUnixSeconds() >= before / 1000);
  // After 2024, before 2100: a sanity check that these are Unix milliseconds.
  CHECK(before > 1'704'067'200'000);
  CHECK(before < 4'102'444'800'000);
  int64_t m1 = MonotonicMillis();
  int64_t m2 = MonotonicMillis();
  CHECK(m1 <= m2);
}

}  // namespace
}  // namespace salesos

TEST_CASE("RFC 3339 times parse back to the milliseconds they were formatted from", "[core][time]") {
  using salesos::FormatRfc3339Millis;
  using salesos::ParseRfc3339Millis;
  for (int64_t ms : {int64_t{0}, int64_t{1795246200123}, int64_t{951782400000}, int64_t{4102444799999}}) {
    auto parsed = ParseRfc3339Millis(FormatRfc3339Millis(ms));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == ms);
  }
  CHECK(ParseRfc3339Millis("2026-11-21T06:30:00Z") == 1795242600000);
  CHECK(ParseRfc3339Millis("2026-11-21T08:30:00+02:00") == 1795242600000);
  CHECK(ParseRfc3339Millis("2026-11-21T06:30:00.5Z") == 1795242600500);
}

TEST_CASE("malformed RFC 3339 times are refused", "[core][time]") {
  using salesos::ParseRfc3339Millis;
  for (const char* bad : {"", "2026-11-21", "2026-11-21T06:30:00", "2026-13-01T00:00:00Z",
                          "2026-11-21T06:30:00Zjunk", "2026-11-21T06:30:00.Z", "yesterday"}) {
    CHECK_FALSE(ParseRfc3339Millis(bad).has_value());
  }
}
