#pragma once

// Plain language to a segment rule tree (common/v1/segment.proto) over the contact field
// catalogue (salesos/segments/catalogue.h): the built-in parser, and the LLM call and validator
// used when an endpoint is configured. Pure: no gRPC, no SQL, no clock (today is passed in).
//
// The built-in parser reads English, with French, Spanish, German and Portuguese keywords:
//   places      "from Lyon or Paris", "in New York", "de Lyon", "aus Berlin", "from France"
//               → city (as written) or country (ISO code) eq / in
//   spending    "spent more than 1000", "spent between 100 and 500", "ont dépensé plus de 1 000 €"
//               → totalSpent (major units)
//   orders      "bought", "never ordered", "ordered at least 3 times", "more than 2 orders",
//               "bought in the last 60 days" → ordersCount / lastOrderAt
//   messages    "wrote in the last 30 days", "messaged us this week", "inactive for 60 days"
//               → lastMessageAt within_last_days (or before today − N when negated)
//   created     "joined after 2025-03-01", "added before March 2025", "new contacts this week"
//               → createdAt
//   tags        "tagged vip", "with tag vip or gold", "not tagged spam", "untagged" → tags
//   platform    "on WhatsApp or Instagram", "Messenger" → platform
//   status      the contact's latest conversation: "qualified", "converted", "lost" / "closed",
//               "archived", "status active" → status; "ready to buy" → journeyStage eq purchase;
//               "needs a human" is no contact field (a hand-off is a conversation's state) and
//               stays unparsed, as do the old statuses "new" (see created) and "engaged"
//   journey     "in the consideration stage", "journey stage is retention", "awareness or
//               interest phase" → journeyStage (a stage word needs "stage" / "phase" with it)
//   lead score  "lead score above 70" → leadScore
//   language    "speaking French", "in Spanish", "French-speaking" → language (ISO 639-1)
//   opt-out     "opted out", "not unsubscribed" → optedOut
//   contact     "with an email", "without a phone number", "named Ada" → email/phone/firstName
// Clauses join with and / but / commas / who / with (AND); "or" joins the two clauses next to it
// into an OR group (so "A and B or C" reads A AND (B OR C)); "or" inside a clause makes a list
// ("Lyon or Paris" → in). "not", "never", "without", "jamais", "nunca", "nie", "não", ... negate
// the clause that follows, as the negated operator (ne, not_in, lte, exists false, ...); a group's
// `not` is used only for a negated list that spans two fields ("not qualified or ready to buy" →
// not (status eq qualified OR journeyStage eq purchase)). The tree is segment.proto's shape,
// {"op", "not", "conditions"} | {"field", "operator", "value"}, as the segment endpoints take it.
// The root is always a group with op "and", unless the whole text is one OR group; at most
// kMaxConditions conditions (later clauses are dropped, and say so in `unparsed`). What became no
// rule is returned, as written, in `unparsed`; nothing is guessed.

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "llm_types.h"
#include "salesos/common/v1/segment.pb.h"
#include "salesos/core/status.h"

namespace salesos::ai {

inline constexpr size_t kMaxSegmentTextChars = 2000;

struct ParsedSegment {
  common::v1::SegmentRule rule;       // valid (ValidateSegmentRule) and never empty
  std::string explanation;            // ExplainSegmentRule(rule)
  std::vector<std::string> unparsed;  // the pieces of the text that became no rule, as written
};

// `text`: 1 .. 2,000 characters, not blank (else kInvalidArgument on "text"). `today`
// ("YYYY-MM-DD", UTC) resolves "inactive for 30 days", "before March" (this year) and the like;
// when empty, those pieces come back in `unparsed`. kInvalidArgument on "text" when nothing in it
// became a rule (the message says what the parser understands).
Result<ParsedSegment> ParseSegmentText(std::string_view text, std::string_view today);

// The LLM call of the segment_rules job: the catalogue, operators and value formats in the system
// prompt, the text (delimited, untrusted) in the user message, and the schema
// {rules: <SegmentRule as protobuf JSON, a group at the root>, explanation, unparsed}.
LlmCall SegmentRulesCall(std::string_view text, std::string_view today);

// Refuses (invalid_output) an answer whose `rules` is not a SegmentRule in protobuf JSON, is not a
// group at the root, or does not pass ValidateSegmentRule.
OutputValidator SegmentRulesValidator();

// The result of an answer SegmentRulesValidator accepted: its tree and unparsed pieces, with the
// explanation recomputed by ExplainSegmentRule so it always says what the tree does.
Result<ParsedSegment> ParsedSegmentFromOutput(const boost::json::object& output);

}  // namespace salesos::ai
