// Channel integrations end to end: connecting Facebook, Instagram and WhatsApp over HTTP, two
// workspaces kept apart, bad input, no trace of a token in the stored data, and
// ChannelService over real gRPC with user and service tokens; all seven processes, a real Redis.
#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/service_token.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;
namespace authv1 = salesos::auth::v1;

namespace {

// A token no other test uses, ending in "abcd" like the hint.
std::string NewToken(const std::string& tag) {
  return "EAA" + tag + salesos::RandomHex(12) + "abcd";
}

// A numeric id no other test uses (Meta ids are digits).
std::string NewPageId() {
  std::string id = "10";
  for (char c : salesos::RandomHex(6)) {
    id += std::to_string(static_cast<unsigned char>(c) % 10);
  }
  return id;
}

HttpResult Connect(HttpClient& client, const std::string& token, const json::object& body) {
  return client.Post("/api/v1/integrations", json::serialize(body), token);
}

json::object FacebookBody(const std::string& page_id, const std::string& access_token) {
  return json::object{{"platform", "facebook"},
                      {"pageId", page_id},
                      {"pageAccessToken", access_token},
                      {"pageName", "Ivy's Lamps"}};
}

void CheckDefaultSettings(const json::value& settings) {
  CHECK(settings.at("autoReply").as_bool());
  CHECK_FALSE(settings.at("businessHours").at("enabled").as_bool());
  CHECK(settings.at("notifications").at("email").as_bool());
  CHECK_FALSE(settings.at("notifications").at("push").as_bool());
}

// Connect each platform, list, get, patch, delete; the events that go with them.
void ConnectListGetPatchDelete(Suite& suite) {
  auto client = suite.Client();
  Account owner = Register(*client, "Ivy's Lamps");

  std::string fb_token = NewToken("fb");
  std::string page_id = NewPageId();
  HttpResult fb = Connect(*client, owner.token, FacebookBody(page_id, fb_token));
  REQUIRE(fb.status == 200);
  auto fb_body = Json(fb);
  CHECK(salesos::IsUuid(Str(fb_body.at("id"))));
  CHECK(Str(fb_body.at("platform")) == "facebook");
  CHECK(Str(fb_body.at("externalId")) == page_id);
  CHECK(Str(fb_body.at("name")) == "Ivy's Lamps");
  CHECK(Str(fb_body.at("status")) == "connected");
  CHECK(Str(fb_body.at("credentialsHint")) == "…abcd");
  CHECK_FALSE(Str(fb_body.at("connectedAt")).empty());
  CheckDefaultSettings(fb_body.at("settings"));
  CHECK(fb.body.find(fb_token) == std::string::npos);

  std::string ig_token = NewToken("ig");
  std::string account_id = NewPageId();
  HttpResult ig = Connect(*client, owner.token,
                          json::object{{"platform", "instagram"},
                                       {"accountId", account_id},
                                       {"pageAccessToken", ig_token},
                                       {"username", "ivyslamps"}});
  REQUIRE(ig.status == 200);
  auto ig_body = Json(ig);
  CHECK(Str(ig_body.at("platform")) == "instagram");
  CHECK(Str(ig_body.at("externalId")) == account_id);
  CHECK(Str(ig_body.at("name")) == "ivyslamps");
  CHECK(Str(ig_body.at("status")) == "connected");
  CHECK(Str(ig_body.at("credentialsHint")) == "…abcd");
  CHECK(ig.body.find(ig_token) == std::string::npos);

  std::string wa_token = NewToken("wa");
  std::string phone_id = NewPageId();
  HttpResult wa = Connect(*client, owner.token,
                          json::object{{"platform", "whatsapp"},
                                       {"phoneNumberId", phone_id},
                                       {"wabaId", "102345678901"},
                                       {"accessToken", wa_token},
                                       {"displayPhoneNumber", "+1 555 0100"},
                                       {"settings",
                                        {{"autoReply", false},
                                         {"businessHours",
                                          {{"enabled", true},
                                           {"timezone", "America/New_York"},
                                           {"schedule", {{"mon", "09:00-12:00,13:00-17:00"}}}}},
                                         {"notifications", {{"email", false}, {"push", true}}}}}});
  REQUIRE(wa.status == 200);
  auto wa_body = Json(wa);
  CHECK(Str(wa_body.at("platform")) == "whatsapp");
  CHECK(Str(wa_body.at("externalId")) == phone_id);
  CHECK(Str(wa_body.at("wabaId")) == "102345678901");
  CHECK(Str(wa_body.at("name")) == "+1 555 0100");
  CHECK(Str(wa_body.at("status")) == "connected");
  CHECK(Str(wa_body.at("credentialsHint")) == "…abcd");
  CHECK_FALSE(wa_body.at("settings").at("autoReply").as_bool());
  CHECK(Str(wa_body.at("settings").at("businessHours").at("timezone")) == "America/New_York");
  CHECK(Str(wa_body.at("settings").at("businessHours").at("schedule").at("mon")) ==
        "09:00-12:00,13:00-17:00");
  CHECK(wa_body.at("settings").at("notifications").at("push").as_bool());
  CHECK(wa.body.find(wa_token) == std::string::npos);

  std::vector<std::string> ids = {Str(fb_body.at("id")), Str(ig_body.at("id")),
                                  Str(wa_body.at("id"))};
  std::sort(ids.begin(), ids.end());

  // The list, one page at a time, in id order, without any token.
  std::vector<std::string> listed;
  std::string page_token;
  for (int pages = 0; pages < 10; ++pages) {
    HttpResult list = client->Get(
        "/api/v1/integrations?pageSize=2" + (page_token.empty() ? "" : "&pageToken=" + page_token),
        owner.token);
    REQUIRE(list.status == 200);
    for (const auto& t : {fb_token, ig_token, wa_token}) {
      CHECK(list.body.find(t) == std::string::npos);
    }
    auto body = Json(list);
    CHECK(body.at("integrations").as_array().size() <= 2);
    for (const auto& i : body.at("integrations").as_array()) {
      listed.push_back(Str(i.at("id")));
    }
    page_token = Str(body.at("nextPageToken"));
    if (page_token.empty()) {
      break;
    }
  }
  CHECK(listed == ids);

  std::string fb_id = Str(fb_body.at("id"));
  HttpResult got = client->Get("/api/v1/integrations/" + fb_id, owner.token);
  REQUIRE(got.status == 200);
  CHECK(Json(got) == fb_body);

  HttpResult patched = Send(
      *client, "PATCH", "/api/v1/integrations/" + fb_id, owner.token,
      json::serialize(json::object{{"name", "Ivy's Lamps & Shades"},
                                   {"accessToken", "EAArotated" + salesos::RandomHex(8) + "wxyz"},
                                   {"settings",
                                    {{"autoReply", true},
                                     {"businessHours",
                                      {{"enabled", true},
                                       {"timezone", "Europe/Paris"},
                                       {"schedule", {{"sat", "10:00-14:00"}}}}}}}}));
  REQUIRE(patched.status == 200);
  auto patched_body = Json(patched);
  CHECK(Str(patched_body.at("id")) == fb_id);
  CHECK(Str(patched_body.at("name")) == "Ivy's Lamps & Shades");
  CHECK(Str(patched_body.at("credentialsHint")) == "…wxyz");
  CHECK(Str(patched_body.at("settings").at("businessHours").at("timezone")) == "Europe/Paris");
  CHECK(Str(patched_body.at("connectedAt")) == Str(fb_body.at("connectedAt")));
  CHECK_FALSE(Str(patched_body.at("updatedAt")).empty());
  CHECK(Json(client->Get("/api/v1/integrations/" + fb_id, owner.token)) == patched_body);

  HttpResult deleted = Send(*client, "DELETE", "/api/v1/integrations/" + fb_id, owner.token);
  CHECK(deleted.status == 200);
  CHECK(client->Get("/api/v1/integrations/" + fb_id, owner.token).status == 404);
  CHECK(Send(*client, "DELETE", "/api/v1/integrations/" + fb_id, owner.token).status == 404);
  HttpResult after = client->Get("/api/v1/integrations", owner.token);
  REQUIRE(after.status == 200);
  CHECK(Json(after).at("integrations").as_array().size() == 2);
  CHECK(Str(Json(after).at("nextPageToken")).empty());
  // Once disconnected, the page can be connected again.
  CHECK(Connect(*client, owner.token, FacebookBody(page_id, fb_token)).status == 200);

  // Three connects, a change, a removal and a reconnect, each announced for the caches.
  CHECK(CountEvents(suite, "channel.changed", owner.workspace_id) == 6);
}

}  // namespace

