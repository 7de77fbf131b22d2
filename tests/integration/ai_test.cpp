// AI orchestration end to end through the gateway: a business test-drives its campaign's bot,
// the knowledge base retrains itself from auth's and campaign's events, settings keep the API key
// sealed and refuse private endpoints, and replies go through a local Chat Completions server
// (the only stand-in: an LLM provider we cannot reach) with every fallback logged in ai_runs.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/api.h"
#include "support/fake_chat_completions.h"
#include "support/suite.h"

namespace {

namespace json = boost::json;
using namespace salesos::testing;
using namespace std::chrono_literals;

json::object LampCampaign() {
  return json::object{
      {"name", "Desk lamps"},
      {"targetPlatform", "all"},
      {"product",
       {{"name", "Aurora desk lamp"},
        {"description", "A dimmable LED desk lamp with a warm light."},
        {"price", 49.99},
        {"currency", "USD"},
        {"features", json::array{"Three brightness levels", "USB-C charging port"}}}},
      {"chatFlow",
       {{"greeting", "Hi! Welcome to Lumen. Looking for a desk lamp?"},
        {"qualificationQuestions",
         json::array{"Which room is the lamp for?", "When do you need it?"}},
        {"objectionHandling",
         json::array{json::object{{"objection", "too expensive"},
                                  {"response", "It lasts 50,000 hours, so it pays for itself."}}}},
        {"closingMessage", "Great choice! Here is your order link: https://lumen.example/buy"}}}};
}

std::string CreateCampaign(HttpClient& client, const Account& owner) {
  HttpResult r = Send(client, "POST", "/api/v1/campaigns", owner.token, LampCampaign());
  INFO(r.body);
  REQUIRE(r.status == 200);
  return Str(Json(r).at("id"));
}

json::object Customer(const std::string& text) {
  return json::object{{"sender", "customer"}, {"content", text}};
}

json::object Ai(const std::string& text) { return json::object{{"sender", "ai"}, {"content", text}}; }

HttpResult Preview(HttpClient& client, const Account& account, const std::string& campaign_id,
                   json::array messages) {
  return Send(client, "POST", "/api/v1/ai/reply-preview", account.token,
              json::object{{"campaignId", campaign_id}, {"messages", std::move(messages)}});
}

json::value PreviewOk(HttpClient& client, const Account& account, const std::string& campaign_id,
                      json::array messages) {
  HttpResult r = Preview(client, account, campaign_id, std::move(messages));
  INFO(r.body);
  REQUIRE(r.status == 200);
  return Json(r);
}

std::string ReplyText(const json::value& v) { return Str(v.at("reply").at("text")); }

std::vector<json::value> Runs(HttpClient& client, const Account& account) {
  HttpResult r = Send(client, "GET", "/api/v1/ai/runs", account.token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  json::value body = Json(r);
  std::vector<json::value> out;
  for (const auto& run : body.at("runs").as_array()) {
    out.push_back(run);
  }
  return out;
}

}  // namespace

TEST_CASE("ai: a business test-drives its campaign's bot before launch", "[integration][ai]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Lumen Lamps");
  std::string campaign = CreateCampaign(*client, owner);

  json::value first = PreviewOk(*client, owner, campaign, json::array{Customer("Hello!")});
  CHECK(ReplyText(first).find("Welcome to Lumen") != std::string::npos);
  CHECK(Str(first.at("intent")) == "greeting");
  CHECK(Str(first.at("provider")) == "builtin");
  CHECK(Str(first.at("language")) == "en");
  CHECK_FALSE(Str(first.at("runId")).empty());

  json::value price = PreviewOk(
      *client, owner, campaign,
      json::array{Customer("Hello!"), Ai(ReplyText(first)), Customer("How much does it cost?")});
  CHECK(Str(price.at("intent")) == "price_question");
  CHECK(ReplyText(price).find("49.99 USD") != std::string::npos);
  CHECK(Str(price.at("fallbackReason")).empty());
  int score = static_cast<int>(price.at("leadScore").at("score").as_int64());
  CHECK(score >= 0);
  CHECK(score <= 100);

