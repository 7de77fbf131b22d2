#pragma once

// Lead score of a conversation for the built-in engine: five factors, each 0..100, and their
// weighted sum. Deterministic: the same messages, intents, answers and now_ms give the same score.
//
// Factors:
//  - engagement:    how much the customer writes. 60 points for the number of customer messages
//                   (12 each, 5 or more give all 60) + 40 for their average length (4 points a
//                   word, 10 words or more give all 40).
//  - recency:       age of the last customer message at now_ms: up to 1 h → 100, 24 h → 80,
//                   3 days → 50, 7 days → 25, older → 0. Unknown times (0) count as now.
//  - frequency:     customer messages in the 24 h before now_ms (20 points each) + earlier
//                   messages of the contact (ContactProfile::message_count, 5 points each),
//                   capped at 100.
//  - intent:        the strongest buying signal seen: purchase_intent 100, price_question 70,
//                   qualification_answer 55, product_question 50, objection 35, human_request 40,
//                   greeting / smalltalk 20, complaint 10, other 10; none yet: 0.
//  - qualification: answers recorded / qualification questions × 100 (50 when the campaign asks
//                   none: nothing to learn, nothing missing).
//
// score = 0.20 engagement + 0.15 recency + 0.10 frequency + 0.35 intent + 0.20 qualification,
// rounded to the nearest integer.

#include <cstdint>
#include <string>
#include <vector>

#include "ai_types.h"

namespace salesos::ai {

inline constexpr double kEngagementWeight = 0.20;
inline constexpr double kRecencyWeight = 0.15;
inline constexpr double kFrequencyWeight = 0.10;
inline constexpr double kIntentWeight = 0.35;
inline constexpr double kQualificationWeight = 0.20;

struct LeadSignals {
  const std::vector<ChatMessage>* messages = nullptr;  // the conversation, oldest first
  std::vector<Intent> customer_intents;                // the intent of each customer message seen
  int answers_recorded = 0;
  int questions_total = 0;
  int64_t prior_message_count = 0;  // ContactProfile::message_count
  int64_t now_ms = 0;
};

LeadScore ScoreLead(const LeadSignals& signals);

// The conversation status the engine suggests, first rule that applies:
//   hand-off required → "needs_human"; purchase intent this turn → "ready_to_buy";
//   every qualification question answered (at least one asked) or score >= 70 → "qualified";
//   two or more customer messages, or this turn asks about the offer (product, price,
//   qualification answer, objection) → "engaged"; else "new".
std::string SuggestStatus(const LeadScore& score, Intent current, bool handoff,
                          int answers_recorded, int questions_total, int customer_messages);

}  // namespace salesos::ai
