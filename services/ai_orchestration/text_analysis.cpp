#include "text_analysis.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace salesos::ai {

char32_t NextCodePoint(std::string_view text, size_t& i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++i;
    return kInvalidCodePoint;
  }
  if (i + len > text.size()) {
    ++i;
    return kInvalidCodePoint;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return kInvalidCodePoint;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms and surrogates are invalid too.
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    ++i;
    return kInvalidCodePoint;
  }
  i += len;
  return cp;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

char32_t LowerCodePoint(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') {
    return cp + 32;
  }
  if (cp < 0xC0) {
    return cp;
  }
  if (cp <= 0xDE) {
    return cp == 0xD7 ? cp : cp + 0x20;
  }
  if (cp >= 0x100 && cp <= 0x137) {
    return (cp % 2 == 0) ? cp + 1 : cp;
  }
  if (cp >= 0x139 && cp <= 0x148) {
    return (cp % 2 == 1) ? cp + 1 : cp;
  }
  if (cp >= 0x14A && cp <= 0x177) {
    return (cp % 2 == 0) ? cp + 1 : cp;
  }
  if (cp == 0x178) {
    return 0xFF;
  }
  if (cp >= 0x179 && cp <= 0x17E) {
    return (cp % 2 == 1) ? cp + 1 : cp;
  }
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) {
    return cp + 0x20;
  }
  if (cp >= 0x410 && cp <= 0x42F) {
    return cp + 0x20;
  }
  if (cp >= 0x400 && cp <= 0x40F) {
    return cp + 0x50;
  }
  return cp;
}

namespace {

// Base letters of U+00C0..U+00FF and U+0100..U+017F; '#' marks the multi-letter ones handled in
// FoldCodePoint, '=' a character that is not a letter (× ÷) and stays as it is.
constexpr std::string_view kFoldLatin1 =
    "AAAAAA#CEEEEIIIIDNOOOOO=OUUUUY##"
    "aaaaaa#ceeeeiiiidnooooo=ouuuuy#y";
constexpr std::string_view kFoldExtA =
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGg"
    "GgGgHhHhIiIiIiIiIi##JjKkkLlLlLlL"
    "lLlNnNnNnnNnOoOoOo##RrRrRrSsSsSs"
    "SsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

}  // namespace

std::string_view FoldCodePoint(char32_t cp) {
  switch (cp) {
    case 0xC6:
      return "AE";
    case 0xE6:
      return "ae";
    case 0xDE:
      return "TH";
    case 0xFE:
      return "th";
    case 0xDF:
      return "ss";
    case 0x132:
      return "IJ";
    case 0x133:
      return "ij";
    case 0x152:
      return "OE";
    case 0x153:
      return "oe";
    default:
      break;
  }
  if (cp >= 0xC0 && cp <= 0xFF) {
    const size_t k = cp - 0xC0;
    return kFoldLatin1[k] == '=' ? std::string_view{} : kFoldLatin1.substr(k, 1);
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    return kFoldExtA.substr(cp - 0x100, 1);
  }
  return {};
}

