#include "lead_scorer.h"

#include <algorithm>
#include <cmath>

#include "text_analysis.h"

namespace salesos::ai {
namespace {

constexpr int64_t kHourMs = 3600LL * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

int IntentStrength(Intent intent) {
  switch (intent) {
    case Intent::kPurchaseIntent:
      return 100;
    case Intent::kPriceQuestion:
      return 70;
    case Intent::kQualificationAnswer:
      return 55;
    case Intent::kProductQuestion:
      return 50;
    case Intent::kHumanRequest:
      return 40;
    case Intent::kObjection:
      return 35;
    case Intent::kGreeting:
    case Intent::kSmalltalk:
      return 20;
    case Intent::kComplaint:
    case Intent::kOther:
      return 10;
  }
  return 0;
}

int Clamp100(double v) { return static_cast<int>(std::lround(std::clamp(v, 0.0, 100.0))); }

}  // namespace

LeadScore ScoreLead(const LeadSignals& signals) {
  LeadScore out;
  int customer_messages = 0;
  size_t words = 0;
  int64_t last_at = 0;
  bool last_known = true;
  int recent = 0;
  if (signals.messages != nullptr) {
    for (const auto& m : *signals.messages) {
      if (m.sender != "customer") {
        continue;
      }
      ++customer_messages;
      words += Tokenize(m.text).size();
      last_at = m.at_ms;
      last_known = m.at_ms > 0 && signals.now_ms > 0;
      if (m.at_ms <= 0 || signals.now_ms <= 0 || signals.now_ms - m.at_ms <= kDayMs) {
        ++recent;
      }
    }
  }

  if (customer_messages > 0) {
    const double average_words = static_cast<double>(words) / customer_messages;
    out.engagement =
        Clamp100(12.0 * std::min(customer_messages, 5) + 4.0 * std::min(average_words, 10.0));
    if (!last_known) {
      out.recency = 100;
    } else {
      const int64_t age = std::max<int64_t>(0, signals.now_ms - last_at);
      out.recency = age <= kHourMs      ? 100
                    : age <= kDayMs     ? 80
                    : age <= 3 * kDayMs ? 50
                    : age <= 7 * kDayMs ? 25
                                        : 0;
    }
  }
  out.frequency = Clamp100(20.0 * recent + 5.0 * std::max<int64_t>(0, signals.prior_message_count));

  int strongest = 0;
  for (Intent i : signals.customer_intents) {
    strongest = std::max(strongest, IntentStrength(i));
  }
  out.intent = strongest;

  out.qualification =
      signals.questions_total <= 0
          ? 50
          : Clamp100(100.0 * std::min(signals.answers_recorded, signals.questions_total) /
                     signals.questions_total);

  out.score = Clamp100(kEngagementWeight * out.engagement + kRecencyWeight * out.recency +
                       kFrequencyWeight * out.frequency + kIntentWeight * out.intent +
                       kQualificationWeight * out.qualification);
  return out;
}

std::string SuggestStatus(const LeadScore& score, Intent current, bool handoff,
                          int answers_recorded, int questions_total, int customer_messages) {
  if (handoff) {
    return "needs_human";
  }
  if (current == Intent::kPurchaseIntent) {
    return "ready_to_buy";
  }
  if ((questions_total > 0 && answers_recorded >= questions_total) || score.score >= 70) {
    return "qualified";
  }
  if (customer_messages >= 2 || current == Intent::kProductQuestion ||
      current == Intent::kPriceQuestion || current == Intent::kQualificationAnswer ||
      current == Intent::kObjection) {
    return "engaged";
  }
  return "new";
}

}  // namespace salesos::ai
