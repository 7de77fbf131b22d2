// salesos-campaign: campaigns, their lifecycle and stats, message templates, segments and
// broadcasts.
#include <memory>

#include "broadcast_sender.h"
#include "broadcast_service.h"
#include "campaign_data_store.h"
#include "campaign_lib_migrations.h"
#include "campaign_service.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/data_admin/data_admin.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/realtime.h"
#include "salesos/rpc/service_main.h"
#include "segment_service.h"
#include "template_service.h"

int main(int argc, char** argv) {
  using namespace salesos;
  std::unique_ptr<campaign::BroadcastEngine> engine;
  rpc::ServiceDefinition def;
  def.name = "campaign";
  def.default_listen = "127.0.0.1:50052";
  def.migrations = &campaign_lib_migrations();
  def.add_settings = [](Config& c) {
    c.Add("broadcast-max-rate", std::to_string(campaign::kDefaultBroadcastMaxRate),
          "the highest ratePerSecond a broadcast may ask for (the WhatsApp number's tier)");
    c.Add("broadcast-lease-ms", "30000",
          "how long a replica's claim on a broadcast's resolution or an integration's sending "
          "lasts without renewal (a crashed replica's work is taken over after it)");
    c.Add("broadcast-concurrency", "16", "sends in flight per integration");
  };
  def.make_services =
      [&engine](rpc::ServiceContext& ctx) -> Result<std::vector<std::unique_ptr<grpc::Service>>> {
    const int64_t max_rate = ctx.config.GetInt("broadcast-max-rate");
    const int64_t lease_ms = ctx.config.GetInt("broadcast-lease-ms");
    const int64_t concurrency = ctx.config.GetInt("broadcast-concurrency");
    if (max_rate < 1 || max_rate > 100000) {
      return InvalidArgument("broadcast-max-rate must be 1 to 100000");
    }
    if (lease_ms < 1000) {
      return InvalidArgument("broadcast-lease-ms must be at least 1000");
    }
    if (concurrency < 1 || concurrency > 256) {
      return InvalidArgument("broadcast-concurrency must be 1 to 256");
    }
    campaign::BroadcastPeers peers;
    peers.resolve_audience =
        campaign::ConversationAudience(ctx.peer("conversation"), ctx.service_tokens);
    peers.send = campaign::ConversationSends(ctx.peer("conversation"), ctx.service_tokens);
    peers.integration = campaign::AuthIntegrations(ctx.auth_channel, ctx.service_tokens);
    peers.business_name = campaign::AuthBusinessNames(ctx.auth_channel, ctx.service_tokens);
    campaign::BroadcastEngineOptions options;
    options.owner = rpc::HostName() + "-" + NewUuidV7();
    options.lease_ms = lease_ms;
    options.concurrency = static_cast<int>(concurrency);
    rpc::EventPublisher* events = &ctx.events;
    auto redis = ctx.redis;
    // Progress for screens (at most once a second a broadcast, and at every status change), and
    // the domain event at status changes.
    auto listener = [events, redis](const campaign::BroadcastRecord& b, bool status_changed) {
      auto published = rpc::PublishRealtime(
          *redis, {"broadcast.updated", b.workspace_id, "", campaign::BroadcastJson(b)});
      if (!published.ok()) {
        log::Warn("broadcast.updated not published",
                  {{"broadcastId", b.id}, {"error", published.status().message()}});
      }
      if (status_changed) {
        events::v1::BroadcastUpdated event;
        event.set_workspace_id(b.workspace_id);
        event.set_broadcast_id(b.id);
        event.set_campaign_id(b.campaign_id);
        event.set_status(b.status);
        event.set_total(static_cast<int32_t>(b.total));
        event.set_sent(static_cast<int32_t>(b.sent));
        event.set_failed(static_cast<int32_t>(b.failed));
        auto sent = events->Publish("broadcast.updated", b.workspace_id, event);
        if (!sent.ok()) {
          log::Warn("broadcast.updated event not published",
                    {{"broadcastId", b.id}, {"error", sent.status().message()}});
        }
      }
    };
    engine = std::make_unique<campaign::BroadcastEngine>(ctx.store, peers, options, listener);
    engine->Start();
    campaign::BroadcastEngine* running = engine.get();
    store::Store* db = &ctx.store;
    ctx.consume_events([db, running](const redis::StreamEntry& entry) {
      return campaign::HandleBroadcastEvent(*db, running, entry);
    });
    return rpc::Services(
        std::make_unique<campaign::CampaignServiceImpl>(ctx.store, ctx.events, ctx.pool),
        std::make_unique<campaign::TemplateServiceImpl>(
            ctx.store, ctx.pool, SystemClock(),
            campaign::AuthBusinessNames(ctx.peer("auth"), ctx.service_tokens),
            campaign::ConversationContacts(ctx.peer("conversation"), ctx.service_tokens)),
        std::make_unique<campaign::SegmentServiceImpl>(
            ctx.store, ctx.pool,
            campaign::ConversationSegmentEvaluator(ctx.peer("conversation"), ctx.service_tokens)),
        std::make_unique<campaign::BroadcastServiceImpl>(ctx.store, ctx.pool, std::move(peers),
                                                         running, static_cast<int32_t>(max_rate)),
        std::make_unique<data_admin::DataAdminServiceImpl>(campaign::CampaignDataCatalog(ctx.store),
                                                           ctx.events, ctx.pool));
  };
  def.on_stop = [&engine] {
    if (engine) {
      engine->Stop();
    }
  };
  return rpc::RunService(argc, argv, def);
}
