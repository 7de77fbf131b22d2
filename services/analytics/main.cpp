// salesos-analytics: see README.md for what it owns and serves.
#include <memory>

#include "analytics_data_store.h"
#include "analytics_lib_migrations.h"
#include "analytics_service.h"
#include "analytics_store.h"
#include "event_intake.h"
#include "salesos/core/log.h"
#include "salesos/data_admin/data_admin.h"
#include "salesos/rpc/realtime.h"
#include "salesos/rpc/service_main.h"
#include "update_notifier.h"

namespace {

struct AnalyticsState {
  std::unique_ptr<salesos::analytics::AnalyticsStore> store;
  std::unique_ptr<salesos::analytics::UpdateNotifier> notifier;
  std::unique_ptr<salesos::analytics::EventIntake> intake;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace salesos;
  AnalyticsState state;
  rpc::ServiceDefinition def;
  def.name = "analytics";
  def.default_listen = "127.0.0.1:50056";
  def.migrations = &analytics_lib_migrations();
  def.make_services = [&](rpc::ServiceContext& ctx) {
    state.store = std::make_unique<analytics::AnalyticsStore>(ctx.store);
    state
        .notifier = std::make_unique<analytics::UpdateNotifier>([redis = ctx.redis](
                                                                    const std::string& workspace_id,
                                                                    const std::string& data) {
      auto published = rpc::PublishRealtime(*redis, {"analytics.updated", workspace_id, "", data});
      if (!published.ok()) {
        log::Warn("analytics.updated not published",
                  {{"workspaceId", workspace_id}, {"error", published.status().message()}});
      }
    });
    state.notifier->Start();
    state.intake = std::make_unique<analytics::EventIntake>(*state.store, state.notifier.get());
    auto* intake = state.intake.get();
    ctx.consume_events([intake](const redis::StreamEntry& entry) { return intake->Handle(entry); });
    return rpc::Services(std::make_unique<analytics::AnalyticsService>(*state.store, ctx.pool),
                         std::make_unique<data_admin::DataAdminServiceImpl>(
                             analytics::AnalyticsDataCatalog(ctx.store), ctx.events, ctx.pool));
  };
  // The consumer is stopped already: publish what it folded last, then stop.
  def.on_stop = [&] {
    if (state.notifier) {
      state.notifier->Stop();
    }
  };
  return rpc::RunService(argc, argv, def);
}
