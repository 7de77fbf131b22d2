// Segments end to end over HTTP: create, list, get, patch and delete (campaign keeps them), 400s
// naming the path of the broken rule, 409 for a taken name, roles, other workspaces answered 404;
// previews and a segment's contacts counted where the contacts live (conversation), over contacts
// made through POST /api/v1/contacts and by inbound webhooks; the AI's rule trees taken as they
// are; and SQL in field names and values changing nothing. All seven processes, a real Redis.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/api.h"
#include "support/meta.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

constexpr auto kWait = std::chrono::seconds(20);

// The tests poll and create in loops; limits are not the story here.
std::vector<std::string> NoRateLimits() {
  return {"SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"};
}

SuiteOptions Options() { return MetaSuiteOptions(NoRateLimits()); }

json::value Tree(const std::string& text) { return json::parse(text); }

// A rule tree as the API answers it (every field printed, defaults included) reduced to what was
// sent: empty strings, false and empty lists dropped.
json::value Pruned(const json::value& v) {
  if (v.is_array()) {
    json::array out;
    for (const auto& e : v.as_array()) {
      out.push_back(Pruned(e));
    }
    return out;
  }
  if (!v.is_object()) {
    return v;
  }
  json::object out;
  for (const auto& [key, value] : v.as_object()) {
    bool empty = (value.is_string() && value.as_string().empty()) ||
                 (value.is_bool() && !value.as_bool()) ||
                 (value.is_array() && value.as_array().empty());
    // "value" is the condition's own data: kept as it is.
    if (key == "value") {
      out[key] = value;
    } else if (!empty) {
      out[key] = Pruned(value);
    }
  }
  return out;
}

json::value CityIs(const std::string& city) {
  return json::object{{"op", "and"},
                      {"conditions", json::array{json::object{
                                         {"field", "city"}, {"operator", "eq"}, {"value", city}}}}};
}

// Every contact of the workspace: one of "has a first name" or "has none" holds for each.
json::value Everyone() {
  return Tree(R"({"op": "or", "conditions": [
      {"field": "firstName", "operator": "exists", "value": true},
      {"field": "firstName", "operator": "exists", "value": false}]})");
}

HttpResult Preview(HttpClient& client, const Account& who, const json::value& rules) {
  return Send(client, "POST", "/api/v1/segments/preview", who.token,
              json::object{{"rules", rules}});
}

// The count of a preview that must succeed.
int64_t PreviewCount(HttpClient& client, const Account& who, const json::value& rules) {
  HttpResult r = Preview(client, who, rules);
  INFO(r.body);
  REQUIRE(r.status == 200);
  json::value body = Json(r);
  // int64 travels as a JSON string; absent when 0.
  const auto* count = body.as_object().if_contains("count");
  return count == nullptr ? 0 : std::stoll(Str(*count));
}

std::set<std::string> SampleIds(const HttpResult& r) {
  std::set<std::string> ids;
  json::value body = Json(r);
  const auto* sample = body.as_object().if_contains("sample");
  if (sample != nullptr) {
    for (const auto& c : sample->as_array()) {
      ids.insert(Str(c.at("id")));
    }
  }
  return ids;
}

HttpResult CreateSegment(HttpClient& client, const Account& who, const std::string& name,
                         const json::value& rules) {
  return Send(client, "POST", "/api/v1/segments", who.token,
              json::object{{"name", name}, {"rules", rules}});
}

