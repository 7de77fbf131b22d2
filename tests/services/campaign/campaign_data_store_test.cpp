// campaign's DataAdmin (campaigns, templates, segments) on both engines: counts, search, JSON
// columns shown as JSON, delete with the campaign's referrals, clear of one workspace.

#include "campaign_data_store.h"

#include <catch2/catch.hpp>
#include <string>

#include "campaign_lib_migrations.h"
#include "support/databases.h"

namespace salesos::campaign {
namespace {

using testing::Unwrap;

constexpr char kAt[] = "2026-11-21T06:30:00Z";

void AddCampaign(store::Store& db, const std::string& ws, const std::string& id,
                 const std::string& name) {
  REQUIRE_OK(db.Exec("INSERT INTO campaigns (id, workspace_id, name, product, created_at, "
                     "updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                     {id, ws, name, std::string(R"({"name":"Lamp","sku":"L-1"})"), kAt})
                 .status());
  REQUIRE_OK(db.Exec("INSERT INTO campaign_referrals (workspace_id, referral_id, campaign_id) "
                     "VALUES ($1, $2, $3)",
                     {ws, "ref-" + id, id})
                 .status());
}

int64_t ReferralCount(store::Store& db, const std::string& ws) {
  return Unwrap(db.Query("SELECT COUNT(*) FROM campaign_referrals WHERE workspace_id = $1", {ws}))
      .at(0)
      .GetInt(0);
}

void CampaignsAndTemplates(store::Store& db) {
  AddCampaign(db, "w1", "k1", "Spring lamps");
  AddCampaign(db, "w1", "k2", "Winter heaters");
  AddCampaign(db, "w2", "k9", "Spring lamps");
  REQUIRE_OK(db.Exec("INSERT INTO templates (id, workspace_id, name, category, channel, body, "
                     "variables, created_at, updated_at) VALUES ('t1', 'w1', 'Welcome', "
                     "'greeting', 'all', 'Hi there', '[\"contact.firstName\"]', $1, $1)",
                     {kAt})
                 .status());
  for (const char* ws : {"w1", "w2"}) {
    REQUIRE_OK(db.Exec("INSERT INTO segments (id, workspace_id, name, name_key, description, "
                       "rules, created_by, created_at, updated_at) VALUES ($1, $2, 'VIP Lyon', "
                       "'vip lyon', 'big spenders', $3, 'u1', $4, $4)",
                       {std::string("s-") + ws, std::string(ws),
                        std::string(R"({"op":"and","conditions":[{"field":"city","operator":"eq","value":"Lyon"}]})"),
                        kAt})
                   .status());
  }
  auto catalog = CampaignDataCatalog(db);

  auto counts = Unwrap(catalog->Counts("w1"));
  REQUIRE(counts.size() == 3);
  CHECK(counts[0].collection->name == "campaigns");
  CHECK(counts[0].count == 2);
  CHECK(counts[1].count == 1);
  CHECK(counts[2].collection->name == "segments");
  CHECK(counts[2].count == 1);
  auto vip = Unwrap(catalog->List("w1", "segments", "SPENDERS", 0, ""));
  REQUIRE(vip.documents.size() == 1);
  CHECK(vip.documents[0].find(R"("rules":{"op":"and","conditions":[{"field":"city")") !=
        std::string::npos);

  auto spring = Unwrap(catalog->List("w1", "campaigns", "SPRING", 0, ""));
  REQUIRE(spring.documents.size() == 1);
  CHECK(spring.documents[0].find(R"("product":{"name":"Lamp","sku":"L-1"})") != std::string::npos);
  CHECK(
      Unwrap(catalog->Get("w1", "templates", "t1")).find(R"("variables":["contact.firstName"])") !=
      std::string::npos);
  CHECK(catalog->Get("w2", "campaigns", "k1").status().code() == Code::kNotFound);

  CHECK(Unwrap(catalog->Delete("w1", "campaigns", "k1")) == 2);  // it and its referral
  CHECK(ReferralCount(db, "w1") == 1);

  auto removed = Unwrap(catalog->Clear("w1"));
  CHECK(removed ==
        std::map<std::string, int64_t>{{"campaigns", 1}, {"templates", 1}, {"segments", 1}});
  CHECK(ReferralCount(db, "w1") == 0);
  CHECK(ReferralCount(db, "w2") == 1);
  CHECK(Unwrap(catalog->Counts("w2"))[0].count == 1);
  CHECK(Unwrap(catalog->Counts("w2"))[2].count == 1);
}

SALESOS_TEST_BOTH_ENGINES(
    "campaign data admin lists, deletes with referrals and clears a workspace",
    "[campaign][data_admin]", campaign_lib_migrations(), "campaign_data", CampaignsAndTemplates)

}  // namespace
}  // namespace salesos::campaign
