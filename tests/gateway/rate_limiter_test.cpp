// The rate limiter against a real, private redis-server.
#include "rate_limiter.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "salesos/redis/redis.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace salesos::gateway {
namespace {

using std::chrono::milliseconds;
using testing::RedisServer;
using testing::WaitFor;

redis::ClientPtr MustConnect(const std::string& url, int timeout_ms = 100) {
  redis::RedisOptions options;
  options.connect_timeout_ms = timeout_ms;
  options.command_timeout_ms = timeout_ms;
  auto client = redis::Connect(url, options);
  REQUIRE(client.ok());
  return *client;
}

RateLimiterOptions Limits(int64_t ip_per_minute, int64_t user_per_minute) {
  RateLimiterOptions options;
  options.ip_per_minute = ip_per_minute;
  options.user_per_minute = user_per_minute;
  return options;
}

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - since).count();
}

// A unix socket that accepts connections (the kernel does, from the backlog) and never answers:
// a Redis that hangs.
class SilentServer {
 public:
  SilentServer() : path_(dir_.File("silent.sock")) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 64) == 0);
  }
  ~SilentServer() { ::close(fd_); }
  std::string url() const { return "unix://" + path_; }

 private:
  testing::TempDir dir_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("rate limiter lets a burst of the limit through, counting down, then refuses",
          "[gateway][rate_limit]") {
  RedisServer server;
  RateLimiter limiter(MustConnect(server.url()), Limits(5, 0));

  for (int64_t i = 1; i <= 5; ++i) {
    INFO("request " << i);
    RateLimitDecision d = limiter.Check("10.0.0.1", "");
    REQUIRE(d.decided);
    CHECK(d.allowed);
    CHECK(d.scope == "ip");
    CHECK(d.limit == 5);
    CHECK(d.remaining == 5 - i);
    // One request refills in 12 s (5 a minute): the bucket is full again 12 s per request spent.
    CHECK(d.reset_seconds == 12 * i);
    CHECK(d.retry_after_seconds == 0);
  }
  RateLimitDecision refused = limiter.Check("10.0.0.1", "");
  REQUIRE(refused.decided);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.remaining == 0);
  CHECK(refused.retry_after_seconds >= 1);
  CHECK(refused.retry_after_seconds <= 12);
  CHECK(refused.reset_seconds <= 60);
  CHECK(limiter.stats().allowed == 5);
  CHECK(limiter.stats().refused == 1);
  CHECK(limiter.stats().failed_open == 0);
}

TEST_CASE("rate limiter keeps independent buckets per address and per user",
          "[gateway][rate_limit]") {
  RedisServer server;
  RateLimiter limiter(MustConnect(server.url()), Limits(3, 100));

  for (int i = 0; i < 3; ++i) {
    REQUIRE(limiter.Check("10.0.0.1", "").allowed);
  }
  CHECK_FALSE(limiter.Check("10.0.0.1", "").allowed);
  RateLimitDecision other = limiter.Check("10.0.0.2", "");
  CHECK(other.allowed);
  CHECK(other.remaining == 2);

  RateLimiter per_user(MustConnect(server.url()), Limits(0, 2));
  REQUIRE(per_user.Check("10.0.0.9", "user-a").allowed);
  REQUIRE(per_user.Check("10.0.0.9", "user-a").allowed);
  CHECK_FALSE(per_user.Check("10.0.0.9", "user-a").allowed);
  RateLimitDecision b = per_user.Check("10.0.0.9", "user-b");
  CHECK(b.allowed);
  CHECK(b.scope == "user");
  CHECK(b.remaining == 1);
}

TEST_CASE("rate limiter checks address and user together and reports the more restrictive",
          "[gateway][rate_limit]") {
  RedisServer server;
  RateLimiter limiter(MustConnect(server.url()), Limits(6, 3));

  for (int64_t i = 1; i <= 3; ++i) {
    RateLimitDecision d = limiter.Check("10.0.0.1", "ada");
    REQUIRE(d.allowed);
    CHECK(d.scope == "user");
    CHECK(d.limit == 3);
    CHECK(d.remaining == 3 - i);
  }
  RateLimitDecision refused = limiter.Check("10.0.0.1", "ada");
  CHECK_FALSE(refused.allowed);
  CHECK(refused.scope == "user");
  CHECK(refused.retry_after_seconds >= 1);
  CHECK(refused.retry_after_seconds <= 20);

  // The refused request charged neither bucket: the address had spent 3 of 6, now 4.
  RateLimitDecision address_only = limiter.Check("10.0.0.1", "");
  REQUIRE(address_only.allowed);
  CHECK(address_only.scope == "ip");
  CHECK(address_only.remaining == 2);

  // Another user on that address has more left than the address: the address is reported.
  RateLimitDecision grace = limiter.Check("10.0.0.1", "grace");
  REQUIRE(grace.allowed);
  CHECK(grace.scope == "ip");
  CHECK(grace.limit == 6);
  CHECK(grace.remaining == 1);
  REQUIRE(limiter.Check("10.0.0.1", "grace").allowed);
  RateLimitDecision address_refuses = limiter.Check("10.0.0.1", "grace");
  CHECK_FALSE(address_refuses.allowed);
  CHECK(address_refuses.scope == "ip");
  CHECK(address_refuses.limit == 6);
}

