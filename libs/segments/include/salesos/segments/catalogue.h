#pragma once

// The contact field catalogue segment rules are written over, which operators each field type
// takes, validation of a rule tree (common/v1/segment.proto) against it, and a one-line
// explanation of a tree for people. Shared by campaign (which evaluates trees) and
// ai_orchestration (which writes them from plain language). Pure: no gRPC calls, no SQL; the
// catalogue is immutable and every function is safe to call from many threads. Documented in
// docs/segments.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/common/v1/segment.pb.h"
#include "salesos/core/status.h"
#include "salesos/segments/custom_fields.h"

namespace salesos::segments {

enum class FieldType { kString, kNumber, kBoolean, kTime, kTags, kEnum };

// "string" | "number" | "boolean" | "time" | "tags" | "enum", as ContactFieldInfo.type says.
std::string_view FieldTypeName(FieldType type);

struct FieldSpec {
  std::string_view name;  // "city"; "customFields.<key>" stands for every custom field
  FieldType type = FieldType::kString;
  std::vector<std::string_view> values;  // the allowed values of an enum field
  std::string_view description;
};

// At most this many conditions in a whole tree, and groups nested at most this deep (the root
// group is depth 1).
inline constexpr int kMaxConditions = 100;
inline constexpr int kMaxDepth = 5;
// Kept for callers written when a group held at most 50 rules; a group is now only bounded by
// kMaxConditions for the whole tree.
inline constexpr int kMaxRulesPerGroup = kMaxConditions;
// At most this many values in the list of an in / not_in condition.
inline constexpr int kMaxListValues = 100;
// within_last_days takes 1 .. this many days (100 years).
inline constexpr int kMaxWithinDays = 36500;
inline constexpr char kCustomFieldsPrefix[] = "customFields.";

// Every field, in catalogue order.
const std::vector<FieldSpec>& ContactFields();

// Which fields a tree may name. A segment (and anything compiled to SQL) only names the contact's
// fields; an automation rule (docs/automations.md) also names the event's conversation, message
// and previous status: conversation.status, conversation.handler, conversation.platform,
// conversation.leadScore, conversation.campaignId, message.text, message.type, message.sender,
// event.previousStatus. Only the in-memory evaluator (evaluate.h) tests those; the SQL compiler
// refuses them.
enum class RuleScope { kSegment, kAutomation };

// The fields only automation rules take, in catalogue order.
const std::vector<FieldSpec>& AutomationFields();

// True for a name of AutomationFields().
bool IsAutomationField(std::string_view name);

// The spec of `name`: a catalogue field, or the customFields spec for "customFields.<key>" with a
// key of 1 .. 64 letters, digits, '_' or '-'. nullptr for anything else.
const FieldSpec* FindField(std::string_view name);
// The same in `scope`: kAutomation also finds AutomationFields().
const FieldSpec* FindField(std::string_view name, RuleScope scope);

// The <key> of "customFields.<key>", or "" when `name` does not start with the prefix.
std::string_view CustomFieldKey(std::string_view name);

// The catalogue type a declared custom field is compared as: string, number, boolean, enum, and
// a date as a time (at day precision).
FieldType FieldTypeOf(CustomFieldType type);

// Every operator: eq ne gt gte lt lte contains not_contains in not_in exists before after
// within_last_days.
const std::vector<std::string_view>& AllOperators();

// The operators a type takes, in the order of AllOperators():
//   string  eq ne contains not_contains in not_in exists
//   number  eq ne gt gte lt lte in not_in exists
//   boolean eq ne exists
//   time    before after within_last_days exists
//   tags    contains not_contains in not_in exists   (in: has any of; not_in: has none of)
//   enum    eq ne in not_in exists
const std::vector<std::string_view>& OperatorsFor(FieldType type);

// The catalogue as ContactFieldInfo, for clients that build rule editors.
std::vector<common::v1::ContactFieldInfo> CatalogueInfo();
// The same for one workspace: the "customFields.<key>" entry is replaced by one entry per
// declared custom field ("customFields.size", type "string" | "number" | "time" | "boolean" |
// "enum" with its options), in key order.
std::vector<common::v1::ContactFieldInfo> CatalogueInfo(const CustomFieldDecls& custom);
// The automation fields as ContactFieldInfo (what an automation rule editor adds to the above).
std::vector<common::v1::ContactFieldInfo> AutomationCatalogueInfo();

// Checks a tree. A node is a group when it has `op` or `conditions`, a condition when it has
// `field`, `operator` or `value`; never both, never neither. The root is a group; a group's op is
// "and" | "or" over 1 or more conditions; groups nest at most 5 deep; a tree holds at most 100
// conditions; `not` negates the node it is on (a group or a condition). Conditions name known
// fields, operators the field's type takes and values of the right kind (see segment.proto;
// language is an ISO 639-1 code "fr", country an ISO 3166-1 alpha-2 code "FR", enum values from
// the catalogue, dates RFC 3339 or YYYY-MM-DD).
//
// `custom`: the workspace's declared custom fields. When given, "customFields.<key>" must be
// declared and is checked as its declared type (docs/segments.md); when nullptr (a tree written
// without a workspace at hand, as the AI does) any well-formed key is a string field.
//
// `scope`: kSegment (the default) refuses the automation fields ("only automation rules test
// conversation.status"); kAutomation takes them.
//
// OkStatus, or kInvalidArgument with one violation per problem (at most 20), each naming its path
// under `path`, e.g. "rules.conditions[1].operator" or "rules.conditions[0].conditions[2].value[1]"
// for path "rules".
Status ValidateSegmentRule(const common::v1::SegmentRule& rule, std::string_view path,
                           const CustomFieldDecls* custom = nullptr,
                           RuleScope scope = RuleScope::kSegment);

// One line a person can read: "city is one of Lyon, Paris AND totalSpent > 1000 AND
// (platform is whatsapp OR platform is instagram)". Nested groups are parenthesised, a negated
// node reads "NOT (...)". Meant for valid trees; an invalid one still explains without failing.
std::string ExplainSegmentRule(const common::v1::SegmentRule& rule);

// True for "YYYY-MM-DD" (a real date) or an RFC 3339 time ("2026-11-21T06:30:00Z", with an
// optional fraction and a Z or ±hh:mm offset).
bool IsDateOrTime(std::string_view s);

// Dates as rule values carry them, for whoever evaluates or writes a tree. A date-only value D
// stands for the whole UTC day: `before D` is earlier than D 00:00 UTC, `after D` is at or later
// than the next day's 00:00 UTC. A time value is an instant, compared strictly.
//
// Days since 1970-01-01 of "YYYY-MM-DD" (years 1..9999), or nullopt when it is not a real date.
std::optional<int64_t> DaysFromDate(std::string_view yyyy_mm_dd);
// "YYYY-MM-DD" of a day number (the inverse of DaysFromDate).
std::string DateFromDays(int64_t days);
// 0 = Monday .. 6 = Sunday.
int Weekday(int64_t days);
// The Unix seconds a `before` value is compared with: a date's 00:00 UTC, a time's instant.
// nullopt unless IsDateOrTime(value).
std::optional<int64_t> BeforeBoundSeconds(std::string_view value);
// The Unix seconds an `after` value is compared with (`at or later than` for a date, whose bound is
// the next day's 00:00 UTC; strictly later for a time). nullopt unless IsDateOrTime(value).
std::optional<int64_t> AfterBoundSeconds(std::string_view value);

// The same bounds at millisecond precision, as both evaluators (evaluate.h, sql.h) compare them
// with Unix-ms times t:
//   before V  holds when  t <  BeforeBoundMs(V)
//   after V   holds when  t >= AfterBoundMs(V)
// A date D: BeforeBoundMs is D 00:00 UTC, AfterBoundMs the next day's 00:00 UTC. An instant I
// (any fraction of a second, any offset): BeforeBoundMs = ceil(I in ms), AfterBoundMs =
// floor(I in ms) + 1, so both are strict at any precision ("before 10:00:00.5004Z" takes
// 10:00:00.500, "after 10:00:00.5Z" starts at 10:00:00.501). nullopt unless IsDateOrTime(value).
std::optional<int64_t> BeforeBoundMs(std::string_view value);
std::optional<int64_t> AfterBoundMs(std::string_view value);

}  // namespace salesos::segments
