#pragma once

// Summaries of chats and call transcripts: the built-in extractive summariser, and the LLM call
// and validator used when an endpoint is configured. Pure: no gRPC, no SQL, no clock (the
// reference date that "tomorrow" counts from is passed in).
//
// The built-in summary only quotes and counts; it never rephrases into facts:
//  - summary: who talked (and how many messages), what the customer asked for (their first
//    request, quoted) and how it ended (the last commitment or outcome, quoted).
//  - key points: up to 5 sentences, in transcript order, with the highest weight of their content
//    words (frequency across the transcript, stop words of en/es/fr/de/pt removed), favouring
//    figures, requests and commitments.
//  - action items: sentences with a commitment or a request ("I will send", "we'll call",
//    "please send", "let's meet", "je vais envoyer", "te envío", "ich schicke", "vou ligar", ...),
//    with a due date resolved from "today", "tomorrow", "on Friday", "next week", "end of the
//    month", "in 3 days", "1 December", "2026-12-01" (and their fr/es/de/pt forms) against the
//    reference date, and a priority: high for urgency words (urgent, asap, today, dringend, ...) or
//    a due date within a day, medium for one within a week or "soon", low otherwise.
//  - sentiment: the mean score (sentiment_analyzer.h) of the customer's lines that carry one
//    (of every line when no speaker is known as the customer), labelled with its thresholds.
//  - topics: up to 5 most frequent content words or repeated two-word phrases, lowercased,
//    without speaker names and greetings.

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ai_types.h"
#include "llm_types.h"
#include "salesos/core/status.h"

namespace salesos::ai {

inline constexpr size_t kMaxTranscriptChars = 100000;

struct TranscriptLine {
  std::string speaker;  // "Ada", "Customer"
  std::string role;     // "customer" | "business" | "" (not known)
  std::string text;
};

struct SummaryActionItem {
  std::string description;  // "Paul: I will send you the invoice tomorrow."
  std::string due_date;     // YYYY-MM-DD, or "" when the text gives none
  std::string priority;     // "high" | "medium" | "low"
};

struct SummaryResult {
  std::string summary;
  std::vector<std::string> key_points;
  std::vector<SummaryActionItem> action_items;
  std::string sentiment;       // "negative" | "neutral" | "positive"
  double sentiment_score = 0;  // -1 .. 1
  std::vector<std::string> topics;
};

// "Name: text" lines ("[10:32] Ada: hi" and WhatsApp exports' "21/11/2026, 10:32 - Ada: hi" too);
// a line without a speaker continues the previous one. Roles come from speaker names that say
// them ("Customer", "Client", "Agent", "AI", "Bot", "Support", ...). kInvalidArgument on
// "transcript" when it is blank, longer than 100,000 characters, or has no text.
Result<std::vector<TranscriptLine>> ParseTranscript(std::string_view transcript);

// A conversation's messages as lines: the customer's as `customer_name` ("Customer" when empty),
// the AI's as "AI" and agents' as "Agent", with their roles. Empty messages are skipped.
std::vector<TranscriptLine> TranscriptFromMessages(const std::vector<ChatMessage>& messages,
                                                   std::string_view customer_name = {});

// The built-in summary. `reference_date` is YYYY-MM-DD (UTC); when empty or invalid, only dates
// written in full become due dates. An empty transcript gives an empty summary.
SummaryResult Summarize(const std::vector<TranscriptLine>& lines, std::string_view reference_date);

// The due date a sentence gives, resolved against `reference_date`, or "" (exposed for tests).
std::string ResolveDueDate(std::string_view sentence, std::string_view reference_date);

// The LLM call of the summarize job: the transcript (delimited, untrusted, cut to its last
// 100,000 characters) and the schema {summary, keyPoints, actionItems: [{description, dueDate,
// priority}], sentiment: {overall, score}, topics}.
LlmCall SummaryCall(const std::vector<TranscriptLine>& lines, std::string_view reference_date);

// Refuses (invalid_output) a blank summary, a priority outside high|medium|low, a due date that
// is neither "" nor a real YYYY-MM-DD, an overall sentiment outside the three labels or a score
// outside -1..1, and figures in the summary, key points or action items that the transcript does
// not contain.
OutputValidator SummaryValidator(const std::vector<TranscriptLine>& lines);

// The result of an answer SummaryValidator accepted.
Result<SummaryResult> SummaryFromOutput(const boost::json::object& output);

}  // namespace salesos::ai
