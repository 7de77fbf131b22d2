#include "builtin_engine.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <unordered_set>
#include <vector>

#include "intent_classifier.h"
#include "lead_scorer.h"
#include "sentiment_analyzer.h"
#include "text_analysis.h"

namespace salesos::ai {
namespace {

// ---- Phrase tables ---------------------------------------------------------------------------

struct Phrases {
  std::string_view lang;
  std::string_view price;          // {product} {price}
  std::string_view price_unknown;  // {product}
  std::string_view discount;
  std::string_view includes;   // {list}
  std::string_view feature;    // {product} {feature}
  std::string_view knowledge;  // {title} {quote}
  std::string_view cannot_answer;
  std::string_view not_understood;
  std::string_view handoff_human;
  std::string_view handoff_complaint;
  std::string_view complaint_soft;
  std::string_view handoff_low;
  std::string_view thanks_answer;
  std::string_view all_answered;
  std::string_view anything_else;
  std::string_view hello;
  std::string_view greeting_generic;
  std::string_view greeting_business;  // {business}
  std::string_view greeting_again;
  std::string_view how_can_help;
  std::string_view smalltalk_thanks;
  std::string_view smalltalk_howareyou;
  std::string_view smalltalk_bye;
  std::string_view smalltalk_ack;
  std::string_view objection_generic;
  std::string_view objection_interest;
  std::string_view closing_generic;
  std::string_view our_product;
  std::array<std::string_view, 3> quick;  // price, features, person
};

constexpr Phrases kPhrases[] = {
    {"en",
     "The price of {product} is {price}.",
     "I don't have the price of {product} at hand and I'd rather not guess. A member of our team "
     "can confirm it for you.",
     "I can't promise any discount on that price here.",
     "It includes: {list}.",
     "{product} includes: {feature}.",
     "From \"{title}\": {quote}",
     "I'm not sure about that and I'd rather not guess. Could you tell me a bit more, or shall I "
     "ask a member of our team?",
     "Sorry, I'm not sure I understood. Could you tell me a bit more?",
     "Of course. I'm passing the conversation to a member of our team; they will reply here "
     "shortly.",
     "I'm very sorry about this. I'm passing your message to a member of our team right away so "
     "they can sort it out.",
     "I'm sorry to hear that. Could you tell me a bit more so we can help?",
     "I want to make sure you get the right answer, so I'm passing the conversation to a member "
     "of our team. They will reply here shortly.",
     "Thank you!",
     "Thank you, that's everything I needed.",
     "Is there anything else you'd like to know?",
     "Hello!",
     "Hello! How can I help you?",
     "Hello! Welcome to {business}. How can I help you?",
     "Hello again! How can I help you?",
     "How can I help you?",
     "You're welcome!",
     "I'm doing well, thank you for asking!",
     "Thank you for writing to us. Have a great day!",
     "Great!",
     "I understand. If anything would help you decide, I'm happy to answer your questions.",
     "Understood, thank you for letting me know. If you change your mind, I'm here.",
     "Great! A member of our team will help you complete your order.",
     "our product",
     {"How much is it?", "What's included?", "Talk to a person"}},
    {"es",
     "El precio de {product} es {price}.",
     "No tengo el precio de {product} a mano y prefiero no adivinarlo. Una persona de nuestro "
     "equipo puede confirmártelo.",
     "Aquí no puedo prometerte ningún descuento sobre ese precio.",
     "Incluye: {list}.",
     "{product} incluye: {feature}.",
     "Según «{title}»: {quote}",
     "No estoy seguro de eso y prefiero no inventar. ¿Me cuentas un poco más, o prefieres que se "
     "lo pregunte a alguien del equipo?",
     "Perdona, no estoy seguro de haberte entendido. ¿Me lo puedes explicar un poco más?",
     "¡Claro! Paso la conversación a una persona de nuestro equipo; te responderá aquí en breve.",
     "Lo siento mucho. Paso tu mensaje ahora mismo a una persona de nuestro equipo para que lo "
     "resuelva.",
     "Siento oír eso. ¿Me cuentas un poco más para poder ayudarte?",
     "Quiero asegurarme de que recibes la respuesta correcta, así que paso la conversación a una "
     "persona de nuestro equipo. Te responderá aquí en breve.",
     "¡Gracias!",
     "¡Gracias, eso es todo lo que necesitaba!",
     "¿Hay algo más que quieras saber?",
     "¡Hola!",
     "¡Hola! ¿En qué puedo ayudarte?",
     "¡Hola! Bienvenido a {business}. ¿En qué puedo ayudarte?",
     "¡Hola de nuevo! ¿En qué puedo ayudarte?",
     "¿En qué puedo ayudarte?",
     "¡De nada!",
     "¡Muy bien, gracias por preguntar!",
     "¡Gracias por escribirnos! Que tengas un buen día.",
     "¡Perfecto!",
     "Lo entiendo. Si algo te ayuda a decidir, respondo encantado a tus preguntas.",
     "Entendido, gracias por decírmelo. Si cambias de opinión, aquí estaré.",
     "¡Genial! Una persona de nuestro equipo te ayudará a completar tu pedido.",
     "nuestro producto",
     {"¿Cuánto cuesta?", "¿Qué incluye?", "Hablar con una persona"}},
    {"fr",
     "Le prix de {product} est de {price}.",
     "Je n'ai pas le prix de {product} sous la main et je préfère ne pas deviner. Un membre de "
     "notre équipe peut vous le confirmer.",
     "Je ne peux vous promettre aucune réduction sur ce prix ici.",
     "Cela comprend : {list}.",
     "{product} comprend : {feature}.",
     "D'après « {title} » : {quote}",
     "Je ne suis pas sûr de la réponse et je préfère ne pas inventer. Pouvez-vous m'en dire un "
     "peu plus, ou voulez-vous que je demande à un membre de l'équipe ?",
     "Désolé, je ne suis pas sûr d'avoir compris. Pouvez-vous m'en dire un peu plus ?",
     "Bien sûr. Je transmets la conversation à un membre de notre équipe ; il vous répondra ici "
     "très bientôt.",
     "Je suis vraiment désolé. Je transmets votre message tout de suite à un membre de notre "
     "équipe pour qu'il règle cela.",
     "Je suis désolé d'entendre cela. Pouvez-vous m'en dire un peu plus pour que nous puissions "
     "vous aider ?",
     "Je veux être sûr que vous ayez la bonne réponse : je transmets la conversation à un membre "
     "de notre équipe, qui vous répondra ici très bientôt.",
     "Merci !",
     "Merci, c'est tout ce dont j'avais besoin !",
     "Y a-t-il autre chose que vous aimeriez savoir ?",
     "Bonjour !",
     "Bonjour ! Comment puis-je vous aider ?",
     "Bonjour et bienvenue chez {business} ! Comment puis-je vous aider ?",
     "Re-bonjour ! Comment puis-je vous aider ?",
     "Comment puis-je vous aider ?",
     "Avec plaisir !",
     "Très bien, merci de demander !",
     "Merci de nous avoir écrit, bonne journée !",
     "Parfait !",
     "Je comprends. Si quelque chose peut vous aider à décider, je réponds volontiers à vos "
     "questions.",
     "C'est noté, merci de me l'avoir dit. Si vous changez d'avis, je suis là.",
     "Parfait ! Un membre de notre équipe va vous aider à finaliser votre commande.",
     "notre produit",
     {"Combien ça coûte ?", "Qu'est-ce qui est inclus ?", "Parler à quelqu'un"}},
    {"de",
     "Der Preis für {product} beträgt {price}.",
     "Den Preis für {product} habe ich gerade nicht vorliegen, und ich möchte nicht raten. "
     "Jemand aus unserem Team kann ihn Ihnen bestätigen.",
     "Einen Rabatt auf diesen Preis kann ich Ihnen hier leider nicht zusagen.",
     "Enthalten ist: {list}.",
     "{product} bietet: {feature}.",
     "Laut „{title}“: {quote}",
     "Da bin ich mir nicht sicher, und ich möchte nichts Falsches sagen. Können Sie mir etwas "
     "mehr erzählen, oder soll ich jemanden aus dem Team fragen?",
     "Entschuldigung, ich bin nicht sicher, ob ich Sie richtig verstanden habe. Können Sie mir "
     "etwas mehr dazu sagen?",
     "Gern. Ich gebe das Gespräch an jemanden aus unserem Team weiter; Sie bekommen hier in Kürze "
     "eine Antwort.",
     "Das tut mir sehr leid. Ich gebe Ihre Nachricht sofort an jemanden aus unserem Team weiter, "
     "damit es geklärt wird.",
     "Das tut mir leid. Können Sie mir etwas mehr erzählen, damit wir helfen können?",
     "Damit Sie sicher die richtige Antwort bekommen, gebe ich das Gespräch an jemanden aus "
     "unserem Team weiter. Sie bekommen hier in Kürze eine Antwort.",
     "Danke!",
     "Danke, das ist alles, was ich wissen wollte!",
     "Möchten Sie sonst noch etwas wissen?",
     "Hallo!",
     "Hallo! Wie kann ich helfen?",
     "Hallo und willkommen bei {business}! Wie kann ich helfen?",
     "Hallo nochmal! Wie kann ich helfen?",
     "Wie kann ich helfen?",
     "Gern geschehen!",
     "Mir geht es gut, danke der Nachfrage!",
     "Danke für Ihre Nachricht und einen schönen Tag!",
     "Prima!",
     "Das verstehe ich. Wenn Ihnen etwas bei der Entscheidung hilft, beantworte ich gern Ihre "
     "Fragen.",
     "Verstanden, danke für die Rückmeldung. Falls Sie es sich anders überlegen, bin ich hier.",
     "Wunderbar! Jemand aus unserem Team hilft Ihnen, die Bestellung abzuschließen.",
     "unser Produkt",
     {"Was kostet es?", "Was ist enthalten?", "Mit einer Person sprechen"}},
    {"pt",
     "O preço de {product} é {price}.",
     "Não tenho o preço de {product} aqui e prefiro não chutar. Uma pessoa da nossa equipe pode "
     "confirmar para você.",
     "Não consigo prometer nenhum desconto sobre esse preço por aqui.",
     "Inclui: {list}.",
     "{product} inclui: {feature}.",
     "Segundo \"{title}\": {quote}",
     "Não tenho certeza sobre isso e prefiro não inventar. Pode me contar um pouco mais, ou "
     "prefere que eu pergunte a alguém da equipe?",
     "Desculpe, acho que não entendi. Pode me explicar um pouco melhor?",
     "Claro! Vou passar a conversa para uma pessoa da nossa equipe; ela vai responder aqui em "
     "breve.",
     "Sinto muito por isso. Vou passar sua mensagem agora mesmo para uma pessoa da nossa equipe "
     "resolver.",
     "Sinto muito por isso. Pode me contar um pouco mais para podermos ajudar?",
     "Quero ter certeza de que você recebe a resposta certa, então vou passar a conversa para "
     "uma pessoa da nossa equipe. Ela vai responder aqui em breve.",
     "Obrigado!",
     "Obrigado, era tudo o que eu precisava saber!",
     "Quer saber mais alguma coisa?",
     "Olá!",
     "Olá! Como posso ajudar?",
     "Olá! Obrigado por falar com {business}. Como posso ajudar?",
     "Olá de novo! Como posso ajudar?",
     "Como posso ajudar?",
     "Por nada!",
     "Tudo ótimo, obrigado por perguntar!",
     "Obrigado pela mensagem, tenha um ótimo dia!",
     "Perfeito!",
     "Entendo. Se algo puder ajudar na sua decisão, fico feliz em responder às suas perguntas.",
     "Entendido, obrigado por avisar. Se mudar de ideia, estou por aqui.",
     "Ótimo! Uma pessoa da nossa equipe vai ajudar você a concluir o pedido.",
     "nosso produto",
     {"Quanto custa?", "O que está incluído?", "Falar com uma pessoa"}},
};

const Phrases& PhrasesFor(std::string_view language) {
  for (const auto& p : kPhrases) {
    if (p.lang == language) {
      return p;
    }
  }
  return kPhrases[0];
}

std::string Fill(std::string_view pattern,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '{') {
      const size_t close = pattern.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view name = pattern.substr(i + 1, close - i - 1);
        bool replaced = false;
        for (const auto& [key, value] : values) {
          if (key == name) {
            out.append(value);
            replaced = true;
            break;
          }
        }
        if (replaced) {
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(pattern[i]);
    ++i;
  }
  return out;
}

// ---- Matching the question against the campaign and the knowledge base ----------------------

// Words that say nothing about what the customer asks about.
const std::unordered_set<std::string_view>& FillerKeys() {
  static const auto* kSet = new std::unordered_set<std::string_view>{
      // greetings and politeness
      "hi",
      "hello",
      "hey",
      "hola",
      "holaa",
      "buenas",
      "bonjour",
      "bonsoir",
      "salut",
      "coucou",
      "hallo",
      "moin",
      "servus",
      "ola",
      "oi",
      "bom",
      "dia",
      "tarde",
      "noite",
      "guten",
      "tag",
      "morgen",
      "abend",
      "please",
      "favor",
      "bitte",
      "merci",
      "thanks",
      "gracias",
      "obrigado",
      "obrigada",
      "danke",
      "tal",
      "buenos",
      "dias",
      "bjr",
      "plait",
      // asking
      "tell",
      "know",
      "want",
      "like",
      "need",
      "would",
      "question",
      "info",
      "information",
      "details",
      "detail",
      "more",
      "saber",
      "quiero",
      "quero",
      "queria",
      "quisiera",
      "voudrais",
      "veux",
      "mochte",
      "wissen",
      "frage",
      "pregunta",
      "question",
      "duda",
      "dúvida",
      "duvida",
      "exactly",
      "exactamente",
      "exactement",
      "genau",
      "exatamente",
      "also",
      "tambien",
      "aussi",
      "auch",
      "tambem",
      "hmm",
      "faites",
      "faire",
      "fait",
      "kann",
      "muss",
      "viel",
      "got",
      "get",
      "there",
      "hay",
      "tem",
      "tiene",
      "tienen",
      "gibt",
      "avez",
      "ok",
      "okay",
      "vale",
      "nice",
      "cool",
      "tudo",
      "bien",
      "bem",
      "thing",
      "cosa",
      "chose",
      "coisa",
      "something",
      "algo",
      "quelque",
      "etwas",
      "alguma",
      "algum",
      "really",
      "please",
      "puedo",
      "posso",
      "peux",
      "pode",
      "puede",
      "podria",
      "could",
      "voces",
      "vcs",
      "nehme",
      "exactly",
      "product",
      "producto",
      "produit",
      "produkt",
      "produto",
      "offer",
      "include",
      "included",
      "incluye",
      "inclui",
      "incluido",
      "comprend",
      "enthalten",
      "use",
      "usar",
      "utiliser",
      "nutzen",
      "one",
      "uno",
      "una",
      "um",
      "uma",
  };
  return *kSet;
}

// The words of a question that say what it is about, stemmed in the customer's language.
std::vector<std::string> QueryKeys(std::string_view text, std::string_view language) {
  std::vector<std::string> out;
  const auto& filler = FillerKeys();
  for (auto& k : ContentKeys(text)) {
    if (!filler.count(k) && !(k.size() > 0 && std::isdigit(static_cast<unsigned char>(k[0])))) {
      std::string stem = LightStem(k, language);
      if (std::find(out.begin(), out.end(), stem) == out.end()) {
        out.push_back(std::move(stem));
      }
    }
  }
  return out;
}

bool Contains(const std::vector<std::string>& keys, std::string_view key) {
  return std::any_of(keys.begin(), keys.end(), [&](const auto& k) { return SameKey(k, key); });
}

struct DocMatch {
  int matched = 0;           // query keys found
  int matched_specific = 0;  // of which are not topic words, or name the passage's title
  double weight = 0;         // sum of 1 / (1 + document frequency) of the matched keys
  bool Evidence() const { return matched_specific >= 1 || matched >= 2; }
};

struct Corpus {
  std::vector<std::vector<std::string>> docs;  // keys of each document
  std::vector<std::string> product_keys;

