#include "salesos/rpc/realtime.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "salesos/redis/subscriber.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace salesos::rpc {
namespace {

using testing::RedisServer;
using testing::WaitFor;
using namespace std::chrono_literals;

RealtimeEvent Event(const std::string& workspace, int n) {
  return {"message.created", workspace, "conv-" + std::to_string(n),
          "{\"n\":" + std::to_string(n) + ",\"text\":\"Olá 👋\"}"};
}

TEST_CASE("realtime: published events reach subscribers and the log with the same id",
          "[realtime]") {
  RedisServer server;
  auto client = redis::Connect(server.url());
  REQUIRE(client.ok());
  redis::Subscriber sub(server.url());
  std::mutex mu;
  std::vector<std::string> got;
  sub.Subscribe({RealtimeChannel("ws-a")});
  sub.Start([&](const std::string&, const std::string& message) {
    std::lock_guard lock(mu);
    got.push_back(message);
  });
  REQUIRE(WaitFor([&] { return sub.Connected(); }, 5s));

  auto id = PublishRealtime(**client, Event("ws-a", 1));
  REQUIRE(id.ok());
  REQUIRE(IsRealtimeId(*id));
  REQUIRE(PublishRealtime(**client, Event("ws-b", 2)).ok());  // another workspace's channel
  REQUIRE(WaitFor(
      [&] {
        std::lock_guard lock(mu);
        return !got.empty();
      },
      5s));
  std::string live;
  {
    std::lock_guard lock(mu);
    live = got.front();
  }
  auto parsed = boost::json::parse(live).as_object();
  CHECK(parsed.at("id").as_string() == *id);
  CHECK(parsed.at("type").as_string() == "message.created");
  CHECK(parsed.at("workspaceId").as_string() == "ws-a");
  CHECK(parsed.at("conversationId").as_string() == "conv-1");
  CHECK(parsed.at("data").as_object().at("text").as_string() == "Olá 👋");
  CHECK(parsed.at("ts").as_string().size() == 24);

  auto replay = RealtimeSince(**client, "ws-a", "0-0");
  REQUIRE(replay.ok());
  REQUIRE(replay->events.size() == 1);
  CHECK(replay->events[0] == live);
  CHECK_FALSE(replay->gap);
  sub.Stop();
  {
    std::lock_guard lock(mu);
    CHECK(got.size() == 1);  // ws-b's event went to its own channel
  }
}

TEST_CASE("realtime: since returns only later events, oldest first", "[realtime]") {
  RedisServer server;
  auto client = redis::Connect(server.url());
  REQUIRE(client.ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto id = PublishRealtime(**client, Event("ws", i));
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  auto replay = RealtimeSince(**client, "ws", ids[1]);
  REQUIRE(replay.ok());
  REQUIRE(replay->events.size() == 3);
  for (int i = 0; i < 3; ++i) {
    auto e = boost::json::parse(replay->events[i]).as_object();
    CHECK(e.at("id").as_string() == ids[i + 2]);
  }
  CHECK_FALSE(replay->gap);
  auto latest = RealtimeSince(**client, "ws", ids.back());
  REQUIRE(latest.ok());
  CHECK(latest->events.empty());
  CHECK_FALSE(latest->gap);
  auto limited = RealtimeSince(**client, "ws", ids[0], 2);
  REQUIRE(limited.ok());
  CHECK(limited->events.size() == 2);
}

TEST_CASE("realtime: a log that no longer reaches back is a gap", "[realtime]") {
  RedisServer server;
  auto client = redis::Connect(server.url());
  REQUIRE(client.ok());
  // Nothing logged (expired, or never): a client holding an id may have missed events.
  auto none = RealtimeSince(**client, "quiet", "1-0");
  REQUIRE(none.ok());
  CHECK(none->gap);
  auto first = PublishRealtime(**client, Event("busy", 0));
  REQUIRE(first.ok());
  for (int i = 1; i < kRealtimeLogMaxLen + 300; ++i) {
    REQUIRE(PublishRealtime(**client, Event("busy", i)).ok());
  }
  auto trimmed = RealtimeSince(**client, "busy", *first);
  REQUIRE(trimmed.ok());
  CHECK(trimmed->gap);
  CHECK(trimmed->events.size() <= static_cast<size_t>(kRealtimeLogMaxLen));
  auto ttl = (*client)->Command({"PTTL", RealtimeLogKey("busy")});
  REQUIRE(ttl.ok());
  CHECK(ttl->integer > 0);
  CHECK(ttl->integer <= kRealtimeLogTtlMs);
}

TEST_CASE("realtime: bad input is refused", "[realtime]") {
  RedisServer server;
  auto client = redis::Connect(server.url());
  REQUIRE(client.ok());
  for (const char* bad : {"", "abc", "12", "-1", "1-", "1-x", "1-2-3"}) {
    INFO(bad);
    CHECK(RealtimeSince(**client, "ws", bad).status().code() == Code::kInvalidArgument);
    CHECK_FALSE(IsRealtimeId(bad));
  }
  CHECK(PublishRealtime(**client, {"message.created", "ws", "c", "[1]"}).status().code() ==
        Code::kInvalidArgument);
  CHECK(PublishRealtime(**client, {"message.created", "ws", "c", "{not json"}).status().code() ==
        Code::kInvalidArgument);
}

}  // namespace
}  // namespace salesos::rpc
