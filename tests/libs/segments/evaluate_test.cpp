// The segment semantics by example, on the in-memory evaluator (the property test holds the SQL
// to the same answers): what a missing value, case, a day boundary or `not` mean.

#include "salesos/segments/evaluate.h"

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <string>

#include "salesos/segments/catalogue.h"

namespace salesos::segments {
namespace {

using common::v1::SegmentRule;

constexpr int64_t kDayMs = 86'400'000;
// 2026-03-09T13:37:21.123Z
constexpr int64_t kNowMs = 1'773'063'441'123;

const CustomFieldDecls kCustom{{"size", {CustomFieldType::kString, {}}},
                               {"shoe", {CustomFieldType::kNumber, {}}},
                               {"birthday", {CustomFieldType::kDate, {}}},
                               {"vip", {CustomFieldType::kBoolean, {}}},
                               {"tier", {CustomFieldType::kEnum, {"gold", "silver"}}}};

// Whether `contact` matches the one-condition tree {field, op, value} (value as JSON).
bool Matches(const ContactFacts& contact, const std::string& field, const std::string& op,
             const std::string& value) {
  std::string json = R"({"op":"and","conditions":[{"field":")" + field + R"(","operator":")" + op +
                     R"(","value":)" + value + "}]}";
  SegmentRule rule;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &rule).ok());
  Status valid = ValidateSegmentRule(rule, "rules", &kCustom);
  INFO(json << " " << valid.ToString());
  REQUIRE(valid.ok());
  return MatchesSegmentRule(rule, contact, kCustom, kNowMs);
}

TEST_CASE("strings compare ignoring ASCII case only and a missing value matches ne",
          "[segments][evaluate]") {
  ContactFacts emile;
  emile.first_name = "Émile";
  emile.city = "LYON";
  ContactFacts nobody;
  CHECK(Matches(emile, "city", "eq", R"("lyon")"));
  CHECK(Matches(emile, "city", "in", R"(["Paris","lYoN"])"));
  CHECK_FALSE(Matches(emile, "firstName", "eq", R"("émile")"));  // É is not ASCII
  CHECK(Matches(emile, "firstName", "eq", R"("ÉMILE")"));
  CHECK(Matches(emile, "firstName", "contains", R"("MIL")"));
  CHECK_FALSE(Matches(emile, "city", "ne", R"("Lyon")"));
  CHECK(Matches(nobody, "city", "ne", R"("Lyon")"));
  CHECK(Matches(nobody, "city", "not_in", R"(["Lyon"])"));
  CHECK(Matches(nobody, "city", "not_contains", R"("y")"));
  CHECK_FALSE(Matches(nobody, "city", "exists", "true"));
  CHECK(Matches(nobody, "city", "exists", "false"));
  CHECK(Matches(emile, "city", "exists", "true"));
}

TEST_CASE("platform means reachable there", "[segments][evaluate]") {
  ContactFacts both;
  both.on_whatsapp = true;
  both.on_instagram = true;
  ContactFacts none;
  CHECK(Matches(both, "platform", "eq", R"("whatsapp")"));
  CHECK(Matches(both, "platform", "ne", R"("facebook")"));
  CHECK_FALSE(Matches(both, "platform", "ne", R"("instagram")"));
  CHECK(Matches(both, "platform", "in", R"(["facebook","instagram"])"));
  CHECK_FALSE(Matches(both, "platform", "not_in", R"(["facebook","instagram"])"));
  CHECK(Matches(both, "platform", "exists", "true"));
  CHECK(Matches(none, "platform", "exists", "false"));
  CHECK(Matches(none, "platform", "not_in", R"(["facebook","instagram","whatsapp"])"));
}

TEST_CASE("enums compare exactly and status is unset before any conversation",
          "[segments][evaluate]") {
  ContactFacts c;
  c.source = "import";
  CHECK(Matches(c, "source", "eq", R"("import")"));
  CHECK(Matches(c, "status", "ne", R"("active")"));
  CHECK(Matches(c, "status", "exists", "false"));
  c.status = "archived";
  CHECK(Matches(c, "status", "in", R"(["closed","archived"])"));
  CHECK(Matches(c, "status", "exists", "true"));
}

TEST_CASE("numbers compare as doubles and always exist", "[segments][evaluate]") {
  ContactFacts c;
  c.total_spent = 0.1 + 0.2;
  c.lead_score = 70;
  CHECK_FALSE(Matches(c, "totalSpent", "eq", "0.3"));
  CHECK(Matches(c, "totalSpent", "gt", "0.3"));
  CHECK(Matches(c, "leadScore", "gte", "70"));
  CHECK_FALSE(Matches(c, "leadScore", "gt", "70"));
  CHECK(Matches(c, "leadScore", "not_in", "[69.5, 71]"));
  CHECK(Matches(c, "ordersCount", "exists", "true"));
  CHECK_FALSE(Matches(c, "ordersCount", "exists", "false"));
  CHECK(Matches(c, "optedOut", "eq", "false"));
  CHECK(Matches(c, "optedOut", "ne", "true"));
}

