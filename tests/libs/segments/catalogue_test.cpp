// The contact field catalogue: operators per type, validation of rule trees (each problem named
// by its path) and the one-line explanation.

#include "salesos/segments/catalogue.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

namespace salesos::segments {
namespace {

using common::v1::SegmentRule;

SegmentRule FromJson(const std::string& json) {
  SegmentRule rule;
  auto status = google::protobuf::util::JsonStringToMessage(json, &rule);
  INFO(json);
  REQUIRE(status.ok());
  return rule;
}

std::vector<std::string> Fields(const Status& s) {
  std::vector<std::string> out;
  for (const auto& v : s.violations()) {
    out.push_back(v.field);
  }
  return out;
}

std::string Condition(const std::string& field, const std::string& op, const std::string& value) {
  return R"({"condition":{"field":")" + field + R"(","operator":")" + op + R"(","value":)" + value +
         "}}";
}

std::string Group(const std::string& op, const std::vector<std::string>& rules) {
  std::string out = R"({"group":{"op":")" + op + R"(","rules":[)";
  for (size_t i = 0; i < rules.size(); ++i) {
    out += (i ? "," : "") + rules[i];
  }
  return out + "]}}";
}

const std::string kIssueExample = Group(
    "and", {Condition("city", "in", R"(["Lyon","Paris"])"), Condition("totalSpent", "gt", "1000"),
            Condition("lastMessageAt", "within_last_days", "30"),
            Condition("tags", "contains", R"("vip")")});

TEST_CASE("the issue's example tree validates and explains in one line", "[segments]") {
  SegmentRule rule = FromJson(kIssueExample);
  Status s = ValidateSegmentRule(rule, "rules");
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(ExplainSegmentRule(rule) ==
        "city is one of Lyon, Paris AND totalSpent > 1000 AND lastMessageAt within the last 30 "
        "days AND tagged vip");
}

TEST_CASE("nested groups are parenthesised in the explanation", "[segments]") {
  SegmentRule rule = FromJson(
      Group("and", {Condition("status", "eq", R"("qualified")"),
                    Group("or", {Condition("platform", "eq", R"("whatsapp")"),
                                 Condition("leadScore", "gte", "70")}),
                    Condition("optedOut", "eq", "false"), Condition("email", "exists", "true")}));
  REQUIRE(ValidateSegmentRule(rule, "rules").ok());
  CHECK(ExplainSegmentRule(rule) ==
        "status is qualified AND (platform is whatsapp OR leadScore >= 70) AND optedOut is false "
        "AND email is set");
}

TEST_CASE("an unknown operator is named by its path", "[segments]") {
  SegmentRule rule = FromJson(
      Group("and", {Condition("city", "eq", R"("Lyon")"), Condition("city", "like", R"("Ly")")}));
  Status s = ValidateSegmentRule(rule, "rules");
  REQUIRE(s.code() == Code::kInvalidArgument);
  CHECK(Fields(s) == std::vector<std::string>{"rules.group.rules[1].condition.operator"});
}

TEST_CASE("an operator the field's type does not take is refused", "[segments]") {
  Status s = ValidateSegmentRule(FromJson(Condition("tags", "gt", "3")), "rules");
  REQUIRE_FALSE(s.ok());
  CHECK(Fields(s) == std::vector<std::string>{"rules.condition.operator"});
  CHECK_FALSE(
      ValidateSegmentRule(FromJson(Condition("lastMessageAt", "eq", R"("2026-01-01")")), "r").ok());
  CHECK_FALSE(ValidateSegmentRule(FromJson(Condition("optedOut", "gt", "1")), "r").ok());
}

TEST_CASE("an unknown field is refused and custom fields need a sane key", "[segments]") {
  CHECK(Fields(ValidateSegmentRule(FromJson(Condition("shoeSize", "eq", "42")), "rules")) ==
        std::vector<std::string>{"rules.condition.field"});
  CHECK(ValidateSegmentRule(FromJson(Condition("customFields.shoe_size", "eq", R"("42")")), "r")
            .ok());
  CHECK_FALSE(ValidateSegmentRule(FromJson(Condition("customFields.", "eq", R"("42")")), "r").ok());
  CHECK_FALSE(
      ValidateSegmentRule(FromJson(Condition("customFields.a b", "eq", R"("42")")), "r").ok());
}

TEST_CASE("values of the wrong kind are refused with the value's path", "[segments]") {
  CHECK(Fields(ValidateSegmentRule(FromJson(Condition("totalSpent", "gt", R"("1000")")),
                                   "rules")) == std::vector<std::string>{"rules.condition.value"});
  CHECK(Fields(ValidateSegmentRule(FromJson(Condition("city", "in", R"(["Lyon", 3])")), "rules")) ==
        std::vector<std::string>{"rules.condition.value[1]"});
  CHECK_FALSE(ValidateSegmentRule(FromJson(Condition("city", "in", R"("Lyon")")), "r").ok());
  CHECK_FALSE(ValidateSegmentRule(FromJson(Condition("city", "in", "[]")), "r").ok());
  CHECK_FALSE(ValidateSegmentRule(FromJson(Condition("email", "exists", R"("yes")")), "r").ok());
  CHECK_FALSE(ValidateSegmentRule(FromJson(Condition("city", "eq", R"("  ")")), "r").ok());
}

TEST_CASE("enum fields take only their catalogue values", "[segments]") {
  CHECK(
      ValidateSegmentRule(FromJson(Condition("platform", "in", R"(["whatsapp","instagram"])")), "r")
          .ok());
  CHECK_FALSE(
      ValidateSegmentRule(FromJson(Condition("platform", "eq", R"("telegram")")), "r").ok());
  CHECK_FALSE(ValidateSegmentRule(FromJson(Condition("status", "eq", R"("vip")")), "r").ok());
}

TEST_CASE("language and country take ISO codes", "[segments]") {
  CHECK(ValidateSegmentRule(FromJson(Condition("language", "eq", R"("fr")")), "r").ok());
  CHECK_FALSE(ValidateSegmentRule(FromJson(Condition("language", "eq", R"("French")")), "r").ok());
  CHECK(ValidateSegmentRule(FromJson(Condition("country", "in", R"(["FR","ES"])")), "r").ok());
  CHECK_FALSE(ValidateSegmentRule(FromJson(Condition("country", "eq", R"("France")")), "r").ok());
}

TEST_CASE("time operators take dates, times and whole days", "[segments]") {
  CHECK(
      ValidateSegmentRule(FromJson(Condition("createdAt", "before", R"("2026-02-28")")), "r").ok());
  CHECK(ValidateSegmentRule(
            FromJson(Condition("createdAt", "after", R"("2026-02-28T10:00:00.5+01:00")")), "r")
            .ok());
  CHECK_FALSE(
      ValidateSegmentRule(FromJson(Condition("createdAt", "before", R"("2026-02-30")")), "r").ok());
  CHECK_FALSE(
      ValidateSegmentRule(FromJson(Condition("createdAt", "after", R"("yesterday")")), "r").ok());
  CHECK_FALSE(
      ValidateSegmentRule(FromJson(Condition("lastMessageAt", "within_last_days", "2.5")), "r")
          .ok());
  CHECK_FALSE(
      ValidateSegmentRule(FromJson(Condition("lastMessageAt", "within_last_days", "0")), "r").ok());
}

TEST_CASE("empty groups and ops other than and/or are refused", "[segments]") {
  Status s = ValidateSegmentRule(FromJson(R"({"group":{"op":"xor","rules":[]}})"), "rules");
  CHECK(Fields(s) == std::vector<std::string>{"rules.group.op", "rules.group.rules"});
  CHECK(Fields(ValidateSegmentRule(SegmentRule(), "rules")) == std::vector<std::string>{"rules"});
}

TEST_CASE("a group of more than 50 rules is refused, 50 is fine", "[segments]") {
  std::vector<std::string> rules(50, Condition("leadScore", "gt", "1"));
  CHECK(ValidateSegmentRule(FromJson(Group("or", rules)), "rules").ok());
  rules.push_back(Condition("leadScore", "gt", "1"));
  CHECK(Fields(ValidateSegmentRule(FromJson(Group("or", rules)), "rules")) ==
        std::vector<std::string>{"rules.group.rules"});
}

TEST_CASE("groups nested more than 5 deep are refused, 5 is fine", "[segments]") {
  std::string tree = Condition("leadScore", "gt", "1");
  for (int i = 0; i < 5; ++i) {
    tree = Group("and", {tree});
  }
  CHECK(ValidateSegmentRule(FromJson(tree), "rules").ok());
  tree = Group("and", {tree});
  Status s = ValidateSegmentRule(FromJson(tree), "rules");
  REQUIRE_FALSE(s.ok());
  CHECK(s.violations().front().field ==
        "rules.group.rules[0].group.rules[0].group.rules[0].group.rules[0].group.rules[0].group");
}

TEST_CASE("every problem of a tree is reported, not only the first", "[segments]") {
  Status s = ValidateSegmentRule(
      FromJson(Group("and", {Condition("city", "gt", "1"), Condition("nope", "eq", "1"),
                             Condition("tags", "contains", "7")})),
      "rules");
  CHECK(Fields(s) == std::vector<std::string>{"rules.group.rules[0].condition.operator",
                                              "rules.group.rules[1].condition.field",
                                              "rules.group.rules[2].condition.value"});
}

TEST_CASE("the catalogue info lists every field with its type's operators", "[segments]") {
  auto info = CatalogueInfo();
  REQUIRE(info.size() == ContactFields().size());
  auto find = [&](const std::string& name) {
    auto it =
        std::find_if(info.begin(), info.end(), [&](const auto& f) { return f.name() == name; });
    REQUIRE(it != info.end());
    return *it;
  };
  auto platform = find("platform");
  CHECK(platform.type() == "enum");
  CHECK(std::vector<std::string>(platform.values().begin(), platform.values().end()) ==
        std::vector<std::string>{"facebook", "instagram", "whatsapp"});
  auto time = find("lastMessageAt");
  CHECK(std::vector<std::string>(time.operators().begin(), time.operators().end()) ==
        std::vector<std::string>{"exists", "before", "after", "within_last_days"});
  CHECK(find("tags").type() == "tags");
  CHECK(find("customFields.<key>").type() == "string");
  for (const auto& f : info) {
    CHECK_FALSE(f.description().empty());
  }
}

TEST_CASE("dates convert to day numbers and back, with weekdays", "[segments][dates]") {
  CHECK(DaysFromDate("1970-01-01") == 0);
  CHECK(DaysFromDate("2000-03-01") == 11017);
  CHECK(DateFromDays(*DaysFromDate("2024-02-29") + 1) == "2024-03-01");
  CHECK(DateFromDays(*DaysFromDate("2026-12-31") + 1) == "2027-01-01");
  CHECK_FALSE(DaysFromDate("2025-02-29").has_value());
  CHECK(Weekday(*DaysFromDate("2026-11-21")) == 5);  // a Saturday
  CHECK(Weekday(*DaysFromDate("1969-12-29")) == 0);  // a Monday, before the epoch
}

TEST_CASE("a date-only bound covers the whole day, a time is an instant", "[segments][dates]") {
  int64_t day = *DaysFromDate("2026-03-01") * 86400;
  CHECK(BeforeBoundSeconds("2026-03-01") == day);
  CHECK(AfterBoundSeconds("2026-03-01") == day + 86400);
  CHECK(AfterBoundSeconds("2026-03-01T10:00:00Z") == day + 36000);
  CHECK(BeforeBoundSeconds("2026-03-01T10:00:00+02:00") == day + 28800);
  CHECK_FALSE(BeforeBoundSeconds("2026-03-01 10:00").has_value());
}

}  // namespace
}  // namespace salesos::segments
