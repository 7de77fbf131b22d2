// The bound on what one WebSocket may have queued.
#include "send_queue.h"

#include <catch2/catch.hpp>

namespace salesos::gateway {
namespace {

RealtimeFramePtr Frame(size_t bytes) {
  return std::make_shared<const RealtimeFrame>(RealtimeFrame{std::string(bytes, 'x'), ""});
}

}  // namespace

TEST_CASE("send queue refuses the frame past its frame bound and keeps what it had",
          "[gateway][realtime]") {
  SendQueue queue({.max_frames = 3, .max_bytes = 1000});
  REQUIRE(queue.Push(Frame(10)));
  REQUIRE(queue.Push(Frame(10)));
  REQUIRE(queue.Push(Frame(10)));
  CHECK_FALSE(queue.Push(Frame(1)));
  CHECK(queue.frames() == 3);
  CHECK(queue.bytes() == 30);
  queue.Pop();
  CHECK(queue.Push(Frame(1)));
  CHECK(queue.bytes() == 21);
}

TEST_CASE("send queue refuses the frame past its byte bound, and any frame larger than it",
          "[gateway][realtime]") {
  SendQueue queue({.max_frames = 100, .max_bytes = 100});
  CHECK_FALSE(queue.Push(Frame(101)));
  CHECK(queue.empty());
  REQUIRE(queue.Push(Frame(60)));
  REQUIRE(queue.Push(Frame(40)));  // exactly full
  CHECK_FALSE(queue.Push(Frame(1)));
  CHECK(queue.bytes() == 100);
  CHECK(queue.front()->text.size() == 60);
  queue.Pop();
  CHECK(queue.bytes() == 40);
  CHECK(queue.Push(Frame(60)));
  queue.Clear();
  CHECK(queue.empty());
  CHECK(queue.bytes() == 0);
}

}  // namespace salesos::gateway
