// The automation scope of the one rule engine: the conversation.*, message.* and event.* fields
// are taken by automation rules only, evaluated in memory over an event's facts, and refused by
// segments and the SQL compiler.

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "salesos/segments/catalogue.h"
#include "salesos/segments/evaluate.h"
#include "salesos/segments/sql.h"

namespace salesos::segments {
namespace {

using common::v1::SegmentRule;

constexpr int64_t kNowMs = 1'773'063'441'123;
const CustomFieldDecls kNoCustom;

SegmentRule Parse(const std::string& json) {
  SegmentRule rule;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &rule).ok());
  return rule;
}

SegmentRule One(const std::string& field, const std::string& op, const std::string& value) {
  return Parse(R"({"op":"and","conditions":[{"field":")" + field + R"(","operator":")" + op +
               R"(","value":)" + value + "}]}");
}

bool Matches(const AutomationFacts& facts, const std::string& field, const std::string& op,
             const std::string& value) {
  SegmentRule rule = One(field, op, value);
  Status valid = ValidateSegmentRule(rule, "conditions", &kNoCustom, RuleScope::kAutomation);
  INFO(field << " " << op << " " << value << " " << valid.ToString());
  REQUIRE(valid.ok());
  return MatchesSegmentRule(rule, facts, kNoCustom, kNowMs);
}

AutomationFacts MessageEvent() {
  AutomationFacts f;
  f.contact.first_name = "Ana";
  f.contact.tags = {"vip"};
  f.conversation = ConversationFacts{"qualified", "ai", "whatsapp", "c-1", 72};
  f.message = MessageFacts{"What is the PRICE of the blue one?", "text", "customer"};
  return f;
}

}  // namespace

TEST_CASE("segments refuse the automation fields and name the condition at fault", "[segments]") {
  for (const auto& f : AutomationFields()) {
    SegmentRule rule = One(std::string(f.name), "exists", "true");
    Status st = ValidateSegmentRule(rule, "rules");
    INFO(f.name);
    REQUIRE(st.code() == Code::kInvalidArgument);
    REQUIRE(st.violations().size() == 1);
    CHECK(st.violations()[0].field == "rules.conditions[0].field");
    CHECK(st.violations()[0].description.find("only tested by automation rules") !=
          std::string::npos);
    CHECK(ValidateSegmentRule(rule, "rules", nullptr, RuleScope::kAutomation).ok());
  }
}

TEST_CASE("automation rules validate event field operators and values by type", "[segments]") {
  auto check = [](const std::string& field, const std::string& op, const std::string& value) {
    return ValidateSegmentRule(One(field, op, value), "conditions", nullptr,
                               RuleScope::kAutomation);
  };
  CHECK(check("conversation.status", "eq", "\"qualified\"").ok());
  Status bad_enum = check("conversation.status", "eq", "\"open\"");
  REQUIRE(bad_enum.code() == Code::kInvalidArgument);
  CHECK(bad_enum.violations()[0].field == "conditions.conditions[0].value");
  Status bad_op = check("conversation.leadScore", "contains", "\"1\"");
  REQUIRE(bad_op.code() == Code::kInvalidArgument);
  CHECK(bad_op.violations()[0].field == "conditions.conditions[0].operator");
  CHECK(check("conversation.leadScore", "gte", "50").ok());
  CHECK(check("message.text", "contains", "\"price\"").ok());
  CHECK_FALSE(check("message.sender", "eq", "\"bot\"").ok());
  CHECK_FALSE(check("message.unknown", "eq", "\"x\"").ok());
  // The contact's own fields stay as segments have them.
  CHECK(check("tags", "contains", "\"vip\"").ok());
  CHECK_FALSE(check("country", "eq", "\"france\"").ok());
}

TEST_CASE("the SQL compiler refuses automation fields", "[segments]") {
  SegmentRule rule = One("message.text", "contains", "\"price\"");
  auto compiled = CompileSegmentRule(rule, kNoCustom, SqlDialect::kSqlite, kNowMs, 2, 1);
  REQUIRE_FALSE(compiled.ok());
  CHECK(compiled.status().code() == Code::kInvalidArgument);
}

