// Replays the labelled dialogues of tests/data/ai/dialogues/*.json turn by turn through the
// built-in engine (each AI reply becomes history) and measures intent accuracy overall, per file,
// per language and per intent. development.json is the set the lexicons were tuned on;
// holdout.json was written afterwards and measured before any change it could have suggested. Fails
// below 90% overall or 85% for any language, on any reply that states a price other than the
// campaign's (or any amount for a campaign without a price) in any file, and on any wrong hand-off
// or missing expected fact in development.json. In holdout.json those are reported and held to a
// ceiling (kHoldoutKnownMisses), so that the held-out set stays a measurement rather than a target.
// Prints the table docs/ai.md quotes.

#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "ai_types.h"
#include "builtin_engine.h"
#include "text_analysis.h"

namespace salesos::ai {
namespace {

namespace json = boost::json;

// A real (if small) knowledge search: passages ranked by how many of the query's content words
// (stemmed in the language of each side) they contain, title included.
class WordOverlapSearcher final : public KnowledgeSearcher {
 public:
  void Add(std::string title, std::string text) {
    KnowledgeHit h;
    h.chunk_id = "k" + std::to_string(passages_.size());
    h.source = "document:" + title;
    h.title = std::move(title);
    h.text = std::move(text);
    keys_.push_back(ContentKeys(h.title + " " + h.text, DetectLanguage(h.title + " " + h.text)));
    passages_.push_back(std::move(h));
  }

  std::vector<KnowledgeHit> Search(std::string_view query, int k) const override {
    const auto q = ContentKeys(query, DetectLanguage(query));
    std::vector<KnowledgeHit> hits;
    for (size_t i = 0; i < passages_.size(); ++i) {
      int score = 0;
      for (const auto& word : q) {
        for (const auto& key : keys_[i]) {
          if (SameKey(word, key)) {
            ++score;
            break;
          }
        }
      }
      if (score > 0) {
        KnowledgeHit h = passages_[i];
        h.score = score;
        hits.push_back(std::move(h));
      }
    }
    std::stable_sort(hits.begin(), hits.end(),
                     [](const auto& a, const auto& b) { return a.score > b.score; });
    if (static_cast<int>(hits.size()) > k) {
      hits.resize(k);
    }
    return hits;
  }

 private:
  std::vector<KnowledgeHit> passages_;
  std::vector<std::vector<std::string>> keys_;
};

struct Campaign {
  CampaignFacts facts;
  WordOverlapSearcher knowledge;
};

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Every dialogue file, by name (development.json, holdout.json, ...).
std::map<std::string, json::value> LoadDataset() {
  std::map<std::string, json::value> files;
  const std::filesystem::path dir = std::filesystem::path(SALESOS_AI_TEST_DATA) / "dialogues";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    std::ifstream in(entry.path());
    REQUIRE(in.good());
    std::stringstream buffer;
    buffer << in.rdbuf();
    files[entry.path().filename().string()] = json::parse(buffer.str());
  }
  return files;
}

void LoadCampaigns(const json::array& campaigns, std::map<std::string, Campaign>& out) {
  for (const auto& v : campaigns) {
    const auto& o = v.as_object();
    Campaign& c = out[Str(o, "id")];
    c.facts.id = Str(o, "id");
    c.facts.name = Str(o, "name");
    c.facts.product_name = Str(o, "productName");
    c.facts.product_description = Str(o, "productDescription");
    c.facts.has_price = o.at("hasPrice").as_bool();
    c.facts.price_minor = o.at("priceMinor").to_number<int64_t>();
    c.facts.currency = Str(o, "currency");
    for (const auto& f : o.at("features").as_array()) {
      c.facts.features.emplace_back(f.as_string());
    }
    c.facts.greeting = Str(o, "greeting");
    for (const auto& q : o.at("qualificationQuestions").as_array()) {
      c.facts.qualification_questions.emplace_back(q.as_string());
    }
    for (const auto& ob : o.at("objections").as_array()) {
      c.facts.objections.push_back(
          {Str(ob.as_object(), "objection"), Str(ob.as_object(), "response")});
    }
    c.facts.closing_message = Str(o, "closingMessage");
    for (const auto& k : o.at("knowledge").as_array()) {
      c.knowledge.Add(Str(k.as_object(), "title"), Str(k.as_object(), "text"));
    }
  }
}

// Every amount the reply states with a currency: "49.99 USD", "USD 49.99", "$49.99", "49,99 €".
struct Amount {
  std::string number;    // as written, decimal comma turned into a point
  std::string currency;  // ISO code, or the symbol's usual code
};

std::vector<Amount> AmountsIn(const std::string& text) {
  static const std::regex kAfter(R"((\d+(?:[.,]\d+)*)\s?(\$|€|£|¥|\b[A-Z]{3}\b))");
  static const std::regex kBefore(R"((R\$|\$|€|£|¥|\b[A-Z]{3}\b)\s?(\d+(?:[.,]\d+)*))");
  auto code = [](std::string c) {
    if (c == "$") return std::string("USD");
    if (c == "R$") return std::string("BRL");
    if (c == "€") return std::string("EUR");
    if (c == "£") return std::string("GBP");
    if (c == "¥") return std::string("JPY");
    return c;
  };
  auto number = [](std::string n) {
    std::replace(n.begin(), n.end(), ',', '.');
    return n;
  };
  std::vector<Amount> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kAfter);
       it != std::sregex_iterator(); ++it) {
    out.push_back({number((*it)[1]), code((*it)[2])});
  }
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kBefore);
       it != std::sregex_iterator(); ++it) {
    out.push_back({number((*it)[2]), code((*it)[1])});
  }
  return out;
}

