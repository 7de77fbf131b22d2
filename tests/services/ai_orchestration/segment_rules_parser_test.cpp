// Plain language to segment rule trees: the issue's sentence, each kind of clause in English and
// in the other languages, lists, negation, "or" between clauses, what is left unparsed, the limits,
// and the LLM call and its validator.

#include "segment_rules_parser.h"

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <string>

#include "salesos/segments/catalogue.h"

namespace salesos::ai {
namespace {

constexpr char kToday[] = "2026-11-21";

ParsedSegment Parse(const std::string& text, const std::string& today = kToday) {
  auto r = ParseSegmentText(text, today);
  INFO(text);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(segments::ValidateSegmentRule(r->rule, "rules").ok());
  return std::move(r).value();
}

// The explanation is the tree, one line: the easiest thing to compare.
std::string Explain(const std::string& text, const std::string& today = kToday) {
  return Parse(text, today).explanation;
}

std::string Json(const common::v1::SegmentRule& rule) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  REQUIRE(google::protobuf::util::MessageToJsonString(rule, &out, options).ok());
  return out;
}

TEST_CASE("the issue's example sentence becomes four ANDed conditions", "[ai][segments]") {
  ParsedSegment p = Parse(
      "customers from Lyon or Paris who spent more than 1000 and wrote in the last 30 days, "
      "tagged vip");
  CHECK(p.explanation ==
        "city is one of Lyon, Paris AND totalSpent > 1000 AND lastMessageAt within the last 30 "
        "days AND tagged vip");
  CHECK(p.unparsed.empty());
  CHECK(Json(p.rule) == R"({"op":"and","conditions":[)"
                        R"({"field":"city","operator":"in","value":["Lyon","Paris"]},)"
                        R"({"field":"totalSpent","operator":"gt","value":1000},)"
                        R"({"field":"lastMessageAt","operator":"within_last_days","value":30},)"
                        R"({"field":"tags","operator":"contains","value":"vip"}]})");
}

TEST_CASE("one place is eq, lowercase places are capitalised, countries become ISO codes",
          "[ai][segments]") {
  CHECK(Explain("contacts from Lyon") == "city is Lyon");
  CHECK(Explain("customers from lyon or paris") == "city is one of Lyon, Paris");
  CHECK(Explain("clients in New York, Los Angeles or Saint-Étienne") ==
        "city is one of New York, Los Angeles, Saint-Étienne");
  CHECK(Explain("customers from France or Spain") == "country is one of FR, ES");
  CHECK(Explain("from Lyon or Belgium") == "city is Lyon OR country is BE");
  CHECK(Explain("customers not from Paris") == "city is not Paris");
}

TEST_CASE("spending comparisons, currency signs and thousands separators", "[ai][segments]") {
  CHECK(Explain("spent over $1,000") == "totalSpent > 1000");
  CHECK(Explain("spent at least 49.99") == "totalSpent >= 49.99");
  CHECK(Explain("spent less than 100 €") == "totalSpent < 100");
  CHECK(Explain("spent between 100 and 500") == "totalSpent >= 100 AND totalSpent <= 500");
  CHECK(Explain("spent 2k or more") == "totalSpent >= 2000");
  CHECK(Explain("customers who spent") == "totalSpent > 0");
  CHECK(Explain("never spent anything") == "totalSpent is 0");
}

TEST_CASE("orders: bought, never bought, counts and recent purchases", "[ai][segments]") {
  CHECK(Explain("customers who bought") == "ordersCount > 0");
  CHECK(Explain("customers who never ordered") == "ordersCount is 0");
  CHECK(Explain("people who did not buy") == "ordersCount is 0");
  CHECK(Explain("ordered at least 3 times") == "ordersCount >= 3");
  CHECK(Explain("bought more than once") == "ordersCount > 1");
  CHECK(Explain("with more than 2 orders") == "ordersCount > 2");
  CHECK(Explain("bought in the last 60 days") == "lastOrderAt within the last 60 days");
  CHECK(Explain("tagged vip who want to buy") == "tagged vip");
}

TEST_CASE("message recency, and inactivity resolved against today", "[ai][segments]") {
  CHECK(Explain("wrote this week") == "lastMessageAt within the last 7 days");
  CHECK(Explain("messaged us in the past 2 weeks") == "lastMessageAt within the last 14 days");
  CHECK(Explain("active today") == "lastMessageAt within the last 1 day");
  CHECK(Explain("inactive for 30 days") == "lastMessageAt before 2026-10-22");
  CHECK(Explain("haven't written in the last 60 days") == "lastMessageAt before 2026-09-22");
}

TEST_CASE("without today, inactivity is left unparsed rather than guessed", "[ai][segments]") {
  ParsedSegment p = Parse("tagged vip, inactive for 30 days", "");
  CHECK(p.explanation == "tagged vip");
  CHECK(p.unparsed == std::vector<std::string>{"inactive for 30 days"});
}

TEST_CASE("created before and after dates, months and years", "[ai][segments]") {
  CHECK(Explain("joined after 2025-03-01") == "createdAt after 2025-03-01");
  CHECK(Explain("added before March 2025") == "createdAt before 2025-03-01");
  CHECK(Explain("created since 1 March 2025") == "createdAt after 2025-02-28");
  CHECK(Explain("joined in 2025") == "createdAt after 2024-12-31 AND createdAt before 2026-01-01");
  CHECK(Explain("created before May") == "createdAt before 2026-05-01");
  CHECK(Explain("new contacts in the last 7 days") == "createdAt within the last 7 days");
}

TEST_CASE("tags: lists with or, with and, negation and untagged", "[ai][segments]") {
  CHECK(Explain("tagged vip or gold") == "tagged any of vip, gold");
  CHECK(Explain("with tags vip and gold") == "tagged vip AND tagged gold");
  CHECK(Explain("with the tag \"black friday\"") == "tagged black friday");
  CHECK(Explain("tagged black-friday") == "tagged black-friday");
  CHECK(Explain("not tagged spam") == "not tagged spam");
  CHECK(Explain("untagged contacts") == "has no tags");
  CHECK(Explain("customers with no tags") == "has no tags");
}

TEST_CASE("platforms, statuses and lead scores", "[ai][segments]") {
  CHECK(Explain("contacts on WhatsApp or Instagram") == "platform is one of whatsapp, instagram");
  CHECK(Explain("from Messenger") == "platform is facebook");
  CHECK(Explain("not on whatsapp") == "platform is not whatsapp");
  CHECK(Explain("qualified leads") == "status is qualified");
  CHECK(Explain("converted or lost contacts") == "status is one of converted, closed");
  CHECK(Explain("status is lost") == "status is closed");
  CHECK(Explain("closed conversations") == "status is closed");
  CHECK(Explain("archived contacts") == "status is archived");
  CHECK(Explain("status active") == "status is active");
  CHECK(Explain("customers who bought") == "ordersCount > 0");
  CHECK(Explain("lead score above 70") == "leadScore > 70");
  CHECK(Explain("with a lead score of at least 50") == "leadScore >= 50");
}

TEST_CASE("language, opt-out, email and names", "[ai][segments]") {
  CHECK(Explain("customers speaking French") == "language is fr");
  CHECK(Explain("French-speaking or in Spanish") == "language is fr OR language is es");
  CHECK(Explain("language is de") == "language is de");
  CHECK(Explain("opted out contacts") == "optedOut is true");
  CHECK(Explain("not unsubscribed") == "optedOut is false");
  CHECK(Explain("with an email address") == "email is set");
  CHECK(Explain("without a phone number") == "phone is not set");
  CHECK(Explain("named Ada") == "firstName is Ada");
}

TEST_CASE("ready to buy is the purchase stage of the journey", "[ai][segments]") {
  CHECK(
      Json(Parse("ready to buy leads").rule) ==
      R"({"op":"and","conditions":[{"field":"journeyStage","operator":"eq","value":"purchase"}]})");
  CHECK(
      Json(Parse("prêts à acheter").rule) ==
      R"({"op":"and","conditions":[{"field":"journeyStage","operator":"eq","value":"purchase"}]})");
}

TEST_CASE("a status list spanning status and journey stage is an OR group", "[ai][segments]") {
  CHECK(Json(Parse("qualified or ready to buy leads").rule) ==
        R"({"op":"or","conditions":[)"
        R"({"field":"status","operator":"eq","value":"qualified"},)"
        R"({"field":"journeyStage","operator":"eq","value":"purchase"}]})");
  CHECK(Json(Parse("tagged vip, qualified or ready to buy").rule) ==
        R"({"op":"and","conditions":[{"field":"tags","operator":"contains","value":"vip"},)"
        R"({"op":"or","conditions":[)"
        R"({"field":"status","operator":"eq","value":"qualified"},)"
        R"({"field":"journeyStage","operator":"eq","value":"purchase"}]}]})");
}

TEST_CASE("a negated list spanning two fields is a group with not", "[ai][segments]") {
  ParsedSegment p = Parse("tagged vip but not qualified or ready to buy");
  CHECK(Json(p.rule) ==
        R"({"op":"and","conditions":[{"field":"tags","operator":"contains","value":"vip"},)"
        R"({"op":"or","not":true,"conditions":[)"
        R"({"field":"status","operator":"eq","value":"qualified"},)"
        R"({"field":"journeyStage","operator":"eq","value":"purchase"}]}]})");
  // Alone, the negated group sits under an AND root.
  CHECK(Json(Parse("not qualified or ready to buy").rule) ==
        R"({"op":"and","conditions":[{"op":"or","not":true,"conditions":[)"
        R"({"field":"status","operator":"eq","value":"qualified"},)"
        R"({"field":"journeyStage","operator":"eq","value":"purchase"}]}]})");
  // One field keeps the negated operator.
  CHECK(Json(Parse("not qualified or converted").rule) ==
        R"({"op":"and","conditions":[)"
        R"({"field":"status","operator":"not_in","value":["qualified","converted"]}]})");
}

TEST_CASE("journey stages take the word stage or phase", "[ai][segments]") {
  CHECK(Explain("contacts in the consideration stage") == "journeyStage is consideration");
  CHECK(Explain("journey stage is retention") == "journeyStage is retention");
  CHECK(Explain("in the awareness or interest phase") ==
        "journeyStage is one of awareness, interest");
  CHECK(Explain("on WhatsApp, not in the purchase stage") ==
        "platform is whatsapp AND journeyStage is not purchase");
  // Without stage or phase a stage word is not a stage: "purchase" stays an order verb.
  CHECK(Explain("customers who did not purchase") == "ordersCount is 0");
}

TEST_CASE("needs a human is no contact field and stays unparsed", "[ai][segments]") {
  ParsedSegment p = Parse("tagged vip who need a human");
  CHECK(p.explanation == "tagged vip");
  CHECK(p.unparsed == std::vector<std::string>{"need a human"});
  CHECK_FALSE(ParseSegmentText("contacts that need a human", kToday).ok());
}

TEST_CASE("or between two clauses makes an OR group inside the AND", "[ai][segments]") {
  CHECK(Explain("tagged vip and spent more than 1000 or ordered more than 5 times") ==
        "tagged vip AND (totalSpent > 1000 OR ordersCount > 5)");
  CHECK(Explain("spent more than 1000 or tagged vip") == "totalSpent > 1000 OR tagged vip");
  CHECK(Explain("bought or wrote in the last 30 days") ==
        "lastOrderAt within the last 30 days OR lastMessageAt within the last 30 days");
}

TEST_CASE("French, Spanish, German and Portuguese sentences", "[ai][segments]") {
  CHECK(Explain("clients de Lyon ou Paris qui ont dépensé plus de 1 000 € et écrit dans les 30 "
                "derniers jours, tagués vip") ==
        "city is one of Lyon, Paris AND totalSpent > 1000 AND lastMessageAt within the last 30 "
        "days AND tagged vip");
  CHECK(Explain("clientes de Madrid que han gastado más de 500 en WhatsApp") ==
        "city is Madrid AND totalSpent > 500 AND platform is whatsapp");
  CHECK(Explain("Kunden aus Berlin, die in den letzten 14 Tagen geschrieben haben") ==
        "city is Berlin AND lastMessageAt within the last 14 days");
  CHECK(Explain("Kunden die mehr als 1000 Euro ausgegeben haben") == "totalSpent > 1000");
  CHECK(Explain("clientes de Lisboa que nunca compraram") == "city is Lisboa AND ordersCount is 0");
  CHECK(Explain("clients qui n'ont jamais acheté") == "ordersCount is 0");
}

TEST_CASE("except and excluding negate what follows, across 'those who'", "[ai][segments]") {
  CHECK(Explain("all contacts except lost ones") == "status is not closed");
  CHECK(Explain("tagged vip, excluding those who opted out") == "tagged vip AND optedOut is false");
  CHECK(Explain("customers whose email is missing") == "email is not set");
}

TEST_CASE("ranges of numbers and of dates", "[ai][segments]") {
  CHECK(Explain("those who spent 1000-5000") == "totalSpent >= 1000 AND totalSpent <= 5000");
  CHECK(Explain("contacts created between 2025-01-01 and 2025-06-30") ==
        "createdAt after 2024-12-31 AND createdAt before 2025-07-01");
  // A month without a year is its latest occurrence by today (2026-11-21): this January.
  CHECK(Explain("customers who ordered in January") ==
        "lastOrderAt after 2025-12-31 AND lastOrderAt before 2026-02-01");
  CHECK(Explain("customers who ordered in January", "2026-01-10") ==
        "lastOrderAt after 2025-12-31 AND lastOrderAt before 2026-02-01");
  CHECK(Explain("customers who ordered in March", "2026-01-10") ==
        "lastOrderAt after 2025-02-28 AND lastOrderAt before 2025-04-01");
}

TEST_CASE("a time that belongs to no field is left unparsed with its preposition",
          "[ai][segments]") {
  ParsedSegment p = Parse("customers who spent more than 500 euros in the last 3 months");
  CHECK(p.explanation == "totalSpent > 500");
  CHECK(p.unparsed == std::vector<std::string>{"in the last 3 months"});
}

TEST_CASE("what is not understood comes back as written", "[ai][segments]") {
  ParsedSegment p = Parse("vip customers from Lyon who like blue lamps, on WhatsApp");
  CHECK(p.explanation == "city is Lyon AND platform is whatsapp");
  CHECK(p.unparsed == std::vector<std::string>{"vip", "like blue lamps"});
}

TEST_CASE("text with no condition at all is refused naming text", "[ai][segments]") {
  auto r = ParseSegmentText("the people I like best", kToday);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(r.status().violations().at(0).field == "text");
  CHECK_FALSE(ParseSegmentText("   ", kToday).ok());
  CHECK_FALSE(ParseSegmentText(std::string(2001, 'a'), kToday).ok());
}

TEST_CASE("a long list of tags stays a valid tree", "[ai][segments]") {
  std::string text = "tagged t0";
  for (int i = 1; i < 150; ++i) {
    text += " or t" + std::to_string(i);
  }
  ParsedSegment p = Parse(text);
  CHECK(p.rule.conditions_size() == 1);
}

TEST_CASE("a tree keeps at most the catalogue's number of conditions", "[ai][segments]") {
  // Each ", tagged tN" is one more condition of the root.
  std::string text = "tagged t0";
  for (int i = 1; i < segments::kMaxConditions + 10; ++i) {
    text += ", tagged t" + std::to_string(i);
  }
  REQUIRE(text.size() <= kMaxSegmentTextChars);
  ParsedSegment p = Parse(text);
  CHECK(p.rule.conditions_size() == segments::kMaxConditions);
  CHECK(p.rule.conditions(segments::kMaxConditions - 1).value().string_value() ==
        "t" + std::to_string(segments::kMaxConditions - 1));
  REQUIRE(p.unparsed.size() == 1);
  CHECK(p.unparsed.front() == "(more than " + std::to_string(segments::kMaxConditions) +
                                  " conditions: the rest was left out)");
}

TEST_CASE("the same text always parses to the same tree", "[ai][segments]") {
  std::string text = "qualified leads from Lyon on WhatsApp who bought in the last 90 days";
  CHECK(Json(Parse(text).rule) == Json(Parse(text).rule));
}

TEST_CASE("the LLM call carries the catalogue, today and the delimited text", "[ai][segments]") {
  LlmCall call = SegmentRulesCall("customers from Lyon", kToday);
  CHECK(call.job == "segment_rules");
  CHECK(call.system.find("lastMessageAt (time): exists before after within_last_days") !=
        std::string::npos);
  CHECK(call.system.find(kToday) != std::string::npos);
  CHECK(call.user.find("<<<\ncustomers from Lyon\n>>>") != std::string::npos);
  CHECK(call.schema.at("required").as_array().size() == 3);
  CHECK(call.system.find("\"conditions\"") != std::string::npos);
  const auto& group = call.schema.at("$defs").at("group_node").at("properties").as_object();
  CHECK(group.contains("op"));
  CHECK(group.contains("not"));
  CHECK(group.contains("conditions"));
  const auto& condition = call.schema.at("$defs").at("condition_node").at("properties").as_object();
  CHECK(condition.contains("field"));
  CHECK(condition.contains("operator"));
  CHECK(condition.contains("value"));
}

TEST_CASE("the validator accepts a valid tree and refuses a broken one", "[ai][segments]") {
  auto validator = SegmentRulesValidator();
  auto good = boost::json::parse(R"({"rules":{"op":"and","not":false,"conditions":[
      {"field":"city","operator":"in","value":["Lyon","Paris"]},
      {"op":"or","not":true,"conditions":[{"field":"status","operator":"eq","value":"closed"},
        {"field":"journeyStage","operator":"eq","value":"retention"}]}]},
      "explanation":"x","unparsed":["vip"]})")
                  .as_object();
  CHECK(validator(good).ok());
  auto parsed = ParsedSegmentFromOutput(good);
  REQUIRE(parsed.ok());
  CHECK(parsed->explanation == segments::ExplainSegmentRule(parsed->rule));
  CHECK(parsed->explanation.find("city is one of Lyon, Paris") == 0);
  CHECK(parsed->unparsed == std::vector<std::string>{"vip"});
  CHECK(Json(parsed->rule) ==
        R"({"op":"and","conditions":[{"field":"city","operator":"in","value":["Lyon","Paris"]},)"
        R"({"op":"or","not":true,"conditions":[)"
        R"({"field":"status","operator":"eq","value":"closed"},)"
        R"({"field":"journeyStage","operator":"eq","value":"retention"}]}]})");

  auto refused = [&](const char* rules) {
    auto output = boost::json::parse(std::string(R"({"rules":)") + rules +
                                     R"(,"explanation":"","unparsed":[]})")
                      .as_object();
    INFO(rules);
    CHECK(validator(output).message().rfind("invalid_output", 0) == 0);
    CHECK_FALSE(ParsedSegmentFromOutput(output).ok());
  };
  // An unknown field, a list where conditions go, the old {group: {rules}} shape, a condition
  // at the root, a status value of the old catalogue.
  refused(R"({"op":"and","conditions":[{"field":"shoeSize","operator":"eq","value":42}]})");
  refused(R"({"op":"and","conditions":"all"})");
  refused(R"({"group":{"op":"and","rules":[{"condition":{"field":"city","operator":"eq",)"
          R"("value":"Lyon"}}]}})");
  refused(R"({"field":"city","operator":"eq","value":"Lyon"})");
  refused(
      R"({"op":"and","conditions":[{"field":"status","operator":"eq","value":"ready_to_buy"}]})");
}

}  // namespace
}  // namespace salesos::ai