  json::value spanish =
      PreviewOk(*client, owner, campaign, json::array{Customer("¿Cuánto cuesta la lámpara?")});
  CHECK(Str(spanish.at("language")) == "es");
  CHECK(ReplyText(spanish).find("49.99 USD") != std::string::npos);

  json::value human = PreviewOk(*client, owner, campaign,
                                json::array{Customer("I want to talk to a real person please")});
  CHECK(Str(human.at("intent")) == "human_request");
  CHECK(human.at("handoff").at("required").as_bool());
  CHECK(Str(human.at("handoff").at("reason")) == "human_request");

  // Every preview is in the run log (newest first), and nothing else is.
  auto runs = Runs(*client, owner);
  REQUIRE(runs.size() == 4);
  for (const auto& run : runs) {
    CHECK(Str(run.at("kind")) == "preview");
    CHECK(Str(run.at("provider")) == "builtin");
    CHECK(Str(run.at("campaignId")) == campaign);
  }
  CHECK(Str(runs.front().at("intent")) == "human_request");

  // A viewer may not test-drive (agents and up may).
  Account viewer = AddMember(*client, owner, "viewer");
  CHECK(Preview(*client, viewer, campaign, json::array{Customer("hi")}).status == 403);
  Account agent = AddMember(*client, owner, "agent");
  CHECK(Preview(*client, agent, campaign, json::array{Customer("hi")}).status == 200);
}

TEST_CASE("ai: bad previews are refused naming the field, and other workspaces' campaigns are 404",
          "[integration][ai]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client, "A Lamps");
  Account b = Register(*client, "B Lamps");
  std::string campaign = CreateCampaign(*client, a);

  HttpResult other = Preview(*client, b, campaign, json::array{Customer("price?")});
  CHECK(other.status == 404);
  CHECK(other.body.find("Aurora") == std::string::npos);

  HttpResult empty = Preview(*client, a, campaign, json::array{});
  CHECK(empty.status == 400);
  CHECK(ErrorFields(empty) == std::vector<std::string>{"messages"});

  HttpResult robot = Preview(*client, a, campaign,
                             json::array{json::object{{"sender", "robot"}, {"content", "hi"}}});
  CHECK(robot.status == 400);
  CHECK(ErrorFields(robot) == std::vector<std::string>{"messages[0].sender"});

  HttpResult huge = Preview(*client, a, campaign, json::array{Customer(std::string(4001, 'a'))});
  CHECK(huge.status == 400);
  CHECK(ErrorFields(huge) == std::vector<std::string>{"messages[0].content"});

  HttpResult only_ai = Preview(*client, a, campaign, json::array{Ai("Hello")});
  CHECK(only_ai.status == 400);

  HttpResult broken = Send(*client, "POST", "/api/v1/ai/reply-preview", a.token,
                           std::string("{\"messages\": [ {\"sender\": "));
  CHECK(broken.status == 400);

  // Nothing of that reached the run log.
  CHECK(Runs(*client, a).empty());
  CHECK(Runs(*client, b).empty());

  // Without SALESOS_ALLOW_PRIVATE_EGRESS a workspace cannot point the AI at a private address.
  for (const char* url : {"http://127.0.0.1:9/v1", "http://169.254.169.254/latest",
                          "http://10.1.2.3/v1", "http://[::1]:8080/v1", "ftp://example.com/v1"}) {
    HttpResult r = Send(*client, "PUT", "/api/v1/ai/settings", a.token,
                        json::object{{"provider", "openai-compatible"},
                                     {"baseUrl", url},
                                     {"model", "gpt-4o-mini"}});
    INFO(url << ": " << r.body);
    CHECK(r.status == 400);
    CHECK(ErrorFields(r) == std::vector<std::string>{"baseUrl"});
  }
  HttpResult settings = Send(*client, "GET", "/api/v1/ai/settings", a.token);
  REQUIRE(settings.status == 200);
  CHECK(Str(Json(settings).at("provider")) == "builtin");
  CHECK(Str(Json(settings).at("effective")) == "builtin");
}

