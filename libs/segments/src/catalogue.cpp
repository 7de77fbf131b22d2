#include "salesos/segments/catalogue.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "rule_tree.h"

namespace salesos::segments {
namespace {

using common::v1::SegmentRule;
using google::protobuf::Value;

constexpr size_t kMaxViolations = 20;
constexpr size_t kMaxStringValue = 500;
constexpr size_t kMaxCustomKey = 64;

const FieldSpec kCustomFieldsSpec{
    "customFields.<key>", FieldType::kString, {}, "a custom field the business set on the contact"};

bool Contains(const std::vector<std::string_view>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) {
    v = v * 10 + (c - '0');
  }
  return v;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !AllDigits(s.substr(0, 4)) ||
      !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2))) {
    return false;
  }
  int y = ToInt(s.substr(0, 4));
  int m = ToInt(s.substr(5, 2));
  int d = ToInt(s.substr(8, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || m < 1 || m > 12 || d < 1) {
    return false;
  }
  int max_day = kDays[m - 1] + (m == 2 && IsLeapYear(y) ? 1 : 0);
  return d <= max_day;
}

// hh:mm:ss[.fraction](Z|±hh:mm)
bool IsTimeOfDay(std::string_view s) {
  if (s.size() < 9 || s[2] != ':' || s[5] != ':' || !AllDigits(s.substr(0, 2)) ||
      !AllDigits(s.substr(3, 2)) || !AllDigits(s.substr(6, 2))) {
    return false;
  }
  if (ToInt(s.substr(0, 2)) > 23 || ToInt(s.substr(3, 2)) > 59 || ToInt(s.substr(6, 2)) > 60) {
    return false;
  }
  std::string_view rest = s.substr(8);
  if (!rest.empty() && rest.front() == '.') {
    size_t n = 1;
    while (n < rest.size() && IsDigit(rest[n])) {
      ++n;
    }
    if (n == 1) {
      return false;
    }
    rest.remove_prefix(n);
  }
  if (rest == "Z" || rest == "z") {
    return true;
  }
  return rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
         AllDigits(rest.substr(1, 2)) && AllDigits(rest.substr(4, 2)) &&
         ToInt(rest.substr(1, 2)) <= 23 && ToInt(rest.substr(4, 2)) <= 59;
}

bool IsLowerCode(std::string_view s) {
  return s.size() == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z';
}

