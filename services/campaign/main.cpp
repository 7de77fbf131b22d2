// salesos-campaign: campaigns, their lifecycle and stats, message templates and segments.
#include "campaign_data_store.h"
#include "campaign_lib_migrations.h"
#include "salesos/data_admin/data_admin.h"
#include "campaign_service.h"
#include "salesos/rpc/service_main.h"
#include "segment_service.h"
#include "template_service.h"

int main(int argc, char** argv) {
  using namespace salesos;
  rpc::ServiceDefinition def;
  def.name = "campaign";
  def.default_listen = "127.0.0.1:50052";
  def.migrations = &campaign_lib_migrations();
  def.make_services = [](rpc::ServiceContext& ctx) {
    return rpc::Services(
        std::make_unique<campaign::CampaignServiceImpl>(ctx.store, ctx.events, ctx.pool),
        std::make_unique<campaign::TemplateServiceImpl>(
            ctx.store, ctx.pool, SystemClock(),
            campaign::AuthBusinessNames(ctx.peer("auth"), ctx.service_tokens),
            campaign::ConversationContacts(ctx.peer("conversation"), ctx.service_tokens)),
        std::make_unique<campaign::SegmentServiceImpl>(
            ctx.store, ctx.pool,
            campaign::ConversationSegmentEvaluator(ctx.peer("conversation"), ctx.service_tokens)),
        std::make_unique<data_admin::DataAdminServiceImpl>(campaign::CampaignDataCatalog(ctx.store),
                                                           ctx.events, ctx.pool));
  };
  return rpc::RunService(argc, argv, def);
}
