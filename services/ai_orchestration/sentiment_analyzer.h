#pragma once

// Sentiment of a customer message for the built-in engine: lexicon-based in en, es, fr, de and pt
// (all five lexicons are consulted; words and phrases scored -3..+3), with negation, intensifiers,
// diminishers, exclamation marks, emoji and ASCII emoticons.
//
//  - A word or phrase preceded within 3 tokens by a negation ("not", "no", "pas", "nicht", "nao",
//    ...) counts -0.5 times its value ("not good" is mildly negative, "not bad" mildly positive).
//  - An intensifier just before it ("very", "muy", "très", "sehr", "muito", ...) counts it 1.5
//    times; a diminisher ("a bit", "un poco", "un peu", "etwas", "um pouco") 0.6 times.
//  - Each '!' (at most 3) adds 0.3 in the direction of the sum.
//  - The sum s becomes the score s / sqrt(s² + 15) (VADER's normalisation), in -1..1.
//  - Label: score >= kPositiveThreshold → "positive", <= kNegativeThreshold → "negative",
//    otherwise "neutral".
//
// Pure and deterministic; lexicons are compiled once; safe to call from many threads at once.

#include <string_view>

#include "ai_types.h"

namespace salesos::ai {

inline constexpr double kPositiveThreshold = 0.25;
inline constexpr double kNegativeThreshold = -0.25;

// `language` is accepted for symmetry with the classifier and favours nothing today: the
// lexicons of the five languages barely overlap, and customers mix them.
Sentiment AnalyzeSentiment(std::string_view text, std::string_view language = {});

}  // namespace salesos::ai