size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (char c : text) {
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

std::string Trim(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && blank(text.back())) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

bool ContainsAny(std::string_view text, const std::vector<std::string_view>& phrases) {
  return std::any_of(phrases.begin(), phrases.end(),
                     [&](std::string_view p) { return text.find(p) != std::string_view::npos; });
}

namespace {

bool IsAsciiAlnum(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
}

bool IsAsciiLetter(char32_t cp) { return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'); }

// Letters of scripts other than Latin that Normalize keeps as they are.
bool IsOtherScriptLetter(char32_t cp) {
  return (cp >= 0x0250 && cp <= 0x02AF) ||                                    // IPA extensions
         (cp >= 0x0370 && cp <= 0x1FFF && cp != 0x037E && cp != 0x0387) ||    // Greek .. Greek ext.
         (cp >= 0x3040 && cp <= 0x30FF) ||                                    // kana
         (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||  // CJK
         (cp >= 0xAC00 && cp <= 0xD7AF) ||                                    // Hangul
         (cp >= 0xF900 && cp <= 0xFAFF);
}

bool IsApostrophe(char32_t cp) { return cp == '\'' || cp == 0x2019 || cp == 0x02BC; }

bool IsLetterCodePoint(char32_t cp) {
  return IsAsciiLetter(cp) || !FoldCodePoint(cp).empty() || IsOtherScriptLetter(cp);
}

// Whether the apostrophe ending at text[i] (i is just past it) starts an English contraction
// suffix: t, s, m, d, ll, re, ve followed by a non-letter.
bool IsContractionSuffix(std::string_view text, size_t i) {
  std::string suffix;
  size_t j = i;
  while (j < text.size() && suffix.size() < 3) {
    size_t k = j;
    const char32_t cp = NextCodePoint(text, k);
    if (!IsAsciiLetter(cp)) {
      break;
    }
    suffix.push_back(static_cast<char>(LowerCodePoint(cp)));
    j = k;
  }
  if (j < text.size()) {
    size_t k = j;
    if (IsLetterCodePoint(NextCodePoint(text, k))) {
      return false;
    }
  }
  return suffix == "t" || suffix == "s" || suffix == "m" || suffix == "d" || suffix == "ll" ||
         suffix == "re" || suffix == "ve";
}

// ---- Stop words -----------------------------------------------------------------------------

struct LanguageLists {
  std::string_view code;
  std::string_view words;  // function words and frequent everyday words, folded, space-separated
};

// Used both for IsStopWord (the function words) and, with the domain words below, for detection.
constexpr LanguageLists kFunctionWords[] = {
    {"en",
     "the a an and or but is are was were be been being am i you he she it we they me him her us "
     "them my your his our their this that these those to of in on at for with from by about as "
     "into do does did doing dont doesnt didnt not no yes can could would should will shall may "
     "might must what which who whom whose how why when where there here have has had having just "
     "so if than then too very also any some all more most much many its im ive id youre theyre "
     "isnt arent cant wont wasnt ill get got one"},
    {"es",
     "el la los las un una unos unas y o u pero es son fue era ser estar esta estoy estan estas "
     "este esto eso esa ese esos esas de del al a en con sin por para que se su sus mi mis tu tus "
     "lo le les me te nos yo usted ustedes como cuando donde cual cuales quien cuanto cuanta "
     "cuantos cuantas muy mas tambien ya hay tiene tengo tienen si no pues porque ni hasta desde "
     "sobre entre"},
    {"fr",
     "le la les un une des et ou mais est sont etre suis es a au aux de du en dans sur avec sans "
     "pour par que qui quoi quel quelle quels quelles ce cet cette ces je tu il elle nous vous ils "
     "elles mon ma mes ton ta tes son sa ses leur leurs ne pas plus tres aussi deja oui non "
     "combien comment pourquoi quand y c qu j l d n s m t ai as avez avons ont"},
    {"de",
     "der die das den dem des ein eine einen einem einer eines und oder aber ist sind war bin "
     "bist sein haben hat habe hast ich du er sie es wir ihr mich mir dich dir uns euch mein "
     "meine dein deine ihre nicht kein keine keinen mit ohne fur von zu zum zur im in auf an am "
     "bei "
     "aus nach wie was wer wo wann warum welche welcher welches auch noch schon sehr ja nein ob "
     "dass gibt kann konnen man"},
    {"pt",
     "o a os as um uma uns umas e ou mas sao foi ser estar esta estou de do da dos das no na nos "
     "nas em com sem por para que se seu sua seus suas meu minha voce voces eu ele ela eles elas "
     "isso isto esse essa este nao sim muito mais tambem ja tem tenho como quando onde qual quanto "
     "quanta porque pra pro ao aos"},
};

// Everyday words that tell the languages apart in customer messages (not stop words).
constexpr LanguageLists kCueWords[] = {
    {"en",
     "hi hello hey thanks thank please price cost costs buy want need know help good great "
     "think interested order shipping like get much cheap expensive talk someone person human "
     "sure would well okay yeah yep"},
    {"es",
     "hola buenas buenos dias gracias precio cuesta vale comprar quiero queria necesito puedo "
     "envio bueno gracias tienen pedido gratis mucho caro ahora quisiera saber hablar persona "
     "alguien usted ustedes esto claro perfecto pienso"},
    {"fr",
     "bonjour salut bonsoir merci prix coute acheter veux voudrais besoin livraison cher trop "
     "peux avez suis bien parler quelqu personne commander cela ca alors oui vraiment tres "
     "cest est"},
    {"de",
     "hallo guten tag morgen danke bitte preis kostet kaufen mochte will brauche lieferung teuer "
     "gut haben sie ihnen konnen wurde gerne sprechen jemand mensch bestellen das ist nicht"},
    {"pt",
     "ola oi obrigado obrigada preco custa comprar quero preciso posso entrega caro voce tudo bem "
     "vou agora gostaria queria falar pessoa alguem atendente legal beleza entao bom boa noite "
     "vcs gente isso aqui tchau"},
};

constexpr std::string_view kLanguageOrder[] = {"en", "es", "fr", "de", "pt"};
constexpr int kLanguageCount = 5;

int LanguageIndex(std::string_view code) {
  for (int i = 0; i < kLanguageCount; ++i) {
    if (kLanguageOrder[i] == code) {
      return i;
    }
  }
  return -1;
}

template <typename F>
void ForEachWord(std::string_view words, F&& f) {
  size_t i = 0;
  while (i < words.size()) {
    while (i < words.size() && words[i] == ' ') {
      ++i;
    }
    size_t j = i;
    while (j < words.size() && words[j] != ' ') {
      ++j;
    }
    if (j > i) {
      f(words.substr(i, j - i));
    }
    i = j;
  }
}

const std::unordered_set<std::string_view>& StopWords() {
  static const auto* kSet = [] {
    auto* set = new std::unordered_set<std::string_view>();
    for (const auto& list : kFunctionWords) {
      ForEachWord(list.words, [&](std::string_view w) { set->insert(w); });
    }
    return set;
  }();
  return *kSet;
}

// Per word, its detection weight in each language: 1 split evenly over the languages that use it
// (a word of three languages says little), 1.5 for the everyday cue words.
using LanguageWeights = std::array<double, kLanguageCount>;

const std::unordered_map<std::string_view, LanguageWeights>& DetectionWeights() {
  static const auto* kMap = [] {
    auto* map = new std::unordered_map<std::string_view, LanguageWeights>();
    auto add = [&](const LanguageLists* lists, size_t n, double weight) {
      for (size_t l = 0; l < n; ++l) {
        const int li = LanguageIndex(lists[l].code);
        ForEachWord(lists[l].words, [&](std::string_view w) {
          auto& weights = (*map)[w];
          weights[li] = std::max(weights[li], weight);
        });
      }
    };
    add(kFunctionWords, std::size(kFunctionWords), 1.0);
    add(kCueWords, std::size(kCueWords), 1.5);
    for (auto& [word, weights] : *map) {
      int users = 0;
      for (double w : weights) {
        users += w > 0 ? 1 : 0;
      }
      for (double& w : weights) {
        w /= users;
      }
    }
    return map;
  }();
  return *kMap;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// Scores of the accented letters and punctuation that belong to some languages more than others.
void ScoreCharacters(std::string_view text, LanguageWeights& scores) {
  enum { kEn, kEs, kFr, kDe, kPt };
  size_t i = 0;
  while (i < text.size()) {
    const char32_t cp = LowerCodePoint(NextCodePoint(text, i));
    switch (cp) {
      case 0xF1:  // ñ
      case 0xBF:  // ¿
      case 0xA1:  // ¡
        scores[kEs] += 3;
        break;
      case 0xE3:  // ã
      case 0xF5:  // õ
        scores[kPt] += 3;
        break;
      case 0xE7:  // ç
        scores[kPt] += 1.2;
        scores[kFr] += 1.2;
        break;
      case 0xE1:  // á
        scores[kEs] += 0.8;
        scores[kPt] += 0.7;
        break;
      case 0xED:  // í
      case 0xF3:  // ó
      case 0xFA:  // ú
        scores[kEs] += 0.8;
        scores[kPt] += 0.5;
        break;
      case 0xE9:  // é
        scores[kEs] += 0.4;
        scores[kFr] += 0.6;
        scores[kPt] += 0.4;
        break;
      case 0xE2:  // â
      case 0xEA:  // ê
      case 0xF4:  // ô
        scores[kPt] += 0.9;
        scores[kFr] += 0.9;
        break;
      case 0xE0:  // à
        scores[kFr] += 1;
        scores[kPt] += 0.7;
        break;
      case 0xE8:   // è
      case 0xF9:   // ù
      case 0xFB:   // û
      case 0xEE:   // î
      case 0xEF:   // ï
      case 0xEB:   // ë
      case 0x153:  // œ
      case 0xAB:   // «
      case 0xBB:   // »
        scores[kFr] += 2;
        break;
      case 0xE4:  // ä
      case 0xF6:  // ö
      case 0xDF:  // ß
        scores[kDe] += 2.5;
        break;
      case 0xFC:  // ü
        scores[kDe] += 2;
        break;
      default:
        break;
    }
  }
}

// Scores of word shapes: -cion (es), -cao (pt), -ung/-keit (de), -eux/-eau (fr), -ing (en).
void ScoreShapes(const std::vector<std::string>& tokens, LanguageWeights& scores) {
  enum { kEn, kEs, kFr, kDe, kPt };
  for (const auto& t : tokens) {
    if (t.size() < 4) {
      continue;
    }
    if (EndsWith(t, "cion") || EndsWith(t, "ciones") || EndsWith(t, "dad")) {
      scores[kEs] += 1.5;
    } else if (EndsWith(t, "cao") || EndsWith(t, "coes") || EndsWith(t, "dade") ||
               EndsWith(t, "nh") || t.find("nh") != std::string::npos ||
               t.find("lh") != std::string::npos) {
      scores[kPt] += 1;
    } else if (EndsWith(t, "ung") || EndsWith(t, "keit") || EndsWith(t, "heit") ||
               EndsWith(t, "lich") || t.find("sch") != std::string::npos ||
               (StartsWith(t, "ge") && EndsWith(t, "t") && t.size() > 5)) {
      scores[kDe] += 1;
    } else if (EndsWith(t, "eux") || EndsWith(t, "eau") || EndsWith(t, "eaux") ||
               EndsWith(t, "oir")) {
      scores[kFr] += 1;
    } else if (EndsWith(t, "ing") || EndsWith(t, "ould") || t.find("th") != std::string::npos ||
               t.find("w") != std::string::npos) {
      scores[kEn] += 0.6;
    }
  }
}

}  // namespace

std::string ToLowerUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    const char32_t cp = NextCodePoint(text, i);
    if (cp == kInvalidCodePoint) {
      out.append(text.substr(start, i - start));  // keep the stray byte as it was
      continue;
    }
    AppendUtf8(out, LowerCodePoint(cp));
  }
  return out;
}

std::string FoldAccents(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    const char32_t cp = NextCodePoint(text, i);
    const std::string_view folded = FoldCodePoint(cp);
    if (folded.empty()) {
      out.append(text.substr(start, i - start));
    } else {
      out.append(folded);
    }
  }
  return out;
}

std::string Normalize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  auto append_letters = [&](std::string_view letters) {
    if (pending_space && !out.empty()) {
      out.push_back(' ');
    }
    pending_space = false;
    out.append(letters);
  };
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp = NextCodePoint(text, i);
    if (IsAsciiAlnum(cp)) {
      const char c = static_cast<char>(LowerCodePoint(cp));
      append_letters(std::string_view(&c, 1));
      continue;
    }
    if (IsApostrophe(cp)) {
      const bool after_letter =
          !pending_space && !out.empty() && IsAsciiLetter(static_cast<unsigned char>(out.back()));
      if (after_letter && IsContractionSuffix(text, i)) {
        continue;  // "don't" → "dont"
      }
      pending_space = true;
      continue;
    }
    cp = LowerCodePoint(cp);
    const std::string_view folded = FoldCodePoint(cp);
    if (!folded.empty()) {
      std::string lower(folded);
      for (char& c : lower) {
        c = static_cast<char>(LowerCodePoint(static_cast<unsigned char>(c)));
      }
      append_letters(lower);
      continue;
    }
    if (IsOtherScriptLetter(cp)) {
      std::string utf8;
      AppendUtf8(utf8, cp);
      append_letters(utf8);
      continue;
    }
    pending_space = true;
  }
  return out;
}

