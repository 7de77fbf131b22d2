#pragma once

// The built-in reply engine of ai_orchestration: offline, deterministic, no model. It answers the
// last customer message of a conversation from the campaign's facts and the knowledge base only,
// in the customer's language, and says what it understood (intent, sentiment, language, lead
// score, suggested status, hand-off). The policy is described in docs/ai.md ("Built-in engine").
//
// It never states a price other than CampaignFacts' (formatted exactly from minor units), never
// offers a discount, and never claims a feature that is not in the campaign or a knowledge passage.
// Campaign-authored text (greeting, questions, objection responses, closing message) is used as
// written; the glue around it comes from per-language phrase tables (en, es, fr, de, pt).
//
// Thread-safety: Reply is const and keeps no state between calls; one engine may serve many
// threads at once. ReplyInput::knowledge, when set, must be safe for concurrent Search calls.

#include "ai_types.h"

namespace salesos::ai {

// Prices are stated with FormatPrice (ai_types.h): "49.99 USD", "1000 JPY", "1.500 KWD".
class BuiltinEngine {
 public:
  ReplyOutput Reply(const ReplyInput& in) const;
};

}  // namespace salesos::ai
