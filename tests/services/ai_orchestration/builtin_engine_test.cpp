// The built-in engine's dialogue policy: greeting, qualification questions in order, exact prices,
// answers from the campaign and the knowledge base, objections, closing, hand-offs, language,
// lead score and status, determinism.

#include "builtin_engine.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "text_analysis.h"

namespace salesos::ai {
namespace {

constexpr int64_t kNow = 1795255200000;  // 2026-11-21T10:00:00Z

// A real word-overlap search over a few passages (the BM25 index is tested on its own).
class TinySearcher final : public KnowledgeSearcher {
 public:
  explicit TinySearcher(std::vector<KnowledgeHit> passages) : passages_(std::move(passages)) {}
  std::vector<KnowledgeHit> Search(std::string_view query, int k) const override {
    ++calls;
    const auto q = ContentKeys(query);
    std::vector<KnowledgeHit> out;
    for (const auto& p : passages_) {
      const auto keys = ContentKeys(p.title + " " + p.text);
      int score = 0;
      for (const auto& w : q) {
        for (const auto& key : keys) {
          if (SameKey(w, key)) {
            ++score;
            break;
          }
        }
      }
      if (score > 0) {
        KnowledgeHit h = p;
        h.score = score;
        out.push_back(h);
      }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.score > b.score; });
    if (static_cast<int>(out.size()) > k) {
      out.resize(k);
    }
    return out;
  }
  mutable int calls = 0;

 private:
  std::vector<KnowledgeHit> passages_;
};

CampaignFacts Campaign() {
  CampaignFacts c;
  c.id = "c1";
  c.name = "Spring";
  c.product_name = "CloudDesk CRM";
  c.product_description = "A simple CRM for small sales teams.";
  c.has_price = true;
  c.price_minor = 4999;
  c.currency = "USD";
  c.features = {"Unlimited contacts", "Mobile app with offline mode", "Import from Excel"};
  c.greeting = "Hi! Thanks for your interest in CloudDesk 👋";
  c.qualification_questions = {"How many people are on your sales team?",
                               "Which tool do you use today?"};
  c.objections = {{"It's too expensive", "You can cancel at any time."},
                  {"We already use another CRM", "The import takes a few minutes."}};
  c.closing_message = "Great choice! Start here: https://clouddesk.example/start";
  return c;
}

const TinySearcher& Knowledge() {
  static const TinySearcher kSearcher({
      {"k1", "document:faq", "Security FAQ",
       "All data is stored in the European Union. Backups run every night.", 0},
      {"k2", "document:billing", "Billing FAQ",
       "You can cancel at any time from the billing page. Invoices are sent by email.", 0},
  });
  return kSearcher;
}

// A conversation: customer and AI turns alternate, starting with the customer.
ReplyInput Conversation(std::vector<std::string> turns, std::string locale = "en_US") {
  ReplyInput in;
  in.workspace_id = "ws1";
  in.campaign = Campaign();
  in.contact.locale = std::move(locale);
  in.knowledge = &Knowledge();
  in.now_ms = kNow;
  int64_t at = kNow - static_cast<int64_t>(turns.size()) * 60000;
  for (size_t i = 0; i < turns.size(); ++i) {
    in.messages.push_back({i % 2 == 0 ? "customer" : "ai", turns[i], at});
    at += 60000;
  }
  return in;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const BuiltinEngine kEngine;

TEST_CASE("a first message gets the campaign greeting and the first question", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation({"Hello!"}));
  CHECK(out.intent == Intent::kGreeting);
  CHECK(Has(out.text, "Hi! Thanks for your interest in CloudDesk 👋"));
  CHECK(Has(out.text, "How many people are on your sales team?"));
  CHECK(out.asked_question_index == 0);
  CHECK(out.language == "en");
  CHECK(out.suggested_status == "new");
  CHECK_FALSE(out.handoff.required);
}

TEST_CASE("the greeting is said once", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(
      Conversation({"Hello!", "Hi! Thanks for your interest in CloudDesk 👋", "how much is it?"}));
  CHECK_FALSE(Has(out.text, "Thanks for your interest"));
}

TEST_CASE("a price question gets the exact price in the customer's language", "[ai][engine]") {
  const ReplyOutput en = kEngine.Reply(Conversation({"How much does it cost?"}));
  CHECK(en.intent == Intent::kPriceQuestion);
  CHECK(Has(en.text, "The price of CloudDesk CRM is 49.99 USD."));

  const ReplyOutput es = kEngine.Reply(Conversation({"Hola, ¿cuánto cuesta?"}, "es_ES"));
  CHECK(es.language == "es");
  CHECK(Has(es.text, "El precio de CloudDesk CRM es 49.99 USD."));

  const ReplyOutput de = kEngine.Reply(Conversation({"Was kostet das?"}));
  CHECK(de.language == "de");
  CHECK(Has(de.text, "49.99 USD"));
}

TEST_CASE("prices keep the currency's decimals exactly", "[ai][engine]") {
  ReplyInput in = Conversation({"how much?"});
  in.campaign->price_minor = 1000;
  in.campaign->currency = "JPY";
  CHECK(Has(kEngine.Reply(in).text, " 1000 JPY."));
  in.campaign->price_minor = 1500;
  in.campaign->currency = "KWD";
  CHECK(Has(kEngine.Reply(in).text, " 1.500 KWD."));
  in.campaign->price_minor = 5;
  in.campaign->currency = "eur";
  CHECK(Has(kEngine.Reply(in).text, " 0.05 EUR."));
}

TEST_CASE("without a price the answer states no amount and offers a person", "[ai][engine]") {
  ReplyInput in = Conversation({"what's the price?"});
  in.campaign->has_price = false;
  in.campaign->price_minor = 4999;  // a stale value must not leak
  const ReplyOutput out = kEngine.Reply(in);
  CHECK(out.intent == Intent::kPriceQuestion);
  CHECK_FALSE(Has(out.text, "49"));
  CHECK_FALSE(Has(out.text, "USD"));
  CHECK(Has(out.text, "member of our team"));
}

TEST_CASE("a discount question never invents a discount", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation({"Is there a discount for students?"}));
  CHECK(out.intent == Intent::kPriceQuestion);
  CHECK(Has(out.text, "49.99 USD"));
  CHECK(Has(out.text, "can't promise any discount"));
  CHECK_FALSE(Has(out.text, "%"));
}

