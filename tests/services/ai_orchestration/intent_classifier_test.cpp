// The intent classifier of the built-in engine: lexicons in five languages, negation, the
// qualification context and the campaign's configured objections.

#include "intent_classifier.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace salesos::ai {
namespace {

struct Case {
  const char* text;
  const char* language;
  Intent intent;
};

Intent IntentOf(const char* text, const char* language, bool awaiting = false) {
  ClassifierContext ctx;
  ctx.awaiting_answer = awaiting;
  return Classify(text, language, ctx).intent;
}

void CheckAll(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(IntentName(IntentOf(c.text, c.language)) == IntentName(c.intent));
  }
}

TEST_CASE("price questions are recognised in the five languages", "[ai][intent]") {
  CheckAll({{"How much is it?", "en", Intent::kPriceQuestion},
            {"¿Cuánto cuesta?", "es", Intent::kPriceQuestion},
            {"c'est combien ?", "fr", Intent::kPriceQuestion},
            {"Was kostet das?", "de", Intent::kPriceQuestion},
            {"quanto custa?", "pt", Intent::kPriceQuestion},
            {"PRECIO??", "es", Intent::kPriceQuestion}});
}

TEST_CASE("each intent has phrases in every language", "[ai][intent]") {
  CheckAll({{"Good morning!", "en", Intent::kGreeting},
            {"buenas tardes", "es", Intent::kGreeting},
            {"I want to buy it", "en", Intent::kPurchaseIntent},
            {"me lo llevo", "es", Intent::kPurchaseIntent},
            {"je le prends", "fr", Intent::kPurchaseIntent},
            {"ich nehme es", "de", Intent::kPurchaseIntent},
            {"quero comprar", "pt", Intent::kPurchaseIntent},
            {"can I talk to a real person", "en", Intent::kHumanRequest},
            {"quiero hablar con un asesor", "es", Intent::kHumanRequest},
            {"je veux parler à un conseiller", "fr", Intent::kHumanRequest},
            {"Ich möchte mit einem Mitarbeiter sprechen", "de", Intent::kHumanRequest},
            {"quero falar com um atendente", "pt", Intent::kHumanRequest},
            {"This is a scam, I want a refund", "en", Intent::kComplaint},
            {"no funciona y nadie me responde", "es", Intent::kComplaint},
            {"c'est une arnaque", "fr", Intent::kComplaint},
            {"Das Paket ist kaputt angekommen", "de", Intent::kComplaint},
            {"péssimo atendimento", "pt", Intent::kComplaint},
            {"thanks a lot!", "en", Intent::kSmalltalk},
            {"muito obrigada", "pt", Intent::kSmalltalk},
            {"Does it work offline?", "en", Intent::kProductQuestion},
            {"¿Tienen garantía?", "es", Intent::kProductQuestion},
            {"Wie lange dauert die Lieferung?", "de", Intent::kProductQuestion},
            {"it's too expensive", "en", Intent::kObjection},
            {"tengo que pensarlo", "es", Intent::kObjection},
            {"je n'ai pas le temps", "fr", Intent::kObjection},
            {"kein Interesse", "de", Intent::kObjection},
            {"já tenho uma agência", "pt", Intent::kObjection}});
}

TEST_CASE("a negated purchase phrase is an objection, not purchase intent", "[ai][intent]") {
  CheckAll({{"I don't want to buy it", "en", Intent::kObjection},
            {"not ready to buy yet", "en", Intent::kObjection},
            {"no quiero comprarlo", "es", Intent::kObjection},
            {"je ne veux pas acheter", "fr", Intent::kObjection},
            {"não quero comprar agora", "pt", Intent::kObjection}});
}

TEST_CASE("a negation in another sentence or in 'why not' negates nothing", "[ai][intent]") {
  CheckAll({{"ok pourquoi pas, je veux essayer", "fr", Intent::kPurchaseIntent},
            {"No. I want to buy it", "en", Intent::kPurchaseIntent},
            {"why not, sign me up", "en", Intent::kPurchaseIntent}});
}

TEST_CASE("a longer phrase blocks the shorter ones inside it", "[ai][intent]") {
  // "wie teuer" is a price question although "teuer" alone is an objection; "zu teuer" is not.
  CHECK(IntentOf("Wie teuer ist das?", "de") == Intent::kPriceQuestion);
  CHECK(IntentOf("Das ist zu teuer", "de") == Intent::kObjection);
  // "cuánto tarda" asks how long, not how much.
  CHECK(IntentOf("¿Cuánto tarda el envío?", "es") == Intent::kProductQuestion);
  CHECK(IntentOf("Combien de fois par semaine ?", "fr") != Intent::kPriceQuestion);
}

