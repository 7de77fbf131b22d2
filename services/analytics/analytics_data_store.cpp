#include "analytics_data_store.h"

namespace salesos::analytics {

using data_admin::Collection;
using data_admin::FieldKind;

namespace {
constexpr char kRollupId[] = "CAST(hour AS TEXT) || ':' || campaign_id || ':' || platform";
}  // namespace

std::unique_ptr<data_admin::Catalog> AnalyticsDataCatalog(store::Store& db) {
  Collection rollups;
  rollups.name = "analytics";
  rollups.from = "rollups";
  rollups.id_column = kRollupId;
  rollups.fields = {{"hour", "hour", FieldKind::kInt},
                    {"campaign_id", "campaignId"},
                    {"platform", "platform"},
                    {"messages_received", "messagesReceived", FieldKind::kInt},
                    {"messages_sent_ai", "messagesSentAi", FieldKind::kInt},
                    {"messages_sent_agent", "messagesSentAgent", FieldKind::kInt},
                    {"failed_deliveries", "failedDeliveries", FieldKind::kInt},
                    {"conversations_started", "conversationsStarted", FieldKind::kInt},
                    {"leads", "leads", FieldKind::kInt},
                    {"qualified", "qualified", FieldKind::kInt},
                    {"conversions", "conversions", FieldKind::kInt},
                    {"handed_off", "handedOff", FieldKind::kInt},
                    {"ai_replies", "aiReplies", FieldKind::kInt},
                    {"ai_fallbacks", "aiFallbacks", FieldKind::kInt}};
  rollups.search = {"campaign_id", "platform"};
  rollups.delete_dependants = {
      std::string("DELETE FROM revenue_rollups WHERE workspace_id = $1 AND ") + kRollupId +
      " = $2"};
  rollups.clear_dependants = {"DELETE FROM revenue_rollups WHERE workspace_id = $1",
                              "DELETE FROM conversation_timeline WHERE workspace_id = $1",
                              "DELETE FROM deferred_events WHERE workspace_id = $1",
                              "DELETE FROM conversations WHERE workspace_id = $1",
                              "DELETE FROM campaigns WHERE workspace_id = $1"};
  return std::make_unique<data_admin::Catalog>(db, "analytics",
                                               std::vector<Collection>{std::move(rollups)});
}

}  // namespace salesos::analytics
