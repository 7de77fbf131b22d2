// Campaigns end to end: CRUD and the lifecycle over HTTP with the 400/409 answers the issue
// names, duplicates, two workspaces kept apart, the events on salesos:events, and the
// service-only rpcs (ResolveCampaignForChannel, RecordCampaignStats, GetCampaignForService) over
// real gRPC with a service token; all seven processes, a real Redis.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "salesos/campaign/v1/campaign.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/service_token.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;
namespace campaignv1 = salesos::campaign::v1;

namespace {

HttpResult Action(HttpClient& client, const std::string& token, const std::string& id,
                  const std::string& action) {
  return client.Post("/api/v1/campaigns/" + id + "/" + action, "{}", token);
}

json::object ReadyCampaign(const std::string& name) {
  return json::object{{"name", name},
                      {"targetPlatform", "instagram"},
                      {"product", {{"name", "Desk lamp"}, {"price", 49.99}, {"currency", "USD"}}},
                      {"chatFlow",
                       {{"greeting", "Hi! Looking for a lamp?"},
                        {"qualificationQuestions", json::array{"Which room?"}}}},
                      {"referralIds", json::array{"ad_" + name}}};
}

TEST_CASE("campaigns: create, get, patch, activate, pause, resume, complete, duplicate, delete",
          "[integration][campaigns]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Cam's Lamps");

  // Incomplete draft: created, but activation lists every missing field.
  HttpResult created = client->Post(
      "/api/v1/campaigns", json::serialize(json::object{{"name", "Spring lamps"}}), owner.token);
  REQUIRE(created.status == 200);
  auto body = Json(created);
  std::string id = Str(body.at("id"));
  CHECK(Str(body.at("status")) == "draft");
  CHECK(Str(body.at("targetPlatform")) == "all");
  CHECK(Str(body.at("product").at("currency")) == "USD");
  CHECK(Str(body.at("stats").at("messagesSent")) == "0");  // int64 is a JSON string

  HttpResult incomplete = Action(*client, owner.token, id, "activate");
  CHECK(incomplete.status == 400);
  CHECK(ErrorFields(incomplete) == std::vector<std::string>{"product.name", "product.price",
                                                            "chatFlow.greeting",
                                                            "chatFlow.qualificationQuestions"});

  HttpResult got = client->Get("/api/v1/campaigns/" + id, owner.token);
  REQUIRE(got.status == 200);
  std::string updated_at = Str(Json(got).at("updatedAt"));

  // PATCH with a partial object and the version read.
  json::object patch{{"campaign", ReadyCampaign("Spring lamps")},
                     {"expectedUpdateTime", updated_at}};
  HttpResult patched =
      Send(*client, "PATCH", "/api/v1/campaigns/" + id, owner.token, json::serialize(patch));
  REQUIRE(patched.status == 200);
  auto pbody = Json(patched);
  CHECK(pbody.at("product").at("price").as_double() == 49.99);
  CHECK(Str(pbody.at("targetPlatform")) == "instagram");
  CHECK(Str(pbody.at("updatedAt")) != updated_at);
  // The same stale version again: 409.
  HttpResult stale =
      Send(*client, "PATCH", "/api/v1/campaigns/" + id, owner.token, json::serialize(patch));
  CHECK(stale.status == 409);
  // Too precise a price is a 400, not a rounding; status is not writable through PATCH.
  HttpResult precise =
      Send(*client, "PATCH", "/api/v1/campaigns/" + id, owner.token,
           json::serialize(json::object{{"campaign", {{"product", {{"price", 1.999}}}}}}));
  CHECK(precise.status == 400);
  CHECK(ErrorFields(precise) == std::vector<std::string>{"product.price"});
  CHECK(ErrorMessage(precise).find("more decimals than USD allows") != std::string::npos);
  HttpResult status_mask =
      Send(*client, "PATCH", "/api/v1/campaigns/" + id, owner.token,
           json::serialize(json::object{{"campaign", {{"status", "active"}}},
                                        {"updateMask", json::array{"status"}}}));
  CHECK(status_mask.status == 400);
  // Limits: 51 questions.
  json::array questions;
  for (int i = 0; i < 51; ++i) {
    questions.push_back(json::value("q" + std::to_string(i)));
  }
  HttpResult too_many = Send(
      *client, "PATCH", "/api/v1/campaigns/" + id, owner.token,
      json::serialize(
          json::object{{"campaign", {{"chatFlow", {{"qualificationQuestions", questions}}}}}}));
  CHECK(too_many.status == 400);
  CHECK(ErrorFields(too_many) == std::vector<std::string>{"chatFlow.qualificationQuestions"});

