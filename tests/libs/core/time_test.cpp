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
