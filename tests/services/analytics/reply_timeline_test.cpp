// ComputeWaits: bursts of customer messages answered by the next reply, the first response, and
// replies that answered nothing.

#include "reply_timeline.h"

#include <catch2/catch.hpp>
#include <vector>

namespace salesos::analytics {
namespace {

std::vector<TimelineEntry> Timeline(std::vector<std::pair<int64_t, char>> items) {
  std::vector<TimelineEntry> out;
  int n = 0;
  for (auto [at, kind] : items) {
    TimelineEntry e;
    e.at_ms = at;
    e.kind = kind;
    e.event_id = "e" + std::to_string(n++);
    out.push_back(e);
  }
  return out;
}

TEST_CASE("a reply answers the burst before it, from the burst's first message",
          "[analytics][timeline]") {
  // An outbound message first (answers nothing), then two bursts.
  auto t = Timeline(
      {{0, 'r'}, {100, 'c'}, {150, 'c'}, {400, 'r'}, {450, 'r'}, {1000, 'c'}, {1600, 'r'}});
  ComputeWaits(t);
  CHECK(t[0].wait_ms == -1);
  CHECK_FALSE(t[0].first);
  CHECK(t[3].wait_ms == 300);
  CHECK(t[3].first);
  CHECK(t[4].wait_ms == -1);  // a second reply to the same burst
  CHECK(t[6].wait_ms == 600);
  CHECK_FALSE(t[6].first);
}

TEST_CASE("at the same millisecond a customer's message comes before the reply",
          "[analytics][timeline]") {
  auto t = Timeline({{500, 'r'}, {500, 'c'}});
  std::sort(t.begin(), t.end());
  ComputeWaits(t);
  CHECK(t[0].kind == 'c');
  CHECK(t[1].wait_ms == 0);
  CHECK(t[1].first);
}

}  // namespace
}  // namespace salesos::analytics
