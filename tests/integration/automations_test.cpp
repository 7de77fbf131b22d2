// Automations end to end (docs/automations.md), with real processes: a message.received rule
// with conditions tags the contact and assigns an agent exactly once per customer message (three
// signed WhatsApp webhooks, three executions, a fourth message that does not match adds none);
// two conversation.status_changed rules that flip each other stop at depth 3 with a skipped
// execution; executions listed through GET /api/v1/automations/{id}/executions; roles.
#include <boost/json.hpp>
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/api.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

constexpr auto kWait = std::chrono::seconds(20);

// The automation's executions, newest first.
json::array Executions(HttpClient& http, const Account& who, const std::string& id) {
  HttpResult r = Send(http, "GET", "/api/v1/automations/" + id + "/executions", who.token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return Json(r).at("executions").as_array();
}

// Executions once there are `n` of them (else the last answer).
json::array ExecutionsWhen(HttpClient& http, const Account& who, const std::string& id,
                           size_t n) {
  json::array list;
  bool ok = WaitFor(
      [&] {
        list = Executions(http, who, id);
        return list.size() >= n;
      },
      kWait);
  INFO(json::serialize(list));
  CHECK(ok);
  return list;
}

std::string CreateAutomation(HttpClient& http, const Account& owner, const std::string& body) {
  HttpResult r = Send(http, "POST", "/api/v1/automations", owner.token, std::string(body));
  INFO(r.body);
  REQUIRE(r.status == 200);
  return Str(Json(r).at("id"));
}

}  // namespace

