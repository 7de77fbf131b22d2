// analytics' DataAdmin (the hourly rollups as "analytics") on both engines: composite ids, get,
// delete with the revenue of the same key, clear of every table the workspace has.

#include "analytics_data_store.h"

#include <catch2/catch.hpp>
#include <string>

#include "analytics_lib_migrations.h"
#include "support/databases.h"

namespace salesos::analytics {
namespace {

using testing::Unwrap;

void AddRollup(store::Store& db, const std::string& ws, int64_t hour, const std::string& campaign) {
  REQUIRE_OK(db.Exec("INSERT INTO rollups (workspace_id, hour, campaign_id, platform, "
                     "messages_received) VALUES ($1, $2, $3, 'facebook', 3)",
                     {ws, hour, campaign})
                 .status());
  REQUIRE_OK(
      db.Exec("INSERT INTO revenue_rollups (workspace_id, hour, campaign_id, platform, "
              "currency, amount_minor, orders) VALUES ($1, $2, $3, 'facebook', 'USD', 1999, 1)",
              {ws, hour, campaign})
          .status());
}

int64_t Rows(store::Store& db, const std::string& table, const std::string& ws) {
  return Unwrap(db.Query("SELECT COUNT(*) FROM " + table + " WHERE workspace_id = $1", {ws}))
      .at(0)
      .GetInt(0);
}

void RollupsAsDocuments(store::Store& db) {
  AddRollup(db, "w1", 493000, "k1");
  AddRollup(db, "w1", 493001, "k1");
  AddRollup(db, "w2", 493000, "k1");
  REQUIRE_OK(
      db.Exec("INSERT INTO campaigns (workspace_id, campaign_id, name, status, "
              "target_platform, changed_ms, event_id) VALUES ('w1', 'k1', 'Lamps', 'active', "
              "'all', 1, 'e1')")
          .status());
  auto catalog = AnalyticsDataCatalog(db);

  CHECK(Unwrap(catalog->Counts("w1")).at(0).count == 2);
  std::string doc = Unwrap(catalog->Get("w1", "analytics", "493000:k1:facebook"));
  CHECK(doc.find(R"("id":"493000:k1:facebook")") != std::string::npos);
  CHECK(doc.find(R"("messagesReceived":3)") != std::string::npos);
  CHECK(catalog->Get("w1", "analytics", "493000:k1:instagram").status().code() == Code::kNotFound);

  auto page = Unwrap(catalog->List("w1", "analytics", "", 1, ""));
  REQUIRE(page.documents.size() == 1);
  auto rest = Unwrap(catalog->List("w1", "analytics", "", 1, page.next_page_token));
  REQUIRE(rest.documents.size() == 1);
  CHECK(rest.documents[0].find("493001") != std::string::npos);

  CHECK(Unwrap(catalog->Delete("w1", "analytics", "493000:k1:facebook")) == 2);
  CHECK(Rows(db, "revenue_rollups", "w1") == 1);

  auto removed = Unwrap(catalog->Clear("w1"));
  CHECK(removed.at("analytics") == 1);
  for (const char* table : {"rollups", "revenue_rollups", "campaigns"}) {
    CHECK(Rows(db, table, "w1") == 0);
  }
  CHECK(Rows(db, "rollups", "w2") == 1);
  CHECK(Rows(db, "revenue_rollups", "w2") == 1);
}

SALESOS_TEST_BOTH_ENGINES("analytics data admin shows rollups as documents and clears a workspace",
                          "[analytics][data_admin]", analytics_lib_migrations(), "analytics_data",
                          RollupsAsDocuments)

}  // namespace
}  // namespace salesos::analytics
