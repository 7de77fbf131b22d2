// The lead score of the built-in engine: its factors, their weights and the suggested status.

#include "lead_scorer.h"

#include <catch2/catch.hpp>
#include <vector>

namespace salesos::ai {
namespace {

constexpr int64_t kNow = 1795255200000;  // 2026-11-21T10:00:00Z
constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

std::vector<ChatMessage> Conversation(int customer_messages, int64_t last_at,
                                      const char* text = "hello there how are you") {
  std::vector<ChatMessage> out;
  for (int i = customer_messages - 1; i >= 0; --i) {
    out.push_back({"customer", text, last_at - i * 2 * kMinute});
    out.push_back({"ai", "Hi!", last_at - i * 2 * kMinute + 1000});
  }
  return out;
}

LeadScore Score(const std::vector<ChatMessage>& messages, std::vector<Intent> intents,
                int answers = 0, int questions = 3, int64_t prior = 0, int64_t now = kNow) {
  LeadSignals s;
  s.messages = &messages;
  s.customer_intents = std::move(intents);
  s.answers_recorded = answers;
  s.questions_total = questions;
  s.prior_message_count = prior;
  s.now_ms = now;
  return ScoreLead(s);
}

TEST_CASE("the factor weights add up to one", "[ai][lead]") {
  CHECK(kEngagementWeight + kRecencyWeight + kFrequencyWeight + kIntentWeight +
            kQualificationWeight ==
        Approx(1.0));
}

TEST_CASE("the score is the weighted sum of the factors", "[ai][lead]") {
  const auto messages = Conversation(3, kNow - 10 * kMinute);
  const LeadScore s =
      Score(messages, {Intent::kGreeting, Intent::kPriceQuestion, Intent::kQualificationAnswer}, 1);
  // engagement 12*3 + 4*5 words = 56; recency 100; frequency 3*20 = 60; intent 70 (price);
  // qualification 1/3 = 33.
  CHECK(s.engagement == 56);
  CHECK(s.recency == 100);
  CHECK(s.frequency == 60);
  CHECK(s.intent == 70);
  CHECK(s.qualification == 33);
  CHECK(s.score == 63);  // 0.2*56 + 0.15*100 + 0.1*60 + 0.35*70 + 0.2*33 = 63.3
}

TEST_CASE("a buyer who answered everything scores above a one-word greeter", "[ai][lead]") {
  const auto buyer_messages = Conversation(5, kNow - kMinute, "we are twelve people in sales");
  const LeadScore buyer =
      Score(buyer_messages,
            {Intent::kGreeting, Intent::kQualificationAnswer, Intent::kQualificationAnswer,
             Intent::kPriceQuestion, Intent::kPurchaseIntent},
            3, 3);
  const auto greeter_messages = Conversation(1, kNow - 2 * kDay, "hi");
  const LeadScore greeter = Score(greeter_messages, {Intent::kGreeting});
  CHECK(buyer.score > 80);
  CHECK(greeter.score < 25);
  CHECK(buyer.intent == 100);
  CHECK(buyer.qualification == 100);
}

TEST_CASE("recency decays with the age of the last customer message", "[ai][lead]") {
  auto recency = [](int64_t age) {
    const auto messages = Conversation(1, kNow - age);
    return Score(messages, {Intent::kOther}).recency;
  };
  CHECK(recency(30 * kMinute) == 100);
  CHECK(recency(5 * kHour) == 80);
  CHECK(recency(2 * kDay) == 50);
  CHECK(recency(6 * kDay) == 25);
  CHECK(recency(10 * kDay) == 0);
}

TEST_CASE("frequency counts the last day and the contact's earlier messages", "[ai][lead]") {
  const auto messages = Conversation(2, kNow - kMinute);
  CHECK(Score(messages, {}, 0, 3, 0).frequency == 40);
  CHECK(Score(messages, {}, 0, 3, 4).frequency == 60);
  CHECK(Score(messages, {}, 0, 3, 100).frequency == 100);
}

TEST_CASE("a campaign without questions neither rewards nor punishes qualification", "[ai][lead]") {
  const auto messages = Conversation(1, kNow);
  CHECK(Score(messages, {Intent::kGreeting}, 0, 0).qualification == 50);
  CHECK(Score(messages, {Intent::kGreeting}, 5, 2).qualification == 100);
}

TEST_CASE("the same signals give the same score", "[ai][lead]") {
  const auto messages = Conversation(4, kNow - 3 * kHour);
  const std::vector<Intent> intents = {Intent::kProductQuestion, Intent::kObjection};
  const LeadScore a = Score(messages, intents, 1);
  const LeadScore b = Score(messages, intents, 1);
  CHECK(a.score == b.score);
  CHECK(a.engagement == b.engagement);
}

TEST_CASE("no conversation scores only what the campaign contributes", "[ai][lead]") {
  const std::vector<ChatMessage> none;
  const LeadScore s = Score(none, {}, 0, 0);
  CHECK(s.engagement == 0);
  CHECK(s.intent == 0);
  CHECK(s.score == 10);  // 0.2 * 50 qualification
}

TEST_CASE("the suggested status follows the documented order", "[ai][lead]") {
  LeadScore low;
  low.score = 20;
  LeadScore high;
  high.score = 75;
  CHECK(SuggestStatus(high, Intent::kPurchaseIntent, true, 3, 3, 5) == "needs_human");
  CHECK(SuggestStatus(low, Intent::kPurchaseIntent, false, 0, 3, 1) == "ready_to_buy");
  CHECK(SuggestStatus(low, Intent::kSmalltalk, false, 3, 3, 4) == "qualified");
  CHECK(SuggestStatus(high, Intent::kSmalltalk, false, 0, 3, 4) == "qualified");
  CHECK(SuggestStatus(low, Intent::kPriceQuestion, false, 0, 3, 1) == "engaged");
  CHECK(SuggestStatus(low, Intent::kGreeting, false, 0, 3, 2) == "engaged");
  CHECK(SuggestStatus(low, Intent::kGreeting, false, 0, 3, 1) == "new");
  CHECK(SuggestStatus(low, Intent::kGreeting, false, 0, 0, 1) == "new");
}

}  // namespace
}  // namespace salesos::ai