TEST_CASE("automations: a message rule runs once per customer message and a chain stops at depth 3",
          "[integration][automations]") {
  FakeGraphApi graph;
  // The AI waits a minute before it answers, so it changes no status during the test.
  Suite suite(MetaSuiteOptions({"SALESOS_GRAPH_API_BASE=" + graph.base_url(),
                                "SALESOS_AI_DEBOUNCE_MS=60000", "SALESOS_RATE_LIMIT_IP_PER_MIN=0",
                                "SALESOS_RATE_LIMIT_USER_PER_MIN=0"}));
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http);
  Account agent = AddMember(http, owner, "agent");
  const std::string phone_id = NewMetaId();
  const std::string token = "EAA" + salesos::RandomHex(16) + "abcd";
  ConnectChannel(http, owner, "whatsapp", phone_id, token);
  graph.AcceptToken(phone_id, token);

  // Roles: agents read automations, admins and owners write them.
  const std::string rule_body = R"({"name": "Price questions", "event": "message.received",
      "isActive": true, "priority": 10,
      "conditions": {"op": "and", "conditions": [
        {"field": "message.text", "operator": "contains", "value": "price"},
        {"field": "conversation.platform", "operator": "eq", "value": "whatsapp"}]},
      "actions": [{"type": "add_tag", "tag": "Price-Asked"},
                  {"type": "assign_agent", "agentId": ")" + agent.user_id + R"("}]})";
  CHECK(Send(http, "POST", "/api/v1/automations", agent.token, std::string(rule_body)).status ==
        403);
  HttpResult bad = Send(http, "POST", "/api/v1/automations", owner.token,
                        std::string(R"({"name": "x", "event": "message.received",
                            "actions": [{"type": "add_tag", "tag": ""}]})"));
  CHECK(bad.status == 400);
  CHECK(ErrorField(bad) == "actions[0].tag");
  const std::string rule = CreateAutomation(http, owner, rule_body);
  // Every customer message: the barrier that says the engine has seen a message.
  const std::string every = CreateAutomation(http, owner, R"({"name": "Every message",
      "event": "message.received", "isActive": true,
      "actions": [{"type": "add_tag", "tag": "wrote"}]})");
  CHECK(Send(http, "GET", "/api/v1/automations", agent.token).status == 200);

  // Three customer messages asking the price, then one that does not.
  const std::string customer = NewMetaId();
  const char* texts[] = {"What is the price?", "PRICE please", "price for two?", "thanks!"};
  for (const char* text : texts) {
    std::string body = WhatsAppTextBody(phone_id, customer, "Ana Lima",
                                        "wamid." + salesos::RandomHex(8), text,
                                        salesos::NowUnixMillis());
    REQUIRE(PostMetaWebhook(http, body).status == 200);
  }
  json::array seen = ExecutionsWhen(http, owner, every, 4);
  REQUIRE(seen.size() == 4);
  json::array runs = Executions(http, owner, rule);
  INFO(json::serialize(runs));
  REQUIRE(runs.size() == 3);
  std::string conversation_id = Str(runs.at(0).at("conversationId"));
  std::string contact_id = Str(runs.at(0).at("contactId"));
  std::set<std::string> event_ids;
  for (const auto& run : runs) {
    CHECK(Str(run.at("status")) == "succeeded");
    CHECK(Str(run.at("event")) == "message.received");
    CHECK(Str(run.at("conversationId")) == conversation_id);
    CHECK(Str(run.at("result")).find("add_tag price-asked: done") != std::string::npos);
    event_ids.insert(Str(run.at("eventId")));
  }
  CHECK(event_ids.size() == 3);

  HttpResult contact = Send(http, "GET", "/api/v1/contacts/" + contact_id, owner.token);
  REQUIRE(contact.status == 200);
  auto tags = Strings(Json(contact).at("tags"));
  CHECK(std::count(tags.begin(), tags.end(), "price-asked") == 1);
  CHECK(std::count(tags.begin(), tags.end(), "wrote") == 1);
  HttpResult conv = Send(http, "GET", "/api/v1/conversations/" + conversation_id, owner.token);
  REQUIRE(conv.status == 200);
  CHECK(Str(Json(conv).at("assignedAgentId")) == agent.user_id);
  HttpResult shown = Send(http, "GET", "/api/v1/automations/" + rule, agent.token);
  REQUIRE(shown.status == 200);
  CHECK(Str(Json(shown).at("executionCount")) == "3");  // int64: a JSON string

  // Two rules that flip the status back and forth: the chain stops at depth 3.
  const std::string to_active = CreateAutomation(http, owner, R"({"name": "Back to active",
      "event": "conversation.status_changed", "isActive": true,
      "conditions": {"op": "and", "conditions": [
        {"field": "conversation.status", "operator": "eq", "value": "qualified"}]},
      "actions": [{"type": "set_status", "status": "active"}]})");
  const std::string to_qualified = CreateAutomation(http, owner, R"({"name": "Requalify",
      "event": "conversation.status_changed", "isActive": true,
      "conditions": {"op": "and", "conditions": [
        {"field": "conversation.status", "operator": "eq", "value": "active"}]},
      "actions": [{"type": "set_status", "status": "qualified"}]})");
  REQUIRE(Send(http, "POST", "/api/v1/conversations/" + conversation_id + "/status", owner.token,
               std::string(R"({"status": "qualified"})"))
              .status == 200);
  json::array flips = ExecutionsWhen(http, owner, to_qualified, 2);
  INFO(json::serialize(flips));
  REQUIRE(flips.size() == 2);
  CHECK(Str(flips.at(0).at("status")) == "skipped");
  CHECK(Str(flips.at(0).at("error")) == "depth limit");
  CHECK(flips.at(0).at("depth").as_int64() == 3);
  CHECK(Str(flips.at(1).at("status")) == "succeeded");
  CHECK(flips.at(1).at("depth").as_int64() == 1);
  json::array backs = Executions(http, owner, to_active);
  INFO(json::serialize(backs));
  REQUIRE(backs.size() == 2);
  CHECK(backs.at(0).at("depth").as_int64() == 2);
  CHECK(backs.at(1).at("depth").as_int64() == 0);
  HttpResult after = Send(http, "GET", "/api/v1/conversations/" + conversation_id, owner.token);
  CHECK(Str(Json(after).at("status")) == "active");
  // Filtering by status.
  HttpResult skipped = Send(http, "GET",
                            "/api/v1/automations/" + to_qualified + "/executions?status=skipped",
                            owner.token);
  REQUIRE(skipped.status == 200);
  CHECK(Json(skipped).at("executions").as_array().size() == 1);
}