TEST_CASE("rate limiter with a limit of 0 does not check that limit", "[gateway][rate_limit]") {
  RedisServer server;
  redis::ClientPtr client = MustConnect(server.url());

  RateLimiter none(client, Limits(0, 0));
  for (int i = 0; i < 20; ++i) {
    RateLimitDecision d = none.Check("10.0.0.1", "ada");
    CHECK_FALSE(d.decided);
    CHECK(d.allowed);
  }
  auto keys = client->Command({"DBSIZE"});
  REQUIRE(keys.ok());
  CHECK(keys->integer == 0);

  RateLimiter user_only(client, Limits(0, 2));
  CHECK_FALSE(user_only.Check("10.0.0.1", "").decided);
  CHECK(user_only.Check("10.0.0.1", "ada").scope == "user");

  RateLimiter ip_only(client, Limits(2, 0));
  CHECK(ip_only.Check("10.0.0.1", "ada").scope == "ip");
  CHECK(ip_only.Check("10.0.0.1", "ada").scope == "ip");
  CHECK_FALSE(ip_only.Check("10.0.0.1", "grace").allowed);
}

TEST_CASE("rate limiter refills one request per interval and its keys expire",
          "[gateway][rate_limit]") {
  RedisServer server;
  redis::ClientPtr client = MustConnect(server.url());
  // 60 a minute: one request back each second.
  RateLimiter limiter(client, Limits(60, 0));

  for (int i = 0; i < 60; ++i) {
    REQUIRE(limiter.Check("10.0.0.1", "").allowed);
  }
  RateLimitDecision refused = limiter.Check("10.0.0.1", "");
  REQUIRE_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 1);

  auto ttl = client->Command({"PTTL", "salesos:rl:ip:10.0.0.1"});
  REQUIRE(ttl.ok());
  CHECK(ttl->integer > 0);
  CHECK(ttl->integer <= 60'001);

  CHECK(WaitFor([&] { return limiter.Check("10.0.0.1", "").allowed; }, milliseconds(3000)));
  CHECK_FALSE(limiter.Check("10.0.0.1", "").allowed);
}

TEST_CASE("rate limiter allows exactly the limit to many threads at once",
          "[gateway][rate_limit]") {
  RedisServer server;
  redis::RedisOptions options;
  options.pool_size = 8;
  options.command_timeout_ms = 2000;
  auto client = redis::Connect(server.url(), options);
  REQUIRE(client.ok());
  // 20 a minute refills one every 3 s, far longer than these 320 checks take.
  RateLimiter limiter(*client, Limits(20, 0));

  std::atomic<int> allowed{0};
  std::atomic<int> undecided{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        RateLimitDecision d = limiter.Check("10.0.0.1", "");
        allowed += d.allowed && d.decided ? 1 : 0;
        undecided += d.decided ? 0 : 1;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(undecided == 0);
  CHECK(allowed == 20);
}

// The Lua script's calls so far (INFO commandstats: cmdstat_eval / cmdstat_evalsha).
int64_t ScriptCalls(redis::Client& client) {
  auto info = client.Command({"INFO", "commandstats"});
  REQUIRE(info.ok());
  int64_t calls = 0;
  for (const std::string name : {"cmdstat_eval:calls=", "cmdstat_evalsha:calls="}) {
    size_t at = info->str.find(name);
    if (at != std::string::npos) {
      calls += std::stoll(info->str.substr(at + name.size()));
    }
  }
  return calls;
}

TEST_CASE("rate limiter charges a busy client a batch at a time, and never admits past the limit",
          "[gateway][rate_limit]") {
  RedisServer server;
  redis::ClientPtr client = MustConnect(server.url(), 2000);
  // 600 a minute: batches of up to 10 (a second's worth).
  RateLimiter limiter(client, Limits(0, 600));
  int64_t allowed = 0;
  int64_t last_remaining = 600;
  for (int i = 0; i < 700; ++i) {
    RateLimitDecision d = limiter.Check("10.0.0.1", "ada");
    REQUIRE(d.decided);
    if (d.allowed) {
      ++allowed;
      CHECK(d.remaining == last_remaining - 1);  // counts down by one, local or not
      last_remaining = d.remaining;
    }
  }
  CHECK(allowed == 600);
  CHECK(limiter.stats().allowed == 600);
  CHECK(limiter.stats().refused == 100);
  // 600 admitted in batches of 1, 2, 4, 8, then 10: about 60 calls for them, plus one per refusal.
  int64_t calls = ScriptCalls(*client);
  CHECK(calls < 600 / 10 + 10 + 100);
  CHECK(calls > 100);
}

TEST_CASE("rate limiter fails open at once when redis is not there", "[gateway][rate_limit]") {
  testing::TempDir dir;
  RateLimiter limiter(MustConnect("unix://" + dir.File("no-redis.sock")), Limits(1, 1));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    RateLimitDecision d = limiter.Check("10.0.0.1", "ada");
    CHECK(d.allowed);
    CHECK_FALSE(d.decided);
  }
  CHECK(ElapsedMs(start) < 1000);
  CHECK(limiter.stats().failed_open == 5);
}

