// Downloads through the gateway: an rpc that answers salesos.api.HttpBody (here analytics'
// ExportAnalytics) is served as the file itself — its Content-Type, `Content-Disposition:
// attachment` with the file name, the content as the whole body — while its errors stay the JSON
// error body. The events are XADDed to the suite's salesos:events as the services publish them
// (rpc::EventPublisher) and folded by salesos-analytics.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/events.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;
namespace ev = salesos::events::v1;

namespace {

TEST_CASE("download: the analytics export is a CSV or JSON file, and a refused one is JSON",
          "[integration][download]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Download Shop");
  Account viewer = AddMember(*client, owner, "viewer");
  auto redis = salesos::redis::Connect(suite.redis().url());
  REQUIRE(redis.ok());
  salesos::rpc::EventPublisher events(*redis, "test");
  const std::string& ws = owner.workspace_id;
  const std::string campaign = salesos::NewUuidV7();
  const std::string conversation = salesos::NewUuidV7();
  const int64_t now = salesos::NowUnixMillis();

  ev::CampaignChanged created;
  created.set_workspace_id(ws);
  created.set_campaign_id(campaign);
  created.set_name("Desk lamps");
  created.set_status("active");
  created.set_target_platform("instagram");
  REQUIRE(events.Publish("campaign.created", ws, created).ok());
  ev::ConversationStarted started;
  started.set_workspace_id(ws);
  started.set_conversation_id(conversation);
  started.set_campaign_id(campaign);
  started.set_platform("instagram");
  started.set_started_at(salesos::FormatRfc3339Millis(now));
  REQUIRE(events.Publish("conversation.started", ws, started).ok());
  ev::MessageReceived received;
  received.set_workspace_id(ws);
  received.set_conversation_id(conversation);
  received.set_campaign_id(campaign);
  received.set_platform("instagram");
  received.set_sender("customer");
  received.set_received_at_ms(now);
  REQUIRE(events.Publish("message.received", ws, received).ok());

  // Folded once the dashboard counts the message.
  REQUIRE(WaitFor(
      [&] {
        HttpResult r = client->Get("/api/v1/analytics/dashboard", owner.token);
        return r.status == 200 && Str(Json(r).at("metrics").at("messagesReceived")) == "1";
      },
      std::chrono::seconds(20)));

  HttpResult csv = client->Get("/api/v1/analytics/export?format=csv", owner.token);
  INFO(csv.body);
  REQUIRE(csv.status == 200);
  CHECK(csv.Header("content-type") == "text/csv; charset=utf-8");
  const std::string disposition = csv.Header("content-disposition");
  INFO(disposition);
  CHECK(disposition.rfind("attachment; filename=\"analytics-", 0) == 0);
  CHECK(disposition.ends_with("-day.csv\""));
  CHECK(csv.Header("x-content-type-options") == "nosniff");
  CHECK(csv.Header("content-length") == std::to_string(csv.body.size()));
  // The file itself, not JSON around it: the header row first, then the campaign's row.
  CHECK(csv.body.rfind("bucket_start,bucket,campaign_id,campaign_name,platform,messages_received,",
                       0) == 0);
  CHECK(csv.body.find("," + campaign + ",Desk lamps,instagram,1,") != std::string::npos);
  CHECK(csv.body.ends_with("\r\n"));

  // A viewer downloads too, here the JSON file of the hours.
  HttpResult file =
      client->Get("/api/v1/analytics/export?format=json&granularity=hour", viewer.token);
  INFO(file.body);
  REQUIRE(file.status == 200);
  CHECK(file.Header("content-type") == "application/json");
  CHECK(file.Header("content-disposition").rfind("attachment; filename=\"analytics-", 0) == 0);
  CHECK(file.Header("content-disposition").ends_with("-hour.json\""));
  json::value doc = Json(file);
  CHECK(Str(doc.at("granularity")) == "hour");
  REQUIRE(doc.at("rows").as_array().size() == 1);
  CHECK(Str(doc.at("rows").at(0).at("campaignId")) == campaign);
  CHECK(doc.at("rows").at(0).at("messagesReceived").to_number<int64_t>() == 1);

  // Refusals are the JSON error body, with no attachment.
  HttpResult bad = client->Get("/api/v1/analytics/export?format=xlsx", owner.token);
  CHECK(bad.status == 400);
  CHECK(bad.Header("content-type") == "application/json");
  CHECK(bad.Header("content-disposition").empty());
  CHECK(ErrorField(bad) == "format");
  HttpResult anonymous = client->Get("/api/v1/analytics/export?format=csv");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.Header("content-disposition").empty());
  CHECK(ErrorCode(anonymous) == "UNAUTHENTICATED");
}

}  // namespace