bool IsUpperCode(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// Integers as integers ("1000"), others in their shortest form ("49.99").
std::string FormatNumber(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

std::string KindName(const Value& v) {
  switch (v.kind_case()) {
    case Value::kNullValue:
      return "null";
    case Value::kNumberValue:
      return "a number";
    case Value::kStringValue:
      return "a string";
    case Value::kBoolValue:
      return "a boolean";
    case Value::kStructValue:
      return "an object";
    case Value::kListValue:
      return "a list";
    default:
      return "nothing";
  }
}

std::string JoinQuoted(const std::vector<std::string_view>& list) {
  std::string out;
  for (auto s : list) {
    out += out.empty() ? "" : ", ";
    out += s;
  }
  return out;
}

using internal::IsCondition;
using internal::IsGroup;

// Conditions in the tree, not looking below groups deeper than the validator does.
int CountConditions(const SegmentRule& node, int depth) {
  if (!IsGroup(node)) {
    return IsCondition(node) ? 1 : 0;
  }
  if (depth > kMaxDepth) {
    return 0;
  }
  int n = 0;
  for (const auto& child : node.conditions()) {
    n += CountConditions(child, depth + 1);
  }
  return n;
}

class Validator {
 public:
  Validator(const CustomFieldDecls* custom, RuleScope scope) : custom_(custom), scope_(scope) {}

  void Root(const SegmentRule& rule, const std::string& path) {
    if (IsCondition(rule) && !IsGroup(rule)) {
      Add(path, "the root must be a group ({\"op\": \"and\", \"conditions\": [...]})");
      return;
    }
    int conditions = CountConditions(rule, 1);
    if (conditions > kMaxConditions) {
      Add(path, "a tree holds at most " + std::to_string(kMaxConditions) + " conditions, not " +
                    std::to_string(conditions));
    }
    Node(rule, path, 1);
  }

  Status Result() && {
    if (violations_.empty()) {
      return OkStatus();
    }
    std::string message = "invalid segment rule: " + violations_.front().field + ": " +
                          violations_.front().description;
    if (violations_.size() > 1) {
      message += " (and " + std::to_string(violations_.size() - 1) + " more)";
    }
    return Status(Code::kInvalidArgument, std::move(message), std::move(violations_));
  }

 private:
  void Add(std::string field, std::string description) {
    if (violations_.size() < kMaxViolations) {
      violations_.push_back({std::move(field), std::move(description)});
    }
  }

  // `depth`: the depth this node has if it is a group.
  void Node(const SegmentRule& node, const std::string& path, int depth) {
    bool group = IsGroup(node);
    bool condition = IsCondition(node);
    if (group && condition) {
      Add(path,
          "a node is a group (op, conditions) or a condition (field, operator, value), not both");
    } else if (group) {
      Group(node, path, depth);
    } else if (condition) {
      Condition(node, path);
    } else {
      Add(path, "must be a group (op and conditions) or a condition (field, operator and value)");
    }
  }

  void Group(const SegmentRule& group, const std::string& path, int depth) {
    if (depth > kMaxDepth) {
      Add(path, "groups may be nested at most " + std::to_string(kMaxDepth) + " deep");
      return;
    }
    if (group.op() != "and" && group.op() != "or") {
      Add(path + ".op", "must be \"and\" or \"or\"");
    }
    if (group.conditions_size() == 0) {
      Add(path + ".conditions", "a group needs at least one condition");
    }
    for (int i = 0; i < group.conditions_size(); ++i) {
      Node(group.conditions(i), path + ".conditions[" + std::to_string(i) + "]", depth + 1);
    }
  }

  void Condition(const SegmentRule& c, const std::string& path) {
    const FieldSpec* spec = FindField(c.field(), scope_);
    if (spec == nullptr) {
      if (IsAutomationField(c.field())) {
        Add(path + ".field", "\"" + c.field() +
                                 "\" is only tested by automation rules, not by segments");
      } else if (!CustomFieldKey(c.field()).empty() || c.field() == kCustomFieldsPrefix) {
        Add(path + ".field",
            "a custom field key is 1 to 64 letters, digits, '_' or '-' after \"customFields.\"");
      } else {
        Add(path + ".field", "unknown field \"" + c.field().substr(0, 64) +
                                 "\"; see the contact field catalogue (docs/segments.md)");
      }
      return;
    }
    FieldSpec declared;
    std::string_view key = CustomFieldKey(c.field());
    if (!key.empty() && custom_ != nullptr) {
      auto it = custom_->find(key);
      if (it == custom_->end()) {
        Add(path + ".field", "unknown custom field \"" + std::string(key) +
                                 "\"; declare it at /api/v1/contact-fields");
        return;
      }
      declared.name = c.field();
      declared.type = FieldTypeOf(it->second.type);
      for (const auto& option : it->second.options) {
        declared.values.push_back(option);
      }
      spec = &declared;
    }
    const auto& ops = OperatorsFor(spec->type);
    if (!Contains(ops, c.operator_())) {
      std::string what =
          Contains(AllOperators(), c.operator_())
              ? "a " + std::string(FieldTypeName(spec->type)) + " field takes " + JoinQuoted(ops)
              : "unknown operator; " + std::string(spec->name) + " takes " + JoinQuoted(ops);
      Add(path + ".operator", what);
      return;
    }
    ConditionValue(*spec, c.operator_(), c.value(), path + ".value");
  }

  void ConditionValue(const FieldSpec& spec, const std::string& op, const Value& v,
                      const std::string& path) {
    if (op == "exists") {
      if (v.kind_case() != Value::kBoolValue) {
        Add(path, "exists takes true or false, not " + KindName(v));
      }
      return;
    }
    if (op == "within_last_days") {
      if (v.kind_case() != Value::kNumberValue ||
          v.number_value() != std::floor(v.number_value()) || v.number_value() < 1 ||
          v.number_value() > kMaxWithinDays) {
        Add(path, "within_last_days takes a whole number of days from 1 to " +
                      std::to_string(kMaxWithinDays));
      }
      return;
    }
    if (op == "before" || op == "after") {
      if (v.kind_case() != Value::kStringValue || !IsDateOrTime(v.string_value())) {
        Add(path, op + " takes a date (YYYY-MM-DD) or an RFC 3339 time");
      }
      return;
    }
    if (op == "in" || op == "not_in") {
      if (v.kind_case() != Value::kListValue) {
        Add(path, op + " takes a list of values, not " + KindName(v));
        return;
      }
      const auto& list = v.list_value().values();
      if (list.empty() || list.size() > kMaxListValues) {
        Add(path, op + " takes 1 to " + std::to_string(kMaxListValues) + " values");
        return;
      }
      for (int i = 0; i < list.size(); ++i) {
        Scalar(spec, list.Get(i), path + "[" + std::to_string(i) + "]");
      }
      return;
    }
    Scalar(spec, v, path);
  }

  // One value compared with the field: its kind, and for some fields its format.
  void Scalar(const FieldSpec& spec, const Value& v, const std::string& path) {
    switch (spec.type) {
      case FieldType::kNumber:
        if (v.kind_case() != Value::kNumberValue || !std::isfinite(v.number_value())) {
          Add(path, std::string(spec.name) + " is a number, not " + KindName(v));
        }
        return;
      case FieldType::kBoolean:
        if (v.kind_case() != Value::kBoolValue) {
          Add(path, std::string(spec.name) + " is true or false, not " + KindName(v));
        }
        return;
      case FieldType::kTime:  // only before / after / within_last_days / exists reach here
        return;
      case FieldType::kString:
      case FieldType::kTags:
      case FieldType::kEnum:
        break;
    }
    if (v.kind_case() != Value::kStringValue) {
      Add(path, std::string(spec.name) + " is compared with a string, not " + KindName(v));
      return;
    }
    const std::string& s = v.string_value();
    if (IsBlank(s) || s.size() > kMaxStringValue) {
      Add(path, "must be 1 to " + std::to_string(kMaxStringValue) + " characters, not blank");
      return;
    }
    if (spec.type == FieldType::kEnum && !Contains(spec.values, s)) {
      Add(path, std::string(spec.name) + " is one of " + JoinQuoted(spec.values));
    } else if (spec.name == "language" && !IsLowerCode(s)) {
      Add(path, "language is an ISO 639-1 code such as \"fr\"");
    } else if (spec.name == "country" && !IsUpperCode(s)) {
      Add(path, "country is an ISO 3166-1 alpha-2 code such as \"FR\"");
    }
  }

  const CustomFieldDecls* custom_;
  RuleScope scope_;
  std::vector<FieldViolation> violations_;
};

std::string ExplainValue(const Value& v) {
  switch (v.kind_case()) {
    case Value::kNumberValue:
      return FormatNumber(v.number_value());
    case Value::kStringValue:
      return v.string_value();
    case Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case Value::kListValue: {
      std::string out;
      for (const auto& item : v.list_value().values()) {
        out += out.empty() ? "" : ", ";
        out += ExplainValue(item);
      }
      return out;
    }
    default:
      return "?";
  }
}

std::string ExplainCondition(const SegmentRule& c) {
  const std::string& f = c.field();
  const std::string& op = c.operator_();
  const FieldSpec* spec = FindField(f);
  bool tags = spec != nullptr && spec->type == FieldType::kTags;
  bool boolean = spec != nullptr && spec->type == FieldType::kBoolean;
  std::string v = ExplainValue(c.value());
  if (op == "exists") {
    bool yes = c.value().kind_case() != Value::kBoolValue || c.value().bool_value();
    if (tags) {
      return yes ? "has any tag" : "has no tags";
    }
    return f + (yes ? " is set" : " is not set");
  }
  if (boolean && (op == "eq" || op == "ne") && c.value().kind_case() == Value::kBoolValue) {
    bool yes = c.value().bool_value() == (op == "eq");
    return f + (yes ? " is true" : " is false");
  }
  if (tags) {
    static constexpr std::pair<std::string_view, std::string_view> kTagWords[] = {
        {"contains", "tagged "},
        {"not_contains", "not tagged "},
        {"in", "tagged any of "},
        {"not_in", "tagged none of "}};
    for (const auto& [name, words] : kTagWords) {
      if (op == name) {
        return std::string(words) + v;
      }
    }
  }
  if (op == "within_last_days") {
    return f + " within the last " + v + (v == "1" ? " day" : " days");
  }
  static constexpr std::pair<std::string_view, std::string_view> kInfix[] = {
      {"eq", " is "},
      {"ne", " is not "},
      {"gt", " > "},
      {"gte", " >= "},
      {"lt", " < "},
      {"lte", " <= "},
      {"contains", " contains "},
      {"not_contains", " does not contain "},
      {"in", " is one of "},
      {"not_in", " is none of "},
      {"before", " before "},
      {"after", " after "}};
  for (const auto& [name, words] : kInfix) {
    if (op == name) {
      return f + std::string(words) + v;
    }
  }
  return f + " " + op + " " + v;
}

std::string Explain(const SegmentRule& rule, bool nested) {
  std::string out;
  bool compound = false;
  if (IsGroup(rule) || !IsCondition(rule)) {
    if (rule.conditions_size() == 0) {
      out = IsGroup(rule) ? "(empty group)" : "(empty)";
    } else {
      std::string sep = rule.op() == "or" ? " OR " : " AND ";
      for (int i = 0; i < rule.conditions_size(); ++i) {
        out += i == 0 ? "" : sep;
        out += Explain(rule.conditions(i), true);
      }
      compound = rule.conditions_size() > 1;
    }
  } else {
    out = ExplainCondition(rule);
  }
  if (rule.not_()) {
    return "NOT (" + out + ")";
  }
  return nested && compound ? "(" + out + ")" : out;
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kNumber:
      return "number";
    case FieldType::kBoolean:
      return "boolean";
    case FieldType::kTime:
      return "time";
    case FieldType::kTags:
      return "tags";
    case FieldType::kEnum:
      return "enum";
  }
  return "string";
}

const std::vector<FieldSpec>& ContactFields() {
  static const std::vector<FieldSpec> kFields = {
      {"firstName",
       FieldType::kString,
       {},
       "first name, as the platform gave it or an agent set it"},
      {"lastName", FieldType::kString, {}, "last name"},
      {"fullName", FieldType::kString, {}, "first and last name"},
      {"email", FieldType::kString, {}, "email address"},
      {"phone", FieldType::kString, {}, "phone number in E.164 (+33612345678)"},
      {"title", FieldType::kString, {}, "job title"},
      {"city", FieldType::kString, {}, "city, as written (\"Lyon\")"},
      {"country", FieldType::kString, {}, "ISO 3166-1 alpha-2 country code (\"FR\")"},
      {"language",
       FieldType::kString,
       {},
       "ISO 639-1 code of the language the contact writes in (\"fr\")"},
      {"accountId", FieldType::kString, {}, "id of the contact's account (company)"},
      {"ownerId", FieldType::kString, {}, "id of the user who owns the contact"},
      {"source",
       FieldType::kEnum,
       {"chat", "manual", "import", "api"},
       "how the contact came in: wrote on a channel, added by hand, imported, or by the API"},
      {"platform",
       FieldType::kEnum,
       {"facebook", "instagram", "whatsapp"},
       "a channel the contact is reachable on (facebook is Messenger); eq: reachable there, "
       "in: on any of them, exists: on any channel"},
      {"status",
       FieldType::kEnum,
       {"active", "qualified", "converted", "closed", "archived"},
       "the status of the contact's latest conversation (not set before any)"},
      {"journeyStage",
       FieldType::kEnum,
       {"awareness", "interest", "consideration", "purchase", "retention"},
       "where the contact is in the customer journey"},
      {"leadScore", FieldType::kNumber, {}, "lead score of the latest conversation, 0 to 100"},
      {"totalSpent",
       FieldType::kNumber,
       {},
       "total of the contact's orders, in major units (49.99)"},
      {"ordersCount", FieldType::kNumber, {}, "number of orders"},
      {"visitCount", FieldType::kNumber, {}, "number of visits"},
      {"tags", FieldType::kTags, {}, "the contact's tags (lower-case)"},
      {"createdAt", FieldType::kTime, {}, "when the contact first wrote or was added"},
      {"lastMessageAt", FieldType::kTime, {}, "when the contact last wrote"},
      {"lastOrderAt", FieldType::kTime, {}, "when the contact last ordered"},
      {"lastVisit", FieldType::kTime, {}, "when the contact last visited"},
      {"optedOut", FieldType::kBoolean, {}, "the contact asked not to receive broadcasts"},
      kCustomFieldsSpec,
  };
  return kFields;
}

const std::vector<FieldSpec>& AutomationFields() {
  static const std::vector<FieldSpec> kFields = {
      {"conversation.status",
       FieldType::kEnum,
       {"active", "qualified", "converted", "closed", "archived"},
       "the status of the event's conversation (after the change, for status_changed)"},
      {"conversation.handler",
       FieldType::kEnum,
       {"ai", "agent"},
       "who answers the event's conversation: the AI or agents"},
      {"conversation.platform",
       FieldType::kEnum,
       {"facebook", "instagram", "whatsapp"},
       "the channel of the event's conversation"},
      {"conversation.leadScore", FieldType::kNumber, {}, "lead score of the event's conversation"},
      {"conversation.campaignId", FieldType::kString, {}, "campaign of the event's conversation"},
      {"message.text", FieldType::kString, {}, "text of the message that triggered the rule"},
      {"message.type",
       FieldType::kString,
       {},
       "type of that message: text, image, audio, video, file, location, ..."},
      {"message.sender",
       FieldType::kEnum,
       {"customer", "ai", "agent", "system"},
       "who wrote that message"},
      {"event.previousStatus",
       FieldType::kEnum,
       {"active", "qualified", "converted", "closed", "archived"},
       "conversation.status_changed: the status before the change"},
  };
  return kFields;
}

bool IsAutomationField(std::string_view name) {
  const auto& fields = AutomationFields();
  return std::any_of(fields.begin(), fields.end(),
                     [&](const FieldSpec& f) { return f.name == name; });
}

const FieldSpec* FindField(std::string_view name, RuleScope scope) {
  if (scope == RuleScope::kAutomation) {
    for (const auto& f : AutomationFields()) {
      if (f.name == name) {
        return &f;
      }
    }
  }
  return FindField(name);
}

const FieldSpec* FindField(std::string_view name) {
  std::string_view prefix = kCustomFieldsPrefix;
  if (name.substr(0, prefix.size()) == prefix) {
    std::string_view key = name.substr(prefix.size());
    bool ok = !key.empty() && key.size() <= kMaxCustomKey &&
              std::all_of(key.begin(), key.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' ||
                       c == '-';
              });
    return ok ? &ContactFields().back() : nullptr;
  }
  for (const auto& f : ContactFields()) {
    if (f.name == name && f.name != kCustomFieldsSpec.name) {
      return &f;
    }
  }
  return nullptr;
}