TEST_CASE("qualification answers are recorded in order and the next question is asked",
          "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation(
      {"hi", "Hi! Thanks for your interest in CloudDesk 👋\nHow many people are on your sales team?",
       "we are 8"}));
  CHECK(out.intent == Intent::kQualificationAnswer);
  REQUIRE(out.recorded_answer.has_value());
  CHECK(out.recorded_answer->question_index == 0);
  CHECK(out.recorded_answer->answer == "we are 8");
  CHECK(out.recorded_answer->question == "How many people are on your sales team?");
  CHECK(out.asked_question_index == 1);
  CHECK(Has(out.text, "Which tool do you use today?"));
}

TEST_CASE("qualification state comes from the history when no answers are given", "[ai][engine]") {
  const ReplyOutput out =
      kEngine.Reply(Conversation({"hi", "How many people are on your sales team?", "12",
                                  "Which tool do you use today?", "spreadsheets"}));
  REQUIRE(out.recorded_answer.has_value());
  CHECK(out.recorded_answer->question_index == 1);
  CHECK_FALSE(out.asked_question_index.has_value());  // both answered
  CHECK(Has(out.text, "that's everything I needed"));
  CHECK(out.lead_score.qualification == 100);
  CHECK(out.suggested_status == "qualified");
}

TEST_CASE("answers given by the caller skip their questions", "[ai][engine]") {
  ReplyInput in = Conversation({"hello", "Hi!", "ok"});
  in.answers = {{0, "How many people are on your sales team?", "5"}};
  const ReplyOutput out = kEngine.Reply(in);
  CHECK(out.asked_question_index == 1);
}

TEST_CASE("a product question is answered from the knowledge base with its source",
          "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation({"Where is my data stored?"}));
  CHECK(out.intent == Intent::kProductQuestion);
  REQUIRE(out.sources.size() == 1);
  CHECK(out.sources[0].title == "Security FAQ");
  CHECK(Has(out.text, "Security FAQ"));
  CHECK(Has(out.text, "All data is stored in the European Union."));
  CHECK(Knowledge().calls > 0);
}

TEST_CASE("a product question is answered from a campaign feature", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation({"does it work offline?"}));
  CHECK(Has(out.text, "Mobile app with offline mode"));
  CHECK_FALSE(out.handoff.required);
}

TEST_CASE("what the offer includes is listed from the campaign", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation({"What's included?"}));
  CHECK(Has(out.text, "A simple CRM for small sales teams."));
  CHECK(Has(out.text, "Unlimited contacts; Mobile app with offline mode; Import from Excel"));
}

TEST_CASE("a feature the campaign does not have is never claimed", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation({"Does it have a GPS tracker?"}));
  CHECK(out.intent == Intent::kProductQuestion);
  CHECK(out.sources.empty());
  CHECK_FALSE(Has(out.text, "GPS"));
  CHECK(Has(out.text, "rather not guess"));
  CHECK_FALSE(out.handoff.required);  // one such turn is not enough
}

TEST_CASE("a null knowledge base still answers from the campaign", "[ai][engine]") {
  ReplyInput in = Conversation({"Can I import from Excel?"});
  in.knowledge = nullptr;
  CHECK(Has(kEngine.Reply(in).text, "Import from Excel"));
}

TEST_CASE("two turns in a row without a confident answer hand off", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation(
      {"Does it have a GPS tracker?", "I'm not sure about that.", "what about a fax module?"}));
  CHECK(out.handoff.required);
  CHECK(out.handoff.reason == "low_confidence");
  CHECK(out.suggested_status == "needs_human");
  CHECK(Has(out.text, "member of our team"));

  const ReplyOutput answered_between =
      kEngine.Reply(Conversation({"Does it have a GPS tracker?", "I'm not sure.", "how much is it?",
                                  "49.99 USD", "what about a fax module?"}));
  CHECK_FALSE(answered_between.handoff.required);
}