std::vector<std::string> Tokenize(std::string_view text) {
  const std::string normal = Normalize(text);
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < normal.size()) {
    size_t j = normal.find(' ', i);
    if (j == std::string::npos) {
      j = normal.size();
    }
    if (j > i) {
      tokens.emplace_back(normal.substr(i, j - i));
    }
    i = j + 1;
  }
  return tokens;
}

std::vector<std::string> TokenizeClauses(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  auto flush = [&](size_t end) {
    auto tokens = Tokenize(text.substr(start, end - start));
    if (!tokens.empty() && !out.empty() && out.back() != kClauseBreak) {
      out.emplace_back(kClauseBreak);
    }
    for (auto& t : tokens) {
      out.push_back(std::move(t));
    }
  };
  auto is_digit = [&](size_t k) { return k < text.size() && text[k] >= '0' && text[k] <= '9'; };
  size_t i = 0;
  while (i < text.size()) {
    const size_t at = i;
    const char32_t cp = NextCodePoint(text, i);
    bool boundary = cp == '!' || cp == '?' || cp == ';' || cp == 0x2026 || cp == 0xBF ||
                    cp == 0xA1 || cp == '\n';
    if (cp == '.' || cp == ',') {
      boundary = !(at > 0 && is_digit(at - 1) && is_digit(at + 1));
    }
    if (boundary) {
      flush(at);
      start = i;
    }
  }
  flush(text.size());
  if (!out.empty() && out.back() == kClauseBreak) {
    out.pop_back();
  }
  return out;
}

