#include "campaign_data_store.h"

namespace salesos::campaign {

using data_admin::Collection;
using data_admin::FieldKind;

std::unique_ptr<data_admin::Catalog> CampaignDataCatalog(store::Store& db) {
  Collection campaigns;
  campaigns.name = "campaigns";
  campaigns.from = "campaigns";
  campaigns.fields = {{"name", "name"},
                      {"status", "status"},
                      {"target_platform", "targetPlatform"},
                      {"product", "product", FieldKind::kJson},
                      {"price_minor", "priceMinor", FieldKind::kInt},
                      {"currency", "currency"},
                      {"chat_flow", "chatFlow", FieldKind::kJson},
                      {"target_audience", "targetAudience", FieldKind::kJson},
                      {"outreach_message", "outreachMessage"},
                      {"referral_ids", "referralIds", FieldKind::kJson},
                      {"messages_sent", "messagesSent", FieldKind::kInt},
                      {"responses", "responses", FieldKind::kInt},
                      {"conversions", "conversions", FieldKind::kInt},
                      {"revenue_minor", "revenueMinor", FieldKind::kInt},
                      {"activated_at", "activatedAt"},
                      {"completed_at", "completedAt"},
                      {"created_at", "createdAt"},
                      {"updated_at", "updatedAt"}};
  campaigns.search = {"name", "status", "outreach_message"};
  // A campaign's broadcasts and their recipients go with it (and with the workspace's campaigns).
  campaigns.delete_dependants = {
      "DELETE FROM campaign_referrals WHERE workspace_id = $1 AND campaign_id = $2",
      "DELETE FROM broadcast_recipients WHERE workspace_id = $1 AND broadcast_id IN (SELECT id "
      "FROM broadcasts WHERE workspace_id = $1 AND campaign_id = $2)",
      "DELETE FROM broadcasts WHERE workspace_id = $1 AND campaign_id = $2"};
  campaigns.clear_dependants = {"DELETE FROM campaign_referrals WHERE workspace_id = $1",
                                "DELETE FROM broadcast_recipients WHERE workspace_id = $1",
                                "DELETE FROM broadcasts WHERE workspace_id = $1"};

  Collection templates;
  templates.name = "templates";
  templates.from = "templates";
  templates.fields = {{"name", "name"},
                      {"category", "category"},
                      {"channel", "channel"},
                      {"body", "body"},
                      {"variables", "variables", FieldKind::kJson},
                      {"created_at", "createdAt"},
                      {"updated_at", "updatedAt"}};
  templates.search = {"name", "category", "body"};

  Collection segments;
  segments.name = "segments";
  segments.from = "segments";
  segments.fields = {{"name", "name"},
                     {"description", "description"},
                     {"rules", "rules", FieldKind::kJson},
                     {"created_by", "createdBy"},
                     {"created_at", "createdAt"},
                     {"updated_at", "updatedAt"}};
  segments.search = {"name", "description"};

  return std::make_unique<data_admin::Catalog>(
      db, "campaign",
      std::vector<Collection>{std::move(campaigns), std::move(templates), std::move(segments)});
}

}  // namespace salesos::campaign
