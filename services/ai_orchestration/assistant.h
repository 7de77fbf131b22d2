#pragma once

// "Leo", the business-facing assistant: answers a member's questions about the workspace's own
// campaigns and results from data the adapter fetched over gRPC, and how-to questions about
// SalesOS from a built-in help table that names the real API paths. The built-in answerer, and the
// LLM call and validator used when an endpoint is configured. Pure: no gRPC, no SQL.
//
// The built-in answerer understands (keywords in en, with fr/es/de/pt where cheap): how many
// campaigns (by status), which are active / paused / draft / completed, the best or worst campaign
// by conversions, revenue or response rate, total revenue (per currency), conversions and rates
// overall, one campaign's figures when the question names it, an overview, whether the AI is
// trained, conversation counts, and how to connect WhatsApp / Messenger / Instagram, create,
// launch or pause a campaign, add a team member, import contacts, set up an LLM key, train the
// AI, write segment rules, generate messages, summarise, preview replies, edit the business
// profile and what roles may do. It answers in English.
//
// Every figure it states comes from AssistantData: data that is missing (std::nullopt) is said to
// be missing, never estimated. Rates: response rate = responses / messages sent, conversion rate
// = conversions / responses, each shown with its base ("3 of 40 responses").

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llm_types.h"
#include "salesos/core/status.h"

namespace salesos::ai {

inline constexpr size_t kMaxQuestionChars = 2000;

struct AssistantCampaignStats {
  int64_t messages_sent = 0;
  int64_t responses = 0;
  int64_t conversions = 0;
  double revenue = 0;    // major units of `currency` (campaign.v1.CampaignStats.revenue)
  std::string currency;  // ISO 4217, the product's; "" when the campaign has no price
};

struct AssistantCampaign {
  std::string id;
  std::string name;
  std::string status;    // "draft" | "active" | "paused" | "completed"
  std::string platform;  // "facebook" | "instagram" | "whatsapp" | "all"
  AssistantCampaignStats stats;
};

struct AssistantTraining {
  bool trained = false;
  int documents = 0;
  int chunks = 0;
  std::string last_trained_at;  // RFC 3339; "" when never trained
};

// Filled once the conversation service answers for them; until then the adapter leaves them
// empty and Leo says it has no conversation data yet.
struct AssistantConversationCounts {
  int64_t total = 0;
  int64_t open = 0;
  int64_t needs_human = 0;
};

// Plain data the adapter fills from gRPC (campaign's ListCampaignsForService, this service's
// training status, later analytics and conversation).
struct AssistantData {
  std::string workspace_name;
  std::vector<AssistantCampaign> campaigns;   // every campaign of the workspace
  std::optional<AssistantTraining> training;  // nullopt: could not be read
  std::optional<AssistantConversationCounts> conversations;
  std::optional<int64_t> contacts;
  std::optional<std::string> ai_provider;  // "builtin" | "openai-compatible"; nullopt: unknown
};

struct AssistantFact {
  std::string label;  // "Active campaigns"
  std::string value;  // "3"
};

struct AssistantAnswer {
  std::string answer;
  std::vector<AssistantFact> facts;      // the data the answer rests on
  std::vector<std::string> suggestions;  // follow-up questions
};

// kInvalidArgument on "question" unless it has 1 .. 2,000 characters and is not blank.
Status ValidateQuestion(std::string_view question);

// The built-in answer. Deterministic; never fails (an unknown question gets what Leo can answer).
AssistantAnswer Answer(std::string_view question, const AssistantData& data);

// The LLM call of the assistant job: the data as JSON (with the rates and totals computed here,
// so the model need not do arithmetic), the help table, the question (delimited, untrusted), and
// the schema {answer, facts: [{label, value}], suggestions}.
LlmCall AssistantCall(std::string_view question, const AssistantData& data);

// Refuses (invalid_output) a blank answer and any figure in the answer or the facts that is
// neither in the data given to the model (counts, stats, rates, totals, help text) nor in the
// question; list numbering ("1. ", "2) ") is fine.
OutputValidator AssistantValidator(std::string_view question, const AssistantData& data);

// The answer an accepted output holds.
Result<AssistantAnswer> AssistantAnswerFromOutput(const boost::json::object& output);

}  // namespace salesos::ai
