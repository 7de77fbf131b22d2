// Subscriber against a real redis-server: delivery, late subscriptions, reconnects, prompt stops.

#include "salesos/redis/subscriber.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "salesos/redis/redis.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace salesos::redis {
namespace {

using std::chrono::milliseconds;
using testing::RedisServer;
using testing::WaitFor;

constexpr milliseconds kWait(5000);

// What a handler received, safe to read from the test thread.
class Inbox {
 public:
  Subscriber::Handler Handler() {
    return [this](const std::string& channel, const std::string& message) {
      std::lock_guard<std::mutex> lock(mu_);
      messages_.emplace_back(channel, message);
    };
  }
  bool Has(const std::string& channel, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& m : messages_) {
      if (m.first == channel && m.second == message) {
        return true;
      }
    }
    return false;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> messages_;
};

ClientPtr MustConnect(const std::string& url) {
  auto client = Connect(url);
  REQUIRE(client.ok());
  return *client;
}

TEST_CASE("a redis subscriber receives messages published to its channel and pattern", "[redis]") {
  RedisServer server;
  ClientPtr publisher = MustConnect(server.url());
  Inbox inbox;
  Subscriber subscriber(server.url());
  subscriber.Subscribe({"events.lead"});
  subscriber.PSubscribe({"tenant.*"});
  subscriber.Start(inbox.Handler());
  REQUIRE(WaitFor([&] { return subscriber.Connected(); }, kWait));

  // Connected means confirmed, so each publish reaches exactly one subscription.
  CHECK(*publisher->Publish("events.lead", "created") == 1);
  const std::string binary("a\0b\r\n", 5);
  CHECK(*publisher->Publish("tenant.acme", binary) == 1);
  CHECK(*publisher->Publish("other", "ignored") == 0);

  CHECK(WaitFor([&] { return inbox.Has("events.lead", "created"); }, kWait));
  // For a pattern the handler gets the channel, not the pattern.
  CHECK(WaitFor([&] { return inbox.Has("tenant.acme", binary); }, kWait));
  subscriber.Stop();
  CHECK_FALSE(subscriber.Connected());
}

TEST_CASE("redis channels subscribed after start are delivered too", "[redis]") {
  RedisServer server;
  ClientPtr publisher = MustConnect(server.url());
  Inbox inbox;
  Subscriber subscriber(server.url());
  subscriber.Start(inbox.Handler());
  REQUIRE(WaitFor([&] { return subscriber.Connected(); }, kWait));

  subscriber.Subscribe({"late"});
  subscriber.PSubscribe({"later.*"});
  // Not confirmed yet the moment Subscribe returns.
  REQUIRE(WaitFor([&] { return subscriber.Connected(); }, kWait));
  CHECK(*publisher->Publish("late", "one") == 1);
  CHECK(*publisher->Publish("later.x", "two") == 1);
  CHECK(WaitFor([&] { return inbox.Has("late", "one") && inbox.Has("later.x", "two"); }, kWait));
}

TEST_CASE("a redis subscriber handler that throws does not stop delivery", "[redis]") {
  RedisServer server;
  ClientPtr publisher = MustConnect(server.url());
  Inbox inbox;
  auto record = inbox.Handler();
  Subscriber subscriber(server.url());
  subscriber.Subscribe({"c"});
  subscriber.Start([&](const std::string& channel, const std::string& message) {
    record(channel, message);
    if (message == "bad") {
      throw std::runtime_error("handler failure");
    }
  });
  REQUIRE(WaitFor([&] { return subscriber.Connected(); }, kWait));
  CHECK(*publisher->Publish("c", "bad") == 1);
  CHECK(*publisher->Publish("c", "good") == 1);
  CHECK(WaitFor([&] { return inbox.Has("c", "good"); }, kWait));
}

TEST_CASE("a redis subscriber reconnects and receives again after the server restarts", "[redis]") {
  RedisServer server;
  Inbox inbox;
  Subscriber subscriber(server.url());
  subscriber.Subscribe({"events"});
  subscriber.PSubscribe({"p.*"});
  subscriber.Start(inbox.Handler());
  REQUIRE(WaitFor([&] { return subscriber.Connected(); }, kWait));
  {
    ClientPtr publisher = MustConnect(server.url());
    REQUIRE(*publisher->Publish("events", "before") == 1);
    REQUIRE(WaitFor([&] { return inbox.Has("events", "before"); }, kWait));
  }

  server.Restart();
  ClientPtr publisher = MustConnect(server.url());
  // Published until the re-subscribed channel counts a receiver; the backoff bounds how long.
  REQUIRE(WaitFor(
      [&] {
        auto n = publisher->Publish("events", "after");
        return n.ok() && *n == 1;
      },
      milliseconds(10000)));
  CHECK(WaitFor([&] { return inbox.Has("events", "after"); }, kWait));
  CHECK(WaitFor([&] { return subscriber.Connected(); }, kWait));
  CHECK(*publisher->Publish("p.q", "pattern-after") == 1);
  CHECK(WaitFor([&] { return inbox.Has("p.q", "pattern-after"); }, kWait));
}

TEST_CASE("redis subscriber stop returns promptly whether connected or retrying", "[redis]") {
  auto stop_ms = [](Subscriber& s) {
    auto start = std::chrono::steady_clock::now();
    s.Stop();
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start)
        .count();
  };
  {
    RedisServer server;
    Subscriber subscriber(server.url());
    subscriber.Subscribe({"c"});
    subscriber.Start([](const std::string&, const std::string&) {});
    REQUIRE(WaitFor([&] { return subscriber.Connected(); }, kWait));
    CHECK(stop_ms(subscriber) < 1000);
  }
  {
    testing::TempDir dir;
    Subscriber subscriber("unix://" + dir.File("nobody.sock"));
    subscriber.Subscribe({"c"});
    subscriber.Start([](const std::string&, const std::string&) {});
    CHECK_FALSE(subscriber.Connected());
    CHECK(stop_ms(subscriber) < 1000);
    // Stop is idempotent.
    CHECK(stop_ms(subscriber) < 1000);
  }
  {
    Subscriber bad_url("http://nowhere");
    bad_url.Start([](const std::string&, const std::string&) {});
    CHECK(stop_ms(bad_url) < 1000);
    CHECK_FALSE(bad_url.Connected());
  }
}

}  // namespace
}  // namespace salesos::redis