TEST_CASE("ai: the knowledge base retrains from profile and campaign events and on request",
          "[integration][ai]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Lumen Lamps");
  Account other = Register(*client, "Other Shop");

  HttpResult profile = Send(
      *client, "PUT", "/api/v1/onboarding", owner.token,
      json::object{{"businessInfo",
                    {{"businessName", "Lumen Lamps"},
                     {"industry", "Lighting"},
                     {"description", "Lumen designs LED lamps for home offices in Lyon."},
                     {"documents",
                      json::array{json::object{
                          {"name", "Shipping FAQ"},
                          {"content",
                           "Shipping takes three to five business days within France. Orders "
                           "above 100 EUR ship free. Returns are accepted within 30 days."}}}}}}});
  INFO(profile.body);
  REQUIRE(profile.status == 200);

  // workspace.profile_updated on salesos:events → ai_orchestration retrains by itself.
  json::value status;
  bool trained = WaitFor(
      [&] {
        HttpResult r = Send(*client, "GET", "/api/v1/ai/status", owner.token);
        if (r.status != 200) {
          return false;
        }
        status = Json(r);
        return status.at("trained").as_bool() && status.at("chunks").as_int64() > 0;
      },
      20s);
  INFO(json::serialize(status));
  REQUIRE(trained);
  CHECK(status.at("documents").as_int64() == 2);  // the profile and the FAQ
  CHECK_FALSE(Str(status.at("lastTrainedAt")).empty());

  // A campaign created afterwards is learnt too (campaign.created).
  std::string campaign = CreateCampaign(*client, owner);
  REQUIRE(WaitFor(
      [&] {
        HttpResult r = Send(*client, "GET", "/api/v1/ai/status", owner.token);
        return r.status == 200 && Json(r).at("documents").as_int64() == 3;
      },
      20s));

  json::value shipping = PreviewOk(*client, owner, campaign,
                                   json::array{Customer("How long does shipping take?")});
  INFO(json::serialize(shipping));
  REQUIRE_FALSE(shipping.at("sources").as_array().empty());
  CHECK(Str(shipping.at("sources").at(0).at("title")).find("Shipping FAQ") != std::string::npos);
  CHECK(ReplyText(shipping).find("three to five business days") != std::string::npos);

  // Training on request answers with the new status.
  HttpResult train = Send(*client, "POST", "/api/v1/ai/train", owner.token, json::object{});
  INFO(train.body);
  REQUIRE(train.status == 200);
  CHECK(Json(train).at("trained").as_bool());
  CHECK(Json(train).at("documents").as_int64() == 3);

  // The other workspace learnt nothing of it.
  HttpResult theirs = Send(*client, "GET", "/api/v1/ai/status", other.token);
  REQUIRE(theirs.status == 200);
  CHECK(Json(theirs).at("chunks").as_int64() == 0);
  CHECK_FALSE(Json(theirs).at("trained").as_bool());

  // Agents may not retrain; viewers may read the status.
  Account agent = AddMember(*client, owner, "agent");
  CHECK(Send(*client, "POST", "/api/v1/ai/train", agent.token, json::object{}).status == 403);
  Account viewer = AddMember(*client, owner, "viewer");
  CHECK(Send(*client, "GET", "/api/v1/ai/status", viewer.token).status == 200);
}