std::string_view CustomFieldKey(std::string_view name) {
  std::string_view prefix = kCustomFieldsPrefix;
  return name.substr(0, prefix.size()) == prefix ? name.substr(prefix.size()) : std::string_view();
}

FieldType FieldTypeOf(CustomFieldType type) {
  switch (type) {
    case CustomFieldType::kString:
      return FieldType::kString;
    case CustomFieldType::kNumber:
      return FieldType::kNumber;
    case CustomFieldType::kDate:
      return FieldType::kTime;
    case CustomFieldType::kBoolean:
      return FieldType::kBoolean;
    case CustomFieldType::kEnum:
      return FieldType::kEnum;
  }
  return FieldType::kString;
}

const std::vector<std::string_view>& AllOperators() {
  static const std::vector<std::string_view> kAll = {
      "eq",           "ne", "gt",     "gte",    "lt",     "lte",   "contains",
      "not_contains", "in", "not_in", "exists", "before", "after", "within_last_days"};
  return kAll;
}

const std::vector<std::string_view>& OperatorsFor(FieldType type) {
  static const std::vector<std::string_view> kString = {"eq", "ne",     "contains", "not_contains",
                                                        "in", "not_in", "exists"};
  static const std::vector<std::string_view> kNumber = {"eq",  "ne", "gt",     "gte",   "lt",
                                                        "lte", "in", "not_in", "exists"};
  static const std::vector<std::string_view> kBoolean = {"eq", "ne", "exists"};
  static const std::vector<std::string_view> kTime = {"exists", "before", "after",
                                                      "within_last_days"};
  static const std::vector<std::string_view> kTags = {"contains", "not_contains", "in", "not_in",
                                                      "exists"};
  static const std::vector<std::string_view> kEnum = {"eq", "ne", "in", "not_in", "exists"};
  switch (type) {
    case FieldType::kString:
      return kString;
    case FieldType::kNumber:
      return kNumber;
    case FieldType::kBoolean:
      return kBoolean;
    case FieldType::kTime:
      return kTime;
    case FieldType::kTags:
      return kTags;
    case FieldType::kEnum:
      return kEnum;
  }
  return kString;
}