bool IsStopWord(std::string_view token) { return StopWords().count(token) > 0; }

std::vector<std::string_view> SplitList(std::string_view list, char separator) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const size_t end = list.find(separator);
    out.push_back(list.substr(0, end));
    list = end == std::string_view::npos ? std::string_view{} : list.substr(end + 1);
  }
  return out;
}

std::string LightStem(std::string_view token, std::string_view language) {
  std::string t(token);
  if (t.size() <= 3) {
    return t;
  }
  // Removes the first suffix of `suffixes` that `t` ends with, keeping a stem of 3 letters or
  // more; a suffix written "a>b" is replaced by b.
  auto strip_first = [&](std::initializer_list<std::string_view> suffixes) {
    for (std::string_view rule : suffixes) {
      std::string_view suffix = rule;
      std::string_view replacement;
      if (const size_t arrow = rule.find('>'); arrow != std::string_view::npos) {
        suffix = rule.substr(0, arrow);
        replacement = rule.substr(arrow + 1);
      }
      if (EndsWith(t, suffix) && t.size() - suffix.size() + replacement.size() >= 3 &&
          t.size() > suffix.size()) {
        t = t.substr(0, t.size() - suffix.size()) + std::string(replacement);
        return true;
      }
    }
    return false;
  };
  if (language == "es") {
    strip_first({"ciones>cion", "aron", "ieron", "amos", "emos", "imos", "iendo",
                 "ando",        "ados", "idos",  "adas", "idas", "ado",  "ido",
                 "ada",         "ida",  "ar",    "er",   "ir",   "an",   "en",
                 "as",          "es",   "os",    "a",    "e",    "o",    "s"});
    return t;
  }
  if (language == "pt") {
    strip_first({"coes>cao", "oes>ao", "aes>ao", "aram", "eram", "iram", "amos", "emos", "imos",
                 "ando",     "endo",   "indo",   "ados", "idos", "adas", "idas", "ado",  "ido",
                 "ada",      "ida",    "ar",     "er",   "ir",   "am",   "em",   "ns>m", "as",
                 "es",       "os",     "a",      "e",    "o",    "s"});
    return t;
  }
  if (language == "fr") {
    strip_first({"aux>al", "issons", "issez", "aient", "ions", "iez", "ons", "ez", "ent", "ait",
                 "ais", "er", "ir", "es", "e", "s", "x"});
    return t;
  }
  if (language == "de") {
    strip_first({"ungen>ung", "heiten>heit", "keiten>keit", "ern", "est", "en", "er", "es", "em",
                 "et", "e", "n", "s"});
    return t;
  }
  // English (and any other language).
  if (strip_first({"ies>y", "ied>y", "sses>ss"})) {
    return t;
  }
  if (t.size() > 6 && strip_first({"ations", "ation", "ings", "ing"})) {
    return t;
  }
  if (t.size() > 5 && strip_first({"ed"})) {
    return t;
  }
  if (EndsWith(t, "xes") || EndsWith(t, "ches") || EndsWith(t, "shes") || EndsWith(t, "zes")) {
    strip_first({"es"});
  } else if (EndsWith(t, "s") && !EndsWith(t, "ss") && !EndsWith(t, "us") && !EndsWith(t, "is")) {
    strip_first({"s"});
  }
  return t;
}

