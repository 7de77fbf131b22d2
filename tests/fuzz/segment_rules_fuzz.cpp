// Fuzz target: the segment rule validator and compiler (libs/segments). The input is a rule tree
// as JSON, the way it reaches campaign and conversation through the gateway (protobuf's JSON
// mapping of common.v1.SegmentRule). Every tree is validated (segment and automation scope, with
// and without declared custom fields), explained, evaluated against a contact and compiled to SQL
// for both engines. Checks, besides the sanitizers: the compiler accepts exactly the trees the
// validator accepts; the SQL only names the placeholders it binds (values never reach the text).

#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "salesos/segments/catalogue.h"
#include "salesos/segments/evaluate.h"
#include "salesos/segments/sql.h"

namespace {

using namespace salesos::segments;
using salesos::common::v1::SegmentRule;

constexpr int64_t kNowMs = 1795000000000;

const CustomFieldDecls& Decls() {
  static const CustomFieldDecls decls = {
      {"size", {CustomFieldType::kString, {}}},
      {"score", {CustomFieldType::kNumber, {}}},
      {"birthday", {CustomFieldType::kDate, {}}},
      {"vip", {CustomFieldType::kBoolean, {}}},
      {"tier", {CustomFieldType::kEnum, {"gold", "silver"}}},
  };
  return decls;
}

AutomationFacts Facts() {
  AutomationFacts f;
  ContactFacts& c = f.contact;
  c.first_name = "Ana";
  c.email = "ana@example.com";
  c.city = "Lyon";
  c.country = "FR";
  c.language = "fr";
  c.source = "chat";
  c.journey_stage = "interest";
  c.on_whatsapp = true;
  c.lead_score = 42;
  c.total_spent = 1500;
  c.created_ms = kNowMs - 86400000LL * 3;
  c.tags = {"vip", "new"};
  c.custom["size"] = {"M", 0};
  c.custom["score"] = {"", 7.5};
  c.custom["birthday"] = {"1990-04-02", 639014400000.0};
  f.conversation = ConversationFacts{"active", "ai", "whatsapp", "c1", 42};
  f.message = MessageFacts{"hello", "text", "customer"};
  f.previous_status = "new";
  return f;
}

// Every "$<n>" of the SQL text names a bound parameter or the workspace's.
void CheckPlaceholders(const CompiledRule& compiled, int first, int workspace) {
  const std::string& sql = compiled.where;
  const int last = first + static_cast<int>(compiled.params.size()) - 1;
  for (size_t i = sql.find('$'); i != std::string::npos; i = sql.find('$', i + 1)) {
    size_t j = i + 1;
    long n = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9' && n < 1000000) {
      n = n * 10 + (sql[j] - '0');
      ++j;
    }
    FUZZ_REQUIRE(j > i + 1);
    FUZZ_REQUIRE((n >= first && n <= last) || (workspace > 0 && n == workspace));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const AutomationFacts facts = Facts();
  SegmentRule rule;
  std::string json(reinterpret_cast<const char*>(data), size);
  if (!google::protobuf::util::JsonStringToMessage(json, &rule).ok()) {
    return 0;
  }
  const auto valid = ValidateSegmentRule(rule, "rules", &Decls());
  (void)ValidateSegmentRule(rule, "rules", nullptr);
  const auto valid_automation =
      ValidateSegmentRule(rule, "rules", &Decls(), RuleScope::kAutomation);
  (void)ExplainSegmentRule(rule);
  if (valid.ok()) {
    (void)MatchesSegmentRule(rule, facts.contact, Decls(), kNowMs);
  }
  if (valid_automation.ok()) {
    (void)MatchesSegmentRule(rule, facts, Decls(), kNowMs);
  }
  for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
    auto compiled = CompileSegmentRule(rule, Decls(), dialect, kNowMs, 2, 1);
    FUZZ_REQUIRE(compiled.ok() == valid.ok());
    if (compiled.ok()) {
      CheckPlaceholders(*compiled, 2, 1);
    }
  }
  return 0;
}