namespace {

common::v1::ContactFieldInfo InfoOf(const FieldSpec& f) {
  common::v1::ContactFieldInfo info;
  info.set_name(std::string(f.name));
  info.set_type(std::string(FieldTypeName(f.type)));
  for (auto op : OperatorsFor(f.type)) {
    info.add_operators(std::string(op));
  }
  for (auto v : f.values) {
    info.add_values(std::string(v));
  }
  info.set_description(std::string(f.description));
  return info;
}

}  // namespace

std::vector<common::v1::ContactFieldInfo> CatalogueInfo() {
  std::vector<common::v1::ContactFieldInfo> out;
  for (const auto& f : ContactFields()) {
    out.push_back(InfoOf(f));
  }
  return out;
}

std::vector<common::v1::ContactFieldInfo> CatalogueInfo(const CustomFieldDecls& custom) {
  std::vector<common::v1::ContactFieldInfo> out;
  for (const auto& f : ContactFields()) {
    if (f.name != kCustomFieldsSpec.name) {
      out.push_back(InfoOf(f));
    }
  }
  for (const auto& [key, decl] : custom) {
    std::string name = kCustomFieldsPrefix + key;
    FieldSpec spec{name, FieldTypeOf(decl.type), {}, "a custom field the business declared"};
    for (const auto& option : decl.options) {
      spec.values.push_back(option);
    }
    out.push_back(InfoOf(spec));
  }
  return out;
}