std::vector<std::string> ContentKeys(std::string_view text, std::string_view language) {
  std::vector<std::string> keys;
  for (auto& t : Tokenize(text)) {
    if (t.size() < 2 || IsStopWord(t)) {
      continue;
    }
    if (t.size() > 4 && t.back() == 's' && t[t.size() - 2] != 's') {
      t.pop_back();
    }
    if (!language.empty()) {
      t = LightStem(t, language);
    }
    if (std::find(keys.begin(), keys.end(), t) == keys.end()) {
      keys.push_back(std::move(t));
    }
  }
  return keys;
}

bool SameKey(std::string_view a, std::string_view b) {
  if (a == b) {
    return true;
  }
  const size_t shorter = std::min(a.size(), b.size());
  const size_t longer = std::max(a.size(), b.size());
  size_t common = 0;
  while (common < shorter && a[common] == b[common]) {
    ++common;
  }
  if (common >= 5 && common * 4 >= shorter * 3 && longer * 10 <= shorter * 16) {
    return true;
  }
  // A word of 6 letters or more inside a compound ("bereit" in "zubereitung").
  const std::string_view small = a.size() < b.size() ? a : b;
  const std::string_view big = a.size() < b.size() ? b : a;
  return small.size() >= 6 && big.find(small) != std::string_view::npos;
}

