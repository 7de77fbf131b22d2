// Message templates end to end over HTTP: create (400 naming unknown variables), list by category,
// get, patch, render with a sample and fallbacks, delete, and another workspace answered 404;
// all seven processes, a real Redis.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "salesos/core/ids.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

HttpResult Create(HttpClient& client, const std::string& token, const json::object& body) {
  return client.Post("/api/v1/templates", json::serialize(body), token);
}

void CreateListGetPatchRenderDelete(Suite& suite) {
  auto client = suite.Client();
  Account owner = Register(*client, "Tia's Lamps");

  // Unknown variables are refused at save time, each named.
  HttpResult unknown = Create(*client, owner.token,
                              json::object{{"name", "Broken"},
                                           {"category", "outreach"},
                                           {"body", "Hi {{contact.nickname}}, {{ foo }}"}});
  CHECK(unknown.status == 400);
  auto err = Json(unknown).at("error");
  CHECK(Str(err.at("code")) == "INVALID_ARGUMENT");
  REQUIRE(err.at("details").as_array().size() == 2);
  CHECK(Str(err.at("details").at(0).at("field")) == "body");
  CHECK(Str(err.at("details").at(0).at("description")).find("contact.nickname") !=
        std::string::npos);
  CHECK(Str(err.at("details").at(1).at("description")).find("foo") != std::string::npos);
  HttpResult unclosed =
      Create(*client, owner.token,
             json::object{
                 {"name", "Broken"}, {"category", "outreach"}, {"body", "Hi {{contact.firstName"}});
  CHECK(unclosed.status == 400);
  CHECK(Str(Json(unclosed).at("error").at("message")).find("unclosed placeholder at position 4") !=
        std::string::npos);

  HttpResult created =
      Create(*client, owner.token,
             json::object{{"name", "Welcome"},
                          {"category", "outreach"},
                          {"body",
                           "Hi {{ contact.firstName }} {{contact.lastName}}, meet {{product.name}} "
                           "from {{business.name}}."},
                          {"variables", json::array{"ignored.by.server"}}});
  REQUIRE(created.status == 200);
  auto tmpl = Json(created);
  std::string id = Str(tmpl.at("id"));
  CHECK(salesos::IsUuid(id));
  CHECK(Str(tmpl.at("channel")) == "all");
  CHECK(Strings(tmpl.at("variables")) == std::vector<std::string>{"contact.firstName",
                                                                  "contact.lastName",
                                                                  "product.name", "business.name"});
  CHECK_FALSE(Str(tmpl.at("createdAt")).empty());

  HttpResult reply = Create(*client, owner.token,
                            json::object{{"name", "Thanks"},
                                         {"category", "reply"},
                                         {"channel", "whatsapp"},
                                         {"body", "Thanks! 🎉"}});
  REQUIRE(reply.status == 200);
  std::string reply_id = Str(Json(reply).at("id"));

  HttpResult all = Send(*client, "GET", "/api/v1/templates", owner.token);
  REQUIRE(all.status == 200);
  auto all_body = Json(all);
  REQUIRE(all_body.at("templates").as_array().size() == 2);
  CHECK(Str(all_body.at("templates").at(0).at("id")) == id);
  CHECK(Str(all_body.at("nextPageToken")).empty());
  HttpResult page = Send(*client, "GET", "/api/v1/templates?pageSize=1", owner.token);
  REQUIRE(page.status == 200);
  std::string token = Str(Json(page).at("nextPageToken"));
  CHECK_FALSE(token.empty());
  HttpResult next =
      Send(*client, "GET", "/api/v1/templates?pageSize=1&pageToken=" + token, owner.token);
  REQUIRE(next.status == 200);
  CHECK(Str(Json(next).at("templates").at(0).at("id")) == reply_id);
  CHECK(Str(Json(next).at("nextPageToken")).empty());
  HttpResult replies = Send(*client, "GET", "/api/v1/templates?category=reply", owner.token);
  REQUIRE(replies.status == 200);
  REQUIRE(Json(replies).at("templates").as_array().size() == 1);
  CHECK(Str(Json(replies).at("templates").at(0).at("id")) == reply_id);

  HttpResult got = Send(*client, "GET", "/api/v1/templates/" + id, owner.token);
  REQUIRE(got.status == 200);
  CHECK(Str(Json(got).at("name")) == "Welcome");

  HttpResult patched = Send(*client, "PATCH", "/api/v1/templates/" + id, owner.token,
                            json::serialize(json::object{{"channel", "instagram"}}));
  REQUIRE(patched.status == 200);
  CHECK(Str(Json(patched).at("channel")) == "instagram");
  CHECK(Str(Json(patched).at("name")) == "Welcome");
  HttpResult bad_patch = Send(*client, "PATCH", "/api/v1/templates/" + id, owner.token,
                              json::serialize(json::object{{"body", "{{nope}}"}}));
  CHECK(bad_patch.status == 400);

  // Rendering: the sample's value, fallbacks for the rest, no "Hi ," left behind.
  HttpResult rendered =
      Send(*client, "POST", "/api/v1/templates/" + id + "/render", owner.token,
           json::serialize(json::object{{"sample", {{"contact.firstName", "Ada"}}}}));
  REQUIRE(rendered.status == 200);
  auto r = Json(rendered);
  // business.name is the workspace's name until the business profile gives one.
  CHECK(Str(r.at("text")) == "Hi Ada, meet our product from Tia's Lamps.");
  CHECK(Strings(r.at("fallbacksUsed")) ==
        std::vector<std::string>{"contact.lastName", "product.name"});
  HttpResult no_sample = Send(*client, "POST", "/api/v1/templates/" + id + "/render", owner.token,
                              json::serialize(json::object{}));
  REQUIRE(no_sample.status == 200);
  CHECK(Str(Json(no_sample).at("text")) == "Hi there, meet our product from Tia's Lamps.");
  HttpResult no_campaign =
      Send(*client, "POST", "/api/v1/templates/" + id + "/render", owner.token,
           json::serialize(json::object{{"campaignId", salesos::NewUuidV7()}}));
  CHECK(no_campaign.status == 404);
  // contactId asks conversation: a contact the workspace does not have is not found
  // (tests/integration/conversation_test.cpp renders with a real one).
  HttpResult by_contact =
      Send(*client, "POST", "/api/v1/templates/" + id + "/render", owner.token,
           json::serialize(json::object{{"contactId", salesos::NewUuidV7()}}));
  CHECK(by_contact.status == 404);
  CHECK(ErrorMessage(by_contact).find("no such contact") != std::string::npos);

  // Another workspace sees none of it.
  Account stranger = Register(*client, "Tia's Lamps");
  CHECK(Send(*client, "GET", "/api/v1/templates/" + id, stranger.token).status == 404);
  CHECK(Send(*client, "PATCH", "/api/v1/templates/" + id, stranger.token,
             json::serialize(json::object{{"name", "Mine"}}))
            .status == 404);
  CHECK(Send(*client, "POST", "/api/v1/templates/" + id + "/render", stranger.token, "{}").status ==
        404);
  CHECK(Send(*client, "DELETE", "/api/v1/templates/" + id, stranger.token).status == 404);
  HttpResult stranger_list = Send(*client, "GET", "/api/v1/templates", stranger.token);
  REQUIRE(stranger_list.status == 200);
  CHECK(Json(stranger_list).at("templates").as_array().empty());

  HttpResult deleted = Send(*client, "DELETE", "/api/v1/templates/" + id, owner.token);
  CHECK(deleted.status == 200);
  CHECK(Send(*client, "GET", "/api/v1/templates/" + id, owner.token).status == 404);
  CHECK(Send(*client, "DELETE", "/api/v1/templates/" + id, owner.token).status == 404);
}