  int DocumentFrequency(std::string_view key) const {
    int df = 0;
    for (const auto& d : docs) {
      df += Contains(d, key) ? 1 : 0;
    }
    return df;
  }
  // Words of the product's name, or found in 3 or more documents, are the topic of every
  // question; alone they do not show that a document answers this one.
  bool IsTopic(std::string_view key) const {
    return Contains(product_keys, key) || DocumentFrequency(key) >= 3;
  }
  DocMatch Match(const std::vector<std::string>& query, const std::vector<std::string>& doc,
                 const std::vector<std::string>& title = {}) const {
    DocMatch m;
    for (const auto& q : query) {
      if (!Contains(doc, q)) {
        continue;
      }
      ++m.matched;
      // A word of the passage's title counts as specific unless it names the product.
      m.matched_specific +=
          !IsTopic(q) || (Contains(title, q) && !Contains(product_keys, q)) ? 1 : 0;
      m.weight += 1.0 / (1.0 + DocumentFrequency(q));
    }
    return m;
  }
};

std::vector<std::string> SplitSentences(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    current.push_back(c);
    const bool end = (c == '.' || c == '!' || c == '?' || c == '\n') &&
                     (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n');
    if (end) {
      while (!current.empty() && (current.front() == ' ' || current.front() == '\n')) {
        current.erase(current.begin());
      }
      while (!current.empty() && current.back() == '\n') {
        current.pop_back();
      }
      if (!current.empty()) {
        out.push_back(current);
      }
      current.clear();
    }
  }
  while (!current.empty() && current.front() == ' ') {
    current.erase(current.begin());
  }
  if (!current.empty()) {
    out.push_back(current);
  }
  return out;
}

// A sentence or two of a passage: the one that covers the question best and the next one; the
// whole passage when it is two sentences or less, or when no sentence matches on its own.
std::string Quote(std::string_view passage, const std::vector<std::string>& query) {
  constexpr size_t kMaxQuote = 320;
  const auto sentences = SplitSentences(passage);
  auto cut = [&](std::string s) {
    if (s.size() > kMaxQuote) {
      size_t at = s.rfind(' ', kMaxQuote);
      s = s.substr(0, at == std::string::npos ? kMaxQuote : at) + "…";
    }
    return s;
  };
  if (sentences.size() <= 2) {
    return cut(std::string(passage));
  }
  int best = -1;
  int best_hits = 0;
  for (size_t i = 0; i < sentences.size(); ++i) {
    const auto keys = ContentKeys(sentences[i]);
    int hits = 0;
    for (const auto& q : query) {
      // The start of a compound counts too ("zoll" in "zollgebuhren").
      const bool found =
          Contains(keys, q) ||
          (q.size() >= 4 && std::any_of(keys.begin(), keys.end(),
                                        [&](const auto& k) { return k.rfind(q, 0) == 0; }));
      hits += found ? 1 : 0;
    }
    if (hits > best_hits) {
      best_hits = hits;
      best = static_cast<int>(i);
    }
  }
  if (best < 0) {
    return cut(sentences[0] + " " + sentences[1]);
  }
  std::string out = sentences[best];
  if (static_cast<size_t>(best) + 1 < sentences.size() && out.size() < 120) {
    out += " " + sentences[best + 1];
  }
  return cut(out);
}

struct ProductAnswer {
  bool confident = false;
  std::vector<std::string> lines;
  std::vector<KnowledgeHit> sources;
};

std::string ProductName(const ReplyInput& in, const Phrases& p) {
  if (in.campaign && !in.campaign->product_name.empty()) {
    return in.campaign->product_name;
  }
  if (!in.business_name.empty()) {
    return in.business_name;
  }
  return std::string(p.our_product);
}

std::string Overview(const CampaignFacts& c, const Phrases& p) {
  std::string out = c.product_description;
  if (!c.features.empty()) {
    std::string list;
    for (size_t i = 0; i < c.features.size(); ++i) {
      list += (i ? "; " : "") + c.features[i];
    }
    if (!out.empty()) {
      out += "\n";
    }
    out += Fill(p.includes, {{"list", list}});
  }
  return out;
}

std::vector<KnowledgeHit> SearchKnowledge(const ReplyInput& in, std::string_view text) {
  if (in.knowledge == nullptr) {
    return {};
  }
  return in.knowledge->Search(text, 3);
}

// The language the campaign is written in (its texts may differ from the customer's).
std::string CampaignLanguage(const CampaignFacts& c, std::string_view fallback) {
  std::string all = c.product_description + "\n" + c.greeting + "\n" + c.closing_message;
  for (const auto& f : c.features) {
    all += "\n" + f;
  }
  for (const auto& q : c.qualification_questions) {
    all += "\n" + q;
  }
  return DetectLanguage(all, fallback);
}

ProductAnswer AnswerProduct(const ReplyInput& in, std::string_view text, std::string_view language,
                            const IntentResult& r, const Phrases& p) {
  ProductAnswer out;
  const auto query = QueryKeys(text, language);
  const auto hits = SearchKnowledge(in, text);

  Corpus corpus;
  const CampaignFacts* c = in.campaign ? &*in.campaign : nullptr;
  const std::string doc_language =
      c != nullptr ? CampaignLanguage(*c, language) : std::string(language);
  if (c != nullptr) {
    corpus.product_keys = ContentKeys(c->product_name, doc_language);
    corpus.docs.push_back(ContentKeys(c->product_description, doc_language));
    for (const auto& f : c->features) {
      corpus.docs.push_back(ContentKeys(f, doc_language));
    }
  }
  std::vector<std::vector<std::string>> hit_keys;
  std::vector<std::vector<std::string>> hit_titles;
  for (const auto& h : hits) {
    const std::string hit_language = DetectLanguage(h.title + "\n" + h.text, doc_language);
    hit_keys.push_back(ContentKeys(h.title + " " + h.text, hit_language));
    hit_titles.push_back(ContentKeys(h.title, hit_language));
    corpus.docs.push_back(hit_keys.back());
  }

  // The most specific feature that the question names.
  int best_feature = -1;
  DocMatch feature_match;
  if (c != nullptr) {
    for (size_t i = 0; i < c->features.size(); ++i) {
      const DocMatch m = corpus.Match(query, corpus.docs[i + 1]);
      if (m.Evidence() && m.weight > feature_match.weight) {
        feature_match = m;
        best_feature = static_cast<int>(i);
      }
    }
  }
  // The knowledge passage that covers the question best (the searcher's order breaks ties).
  int best_hit = -1;
  DocMatch hit_match;
  for (size_t i = 0; i < hits.size(); ++i) {
    const DocMatch m = corpus.Match(query, hit_keys[i], hit_titles[i]);
    if (m.Evidence() && m.matched > hit_match.matched) {
      hit_match = m;
      best_hit = static_cast<int>(i);
    }
  }

  // "What is it?", "What does it include?", or a question about nothing but the product itself.
  const bool only_topic =
      std::all_of(query.begin(), query.end(), [&](const auto& q) { return corpus.IsTopic(q); });
  const std::string product = ProductName(in, p);
  if (c != nullptr && (query.empty() || (r.tag == "features" && only_topic))) {
    const std::string overview = Overview(*c, p);
    if (!overview.empty()) {
      out.lines.push_back(overview);
      out.confident = true;
      return out;
    }
  }

  const bool use_feature = best_feature >= 0 && feature_match.matched >= hit_match.matched;
  const bool use_hit =
      best_hit >= 0 && (hit_match.matched >= feature_match.matched || hit_match.matched >= 2);
  if (use_feature) {
    out.lines.push_back(
        Fill(p.feature, {{"product", product}, {"feature", c->features[best_feature]}}));
  }
  if (use_hit) {
    const auto& h = hits[best_hit];
    out.lines.push_back(Fill(p.knowledge, {{"title", h.title.empty() ? h.source : h.title},
                                           {"quote", Quote(h.text, ContentKeys(text))}}));
    out.sources.push_back(h);
  }
  if (!out.lines.empty()) {
    out.confident = true;
    return out;
  }

  // A question about the offer in general that no single fact answers.
  if (c != nullptr && (r.tag == "features" || only_topic)) {
    const std::string overview = Overview(*c, p);
    if (!overview.empty()) {
      out.lines.push_back(overview);
      out.confident = true;
      return out;
    }
  }
  // The description alone may answer it.
  if (c != nullptr && !corpus.docs.empty() && corpus.Match(query, corpus.docs[0]).Evidence() &&
      !c->product_description.empty()) {
    out.lines.push_back(c->product_description);
    out.confident = true;
  }
  return out;
}

// ---- The conversation so far ----------------------------------------------------------------

// The index of the qualification question `ai_text` asks, or -1.
int QuestionAsked(std::string_view ai_text, const std::vector<std::string>& questions) {
  const std::string text = Normalize(ai_text);
  int found = -1;
  size_t found_at = 0;
  for (size_t i = 0; i < questions.size(); ++i) {
    const std::string q = Normalize(questions[i]);
    if (q.empty()) {
      continue;
    }
    const size_t at = text.find(q);
    if (at != std::string::npos && (found < 0 || at >= found_at)) {
      found = static_cast<int>(i);
      found_at = at;
    }
  }
  return found;
}

struct TurnView {
  size_t index = 0;  // into ReplyInput::messages
  IntentResult intent;
  int awaiting = -1;  // the qualification question pending when the customer wrote this
};

struct History {
  std::vector<TurnView> customer_turns;  // every customer message, oldest first
  std::map<int, std::string> answers;    // question index → answer (recovered or given)
  bool answered_before = false;          // an AI or agent message precedes the last customer one
  bool purchase_seen = false;            // an earlier turn already showed purchase intent
};

ClassifierContext ContextFor(const ReplyInput& in, bool awaiting) {
  ClassifierContext ctx;
  ctx.awaiting_answer = awaiting;
  if (in.campaign) {
    for (const auto& o : in.campaign->objections) {
      ctx.objections.push_back(o.objection);
    }
  }
  return ctx;
}

History ReadHistory(const ReplyInput& in, size_t last_customer, const std::string& language) {
  History h;
  const std::vector<std::string> empty;
  const auto& questions = in.campaign ? in.campaign->qualification_questions : empty;
  int pending = -1;
  for (size_t i = 0; i <= last_customer; ++i) {
    const ChatMessage& m = in.messages[i];
    if (m.sender != "customer") {
      pending = QuestionAsked(m.text, questions);
      if (i < last_customer) {
        h.answered_before = true;
      }
      continue;
    }
    TurnView t;
    t.index = i;
    t.awaiting = pending;
    // Earlier turns are classified in the conversation's language: a short "ok" or "42" has none.
    t.intent = Classify(m.text, DetectLanguage(m.text, language), ContextFor(in, pending >= 0));
    if (i < last_customer) {
      if (t.intent.intent == Intent::kQualificationAnswer && pending >= 0 && in.answers.empty()) {
        h.answers[pending] = m.text;
      }
      if (t.intent.intent == Intent::kPurchaseIntent) {
        h.purchase_seen = true;
      }
    }
    pending = -1;
    h.customer_turns.push_back(std::move(t));
  }
  for (const auto& a : in.answers) {
    if (a.question_index >= 0 && static_cast<size_t>(a.question_index) < questions.size()) {
      h.answers[a.question_index] = a.answer;
    }
  }
  return h;
}

// Whether a customer turn is one the engine could not answer with confidence: not understood
// (intent other, or confidence under kLowConfidence), or a product question that neither the
// campaign nor the knowledge base answers.
bool LowConfidence(const ReplyInput& in, std::string_view text, std::string_view language,
                   const IntentResult& r, const Phrases& p) {
  if (r.intent == Intent::kOther || r.confidence < kLowConfidence) {
    return true;
  }
  if (r.intent == Intent::kProductQuestion) {
    return !AnswerProduct(in, text, language, r, p).confident;
  }
  return false;
}

int NextQuestion(const CampaignFacts* c, const std::map<int, std::string>& answers) {
  if (c == nullptr) {
    return -1;
  }
  for (size_t i = 0; i < c->qualification_questions.size(); ++i) {
    if (!answers.count(static_cast<int>(i)) && !c->qualification_questions[i].empty()) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    if (l.empty()) {
      continue;
    }
    if (!out.empty()) {
      out += "\n";
    }
    out += l;
  }
  return out;
}

}  // namespace

// CurrencyDecimals and FormatPrice are defined once, in ai_types.cpp (on libs/core money.h).

ReplyOutput BuiltinEngine::Reply(const ReplyInput& in) const {
  ReplyOutput out;
  const CampaignFacts* c = in.campaign ? &*in.campaign : nullptr;

  // The message to answer: the last customer one.
  int last = -1;
  for (int i = static_cast<int>(in.messages.size()) - 1; i >= 0; --i) {
    if (in.messages[i].sender == "customer") {
      last = i;
      break;
    }
  }

  // Language: the conversation's (all customer messages, the contact's locale as hint), then this
  // message's with the conversation's as hint.
  std::string all_customer_text;
  for (const auto& m : in.messages) {
    if (m.sender == "customer") {
      all_customer_text += m.text;
      all_customer_text += "\n";
    }
  }
  const std::string conversation_language = DetectLanguage(all_customer_text, in.contact.locale);
  const std::string text = last >= 0 ? in.messages[last].text : std::string();
  out.language = DetectLanguage(text, conversation_language);
  const Phrases& p = PhrasesFor(out.language);
  const std::string product = ProductName(in, p);

  if (last < 0) {
    // Nothing to answer yet: open the conversation.
    out.text = c != nullptr && !c->greeting.empty() ? c->greeting
               : in.business_name.empty()
                   ? std::string(p.greeting_generic)
                   : Fill(p.greeting_business, {{"business", in.business_name}});
    out.intent = Intent::kOther;
    out.sentiment = AnalyzeSentiment("");
    out.lead_score = ScoreLead(LeadSignals{&in.messages, {}, 0, 0, 0, in.now_ms});
    out.suggested_status = "new";
    return out;
  }

  History history = ReadHistory(in, static_cast<size_t>(last), conversation_language);
  // The history pass classified this message too, in out.language (same text, same hint).
  const TurnView& current = history.customer_turns.back();
  const IntentResult& r = current.intent;
  out.intent = r.intent;
  out.intent_confidence = r.confidence;
  out.sentiment = AnalyzeSentiment(text, out.language);

  std::vector<std::string> lines;
  const bool first_message = !history.answered_before;
  bool ask_next = false;
  bool low_confidence = false;

  switch (r.intent) {
    case Intent::kHumanRequest:
      out.handoff = {true, "human_request"};
      lines.emplace_back(p.handoff_human);
      break;

    case Intent::kComplaint:
      if (out.sentiment.label == "negative") {
        out.handoff = {true, "complaint"};
        lines.emplace_back(p.handoff_complaint);
      } else {
        lines.emplace_back(p.complaint_soft);
      }
      break;

    case Intent::kPriceQuestion:
      if (c != nullptr && c->has_price) {
        lines.push_back(Fill(
            p.price, {{"product", product}, {"price", FormatPrice(c->price_minor, c->currency)}}));
        if (r.tag == "discount") {
          lines.emplace_back(p.discount);
        }
      } else {
        lines.push_back(Fill(p.price_unknown, {{"product", product}}));
      }
      ask_next = true;
      break;

    case Intent::kProductQuestion: {
      ProductAnswer answer = AnswerProduct(in, text, out.language, r, p);
      if (answer.confident) {
        lines = std::move(answer.lines);
        out.sources = std::move(answer.sources);
        ask_next = true;
      } else {
        low_confidence = true;
        lines.emplace_back(p.cannot_answer);
      }
      break;
    }

    case Intent::kPurchaseIntent:
      lines.emplace_back(c != nullptr && !c->closing_message.empty()
                             ? c->closing_message
                             : std::string(p.closing_generic));
      break;

    case Intent::kObjection:
      if (c != nullptr && r.objection_index &&
          static_cast<size_t>(*r.objection_index) < c->objections.size() &&
          !c->objections[*r.objection_index].response.empty()) {
        lines.push_back(c->objections[*r.objection_index].response);
      } else {
        lines.emplace_back(r.tag == "interest" ? p.objection_interest : p.objection_generic);
      }
      break;

    case Intent::kQualificationAnswer: {
      if (current.awaiting >= 0) {
        QualificationAnswer a;
        a.question_index = current.awaiting;
        a.question = c->qualification_questions[current.awaiting];
        a.answer = text;
        history.answers[current.awaiting] = text;
        out.recorded_answer = a;
      }
      const int next = NextQuestion(c, history.answers);
      if (next >= 0) {
        lines.emplace_back(p.thanks_answer);
        ask_next = true;
      } else {
        lines.emplace_back(p.all_answered);
        lines.emplace_back(p.anything_else);
      }
      break;
    }

    case Intent::kGreeting:
      if (!first_message) {
        lines.emplace_back(NextQuestion(c, history.answers) >= 0 && !history.purchase_seen
                               ? p.hello
                               : p.greeting_again);
      }
      ask_next = true;
      break;

    case Intent::kSmalltalk:
      if (r.tag == "thanks") {
        lines.emplace_back(p.smalltalk_thanks);
      } else if (r.tag == "howareyou") {
        lines.emplace_back(p.smalltalk_howareyou);
      } else if (r.tag == "bye") {
        lines.emplace_back(p.smalltalk_bye);
      } else {
        lines.emplace_back(p.smalltalk_ack);
      }
      ask_next = r.tag != "bye";
      break;

    case Intent::kOther:
      low_confidence = true;
      if (!first_message) {
        lines.emplace_back(p.not_understood);
      }
      break;
  }
  low_confidence = low_confidence || r.confidence < kLowConfidence;

  // Two turns in a row the engine could not answer with confidence: a person takes over.
  if (low_confidence && !out.handoff.required && history.customer_turns.size() >= 2) {
    const TurnView& previous = history.customer_turns[history.customer_turns.size() - 2];
    const std::string& previous_text = in.messages[previous.index].text;
    if (LowConfidence(in, previous_text, DetectLanguage(previous_text, conversation_language),
                      previous.intent, p)) {
      out.handoff = {true, "low_confidence"};
      lines = {std::string(p.handoff_low)};
      ask_next = false;
    }
  }

  // The next qualification question, one at a time, in order; never after a purchase decision.
  const int next = NextQuestion(c, history.answers);
  if (ask_next && next >= 0 && !history.purchase_seen && !out.handoff.required) {
    lines.push_back(c->qualification_questions[next]);
    out.asked_question_index = next;
  } else if (ask_next && (r.intent == Intent::kGreeting || r.intent == Intent::kSmalltalk) &&
             lines.empty()) {
    lines.emplace_back(p.how_can_help);
  }

  // The campaign greeting opens the first answer (not a hand-off: a person speaks next).
  if (first_message && !out.handoff.required) {
    std::string greeting = c != nullptr && !c->greeting.empty() ? c->greeting
                           : in.business_name.empty()
                               ? std::string(p.greeting_generic)
                               : Fill(p.greeting_business, {{"business", in.business_name}});
    lines.insert(lines.begin(), std::move(greeting));
    if (r.intent == Intent::kOther && !out.asked_question_index) {
      lines.emplace_back(p.how_can_help);
    }
  }
  if (first_message && !out.handoff.required && !out.asked_question_index &&
      (r.intent == Intent::kGreeting || r.intent == Intent::kOther)) {
    out.quick_replies = {std::string(p.quick[0]), std::string(p.quick[1]), std::string(p.quick[2])};
  }
  out.text = JoinLines(lines);

  // Lead score and status.
  LeadSignals signals;
  signals.messages = &in.messages;
  for (const auto& t : history.customer_turns) {
    signals.customer_intents.push_back(t.intent.intent);
  }
  signals.answers_recorded = static_cast<int>(history.answers.size());
  signals.questions_total = c != nullptr ? static_cast<int>(c->qualification_questions.size()) : 0;
  signals.prior_message_count = in.contact.message_count;
  signals.now_ms = in.now_ms;
  out.lead_score = ScoreLead(signals);
  out.suggested_status =
      SuggestStatus(out.lead_score, r.intent, out.handoff.required, signals.answers_recorded,
                    signals.questions_total, static_cast<int>(history.customer_turns.size()));
  return out;
}

}  // namespace salesos::ai