void CrudRolesAndIsolation(Suite& suite) {
  auto client = suite.Client();
  Account owner = Register(*client, "Tia's Lamps");
  Account agent = AddMember(*client, owner, "agent");
  Account viewer = AddMember(*client, owner, "viewer");

  json::value rules = Tree(R"({"op": "and", "conditions": [
      {"field": "city", "operator": "in", "value": ["Lyon", "Paris"]},
      {"op": "or", "not": true, "conditions": [
        {"field": "platform", "operator": "eq", "value": "whatsapp"},
        {"field": "leadScore", "operator": "gte", "value": 70}]}]})");
  HttpResult created = Send(
      *client, "POST", "/api/v1/segments", agent.token,
      json::object{{"name", "Lyon or Paris"}, {"description", "Spring launch"}, {"rules", rules}});
  INFO(created.body);
  REQUIRE(created.status == 200);
  json::value segment = Json(created);
  std::string id = Str(segment.at("id"));
  CHECK(salesos::IsUuid(id));
  CHECK(Pruned(segment.at("rules")) == rules);
  CHECK(Str(segment.at("explanation")).find("Lyon") != std::string::npos);
  CHECK(Str(segment.at("explanation")).find("NOT") != std::string::npos);
  CHECK(Str(segment.at("createdBy")) == agent.user_id);
  CHECK_FALSE(Str(segment.at("createdAt")).empty());
  CHECK(created.Header("etag") == "\"" + Str(segment.at("updatedAt")) + "\"");

  // Viewers read and preview, but do not write.
  CHECK(CreateSegment(*client, viewer, "Mine", rules).status == 403);
  CHECK(Send(*client, "GET", "/api/v1/segments/" + id, viewer.token).status == 200);
  CHECK(Preview(*client, viewer, rules).status == 200);
  CHECK(Send(*client, "DELETE", "/api/v1/segments/" + id, viewer.token).status == 403);

  // Validation names the path of what is wrong.
  HttpResult bad_operator = CreateSegment(*client, owner, "Broken", Tree(R"({"op": "and",
      "conditions": [{"field": "city", "operator": "eq", "value": "Lyon"},
                     {"op": "or", "conditions": [
                       {"field": "tags", "operator": "gt", "value": "vip"}]}]})"));
  CHECK(bad_operator.status == 400);
  CHECK(ErrorFields(bad_operator) ==
        std::vector<std::string>{"rules.conditions[1].conditions[0].operator"});
  HttpResult bad_value = CreateSegment(
      *client, owner, "Broken",
      Tree(
          R"({"op": "and", "conditions": [{"field": "leadScore", "operator": "gte", "value": "high"}]})"));
  CHECK(bad_value.status == 400);
  CHECK(ErrorFields(bad_value) == std::vector<std::string>{"rules.conditions[0].value"});
  HttpResult undeclared = CreateSegment(
      *client, owner, "Broken",
      Tree(
          R"({"op": "and", "conditions": [{"field": "customFields.shoeSize", "operator": "eq", "value": "42"}]})"));
  CHECK(undeclared.status == 400);
  CHECK(ErrorFields(undeclared) == std::vector<std::string>{"rules.conditions[0].field"});
  CHECK(ErrorMessage(undeclared).find("shoeSize") != std::string::npos);
  HttpResult no_rules =
      Send(*client, "POST", "/api/v1/segments", owner.token, json::object{{"name", "No rules"}});
  CHECK(no_rules.status == 400);
  CHECK(ErrorField(no_rules) == "rules");
  HttpResult long_name = CreateSegment(*client, owner, std::string(201, 'x'), rules);
  CHECK(long_name.status == 400);
  CHECK(ErrorField(long_name) == "name");
  HttpResult wrong_type = Send(*client, "POST", "/api/v1/segments", owner.token,
                               json::object{{"name", "x"}, {"rules", "city = Lyon"}});
  CHECK(wrong_type.status == 400);

  // Names are unique in the workspace whatever their case.
  HttpResult taken = CreateSegment(*client, owner, "LYON OR PARIS", rules);
  CHECK(taken.status == 409);
  CHECK(ErrorField(taken) == "name");

  HttpResult second = CreateSegment(*client, owner, "VIP", CityIs("Nantes"));
  REQUIRE(second.status == 200);
  std::string second_id = Str(Json(second).at("id"));
  HttpResult all = Send(*client, "GET", "/api/v1/segments", viewer.token);
  REQUIRE(all.status == 200);
  REQUIRE(Json(all).at("segments").as_array().size() == 2);
  CHECK(Str(Json(all).at("segments").at(0).at("id")) == second_id);  // newest first
  HttpResult page = Send(*client, "GET", "/api/v1/segments?pageSize=1", owner.token);
  REQUIRE(page.status == 200);
  std::string token = Str(Json(page).at("nextPageToken"));
  REQUIRE_FALSE(token.empty());
  HttpResult next =
      Send(*client, "GET", "/api/v1/segments?pageSize=1&pageToken=" + token, owner.token);
  REQUIRE(next.status == 200);
  CHECK(Str(Json(next).at("segments").at(0).at("id")) == id);
  CHECK(Str(Json(next).at("nextPageToken")).empty());
  HttpResult query = Send(*client, "GET", "/api/v1/segments?q=paris", owner.token);
  REQUIRE(query.status == 200);
  REQUIRE(Json(query).at("segments").as_array().size() == 1);
  CHECK(Str(Json(query).at("segments").at(0).at("id")) == id);

  // PATCH: a partial object; the rules are checked again; a stale version is a conflict.
  HttpResult patched =
      Send(*client, "PATCH", "/api/v1/segments/" + id, agent.token,
           json::object{{"segment", {{"name", "Lyon only"}, {"rules", CityIs("Lyon")}}}});
  INFO(patched.body);
  REQUIRE(patched.status == 200);
  CHECK(Str(Json(patched).at("name")) == "Lyon only");
  CHECK(Str(Json(patched).at("description")) == "Spring launch");
  CHECK(Pruned(Json(patched).at("rules")) == CityIs("Lyon"));
  HttpResult stale = Send(*client, "PATCH", "/api/v1/segments/" + id, agent.token,
                          json::object{{"segment", {{"name", "Stale"}}},
                                       {"expectedUpdateTime", Str(segment.at("updatedAt"))}});
  CHECK(stale.status == 409);
  HttpResult bad_patch = Send(
      *client, "PATCH", "/api/v1/segments/" + id, agent.token,
      json::object{
          {"segment",
           {{"rules",
             Tree(
                 R"({"op": "nor", "conditions": [{"field": "city", "operator": "eq", "value": "Lyon"}]})")}}}});
  CHECK(bad_patch.status == 400);
  CHECK(ErrorField(bad_patch) == "rules.op");
  HttpResult cleared =
      Send(*client, "PATCH", "/api/v1/segments/" + id, agent.token,
           json::object{{"segment", json::object{}}, {"updateMask", json::array{"description"}}});
  REQUIRE(cleared.status == 200);
  CHECK(Str(Json(cleared).at("description")).empty());
  HttpResult got = Send(*client, "GET", "/api/v1/segments/" + id, viewer.token);
  REQUIRE(got.status == 200);
  CHECK(Str(Json(got).at("name")) == "Lyon only");

  // Another workspace sees none of it.
  Account stranger = Register(*client, "Tia's Lamps");
  CHECK(Send(*client, "GET", "/api/v1/segments/" + id, stranger.token).status == 404);
  CHECK(Send(*client, "PATCH", "/api/v1/segments/" + id, stranger.token,
             json::object{{"segment", {{"name", "Mine"}}}})
            .status == 404);
  CHECK(Send(*client, "DELETE", "/api/v1/segments/" + id, stranger.token).status == 404);
  CHECK(Send(*client, "GET", "/api/v1/segments/" + id + "/contacts", stranger.token).status == 404);
  HttpResult stranger_list = Send(*client, "GET", "/api/v1/segments", stranger.token);
  REQUIRE(stranger_list.status == 200);
  CHECK(Json(stranger_list).at("segments").as_array().empty());
  // ... and may use the same name.
  CHECK(CreateSegment(*client, stranger, "Lyon only", rules).status == 200);

  CHECK(Send(*client, "DELETE", "/api/v1/segments/" + id, agent.token).status == 200);
  CHECK(Send(*client, "GET", "/api/v1/segments/" + id, owner.token).status == 404);
  CHECK(Send(*client, "DELETE", "/api/v1/segments/" + id, agent.token).status == 404);
}