TEST_CASE("ai: a workspace's endpoint answers when valid and the built-in engine when it fails",
          "[integration][ai]") {
  SuiteOptions options;
  options.extra_env = {"SALESOS_ALLOW_PRIVATE_EGRESS=1"};
  Suite suite(options);
  FakeChatCompletions llm("sk-test-4b1d");
  auto client = suite.Client();
  Account owner = Register(*client, "Lumen Lamps");
  std::string campaign = CreateCampaign(*client, owner);

  HttpResult put = Send(*client, "PUT", "/api/v1/ai/settings", owner.token,
                        json::object{{"provider", "openai-compatible"},
                                     {"baseUrl", llm.base_url()},
                                     {"model", "fake-model"},
                                     {"apiKey", "sk-test-4b1d"},
                                     {"temperature", 0.2},
                                     {"timeoutMs", 1500}});
  INFO(put.body);
  REQUIRE(put.status == 200);
  CHECK(put.body.find("sk-test-4b1d") == std::string::npos);
  CHECK(Json(put).at("apiKeySet").as_bool());
  CHECK(Str(Json(put).at("effective")) == "workspace");
  HttpResult got = Send(*client, "GET", "/api/v1/ai/settings", owner.token);
  CHECK(got.body.find("sk-test-4b1d") == std::string::npos);
  // Sealed at rest: the key's bytes are nowhere in the service's data.
  CHECK(suite.DataAtRest("ai_orchestration").find("sk-test-4b1d") == std::string::npos);

  auto ask_price = [&] {
    return PreviewOk(*client, owner, campaign, json::array{Customer("How much is the lamp?")});
  };

  llm.SetContent(ReplyContent("The Aurora lamp is 49.99 USD, with free returns for 30 days.",
                              {"Buy now"}));
  json::value ok = ask_price();
  CHECK(Str(ok.at("provider")) == "openai-compatible");
  CHECK(ReplyText(ok) == "The Aurora lamp is 49.99 USD, with free returns for 30 days.");
  CHECK(Str(ok.at("fallbackReason")).empty());
  CHECK(Str(ok.at("intent")) == "price_question");  // understood by the built-in engine
  REQUIRE(llm.request_count() == 1);
  auto request = llm.requests().front();
  CHECK(request.authorization == "Bearer sk-test-4b1d");
  CHECK(request.model == "fake-model");
  CHECK(request.system.find("49.99 USD") != std::string::npos);
  CHECK(request.user.find("How much is the lamp?") != std::string::npos);

  struct Case {
    FakeChatCompletions::Mode mode;
    std::string reason;
  };
  std::vector<Case> cases = {{FakeChatCompletions::Mode::kServerError, "server_error"},
                             {FakeChatCompletions::Mode::kMalformed, "malformed_output"},
                             {FakeChatCompletions::Mode::kWrongPrice, "wrong_price"},
                             {FakeChatCompletions::Mode::kRateLimited, "rate_limited"}};
  for (const auto& c : cases) {
    llm.SetMode(c.mode);
    json::value fell = ask_price();
    INFO(c.reason << ": " << json::serialize(fell));
    CHECK(Str(fell.at("provider")) == "builtin");
    CHECK(Str(fell.at("fallbackReason")) == c.reason);
    CHECK(ReplyText(fell).find("49.99 USD") != std::string::npos);
    if (c.reason == "rate_limited") {
      // The 429's retry-after keeps the endpoint skipped: no call, an open circuit.
      int calls = llm.request_count();
      json::value skipped = ask_price();
      CHECK(Str(skipped.at("fallbackReason")) == "circuit_open");
      CHECK(llm.request_count() == calls);
    }
  }

  // Every answer above is in the run log with its reason, newest first.
  auto runs = Runs(*client, owner);
  std::vector<std::string> reasons;
  for (const auto& run : runs) {
    reasons.push_back(Str(run.at("fallbackReason")));
  }
  CHECK(reasons == std::vector<std::string>{"circuit_open", "rate_limited", "wrong_price",
                                            "malformed_output", "server_error", ""});
  CHECK(Str(runs.back().at("provider")) == "openai-compatible");
  CHECK(Str(runs.back().at("model")) == "fake-model-2026-01");

  // Back to the built-in engine: no more calls to the endpoint.
  HttpResult builtin = Send(*client, "PUT", "/api/v1/ai/settings", owner.token,
                            json::object{{"provider", "builtin"}});
  REQUIRE(builtin.status == 200);
  CHECK(Json(builtin).at("apiKeySet").as_bool());  // kept until cleared
  int calls = llm.request_count();
  CHECK(Str(ask_price().at("provider")) == "builtin");
  CHECK(llm.request_count() == calls);
}

