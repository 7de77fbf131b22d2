// salesos-webhook-ingest: Meta's webhook handshake and deliveries → salesos:inbound, and the
// workspaces' outgoing webhooks (salesos:events → their URLs). See README.md.
#include <memory>
#include <optional>

#include "channel_resolver.h"
#include "inbound_pipeline.h"
#include "outgoing_deliverer.h"
#include "outgoing_rules.h"
#include "outgoing_store.h"
#include "outgoing_webhook_service.h"
#include "salesos/core/log.h"
#include "salesos/rpc/data_key.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/service_main.h"
#include "webhook_ingest_lib_migrations.h"
#include "webhook_ingest_service.h"

namespace {

struct IngestState {
  salesos::redis::ClientPtr redis;
  std::unique_ptr<salesos::webhook_ingest::ChannelResolver> resolver;
  std::unique_ptr<salesos::webhook_ingest::InboundPipeline> pipeline;
  std::optional<salesos::crypto::Aead> data_key;
  std::unique_ptr<salesos::webhook_ingest::OutgoingStore> outgoing_store;
  std::unique_ptr<salesos::webhook_ingest::OutgoingDeliverer> deliverer;
  std::unique_ptr<salesos::rpc::BackgroundReseal> reseal;  // secrets sealed with a previous key
};

}  // namespace

int main(int argc, char** argv) {
  using namespace salesos;
  IngestState state;
  rpc::ServiceDefinition def;
  def.name = "webhook_ingest";
  def.default_listen = "127.0.0.1:50054";
  def.migrations = &webhook_ingest_lib_migrations();
  def.add_settings = [](Config& c) {
    c.Add("meta-app-secret", "",
          "the Meta app's App Secret, which signs every delivery (X-Hub-Signature-256); empty: "
          "every delivery is refused 401",
          true);
    c.Add("meta-verify-token", "",
          "the Verify Token typed into the Meta app's webhook settings; empty: every handshake is "
          "refused 403",
          true);
    c.Add("webhooks-allow-private", "false",
          "let outgoing webhook URLs be plain http and reach private, loopback and link-local "
          "addresses (local receivers and tests; never on a shared platform)");
    c.Add("egress-allow", "",
          "the private targets outgoing webhook URLs may reach (over plain http too) while "
          "every other private address stays blocked: comma-separated networks, addresses and "
          "exact host names, each with an optional :port (e.g. "
          "10.1.2.0/24,hooks.internal:8443,[fd00::/8])");
    c.Add("webhooks-retry-base-ms", "30000",
          "the first retry delay of an outgoing webhook delivery; each next one doubles, at most "
          "1 h");
    rpc::AddDataKeySettings(c, "outgoing webhooks' signing secrets");
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

    auto key = rpc::LoadDataKey(ctx.config);
    if (!key.ok()) {
      return key.status();
    }
    state.data_key.emplace(std::move(*key));
    state.reseal = std::make_unique<rpc::BackgroundReseal>(
        ctx.store,
        std::vector<rpc::SealedColumn>{
            {"outgoing_webhooks", "id", "secret_sealed", {"workspace_id"},
             [](const std::string& id, const std::vector<std::string>& aad) {
               return webhook_ingest::SecretAad(aad[0], id);
             }}},
        *state.data_key);
    int64_t retry_base_ms = ctx.config.GetInt("webhooks-retry-base-ms");
    if (retry_base_ms < 10 || retry_base_ms > webhook_ingest::kMaxRetryDelayMs) {
      return InvalidArgument(
          "bad configuration: --webhooks-retry-base-ms (SALESOS_WEBHOOKS_RETRY_BASE_MS) must be "
          "10 to 3600000");
    }
    webhook_ingest::DelivererOptions delivery;
    delivery.allow_private = ctx.config.GetBool("webhooks-allow-private");
    delivery.retry_base_ms = retry_base_ms;
    delivery.timeout_ms = webhook_ingest::kDeliveryTimeoutMs;
    auto egress_allow = http::EgressAllowList::Parse(ctx.config.Get("egress-allow"));
    if (!egress_allow.ok()) {
      return InvalidArgument("bad configuration: --egress-allow (SALESOS_EGRESS_ALLOW): " +
                             egress_allow.status().message());
    }
    delivery.allow = std::move(*egress_allow);
    if (delivery.allow_private) {
      log::Warn(
          "SALESOS_WEBHOOKS_ALLOW_PRIVATE is on: outgoing webhooks may use plain http and reach "
          "private addresses");
    } else if (!delivery.allow.empty()) {
      log::Info("outgoing webhooks may reach these private targets",
                {{"egressAllow", delivery.allow.ToString()}});
    }
    state.outgoing_store = std::make_unique<webhook_ingest::OutgoingStore>(ctx.store);
    state.deliverer = std::make_unique<webhook_ingest::OutgoingDeliverer>(
        *state.outgoing_store, *state.data_key, delivery);
    webhook_ingest::OutgoingServiceOptions outgoing;
    outgoing.allow_private = delivery.allow_private;
    outgoing.allow = delivery.allow;
    auto* deliverer = state.deliverer.get();
    auto outgoing_service = std::make_unique<webhook_ingest::OutgoingWebhookServiceImpl>(
        *state.outgoing_store, *state.data_key, outgoing, ctx.pool,
        [deliverer] { deliverer->Notify(); });

    auto* handler = service.get();
    // Both handlers are idempotent, so a failure of the second retrying the first is harmless.
    ctx.consume_events([handler, deliverer](const redis::StreamEntry& entry) {
      Status st = handler->HandleEvent(entry);
      if (!st.ok()) {
        return st;
      }
      return deliverer->HandleEvent(entry);
    });
    state.deliverer->Start();
    return rpc::Services(std::move(service), std::move(outgoing_service));
  };
  def.on_stop = [&state] {
    if (state.reseal) {
      state.reseal->Stop();
    }
    if (state.deliverer) {
      state.deliverer->Stop();  // attempts in flight finish (each bounded by its 10 s timeout)
    }
  };
  return rpc::RunService(argc, argv, def);
}
