#include "salesos/rpc/stream_consumer.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>

#include "support/process.h"
#include "support/redis_server.h"

namespace salesos::rpc {
namespace {

using testing::RedisServer;
using testing::WaitFor;
using namespace std::chrono_literals;

redis::ClientPtr Connect(const RedisServer& server) {
  auto client = redis::Connect(server.url());
  REQUIRE(client.ok());
  return *client;
}

StreamConsumerOptions Options(const std::string& consumer) {
  StreamConsumerOptions o;
  o.stream = "test:events";
  o.group = "tests";
  o.consumer = consumer;
  o.block_ms = 100;
  o.retry_backoff_ms = 20;
  return o;
}

void Add(redis::Client& client, const std::string& value) {
  REQUIRE(client.XAdd("test:events", {{"v", value}}).ok());
}

int64_t PendingCount(redis::Client& client) {
  auto reply = client.Command({"XPENDING", "test:events", "tests"});
  REQUIRE(reply.ok());
  return reply->elements.empty() ? 0 : reply->elements[0].integer;
}

TEST_CASE("a stream consumer handles entries written before and after it starts, once each",
          "[rpc][streams]") {
  RedisServer server;
  auto client = Connect(server);
  Add(*client, "before");
  std::mutex mu;
  std::multiset<std::string> seen;
  StreamConsumer consumer(client, Options("c1"), [&](const redis::StreamEntry& e) {
    std::lock_guard<std::mutex> lock(mu);
    seen.insert(*e.Field("v"));
    return OkStatus();
  });
  consumer.Start();
  Add(*client, "after-1");
  Add(*client, "after-2");
  REQUIRE(WaitFor([&] { return consumer.handled() == 3; }, 10s));
  consumer.Stop();
  std::lock_guard<std::mutex> lock(mu);
  CHECK(seen == std::multiset<std::string>{"before", "after-1", "after-2"});
  CHECK(PendingCount(*client) == 0);
}

TEST_CASE("a failed entry stays pending and is retried until the handler succeeds",
          "[rpc][streams]") {
  RedisServer server;
  auto client = Connect(server);
  std::atomic<int> calls{0};
  StreamConsumer consumer(client, Options("c1"), [&](const redis::StreamEntry&) {
    return ++calls < 3 ? Unavailable("not yet") : OkStatus();
  });
  consumer.Start();
  Add(*client, "x");
  REQUIRE(WaitFor([&] { return consumer.handled() == 1; }, 10s));
  consumer.Stop();
  CHECK(calls == 3);
  CHECK(consumer.dropped() == 0);
  CHECK(PendingCount(*client) == 0);
}

TEST_CASE("an entry that always fails is given up after max_attempts and does not block the next",
          "[rpc][streams]") {
  RedisServer server;
  auto client = Connect(server);
  StreamConsumerOptions options = Options("c1");
  options.max_attempts = 3;
  std::atomic<int> poison_calls{0};
  StreamConsumer consumer(client, options, [&](const redis::StreamEntry& e) {
    if (*e.Field("v") == "poison") {
      ++poison_calls;
      return InvalidArgument("cannot parse");
    }
    return OkStatus();
  });
  consumer.Start();
  Add(*client, "poison");
  Add(*client, "good");
  REQUIRE(WaitFor([&] { return consumer.handled() == 1 && consumer.dropped() == 1; }, 10s));
  consumer.Stop();
  CHECK(poison_calls == 3);
  CHECK(PendingCount(*client) == 0);
}

TEST_CASE("entries a dead consumer left pending are claimed by another after the idle time",
          "[rpc][streams]") {
  RedisServer server;
  auto client = Connect(server);
  REQUIRE(client->XGroupCreate("test:events", "tests", "0").ok());
  Add(*client, "orphan");
  // "dead" reads the entry and never acknowledges it.
  auto read = client->XReadGroup("tests", "dead", "test:events", 10, 0, ">");
  REQUIRE(read.ok());
  REQUIRE(read->size() == 1);
  StreamConsumerOptions options = Options("alive");
  options.claim_idle_ms = 50;
  options.claim_every_ms = 50;
  StreamConsumer consumer(client, options, [&](const redis::StreamEntry&) { return OkStatus(); });
  consumer.Start();
  REQUIRE(WaitFor([&] { return consumer.handled() == 1; }, 10s));
  consumer.Stop();
  CHECK(PendingCount(*client) == 0);
}

TEST_CASE("a stream consumer keeps going after redis restarts", "[rpc][streams]") {
  RedisServer server;
  auto client = Connect(server);
  StreamConsumer consumer(client, Options("c1"), [&](const redis::StreamEntry&) {
    return OkStatus();
  });
  consumer.Start();
  Add(*client, "one");
  REQUIRE(WaitFor([&] { return consumer.handled() == 1; }, 10s));
  server.Restart();
  REQUIRE(WaitFor([&] { return client->XAdd("test:events", {{"v", "two"}}).ok(); }, 10s));
  REQUIRE(WaitFor([&] { return consumer.handled() == 2; }, 15s));
  consumer.Stop();
}

}  // namespace
}  // namespace salesos::rpc