TEST_CASE("templates: create, list, get, patch, render and delete, and other workspaces get 404",
          "[integration][templates]") {
  Suite suite;
  CreateListGetPatchRenderDelete(suite);
}

}  // namespace

TEST_CASE("templates: business.name is the workspace's business name unless the sample gives one",
          "[integration][templates]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Cam's Lamps");
  // auth holds the business profile; campaign asks it (a service-only rpc).
  REQUIRE(Send(*client, "PUT", "/api/v1/onboarding", owner.token,
               json::object{{"businessInfo", {{"businessName", "Cam's Lamps"}}}})
              .status == 200);
  HttpResult tmpl = Create(
      *client, owner.token,
      json::object{
          {"name", "Hello"}, {"category", "outreach"}, {"body", "Hello from {{business.name}}!"}});
  REQUIRE(tmpl.status == 200);
  std::string render = "/api/v1/templates/" + Str(Json(tmpl).at("id")) + "/render";

  HttpResult no_sample = Send(*client, "POST", render, owner.token, "{}");
  REQUIRE(no_sample.status == 200);
  CHECK(Str(Json(no_sample).at("text")) == "Hello from Cam's Lamps!");
  CHECK(Json(no_sample).at("fallbacksUsed").as_array().empty());
  HttpResult sample = Send(*client, "POST", render, owner.token,
                           json::object{{"sample", {{"business.name", "Sample Co"}}}});
  REQUIRE(sample.status == 200);
  CHECK(Str(Json(sample).at("text")) == "Hello from Sample Co!");
}

TEST_CASE("templates: rendering for a campaign fills its name and product, price exact",
          "[integration][templates]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Tia's Lamps");
  HttpResult campaign = client->Post(
      "/api/v1/campaigns",
      json::serialize(json::object{
          {"name", "Spring lamps"},
          {"product", json::object{{"name", "Aurora lamp"}, {"price", 49.99}, {"currency", "USD"}}}}),
      owner.token);
  INFO(campaign.body);
  REQUIRE(campaign.status == 200);
  std::string campaign_id = Str(Json(campaign).at("id"));
  HttpResult tmpl = Create(*client, owner.token,
                           json::object{{"name", "Offer"},
                                        {"category", "outreach"},
                                        {"body", "Hi {{contact.firstName}}, {{product.name}} is "
                                                 "{{product.price}} in {{campaign.name}}."}});
  REQUIRE(tmpl.status == 200);
  HttpResult rendered = Send(*client, "POST", "/api/v1/templates/" + Str(Json(tmpl).at("id")) + "/render",
                             owner.token,
                             json::serialize(json::object{{"campaignId", campaign_id}}));
  INFO(rendered.body);
  REQUIRE(rendered.status == 200);
  CHECK(Str(Json(rendered).at("text")) == "Hi there, Aurora lamp is 49.99 USD in Spring lamps.");
}
