// UUIDv7: RFC 9562 layout, uniqueness and creation order; hex helpers.

#include "salesos/core/ids.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "salesos/core/time.h"

namespace salesos {
namespace {

// The 32 hex digits of a UUID, dashes removed.
std::string Digits(const std::string& uuid) {
  std::string out;
  for (char c : uuid) {
    if (c != '-') {
      out += c;
    }
  }
  return out;
}

TEST_CASE("uuid v7 has the rfc 9562 text form with version 7 and variant 10", "[core][ids]") {
  for (int i = 0; i < 100; ++i) {
    std::string id = NewUuidV7();
    INFO(id);
    REQUIRE(id.size() == 36);
    CHECK(IsUuid(id));
    CHECK(id[8] == '-');
    CHECK(id[13] == '-');
    CHECK(id[18] == '-');
    CHECK(id[23] == '-');
    // Version nibble: the first digit of the third group.
    CHECK(id[14] == '7');
    // Variant 10xx: the first digit of the fourth group is 8, 9, a or b.
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    // Lower-case hex only.
    CHECK(Digits(id).find_first_not_of("0123456789abcdef") == std::string::npos);
  }
}

TEST_CASE("uuid v7 made in a tight loop are unique and strictly increasing", "[core][ids]") {
  constexpr int kCount = 10'000;
  std::vector<std::string> ids;
  ids.reserve(kCount);
  for (int i = 0; i < kCount; ++i) {
    ids.push_back(NewUuidV7());
  }
  std::set<std::string> unique(ids.begin(), ids.end());
  CHECK(unique.size() == ids.size());
  for (size_t i = 1; i < ids.size(); ++i) {
    if (!(ids[i - 1] < ids[i])) {
      FAIL("id " << i << " does not sort after its predecessor: " << ids[i - 1] << " then "
                 << ids[i]);
    }
  }
}

TEST_CASE("uuid v7 made by many threads at once are unique", "[core][ids]") {
  constexpr int kThreads = 4;
  constexpr int kEach = 5'000;
  std::vector<std::vector<std::string>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&per_thread, t] {
      for (int i = 0; i < kEach; ++i) {
        per_thread[t].push_back(NewUuidV7());
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::set<std::string> unique;
  for (const auto& ids : per_thread) {
    // Each thread still sees its own ids in creation order.
    for (size_t i = 1; i < ids.size(); ++i) {
      REQUIRE(ids[i - 1] < ids[i]);
    }
    unique.insert(ids.begin(), ids.end());
  }
  CHECK(unique.size() == static_cast<size_t>(kThreads * kEach));
}

TEST_CASE("uuid v7 encodes the given unix millis in its first 48 bits", "[core][ids]") {
  // Ahead of every id made so far in this process, so the monotonic guard keeps it as given.
  const int64_t millis = NowUnixMillis() + 3'600'000;
  std::string id = NewUuidV7(millis);
  char expected[16];
  std::snprintf(expected, sizeof expected, "%012llx", static_cast<unsigned long long>(millis));
  INFO(id);
  CHECK(Digits(id).substr(0, 12) == expected);
  CHECK(std::stoll(Digits(id).substr(0, 12), nullptr, 16) == millis);
}

TEST_CASE("uuid v7 never sorts before an earlier id when the clock goes back", "[core][ids]") {
  std::string later = NewUuidV7(NowUnixMillis() + 7'200'000);
  std::string earlier_clock = NewUuidV7(NowUnixMillis() - 60'000);
  CHECK(later < earlier_clock);
  CHECK(IsUuid(earlier_clock));
}

TEST_CASE("is uuid accepts the text form only", "[core][ids]") {
  CHECK(IsUuid("0190f5c1-7b2a-7cde-8f00-0123456789ab"));
  CHECK(IsUuid("0190F5C1-7B2A-7CDE-8F00-0123456789AB"));
  CHECK(IsUuid("00000000-0000-0000-0000-000000000000"));
  CHECK_FALSE(IsUuid(""));
  CHECK_FALSE(IsUuid("0190f5c1-7b2a-7cde-8f00-0123456789a"));    // 35 characters
  CHECK_FALSE(IsUuid("0190f5c1-7b2a-7cde-8f00-0123456789abc"));  // 37 characters
  CHECK_FALSE(IsUuid("0190f5c17b2a7cde8f000123456789ab"));       // no dashes
  CHECK_FALSE(IsUuid("0190f5c1-7b2a-7cde-8f000-123456789ab"));   // dash misplaced
  CHECK_FALSE(IsUuid("0190f5c1-7b2a-7cde-8f00-0123456789ag"));   // not hex
  CHECK_FALSE(IsUuid("{190f5c1-7b2a-7cde-8f00-0123456789ab"));
}

TEST_CASE("hex encode and random hex give lower-case hex of the right length", "[core][ids]") {
  CHECK(HexEncode("") == "");
  CHECK(HexEncode(std::string("\x00\x01\xab\xff", 4)) == "0001abff");
  std::string r = RandomHex(16);
  CHECK(r.size() == 32);
  CHECK(r.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(RandomHex(16) != r);
  CHECK(RandomBytes(64).size() == 64);
}

}  // namespace
}  // namespace salesos
