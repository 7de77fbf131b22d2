#pragma once

// The in-memory evaluator: whether one contact matches a rule tree, with exactly the semantics of
// the SQL the compiler (sql.h) writes. The oracle of the property tests, and what evaluates a
// tree against one contact without a query (automation rules). Pure; safe from many threads.

#include <cstdint>
#include <optional>
#include <string>

#include "salesos/common/v1/segment.pb.h"
#include "salesos/segments/contact_facts.h"
#include "salesos/segments/custom_fields.h"

namespace salesos::segments {

// Meant for trees ValidateSegmentRule(rule, path, &custom) accepts; anything it cannot test
// (an unknown field, a value of the wrong kind) does not match.
bool MatchesSegmentRule(const common::v1::SegmentRule& rule, const ContactFacts& contact,
                        const CustomFieldDecls& custom, int64_t now_ms);

// What an automation rule sees besides the contact (the automation fields of catalogue.h).
struct ConversationFacts {
  std::string status;       // conversation.status
  std::string handler;      // conversation.handler: ai | agent
  std::string platform;     // conversation.platform
  std::string campaign_id;  // conversation.campaignId
  double lead_score = 0;    // conversation.leadScore
};

struct MessageFacts {
  std::string text;    // message.text
  std::string type;    // message.type
  std::string sender;  // message.sender
};

// The facts of one event for an automation rule. A field of an absent part (no conversation for a
// contact.created event, no message for a status change, no previous status but for
// conversation.status_changed) has no value: `exists` is false there, every comparison false (so
// ne / not_in / not_contains, their negations, hold).
struct AutomationFacts {
  ContactFacts contact;
  std::optional<ConversationFacts> conversation;
  std::optional<MessageFacts> message;
  std::string previous_status;  // event.previousStatus; "" when the event has none
};

// A tree ValidateSegmentRule(rule, path, &custom, RuleScope::kAutomation) accepts, evaluated over
// the contact's fields (exactly as above) and the event's.
bool MatchesSegmentRule(const common::v1::SegmentRule& rule, const AutomationFacts& facts,
                        const CustomFieldDecls& custom, int64_t now_ms);

}  // namespace salesos::segments