TEST_CASE("ai: a slow endpoint falls back within the workspace's timeout", "[integration][ai]") {
  SuiteOptions options;
  options.extra_env = {"SALESOS_ALLOW_PRIVATE_EGRESS=1"};
  Suite suite(options);
  FakeChatCompletions llm;
  llm.SetMode(FakeChatCompletions::Mode::kSlow);
  auto client = suite.Client();
  Account owner = Register(*client, "Lumen Lamps");
  std::string campaign = CreateCampaign(*client, owner);
  REQUIRE(Send(*client, "PUT", "/api/v1/ai/settings", owner.token,
               json::object{{"provider", "openai-compatible"},
                            {"baseUrl", llm.base_url()},
                            {"model", "fake-model"},
                            {"timeoutMs", 800}})
              .status == 200);
  json::value slow = PreviewOk(*client, owner, campaign, json::array{Customer("price?")});
  llm.ReleaseSlow();
  CHECK(Str(slow.at("provider")) == "builtin");
  CHECK(Str(slow.at("fallbackReason")) == "timeout");
  // Bounded by the deadline: well under the gateway's 10 s, near the 800 ms asked.
  CHECK(slow.at("latencyMs").as_int64() < 800 + 1000);
  CHECK(ReplyText(slow).find("49.99 USD") != std::string::npos);
}