TEST_CASE("integrations: facebook, instagram and whatsapp connect, list, get, patch and delete",
          "[integration][integrations]") {
  Suite suite;
  ConnectListGetPatchDelete(suite);
}

TEST_CASE("integrations: another workspace gets 409 on a connected page and 404 on its ids",
          "[integration][integrations]") {
  Suite suite;
  auto client = suite.Client();
  Account first = Register(*client, "Ivy's Lamps");
  Account second = Register(*client, "Ivy's Lamps");
  std::string page_id = NewPageId();
  HttpResult created = Connect(*client, first.token, FacebookBody(page_id, NewToken("a")));
  REQUIRE(created.status == 200);
  std::string id = Str(Json(created).at("id"));

  HttpResult taken = Connect(*client, second.token, FacebookBody(page_id, NewToken("b")));
  CHECK(taken.status == 409);
  CHECK(ErrorCode(taken) == "ALREADY_EXISTS");
  std::string message = Str(Json(taken).at("error").at("message"));
  CHECK(message == "this facebook " + page_id + " is already connected to a workspace");
  CHECK(message.find(first.workspace_id) == std::string::npos);
  // The same page twice in one workspace is the same conflict, in the same words.
  HttpResult again = Connect(*client, first.token, FacebookBody(page_id, NewToken("c")));
  CHECK(again.status == 409);
  CHECK(Str(Json(again).at("error").at("message")) == message);

  HttpResult get = client->Get("/api/v1/integrations/" + id, second.token);
  CHECK(get.status == 404);
  CHECK(ErrorCode(get) == "NOT_FOUND");
  HttpResult patch =
      Send(*client, "PATCH", "/api/v1/integrations/" + id, second.token,
           json::serialize(json::object{{"name", "mine now"}, {"accessToken", NewToken("evil")}}));
  CHECK(patch.status == 404);
  CHECK(Send(*client, "DELETE", "/api/v1/integrations/" + id, second.token).status == 404);
  HttpResult list = client->Get("/api/v1/integrations", second.token);
  REQUIRE(list.status == 200);
  CHECK(Json(list).at("integrations").as_array().empty());

  // Untouched for its owner.
  HttpResult mine = client->Get("/api/v1/integrations/" + id, first.token);
  REQUIRE(mine.status == 200);
  CHECK(Json(mine) == Json(created));
}