  CHECK(Action(*client, owner.token, id, "pause").status == 409);
  CHECK(ErrorMessage(Action(*client, owner.token, id, "pause")) == "cannot pause a draft campaign");
  HttpResult activated = Action(*client, owner.token, id, "activate");
  REQUIRE(activated.status == 200);
  CHECK(Str(Json(activated).at("status")) == "active");
  CHECK_FALSE(Str(Json(activated).at("activatedAt")).empty());
  HttpResult again = Action(*client, owner.token, id, "activate");
  CHECK(again.status == 409);
  CHECK(ErrorMessage(again) == "cannot activate an active campaign");
  HttpResult del_active = Send(*client, "DELETE", "/api/v1/campaigns/" + id, owner.token);
  CHECK(del_active.status == 409);
  CHECK(ErrorMessage(del_active).find("only drafts can be deleted; complete it instead") !=
        std::string::npos);
  CHECK(Str(Json(Action(*client, owner.token, id, "pause")).at("status")) == "paused");
  CHECK(Str(Json(Action(*client, owner.token, id, "activate")).at("status")) == "active");
  HttpResult completed = Action(*client, owner.token, id, "complete");
  REQUIRE(completed.status == 200);
  CHECK(Str(Json(completed).at("status")) == "completed");
  CHECK_FALSE(Str(Json(completed).at("completedAt")).empty());
  CHECK(ErrorMessage(Action(*client, owner.token, id, "activate")) ==
        "cannot activate a completed campaign");

  // Duplicate: a new draft with the same content, then deleted.
  HttpResult copy = Action(*client, owner.token, id, "duplicate");
  REQUIRE(copy.status == 200);
  auto cbody = Json(copy);
  std::string copy_id = Str(cbody.at("id"));
  CHECK(copy_id != id);
  CHECK(Str(cbody.at("name")) == "Spring lamps (copy)");
  CHECK(Str(cbody.at("status")) == "draft");
  CHECK(cbody.at("product").at("price").as_double() == 49.99);
  CHECK(Send(*client, "DELETE", "/api/v1/campaigns/" + copy_id, owner.token).status == 200);
  CHECK(client->Get("/api/v1/campaigns/" + copy_id, owner.token).status == 404);

  // List and its filters.
  HttpResult list = client->Get("/api/v1/campaigns?status=completed&q=SPRING", owner.token);
  REQUIRE(list.status == 200);
  auto items = Json(list).at("campaigns").as_array();
  REQUIRE(items.size() == 1);
  CHECK(Str(items[0].at("id")) == id);
  CHECK(Str(Json(list).at("nextPageToken")).empty());
  CHECK(client->Get("/api/v1/campaigns?pageSize=500", owner.token).status == 400);

  CHECK(EventTypes(suite, owner.workspace_id, "campaign.") ==
        std::vector<std::string>{"campaign.created", "campaign.updated", "campaign.activated",
                                 "campaign.paused", "campaign.activated", "campaign.completed",
                                 "campaign.created", "campaign.deleted"});
}