std::string LanguageOfLocale(std::string_view locale) {
  if (locale.size() < 2) {
    return "";
  }
  std::string code;
  code.push_back(static_cast<char>(LowerCodePoint(static_cast<unsigned char>(locale[0]))));
  code.push_back(static_cast<char>(LowerCodePoint(static_cast<unsigned char>(locale[1]))));
  if (locale.size() > 2 && locale[2] != '_' && locale[2] != '-') {
    return "";
  }
  return LanguageIndex(code) >= 0 ? code : "";
}

std::string DetectLanguage(std::string_view text, std::string_view hint_locale) {
  std::string fallback = LanguageOfLocale(hint_locale);
  if (fallback.empty()) {
    fallback = "en";
  }
  LanguageWeights scores{};
  const auto tokens = Tokenize(text);
  const auto& weights = DetectionWeights();
  for (const auto& t : tokens) {
    const auto it = weights.find(t);
    if (it == weights.end()) {
      continue;
    }
    for (int l = 0; l < kLanguageCount; ++l) {
      scores[l] += it->second[l];
    }
  }
  ScoreCharacters(text, scores);
  ScoreShapes(tokens, scores);

  int best = 0;
  for (int l = 1; l < kLanguageCount; ++l) {
    if (scores[l] > scores[best]) {
      best = l;
    }
  }
  // Too little evidence: a word shared by two languages, an emoji, a number.
  if (scores[best] < 1.0) {
    return fallback;
  }
  // A close call goes to the hint: the conversation's language is the better prior.
  const int hint = LanguageIndex(fallback);
  if (!LanguageOfLocale(hint_locale).empty() && scores[hint] >= scores[best] - 1.0) {
    return std::string(kLanguageOrder[hint]);
  }
  return std::string(kLanguageOrder[best]);
}