TEST_CASE("rate limiter fails open when its redis goes away", "[gateway][rate_limit]") {
  auto server = std::make_unique<RedisServer>();
  RateLimiter limiter(MustConnect(server->url()), Limits(1, 0));
  REQUIRE(limiter.Check("10.0.0.1", "").decided);
  REQUIRE_FALSE(limiter.Check("10.0.0.1", "").allowed);

  server.reset();
  auto start = std::chrono::steady_clock::now();
  RateLimitDecision d = limiter.Check("10.0.0.1", "");
  CHECK(d.allowed);
  CHECK_FALSE(d.decided);
  CHECK(ElapsedMs(start) < 1000);
}

TEST_CASE("rate limiter waits for a hanging redis once, then passes requests without waiting",
          "[gateway][rate_limit]") {
  SilentServer silent;
  RateLimiterOptions options = Limits(10, 10);
  options.pause_after_failure_ms = 60'000;
  RateLimiter limiter(MustConnect(silent.url(), /*timeout_ms=*/100), options);

  auto start = std::chrono::steady_clock::now();
  RateLimitDecision first = limiter.Check("10.0.0.1", "ada");
  int64_t first_ms = ElapsedMs(start);
  CHECK(first.allowed);
  CHECK_FALSE(first.decided);
  CHECK(first_ms >= 80);
  CHECK(first_ms < 2000);

  // Paused: no more waiting on Redis, so the I/O threads are not held.
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    REQUIRE(limiter.Check("10.0.0.1", "ada").allowed);
  }
  CHECK(ElapsedMs(start) < 80);
  CHECK(limiter.stats().failed_open == 101);
}

TEST_CASE("rate limiter asks redis again after its pause and decides once it answers",
          "[gateway][rate_limit]") {
  RedisServer server;
  redis::ClientPtr admin = MustConnect(server.url(), 2000);
  RateLimiterOptions options = Limits(10, 0);
  options.pause_after_failure_ms = 50;
  RateLimiter limiter(MustConnect(server.url(), /*timeout_ms=*/100), options);
  REQUIRE(limiter.Check("10.0.0.1", "").decided);

  // Redis holds every command for 500 ms: the limiter times out and lets the request through.
  REQUIRE(admin->Command({"CLIENT", "PAUSE", "500", "ALL"}).ok());
  RateLimitDecision during = limiter.Check("10.0.0.1", "");
  CHECK(during.allowed);
  CHECK_FALSE(during.decided);

  CHECK(WaitFor([&] { return limiter.Check("10.0.0.1", "").decided; }, milliseconds(5000)));
  CHECK(limiter.stats().failed_open >= 1);
}

TEST_CASE("rate limit client address is the peer unless a trusted proxy forwarded the request",
          "[gateway][rate_limit]") {
  TrustedProxies none;
  CHECK(none.ClientIp("203.0.113.9", "198.51.100.1") == "203.0.113.9");
  CHECK(none.ClientIp("::ffff:203.0.113.9", "") == "203.0.113.9");
  CHECK(none.ClientIp("", "198.51.100.1") == "");

  auto proxies = TrustedProxies::Parse(" 10.0.0.7 ,, ::1");
  REQUIRE(proxies.ok());
  CHECK(proxies->ClientIp("10.0.0.7", "198.51.100.1") == "198.51.100.1");
  // The last entry is the one the proxy appended; what comes before is the client's own claim.
  CHECK(proxies->ClientIp("10.0.0.7", "1.2.3.4, 198.51.100.1") == "198.51.100.1");
  CHECK(proxies->ClientIp("::ffff:10.0.0.7", "2001:db8::1") == "2001:db8::1");
  CHECK(proxies->ClientIp("::1", "198.51.100.1") == "198.51.100.1");
  // Not a proxy of ours: its header is ignored.
  CHECK(proxies->ClientIp("10.0.0.8", "198.51.100.1") == "10.0.0.8");
  // A header that does not end in an address: the proxy is the client.
  CHECK(proxies->ClientIp("10.0.0.7", "198.51.100.1, unknown") == "10.0.0.7");
  CHECK(proxies->ClientIp("10.0.0.7", "") == "10.0.0.7");

  CHECK(TrustedProxies::Parse("").ok());
  CHECK(TrustedProxies::Parse("").value().empty());
  auto bad = TrustedProxies::Parse("10.0.0.7,proxy.internal");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("proxy.internal") != std::string::npos);
}

}  // namespace salesos::gateway
