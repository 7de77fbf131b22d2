// The Client against a real, private redis-server.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
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

ClientPtr MustConnect(const std::string& url, RedisOptions options = {}) {
  auto client = Connect(url, options);
  REQUIRE(client.ok());
  return *client;
}

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - since).count();
}

// The "calls=N" of one command in INFO commandstats; 0 when it never ran.
int64_t CommandCalls(Client& client, const std::string& command) {
  auto info = client.Command({"INFO", "commandstats"});
  REQUIRE(info.ok());
  std::string key = "cmdstat_" + command + ":calls=";
  size_t at = info->str.find(key);
  if (at == std::string::npos) {
    return 0;
  }
  return std::stoll(info->str.substr(at + key.size()));
}

TEST_CASE("redis set stores a value with a ttl and get reads it back", "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());

  REQUIRE(client->Ping().ok());
  REQUIRE(client->Set("greeting", "hello", 60'000).ok());
  auto value = client->Get("greeting");
  REQUIRE(value.ok());
  REQUIRE(value->has_value());
  CHECK(**value == "hello");

  auto pttl = client->Command({"PTTL", "greeting"});
  REQUIRE(pttl.ok());
  CHECK(pttl->type == Reply::Type::kInteger);
  CHECK(pttl->integer > 0);
  CHECK(pttl->integer <= 60'000);

  auto missing = client->Get("nobody");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  CHECK(*client->Del("greeting") == 1);
  CHECK(*client->Del("greeting") == 0);
}

TEST_CASE("redis set refuses a key without a positive ttl", "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());
  CHECK(client->Set("k", "v", 0).code() == Code::kInvalidArgument);
  CHECK(client->SetNx("k", "v", -5).status().code() == Code::kInvalidArgument);
  CHECK_FALSE(client->Get("k")->has_value());
}

TEST_CASE("redis setnx sets a key only when it is absent", "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());

  auto first = client->SetNx("lock:lead-42", "worker-a", 30'000);
  REQUIRE(first.ok());
  CHECK(*first);
  auto second = client->SetNx("lock:lead-42", "worker-b", 30'000);
  REQUIRE(second.ok());
  CHECK_FALSE(*second);
  CHECK(**client->Get("lock:lead-42") == "worker-a");
  CHECK(client->Command({"PTTL", "lock:lead-42"})->integer > 0);
}

TEST_CASE("redis keys and values holding nul bytes and newlines round-trip unchanged", "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());

  const std::string key("bin\0key\r\n", 9);
  std::string value;
  for (int i = 0; i < 256; ++i) {
    value.push_back(static_cast<char>(i));
  }
  value += std::string("\0\0\r\n$3\r\n", 8);
  REQUIRE(client->Set(key, value, 60'000).ok());
  auto got = client->Get(key);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(got->value().size() == value.size());
  CHECK(**got == value);
  // The key with its NUL is distinct from its prefix.
  CHECK_FALSE(client->Get("bin")->has_value());
}

TEST_CASE("a redis error reply is an internal status from command and a reply from commandraw",
          "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());
  REQUIRE(client->Command({"LPUSH", "a-list", "x"}).ok());

  auto failed = client->Command({"GET", "a-list"});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == Code::kInternal);
  CHECK(failed.status().message().find("WRONGTYPE") == 0);

  auto raw = client->CommandRaw({"GET", "a-list"});
  REQUIRE(raw.ok());
  CHECK(raw->type == Reply::Type::kError);
  CHECK(raw->str.find("WRONGTYPE") == 0);

  CHECK(client->Command({}).status().code() == Code::kInvalidArgument);
  // The connection is still good after an error reply.
  CHECK(client->Ping().ok());
}

TEST_CASE("redis eval passes keys and args to the script and returns its reply", "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());
  const std::string script = "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}";

  auto reply = client->Eval(script, {"k1", "k2"}, {"a1", std::string("a\0b", 3)});
  REQUIRE(reply.ok());
  REQUIRE(reply->type == Reply::Type::kArray);
  REQUIRE(reply->elements.size() == 6);
  CHECK(reply->elements[0].str == "k1");
  CHECK(reply->elements[1].str == "k2");
  CHECK(reply->elements[2].str == "a1");
  CHECK(reply->elements[3].str == std::string("a\0b", 3));
  CHECK(reply->elements[4].integer == 2);
  CHECK(reply->elements[5].integer == 2);

  auto raised = client->Eval("return redis.error_reply('LIMIT exceeded')", {}, {});
  REQUIRE_FALSE(raised.ok());
  CHECK(raised.status().code() == Code::kInternal);
  CHECK(raised.status().message().find("LIMIT exceeded") != std::string::npos);
}

TEST_CASE("redis eval runs by sha1 once cached and falls back to eval after script flush",
          "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());
  const std::string script =
      "redis.call('SET', KEYS[1], ARGV[1], 'PX', 60000) return redis.call('GET', KEYS[1])";
  REQUIRE(client->Command({"CONFIG", "RESETSTAT"}).ok());

  for (int i = 0; i < 3; ++i) {
    auto reply = client->Eval(script, {"counter"}, {std::to_string(i)});
    REQUIRE(reply.ok());
    CHECK(reply->str == std::to_string(i));
  }
  // Only the first call missed the cache; had our SHA1 differed from Redis', every call would.
  CHECK(CommandCalls(*client, "eval") == 1);

  REQUIRE(client->Command({"SCRIPT", "FLUSH"}).ok());
  auto after_flush = client->Eval(script, {"counter"}, {"after"});
  REQUIRE(after_flush.ok());
  CHECK(after_flush->str == "after");
  CHECK(CommandCalls(*client, "eval") == 2);
}

TEST_CASE("eight threads sharing one redis client count every increment", "[redis]") {
  RedisServer server;
  ClientPtr client = MustConnect(server.url());
  constexpr int kThreads = 8;
  constexpr int kIncrements = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        if (!client->Command({"INCR", "hits"}).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(failures == 0);
  CHECK(**client->Get("hits") == std::to_string(kThreads * kIncrements));
  // Never more connections than the pool allows (plus none leaked).
  auto clients = client->Command({"CLIENT", "LIST"});
  REQUIRE(clients.ok());
  size_t lines = 0;
  for (char c : clients->str) {
    lines += c == '\n';
  }
  CHECK(lines <= static_cast<size_t>(RedisOptions{}.pool_size));
}

TEST_CASE("the redis client reconnects after the server restarts", "[redis]") {
  RedisServer server;
  RedisOptions options;
  options.command_timeout_ms = 500;
  ClientPtr client = MustConnect(server.url(), options);
  REQUIRE(client->Set("survivor", "yes", 600'000).ok());

  server.Restart();
  // The first call may find the old connection dead (kUnavailable); a later one must succeed.
  bool pinged = WaitFor(
      [&] {
        Status s = client->Ping();
        if (!s.ok()) {
          CHECK(s.code() == Code::kUnavailable);
        }
        return s.ok();
      },
      milliseconds(5000));
  REQUIRE(pinged);
  // The AOF kept the data across the restart.
  CHECK(**client->Get("survivor") == "yes");
}

TEST_CASE("a redis server that is not running yields unavailable at once", "[redis]") {
  testing::TempDir dir;
  RedisOptions options;
  options.connect_timeout_ms = 300;
  options.command_timeout_ms = 300;
  for (const std::string& url :
       {"unix://" + dir.File("nobody.sock"), std::string("redis://127.0.0.1:1")}) {
    INFO(url);
    ClientPtr client = MustConnect(url, options);
    auto start = std::chrono::steady_clock::now();
    Status s = client->Ping();
    CHECK(s.code() == Code::kUnavailable);
    CHECK(s.message().rfind("redis: ", 0) == 0);
    CHECK(ElapsedMs(start) < 2000);
  }
}

TEST_CASE("a redis server that accepts but never answers yields unavailable after the timeout",
          "[redis]") {
  testing::TempDir dir;
  const std::string path = dir.File("silent.sock");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  // Listening without ever accepting: the kernel completes the connection, nobody replies.
  REQUIRE(::listen(fd, 8) == 0);

  RedisOptions options;
  options.command_timeout_ms = 300;
  ClientPtr client = MustConnect("unix://" + path, options);
  auto start = std::chrono::steady_clock::now();
  Status s = client->Ping();
  int64_t elapsed = ElapsedMs(start);
  CHECK(s.code() == Code::kUnavailable);
  CHECK(s.message().find("no reply within 300 ms") != std::string::npos);
  CHECK(elapsed >= 250);
  CHECK(elapsed < 2000);
  ::close(fd);
}

TEST_CASE("a redis server closing the connection mid-write yields unavailable, not a fatal sigpipe",
          "[redis]") {
  testing::TempDir dir;
  const std::string path = dir.File("closing.sock");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 8) == 0);
  // Accepts and closes without reading: the client's write of a value far larger than the socket
  // buffer is still blocked when the peer goes away, so it fails with EPIPE (and raises SIGPIPE,
  // whose default action would end this test binary).
  std::thread closer([fd] {
    int conn = ::accept(fd, nullptr, nullptr);
    if (conn >= 0) {
      ::close(conn);
    }
  });

  ClientPtr client = MustConnect("unix://" + path);
  Status s = client->Set("big", std::string(8 << 20, 'x'), 60'000);
  closer.join();
  ::close(fd);
  CHECK(s.code() == Code::kUnavailable);
}

TEST_CASE("a redis command outliving the timeout fails and the next call uses a new connection",
          "[redis]") {
  RedisServer server;
  RedisOptions options;
  options.command_timeout_ms = 200;
  ClientPtr client = MustConnect(server.url(), options);

  // BLPOP blocks for 2 s on the server; without BlockingCommand the socket gives up at 200 ms.
  auto start = std::chrono::steady_clock::now();
  auto blocked = client->Command({"BLPOP", "empty-list", "2"});
  CHECK(blocked.status().code() == Code::kUnavailable);
  CHECK(ElapsedMs(start) < 1500);
  CHECK(client->Ping().ok());

  // With BlockingCommand the socket waits out the block and gets the nil reply.
  auto waited = client->BlockingCommand({"BLPOP", "empty-list", "0.3"}, 300);
  REQUIRE(waited.ok());
  CHECK(waited->IsNil());
}

TEST_CASE("waiting for a free pooled redis connection is bounded by the command timeout",
          "[redis]") {
  RedisServer server;
  RedisOptions options;
  options.pool_size = 1;
  options.command_timeout_ms = 200;
  ClientPtr client = MustConnect(server.url(), options);
  ClientPtr observer = MustConnect(server.url());

  // Catch2 assertions are not thread-safe: the holder only records, the test thread checks.
  std::atomic<bool> held_ok{false};
  std::thread holder([&] {
    held_ok = client->BlockingCommand({"BLPOP", "never", "1.5"}, 1500).ok();
  });
  // Until the server sees the BLPOP, the only connection is held.
  REQUIRE(WaitFor(
      [&] {
        auto list = observer->Command({"CLIENT", "LIST"});
        return list.ok() && list->str.find("cmd=blpop") != std::string::npos;
      },
      milliseconds(3000)));
  auto start = std::chrono::steady_clock::now();
  Status s = client->Ping();
  CHECK(s.code() == Code::kUnavailable);
  CHECK(s.message().find("no free connection") != std::string::npos);
  CHECK(ElapsedMs(start) < 1000);
  holder.join();
  CHECK(held_ok);
  CHECK(client->Ping().ok());
}

TEST_CASE("a redis url with password and db authenticates and selects that db", "[redis]") {
  RedisServer server;
  RedisOptions one;
  one.pool_size = 1;  // keeps the admin on its one connection, opened before requirepass
  ClientPtr admin = MustConnect(server.url(), one);
  REQUIRE(admin->Command({"CONFIG", "SET", "requirepass", "s3cr@t"}).ok());

  ClientPtr authed = MustConnect("unix://:s3cr%40t@" + server.socket_path() + "?db=3");
  REQUIRE(authed->Set("tenant", "acme", 60'000).ok());
  CHECK_FALSE(admin->Get("tenant")->has_value());
  REQUIRE(admin->Command({"SELECT", "3"}).ok());
  CHECK(**admin->Get("tenant") == "acme");

  ClientPtr query_password = MustConnect("unix://" + server.socket_path() + "?password=s3cr%40t");
  CHECK(query_password->Ping().ok());

  ClientPtr wrong = MustConnect("unix://:nope@" + server.socket_path());
  Status s = wrong->Ping();
  CHECK(s.code() == Code::kUnavailable);
  CHECK(s.message().find("AUTH") != std::string::npos);
  CHECK(s.message().find("nope") == std::string::npos);
}

TEST_CASE("a redis url over tcp connects and selects its db", "[redis]") {
  RedisServer server;
  RedisOptions one;
  one.pool_size = 1;  // so SELECT below applies to the connection Get uses
  ClientPtr admin = MustConnect(server.url(), one);
  // A free port from the kernel, then handed to redis; the port is free again only for a moment,
  // which is as good as tests binding port 0 get with a server that cannot report its port.
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(probe >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  int port = ntohs(addr.sin_port);
  ::close(probe);
  REQUIRE(admin->Command({"CONFIG", "SET", "bind", "127.0.0.1"}).ok());
  REQUIRE(admin->Command({"CONFIG", "SET", "port", std::to_string(port)}).ok());

  ClientPtr tcp = MustConnect("redis://127.0.0.1:" + std::to_string(port) + "/2");
  REQUIRE(tcp->Set("over-tcp", "1", 60'000).ok());
  REQUIRE(admin->Command({"SELECT", "2"}).ok());
  CHECK(**admin->Get("over-tcp") == "1");
}

}  // namespace
}  // namespace salesos::redis
