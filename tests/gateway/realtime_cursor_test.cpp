// The order of what a WebSocket sends around the replay of ?since: resync first when events may be
// missing, the replay, then live events, none twice.
#include "realtime_cursor.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace salesos::gateway {
namespace {

std::string Event(const std::string& id) { return R"({"id":")" + id + R"(","type":"t"})"; }

RealtimeFramePtr Frame(const std::string& id) {
  return std::make_shared<const RealtimeFrame>(RealtimeFrame{Event(id), id});
}

std::vector<std::string> Ids(const RealtimeCursor::CatchUpPlan& plan) {
  std::vector<std::string> ids;
  for (const auto& frame : plan.frames) {
    ids.push_back(frame->id);
  }
  return ids;
}

rpc::RealtimeReplay Replay(std::vector<std::string> ids, bool gap = false) {
  rpc::RealtimeReplay replay;
  for (const auto& id : ids) {
    replay.events.push_back(Event(id));
  }
  replay.gap = gap;
  return replay;
}

using IdList = std::vector<std::string>;

}  // namespace

TEST_CASE("without since, live events held during the handshake go out once it is done",
          "[gateway][realtime]") {
  RealtimeCursor cursor(std::nullopt, {});
  CHECK_FALSE(cursor.Live(Frame("5-0")));
  CHECK_FALSE(cursor.Live(Frame("6-0")));
  auto plan = cursor.CatchUp(rpc::RealtimeReplay{});
  CHECK_FALSE(plan.resync);
  CHECK(Ids(plan) == IdList{"5-0", "6-0"});
  CHECK(cursor.live());
  CHECK(cursor.Live(Frame("7-0")));
}

TEST_CASE("a live event that is also in the replay is sent once, in the replay's place",
          "[gateway][realtime]") {
  RealtimeCursor cursor("10-0", {});
  // Published after the session joined but before the log was read: both live and replayed.
  CHECK_FALSE(cursor.Live(Frame("12-0")));
  CHECK_FALSE(cursor.Live(Frame("13-0")));
  auto plan = cursor.CatchUp(Replay({"11-0", "12-0"}));
  CHECK_FALSE(plan.resync);
  CHECK(plan.frames[0]->text == Event("11-0"));  // the replayed text, as logged
  CHECK(Ids(plan) == IdList{"11-0", "12-0", "13-0"});
  CHECK_FALSE(cursor.Live(Frame("12-0")));  // a late duplicate
  CHECK(cursor.Live(Frame("14-0")));
}

TEST_CASE("live events no newer than since are not sent again", "[gateway][realtime]") {
  RealtimeCursor cursor("10-3", {});
  CHECK_FALSE(cursor.Live(Frame("10-2")));
  CHECK_FALSE(cursor.Live(Frame("10-4")));
  auto plan = cursor.CatchUp(Replay({}));
  CHECK(Ids(plan) == IdList{"10-4"});
  CHECK_FALSE(cursor.Live(Frame("9-9")));
  CHECK(cursor.Live(Frame("11-0")));
}

TEST_CASE("a gap, a failed replay or too many held events ask for a resync first",
          "[gateway][realtime]") {
  SECTION("the log does not reach back") {
    RealtimeCursor cursor("10-0", {});
    CHECK_FALSE(cursor.Live(Frame("30-0")));
    auto plan = cursor.CatchUp(Replay({"20-0"}, true));
    CHECK(plan.resync);
    CHECK(Ids(plan) == IdList{"20-0", "30-0"});
  }
  SECTION("the log could not be read") {
    RealtimeCursor cursor("10-0", {});
    CHECK_FALSE(cursor.Live(Frame("30-0")));
    auto plan = cursor.CatchUp(Unavailable("redis: connection refused"));
    CHECK(plan.resync);
    CHECK(Ids(plan) == IdList{"30-0"});
  }
  SECTION("more live events than could be held") {
    RealtimeCursor cursor("10-0", {.max_frames = 2, .max_bytes = 1 << 20});
    for (int i = 0; i < 3; ++i) {
      CHECK_FALSE(cursor.Live(Frame(std::to_string(20 + i) + "-0")));
    }
    CHECK_FALSE(cursor.Live(Frame("30-0")));  // dropped too: the client refetches anyway
    auto plan = cursor.CatchUp(Replay({"11-0"}));
    CHECK(plan.resync);
    CHECK(Ids(plan) == IdList{"11-0"});
    CHECK(cursor.Live(Frame("31-0")));
  }
}

}  // namespace salesos::gateway