TEST_CASE("automation fields are tested against the event's conversation and message",
          "[segments]") {
  AutomationFacts f = MessageEvent();
  CHECK(Matches(f, "conversation.status", "eq", "\"qualified\""));
  CHECK_FALSE(Matches(f, "conversation.status", "eq", "\"active\""));
  CHECK(Matches(f, "conversation.status", "in", R"(["active","qualified"])"));
  CHECK(Matches(f, "conversation.handler", "eq", "\"ai\""));
  CHECK(Matches(f, "conversation.platform", "ne", "\"facebook\""));
  CHECK(Matches(f, "conversation.leadScore", "gt", "70"));
  CHECK_FALSE(Matches(f, "conversation.leadScore", "lt", "72"));
  CHECK(Matches(f, "conversation.campaignId", "eq", "\"C-1\""));  // strings fold ASCII case
  CHECK(Matches(f, "message.text", "contains", "\"price\""));
  CHECK(Matches(f, "message.text", "not_contains", "\"refund\""));
  CHECK(Matches(f, "message.type", "eq", "\"text\""));
  CHECK(Matches(f, "message.sender", "eq", "\"customer\""));
  CHECK_FALSE(Matches(f, "event.previousStatus", "exists", "true"));
  f.previous_status = "active";
  CHECK(Matches(f, "event.previousStatus", "eq", "\"active\""));
  // And with the contact's fields in one tree.
  SegmentRule both = Parse(R"({"op":"and","conditions":[
      {"field":"tags","operator":"contains","value":"vip"},
      {"op":"or","conditions":[{"field":"message.text","operator":"contains","value":"price"},
                               {"field":"conversation.leadScore","operator":"gte","value":90}]}]})");
  REQUIRE(ValidateSegmentRule(both, "conditions", nullptr, RuleScope::kAutomation).ok());
  CHECK(MatchesSegmentRule(both, f, kNoCustom, kNowMs));
  f.contact.tags.clear();
  CHECK_FALSE(MatchesSegmentRule(both, f, kNoCustom, kNowMs));
}

TEST_CASE("an event without a conversation or message has no value for their fields",
          "[segments]") {
  AutomationFacts f;  // contact.created: the contact alone
  CHECK(Matches(f, "conversation.status", "exists", "false"));
  CHECK_FALSE(Matches(f, "conversation.status", "exists", "true"));
  CHECK_FALSE(Matches(f, "conversation.leadScore", "eq", "0"));
  CHECK_FALSE(Matches(f, "conversation.leadScore", "exists", "true"));
  CHECK(Matches(f, "conversation.leadScore", "ne", "0"));  // ne is NOT eq
  CHECK_FALSE(Matches(f, "message.text", "contains", "\"a\""));
  CHECK(Matches(f, "message.text", "not_contains", "\"a\""));
  CHECK_FALSE(Matches(f, "message.sender", "in", R"(["customer","agent"])"));
}

TEST_CASE("over contact fields an automation rule answers as the segment evaluator does",
          "[segments][property]") {
  // Random contacts and random one-condition trees over contact fields: the automation entry
  // point is the segment evaluator, whatever event facts come with it.
  std::mt19937 rng(20261121);
  const std::vector<std::string> cities = {"", "Lyon", "lyon", "Paris"};
  const std::vector<std::string> stages = {"awareness", "interest", "purchase"};
  const std::vector<std::vector<std::string>> tag_sets = {{}, {"vip"}, {"vip", "new"}};
  const std::vector<SegmentRule> rules = {
      One("city", "eq", "\"lyon\""),          One("city", "exists", "true"),
      One("journeyStage", "ne", "\"interest\""), One("tags", "contains", "\"vip\""),
      One("tags", "not_in", R"(["new"])"),    One("leadScore", "gte", "50"),
      One("platform", "eq", "\"whatsapp\""),  One("createdAt", "within_last_days", "7"),
  };
  for (int i = 0; i < 500; ++i) {
    ContactFacts c;
    c.city = cities[rng() % cities.size()];
    c.journey_stage = stages[rng() % stages.size()];
    c.tags = tag_sets[rng() % tag_sets.size()];
    c.lead_score = static_cast<double>(rng() % 101);
    c.on_whatsapp = rng() % 2 == 0;
    c.created_ms = kNowMs - static_cast<int64_t>(rng() % 20) * 86'400'000;
    AutomationFacts f;
    f.contact = c;
    if (rng() % 2 == 0) {
      f.conversation = ConversationFacts{"active", "ai", "facebook", "", 10};
    }
    if (rng() % 2 == 0) {
      f.message = MessageFacts{"hello", "text", "customer"};
    }
    const SegmentRule& rule = rules[rng() % rules.size()];
    INFO("case " << i);
    CHECK(MatchesSegmentRule(rule, f, kNoCustom, kNowMs) ==
          MatchesSegmentRule(rule, c, kNoCustom, kNowMs));
  }
}

}  // namespace salesos::segments