// Hand-off and fact misses of holdout.json at the last measurement (docs/ai.md lists them: each
// needs a synonym or a sense of time the built-in engine does not have). Lower it when they go.
constexpr size_t kHoldoutKnownMisses = 4;

struct Tally {
  int total = 0;
  int correct = 0;
  double Rate() const { return total ? 100.0 * correct / total : 0; }
};

TEST_CASE("the built-in engine meets the labelled dialogue set", "[ai][dataset]") {
  const auto files = LoadDataset();
  REQUIRE(!files.empty());
  std::map<std::string, Campaign> campaigns;
  std::vector<std::pair<std::string, const json::value*>> dialogue_list;  // file, dialogue
  for (const auto& [name, data] : files) {
    LoadCampaigns(data.at("campaigns").as_array(), campaigns);
  }
  for (const auto& [name, data] : files) {
    for (const auto& d : data.at("dialogues").as_array()) {
      dialogue_list.emplace_back(name, &d);
    }
  }

  // SALESOS_AI_DATASET_VERBOSE=1 prints every turn and its reply.
  const char* verbose_env = std::getenv("SALESOS_AI_DATASET_VERBOSE");
  const bool verbose = verbose_env != nullptr && std::string(verbose_env) == "1";
  const BuiltinEngine engine;
  Tally overall, language_detection;
  std::map<std::string, Tally> by_file, by_language, by_intent;
  std::map<std::string, std::map<std::string, int>> confusion;  // expected → got → count
  std::vector<std::string> failures;        // price violations anywhere; hand-off and fact
                                            // violations in the development set
  std::vector<std::string> holdout_misses;  // hand-off and fact violations in the held-out set
  std::vector<std::string> intent_misses;   // for the log
  int handoffs_expected = 0;
  double reply_us = 0;
  int facts_checked = 0;
  const int64_t start_ms = 1795255200000;  // 2026-11-21T10:00:00Z

  for (size_t d = 0; d < dialogue_list.size(); ++d) {
    const std::string& file = dialogue_list[d].first;
    const auto& dialogue = dialogue_list[d].second->as_object();
    const std::string id = Str(dialogue, "id");
    Campaign& campaign = campaigns.at(Str(dialogue, "campaign"));
    const CampaignFacts& facts = campaign.facts;
    // Odd dialogues pass the answers recorded so far, as conversation does; even ones leave them
    // out so that the engine recovers them from the history.
    const bool pass_answers = d % 2 == 1;
    std::vector<ChatMessage> messages;
    std::vector<QualificationAnswer> answers;
    int64_t now = start_ms + static_cast<int64_t>(d) * 3600 * 1000;

    const auto& turns = dialogue.at("turns").as_array();
    for (size_t t = 0; t < turns.size(); ++t) {
      const auto& turn = turns[t].as_object();
      const std::string customer = Str(turn, "customer");
      const std::string expected_intent = Str(turn, "intent");
      const std::string expected_language = Str(turn, "language");
      const bool expected_handoff = turn.at("handoff").as_bool();
      const std::string expected_reason = Str(turn, "handoffReason");
      const std::string where = id + " turn " + std::to_string(t + 1) + " \"" + customer + "\"";

      now += 60 * 1000;
      messages.push_back({"customer", customer, now});
      ReplyInput in;
      in.workspace_id = "ws-dataset";
      in.campaign = facts;
      in.messages = messages;
      in.contact.locale = Str(dialogue, "locale");
      if (pass_answers) {
        in.answers = answers;
      }
      in.knowledge = &campaign.knowledge;
      in.now_ms = now;
      const auto started = std::chrono::steady_clock::now();
      const ReplyOutput out = engine.Reply(in);
      reply_us +=
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
              .count();
      if (verbose) {
        std::printf("%s\n  -> %s %.2f %s | %s\n", where.c_str(),
                    std::string(IntentName(out.intent)).c_str(), out.intent_confidence,
                    out.language.c_str(), out.text.c_str());
      }

      // Intent accuracy.
      const std::string got_intent(IntentName(out.intent));
      const bool ok = got_intent == expected_intent;
      for (Tally* tally : {&overall, &by_file[file], &by_language[expected_language],
                           &by_intent[expected_intent]}) {
        ++tally->total;
        tally->correct += ok ? 1 : 0;
      }
      ++confusion[expected_intent][got_intent];
      if (!ok) {
        intent_misses.push_back(where + ": expected " + expected_intent + ", got " + got_intent);
      }
      ++language_detection.total;
      language_detection.correct += out.language == expected_language ? 1 : 0;

      // Hand-off.
      const bool holdout = file.rfind("holdout", 0) == 0;
      std::vector<std::string>& behaviour_failures = holdout ? holdout_misses : failures;
      handoffs_expected += expected_handoff ? 1 : 0;
      if (out.handoff.required != expected_handoff ||
          (expected_handoff && out.handoff.reason != expected_reason)) {
        behaviour_failures.push_back(
            where + ": hand-off expected " +
            (expected_handoff ? "yes (" + expected_reason + ")" : "no") + ", got " +
            (out.handoff.required ? "yes (" + out.handoff.reason + ")" : "no") +
            "\n    reply: " + out.text);
      }

      // Prices: only the campaign's, exactly; none at all without one.
      const std::string price =
          facts.has_price ? FormatPrice(facts.price_minor, facts.currency) : std::string();
      for (const auto& a : AmountsIn(out.text)) {
        const std::string stated = a.number + " " + a.currency;
        if (!facts.has_price || stated != price) {
          failures.push_back(
              where + ": the reply states the price " + stated +
              (facts.has_price ? " (campaign: " + price + ")" : " (campaign has none)") +
              "\n    reply: " + out.text);
        }
      }
      if (!facts.has_price && std::regex_search(out.text, std::regex(R"(\d+[.,]\d\d\b)"))) {
        failures.push_back(where + ": a decimal amount in a reply for a campaign without a price" +
                           "\n    reply: " + out.text);
      }

      // Expected facts.
      if (const auto* f = turn.if_contains("facts")) {
        for (const auto& [key, value] : f->as_object()) {
          ++facts_checked;
          bool fact_ok = true;
          std::string want;
          if (key == "greeting") {
            want = "the campaign greeting";
            fact_ok = out.text.find(facts.greeting) != std::string::npos;
          } else if (key == "price") {
            want = "the price " + std::string(value.as_string());
            fact_ok = out.text.find(std::string(value.as_string())) != std::string::npos;
          } else if (key == "closing") {
            want = "the closing message";
            fact_ok = out.text.find(facts.closing_message) != std::string::npos;
          } else if (key == "objectionResponse") {
            const auto i = value.to_number<size_t>();
            want = "the response to objection " + std::to_string(i);
            fact_ok = out.text.find(facts.objections.at(i).response) != std::string::npos;
          } else if (key == "source") {
            want = "the source \"" + std::string(value.as_string()) + "\"";
            fact_ok = std::any_of(out.sources.begin(), out.sources.end(),
                                  [&](const auto& s) { return s.title == value.as_string(); });
          } else if (key == "contains") {
            want = "\"" + std::string(value.as_string()) + "\"";
            fact_ok = out.text.find(std::string(value.as_string())) != std::string::npos;
          } else if (key == "asksQuestion") {
            const auto i = value.to_number<int>();
            want = "qualification question " + std::to_string(i);
            fact_ok = out.asked_question_index == i &&
                      out.text.find(facts.qualification_questions.at(i)) != std::string::npos;
          } else if (key == "recordsAnswer") {
            const auto i = value.to_number<int>();
            want = "a recorded answer to question " + std::to_string(i);
            fact_ok = out.recorded_answer && out.recorded_answer->question_index == i &&
                      out.recorded_answer->answer == customer;
          } else {
            want = "a known fact (unknown key " + std::string(key) + ")";
            fact_ok = false;
          }
          if (!fact_ok) {
            behaviour_failures.push_back(where + ": missing " + want + "\n    reply: " + out.text);
          }
        }
      }

      if (out.recorded_answer) {
        answers.push_back(*out.recorded_answer);
      }
      messages.push_back({"ai", out.text, now + 30 * 1000});
    }
  }

  // The table (docs/ai.md, "Measured accuracy").
  std::printf("\nBuilt-in engine on tests/data/ai/dialogues/: %zu dialogues, %d customer turns\n",
              dialogue_list.size(), overall.total);
  std::printf("\n| slice | turns | correct | intent accuracy |\n|---|---:|---:|---:|\n");
  std::printf("| **overall** | %d | %d | **%.1f%%** |\n", overall.total, overall.correct,
              overall.Rate());
  for (const auto& [name, t] : by_file) {
    std::printf("| file %s | %d | %d | %.1f%% |\n", name.c_str(), t.total, t.correct, t.Rate());
  }
  for (const auto& lang : kLanguages) {
    const Tally& t = by_language[std::string(lang)];
    std::printf("| language %.*s | %d | %d | %.1f%% |\n", static_cast<int>(lang.size()),
                lang.data(), t.total, t.correct, t.Rate());
  }
  for (Intent i : AllIntents()) {
    const std::string name(IntentName(i));
    const Tally& t = by_intent[name];
    std::printf("| intent %s | %d | %d | %.1f%% |\n", name.c_str(), t.total, t.correct, t.Rate());
  }
  std::printf(
      "\nLanguage detection: %d/%d (%.1f%%). Hand-offs expected: %d. Facts checked: %d. "
      "Failures (price anywhere; hand-off, fact in development): %zu. Hand-off and fact "
      "misses in the held-out set: %zu (ceiling %zu). Mean reply time: %.0f us.\n",
      language_detection.correct, language_detection.total, language_detection.Rate(),
      handoffs_expected, facts_checked, failures.size(), holdout_misses.size(), kHoldoutKnownMisses,
      overall.total ? reply_us / overall.total : 0.0);
  if (!intent_misses.empty()) {
    std::printf("\nIntent misses:\n");
    for (const auto& m : intent_misses) {
      std::printf("  %s\n", m.c_str());
    }
  }
  if (!holdout_misses.empty()) {
    std::printf("\nHeld-out hand-off and fact misses (reported):\n");
    for (const auto& f : holdout_misses) {
      std::printf("  %s\n", f.c_str());
    }
  }
  if (!failures.empty()) {
    std::printf("\nPrice, hand-off and fact failures:\n");
    for (const auto& f : failures) {
      std::printf("  %s\n", f.c_str());
    }
  }

  CHECK(overall.total >= 150);
  CHECK(overall.Rate() >= 90.0);
  for (const auto& lang : kLanguages) {
    INFO("language " << lang);
    CHECK(by_language[std::string(lang)].total >= 25);
    CHECK(by_language[std::string(lang)].Rate() >= 85.0);
  }
  CHECK(language_detection.Rate() >= 90.0);
  CHECK(failures.empty());
  CHECK(holdout_misses.size() <= kHoldoutKnownMisses);
}

TEST_CASE("the price check of the dataset test finds amounts in every notation", "[ai][dataset]") {
  const auto amounts = AmountsIn("It is 49.99 USD, or USD 12, $5, 3,50 € and 4800 JPY in 7 days.");
  REQUIRE(amounts.size() == 5);
  CHECK(amounts[0].number == "49.99");
  CHECK(amounts[0].currency == "USD");
  CHECK(amounts[1].currency == "EUR");
  CHECK(amounts[1].number == "3.50");
  CHECK(amounts[2].number == "4800");
  CHECK(AmountsIn("Tallas de la 36 a la 47, 280 gramos, 30 g, 1000 km").empty());
}

}  // namespace
}  // namespace salesos::ai
