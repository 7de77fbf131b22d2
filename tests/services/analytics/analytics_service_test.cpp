// AnalyticsService's handlers without gRPC, on SQLite: each workspace reads only its own numbers,
// parameters are checked (400 naming the field), a campaign it never had is 404, and the time zone
// decides the day a conversation counts on.

#include "analytics_service.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "analytics_lib_migrations.h"
#include "support/databases.h"
#include "test_events.h"

namespace salesos::analytics {
namespace {

using salesos::testing::Unwrap;
using testing::At;
using testing::Events;

constexpr char kCampaign[] = "0190a0b0-0000-7000-8000-00000000000a";
constexpr char kOtherCampaign[] = "0190a0b0-0000-7000-8000-00000000000c";

class FixedClock : public Clock {
 public:
  int64_t NowMillis() const override { return At(15, 0, 0, 1); }  // 2026-03-03 15:00 UTC
};

struct Fixture {
  salesos::testing::SqliteDatabase db{analytics_lib_migrations()};
  AnalyticsStore store{db.store()};
  FixedClock clock;
  rpc::WorkPool pool{1};
  AnalyticsService service{store, pool, clock};
  rpc::Caller alice;  // workspace "ws-a"
  rpc::Caller bob;    // workspace "ws-b"

  Fixture() {
    alice.user_id = "u-a";
    alice.workspace_id = "ws-a";
    alice.role = "viewer";
    bob.user_id = "u-b";
    bob.workspace_id = "ws-b";
    bob.role = "owner";
    Events a("ws-a", "a");
    Events b("ws-b", "b");
    for (const auto& f : std::vector<Fact>{
             a.Campaign("created", kCampaign, "Lamps", "active", "instagram", At(8, 0)),
             // 23:30 UTC on March 2nd: March 3rd in Kolkata.
             a.Started("A", kCampaign, "instagram", At(23, 30)),
             a.CustomerMessage("A", kCampaign, "instagram", At(23, 30)),
             a.CustomerMessage("A", kCampaign, "instagram", At(23, 31)),
             a.Sent("A", kCampaign, "instagram", "ai", At(23, 32)),
             a.Conversion("A", kCampaign, 4999, "USD", At(10, 0, 0, 1)),
             b.Campaign("created", kOtherCampaign, "Bob's", "draft", "all", At(8, 0)),
             b.Started("B", kOtherCampaign, "whatsapp", At(9, 0)),
         }) {
      (void)Unwrap(store.Fold(f));
    }
  }
};

std::string RefusedField(const Status& st) {
  INFO(st.ToString());
  REQUIRE(st.code() == Code::kInvalidArgument);
  REQUIRE(st.violations().size() == 1);
  return st.violations()[0].field;
}

TEST_CASE("the dashboard shows the caller's workspace only", "[analytics][service]") {
  Fixture f;
  v1::GetDashboardRequest req;
  req.set_from("2026-03-01");
  req.set_to("2026-03-03");
  v1::Dashboard d;
  REQUIRE_OK(f.service.DoDashboard(f.alice, req, &d));
  CHECK(d.metrics().conversations_started() == 1);
  CHECK(d.metrics().messages_received() == 2);
  CHECK(d.metrics().messages_sent().ai() == 1);
  CHECK(d.metrics().conversions() == 1);
  CHECK(d.metrics().conversion_rate() == 1.0);
  CHECK(d.metrics().avg_first_response_seconds() == 120.0);
  REQUIRE(d.metrics().revenue_size() == 1);
  CHECK(d.metrics().revenue(0).amount() == 49.99);
  CHECK(d.total_campaigns() == 1);
  CHECK(d.active_campaigns() == 1);
  CHECK(d.range().from() == "2026-03-01T00:00:00Z");
  CHECK(d.range().to() == "2026-03-04T00:00:00Z");

  v1::Dashboard other;
  REQUIRE_OK(f.service.DoDashboard(f.bob, req, &other));
  CHECK(other.metrics().conversations_started() == 1);
  CHECK(other.metrics().messages_received() == 0);
  CHECK(other.metrics().revenue_size() == 0);
  CHECK(other.total_campaigns() == 1);
  CHECK(other.active_campaigns() == 0);

  // Filters: another platform sees nothing of A.
  req.set_platform("whatsapp");
  v1::Dashboard wa;
  REQUIRE_OK(f.service.DoDashboard(f.alice, req, &wa));
  CHECK(wa.metrics().conversations_started() == 0);
  CHECK(wa.total_campaigns() == 0);  // the campaign targets instagram
}

TEST_CASE("the time zone decides the day a conversation counts on", "[analytics][service][tz]") {
  Fixture f;
  for (auto [tz, day] : std::vector<std::pair<std::string, std::string>>{
           {"Asia/Kolkata", "2026-03-03"}, {"America/New_York", "2026-03-02"}}) {
    INFO(tz);
    v1::GetTimeseriesRequest req;
    req.add_metrics("conversationsStarted");
    req.set_from("2026-03-01");
    req.set_to("2026-03-03");
    req.set_tz(tz);
    v1::Timeseries s;
    REQUIRE_OK(f.service.DoTimeseries(f.alice, req, &s));
    REQUIRE(s.points_size() == 3);
    for (const auto& p : s.points()) {
      INFO(p.label());
      CHECK(p.values().at("conversationsStarted") == (p.label() == day ? 1.0 : 0.0));
    }
  }
}

TEST_CASE("bad parameters are a 400 naming the field", "[analytics][service]") {
  Fixture f;
  v1::Dashboard d;
  v1::GetDashboardRequest dash;
  dash.set_tz("Mars/Olympus");
  CHECK(RefusedField(f.service.DoDashboard(f.alice, dash, &d)) == "tz");
  dash.set_tz("");
  dash.set_campaign_id("nope");
  CHECK(RefusedField(f.service.DoDashboard(f.alice, dash, &d)) == "campaignId");

  v1::Timeseries s;
  v1::GetTimeseriesRequest ts;
  ts.set_granularity("hour");
  ts.set_from("2026-01-01T00:00:00Z");
  ts.set_to("2026-06-01T00:00:00Z");
  CHECK(RefusedField(f.service.DoTimeseries(f.alice, ts, &s)) == "to");
  ts.set_granularity("minute");
  CHECK(RefusedField(f.service.DoTimeseries(f.alice, ts, &s)) == "granularity");
  ts.set_granularity("");
  ts.add_metrics("clicks");
  CHECK(RefusedField(f.service.DoTimeseries(f.alice, ts, &s)) == "metrics");

  v1::Heatmap h;
  v1::GetHeatmapRequest heat;
  heat.set_from("last week");
  CHECK(RefusedField(f.service.DoHeatmap(f.alice, heat, &h)) == "from");

  api::HttpBody e;
  v1::ExportAnalyticsRequest exp;
  exp.set_format("pdf");
  CHECK(RefusedField(f.service.DoExport(f.alice, exp, &e)) == "format");
}

TEST_CASE("a campaign's funnel, and 404 for a campaign the workspace never had",
          "[analytics][service]") {
  Fixture f;
  v1::GetCampaignAnalyticsRequest req;
  req.set_id(kCampaign);
  req.set_from("2026-03-01");
  v1::CampaignAnalytics c;
  REQUIRE_OK(f.service.DoCampaign(f.alice, req, &c));
  CHECK(c.name() == "Lamps");
  CHECK(c.status() == "active");
  REQUIRE(c.funnel_size() == 4);
  CHECK(c.funnel(0).count() == 1);
  CHECK(c.funnel(1).name() == "engaged");
  CHECK(c.funnel(1).count() == 1);
  CHECK(c.funnel(3).count() == 1);
  CHECK(c.funnel(3).overall_rate() == 1.0);

  v1::CampaignAnalytics none;
  req.set_id(kOtherCampaign);  // Bob's
  CHECK(f.service.DoCampaign(f.alice, req, &none).code() == Code::kNotFound);
  req.set_id("not-an-id");
  CHECK(f.service.DoCampaign(f.alice, req, &none).code() == Code::kNotFound);
}

TEST_CASE("the heatmap and the export read the same rollups", "[analytics][service]") {
  Fixture f;
  v1::GetHeatmapRequest heat;
  heat.set_from("2026-03-01");
  heat.set_tz("Asia/Kolkata");
  v1::Heatmap h;
  REQUIRE_OK(f.service.DoHeatmap(f.alice, heat, &h));
  REQUIRE(h.days_size() == 7);
  CHECK(h.days(1).hours(5) == 3);  // Tuesday 05:00 in Kolkata: two received, one sent

  v1::ExportAnalyticsRequest exp;
  exp.set_from("2026-03-02");
  exp.set_to("2026-03-03");
  api::HttpBody e;
  REQUIRE_OK(f.service.DoExport(f.alice, exp, &e));
  CHECK(std::count(e.content().begin(), e.content().end(), '\n') == 3);  // header, 2 rows
  CHECK(e.content().find(",Lamps,instagram,") != std::string::npos);
  CHECK(e.content().find("Bob") == std::string::npos);
}

TEST_CASE("a token without a workspace reads nothing", "[analytics][service]") {
  Fixture f;
  rpc::Caller service;
  service.token_type = "service";
  v1::Dashboard d;
  CHECK(f.service.DoDashboard(service, {}, &d).code() == Code::kPermissionDenied);
}

}  // namespace
}  // namespace salesos::analytics
