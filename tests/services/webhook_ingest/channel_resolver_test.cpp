// ChannelResolver over a private redis-server with a fake auth behind it, and the channel.changed
// event that drops its cache.
#include "channel_resolver.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "fake_channels.h"
#include "inbound_pipeline.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/events.h"
#include "support/redis_server.h"
#include "webhook_ingest_service.h"

namespace salesos::webhook_ingest {
namespace {

struct Fixture {
  Fixture() { auth.channels["facebook:104857600123456"] = {"ws-1", "int-1"}; }

  ChannelResolver Resolver(ChannelResolverOptions options = {}) {
    return ChannelResolver(redis, auth.Lookup(), options);
  }

  testing::RedisServer server;
  redis::ClientPtr redis = redis::Connect(server.url()).value();
  FakeChannels auth;
};

std::optional<ChannelRef> Resolve(ChannelResolver& r, const std::string& platform,
                                  const std::string& id) {
  auto out = r.Resolve(platform, id);
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  return *out;
}

}  // namespace

TEST_CASE("a resolved channel is cached for its TTL, then asked again", "[webhook_ingest]") {
  Fixture f;
  ChannelResolver r = f.Resolver({.ttl_ms = 300, .negative_ttl_ms = 100});
  auto first = Resolve(r, "facebook", "104857600123456");
  REQUIRE(first.has_value());
  CHECK(first->workspace_id == "ws-1");
  CHECK(first->integration_id == "int-1");
  auto again = Resolve(r, "facebook", "104857600123456");
  REQUIRE(again.has_value());
  CHECK(again->workspace_id == "ws-1");
  CHECK(f.auth.calls == 1);
  auto ttl = f.redis->Command({"PTTL", "salesos:channel:facebook:104857600123456"});
  REQUIRE(ttl.ok());
  CHECK(ttl->integer > 0);
  CHECK(ttl->integer <= 300);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(Resolve(r, "facebook", "104857600123456").has_value());
  CHECK(f.auth.calls == 2);
}

TEST_CASE("an unknown channel is cached briefly, so a new connection is found soon",
          "[webhook_ingest]") {
  Fixture f;
  ChannelResolver r = f.Resolver({.ttl_ms = 60'000, .negative_ttl_ms = 150});
  CHECK_FALSE(Resolve(r, "instagram", "17841400000000001").has_value());
  CHECK_FALSE(Resolve(r, "instagram", "17841400000000001").has_value());
  CHECK(f.auth.calls == 1);
  f.auth.channels["instagram:17841400000000001"] = {"ws-2", "int-2"};
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  auto found = Resolve(r, "instagram", "17841400000000001");
  REQUIRE(found.has_value());
  CHECK(found->workspace_id == "ws-2");
}

TEST_CASE("platforms are cached apart", "[webhook_ingest]") {
  Fixture f;
  ChannelResolver r = f.Resolver();
  CHECK(Resolve(r, "facebook", "104857600123456").has_value());
  CHECK_FALSE(Resolve(r, "whatsapp", "104857600123456").has_value());
}

TEST_CASE("Forget drops the cached channel", "[webhook_ingest]") {
  Fixture f;
  ChannelResolver r = f.Resolver();
  CHECK(Resolve(r, "facebook", "104857600123456")->workspace_id == "ws-1");
  f.auth.channels["facebook:104857600123456"] = {"ws-9", "int-9"};
  CHECK(Resolve(r, "facebook", "104857600123456")->workspace_id == "ws-1");
  REQUIRE(r.Forget("facebook", "104857600123456").ok());
  CHECK(Resolve(r, "facebook", "104857600123456")->workspace_id == "ws-9");
  CHECK(r.Forget("facebook", "never-cached").ok());
}

TEST_CASE("a failed lookup passes through and is not cached", "[webhook_ingest]") {
  Fixture f;
  ChannelResolver r = f.Resolver();
  f.auth.failure = Unavailable("auth is down");
  CHECK(r.Resolve("facebook", "104857600123456").status().code() == Code::kUnavailable);
  f.auth.failure = OkStatus();
  CHECK(Resolve(r, "facebook", "104857600123456").has_value());
  CHECK(f.auth.calls == 2);
}

TEST_CASE("a cache entry this code did not write is replaced", "[webhook_ingest]") {
  Fixture f;
  REQUIRE(f.redis->Set("salesos:channel:facebook:104857600123456", "garbage", 60'000).ok());
  ChannelResolver r = f.Resolver();
  CHECK(Resolve(r, "facebook", "104857600123456")->workspace_id == "ws-1");
  CHECK(f.redis->Get("salesos:channel:facebook:104857600123456").value() == "ws-1 int-1");
}

TEST_CASE("the resolver answers UNAVAILABLE when Redis is out of reach", "[webhook_ingest]") {
  FakeChannels auth;
  redis::RedisOptions options;
  options.connect_timeout_ms = 100;
  auto redis = redis::Connect("unix:///nonexistent/redis.sock", options).value();
  ChannelResolver r(redis, auth.Lookup());
  CHECK(r.Resolve("facebook", "1").status().code() == Code::kUnavailable);
}

TEST_CASE("auth's channel.changed event drops the cached channel, other events are left alone",
          "[webhook_ingest]") {
  Fixture f;
  ChannelResolver r = f.Resolver();
  CHECK(Resolve(r, "facebook", "104857600123456").has_value());
  const std::string key = ChannelResolver::CacheKey("facebook", "104857600123456");
  REQUIRE(f.redis->Get(key).value().has_value());

  // Written the way auth writes it, read the way the service's consumer reads it.
  rpc::EventPublisher publisher(f.redis, "auth");
  events::v1::WorkspaceProfileUpdated other;
  other.set_workspace_id("ws-1");
  REQUIRE(publisher.Publish("workspace.profile_updated", "ws-1", other).ok());
  events::v1::ChannelChanged changed;
  changed.set_workspace_id("ws-1");
  changed.set_integration_id("int-1");
  changed.set_platform("facebook");
  changed.set_external_id("104857600123456");
  changed.set_change("disconnected");
  REQUIRE(publisher.Publish("channel.changed", "ws-1", changed).ok());
  REQUIRE(f.redis->XGroupCreate(rpc::kEventsStream, "webhook_ingest").ok());
  auto entries = f.redis->XReadGroup("webhook_ingest", "t", rpc::kEventsStream, 10, 0).value();
  REQUIRE(entries.size() == 2);

  InboundPipeline pipeline(f.redis, r, PipelineOptions{});
  rpc::WorkPool pool(1);
  WebhookIngestService service(pipeline, r, "verify", pool);
  REQUIRE(service.HandleEvent(entries[0]).ok());
  CHECK(f.redis->Get(key).value().has_value());
  REQUIRE(service.HandleEvent(entries[1]).ok());
  CHECK_FALSE(f.redis->Get(key).value().has_value());
  // An unreadable entry is acknowledged, not retried for ever.
  redis::StreamEntry junk{"1-1", {{"type", "channel.changed"}, {"envelope", "\xff\xff"}}};
  CHECK(service.HandleEvent(junk).ok());
}

}  // namespace salesos::webhook_ingest
