// The sentiment analyser of the built-in engine: lexicons in five languages, negation,
// intensifiers, emoji, and the label thresholds.

#include "sentiment_analyzer.h"

#include <catch2/catch.hpp>

namespace salesos::ai {
namespace {

std::string LabelOf(const char* text) { return AnalyzeSentiment(text).label; }

TEST_CASE("clear praise is positive and clear anger negative in every language",
          "[ai][sentiment]") {
  for (const char* text :
       {"This is great, thank you!", "¡Me encanta, es genial!", "C'est parfait, merci beaucoup",
        "Super, das gefällt mir sehr", "Adorei, muito obrigado!"}) {
    INFO(text);
    CHECK(LabelOf(text) == "positive");
  }
  for (const char* text :
       {"This is a scam, terrible service", "Una estafa, pésimo servicio", "C'est nul, une arnaque",
        "Das ist Betrug, schrecklich", "Péssimo atendimento, uma vergonha"}) {
    INFO(text);
    CHECK(LabelOf(text) == "negative");
  }
}

TEST_CASE("plain facts and questions are neutral", "[ai][sentiment]") {
  for (const char* text : {"How much does it cost?", "la 42", "Wir sind 12 Leute im Vertrieb", "",
                           "Quero saber o prazo de entrega"}) {
    INFO(text);
    CHECK(LabelOf(text) == "neutral");
  }
}

TEST_CASE("a negation turns a word around, weaker", "[ai][sentiment]") {
  const double good = AnalyzeSentiment("good").score;
  const double not_good = AnalyzeSentiment("not good").score;
  CHECK(good > 0);
  CHECK(not_good < 0);
  CHECK(-not_good < good);
  CHECK(AnalyzeSentiment("not bad at all").score > 0);
  CHECK(AnalyzeSentiment("não gostei").label == "negative");
}

TEST_CASE("a negation does not reach into the next sentence", "[ai][sentiment]") {
  CHECK(LabelOf("Still not here. Very disappointing!") == "negative");
  CHECK(LabelOf("Immer noch nicht da. Sehr enttäuschend!") == "negative");
}

TEST_CASE("intensifiers and exclamation marks strengthen, diminishers soften", "[ai][sentiment]") {
  const double good = AnalyzeSentiment("good").score;
  CHECK(AnalyzeSentiment("very good").score > good);
  CHECK(AnalyzeSentiment("good!!!").score > good);
  CHECK(AnalyzeSentiment("un peu cher").score > AnalyzeSentiment("cher").score);
}

TEST_CASE("emoji and emoticons carry sentiment", "[ai][sentiment]") {
  CHECK(LabelOf("😡") == "negative");
  CHECK(LabelOf("ok 😍") == "positive");
  CHECK(LabelOf("ok :(") == "negative");
  CHECK(LabelOf("thanks :)") == "positive");
}

TEST_CASE("the score stays within -1..1 and follows the thresholds", "[ai][sentiment]") {
  const Sentiment very_bad =
      AnalyzeSentiment("terrible awful horrible worst scam fraud 😡😡😡 unacceptable disgusting!!!");
  CHECK(very_bad.score >= -1.0);
  CHECK(very_bad.score < -0.9);
  const Sentiment very_good =
      AnalyzeSentiment("excellent amazing awesome wonderful fantastic 😍😍 perfect!!!");
  CHECK(very_good.score <= 1.0);
  CHECK(very_good.score > 0.9);
  for (const char* text : {"good", "bad", "ok", "refund please, thanks", "problem"}) {
    const Sentiment s = AnalyzeSentiment(text);
    INFO(text << " " << s.score);
    const char* expected = s.score >= kPositiveThreshold   ? "positive"
                           : s.score <= kNegativeThreshold ? "negative"
                                                           : "neutral";
    CHECK(s.label == expected);
  }
}

}  // namespace
}  // namespace salesos::ai