TEST_CASE("segments: create, list, get, patch and delete, roles, 400s naming paths, 404 elsewhere",
          "[integration][segments]") {
  Suite suite(Options());
  CrudRolesAndIsolation(suite);
}

// Contacts made through the API: the preview counts and samples them, a saved segment pages
// through them, and SQL in names and values changes nothing.
void PreviewOverApiContacts(Suite& suite) {
  auto client = suite.Client();
  Account owner = Register(*client, "Cam's Lamps");
  REQUIRE(Send(*client, "POST", "/api/v1/contact-fields", owner.token,
               json::object{{"key", "size"}, {"label", "Shoe size"}, {"type", "number"}})
              .status == 200);
  struct Person {
    const char* first;
    const char* city;
    std::vector<std::string> tags;
    int size;
  };
  const std::vector<Person> people = {
      {"Ana", "Lyon", {"vip"}, 38},           {"Bruno", "Lyon", {}, 42},
      {"Chloé", "Paris", {"vip", "b2b"}, 40}, {"Dev", "Paris", {}, 44},
      {"Emma", "Nantes", {"vip"}, 37},        {"Farid", "Lyon", {"b2b"}, 45},
      {"x' OR '1'='1", "Lille", {}, 41}};
  std::map<std::string, std::string> ids;
  for (const auto& p : people) {
    json::array tags;
    for (const auto& t : p.tags) {
      tags.push_back(json::value(t));
    }
    HttpResult r = Send(*client, "POST", "/api/v1/contacts", owner.token,
                        json::object{{"firstName", p.first},
                                     {"email", salesos::RandomHex(6) + "@example.com"},
                                     {"city", p.city},
                                     {"tags", tags},
                                     {"customFields", {{"size", p.size}}}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    ids[p.first] = Str(Json(r).at("id"));
  }
  // Another workspace's contacts never count.
  Account stranger = Register(*client, "Other");
  REQUIRE(Send(*client, "POST", "/api/v1/contacts", stranger.token,
               json::object{{"firstName", "Zoe"}, {"city", "Lyon"}})
              .status == 200);

  CHECK(PreviewCount(*client, owner, Everyone()) == 7);
  HttpResult lyon = Preview(*client, owner, CityIs("Lyon"));
  REQUIRE(lyon.status == 200);
  CHECK(Str(Json(lyon).at("count")) == "3");
  CHECK(SampleIds(lyon) == std::set<std::string>{ids["Ana"], ids["Bruno"], ids["Farid"]});
  CHECK(Str(Json(lyon).at("sample").at(0).at("city")) == "Lyon");
  // Nested OR of three, tags, a custom field, a negated group.
  CHECK(PreviewCount(*client, owner, Tree(R"({"op": "or", "conditions": [
      {"field": "city", "operator": "eq", "value": "Nantes"},
      {"field": "city", "operator": "eq", "value": "Lille"},
      {"op": "and", "conditions": [{"field": "city", "operator": "eq", "value": "Paris"},
                                   {"field": "tags", "operator": "contains", "value": "b2b"}]}]})")) ==
        3);
  CHECK(PreviewCount(*client, owner, Tree(R"({"op": "and", "conditions": [
      {"field": "tags", "operator": "contains", "value": "vip"}]})")) == 3);
  CHECK(PreviewCount(*client, owner, Tree(R"({"op": "and", "conditions": [
      {"field": "customFields.size", "operator": "gte", "value": 42}]})")) == 3);
  CHECK(PreviewCount(*client, owner, Tree(R"({"op": "and", "not": true, "conditions": [
      {"field": "city", "operator": "eq", "value": "Lyon"}]})")) == 4);
  CHECK(PreviewCount(*client, owner, Tree(R"({"op": "and", "conditions": [
      {"field": "createdAt", "operator": "within_last_days", "value": 1}]})")) == 7);

  // SQL in a value is a value: it matches only the contact whose name it is.
  CHECK(PreviewCount(*client, owner, Tree(R"({"op": "and", "conditions": [
      {"field": "firstName", "operator": "eq", "value": "x' OR '1'='1"}]})")) == 1);
  CHECK(PreviewCount(*client, owner, Tree(R"({"op": "and", "conditions": [
      {"field": "city", "operator": "eq", "value": "x' OR '1'='1"}]})")) == 0);
  CHECK(PreviewCount(*client, owner, Tree(R"({"op": "and", "conditions": [
      {"field": "city", "operator": "in", "value": ["Lyon'); DELETE FROM contacts; --"]}]})")) ==
        0);
  HttpResult injected = Preview(*client, owner, Tree(R"({"op": "and", "conditions": [
      {"field": "firstName) OR 1=1 --", "operator": "eq", "value": "x"}]})"));
  CHECK(injected.status == 400);
  CHECK(ErrorFields(injected) == std::vector<std::string>{"rules.conditions[0].field"});
  CHECK(ErrorMessage(injected).find("firstName) OR 1=1 --") != std::string::npos);
  HttpResult injected_custom = Preview(*client, owner, Tree(R"({"op": "and", "conditions": [
      {"field": "customFields.size' OR '1'='1", "operator": "eq", "value": "x"}]})"));
  CHECK(injected_custom.status == 400);
  CHECK(ErrorField(injected_custom) == "rules.conditions[0].field");
  CHECK(PreviewCount(*client, owner, Everyone()) == 7);
  CHECK(PreviewCount(*client, stranger, Everyone()) == 1);

  // A saved segment's contacts, in pages, with the total.
  HttpResult saved = CreateSegment(*client, owner, "Lyon", CityIs("Lyon"));
  REQUIRE(saved.status == 200);
  std::string path = "/api/v1/segments/" + Str(Json(saved).at("id")) + "/contacts";
  std::set<std::string> seen;
  std::string page_token;
  int pages = 0;
  do {
    HttpResult page =
        Send(*client, "GET", path + "?pageSize=2&pageToken=" + page_token, owner.token);
    INFO(page.body);
    REQUIRE(page.status == 200);
    ++pages;
    json::value body = Json(page);
    CHECK(Str(body.at("totalCount")) == "3");
    for (const auto& c : body.at("contacts").as_array()) {
      seen.insert(Str(c.at("id")));
    }
    const auto* next = body.as_object().if_contains("nextPageToken");
    page_token = next == nullptr ? "" : Str(*next);
  } while (!page_token.empty() && pages < 10);
  CHECK(pages == 2);
  CHECK(seen == std::set<std::string>{ids["Ana"], ids["Bruno"], ids["Farid"]});
}

