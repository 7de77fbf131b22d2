// The reading side without a database: ranges and their buckets in a time zone (zero-filled, at
// most 2,000), metrics from counters, the funnel, the heatmap, and the export's RFC 4180 CSV.

#include "report.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "salesos/core/time.h"
#include "test_events.h"

namespace salesos::analytics {
namespace {

using testing::At;

Range MustRange(const std::string& from, const std::string& to, const std::string& tz,
                Granularity g = Granularity::kDay, int64_t now_ms = At(15, 0)) {
  auto r = ParseRange(from, to, tz, g, now_ms);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

std::string RefusedField(const Status& st) {
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == Code::kInvalidArgument);
  REQUIRE(st.violations().size() == 1);
  return st.violations()[0].field;
}

RollupRow Row(int64_t unix_ms, Counter counter, int64_t n) {
  RollupRow r;
  r.key.hour = HourOf(unix_ms);
  r.totals.counters[counter] = n;
  return r;
}

TEST_CASE(
    "a conversation at 23:30 UTC counts on the next day in Kolkata and the same day in "
    "New York",
    "[analytics][report][tz]") {
  const std::vector<RollupRow> rows = {Row(At(23, 30), kConversationsStarted, 1)};
  for (auto [tz, day] :
       std::vector<std::pair<std::string, std::string>>{{"Asia/Kolkata", "2026-03-03"},
                                                        {"America/New_York", "2026-03-02"},
                                                        {"UTC", "2026-03-02"}}) {
    INFO(tz);
    Range range = MustRange("2026-03-01", "2026-03-04", tz);
    auto buckets = Buckets::Make(range, Granularity::kDay);
    REQUIRE(buckets.ok());
    REQUIRE(buckets->list().size() == 4);
    auto series =
        MakeTimeseries(range, Granularity::kDay, *buckets, {"conversationsStarted"}, rows);
    REQUIRE(series.points_size() == 4);
    for (const auto& p : series.points()) {
      INFO(p.label());
      CHECK(p.values().at("conversationsStarted") == (p.label() == day ? 1.0 : 0.0));
    }
  }
  // And its heatmap cell: Tuesday 05:00 in Kolkata, Monday 18:00 in New York.
  auto kolkata = MakeHeatmap(MustRange("2026-03-01", "2026-03-04", "Asia/Kolkata"), "messages",
                             {Row(At(23, 30), kMessagesReceived, 3)});
  REQUIRE(kolkata.days_size() == 7);
  CHECK(kolkata.days(1).weekday() == "tuesday");
  CHECK(kolkata.days(1).hours(5) == 3);
  auto new_york = MakeHeatmap(MustRange("2026-03-01", "2026-03-04", "America/New_York"), "messages",
                              {Row(At(23, 30), kMessagesReceived, 3)});
  CHECK(new_york.days(0).hours(18) == 3);
}

TEST_CASE("dates are whole days of the zone and RFC 3339 instants are taken as they are",
          "[analytics][report]") {
  Range r = MustRange("2026-03-02", "2026-03-02", "Asia/Kolkata");
  CHECK(r.from == At(18, 30, 0, -1) / 1000);
  CHECK(r.to == At(18, 30) / 1000);
  // 18:00-19:00 UTC is 23:30-00:30 in Kolkata: its middle is on the 2nd, so it counts there.
  CHECK(r.first_hour() == At(18, 0, 0, -1) / 1000);
  CHECK(r.hours() == 24);
  r = MustRange("2026-03-02T10:15:00Z", "2026-03-02T12:00:00+01:00", "UTC");
  CHECK(r.from == At(10, 15) / 1000);
  CHECK(r.to == At(11, 0) / 1000);
  CHECK(r.hours() == 1);  // 10:00-11:00: its middle is in the range
  // Defaults: the 30 days ending with today; the last 24 hours.
  r = MustRange("", "", "UTC", Granularity::kDay, At(15, 20));
  CHECK(r.to == At(0, 0, 0, 1) / 1000);
  CHECK(r.from == At(0, 0, 0, -29) / 1000);
  r = MustRange("", "", "UTC", Granularity::kHour, At(15, 20));
  CHECK(r.to == At(16, 0) / 1000);
  CHECK(r.hours() == 24);
  CHECK(r.ToProto().from() == "2026-03-01T16:00:00Z");
}

TEST_CASE("bad ranges name their field", "[analytics][report]") {
  auto refused = [](const std::string& from, const std::string& to, const std::string& tz) {
    auto r = ParseRange(from, to, tz, Granularity::kDay, At(15, 0));
    return RefusedField(r.status());
  };
  CHECK(refused("yesterday", "", "") == "from");
  CHECK(refused("2026-02-30", "", "") == "from");
  CHECK(refused("", "2026-13-01", "") == "to");
  CHECK(refused("2026-03-02", "2026-03-01", "") == "to");
  CHECK(refused("", "", "Mars/Olympus") == "tz");
  CHECK(refused("2015-01-01", "2026-01-01", "") == "from");  // more than ten years
}

TEST_CASE("time series fill empty buckets with zeros", "[analytics][report]") {
  Range range = MustRange("2026-03-01", "2026-03-03", "UTC");
  auto buckets = Buckets::Make(range, Granularity::kDay);
  REQUIRE(buckets.ok());
  std::vector<RollupRow> rows = {Row(At(10, 0), kMessagesReceived, 4),
                                 Row(At(11, 0), kMessagesReceived, 2)};
  rows[1].totals.revenue["EUR"] = {2500, 1};
  auto s = MakeTimeseries(range, Granularity::kDay, *buckets,
                          {"messagesReceived", "responseRate", "revenue"}, rows);
  REQUIRE(s.points_size() == 3);
  CHECK(s.points(0).label() == "2026-03-01");
  CHECK(s.points(0).start() == "2026-03-01T00:00:00Z");
  CHECK(s.points(0).values().at("messagesReceived") == 0);
  CHECK(s.points(0).values().at("responseRate") == 0);
  CHECK(s.points(0).revenue_size() == 0);
  CHECK(s.points(1).values().at("messagesReceived") == 6);
  REQUIRE(s.points(1).revenue_size() == 1);
  CHECK(s.points(1).revenue(0).amount_minor() == 2500);
  CHECK(s.points(1).revenue(0).amount() == 25.0);
  CHECK(s.points(2).values().at("messagesReceived") == 0);
  CHECK(s.points(1).values().count("revenue") == 0);

  Range hours = MustRange("2026-03-02T00:00:00Z", "2026-03-02T03:00:00Z", "Asia/Kolkata");
  auto hb = Buckets::Make(hours, Granularity::kHour);
  REQUIRE(hb.ok());
  REQUIRE(hb->list().size() == 3);
  CHECK(hb->list()[0].label == "2026-03-02T05:30:00+05:30");
}

TEST_CASE("a time series has at most 2,000 buckets", "[analytics][report]") {
  // 2,000 hours exactly is fine; one more is a 400 naming `to`.
  Range ok = MustRange("2026-01-01T00:00:00Z", "2026-03-25T08:00:00Z", "UTC");
  CHECK(ok.hours() == 2000);
  auto b = Buckets::Make(ok, Granularity::kHour);
  REQUIRE(b.ok());
  CHECK(b->list().size() == 2000);
  Range over = MustRange("2026-01-01T00:00:00Z", "2026-03-25T09:00:00Z", "UTC");
  CHECK(RefusedField(Buckets::Make(over, Granularity::kHour).status()) == "to");
  // The same range by day is 84 buckets.
  CHECK(Buckets::Make(over, Granularity::kDay)->list().size() == 84);
  Range days = MustRange("2020-01-01", "2025-06-23", "UTC");
  CHECK(RefusedField(Buckets::Make(days, Granularity::kDay).status()) == "to");
}

TEST_CASE("metric names are checked, split on commas and deduplicated", "[analytics][report]") {
  auto m = ParseSeriesMetrics({"messagesReceived, conversions", "conversions", "revenue"});
  REQUIRE(m.ok());
  CHECK(*m == std::vector<std::string>{"messagesReceived", "conversions", "revenue"});
  CHECK(ParseSeriesMetrics({})->size() == 4);
  CHECK(RefusedField(ParseSeriesMetrics({"messagesReceived,bogus"}).status()) == "metrics");
  CHECK(RefusedField(ParseSeriesMetrics({"activeConversations"}).status()) == "metrics");
  CHECK(RefusedField(ParseGranularity("week", Granularity::kDay).status()) == "granularity");
  CHECK(RefusedField(CheckPlatform("myspace")) == "platform");
  CHECK(RefusedField(CheckCampaignFilter("not-an-id")) == "campaignId");
  CHECK(RefusedField(ParseHeatmapMetric("clicks").status()) == "metric");
  CHECK(RefusedField(ParseExportFormat("xlsx").status()) == "format");
}

TEST_CASE("metrics and the funnel from counters", "[analytics][report]") {
  Totals t;
  t.counters[kConversationsStarted] = 10;
  t.counters[kEngaged] = 6;
  t.counters[kQualified] = 3;
  t.counters[kConverted] = 1;
  t.counters[kLeads] = 4;
  t.counters[kReplied] = 8;
  t.counters[kHandedOff] = 2;
  t.counters[kConversions] = 3;
  t.counters[kResponses] = 4;
  t.counters[kResponseMsSum] = 10'000;
  t.counters[kFirstResponses] = 2;
  t.counters[kFirstResponseMsSum] = 3'000;
  t.counters[kAiReplies] = 5;
  t.counters[kAiFallbacks] = 1;
  t.counters[kMessagesSentAi] = 7;
  t.counters[kMessagesSentAgent] = 2;
  t.revenue["USD"] = {1000, 3};  // 3.333... → 3.33
  t.revenue["EUR"] = {1001, 2};  // 5.005 → 5.01 (half up)
  v1::Metrics m = MakeMetrics(t, 5);
  CHECK(m.messages_sent().total() == 9);
  CHECK(m.active_conversations() == 5);
  CHECK(m.response_rate() == Approx(0.8));
  CHECK(m.avg_response_time_seconds() == Approx(2.5));
  CHECK(m.avg_first_response_seconds() == Approx(1.5));
  CHECK(m.conversion_rate() == Approx(0.1));
  CHECK(m.ai_handoff_rate() == Approx(0.2));
  CHECK(m.ai_fallback_rate() == Approx(0.2));
  CHECK(m.leads_generated() == 4);
  REQUIRE(m.revenue_size() == 2);
  CHECK(m.revenue(0).currency() == "EUR");
  CHECK(m.revenue(1).amount_minor() == 1000);
  REQUIRE(m.avg_order_value_size() == 2);
  CHECK(m.avg_order_value(0).amount_minor() == 501);
  CHECK(m.avg_order_value(1).amount_minor() == 333);
  CHECK(m.avg_order_value(1).amount() == Approx(3.33));

  auto funnel = MakeFunnel(t);
  REQUIRE(funnel.size() == 4);
  CHECK(funnel[0].name() == "started");
  CHECK(funnel[0].rate() == 1.0);
  CHECK(funnel[1].rate() == Approx(0.6));
  CHECK(funnel[2].rate() == Approx(0.5));
  CHECK(funnel[3].rate() == Approx(1.0 / 3));
  CHECK(funnel[3].overall_rate() == Approx(0.1));
  // Nothing started: rates are 0, not NaN.
  auto empty = MakeFunnel(Totals{});
  CHECK(empty[0].rate() == 0);
  CHECK(empty[3].overall_rate() == 0);
  CHECK(MakeMetrics(Totals{}, 0).avg_response_time_seconds() == 0);
}

TEST_CASE("the export has a header row, CRLF lines, quoted names and a file name",
          "[analytics][report][export]") {
  Range range = MustRange("2026-03-02", "2026-03-03", "UTC");
  auto buckets = Buckets::Make(range, Granularity::kDay);
  REQUIRE(buckets.ok());
  RollupRow a = Row(At(10, 0), kMessagesReceived, 2);
  a.key.campaign_id = "c1";
  a.key.platform = "instagram";
  RollupRow b = Row(At(11, 0), kMessagesReceived, 1);
  b.key.campaign_id = "c1";
  b.key.platform = "instagram";
  b.totals.revenue["USD"] = {4999, 1};
  RollupRow c = Row(At(10, 0, 0, 1), kConversationsStarted, 1);
  c.key.campaign_id = "c2";
  c.key.platform = "whatsapp";
  auto out = MakeExport(range, Granularity::kDay, *buckets, ExportFormat::kCsv, {a, b, c},
                        {{"c1", "Lamps, \"warm\""}, {"c2", "=HYPERLINK(\"x\")"}});
  REQUIRE(out.ok());
  CHECK(out->content_type() == "text/csv; charset=utf-8");
  CHECK(out->filename() == "analytics-2026-03-02-2026-03-03-day.csv");
  const std::string& csv = out->content();
  const std::string header =
      "bucket_start,bucket,campaign_id,campaign_name,platform,messages_received,"
      "messages_sent_ai";
  CHECK(csv.rfind(header, 0) == 0);
  CHECK(csv.find(",revenue_minor_USD,orders_USD\r\n") != std::string::npos);
  CHECK(csv.find("2026-03-02T00:00:00Z,2026-03-02,c1,\"Lamps, \"\"warm\"\"\",instagram,3,") !=
        std::string::npos);
  CHECK(csv.find(",4999,1\r\n") != std::string::npos);
  // A name a spreadsheet would run as a formula is defused.
  CHECK(csv.find(",c2,\"'=HYPERLINK(\"\"x\"\")\",whatsapp,") != std::string::npos);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  CHECK(csv.size() >= 2);
  CHECK(csv.substr(csv.size() - 2) == "\r\n");

  auto json = MakeExport(range, Granularity::kDay, *buckets, ExportFormat::kJson, {a, b, c}, {});
  REQUIRE(json.ok());
  CHECK(json->content_type() == "application/json");
  CHECK(json->filename() == "analytics-2026-03-02-2026-03-03-day.json");
  CHECK(json->content().find(R"("messagesReceived":3)") != std::string::npos);
  CHECK(json->content().find(R"({"currency":"USD","amountMinor":4999,"orders":1})") !=
        std::string::npos);
}

}  // namespace
}  // namespace salesos::analytics
