// URL validation through Connect, which parses without connecting.

#include <catch2/catch.hpp>

#include "salesos/redis/redis.h"

namespace salesos::redis {
namespace {

TEST_CASE("well-formed redis and unix urls are accepted without a server", "[redis]") {
  for (const char* url : {
           "redis://localhost",
           "redis://localhost:6380",
           "redis://localhost:6379/3",
           "redis://:s3cret@redis.internal:6379",
           "redis://app:p%40ss@10.0.0.5:6379/1",
           "redis://[::1]:6379",
           "redis://localhost:6379?db=2",
           "unix:///var/run/redis.sock",
           "unix:///var/run/redis.sock?db=4",
           "unix://:s3cret@/var/run/redis.sock",
           "unix:///var/run/redis.sock?db=1&password=s3cret",
       }) {
    INFO(url);
    CHECK(Connect(url).ok());
  }
}

TEST_CASE("malformed or unsupported redis urls are rejected as invalid arguments", "[redis]") {
  for (const char* url : {
           "",
           "localhost:6379",
           "http://localhost:6379",
           "rediss://localhost:6379",
           "redis://",
           "redis://:6379",
           "redis://localhost:",
           "redis://localhost:0",
           "redis://localhost:65536",
           "redis://localhost:port",
           "redis://localhost/db",
           "redis://localhost/-1",
           "redis://localhost/1?db=2",
           "redis://secret@localhost",
           "redis://[::1",
           "redis://localhost?timeout=5",
           "redis://localhost?db",
           "redis://:p%zzss@localhost",
           "unix://",
           "unix:///",
           "unix://host/var/run/redis.sock",
           "unix:///var/run/redis.sock?db=x",
       }) {
    INFO(url);
    auto client = Connect(url);
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("non-positive redis options are rejected as invalid arguments", "[redis]") {
  RedisOptions no_pool;
  no_pool.pool_size = 0;
  CHECK(Connect("redis://localhost", no_pool).status().code() == Code::kInvalidArgument);
  RedisOptions no_timeout;
  no_timeout.command_timeout_ms = 0;
  CHECK(Connect("redis://localhost", no_timeout).status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace salesos::redis