// ---- PhraseMatcher ---------------------------------------------------------------------------

namespace {
constexpr size_t kPrefixKey = 3;
constexpr int kMaxGap = 3;
}  // namespace

int PhraseMatcher::Add(std::string_view pattern) {
  const int id = static_cast<int>(phrases_.size());
  std::vector<Element> elements;
  ForEachWord(pattern, [&](std::string_view word) {
    if (word == "~") {
      if (!elements.empty() && !elements.back().gap) {
        elements.push_back(Element{"", false, true});
      }
      return;
    }
    const bool prefix = word.size() > 1 && word.back() == '*';
    if (prefix) {
      word.remove_suffix(1);
    }
    const auto parts = Tokenize(word);
    for (size_t k = 0; k < parts.size(); ++k) {
      const bool last = k + 1 == parts.size();
      elements.push_back(Element{parts[k], prefix && last && parts[k].size() >= kPrefixKey, false});
    }
  });
  while (!elements.empty() && elements.back().gap) {
    elements.pop_back();
  }
  if (!elements.empty()) {
    const Element& first = elements.front();
    if (first.prefix) {
      by_first_prefix_[first.text.substr(0, kPrefixKey)].push_back(id);
    } else {
      by_first_word_[first.text].push_back(id);
    }
  }
  phrases_.push_back(std::move(elements));
  return id;
}

int PhraseMatcher::MatchAt(const std::vector<Element>& phrase, size_t element,
                           const std::vector<std::string>& tokens, size_t position) const {
  if (element == phrase.size()) {
    return static_cast<int>(position);
  }
  const Element& e = phrase[element];
  if (e.gap) {
    for (int skip = 0; skip <= kMaxGap && position + skip <= tokens.size(); ++skip) {
      if (skip > 0 && tokens[position + skip - 1] == kClauseBreak) {
        break;
      }
      const int end = MatchAt(phrase, element + 1, tokens, position + skip);
      if (end >= 0) {
        return end;
      }
    }
    return -1;
  }
  if (position >= tokens.size()) {
    return -1;
  }
  const std::string& t = tokens[position];
  const bool ok = e.prefix ? StartsWith(t, e.text) : t == e.text;
  return ok ? MatchAt(phrase, element + 1, tokens, position + 1) : -1;
}

std::vector<PhraseMatcher::Match> PhraseMatcher::FindAll(
    const std::vector<std::string>& tokens) const {
  std::vector<Match> out;
  std::vector<int> candidates;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    candidates.clear();
    if (const auto it = by_first_word_.find(tokens[pos]); it != by_first_word_.end()) {
      candidates.insert(candidates.end(), it->second.begin(), it->second.end());
    }
    if (tokens[pos].size() >= kPrefixKey) {
      if (const auto it = by_first_prefix_.find(tokens[pos].substr(0, kPrefixKey));
          it != by_first_prefix_.end()) {
        candidates.insert(candidates.end(), it->second.begin(), it->second.end());
      }
    }
    std::sort(candidates.begin(), candidates.end());
    for (int id : candidates) {
      const int end = MatchAt(phrases_[id], 0, tokens, pos);
      if (end >= 0) {
        out.push_back(Match{id, static_cast<int>(pos), end});
      }
    }
  }
  return out;
}

std::vector<PhraseMatcher::Match> PhraseMatcher::FindOutermost(
    const std::vector<std::string>& tokens) const {
  const std::vector<Match> all = FindAll(tokens);
  std::vector<Match> out;
  for (const Match& a : all) {
    const bool nested = std::any_of(all.begin(), all.end(), [&](const Match& b) {
      return b.begin <= a.begin && a.end <= b.end && b.end - b.begin > a.end - a.begin;
    });
    if (!nested) {
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace salesos::ai