TEST_CASE("a greeting with a question about something else is that question", "[ai][intent]") {
  CheckAll({{"Hello! Are these shoes waterproof?", "en", Intent::kProductQuestion},
            {"Hi, how much is it?", "en", Intent::kPriceQuestion},
            {"Bonjour !", "fr", Intent::kGreeting},
            {"oi, tudo bem?", "pt", Intent::kGreeting}});
}

TEST_CASE("a short answer after a qualification question is a qualification answer",
          "[ai][intent]") {
  CHECK(IntentOf("about 25", "en", true) == Intent::kQualificationAnswer);
  CHECK(IntentOf("la 42", "es", true) == Intent::kQualificationAnswer);
  CHECK(IntentOf("Excel", "de", true) == Intent::kQualificationAnswer);
  CHECK(IntentOf("We use HubSpot right now", "en", true) == Intent::kQualificationAnswer);
  // Without the context the same words are not an answer to anything.
  CHECK(IntentOf("about 25", "en", false) != Intent::kQualificationAnswer);
}

TEST_CASE("a pending qualification question does not swallow a real request", "[ai][intent]") {
  CHECK(IntentOf("how much does it cost?", "en", true) == Intent::kPriceQuestion);
  CHECK(IntentOf("I want to talk to a human", "en", true) == Intent::kHumanRequest);
  CHECK(IntentOf("Perfect, let's do it", "en", true) == Intent::kPurchaseIntent);
  CHECK(IntentOf("ok thanks", "en", true) == Intent::kSmalltalk);
  CHECK(IntentOf("les profs sont qualifiés ?", "fr", true) == Intent::kProductQuestion);
  CHECK(IntentOf("hello??", "en", true) == Intent::kOther);
}

TEST_CASE("a customer objection finds the configured one across languages", "[ai][intent]") {
  ClassifierContext ctx;
  ctx.objections = {"It's too expensive", "We already use another CRM", "I need to think about it"};
  auto check = [&](const char* text, const char* language, int index) {
    INFO(text);
    const IntentResult r = Classify(text, language, ctx);
    CHECK(r.intent == Intent::kObjection);
    REQUIRE(r.objection_index.has_value());
    CHECK(*r.objection_index == index);
  };
  check("c'est trop cher pour nous", "fr", 0);
  check("ya usamos otro CRM", "es", 1);
  check("Ich muss darüber nachdenken", "de", 2);
  check("vou pensar", "pt", 2);
}

TEST_CASE("restating a configured objection in new words is an objection", "[ai][intent]") {
  ClassifierContext ctx;
  ctx.objections = {"The setup looks complicated"};
  const IntentResult r = Classify("hmm the setup looks really complicated", "en", ctx);
  CHECK(r.intent == Intent::kObjection);
  CHECK(r.objection_index == 0);
}

TEST_CASE("objection categories come from the generic lexicons", "[ai][intent]") {
  CHECK(ObjectionCategory("Son muy caras") == "price");
  CHECK(ObjectionCategory("Je vais réfléchir") == "think");
  CHECK(ObjectionCategory("We already use another CRM") == "competitor");
  CHECK(ObjectionCategory("Keine Zeit") == "time");
  CHECK(ObjectionCategory("Não tenho interesse") == "interest");
  CHECK(ObjectionCategory("The weather is nice") == "");
}

TEST_CASE("tags tell discounts, feature overviews and thanks apart", "[ai][intent]") {
  const ClassifierContext ctx;
  CHECK(Classify("any discount for students?", "en", ctx).tag == "discount");
  CHECK(Classify("¿Qué incluye?", "es", ctx).tag == "features");
  CHECK(Classify("merci beaucoup", "fr", ctx).tag == "thanks");
}

TEST_CASE("nothing recognisable is other with a low confidence", "[ai][intent]") {
  const ClassifierContext ctx;
  for (const char* text : {"asdfgh", "", "🙃", "I live in Madrid"}) {
    INFO(text);
    const IntentResult r = Classify(text, "en", ctx);
    CHECK(r.intent == Intent::kOther);
    CHECK(r.confidence < kLowConfidence);
  }
  const IntentResult strong = Classify("How much does it cost?", "en", ctx);
  CHECK(strong.confidence > 0.7);
  CHECK(strong.confidence <= 1.0);
}

TEST_CASE("chat shorthand is understood", "[ai][intent]") {
  CHECK(IntentOf("hw much?", "en") == Intent::kPriceQuestion);
  CHECK(IntentOf("c trop cher", "fr") == Intent::kObjection);
  CHECK(IntentOf("thx!", "en") == Intent::kSmalltalk);
}

}  // namespace
}  // namespace salesos::ai