TEST_CASE("times: never matches no bound, a date covers its whole day", "[segments][evaluate]") {
  int64_t march1 = *DaysFromDate("2026-03-01") * kDayMs;
  ContactFacts c;
  CHECK_FALSE(Matches(c, "lastMessageAt", "before", R"("2100-01-01")"));
  CHECK_FALSE(Matches(c, "lastMessageAt", "after", R"("1900-01-01")"));
  CHECK_FALSE(Matches(c, "lastMessageAt", "within_last_days", "36500"));
  CHECK(Matches(c, "lastMessageAt", "exists", "false"));
  c.last_message_ms = march1 + kDayMs - 1;  // the last ms of March 1st
  CHECK_FALSE(Matches(c, "lastMessageAt", "after", R"("2026-03-01")"));
  CHECK_FALSE(Matches(c, "lastMessageAt", "before", R"("2026-03-01")"));
  CHECK(Matches(c, "lastMessageAt", "before", R"("2026-03-02")"));
  CHECK(Matches(c, "lastMessageAt", "after", R"("2026-02-28")"));
  c.last_message_ms = march1 + 36'000'500;  // 10:00:00.500Z
  CHECK(Matches(c, "lastMessageAt", "after", R"("2026-03-01T10:00:00.4999Z")"));
  CHECK_FALSE(Matches(c, "lastMessageAt", "after", R"("2026-03-01T10:00:00.5Z")"));
  CHECK(Matches(c, "lastMessageAt", "before", R"("2026-03-01T12:00:00.5001+02:00")"));
  CHECK_FALSE(Matches(c, "lastMessageAt", "before", R"("2026-03-01T10:00:00.500Z")"));
  c.last_message_ms = kNowMs - 7 * kDayMs;
  CHECK(Matches(c, "lastMessageAt", "within_last_days", "7"));
  c.last_message_ms -= 1;
  CHECK_FALSE(Matches(c, "lastMessageAt", "within_last_days", "7"));
}

TEST_CASE("tags match ignoring ASCII case", "[segments][evaluate]") {
  ContactFacts c;
  c.tags = {"vip", "b2b"};
  CHECK(Matches(c, "tags", "contains", R"("VIP")"));
  CHECK(Matches(c, "tags", "in", R"(["new","B2B"])"));
  CHECK(Matches(c, "tags", "not_in", R"(["new","old"])"));
  CHECK(Matches(c, "tags", "not_contains", R"("new")"));
  CHECK(Matches(c, "tags", "exists", "true"));
  CHECK(Matches(ContactFacts(), "tags", "exists", "false"));
}

TEST_CASE("custom fields compare only when they have a value, negations match without one",
          "[segments][evaluate][custom]") {
  ContactFacts with;
  with.custom["size"] = {"XL", 0};
  with.custom["shoe"] = {"", 42.5};
  with.custom["vip"] = {"", 1};
  with.custom["tier"] = {"gold", 0};
  ContactFacts without;
  CHECK(Matches(with, "customFields.size", "eq", R"("xl")"));
  CHECK_FALSE(Matches(without, "customFields.size", "eq", R"("xl")"));
  CHECK(Matches(without, "customFields.size", "ne", R"("xl")"));
  CHECK(Matches(with, "customFields.shoe", "gt", "42"));
  CHECK_FALSE(Matches(without, "customFields.shoe", "lt", "42"));
  CHECK(Matches(without, "customFields.shoe", "not_in", "[42]"));
  CHECK(Matches(with, "customFields.shoe", "exists", "true"));
  CHECK(Matches(without, "customFields.shoe", "exists", "false"));
  CHECK(Matches(with, "customFields.vip", "eq", "true"));
  CHECK_FALSE(Matches(without, "customFields.vip", "eq", "false"));
  CHECK(Matches(without, "customFields.vip", "ne", "true"));
  CHECK(Matches(with, "customFields.tier", "in", R"(["gold"])"));
  CHECK_FALSE(Matches(with, "customFields.tier", "eq", R"("silver")"));
}

TEST_CASE("custom dates compare at day precision", "[segments][evaluate][custom]") {
  int64_t today = kNowMs / kDayMs;  // 2026-03-09
  ContactFacts c;
  c.custom["birthday"] = {DateFromDays(today - 7), static_cast<double>((today - 7) * kDayMs)};
  // Within the last 7 days: on or after 2026-03-02, whatever the time of day now.
  CHECK(Matches(c, "customFields.birthday", "within_last_days", "7"));
  CHECK_FALSE(Matches(c, "customFields.birthday", "within_last_days", "6"));
  CHECK(Matches(c, "customFields.birthday", "before", R"("2026-03-03")"));
  CHECK_FALSE(Matches(c, "customFields.birthday", "before", R"("2026-03-02")"));
  CHECK(Matches(c, "customFields.birthday", "after", R"("2026-03-01")"));
  CHECK_FALSE(Matches(c, "customFields.birthday", "after", R"("2026-03-02")"));
  // A day at 1970-01-01 is a value, not "never".
  ContactFacts epoch;
  epoch.custom["birthday"] = {"1970-01-01", 0};
  CHECK(Matches(epoch, "customFields.birthday", "exists", "true"));
  CHECK(Matches(epoch, "customFields.birthday", "before", R"("1970-01-02")"));
}

TEST_CASE("groups combine with and, or and not", "[segments][evaluate]") {
  ContactFacts c;
  c.city = "Lyon";
  c.lead_score = 80;
  SegmentRule rule;
  REQUIRE(google::protobuf::util::JsonStringToMessage(
              R"({"op":"and","conditions":[
                   {"field":"city","operator":"eq","value":"lyon"},
                   {"op":"or","not":true,"conditions":[
                     {"field":"leadScore","operator":"lt","value":50},
                     {"field":"tags","operator":"contains","value":"spam"}]}]})",
              &rule)
              .ok());
  CHECK(MatchesSegmentRule(rule, c, kCustom, kNowMs));
  c.tags = {"spam"};
  CHECK_FALSE(MatchesSegmentRule(rule, c, kCustom, kNowMs));
  rule.set_not_(true);
  CHECK(MatchesSegmentRule(rule, c, kCustom, kNowMs));
  rule.mutable_conditions(0)->set_not_(true);  // a negated condition
  rule.set_not_(false);
  c.tags.clear();
  CHECK_FALSE(MatchesSegmentRule(rule, c, kCustom, kNowMs));
}

}  // namespace
}  // namespace salesos::segments