TEST_CASE("campaigns: answers carry an ETag, and PATCH with If-Match writes over that version only",
          "[integration][campaigns]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Cam's Lamps");
  auto etag_of = [](const HttpResult& r) { return "\"" + Str(Json(r).at("updatedAt")) + "\""; };
  HttpResult created =
      client->Post("/api/v1/campaigns", json::serialize(ReadyCampaign("Etag lamps")), owner.token);
  REQUIRE(created.status == 200);
  CHECK(created.Header("etag") == etag_of(created));
  std::string id = Str(Json(created).at("id"));
  auto patch = [&](const std::string& if_match, const json::object& body) {
    auto headers = HttpClient::BearerHeaders(owner.token);
    headers["If-Match"] = if_match;
    return client->Request("PATCH", "/api/v1/campaigns/" + id, json::serialize(body), headers);
  };
  auto rename = [](const std::string& name) {
    return json::object{{"campaign", {{"name", name}}}};
  };

  HttpResult got = client->Get("/api/v1/campaigns/" + id, owner.token);
  REQUIRE(got.status == 200);
  std::string etag = got.Header("etag");
  CHECK(etag == etag_of(got));

  // The version read: written, with the new version's ETag.
  HttpResult patched = patch(etag, rename("Renamed lamps"));
  REQUIRE(patched.status == 200);
  CHECK(Str(Json(patched).at("name")) == "Renamed lamps");
  std::string new_etag = patched.Header("etag");
  CHECK(new_etag == etag_of(patched));
  CHECK(new_etag != etag);
  CHECK(client->Get("/api/v1/campaigns/" + id, owner.token).Header("etag") == new_etag);

  // The old ETag again: 409, nothing written.
  HttpResult stale = patch(etag, rename("Stale lamps"));
  CHECK(stale.status == 409);
  CHECK(ErrorCode(stale) == "ABORTED");
  // *: whatever the version.
  HttpResult any = patch("*", rename("Any lamps"));
  REQUIRE(any.status == 200);
  CHECK(Str(Json(any).at("name")) == "Any lamps");
  // Not an ETag: 400 naming If-Match.
  for (const char* garbage : {"garbage", "W/\"x\"", "\"a\", \"b\""}) {
    INFO("If-Match: " << garbage);
    HttpResult bad = patch(garbage, rename("Bad lamps"));
    CHECK(bad.status == 400);
    CHECK(ErrorFields(bad) == std::vector<std::string>{"If-Match"});
  }
  // With expectedUpdateTime too, both must name the same version.
  std::string current = Str(Json(any).at("updatedAt"));
  json::object differ = rename("Bad lamps");
  differ["expectedUpdateTime"] = Str(Json(patched).at("updatedAt"));
  HttpResult contradiction = patch(etag_of(any), differ);
  CHECK(contradiction.status == 400);
  CHECK(ErrorFields(contradiction) == std::vector<std::string>{"If-Match"});
  json::object agree = rename("Last lamps");
  agree["expectedUpdateTime"] = current;
  REQUIRE(patch(etag_of(any), agree).status == 200);
  CHECK(Str(Json(client->Get("/api/v1/campaigns/" + id, owner.token)).at("name")) == "Last lamps");
  // An If-Match never reaches another workspace's campaign.
  Account stranger = Register(*client, "Other Lamps");
  auto headers = HttpClient::BearerHeaders(stranger.token);
  headers["If-Match"] = "*";
  CHECK(
      client->Request("PATCH", "/api/v1/campaigns/" + id, json::serialize(rename("Mine")), headers)
          .status == 404);
}

TEST_CASE("campaigns: another workspace gets 404 on a campaign's ids", "[integration][campaigns]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client, "Cam's Lamps");
  Account b = Register(*client, "Cam's Lamps");
  HttpResult created =
      client->Post("/api/v1/campaigns", json::serialize(ReadyCampaign("Mine")), a.token);
  REQUIRE(created.status == 200);
  std::string id = Str(Json(created).at("id"));

  CHECK(client->Get("/api/v1/campaigns/" + id, b.token).status == 404);
  CHECK(Send(*client, "PATCH", "/api/v1/campaigns/" + id, b.token,
             json::serialize(json::object{{"campaign", {{"name", "Theirs"}}}}))
            .status == 404);
  CHECK(Send(*client, "DELETE", "/api/v1/campaigns/" + id, b.token).status == 404);
  for (const char* action : {"activate", "pause", "complete", "duplicate"}) {
    CHECK(Action(*client, b.token, id, action).status == 404);
  }
  CHECK(Json(client->Get("/api/v1/campaigns", b.token)).at("campaigns").as_array().empty());
  // Still A's, unchanged.
  HttpResult mine = client->Get("/api/v1/campaigns/" + id, a.token);
  REQUIRE(mine.status == 200);
  CHECK(Str(Json(mine).at("name")) == "Mine");
  CHECK(Str(Json(mine).at("status")) == "draft");
  CHECK(EventTypes(suite, b.workspace_id, "campaign.").empty());
}

