// analytics through the whole suite: EventEnvelopes XADDed to the suite's salesos:events (as
// rpc::EventPublisher writes them, one of them twice) are folded by salesos-analytics and read
// back through the gateway: the dashboard, a campaign's funnel, a time series, the heatmap and the
// export of the workspace that had them, zeros for another workspace, 404 for another workspace's
// campaign, 400 naming the field for bad parameters, and analytics.updated on the workspace's
// real-time log.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/realtime.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;
namespace ev = salesos::events::v1;

namespace {

constexpr auto kWait = std::chrono::seconds(20);

// XADDs the event as rpc::EventPublisher does; the stream entry's fields, to add it again.
std::vector<std::pair<std::string, std::string>> Publish(
    salesos::redis::Client& redis, const std::string& type, const std::string& workspace_id,
    const google::protobuf::MessageLite& payload, int64_t at_ms) {
  ev::EventEnvelope e;
  e.set_id(salesos::NewUuidV7());
  e.set_type(type);
  e.set_workspace_id(workspace_id);
  e.set_occurred_at(salesos::FormatRfc3339Millis(at_ms));
  e.set_source("test");
  e.set_payload(payload.SerializeAsString());
  std::vector<std::pair<std::string, std::string>> fields = {{"id", e.id()},
                                                             {"type", type},
                                                             {"workspace", workspace_id},
                                                             {"envelope", e.SerializeAsString()}};
  auto added = redis.XAdd(salesos::rpc::kEventsStream, fields, salesos::rpc::kEventsStreamMaxLen);
  REQUIRE(added.ok());
  return fields;
}

double Num(const json::value& v) { return v.to_number<double>(); }

json::value Get(HttpClient& http, const std::string& path, const std::string& token) {
  HttpResult r = http.Get(path, token);
  INFO(path << " → " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return Json(r);
}

bool LogHas(salesos::redis::Client& redis, const std::string& workspace_id,
            const std::string& type) {
  auto reply = redis.Command({"XRANGE", salesos::rpc::RealtimeLogKey(workspace_id), "-", "+"});
  if (!reply.ok()) {
    return false;
  }
  for (const auto& entry : reply->elements) {
    if (entry.elements.size() == 2) {
      for (const auto& field : entry.elements[1].elements) {
        if (field.str.find("\"type\":\"" + type + "\"") != std::string::npos) {
          return true;
        }
      }
    }
  }
  return false;
}

TEST_CASE("analytics: events folded from salesos:events show through the gateway, per workspace",
          "[integration][analytics]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Ana's Lamps");
  Account viewer = AddMember(*client, owner, "viewer");
  Account stranger = Register(*client, "Other Shop");
  auto redis_result = salesos::redis::Connect(suite.redis().url());
  REQUIRE(redis_result.ok());
  salesos::redis::Client& redis = **redis_result;
  const std::string& ws = owner.workspace_id;
  const std::string campaign = salesos::NewUuidV7();
  const std::string conversation = salesos::NewUuidV7();
  // An hour ago, on the hour's start: all of it in one rollup hour and inside the default range.
  const int64_t now = salesos::NowUnixMillis();
  const int64_t t0 = (now - 3'600'000) / 3'600'000 * 3'600'000;

  ev::CampaignChanged created;
  created.set_workspace_id(ws);
  created.set_campaign_id(campaign);
  created.set_name("Desk lamps, \"warm\"");
  created.set_status("draft");
  created.set_target_platform("instagram");
  Publish(redis, "campaign.created", ws, created, t0);
  created.set_status("active");
  Publish(redis, "campaign.activated", ws, created, t0 + 1000);

  ev::ConversationStarted started;
  started.set_workspace_id(ws);
  started.set_conversation_id(conversation);
  started.set_campaign_id(campaign);
  started.set_platform("instagram");
  started.set_started_at(salesos::FormatRfc3339Millis(t0 + 60'000));
  Publish(redis, "conversation.started", ws, started, t0 + 60'000);

  ev::MessageReceived received;
  received.set_workspace_id(ws);
  received.set_conversation_id(conversation);
  received.set_campaign_id(campaign);
  received.set_platform("instagram");
  received.set_sender("customer");
  received.set_received_at_ms(t0 + 60'000);
  auto first_message = Publish(redis, "message.received", ws, received, t0 + 60'000);
  // Redelivered: the same event twice on the stream counts once.
  REQUIRE(redis.XAdd(salesos::rpc::kEventsStream, first_message).ok());
  received.set_received_at_ms(t0 + 120'000);
  Publish(redis, "message.received", ws, received, t0 + 120'000);

  ev::MessageSent sent;
  sent.set_workspace_id(ws);
  sent.set_conversation_id(conversation);
  sent.set_campaign_id(campaign);
  sent.set_platform("instagram");
  sent.set_sender("ai");
  sent.set_sent_at_ms(t0 + 90'000);
  Publish(redis, "message.sent", ws, sent, t0 + 90'000);

  ev::AiReplied replied;
  replied.set_workspace_id(ws);
  replied.set_conversation_id(conversation);
  replied.set_campaign_id(campaign);
  replied.set_provider("builtin");
  Publish(redis, "ai.replied", ws, replied, t0 + 90'000);

  ev::ConversionRecorded conversion;
  conversion.set_workspace_id(ws);
  conversion.set_conversation_id(conversation);
  conversion.set_campaign_id(campaign);
  conversion.set_order_value_minor(4999);
  conversion.set_currency("USD");
  conversion.set_converted_at(salesos::FormatRfc3339Millis(t0 + 300'000));
  Publish(redis, "conversion.recorded", ws, conversion, t0 + 300'000);

  // Folded within the bound: the last event's effect shows.
  json::value dashboard;
  const bool folded = WaitFor(
      [&] {
        HttpResult r = client->Get("/api/v1/analytics/dashboard", owner.token);
        if (r.status != 200) {
          return false;
        }
        dashboard = Json(r);
        return Str(dashboard.at("metrics").at("conversions")) == "1" &&
               Str(dashboard.at("activeCampaigns")) == "1";
      },
      kWait);
  INFO(json::serialize(dashboard));
  REQUIRE(folded);
  const json::value& m = dashboard.at("metrics");
  CHECK(Str(m.at("messagesReceived")) == "2");
  CHECK(Str(m.at("messagesSent").at("ai")) == "1");
  CHECK(Str(m.at("messagesSent").at("total")) == "1");
  CHECK(Str(m.at("conversationsStarted")) == "1");
  CHECK(Str(m.at("activeConversations")) == "0");
  CHECK(Num(m.at("responseRate")) == 1.0);
  CHECK(Num(m.at("avgFirstResponseSeconds")) == 30.0);
  CHECK(Num(m.at("conversionRate")) == 1.0);
  REQUIRE(m.at("revenue").as_array().size() == 1);
  CHECK(Str(m.at("revenue").at(0).at("currency")) == "USD");
  CHECK(Str(m.at("revenue").at(0).at("amountMinor")) == "4999");
  CHECK(Num(m.at("revenue").at(0).at("amount")) == 49.99);
  CHECK(Str(dashboard.at("totalCampaigns")) == "1");

  // A viewer reads the same; another workspace sees zeros.
  CHECK(Str(Get(*client, "/api/v1/analytics/dashboard", viewer.token)
                .at("metrics")
                .at("messagesReceived")) == "2");
  json::value theirs = Get(*client, "/api/v1/analytics/dashboard", stranger.token);
  CHECK(Str(theirs.at("metrics").at("messagesReceived")) == "0");
  CHECK(Str(theirs.at("metrics").at("conversions")) == "0");
  CHECK(theirs.at("metrics").at("revenue").as_array().empty());
  CHECK(Str(theirs.at("totalCampaigns")) == "0");

  // The campaign's funnel; another workspace's campaign is not found.
  json::value funnel = Get(*client, "/api/v1/analytics/campaigns/" + campaign, owner.token);
  CHECK(Str(funnel.at("name")) == "Desk lamps, \"warm\"");
  const json::array& steps = funnel.at("funnel").as_array();
  REQUIRE(steps.size() == 4);
  CHECK(Str(steps[1].at("name")) == "engaged");
  for (const auto& step : steps) {
    CHECK(Str(step.at("count")) == "1");
  }
  HttpResult foreign = client->Get("/api/v1/analytics/campaigns/" + campaign, stranger.token);
  CHECK(foreign.status == 404);

  // An hourly series over the three hours around the events.
  const std::string from = salesos::FormatRfc3339(t0 / 1000 - 3600);
  const std::string to = salesos::FormatRfc3339(t0 / 1000 + 2 * 3600);
  json::value series = Get(*client,
                           "/api/v1/analytics/timeseries?metrics=messagesReceived,conversions"
                           "&granularity=hour&from=" +
                               from + "&to=" + to + "&campaignId=" + campaign,
                           owner.token);
  const json::array& points = series.at("points").as_array();
  REQUIRE(points.size() == 3);
  CHECK(Num(points[0].at("values").at("messagesReceived")) == 0);
  CHECK(Num(points[1].at("values").at("messagesReceived")) == 2);
  CHECK(Num(points[1].at("values").at("conversions")) == 1);
  CHECK(Num(points[2].at("values").at("conversions")) == 0);

  json::value heatmap = Get(*client, "/api/v1/analytics/heatmap?tz=Asia/Kolkata", owner.token);
  REQUIRE(heatmap.at("days").as_array().size() == 7);
  int64_t cells = 0;
  for (const auto& day : heatmap.at("days").as_array()) {
    REQUIRE(day.at("hours").as_array().size() == 24);
    for (const auto& n : day.at("hours").as_array()) {
      cells += std::stoll(Str(n));
    }
  }
  CHECK(cells == 3);  // two received, one sent

  // A download (tests/integration/download_test.cpp has its headers in detail).
  HttpResult file =
      client->Get("/api/v1/analytics/export?format=csv&granularity=day", owner.token);
  REQUIRE(file.status == 200);
  CHECK(file.Header("content-type") == "text/csv; charset=utf-8");
  const std::string& csv = file.body;
  CHECK(csv.rfind("bucket_start,bucket,campaign_id,campaign_name,platform,", 0) == 0);
  CHECK(csv.find(",\"Desk lamps, \"\"warm\"\"\",instagram,2,1,0,") != std::string::npos);

  // Every fold told the workspace's screens.
  CHECK(WaitFor([&] { return LogHas(redis, ws, "analytics.updated"); }, kWait));
  CHECK_FALSE(LogHas(redis, stranger.workspace_id, "analytics.updated"));
}

TEST_CASE("analytics: bad parameters are a 400 naming the field, and no token is a 401",
          "[integration][analytics]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Params Shop");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/v1/analytics/dashboard?tz=Mars/Olympus", "tz"},
      {"/api/v1/analytics/dashboard?from=yesterday", "from"},
      {"/api/v1/analytics/dashboard?from=2026-03-02&to=2026-03-01", "to"},
      {"/api/v1/analytics/dashboard?platform=myspace", "platform"},
      {"/api/v1/analytics/dashboard?campaignId=42", "campaignId"},
      {"/api/v1/analytics/timeseries?granularity=week", "granularity"},
      {"/api/v1/analytics/timeseries?metrics=messagesReceived,clicks", "metrics"},
      {"/api/v1/analytics/timeseries?granularity=hour&from=2026-01-01&to=2026-06-01", "to"},
      {"/api/v1/analytics/heatmap?metric=clicks", "metric"},
      {"/api/v1/analytics/export?format=xlsx", "format"},
      {"/api/v1/analytics/dashboard?color=blue", "color"},
  };
  for (const auto& [path, field] : cases) {
    HttpResult r = client->Get(path, owner.token);
    INFO(path << " → " << r.status << " " << r.body);
    CHECK(r.status == 400);
    CHECK(ErrorField(r) == field);
  }
  CHECK(client->Get("/api/v1/analytics/dashboard").status == 401);
  CHECK(client->Get("/api/v1/analytics/campaigns/not-a-campaign", owner.token).status == 404);
}

}  // namespace