TEST_CASE("ai: Leo, segment rules, campaign copy and summaries answer from the built-in engine",
          "[integration][ai]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Lumen Lamps");
  std::string campaign = CreateCampaign(*client, owner);
  REQUIRE(Send(*client, "POST", "/api/v1/campaigns/" + campaign + "/activate", owner.token,
               json::object{})
              .status == 200);

  // Leo answers from live campaign data.
  HttpResult leo = Send(*client, "POST", "/api/v1/ai/assistant", owner.token,
                        json::object{{"question", "How many active campaigns do I have?"}});
  INFO(leo.body);
  REQUIRE(leo.status == 200);
  json::value answer = Json(leo);
  CHECK(Str(answer.at("provider")) == "builtin");
  CHECK(Str(answer.at("answer")).find('1') != std::string::npos);
  CHECK_FALSE(answer.at("facts").as_array().empty());
  HttpResult empty_question = Send(*client, "POST", "/api/v1/ai/assistant", owner.token,
                                   json::object{{"question", ""}});
  CHECK(empty_question.status == 400);

  // The sentence becomes one AND group over the contact catalogue, in segment.proto's
  // shape ({op, not, conditions} | {field, operator, value}), which the segment endpoints take.
  HttpResult rules = Send(
      *client, "POST", "/api/v1/ai/segment-rules", owner.token,
      json::object{{"text",
                    "customers from Lyon or Paris who spent more than 1000 and wrote in the last "
                    "30 days, tagged vip"}});
  INFO(rules.body);
  REQUIRE(rules.status == 200);
  json::value tree = Json(rules);
  const auto& root = tree.at("rules").as_object();
  CHECK(Str(root.at("op")) == "and");
  // The tree reads as written: no `not` when false, no condition half on a group and no group
  // half on a condition.
  CHECK_FALSE(root.contains("not"));
  CHECK_FALSE(root.contains("field"));
  CHECK_FALSE(root.contains("group"));
  CHECK_FALSE(root.at("conditions").as_array().at(0).as_object().contains("op"));
  CHECK_FALSE(root.at("conditions").as_array().at(0).as_object().contains("conditions"));
  std::vector<std::string> fields;
  for (const auto& r : root.at("conditions").as_array()) {
    fields.push_back(Str(r.at("field")));
  }
  CHECK(fields == std::vector<std::string>{"city", "totalSpent", "lastMessageAt", "tags"});
  const auto& city = root.at("conditions").as_array().at(0);
  CHECK(Str(city.at("operator")) == "in");
  CHECK(city.at("value") == json::array{"Lyon", "Paris"});
  CHECK_FALSE(Str(tree.at("explanation")).empty());
  // A status list across status and journey stage is a nested OR group.
  HttpResult stages = Send(*client, "POST", "/api/v1/ai/segment-rules", owner.token,
                           json::object{{"text", "on WhatsApp, qualified or ready to buy"}});
  INFO(stages.body);
  REQUIRE(stages.status == 200);
  json::value staged = Json(stages);
  const auto& nested = staged.at("rules").at("conditions").as_array();
  REQUIRE(nested.size() == 2);
  CHECK(Str(nested.at(0).at("field")) == "platform");
  CHECK(Str(nested.at(1).at("op")) == "or");
  CHECK(Str(nested.at(1).at("conditions").at(1).at("field")) == "journeyStage");
  HttpResult nonsense = Send(*client, "POST", "/api/v1/ai/segment-rules", owner.token,
                             json::object{{"text", "zzz qqq"}});
  CHECK(nonsense.status == 400);
  CHECK(ErrorFields(nonsense) == std::vector<std::string>{"text"});

  // Campaign copy with template variables, and a 404 for another workspace's campaign.
  HttpResult copy = Send(*client, "POST", "/api/v1/ai/message-generation", owner.token,
                         json::object{{"campaignId", campaign},
                                      {"goal", "outreach"},
                                      {"tone", "friendly"},
                                      {"channel", "whatsapp"},
                                      {"count", 3}});
  INFO(copy.body);
  REQUIRE(copy.status == 200);
  json::value variants = Json(copy);
  REQUIRE(variants.at("variants").as_array().size() == 3);
  for (const auto& v : variants.at("variants").as_array()) {
    CHECK(Str(v.at("text")).find("{{") != std::string::npos);
    CHECK_FALSE(v.at("variables").as_array().empty());
  }
  Account stranger = Register(*client, "Other");
  CHECK(Send(*client, "POST", "/api/v1/ai/message-generation", stranger.token,
             json::object{{"campaignId", campaign}})
            .status == 404);
  CHECK(Send(*client, "POST", "/api/v1/ai/message-generation", owner.token,
             json::object{{"campaignId", campaign}, {"tone", "angry"}})
            .status == 400);

  // A call transcript: action items with resolved dates.
  HttpResult summary = Send(
      *client, "POST", "/api/v1/ai/summarize", owner.token,
      json::object{{"transcript",
                    "Customer: Hi, I'd like 20 Aurora lamps for our new office.\n"
                    "Paul: Great, I will send you a quote by 2030-01-15.\n"
                    "Customer: Perfect, please also include the delivery cost.\n"
                    "Paul: Sure, thanks for your order!"}});
  INFO(summary.body);
  REQUIRE(summary.status == 200);
  json::value s = Json(summary);
  CHECK_FALSE(Str(s.at("summary")).empty());
  REQUIRE_FALSE(s.at("actionItems").as_array().empty());
  bool dated = false;
  for (const auto& a : s.at("actionItems").as_array()) {
    dated = dated || Str(a.at("dueDate")) == "2030-01-15";
  }
  CHECK(dated);
  // Both or neither of conversationId and transcript is a 400.
  CHECK(Send(*client, "POST", "/api/v1/ai/summarize", owner.token, json::object{}).status == 400);

  // Each job is in the run log.
  std::vector<std::string> kinds;
  for (const auto& run : Runs(*client, owner)) {
    kinds.push_back(Str(run.at("kind")));
  }
  CHECK(kinds == std::vector<std::string>{"summarize", "message_generation", "segment_rules",
                                          "segment_rules", "assistant"});
}