TEST_CASE("integrations: bad input gets 400 naming the field and connects nothing",
          "[integration][integrations]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Ivy's Lamps");
  std::string token = NewToken("bad");

  auto unknown = FacebookBody(NewPageId(), token);
  unknown["platform"] = "myspace";
  HttpResult r = Connect(*client, owner.token, unknown);
  CHECK(r.status == 400);
  CHECK(ErrorCode(r) == "INVALID_ARGUMENT");
  CHECK(ErrorField(r) == "platform");

  auto missing = FacebookBody(NewPageId(), token);
  missing.erase("pageId");
  r = Connect(*client, owner.token, missing);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "pageId");
  CHECK_THAT(Str(Json(r).at("error").at("message")), Catch::Contains("required for facebook"));

  r = Connect(*client, owner.token, FacebookBody("my-lamp-page", token));
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "pageId");

  auto whatsapp = json::object{
      {"platform", "whatsapp"}, {"phoneNumberId", NewPageId()}, {"accessToken", token}};
  r = Connect(*client, owner.token, whatsapp);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "wabaId");

  auto bad_tz = FacebookBody(NewPageId(), token);
  bad_tz["settings"] = {{"businessHours", {{"enabled", true}, {"timezone", "Lamp Time"}}}};
  r = Connect(*client, owner.token, bad_tz);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "settings.businessHours.timezone");

  auto bad_day = FacebookBody(NewPageId(), token);
  bad_day["settings"] = {{"businessHours", {{"schedule", {{"funday", "09:00-17:00"}}}}}};
  r = Connect(*client, owner.token, bad_day);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "settings.businessHours.schedule");

  auto bad_token = FacebookBody(NewPageId(), "has spaces in it");
  r = Connect(*client, owner.token, bad_token);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "pageAccessToken");

  r = client->Get("/api/v1/integrations?pageSize=500", owner.token);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "pageSize");
  r = client->Get("/api/v1/integrations?pageToken=bogus", owner.token);
  CHECK(r.status == 400);
  CHECK(ErrorField(r) == "pageToken");

  HttpResult list = client->Get("/api/v1/integrations", owner.token);
  REQUIRE(list.status == 200);
  CHECK(Json(list).at("integrations").as_array().empty());
  CHECK(CountEvents(suite, "channel.changed", owner.workspace_id) == 0);
}

