#pragma once

// The reply job's prompt for an OpenAI-compatible endpoint, and the checks its answer must pass
// before a customer sees it.
//
// The system prompt carries only what the built-in engine would say from: the business, the
// campaign facts (the price as its exact text), the chat flow and the next qualification question
// the built-in engine chose, the knowledge passages it used, the language it detected, the rules,
// and a canary token. The user message is the recent history, every text escaped and wrapped in
// <customer_message> (or <assistant_message> / <agent_message>) delimiters, so a customer can not
// close the delimiter and talk as the system.
//
// ReplyValidator refuses an answer that is empty, states a price other than the product's (or any
// price when the campaign has none): "wrong_price: ...", echoes the system prompt (the canary or
// a long verbatim span of the rules): "invalid_output: ...", or claims a discount or a percentage
// the facts do not contain: "invalid_output: ...".
//
// Prices are written with FormatPrice (ai_types.h, on libs/core money.h): "49.99 USD".
//
// Pure functions; thread-safe.

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ai_types.h"
#include "llm_types.h"

namespace salesos::ai {

inline constexpr int kReplyMaxChars = 1000;
inline constexpr int kReplyMaxQuickReplies = 3;
inline constexpr int kReplyHistoryMessages = 12;

// The reply job's call: job "reply", schema_name "sales_reply", schema ReplySchema().
LlmCall BuildReplyCall(const ReplyInput& input, const ReplyOutput& builtin);

// {reply: string (maxLength 1000), quickReplies: array of string (maxItems 3)}, both required,
// no other fields.
boost::json::object ReplySchema();

// Checks a parsed answer to BuildReplyCall(input, ...) (see the header comment).
OutputValidator ReplyValidator(const ReplyInput& input);

// The canary token the system prompt for `input` carries (stable for one input in one process,
// unguessable from outside).
std::string ReplyCanary(const ReplyInput& input);

// Text made safe to place between delimiters: & < > escaped as &amp; &lt; &gt;, invalid UTF-8
// replaced with U+FFFD.
std::string EscapeDelimited(std::string_view text);

// A price stated in free text: "$39.99", "39,99 €", "EUR 39.99", "39.99 dollars", "price is 40".
struct PriceMention {
  std::string text;   // as written
  int64_t milli = 0;  // the amount in thousandths of the major unit (39.99 → 39990)
  // The ISO codes the written currency can mean ("$" → USD, CAD, ...); empty when none was
  // written (a number next to a word like "price").
  std::vector<std::string> currencies;
};
std::vector<PriceMention> FindPriceMentions(std::string_view text);
// The texts of FindPriceMentions.
std::vector<std::string> ExtractPriceMentions(std::string_view text);

}  // namespace salesos::ai