std::vector<common::v1::ContactFieldInfo> AutomationCatalogueInfo() {
  std::vector<common::v1::ContactFieldInfo> out;
  for (const auto& f : AutomationFields()) {
    out.push_back(InfoOf(f));
  }
  return out;
}

Status ValidateSegmentRule(const common::v1::SegmentRule& rule, std::string_view path,
                           const CustomFieldDecls* custom, RuleScope scope) {
  Validator v(custom, scope);
  v.Root(rule, std::string(path));
  return std::move(v).Result();
}

std::string ExplainSegmentRule(const common::v1::SegmentRule& rule) { return Explain(rule, false); }

bool IsDateOrTime(std::string_view s) {
  if (s.size() == 10) {
    return IsDate(s);
  }
  return s.size() > 11 && (s[10] == 'T' || s[10] == 't') && IsDate(s.substr(0, 10)) &&
         IsTimeOfDay(s.substr(11));
}

std::optional<int64_t> DaysFromDate(std::string_view s) {
  if (!IsDate(s)) {
    return std::nullopt;
  }
  // Howard Hinnant's days_from_civil.
  int64_t y = ToInt(s.substr(0, 4));
  int64_t m = ToInt(s.substr(5, 2));
  int64_t d = ToInt(s.substr(8, 2));
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string DateFromDays(int64_t days) {
  // Howard Hinnant's civil_from_days.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2 ? 1 : 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(y), static_cast<int>(m),
                static_cast<int>(d));
  return buf;
}

