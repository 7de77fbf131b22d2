#pragma once

// The intent of a customer message, for the built-in engine: weighted phrase lexicons in en, es,
// fr, de and pt (all five are always consulted, the message's own language weighs more), negation
// ("I don't want to buy" is an objection, not purchase intent), the conversation context (the
// previous AI message asked a qualification question) and the campaign's configured objections.
//
// How it decides (docs/ai.md, "Built-in engine"):
//  1. Every lexicon phrase found in the tokens adds its weight to its intent; a phrase inside a
//     longer matched phrase does not count ("how long" blocks "how", "zu teuer" blocks "teuer").
//  2. A purchase phrase preceded (within 3 tokens) by a negation counts as an objection.
//  3. human_request and complaint win when they reach kStrongScore; otherwise the highest score
//     wins, ties broken purchase > price > objection > product > greeting > smalltalk; a greeting
//     or smalltalk phrase loses to any other intent with a real score.
//  4. When the previous AI message asked a qualification question, the message is a
//     qualification_answer unless it is a question about the offer or carries a strong intent.
//  5. A question (?, ¿, or a question word first) with no other signal is a product_question.
//  6. Nothing matched: other, with a low confidence.
//
// Pure and deterministic; lexicons are compiled once; safe to call from many threads at once.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ai_types.h"

namespace salesos::ai {

// Score of a phrase match that settles an intent by itself.
inline constexpr double kStrongScore = 3.0;
// Below this confidence a turn counts as one the engine could not answer with confidence.
inline constexpr double kLowConfidence = 0.45;

struct ClassifierContext {
  // The previous AI message asked a qualification question that is still unanswered.
  bool awaiting_answer = false;
  // The campaign's configured objections (CampaignFacts::objections[i].objection), in order.
  std::vector<std::string> objections;
};

struct IntentResult {
  Intent intent = Intent::kOther;
  double confidence = 0;  // 0..1
  // For an objection: the configured objection it matches (index into ClassifierContext), if any.
  std::optional<int> objection_index;
  // A finer label of the winning phrase, when it has one: "discount" (price), "features" (asks
  // what the offer is or includes), "thanks" / "howareyou" / "bye" (smalltalk), and for objections
  // the category "price" | "think" | "competitor" | "time" | "interest" | "doubt" | "shipping".
  std::string tag;
  bool is_question = false;  // a question mark, or a question word first
  double score = 0;          // the winning intent's lexicon score (0 for context decisions)
};

// The intent of `text` in `language` (en/es/fr/de/pt, e.g. from DetectLanguage; any other value:
// no language is favoured).
IntentResult Classify(std::string_view text, std::string_view language,
                      const ClassifierContext& ctx);

// The objection category of `text` ("price", "think", ...) from the generic objection lexicons,
// or "" when none matches. Used to match a customer's objection to a configured one written in
// another language.
std::string ObjectionCategory(std::string_view text);

}  // namespace salesos::ai