TEST_CASE("integrations: the stored data holds no trace of the access token",
          "[integration][integrations]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Ivy's Lamps");
  std::string token = NewToken("raw");
  std::string page_id = NewPageId();
  HttpResult created = Connect(*client, owner.token, FacebookBody(page_id, token));
  REQUIRE(created.status == 200);
  // A second token by PATCH, which is sealed on another path.
  std::string rotated = NewToken("rot");
  REQUIRE(Send(*client, "PATCH", "/api/v1/integrations/" + Str(Json(created).at("id")), owner.token,
               json::serialize(json::object{{"accessToken", rotated}}))
              .status == 200);

  // SQLite: the raw file and its WAL; PostgreSQL: every row of auth's schema.
  std::string bytes = suite.DataAtRest("auth");
  // The right data was read: what was stored in plain is there.
  CHECK(bytes.find(page_id) != std::string::npos);
  CHECK(bytes.find(owner.workspace_id) != std::string::npos);
  // The tokens are not, whole or in base64.
  for (const auto& t : {token, rotated}) {
    CHECK(bytes.find(t) == std::string::npos);
    CHECK(bytes.find(t.substr(0, t.size() - 4)) == std::string::npos);
    CHECK(bytes.find(salesos::crypto::Base64Encode(t)) == std::string::npos);
  }
  // Nor any log line.
  for (const auto& name : suite.ProcessNames()) {
    std::string log = ReadFile(suite.process(name).log_path());
    CHECK(log.find(token) == std::string::npos);
    CHECK(log.find(rotated) == std::string::npos);
  }
}

