// Analytics end to end (issue 7): customers write through signed Meta webhooks to an active
// campaign, the AI answers them through a local Graph server, an agent records a sale — and the
// dashboard and the campaign's funnel show exactly that within a bound, while a dashboard
// WebSocket receives analytics.updated.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/api.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/suite.h"
#include "support/ws_client.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

constexpr auto kWait = std::chrono::seconds(30);

int64_t Count(const json::value& v) {
  // int64 is a JSON string in protobuf's mapping.
  return v.is_string() ? std::stoll(std::string(v.as_string())) : v.to_number<int64_t>();
}

}  // namespace

TEST_CASE("analytics: webhooks, AI replies and a sale show on the dashboard and the funnel, live",
          "[integration][analytics][e2e]") {
  FakeGraphApi graph;
  Suite suite{
      MetaSuiteOptions({"SALESOS_GRAPH_API_BASE=" + graph.base_url(), "SALESOS_AI_DEBOUNCE_MS=100",
                        "SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"})};
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http, "Lumi Lamps");
  Account stranger = Register(http, "Tia's Lamps");

  // An active Messenger campaign: new conversations join it.
  HttpResult created =
      Send(http, "POST", "/api/v1/campaigns", owner.token,
           json::value{{"name", "Desk lamps"},
                       {"targetPlatform", "facebook"},
                       {"product", {{"name", "Desk lamp"}, {"price", 49.99}, {"currency", "USD"}}},
                       {"chatFlow",
                        {{"greeting", "Hi! Looking for a lamp?"},
                         {"qualificationQuestions", json::array{"Which room is it for?"}}}}});
  REQUIRE(created.status == 200);
  const std::string campaign_id = Str(Json(created).at("id"));
  REQUIRE(Send(http, "POST", "/api/v1/campaigns/" + campaign_id + "/activate", owner.token, "{}")
              .status == 200);

  const std::string page = NewMetaId();
  const std::string token = "EAA" + salesos::RandomHex(16) + "abcd";
  ConnectChannel(http, owner, "facebook", page, token);
  graph.AcceptToken(page, token);

  auto ws = WsClient::ConnectAddr(suite.gateway_addr(), "/ws", "bearer, " + owner.token);
  REQUIRE(ws.ok());

  // Three customers write (one of them twice); the AI answers each.
  constexpr int kCustomers = 3;
  std::vector<std::string> customers;
  for (int i = 0; i < kCustomers; ++i) {
    customers.push_back(NewMetaId());
    REQUIRE(PostMetaWebhook(
                http, MessengerTextBody(page, customers.back(), "m_" + salesos::RandomHex(8),
                                        "Hi, how much is the desk lamp?", salesos::NowUnixMillis()))
                .status == 200);
  }
  REQUIRE(graph.WaitForRequests(kCustomers, 30000));
  REQUIRE(PostMetaWebhook(
              http, MessengerTextBody(page, customers[0], "m_" + salesos::RandomHex(8),
                                      "For my office. I'll take one!", salesos::NowUnixMillis()))
              .status == 200);
  REQUIRE(graph.WaitForRequests(kCustomers + 1, 30000));

  // The first customer buys.
  std::string first_conversation;
  REQUIRE(WaitFor(
      [&] {
        HttpResult r = Send(http, "GET", "/api/v1/conversations?q=office", owner.token);
        json::value list = Json(r);
        auto& items = list.at("conversations").as_array();
        if (items.size() != 1) {
          return false;
        }
        first_conversation = Str(items.at(0).at("id"));
        return true;
      },
      kWait));
  REQUIRE(Send(http, "POST", "/api/v1/conversations/" + first_conversation + "/conversion",
               owner.token,
               json::value{{"orderValue", 49.99}, {"currency", "USD"}, {"orderDetails", "1 lamp"}})
              .status == 200);

  // The dashboard shows it, within a bound.
  json::value dashboard;
  bool settled = WaitFor(
      [&] {
        HttpResult r = Send(http, "GET", "/api/v1/analytics/dashboard", owner.token);
        if (r.status != 200) {
          return false;
        }
        dashboard = Json(r);
        const auto& m = dashboard.at("metrics");
        return Count(m.at("conversationsStarted")) == kCustomers &&
               Count(m.at("messagesReceived")) == kCustomers + 1 &&
               Count(m.at("messagesSent").at("ai")) == kCustomers + 1 &&
               Count(m.at("conversions")) == 1;
      },
      kWait);
  INFO(json::serialize(dashboard));
  REQUIRE(settled);
  const auto& m = dashboard.at("metrics");
  CHECK(m.at("responseRate").to_number<double>() == 1.0);
  CHECK(m.at("conversionRate").to_number<double>() == Approx(1.0 / kCustomers));
  CHECK(Count(m.at("aiReplies")) == kCustomers + 1);
  CHECK(Count(m.at("failedDeliveries")) == 0);
  REQUIRE(m.at("revenue").as_array().size() == 1);
  CHECK(Str(m.at("revenue").at(0).at("currency")) == "USD");
  CHECK(Count(m.at("revenue").at(0).at("amountMinor")) == 4999);
  CHECK(Count(dashboard.at("totalCampaigns")) == 1);
  CHECK(Count(dashboard.at("activeCampaigns")) == 1);
  CHECK(m.at("avgFirstResponseSeconds").to_number<double>() > 0);

  // The campaign's funnel: started 3 → engaged 1 (two customer messages) → converted 1.
  HttpResult campaign =
      Send(http, "GET", "/api/v1/analytics/campaigns/" + campaign_id, owner.token);
  REQUIRE(campaign.status == 200);
  auto funnel = Json(campaign).at("funnel").as_array();
  REQUIRE(funnel.size() == 4);
  CHECK(Str(funnel.at(0).at("name")) == "started");
  CHECK(Count(funnel.at(0).at("count")) == kCustomers);
  CHECK(Str(funnel.at(1).at("name")) == "engaged");
  CHECK(Count(funnel.at(1).at("count")) == 1);
  CHECK(Str(funnel.at(3).at("name")) == "converted");
  CHECK(Count(funnel.at(3).at("count")) == 1);

  // Live: the dashboard socket was told to refresh.
  auto updated = ws.client->ReadUntil(
      [](const std::string& text) {
        return text.find("\"analytics.updated\"") != std::string::npos;
      },
      30000);
  CHECK(updated.has_value());

  // Another workspace sees none of it.
  HttpResult theirs = Send(http, "GET", "/api/v1/analytics/dashboard", stranger.token);
  REQUIRE(theirs.status == 200);
  CHECK(Count(Json(theirs).at("metrics").at("conversationsStarted")) == 0);
  CHECK(Send(http, "GET", "/api/v1/analytics/campaigns/" + campaign_id, stranger.token).status ==
        404);
}