TEST_CASE("a human request hands off at once", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation({"I want to talk to a real person"}));
  CHECK(out.intent == Intent::kHumanRequest);
  CHECK(out.handoff.required);
  CHECK(out.handoff.reason == "human_request");
  CHECK_FALSE(Has(out.text, "Thanks for your interest"));  // no greeting before a person speaks
}

TEST_CASE("a complaint hands off only with negative sentiment", "[ai][engine]") {
  const ReplyOutput angry =
      kEngine.Reply(Conversation({"This is a scam, I was charged twice and nobody answers!"}));
  CHECK(angry.intent == Intent::kComplaint);
  CHECK(angry.sentiment.label == "negative");
  CHECK(angry.handoff.required);
  CHECK(angry.handoff.reason == "complaint");

  const ReplyOutput calm = kEngine.Reply(Conversation({"I would like a refund, thanks"}));
  CHECK(calm.intent == Intent::kComplaint);
  CHECK(calm.sentiment.label != "negative");
  CHECK_FALSE(calm.handoff.required);
  CHECK(Has(calm.text, "tell me a bit more"));
}

TEST_CASE("a recognised objection gets its configured response", "[ai][engine]") {
  const ReplyOutput out =
      kEngine.Reply(Conversation({"how much?", "49.99 USD", "c'est trop cher"}, "fr_FR"));
  CHECK(out.intent == Intent::kObjection);
  CHECK(Has(out.text, "You can cancel at any time."));
  const ReplyOutput other = kEngine.Reply(Conversation({"hi", "Hi!", "no time right now"}));
  CHECK(other.intent == Intent::kObjection);
  CHECK_FALSE(Has(other.text, "You can cancel"));
  CHECK_FALSE(Has(other.text, "The import"));
}

TEST_CASE("purchase intent gets the closing message and no more questions", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation({"hi", "Hi!", "I want to buy it"}));
  CHECK(out.intent == Intent::kPurchaseIntent);
  CHECK(Has(out.text, "Great choice! Start here: https://clouddesk.example/start"));
  CHECK_FALSE(out.asked_question_index.has_value());
  CHECK(out.suggested_status == "ready_to_buy");
  CHECK(out.lead_score.intent == 100);

  ReplyInput no_closing = Conversation({"I want to buy it"});
  no_closing.campaign->closing_message.clear();
  CHECK(Has(kEngine.Reply(no_closing).text, "complete your order"));
}

TEST_CASE("without a campaign the engine answers without facts", "[ai][engine]") {
  ReplyInput in = Conversation({"Hola, ¿cuánto cuesta?"}, "es_ES");
  in.campaign.reset();
  in.business_name = "Tienda Sol";
  const ReplyOutput out = kEngine.Reply(in);
  CHECK(out.language == "es");
  CHECK(Has(out.text, "Bienvenido a Tienda Sol"));
  CHECK(Has(out.text, "No tengo el precio"));
  CHECK_FALSE(out.asked_question_index.has_value());
}

TEST_CASE("no customer message yet opens with the greeting", "[ai][engine]") {
  ReplyInput in = Conversation({});
  const ReplyOutput out = kEngine.Reply(in);
  CHECK(out.text == "Hi! Thanks for your interest in CloudDesk 👋");
  CHECK(out.suggested_status == "new");
}

TEST_CASE("a short reply keeps the conversation's language", "[ai][engine]") {
  const ReplyOutput out = kEngine.Reply(Conversation(
      {"Bonjour, c'est combien ?", "Le prix de CloudDesk CRM est de 49.99 USD.", "ok"}, ""));
  CHECK(out.language == "fr");
}

TEST_CASE("the engine is deterministic and safe to share between threads", "[ai][engine]") {
  const ReplyInput in = Conversation({"hello", "How many people are on your sales team?",
                                      "about 20", "Which tool?", "Where is my data stored?"});
  const ReplyOutput first = kEngine.Reply(in);
  std::vector<std::string> texts(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        texts[t] = kEngine.Reply(in).text;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& t : texts) {
    CHECK(t == first.text);
  }
  const ReplyOutput again = kEngine.Reply(in);
  CHECK(again.lead_score.score == first.lead_score.score);
  CHECK(again.intent_confidence == first.intent_confidence);
}

TEST_CASE("quick replies are offered after a bare greeting without questions", "[ai][engine]") {
  ReplyInput in = Conversation({"hola"}, "es_ES");
  in.campaign->qualification_questions.clear();
  const ReplyOutput out = kEngine.Reply(in);
  REQUIRE(out.quick_replies.size() == 3);
  CHECK(out.quick_replies[0] == "¿Cuánto cuesta?");
}

}  // namespace
}  // namespace salesos::ai
