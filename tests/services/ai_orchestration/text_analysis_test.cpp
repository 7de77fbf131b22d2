// Text utilities of the built-in engine: lowercasing and accent folding over UTF-8, normalisation,
// tokens, stop words, the light stemmer, language detection and the phrase matcher.

#include "text_analysis.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace salesos::ai {
namespace {

using Tokens = std::vector<std::string>;

TEST_CASE("lowercasing handles ASCII and accented Latin capitals", "[ai][text]") {
  CHECK(ToLowerUtf8("ÉCOLE Über ÑANDÚ ÇA ŒUVRE Ÿ") == "école über ñandú ça œuvre ÿ");
  CHECK(ToLowerUtf8("ПРИВЕТ") == "привет");
  CHECK(ToLowerUtf8("×÷") == "×÷");
}

TEST_CASE("accent folding keeps case and expands ligatures", "[ai][text]") {
  CHECK(FoldAccents("Café Ñandú Straße Œuvre Ærø") == "Cafe Nandu Strasse OEuvre AEro");
  CHECK(FoldAccents("ação, coração, você") == "acao, coracao, voce");
  CHECK(FoldAccents("plain ascii 123") == "plain ascii 123");
}

TEST_CASE("normalisation lowercases, folds and strips punctuation and emoji", "[ai][text]") {
  CHECK(Normalize("¿Cuánto CUESTA el envío? 😀") == "cuanto cuesta el envio");
  CHECK(Normalize("  «Très bien» — merci…  ") == "tres bien merci");
  CHECK(Normalize("Price: $49.99!!!") == "price 49 99");
  CHECK(Normalize("") == "");
  CHECK(Normalize("?!…") == "");
}

TEST_CASE("an apostrophe joins English contractions and splits French elision", "[ai][text]") {
  CHECK(Normalize("I don't think it's ready, I'm sure we'll see") ==
        "i dont think its ready im sure well see");
  CHECK(Normalize("C'est l'offre qu'il veut, aujourd'hui") ==
        "c est l offre qu il veut aujourd hui");
  CHECK(Normalize("Don’t") == "dont");  // typographic apostrophe
}

TEST_CASE("invalid UTF-8 bytes become separators and are never read past the end", "[ai][text]") {
  const std::string bad = std::string("ab") + '\xC3' + "cd" + '\xE2' + '\x82';
  CHECK(Normalize(bad) == "ab cd");
  CHECK(Tokenize(std::string(1, '\xF0')).empty());
}

TEST_CASE("tokenize splits the normal form and never yields empty tokens", "[ai][text]") {
  CHECK(Tokenize("Hola,   ¿qué tal?") == Tokens{"hola", "que", "tal"});
  CHECK(Tokenize("   ").empty());
}

TEST_CASE("stop words cover the five languages but not content words", "[ai][text]") {
  for (const char* w : {"the", "de", "que", "und", "est", "voce", "nicht"}) {
    CHECK(IsStopWord(w));
  }
  for (const char* w : {"price", "envio", "lieferung", "garantie", "preco"}) {
    CHECK_FALSE(IsStopWord(w));
  }
}

TEST_CASE("the light stemmer joins singular, plural and inflected forms", "[ai][text]") {
  CHECK(LightStem("prices", "en") == "price");
  CHECK(LightStem("features", "en") == LightStem("feature", "en"));
  CHECK(LightStem("batteries", "en") == "battery");
  CHECK(LightStem("boxes", "en") == "box");
  CHECK(LightStem("envios", "es") == LightStem("envio", "es"));
  CHECK(LightStem("envian", "es") == LightStem("envio", "es"));
  CHECK(LightStem("pesan", "es") == LightStem("peso", "es"));
  CHECK(LightStem("funciones", "es") == "funcion");
  CHECK(LightStem("lieferungen", "de") == "lieferung");
  CHECK(LightStem("funcionalidades", "pt") == LightStem("funcionalidade", "pt"));
  CHECK(LightStem("entregam", "pt") == LightStem("entrega", "pt"));
  CHECK(LightStem("chevaux", "fr") == "cheval");
  CHECK(LightStem("livrez", "fr") == LightStem("livrer", "fr"));
  CHECK(LightStem("bus", "en") == "bus");  // too short to touch
  CHECK(LightStem("data", "en") == "data");
}

TEST_CASE("content keys drop stop words and meet across forms", "[ai][text]") {
  CHECK(ContentKeys("Where is the data stored?") == Tokens{"data", "stored"});
  CHECK(ContentKeys("¿Cuánto pesan las zapatillas?", "es") == Tokens{"pes", "zapatill"});
  CHECK(SameKey("integrate", "integration"));
  CHECK(SameKey("impermeable", "impermeables"));
  CHECK(SameKey("bereit", "zubereitung"));
  CHECK_FALSE(SameKey("sales", "salesforce"));
  CHECK_FALSE(SameKey("data", "date"));
}

TEST_CASE("language detection recognises each of the five languages", "[ai][text]") {
  CHECK(DetectLanguage("How much does it cost to ship to Canada?") == "en");
  CHECK(DetectLanguage("Hola, ¿cuánto cuesta el envío a Madrid?") == "es");
  CHECK(DetectLanguage("Bonjour, est-ce que la livraison est gratuite ?") == "fr");
  CHECK(DetectLanguage("Hallo, wie lange dauert die Lieferung nach Österreich?") == "de");
  CHECK(DetectLanguage("Olá, quanto custa a entrega para Lisboa?") == "pt");
}

TEST_CASE("language detection works without accents", "[ai][text]") {
  CHECK(DetectLanguage("hola quiero saber el precio por favor") == "es");
  CHECK(DetectLanguage("oi tudo bem, voce tem o preco?") == "pt");
  CHECK(DetectLanguage("c est trop cher pour moi") == "fr");
  CHECK(DetectLanguage("das ist mir zu teuer") == "de");
}

TEST_CASE("short or ambiguous text falls back to the hint, else English", "[ai][text]") {
  CHECK(DetectLanguage("ok", "fr_FR") == "fr");
  CHECK(DetectLanguage("42", "pt-BR") == "pt");
  CHECK(DetectLanguage("👍") == "en");
  CHECK(DetectLanguage("ok", "ja_JP") == "en");
  CHECK(DetectLanguage("no", "es") == "es");
}

TEST_CASE("a clear message wins over the hint", "[ai][text]") {
  CHECK(DetectLanguage("Ich möchte bitte mit einem Mitarbeiter sprechen", "es_ES") == "de");
  CHECK(DetectLanguage("I would like to talk to someone please", "fr_FR") == "en");
}

TEST_CASE("locales map to their language only when it is one of the five", "[ai][text]") {
  CHECK(LanguageOfLocale("es_MX") == "es");
  CHECK(LanguageOfLocale("PT-br") == "pt");
  CHECK(LanguageOfLocale("de") == "de");
  CHECK(LanguageOfLocale("it_IT") == "");
  CHECK(LanguageOfLocale("english") == "");
  CHECK(LanguageOfLocale("") == "");
}

TEST_CASE("the phrase matcher finds words, prefixes and gaps", "[ai][text]") {
  PhraseMatcher m;
  const int how_much = m.Add("how much");
  const int price = m.Add("pric*");
  const int want_buy = m.Add("want ~ buy");
  const int cuanto = m.Add("¿Cuánto cuesta?");
  const auto matches = m.FindAll(Tokenize("How much? The prices... I want to really buy"));
  REQUIRE(matches.size() == 3);
  CHECK(matches[0].phrase == how_much);
  CHECK((matches[0].begin == 0 && matches[0].end == 2));
  CHECK(matches[1].phrase == price);
  CHECK(matches[2].phrase == want_buy);
  CHECK((matches[2].begin == 5 && matches[2].end == 9));
  CHECK(m.FindAll(Tokenize("cuanto cuesta"))[0].phrase == cuanto);
  CHECK(m.FindAll(Tokenize("I want it, and later maybe we could buy")).empty());  // gap > 3
  CHECK(m.FindAll(Tokenize("pr")).empty());
}

}  // namespace
}  // namespace salesos::ai
