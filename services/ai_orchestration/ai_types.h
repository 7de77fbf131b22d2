#pragma once

// The plain data ai_orchestration works on, shared by the built-in engine, the knowledge base,
// the provider chain and the other AI jobs. No gRPC, no SQL: the service adapter converts from
// and to the protos (ai_orchestration.proto).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salesos::ai {

enum class Intent {
  kGreeting,
  kProductQuestion,
  kPriceQuestion,
  kPurchaseIntent,
  kObjection,
  kQualificationAnswer,
  kHumanRequest,
  kComplaint,
  kSmalltalk,
  kOther,
};

// "greeting", "product_question", ... as the API spells them.
std::string_view IntentName(Intent intent);
// The intent named `name`, or nullopt for a name not in the list.
std::optional<Intent> ParseIntent(std::string_view name);
// Every intent, in declaration order.
const std::vector<Intent>& AllIntents();

// Digits after the decimal point of an ISO 4217 currency (0 for JPY, 3 for KWD, 2 for USD and
// for codes the table does not know); case-insensitive. From libs/core money.h.
int CurrencyDecimals(std::string_view currency);
// An exact amount in minor units as text with the upper-case code: (4999, "USD") → "49.99 USD",
// (1000, "JPY") → "1000 JPY", (1500, "KWD") → "1.500 KWD". The one way the AI states a price.
std::string FormatPrice(int64_t minor, std::string_view currency);

// The languages the built-in engine understands and answers in (ISO 639-1).
inline constexpr std::string_view kLanguages[] = {"en", "es", "fr", "de", "pt"};

// One message of a conversation. sender: "customer" | "ai" | "agent".
struct ChatMessage {
  std::string sender;
  std::string text;
  int64_t at_ms = 0;  // Unix milliseconds; 0 when unknown
};

struct ObjectionAnswer {
  std::string objection;
  std::string response;
};

// What the AI may say about a campaign: everything it states as fact comes from here or from the
// knowledge base, never from its imagination.
struct CampaignFacts {
  std::string id;
  std::string name;
  std::string product_name;
  std::string product_description;
  bool has_price = false;
  int64_t price_minor = 0;  // minor units of `currency`
  std::string currency;     // ISO 4217
  std::vector<std::string> features;
  std::string greeting;
  std::vector<std::string> qualification_questions;
  std::vector<ObjectionAnswer> objections;
  std::string closing_message;
};

struct Document {
  std::string name;
  std::string url;
  std::string content;
};

// The business profile from onboarding (owned by auth).
struct BusinessProfile {
  std::string business_name;
  std::string industry;
  std::string description;
  std::string website;
  std::string phone;
  std::vector<Document> documents;
};

struct ContactProfile {
  std::string name;
  std::string locale;  // "fr_FR" when the platform said; may be empty
  std::vector<std::string> tags;
  int64_t first_seen_ms = 0;
  int64_t message_count = 0;  // customer messages before this conversation's history
};

// A passage of the knowledge base that matched a query.
struct KnowledgeHit {
  std::string chunk_id;
  std::string source;  // "profile", "document:<name>", "campaign:<id>"
  std::string title;   // a person-readable name of the source
  std::string text;
  double score = 0;
};

// Search over one knowledge base (a workspace's, plus one campaign's when it has one).
class KnowledgeSearcher {
 public:
  virtual ~KnowledgeSearcher() = default;
  // Best first, at most k, only hits with a score above 0. Safe to call from many threads at once.
  virtual std::vector<KnowledgeHit> Search(std::string_view query, int k) const = 0;
};

struct QualificationAnswer {
  int question_index = 0;  // into CampaignFacts::qualification_questions
  std::string question;
  std::string answer;
};

struct ReplyInput {
  std::string workspace_id;
  std::optional<CampaignFacts> campaign;  // none: the conversation has no campaign
  std::string business_name;              // may be empty
  // Oldest first; the last customer message is the one to answer.
  std::vector<ChatMessage> messages;
  ContactProfile contact;
  // Answers recorded so far (the engine also recovers them from the history when this is empty).
  std::vector<QualificationAnswer> answers;
  const KnowledgeSearcher* knowledge = nullptr;  // may be null
  int64_t now_ms = 0;
};

struct Sentiment {
  double score = 0;   // -1 (very negative) .. 1 (very positive)
  std::string label;  // "negative" | "neutral" | "positive"
};

// 0..100 each; score is their weighted sum (weights documented in lead_scorer.h).
struct LeadScore {
  int score = 0;
  int engagement = 0;
  int recency = 0;
  int frequency = 0;
  int intent = 0;
  int qualification = 0;
};

struct Handoff {
  bool required = false;
  std::string reason;  // "human_request" | "complaint" | "low_confidence" | "" when not required
};

struct ReplyOutput {
  std::string text;
  std::vector<std::string> quick_replies;
  Intent intent = Intent::kOther;
  double intent_confidence = 0;  // 0..1
  Sentiment sentiment;
  std::string language;  // one of kLanguages
  LeadScore lead_score;
  // "new" | "engaged" | "qualified" | "ready_to_buy" | "needs_human"
  std::string suggested_status;
  Handoff handoff;
  std::vector<KnowledgeHit> sources;  // the passages the reply used
  // The qualification answer this turn recorded, if the customer answered a question.
  std::optional<QualificationAnswer> recorded_answer;
  // The qualification question this reply asks, if any.
  std::optional<int> asked_question_index;
};

}  // namespace salesos::ai