TEST_CASE("segments: previews count and sample API contacts, and SQL in rules changes nothing",
          "[integration][segments]") {
  Suite suite(Options());
  PreviewOverApiContacts(suite);
}

TEST_CASE("segments: contacts who wrote on WhatsApp and Messenger are previewed by platform",
          "[integration][segments]") {
  Suite suite(Options());
  auto client = suite.Client();
  Account owner = Register(*client, "Cam's Lamps");
  const std::string page_id = NewMetaId();
  const std::string phone_id = NewMetaId();
  ConnectChannel(*client, owner, "facebook", page_id, "EAA" + salesos::RandomHex(16));
  ConnectChannel(*client, owner, "whatsapp", phone_id, "EAA" + salesos::RandomHex(16));
  const int64_t now = salesos::NowUnixMillis();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(
        PostMetaWebhook(*client, WhatsAppTextBody(phone_id, "3361234567" + std::to_string(i),
                                                  "Customer " + std::to_string(i),
                                                  "wamid." + salesos::RandomHex(8), "Hi", now + i))
            .status == 200);
  }
  REQUIRE(PostMetaWebhook(*client, MessengerTextBody(page_id, NewMetaId(),
                                                     "m_" + salesos::RandomHex(8), "Hello", now))
              .status == 200);
  json::value whatsapp = Tree(R"({"op": "and", "conditions": [
      {"field": "platform", "operator": "eq", "value": "whatsapp"}]})");
  // The webhooks are consumed asynchronously: wait until every contact shows.
  CHECK(WaitFor([&] { return PreviewCount(*client, owner, Everyone()) == 4; }, kWait));
  CHECK(PreviewCount(*client, owner, whatsapp) == 3);
  HttpResult sample = Preview(*client, owner, whatsapp);
  REQUIRE(sample.status == 200);
  CHECK(SampleIds(sample).size() == 3);
  CHECK(PreviewCount(*client, owner, Tree(R"({"op": "and", "conditions": [
      {"field": "lastMessageAt", "operator": "within_last_days", "value": 1}]})")) == 4);
}

TEST_CASE("segments: the AI's rule trees are accepted as they are by save and preview",
          "[integration][segments]") {
  Suite suite(Options());
  auto client = suite.Client();
  Account owner = Register(*client, "Cam's Lamps");
  for (const char* text :
       {"customers from Lyon or Paris who spent more than 1000 and wrote in the last 30 days, "
        "tagged vip",
        "whatsapp contacts with a lead score of at least 70 who are not opted out",
        "contacts created in the last 7 days"}) {
    HttpResult parsed = Send(*client, "POST", "/api/v1/ai/segment-rules", owner.token,
                             json::object{{"text", text}});
    INFO(text << "\n" << parsed.body);
    REQUIRE(parsed.status == 200);
    json::value rules = Json(parsed).at("rules");
    HttpResult saved = CreateSegment(*client, owner, text, rules);
    INFO(saved.body);
    CHECK(saved.status == 200);
    if (saved.status == 200) {
      CHECK(Pruned(Json(saved).at("rules")) == Pruned(rules));
    }
    HttpResult preview = Preview(*client, owner, rules);
    INFO(preview.body);
    CHECK(preview.status == 200);
  }
}

}  // namespace