int Weekday(int64_t days) {
  // 1970-01-01 was a Thursday (3).
  int64_t w = (days + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

namespace {

std::optional<int64_t> InstantSeconds(std::string_view s) {
  auto days = DaysFromDate(s.substr(0, 10));
  if (!days || !IsDateOrTime(s)) {
    return std::nullopt;
  }
  int64_t seconds = *days * 86400;
  if (s.size() == 10) {
    return seconds;
  }
  std::string_view t = s.substr(11);
  seconds += ToInt(t.substr(0, 2)) * 3600 + ToInt(t.substr(3, 2)) * 60 + ToInt(t.substr(6, 2));
  char last = t.back();
  if (last != 'Z' && last != 'z') {
    std::string_view off = t.substr(t.size() - 6);
    int64_t offset = ToInt(off.substr(1, 2)) * 3600 + ToInt(off.substr(4, 2)) * 60;
    seconds -= off[0] == '+' ? offset : -offset;
  }
  return seconds;
}

// The fraction of an RFC 3339 time in whole milliseconds, and whether anything finer is non-zero.
std::pair<int64_t, bool> FractionMs(std::string_view s) {
  size_t dot = s.find('.');
  if (s.size() == 10 || dot == std::string_view::npos) {
    return {0, false};
  }
  int64_t ms = 0;
  bool finer = false;
  size_t n = 0;
  for (size_t i = dot + 1; i < s.size() && IsDigit(s[i]); ++i, ++n) {
    if (n < 3) {
      ms = ms * 10 + (s[i] - '0');
    } else if (s[i] != '0') {
      finer = true;
    }
  }
  for (; n < 3; ++n) {
    ms *= 10;
  }
  return {ms, finer};
}

}  // namespace

std::optional<int64_t> BeforeBoundSeconds(std::string_view value) { return InstantSeconds(value); }

std::optional<int64_t> BeforeBoundMs(std::string_view value) {
  auto s = InstantSeconds(value);
  if (!s) {
    return std::nullopt;
  }
  auto [ms, finer] = FractionMs(value);
  return *s * 1000 + ms + (finer ? 1 : 0);
}

std::optional<int64_t> AfterBoundMs(std::string_view value) {
  auto s = InstantSeconds(value);
  if (!s) {
    return std::nullopt;
  }
  if (value.size() == 10) {
    return (*s + 86400) * 1000;
  }
  return *s * 1000 + FractionMs(value).first + 1;
}

std::optional<int64_t> AfterBoundSeconds(std::string_view value) {
  auto s = InstantSeconds(value);
  if (s && value.size() == 10) {
    return *s + 86400;
  }
  return s;
}

}  // namespace salesos::segments