TEST_CASE("integrations: ChannelService answers service tokens only, with the original token",
          "[integration][integrations]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Ivy's Lamps");
  std::string token = NewToken("svc");
  std::string phone_id = NewPageId();
  HttpResult created = Connect(*client, owner.token,
                               json::object{{"platform", "whatsapp"},
                                            {"phoneNumberId", phone_id},
                                            {"wabaId", "102345678901"},
                                            {"accessToken", token},
                                            {"settings", {{"autoReply", true}}}});
  REQUIRE(created.status == 200);
  std::string id = Str(Json(created).at("id"));

  auto channel = salesos::rpc::MakeChannel(suite.service_addr("auth"));
  auto stub = authv1::ChannelService::NewStub(channel);
  authv1::ResolveChannelRequest resolve;
  resolve.set_platform("whatsapp");
  resolve.set_external_id(phone_id);
  authv1::GetChannelCredentialsRequest creds_req;
  creds_req.set_integration_id(id);

  // A user's access token, even the owner's: refused before anything is looked up.
  for (const std::string& authz : {"Bearer " + owner.token, std::string()}) {
    grpc::StatusCode want =
        authz.empty() ? grpc::StatusCode::UNAUTHENTICATED : grpc::StatusCode::PERMISSION_DENIED;
    authv1::ResolvedChannel resolved;
    grpc::ClientContext ctx1;
    salesos::rpc::PrepareContext(ctx1, 5000, {authz, "", ""});
    CHECK(stub->ResolveChannel(&ctx1, resolve, &resolved).error_code() == want);
    authv1::ChannelCredentials creds;
    grpc::ClientContext ctx2;
    salesos::rpc::PrepareContext(ctx2, 5000, {authz, "", ""});
    CHECK(stub->GetChannelCredentials(&ctx2, creds_req, &creds).error_code() == want);
    CHECK(creds.access_token().empty());
  }

  salesos::rpc::ServiceTokenSource source(channel, "webhook_ingest", SharedSecret(suite));
  auto service = source.Authorization();
  INFO(service.status().ToString());
  REQUIRE(service.ok());
  {
    authv1::ResolvedChannel resolved;
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000, {*service, "", ""});
    grpc::Status st = stub->ResolveChannel(&ctx, resolve, &resolved);
    INFO(st.error_message());
    REQUIRE(st.ok());
    CHECK(resolved.workspace_id() == owner.workspace_id);
    CHECK(resolved.integration_id() == id);
    CHECK(resolved.settings().auto_reply());
  }
  {
    authv1::ChannelCredentials creds;
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000, {*service, "", ""});
    grpc::Status st = stub->GetChannelCredentials(&ctx, creds_req, &creds);
    INFO(st.error_message());
    REQUIRE(st.ok());
    CHECK(creds.access_token() == token);
    CHECK(creds.integration_id() == id);
    CHECK(creds.workspace_id() == owner.workspace_id);
    CHECK(creds.platform() == "whatsapp");
    CHECK(creds.external_id() == phone_id);
    CHECK(creds.waba_id() == "102345678901");
  }
  {
    authv1::ResolveChannelRequest unknown;
    unknown.set_platform("facebook");
    unknown.set_external_id(phone_id);
    authv1::ResolvedChannel resolved;
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000, {*service, "", ""});
    CHECK(stub->ResolveChannel(&ctx, unknown, &resolved).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  {
    authv1::GetChannelCredentialsRequest unknown;
    unknown.set_integration_id(salesos::NewUuidV7());
    authv1::ChannelCredentials creds;
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000, {*service, "", ""});
    CHECK(stub->GetChannelCredentials(&ctx, unknown, &creds).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  // Once disconnected, the channel resolves no more.
  REQUIRE(Send(*client, "DELETE", "/api/v1/integrations/" + id, owner.token).status == 200);
  {
    authv1::ResolvedChannel resolved;
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000, {*service, "", ""});
    CHECK(stub->ResolveChannel(&ctx, resolve, &resolved).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
}

TEST_CASE("integrations: export lists them without credentials, and deleting the workspace frees "
          "its channels",
          "[integration][integrations]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client, "Ivy's Lamps");
  const std::string page_id = NewPageId();
  const std::string access_token = NewToken("exp");
  REQUIRE(Connect(*client, a.token, FacebookBody(page_id, access_token)).status == 200);

  HttpResult exported = Send(*client, "GET", "/api/v1/workspace/export", a.token);
  REQUIRE(exported.status == 200);
  auto integrations = Json(exported).at("integrations").as_array();
  REQUIRE(integrations.size() == 1);
  CHECK(Str(integrations[0].at("externalId")) == page_id);
  CHECK(exported.body.find(access_token) == std::string::npos);
  const int events_before = CountEvents(suite, "channel.changed", a.workspace_id);

  HttpResult me = Send(*client, "GET", "/api/v1/auth/me", a.token);
  std::string name = Str(Json(me).at("workspace").at("name"));
  HttpResult deleted = Send(*client, "DELETE", "/api/v1/workspace", a.token,
                            json::serialize(json::object{{"confirm", name}}));
  INFO(deleted.body);
  REQUIRE(deleted.status == 200);
  // Caches of the channel are told it is gone, and another business can connect the page now.
  CHECK(CountEvents(suite, "channel.changed", a.workspace_id) == events_before + 1);
  Account b = Register(*client, "Ivy's Lamps");
  CHECK(Connect(*client, b.token, FacebookBody(page_id, NewToken("new"))).status == 200);
}
