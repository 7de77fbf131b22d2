// Stream and consumer-group helpers against a real redis-server.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "salesos/redis/redis.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace salesos::redis {
namespace {

using std::chrono::milliseconds;
using testing::RedisServer;
using testing::WaitFor;

ClientPtr MustConnect(const std::string& url) {
  auto client = Connect(url);
  REQUIRE(client.ok());
  return *client;
}

TEST_CASE("creating a redis consumer group twice succeeds both times", "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());
  CHECK(client->XGroupCreate("events", "scorer").ok());
  CHECK(client->XGroupCreate("events", "scorer").ok());
  // MKSTREAM made the stream.
  CHECK(client->Command({"EXISTS", "events"})->integer == 1);
  // Another error is still an error.
  REQUIRE(client->Set("plain", "x", 60'000).ok());
  CHECK(client->XGroupCreate("plain", "scorer").code() == Code::kInternal);
}

TEST_CASE("a redis stream entry moves through a group by xadd, xreadgroup and xack", "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());
  REQUIRE(client->XGroupCreate("leads", "router").ok());

  auto id = client->XAdd("leads", {{"leadId", "L-1"}, {"source", std::string("fb\0ads", 6)}});
  REQUIRE(id.ok());
  CHECK(id->find('-') != std::string::npos);

  auto read = client->XReadGroup("router", "worker-1", "leads", 10, 0);
  REQUIRE(read.ok());
  REQUIRE(read->size() == 1);
  const StreamEntry& entry = read->front();
  CHECK(entry.id == *id);
  REQUIRE(entry.Field("leadId") != nullptr);
  CHECK(*entry.Field("leadId") == "L-1");
  CHECK(*entry.Field("source") == std::string("fb\0ads", 6));
  CHECK(entry.Field("missing") == nullptr);

  // Nothing new for the group, but the entry is pending for worker-1 until acknowledged.
  CHECK(client->XReadGroup("router", "worker-1", "leads", 10, 0)->empty());
  CHECK(client->XReadGroup("router", "worker-1", "leads", 10, 0, "0")->size() == 1);
  auto acked = client->XAck("leads", "router", {entry.id});
  REQUIRE(acked.ok());
  CHECK(*acked == 1);
  CHECK(client->XReadGroup("router", "worker-1", "leads", 10, 0, "0")->empty());
  CHECK(*client->XAck("leads", "router", {}) == 0);
}

TEST_CASE("redis xadd with an approximate max length trims the stream", "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());
  for (int i = 0; i < 500; ++i) {
    REQUIRE(client->XAdd("capped", {{"n", std::to_string(i)}}, 100).ok());
  }
  int64_t length = client->Command({"XLEN", "capped"})->integer;
  CHECK(length >= 100);
  CHECK(length < 500);
  CHECK(client->XAdd("capped", {}).status().code() == Code::kInvalidArgument);
}

TEST_CASE("a pending redis stream entry is reclaimed by another consumer with xautoclaim",
          "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());
  REQUIRE(client->XGroupCreate("jobs", "senders").ok());
  auto kept = client->XAdd("jobs", {{"job", "send-email"}});
  auto deleted = client->XAdd("jobs", {{"job", "gone"}});
  REQUIRE(kept.ok());
  REQUIRE(deleted.ok());
  // worker-a takes both and dies without acknowledging; one entry is then deleted from the stream.
  REQUIRE(client->XReadGroup("senders", "worker-a", "jobs", 10, 0)->size() == 2);
  REQUIRE(client->Command({"XDEL", "jobs", *deleted})->integer == 1);

  AutoClaimResult claimed;
  // Idle for at least 20 ms: polled, not slept, with a bound.
  REQUIRE(WaitFor(
      [&] {
        auto r = client->XAutoClaim("jobs", "senders", "worker-b", 20, "0-0", 10);
        REQUIRE(r.ok());
        claimed = std::move(r).value();
        return !claimed.entries.empty();
      },
      milliseconds(3000)));
  // The deleted one (Redis 7 reports it apart) is not among the entries.
  REQUIRE(claimed.entries.size() == 1);
  CHECK(claimed.entries[0].id == *kept);
  CHECK(*claimed.entries[0].Field("job") == "send-email");
  CHECK(claimed.next_start == "0-0");

  // Now worker-b owns it.
  auto pending_b = client->XReadGroup("senders", "worker-b", "jobs", 10, 0, "0");
  REQUIRE(pending_b.ok());
  REQUIRE(pending_b->size() == 1);
  CHECK(pending_b->front().id == *kept);
  CHECK(client->XReadGroup("senders", "worker-a", "jobs", 10, 0, "0")->empty());
}

TEST_CASE("redis xreadgroup with block returns empty once the block time passes", "[redis]") {
  RedisServer server;
  RedisOptions options;
  options.command_timeout_ms = 300;
  auto connected = Connect(server.url(), options);
  REQUIRE(connected.ok());
  ClientPtr client = *connected;
  REQUIRE(client->XGroupCreate("quiet", "g").ok());

  // Blocks longer than command_timeout_ms on purpose: BlockingCommand must extend the socket wait.
  auto start = std::chrono::steady_clock::now();
  auto read = client->XReadGroup("g", "c", "quiet", 10, 600);
  auto elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(read.ok());
  CHECK(read->empty());
  CHECK(elapsed >= 550);
  CHECK(elapsed < 3000);

  // An entry that is already there comes back at once.
  REQUIRE(client->XAdd("quiet", {{"k", "v"}}).ok());
  auto got = client->XReadGroup("g", "c", "quiet", 10, 600);
  REQUIRE(got.ok());
  CHECK(got->size() == 1);
}

}  // namespace
}  // namespace salesos::redis
