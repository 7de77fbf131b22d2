// The rule compiler's text: values and custom keys only ever as parameters, placeholders numbered
// from the caller's first, PostgreSQL's parameters typed, invalid trees refused with the
// validator's violations. What the SQL selects is the property test's business.

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "salesos/segments/catalogue.h"
#include "salesos/segments/sql.h"

namespace salesos::segments {
namespace {

using common::v1::SegmentRule;

const CustomFieldDecls kCustom{{"zqsize", {CustomFieldType::kString, {}}},
                               {"zqshoe", {CustomFieldType::kNumber, {}}},
                               {"zqbirthday", {CustomFieldType::kDate, {}}},
                               {"zqvip", {CustomFieldType::kBoolean, {}}},
                               {"zqtier", {CustomFieldType::kEnum, {"zqgold"}}}};

SegmentRule FromJson(const std::string& json) {
  SegmentRule rule;
  INFO(json);
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &rule).ok());
  return rule;
}

// Every operator of every kind of field, with values that carry the marker "zq".
const char kEverything[] = R"({"op":"or","conditions":[
  {"field":"firstName","operator":"eq","value":"Zq'); DROP TABLE contacts; --"},
  {"field":"city","operator":"in","value":["zqA","zqB"]},
  {"field":"email","operator":"not_contains","value":"zq%_"},
  {"field":"phone","operator":"exists","value":true},
  {"field":"status","operator":"ne","value":"qualified"},
  {"field":"platform","operator":"in","value":["whatsapp","facebook"]},
  {"op":"and","not":true,"conditions":[
    {"field":"totalSpent","operator":"gte","value":12345.678},
    {"field":"leadScore","operator":"not_in","value":[98765, 4321]},
    {"field":"optedOut","operator":"eq","value":true},
    {"field":"lastMessageAt","operator":"within_last_days","value":30},
    {"field":"createdAt","operator":"before","value":"2026-03-01T10:00:00.5+02:00"},
    {"field":"lastVisit","operator":"after","value":"2026-03-01"},
    {"field":"tags","operator":"contains","value":"ZQvip"},
    {"field":"tags","operator":"not_in","value":["zqnew"]}]},
  {"field":"customFields.zqsize","operator":"contains","value":"zqM"},
  {"field":"customFields.zqshoe","operator":"lt","value":43.25},
  {"field":"customFields.zqbirthday","operator":"after","value":"2000-02-29"},
  {"field":"customFields.zqvip","operator":"ne","value":false},
  {"field":"customFields.zqtier","operator":"eq","value":"zqgold"},
  {"field":"customFields.zqtier","operator":"exists","value":false}]})";

// The parameters as "type:value" text, to compare and search them.
std::vector<std::string> Texts(const store::Params& params) {
  std::vector<std::string> out;
  for (const auto& p : params) {
    if (auto s = std::get_if<std::string>(&p)) {
      out.push_back("text:" + *s);
    } else if (auto d = std::get_if<double>(&p)) {
      out.push_back("double:" + std::to_string(*d));
    } else if (auto i = std::get_if<int64_t>(&p)) {
      out.push_back("int:" + std::to_string(*i));
    } else {
      out.push_back("other");
    }
  }
  return out;
}

bool HasText(const store::Params& params, const std::string& s) {
  auto texts = Texts(params);
  return std::find(texts.begin(), texts.end(), "text:" + s) != texts.end();
}

std::set<int> Placeholders(const std::string& sql) {
  std::set<int> out;
  std::regex re(R"(\$([0-9]+))");
  for (auto it = std::sregex_iterator(sql.begin(), sql.end(), re); it != std::sregex_iterator();
       ++it) {
    out.insert(std::stoi((*it)[1]));
  }
  return out;
}

TEST_CASE("no value and no custom key reaches the SQL text", "[segments][sql]") {
  for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
    auto compiled = CompileSegmentRule(FromJson(kEverything), kCustom, dialect, 1'000'000, 1);
    INFO(compiled.status().ToString());
    REQUIRE(compiled.ok());
    const std::string& where = compiled->where;
    INFO(where);
    for (const char* marker : {"zq", "Zq", "ZQ", "12345", "98765", "4321", "43.25", "2026", "2000",
                               "qualified", "DROP", "firstName", "customFields"}) {
      CHECK(where.find(marker) == std::string::npos);
    }
    // One parameter a placeholder, numbered from the first one on.
    std::set<int> expected;
    for (int i = 1; i <= static_cast<int>(compiled->params.size()); ++i) {
      expected.insert(i);
    }
    CHECK(Placeholders(where) == expected);
    // Values are folded (ASCII) in C++ for case-insensitive fields: tags and strings.
    CHECK(HasText(compiled->params, "zqvip"));
    CHECK(HasText(compiled->params, "zq'); drop table contacts; --"));
    CHECK(HasText(compiled->params, "zqsize"));  // the custom key, as a parameter
  }
}

TEST_CASE("placeholders start at the caller's first parameter", "[segments][sql]") {
  auto compiled = CompileSegmentRule(FromJson(kEverything), kCustom, SqlDialect::kSqlite, 0, 3);
  REQUIRE(compiled.ok());
  std::set<int> got = Placeholders(compiled->where);
  REQUIRE_FALSE(got.empty());
  CHECK(*got.begin() == 3);
  CHECK(*got.rbegin() == 2 + static_cast<int>(compiled->params.size()));
}

TEST_CASE("PostgreSQL parameters carry their type, SQLite's do not", "[segments][sql]") {
  auto pg = CompileSegmentRule(FromJson(kEverything), kCustom, SqlDialect::kPostgres, 0, 1);
  auto lite = CompileSegmentRule(FromJson(kEverything), kCustom, SqlDialect::kSqlite, 0, 1);
  REQUIRE(pg.ok());
  REQUIRE(lite.ok());
  std::regex untyped(R"(\$[0-9]+(?!::|[0-9]))");
  CHECK_FALSE(std::regex_search(pg->where, untyped));
  CHECK(pg->where.find("translate(") != std::string::npos);
  CHECK(lite->where.find("::") == std::string::npos);
  CHECK(lite->where.find("lower(") != std::string::npos);
  CHECK(Texts(pg->params) == Texts(lite->params));
}

TEST_CASE("an invalid tree is refused with the validator's violations", "[segments][sql]") {
  SegmentRule rule = FromJson(R"({"op":"and","conditions":[
      {"field":"customFields.unknown","operator":"eq","value":"a"},
      {"field":"leadScore","operator":"contains","value":"7"}]})");
  auto compiled = CompileSegmentRule(rule, kCustom, SqlDialect::kSqlite, 0, 1);
  Status expected = ValidateSegmentRule(rule, "rules", &kCustom);
  REQUIRE(compiled.status().code() == Code::kInvalidArgument);
  CHECK(compiled.status().ToString() == expected.ToString());
  REQUIRE(compiled.status().violations().size() == 2);
  CHECK(compiled.status().violations()[0].field == "rules.conditions[0].field");
  CHECK(compiled.status().violations()[1].field == "rules.conditions[1].operator");
  // Without the workspace's declarations the unknown key would have passed as a string field.
  CHECK(ValidateSegmentRule(rule, "rules").violations().size() == 1);
}

}  // namespace
}  // namespace salesos::segments