TEST_CASE("campaigns: services resolve the campaign of a channel and record its stats over gRPC",
          "[integration][campaigns]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Cam's Lamps");
  std::map<std::string, std::string> ids;
  for (const char* name : {"ig", "later"}) {
    HttpResult c =
        client->Post("/api/v1/campaigns", json::serialize(ReadyCampaign(name)), owner.token);
    REQUIRE(c.status == 200);
    ids[name] = Str(Json(c).at("id"));
  }
  REQUIRE(Action(*client, owner.token, ids["ig"], "activate").status == 200);
  REQUIRE(Action(*client, owner.token, ids["later"], "activate").status == 200);

  auto auth_channel = salesos::rpc::MakeChannel(suite.service_addr("auth"));
  salesos::rpc::ServiceTokenSource source(auth_channel, "conversation", SharedSecret(suite));
  auto service = source.Authorization();
  INFO(service.status().ToString());
  REQUIRE(service.ok());
  auto stub = campaignv1::CampaignService::NewStub(
      salesos::rpc::MakeChannel(suite.service_addr("campaign")));

  auto resolve = [&](const std::string& authz, const std::string& platform,
                     const std::string& referral,
                     campaignv1::ResolveCampaignForChannelResponse* out) {
    campaignv1::ResolveCampaignForChannelRequest req;
    req.set_workspace_id(owner.workspace_id);
    req.set_platform(platform);
    req.set_referral(referral);
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000, {authz, "", ""});
    return stub->ResolveCampaignForChannel(&ctx, req, out).error_code();
  };
  campaignv1::ResolveCampaignForChannelResponse resp;
  // A user's token, even the owner's, cannot call it.
  CHECK(resolve("Bearer " + owner.token, "instagram", "", &resp) ==
        grpc::StatusCode::PERMISSION_DENIED);
  REQUIRE(resolve(*service, "instagram", "ad_ig", &resp) == grpc::StatusCode::OK);
  CHECK(resp.found());
  CHECK(resp.campaign().id() == ids["ig"]);
  REQUIRE(resolve(*service, "instagram", "", &resp) == grpc::StatusCode::OK);
  CHECK(resp.campaign().id() == ids["later"]);
  REQUIRE(resolve(*service, "facebook", "", &resp) == grpc::StatusCode::OK);
  CHECK_FALSE(resp.found());

  campaignv1::RecordCampaignStatsRequest stats;
  stats.set_workspace_id(owner.workspace_id);
  stats.set_campaign_id(ids["ig"]);
  stats.set_event_id(salesos::NewUuidV7());
  stats.set_messages_sent(2);
  stats.set_conversions(1);
  stats.set_revenue_minor(4999);
  for (int i = 0; i < 2; ++i) {  // the second delivery changes nothing
    campaignv1::RecordCampaignStatsResponse ignored;
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000, {*service, "", ""});
    REQUIRE(stub->RecordCampaignStats(&ctx, stats, &ignored).ok());
  }
  campaignv1::GetCampaignForServiceRequest get;
  get.set_workspace_id(owner.workspace_id);
  get.set_id(ids["ig"]);
  campaignv1::Campaign campaign;
  grpc::ClientContext ctx;
  salesos::rpc::PrepareContext(ctx, 5000, {*service, "", ""});
  REQUIRE(stub->GetCampaignForService(&ctx, get, &campaign).ok());
  CHECK(campaign.stats().messages_sent() == 2);
  CHECK(campaign.stats().conversions() == 1);
  CHECK(campaign.stats().revenue() == 49.99);
  // The same stats over HTTP.
  HttpResult http = client->Get("/api/v1/campaigns/" + ids["ig"], owner.token);
  REQUIRE(http.status == 200);
  CHECK(Json(http).at("stats").at("revenue").as_double() == 49.99);
}

}  // namespace
