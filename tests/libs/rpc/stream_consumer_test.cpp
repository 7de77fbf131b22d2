#include "salesos/rpc/stream_consumer.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "salesos/core/log.h"
#include "salesos/metrics/metrics.h"
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

TEST_CASE("with concurrency one key's entries run in stream order while another key's run beside them",
          "[rpc][streams]") {
  RedisServer server;
  auto client = Connect(server);
  // One batch: key a's three entries and key b's one, written before the consumer starts.
  for (const std::string v : {"a:1", "a:2", "b:1", "a:3"}) {
    Add(*client, v);
  }
  StreamConsumerOptions options = Options("c1");
  options.concurrency = 4;
  options.key = [](const redis::StreamEntry& e) {
    return e.Field("v")->substr(0, 1);
  };
  std::mutex mu;
  std::condition_variable cv;
  bool b_started = false;
  std::vector<std::string> a_steps;  // "start a:1", "end a:1", ...
  StreamConsumer consumer(client, options, [&](const redis::StreamEntry& e) {
    const std::string v = *e.Field("v");
    std::unique_lock<std::mutex> lock(mu);
    if (v == "b:1") {
      b_started = true;
      cv.notify_all();
      return OkStatus();
    }
    a_steps.push_back("start " + v);
    if (v == "a:1" && !cv.wait_for(lock, 5s, [&] { return b_started; })) {
      // One at a time, b would only start after a's entries.
      a_steps.push_back("b did not run beside a");
      return Unavailable("b did not run beside a");
    }
    a_steps.push_back("end " + v);
    return OkStatus();
  });
  consumer.Start();
  REQUIRE(WaitFor([&] { return consumer.handled() == 4; }, 10s));
  consumer.Stop();
  std::lock_guard<std::mutex> lock(mu);
  CHECK(a_steps == std::vector<std::string>{"start a:1", "end a:1", "start a:2", "end a:2",
                                            "start a:3", "end a:3"});
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

TEST_CASE("a stream consumer handles an entry within its traceparent and counts what it did",
          "[rpc][streams]") {
  RedisServer server;
  auto client = Connect(server);
  StreamConsumerOptions options = Options("traced");
  options.stream = "test:traced";
  options.max_attempts = 2;
  const std::string tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  REQUIRE(client->XAdd(options.stream, {{"v", "ok"}, {"traceparent", tp}}).ok());
  REQUIRE(client->XAdd(options.stream, {{"v", "poison"}}).ok());
  std::mutex mu;
  std::vector<std::string> traces;
  StreamConsumer consumer(client, options, [&](const redis::StreamEntry& e) -> Status {
    std::lock_guard<std::mutex> lock(mu);
    traces.push_back(log::CurrentTraceparent());
    return *e.Field("v") == "ok" ? OkStatus() : Internal("cannot");
  });
  consumer.Start();
  REQUIRE(WaitFor([&] { return consumer.dropped() == 1; }, 10s));
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE(traces.size() == 3);
    CHECK(traces[0] == tp);
    CHECK(traces[1].empty());  // an entry without one runs without any
  }
  std::string text = metrics::DefaultRegistry().Serialize();
  const std::string labels = "{stream=\"test:traced\",group=\"tests\"}";
  CHECK(text.find("salesos_stream_entries_handled_total" + labels + " 1\n") != std::string::npos);
  CHECK(text.find("salesos_stream_entries_failed_total" + labels + " 2\n") != std::string::npos);
  CHECK(text.find("salesos_stream_entries_dropped_total" + labels + " 1\n") != std::string::npos);
  CHECK(text.find("salesos_stream_group_lag" + labels + " 0\n") != std::string::npos);
  // Acknowledged just after it was given up on (the group's numbers are cached for a second).
  CHECK(WaitFor(
      [&] {
        return metrics::DefaultRegistry().Serialize().find("salesos_stream_group_pending" +
                                                           labels + " 0\n") != std::string::npos;
      },
      10s));
  consumer.Stop();
}

}  // namespace
}  // namespace salesos::rpc
