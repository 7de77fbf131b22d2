// salesos-webhook-ingest: Meta's webhook handshake and deliveries → salesos:inbound. See README.md.
#include <memory>

#include "channel_resolver.h"
#include "inbound_pipeline.h"
#include "salesos/core/log.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/service_main.h"
#include "webhook_ingest_service.h"

namespace {

struct IngestState {
  salesos::redis::ClientPtr redis;
  std::unique_ptr<salesos::webhook_ingest::ChannelResolver> resolver;
  std::unique_ptr<salesos::webhook_ingest::InboundPipeline> pipeline;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace salesos;
  IngestState state;
  rpc::ServiceDefinition def;
  def.name = "webhook_ingest";
  def.default_listen = "127.0.0.1:50054";
  def.migrations = nullptr;
  def.add_settings = [](Config& c) {
    c.Add("meta-app-secret", "",
          "the Meta app's App Secret, which signs every delivery (X-Hub-Signature-256); empty: "
          "every delivery is refused 401",
          true);
    c.Add("meta-verify-token", "",
          "the Verify Token typed into the Meta app's webhook settings; empty: every handshake is "
          "refused 403",
          true);
  };
  def.make_services =
      [&](rpc::ServiceContext& ctx) -> Result<std::vector<std::unique_ptr<grpc::Service>>> {
    const std::string& app_secret = ctx.config.Get("meta-app-secret");
    if (app_secret.empty()) {
      log::Error(
          "SALESOS_META_APP_SECRET (--meta-app-secret) is not set: every webhook delivery "
          "will be refused 401 until it is");
    }
    if (ctx.config.Get("meta-verify-token").empty()) {
      log::Warn(
          "SALESOS_META_VERIFY_TOKEN (--meta-verify-token) is not set: Meta's subscription "
          "handshake will be refused 403");
    }
    // The hot path gets connections of its own: the events consumer blocks one of ctx.redis'.
    redis::RedisOptions options;
    options.pool_size = 16;
    auto redis = redis::Connect(ctx.config.Get("redis-url"), options);
    if (!redis.ok()) {
      return redis.status();
    }
    state.redis = *redis;
    state.resolver = std::make_unique<webhook_ingest::ChannelResolver>(
        state.redis, webhook_ingest::AuthChannelLookup(ctx.auth_channel, ctx.service_tokens));
    webhook_ingest::PipelineOptions pipeline;
    pipeline.app_secret = app_secret;
    state.pipeline =
        std::make_unique<webhook_ingest::InboundPipeline>(state.redis, *state.resolver, pipeline);
    auto service = std::make_unique<webhook_ingest::WebhookIngestService>(
        *state.pipeline, *state.resolver, ctx.config.Get("meta-verify-token"), ctx.pool);
    auto* handler = service.get();
    ctx.consume_events(
        [handler](const redis::StreamEntry& entry) { return handler->HandleEvent(entry); });
    return rpc::Services(std::move(service));
  };
  return rpc::RunService(argc, argv, def);
}
