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
  return R"({"field":")" + field + R"(","operator":")" + op + R"(","value":)" + value + "}";
}

std::string Group(const std::string& op, const std::vector<std::string>& rules,
                  bool negated = false) {
  std::string out =
      R"({"op":")" + op + R"(",)" + (negated ? R"("not":true,)" : "") + R"("conditions":[)";
  for (size_t i = 0; i < rules.size(); ++i) {
    out += (i ? "," : "") + rules[i];
  }
  return out + "]}";
}

// A one-condition tree (the root is a group).
SegmentRule One(const std::string& field, const std::string& op, const std::string& value) {
  return FromJson(Group("and", {Condition(field, op, value)}));
}

Status Check(const std::string& field, const std::string& op, const std::string& value,
             const CustomFieldDecls* custom = nullptr) {
  return ValidateSegmentRule(One(field, op, value), "rules", custom);
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

TEST_CASE("not negates a group or a condition and explains as NOT", "[segments]") {
  SegmentRule rule = FromJson(Group(
      "and",
      {Condition("city", "eq", R"("Lyon")"),
       Group("or", {Condition("tags", "contains", R"("vip")"), Condition("leadScore", "gt", "50")},
             /*negated=*/true),
       R"({"field":"optedOut","operator":"eq","value":true,"not":true})"}));
  Status s = ValidateSegmentRule(rule, "rules");
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(ExplainSegmentRule(rule) ==
        "city is Lyon AND NOT (tagged vip OR leadScore > 50) AND NOT (optedOut is true)");
  SegmentRule root = FromJson(Group("or", {Condition("city", "eq", R"("Lyon")")}, true));
  CHECK(ExplainSegmentRule(root) == "NOT (city is Lyon)");
}

TEST_CASE("a node is a group or a condition, never both or neither", "[segments]") {
  Status both = ValidateSegmentRule(
      FromJson(Group("and", {R"({"op":"and","field":"city","operator":"eq","value":"Lyon"})"})),
      "rules");
  CHECK(Fields(both) == std::vector<std::string>{"rules.conditions[0]"});
  Status neither = ValidateSegmentRule(FromJson(Group("and", {R"({"not":true})"})), "rules");
  CHECK(Fields(neither) == std::vector<std::string>{"rules.conditions[0]"});
  // The root is a group.
  Status root = ValidateSegmentRule(FromJson(Condition("city", "eq", R"("Lyon")")), "rules");
  CHECK(Fields(root) == std::vector<std::string>{"rules"});
  CHECK(Fields(ValidateSegmentRule(SegmentRule(), "rules")) == std::vector<std::string>{"rules"});
}

TEST_CASE("an unknown operator is named by its path", "[segments]") {
  SegmentRule rule = FromJson(
      Group("and", {Condition("city", "eq", R"("Lyon")"), Condition("city", "like", R"("Ly")")}));
  Status s = ValidateSegmentRule(rule, "rules");
  REQUIRE(s.code() == Code::kInvalidArgument);
  CHECK(Fields(s) == std::vector<std::string>{"rules.conditions[1].operator"});
}

TEST_CASE("an operator the field's type does not take is refused", "[segments]") {
  Status s = Check("tags", "gt", "3");
  REQUIRE_FALSE(s.ok());
  CHECK(Fields(s) == std::vector<std::string>{"rules.conditions[0].operator"});
  CHECK_FALSE(Check("lastMessageAt", "eq", R"("2026-01-01")").ok());
  CHECK_FALSE(Check("optedOut", "gt", "1").ok());
  CHECK_FALSE(Check("platform", "contains", R"("whats")").ok());
}

TEST_CASE("an unknown field is refused and custom fields need a sane key", "[segments]") {
  CHECK(Fields(Check("shoeSize", "eq", "42")) ==
        std::vector<std::string>{"rules.conditions[0].field"});
  CHECK(Check("customFields.shoe_size", "eq", R"("42")").ok());
  CHECK_FALSE(Check("customFields.", "eq", R"("42")").ok());
  CHECK_FALSE(Check("customFields.a b", "eq", R"("42")").ok());
}

TEST_CASE("field names that look like SQL are unknown fields", "[segments][injection]") {
  for (std::string field : {"firstName; DROP TABLE contacts", "customFields.x' OR '1'='1",
                            "c.first_name", "first_name", "firstName--", "customFields.x;--"}) {
    INFO(field);
    CHECK(Fields(Check(field, "eq", R"("a")")) ==
          std::vector<std::string>{"rules.conditions[0].field"});
    CustomFieldDecls custom{{"x", {}}};
    CHECK(Fields(Check(field, "eq", R"("a")", &custom)) ==
          std::vector<std::string>{"rules.conditions[0].field"});
  }
}

TEST_CASE("with declarations a custom field must be declared and takes its type's operators",
          "[segments][custom]") {
  CustomFieldDecls custom{{"size", {CustomFieldType::kString, {}}},
                          {"shoe", {CustomFieldType::kNumber, {}}},
                          {"birthday", {CustomFieldType::kDate, {}}},
                          {"vip", {CustomFieldType::kBoolean, {}}},
                          {"tier", {CustomFieldType::kEnum, {"gold", "silver"}}}};
  Status unknown = Check("customFields.color", "eq", R"("red")", &custom);
  CHECK(Fields(unknown) == std::vector<std::string>{"rules.conditions[0].field"});
  CHECK(unknown.violations().front().description ==
        "unknown custom field \"color\"; declare it at /api/v1/contact-fields");
  // Without declarations (the AI writing a tree) any well-formed key is a string field.
  CHECK(Check("customFields.color", "eq", R"("red")").ok());
  CHECK_FALSE(Check("customFields.color", "gt", "3").ok());

  CHECK(Check("customFields.size", "contains", R"("X")", &custom).ok());
  CHECK_FALSE(Check("customFields.size", "gt", "3", &custom).ok());
  CHECK(Check("customFields.shoe", "gte", "42.5", &custom).ok());
  CHECK(Check("customFields.shoe", "in", "[41, 42]", &custom).ok());
  CHECK(Fields(Check("customFields.shoe", "eq", R"("42")", &custom)) ==
        std::vector<std::string>{"rules.conditions[0].value"});
  CHECK_FALSE(Check("customFields.shoe", "contains", R"("4")", &custom).ok());
  CHECK(Check("customFields.birthday", "before", R"("2000-01-01")", &custom).ok());
  CHECK(Check("customFields.birthday", "after", R"("2000-01-01T10:00:00Z")", &custom).ok());
  CHECK(Check("customFields.birthday", "within_last_days", "7", &custom).ok());
  CHECK(Check("customFields.birthday", "exists", "true", &custom).ok());
  CHECK_FALSE(Check("customFields.birthday", "eq", R"("2000-01-01")", &custom).ok());
  CHECK_FALSE(Check("customFields.birthday", "before", R"("soon")", &custom).ok());
  CHECK(Check("customFields.vip", "eq", "true", &custom).ok());
  CHECK_FALSE(Check("customFields.vip", "eq", R"("yes")", &custom).ok());
  CHECK(Check("customFields.tier", "in", R"(["gold","silver"])", &custom).ok());
  CHECK(Fields(Check("customFields.tier", "in", R"(["gold","platinum"])", &custom)) ==
        std::vector<std::string>{"rules.conditions[0].value[1]"});
  CHECK_FALSE(Check("customFields.tier", "contains", R"("go")", &custom).ok());
}

TEST_CASE("values of the wrong kind are refused with the value's path", "[segments]") {
  CHECK(Fields(Check("totalSpent", "gt", R"("1000")")) ==
        std::vector<std::string>{"rules.conditions[0].value"});
  SegmentRule nested = FromJson(
      Group("and", {Condition("city", "eq", R"("Lyon")"), Condition("city", "eq", R"("Lyon")"),
                    Group("or", {Condition("city", "eq", R"("Lyon")"),
                                 Condition("city", "in", R"(["Lyon", 3])")})}));
  CHECK(Fields(ValidateSegmentRule(nested, "rules")) ==
        std::vector<std::string>{"rules.conditions[2].conditions[1].value[1]"});
  CHECK_FALSE(Check("city", "in", R"("Lyon")").ok());
  CHECK_FALSE(Check("city", "in", "[]").ok());
  CHECK_FALSE(Check("email", "exists", R"("yes")").ok());
  CHECK_FALSE(Check("email", "exists", "null").ok());
  CHECK_FALSE(Check("city", "eq", R"("  ")").ok());
  CHECK_FALSE(Check("leadScore", "eq", "true").ok());
}

TEST_CASE("enum fields take only their catalogue values", "[segments]") {
  CHECK(Check("platform", "in", R"(["whatsapp","instagram"])").ok());
  CHECK_FALSE(Check("platform", "eq", R"("telegram")").ok());
  CHECK_FALSE(Check("status", "eq", R"("vip")").ok());
  CHECK(Check("status", "eq", R"("archived")").ok());
  CHECK(Check("source", "in", R"(["chat","import"])").ok());
  CHECK_FALSE(Check("source", "eq", R"("Chat")").ok());
  CHECK(Check("journeyStage", "ne", R"("retention")").ok());
  CHECK_FALSE(Check("journeyStage", "eq", R"("loyal")").ok());
}

TEST_CASE("language and country take ISO codes", "[segments]") {
  CHECK(Check("language", "eq", R"("fr")").ok());
  CHECK_FALSE(Check("language", "eq", R"("French")").ok());
  CHECK(Check("country", "in", R"(["FR","ES"])").ok());
  CHECK_FALSE(Check("country", "eq", R"("France")").ok());
}

TEST_CASE("time operators take dates, times and whole days", "[segments]") {
  CHECK(Check("createdAt", "before", R"("2026-02-28")").ok());
  CHECK(Check("createdAt", "after", R"("2026-02-28T10:00:00.5+01:00")").ok());
  CHECK(Check("lastVisit", "within_last_days", "7").ok());
  CHECK_FALSE(Check("createdAt", "before", R"("2026-02-30")").ok());
  CHECK_FALSE(Check("createdAt", "after", R"("yesterday")").ok());
  CHECK_FALSE(Check("lastMessageAt", "within_last_days", "2.5").ok());
  CHECK_FALSE(Check("lastMessageAt", "within_last_days", "0").ok());
}

TEST_CASE("empty groups and ops other than and/or are refused", "[segments]") {
  Status s =
      ValidateSegmentRule(FromJson(Group("and", {R"({"op":"xor","conditions":[]})"})), "rules");
  CHECK(Fields(s) ==
        std::vector<std::string>{"rules.conditions[0].op", "rules.conditions[0].conditions"});
  s = ValidateSegmentRule(FromJson(R"({"op":"xor"})"), "rules");
  CHECK(Fields(s) == std::vector<std::string>{"rules.op", "rules.conditions"});
}

TEST_CASE("a tree of more than 100 conditions is refused, 100 is fine", "[segments]") {
  // 100 conditions spread over nested groups: no per-group limit, one for the whole tree.
  std::vector<std::string> fifty(50, Condition("leadScore", "gt", "1"));
  std::string tree = Group("or", {Group("and", fifty), Group("and", fifty)});
  CHECK(ValidateSegmentRule(FromJson(tree), "rules").ok());
  std::vector<std::string> hundred(100, Condition("leadScore", "gt", "1"));
  CHECK(ValidateSegmentRule(FromJson(Group("or", hundred)), "rules").ok());
  tree = Group("or", {Group("and", fifty), Group("and", fifty), Condition("city", "eq", R"("a")")});
  Status s = ValidateSegmentRule(FromJson(tree), "rules");
  CHECK(Fields(s) == std::vector<std::string>{"rules"});
  CHECK(s.violations().front().description == "a tree holds at most 100 conditions, not 101");
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
  CHECK(Fields(s) ==
        std::vector<std::string>{
            "rules.conditions[0].conditions[0].conditions[0].conditions[0].conditions[0]"});
}

TEST_CASE("every problem of a tree is reported, not only the first", "[segments]") {
  Status s = ValidateSegmentRule(
      FromJson(Group("and", {Condition("city", "gt", "1"), Condition("nope", "eq", "1"),
                             Group("or", {Condition("tags", "contains", "7")})})),
      "rules");
  CHECK(Fields(s) == std::vector<std::string>{"rules.conditions[0].operator",
                                              "rules.conditions[1].field",
                                              "rules.conditions[2].conditions[0].value"});
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
  auto status = find("status");
  CHECK(std::vector<std::string>(status.values().begin(), status.values().end()) ==
        std::vector<std::string>{"active", "qualified", "converted", "closed", "archived"});
  for (const auto& name :
       {"title", "accountId", "ownerId", "source", "journeyStage", "visitCount", "lastVisit"}) {
    find(name);
  }
  for (const auto& f : info) {
    CHECK_FALSE(f.description().empty());
  }
}

TEST_CASE("a workspace's catalogue lists its declared custom fields with their types",
          "[segments][custom]") {
  CustomFieldDecls custom{{"birthday", {CustomFieldType::kDate, {}}},
                          {"tier", {CustomFieldType::kEnum, {"gold", "silver"}}}};
  auto info = CatalogueInfo(custom);
  REQUIRE(info.size() == ContactFields().size() + 1);
  CHECK(info[info.size() - 2].name() == "customFields.birthday");
  CHECK(info[info.size() - 2].type() == "time");
  CHECK(info.back().name() == "customFields.tier");
  CHECK(info.back().type() == "enum");
  CHECK(std::vector<std::string>(info.back().values().begin(), info.back().values().end()) ==
        std::vector<std::string>{"gold", "silver"});
  CHECK(std::none_of(info.begin(), info.end(),
                     [](const auto& f) { return f.name() == "customFields.<key>"; }));
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

TEST_CASE("millisecond bounds are strict at any precision of the value", "[segments][dates]") {
  int64_t day_ms = *DaysFromDate("2026-03-01") * 86400000;
  CHECK(BeforeBoundMs("2026-03-01") == day_ms);
  CHECK(AfterBoundMs("2026-03-01") == day_ms + 86400000);
  CHECK(BeforeBoundMs("2026-03-01T10:00:00Z") == day_ms + 36000000);
  CHECK(AfterBoundMs("2026-03-01T10:00:00Z") == day_ms + 36000001);
  CHECK(BeforeBoundMs("2026-03-01T10:00:00.5Z") == day_ms + 36000500);
  CHECK(AfterBoundMs("2026-03-01T10:00:00.5Z") == day_ms + 36000501);
  // Finer than a millisecond: before rounds up, after starts at the next whole millisecond.
  CHECK(BeforeBoundMs("2026-03-01T10:00:00.5004Z") == day_ms + 36000501);
  CHECK(AfterBoundMs("2026-03-01T10:00:00.5004Z") == day_ms + 36000501);
  CHECK(BeforeBoundMs("2026-03-01T10:00:00.500000Z") == day_ms + 36000500);
  CHECK(BeforeBoundMs("2026-03-01T12:00:00.25+02:00") == day_ms + 36000250);
  CHECK(BeforeBoundMs("1969-12-31T23:59:59.5Z") == -500);
  CHECK(AfterBoundMs("1969-12-31T23:59:59.5Z") == -499);
  CHECK_FALSE(AfterBoundMs("2026-03-01T10:00").has_value());
}

}  // namespace
}  // namespace salesos::segments
