#include "bm25_index.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "text_analysis.h"

namespace salesos::ai {
namespace {

// The analyser's own rules (what a term is, its stop words, its stemmer) are for ranking, so they
// are not the conversation matchers' (text_analysis.h Tokenize, IsStopWord, LightStem): it keeps
// letters of every script, makes each CJK character a term, and keeps words such as "hat", "sin"
// or "one" that name products. The UTF-8 walking, lowercasing and accent folding are shared.

enum class Kind {
  kSeparator,
  kSkip,      // combining marks and variation selectors: part of the letter before
  kLetter,    // appended (lowercased where we know how) to the current term
  kIdeograph  // a term of its own (Chinese, Japanese: no spaces between words)
};

bool InRange(char32_t cp, char32_t first, char32_t last) { return cp >= first && cp <= last; }

Kind Classify(char32_t cp) {
  if (cp == kInvalidCodePoint) {
    return Kind::kSeparator;
  }
  if (cp < 0x80) {
    bool alnum = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    return alnum ? Kind::kLetter : Kind::kSeparator;
  }
  if (cp < 0xC0) {
    return Kind::kSeparator;  // Latin-1 punctuation and symbols
  }
  if (InRange(cp, 0x2B0, 0x2FF)) {
    return Kind::kSeparator;  // spacing modifier letters
  }
  if (InRange(cp, 0x300, 0x36F) || InRange(cp, 0xFE00, 0xFE0F) || cp >= 0xE0000) {
    return Kind::kSkip;
  }
  if (InRange(cp, 0x2000, 0x2BFF) || InRange(cp, 0x2E00, 0x2E7F) || InRange(cp, 0x3000, 0x303F) ||
      InRange(cp, 0xE000, 0xF8FF) || InRange(cp, 0xFE10, 0xFE6F) || cp == 0xFEFF ||
      InRange(cp, 0xFFF0, 0xFFFF) || InRange(cp, 0x1F000, 0x1FAFF)) {
    return Kind::kSeparator;  // punctuation, symbols, arrows, emoji, private use
  }
  if (InRange(cp, 0x2E80, 0x2FFF) || InRange(cp, 0x3040, 0x30FF) || InRange(cp, 0x3100, 0x9FFF) ||
      InRange(cp, 0xF900, 0xFAFF) || InRange(cp, 0xFF66, 0xFF9F) || InRange(cp, 0x20000, 0x3FFFF)) {
    return Kind::kIdeograph;
  }
  if (InRange(cp, 0xFF00, 0xFFEF)) {
    bool alnum =
        InRange(cp, 0xFF10, 0xFF19) || InRange(cp, 0xFF21, 0xFF3A) || InRange(cp, 0xFF41, 0xFF5A);
    return alnum ? Kind::kLetter : Kind::kSeparator;
  }
  return Kind::kLetter;
}

// Appends the letter `cp` lowercased and accent-folded; false when it is a separator after all.
bool AppendLetter(std::string& term, char32_t cp) {
  if (cp == 0xD7 || cp == 0xF7) {
    return false;  // × ÷
  }
  if (InRange(cp, 0xFF10, 0xFF19)) {
    term.push_back(static_cast<char>('0' + (cp - 0xFF10)));  // full-width digits
    return true;
  }
  if (InRange(cp, 0xFF21, 0xFF3A) || InRange(cp, 0xFF41, 0xFF5A)) {
    term.push_back(static_cast<char>('a' + (cp - (cp >= 0xFF41 ? 0xFF41 : 0xFF21))));
    return true;
  }
  cp = LowerCodePoint(cp);
  if (const std::string_view folded = FoldCodePoint(cp); !folded.empty()) {
    term.append(folded);  // lowercase already: the fold of a lowercase letter
  } else {
    AppendUtf8(term, cp);
  }
  return true;
}

// Function words of en, es, fr, de, pt, accent-folded. Words that are also common content words
// in another of the languages ("hat", "fur", "war", "son", "sin", "pour" in English) are left out.
const std::unordered_set<std::string_view>& StopWords() {
  static const std::unordered_set<std::string_view> kWords = {
      // en
      "about",
      "after",
      "again",
      "all",
      "also",
      "am",
      "an",
      "and",
      "any",
      "are",
      "as",
      "at",
      "be",
      "been",
      "before",
      "being",
      "both",
      "but",
      "by",
      "can",
      "could",
      "did",
      "do",
      "does",
      "doing",
      "each",
      "for",
      "from",
      "had",
      "has",
      "have",
      "having",
      "he",
      "her",
      "here",
      "hers",
      "him",
      "his",
      "how",
      "if",
      "in",
      "into",
      "is",
      "it",
      "its",
      "just",
      "me",
      "might",
      "more",
      "most",
      "must",
      "my",
      "no",
      "nor",
      "not",
      "of",
      "off",
      "on",
      "once",
      "only",
      "or",
      "other",
      "our",
      "ours",
      "out",
      "own",
      "same",
      "shall",
      "she",
      "should",
      "so",
      "some",
      "such",
      "than",
      "that",
      "the",
      "their",
      "them",
      "then",
      "there",
      "these",
      "they",
      "this",
      "those",
      "to",
      "too",
      "up",
      "very",
      "was",
      "we",
      "were",
      "what",
      "when",
      "where",
      "which",
      "while",
      "who",
      "whom",
      "why",
      "will",
      "with",
      "would",
      "you",
      "your",
      "yours",
      "im",
      "ive",
      "dont",
      "doesnt",
      "please",
      // es
      "al",
      "algo",
      "como",
      "con",
      "cual",
      "cuales",
      "cuando",
      "de",
      "del",
      "donde",
      "el",
      "ella",
      "ellas",
      "ellos",
      "en",
      "era",
      "es",
      "esa",
      "ese",
      "eso",
      "esta",
      "estan",
      "estas",
      "este",
      "esto",
      "estos",
      "fue",
      "ha",
      "han",
      "hay",
      "la",
      "las",
      "le",
      "les",
      "lo",
      "los",
      "mas",
      "me",
      "mi",
      "mis",
      "muy",
      "nos",
      "nosotros",
      "os",
      "para",
      "pero",
      "por",
      "porque",
      "que",
      "quien",
      "se",
      "ser",
      "si",
      "sobre",
      "su",
      "sus",
      "tambien",
      "te",
      "ti",
      "tu",
      "tus",
      "un",
      "una",
      "unas",
      "uno",
      "unos",
      "usted",
      "ustedes",
      "ya",
      "yo",
      // fr
      "au",
      "aux",
      "avec",
      "ce",
      "ces",
      "cet",
      "cette",
      "dans",
      "des",
      "du",
      "elle",
      "elles",
      "est",
      "et",
      "etre",
      "eux",
      "il",
      "ils",
      "je",
      "leur",
      "leurs",
      "lui",
      "ma",
      "mais",
      "mes",
      "moi",
      "mon",
      "ne",
      "notre",
      "nous",
      "ou",
      "par",
      "pas",
      "pour",
      "qu",
      "quel",
      "quelle",
      "quels",
      "quelles",
      "qui",
      "quoi",
      "sa",
      "ses",
      "sont",
      "sur",
      "ta",
      "tes",
      "toi",
      "vos",
      "votre",
      "vous",
      "avez",
      "avoir",
      "suis",
      "sommes",
      "etes",
      "ont",
      // de
      "am",
      "auch",
      "auf",
      "aus",
      "bei",
      "bin",
      "bist",
      "das",
      "dass",
      "dem",
      "den",
      "der",
      "des",
      "die",
      "dir",
      "du",
      "ein",
      "eine",
      "einem",
      "einen",
      "einer",
      "eines",
      "er",
      "es",
      "euch",
      "habe",
      "haben",
      "ich",
      "ihr",
      "ihre",
      "im",
      "ist",
      "mich",
      "mir",
      "mit",
      "nicht",
      "noch",
      "nur",
      "oder",
      "sein",
      "seine",
      "sie",
      "sind",
      "uber",
      "um",
      "und",
      "uns",
      "vom",
      "von",
      "was",
      "welche",
      "wie",
      "wir",
      "wird",
      "wo",
      "zu",
      "zum",
      "zur",
      // pt
      "ao",
      "aos",
      "as",
      "com",
      "da",
      "das",
      "do",
      "dos",
      "ela",
      "elas",
      "ele",
      "eles",
      "em",
      "essa",
      "esse",
      "esta",
      "este",
      "eu",
      "isso",
      "isto",
      "meu",
      "minha",
      "na",
      "nas",
      "no",
      "nos",
      "num",
      "numa",
      "os",
      "para",
      "pela",
      "pelo",
      "qual",
      "quais",
      "quando",
      "se",
      "seu",
      "sua",
      "suas",
      "seus",
      "sao",
      "tem",
      "um",
      "uma",
      "umas",
      "uns",
      "voce",
      "voces",
  };
  return kWords;
}

bool IsVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

bool HasVowel(std::string_view s) { return std::any_of(s.begin(), s.end(), IsVowel); }

bool IsAsciiWord(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// A light suffix stemmer for folded lowercase Latin words: plurals (-s, -es, -ies) of all five
// languages, English -ing and -ed, and a final -e, so that "shoes"/"shoe", "prices"/"pricing",
// "shipping"/"shipped"/"ship", "colores"/"color" and "schuhe"/"schuh" meet. Words of three letters
// or fewer stay as they are.
void Stem(std::string& w) {
  if (w.size() < 4 || !IsAsciiWord(w)) {
    return;
  }
  if (w.ends_with("ies") && w.size() > 4) {
    w.resize(w.size() - 3);
    w.push_back('y');
  } else if (w.ends_with("sses") || w.ends_with("xes") || w.ends_with("zes") ||
             w.ends_with("ches") || w.ends_with("shes")) {
    w.resize(w.size() - 2);
  } else if (w.ends_with("s") && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is")) {
    w.pop_back();
  }
  bool stripped = false;
  if (w.ends_with("ing") && w.size() >= 6 &&
      HasVowel(std::string_view(w).substr(0, w.size() - 3))) {
    w.resize(w.size() - 3);
    stripped = true;
  } else if (w.ends_with("ed") && w.size() >= 5 &&
             HasVowel(std::string_view(w).substr(0, w.size() - 2))) {
    w.resize(w.size() - 2);
    stripped = true;
  }
  if (stripped && w.size() >= 3) {
    char last = w.back();
    if (last == w[w.size() - 2] && !IsVowel(last) && last != 'l' && last != 's' && last != 'z') {
      w.pop_back();  // shipp → ship, runn → run
    }
  }
  if (w.size() >= 4 && w.back() == 'e') {
    w.pop_back();
  }
}

void FinishTerm(std::string& term, std::vector<std::string>& out) {
  if (term.empty()) {
    return;
  }
  bool single_letter = term.size() == 1 && !(term[0] >= '0' && term[0] <= '9');
  bool has_digit =
      std::any_of(term.begin(), term.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!single_letter && StopWords().count(term) == 0) {
    if (!has_digit) {
      Stem(term);
    }
    out.push_back(std::move(term));
  }
  term.clear();
}

std::vector<std::string> AnalyzeText(std::string_view text) {
  std::vector<std::string> out;
  std::string term;
  for (size_t i = 0; i < text.size();) {
    size_t start = i;
    const char32_t cp = NextCodePoint(text, i);
    switch (Classify(cp)) {
      case Kind::kSeparator:
        FinishTerm(term, out);
        break;
      case Kind::kSkip:
        break;
      case Kind::kLetter:
        if (!AppendLetter(term, cp)) {
          FinishTerm(term, out);
        }
        break;
      case Kind::kIdeograph:
        FinishTerm(term, out);
        out.emplace_back(text.substr(start, i - start));
        break;
    }
  }
  FinishTerm(term, out);
  return out;
}

}  // namespace

std::vector<std::string> Bm25Index::Analyze(std::string_view text) { return AnalyzeText(text); }

Bm25Index::Bm25Index(std::vector<KnowledgeChunk> chunks, Bm25Params params)
    : chunks_(std::move(chunks)) {
  const size_t n = chunks_.size();
  doc_group_.resize(n, 0);
  std::unordered_map<std::string, std::vector<std::pair<uint32_t, uint32_t>>> frequencies;
  std::vector<size_t> lengths(n, 0);
  size_t total_length = 0;
  for (size_t d = 0; d < n; ++d) {
    const KnowledgeChunk& c = chunks_[d];
    if (!c.campaign_id.empty()) {
      auto [it, added] = groups_.emplace(c.campaign_id, static_cast<uint32_t>(groups_.size() + 1));
      doc_group_[d] = it->second;
    }
    std::vector<std::string> terms = AnalyzeText(c.title);
    std::vector<std::string> body = AnalyzeText(c.text);
    terms.insert(terms.end(), std::make_move_iterator(body.begin()),
                 std::make_move_iterator(body.end()));
    lengths[d] = terms.size();
    total_length += terms.size();
    std::sort(terms.begin(), terms.end());
    for (size_t i = 0; i < terms.size();) {
      size_t j = i;
      while (j < terms.size() && terms[j] == terms[i]) {
        ++j;
      }
      frequencies[terms[i]].emplace_back(static_cast<uint32_t>(d), static_cast<uint32_t>(j - i));
      i = j;
    }
  }
  const double avg_length = n == 0 || total_length == 0
                                ? 1.0
                                : static_cast<double>(total_length) / static_cast<double>(n);
  postings_.reserve(frequencies.size());
  for (auto& [term, docs] : frequencies) {
    const double df = static_cast<double>(docs.size());
    const double idf = std::log(1.0 + (static_cast<double>(n) - df + 0.5) / (df + 0.5));
    std::vector<Posting> list;
    list.reserve(docs.size());
    for (auto [doc, tf_count] : docs) {
      const double tf = static_cast<double>(tf_count);
      const double norm =
          params.k1 * (1.0 - params.b + params.b * static_cast<double>(lengths[doc]) / avg_length);
      list.push_back({doc, idf * tf * (params.k1 + 1.0) / (tf + norm)});
    }
    postings_.emplace(term, std::move(list));
  }
}

uint32_t Bm25Index::GroupOf(std::string_view campaign_id) const {
  if (campaign_id.empty()) {
    return kAllGroups;
  }
  auto it = groups_.find(std::string(campaign_id));
  return it == groups_.end() ? kWorkspaceOnly : it->second;
}

std::vector<KnowledgeHit> Bm25Index::Search(std::string_view query, int k) const {
  return SearchGroup(query, k, kAllGroups);
}

std::vector<KnowledgeHit> Bm25Index::SearchCampaign(std::string_view query, int k,
                                                    std::string_view campaign_id) const {
  return SearchGroup(query, k, GroupOf(campaign_id));
}

std::vector<KnowledgeHit> Bm25Index::SearchGroup(std::string_view query, int k,
                                                 uint32_t group) const {
  if (k <= 0 || chunks_.empty()) {
    return {};
  }
  std::vector<std::string> terms = AnalyzeText(query);
  // Each distinct term once, in one fixed order, so equal queries sum to equal scores.
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());

  std::vector<double> scores(chunks_.size(), 0.0);
  std::vector<uint32_t> matched;
  for (const auto& term : terms) {
    auto it = postings_.find(term);
    if (it == postings_.end()) {
      continue;
    }
    for (const Posting& p : it->second) {
      uint32_t g = doc_group_[p.doc];
      if (group != kAllGroups && g != 0 && g != group) {
        continue;
      }
      if (scores[p.doc] == 0.0) {
        matched.push_back(p.doc);
      }
      scores[p.doc] += p.weight;
    }
  }
  auto better = [&](uint32_t a, uint32_t b) {
    if (scores[a] != scores[b]) {
      return scores[a] > scores[b];
    }
    if (chunks_[a].position != chunks_[b].position) {
      return chunks_[a].position < chunks_[b].position;
    }
    return chunks_[a].id < chunks_[b].id;
  };
  size_t take = std::min(matched.size(), static_cast<size_t>(k));
  std::partial_sort(matched.begin(), matched.begin() + static_cast<std::ptrdiff_t>(take),
                    matched.end(), better);
  std::vector<KnowledgeHit> hits;
  hits.reserve(take);
  for (size_t i = 0; i < take; ++i) {
    const KnowledgeChunk& c = chunks_[matched[i]];
    if (scores[matched[i]] <= 0.0) {
      break;
    }
    hits.push_back({c.id, c.source, c.title, c.text, scores[matched[i]]});
  }
  return hits;
}

namespace {

class CampaignView final : public KnowledgeSearcher {
 public:
  CampaignView(std::shared_ptr<const Bm25Index> index, std::string campaign_id)
      : index_(std::move(index)), campaign_id_(std::move(campaign_id)) {}

  std::vector<KnowledgeHit> Search(std::string_view query, int k) const override {
    return index_->SearchCampaign(query, k, campaign_id_);
  }

 private:
  std::shared_ptr<const Bm25Index> index_;
  std::string campaign_id_;
};

}  // namespace

std::shared_ptr<const KnowledgeSearcher> ForCampaign(std::shared_ptr<const Bm25Index> index,
                                                     const std::string& campaign_id) {
  if (campaign_id.empty()) {
    return index;
  }
  return std::make_shared<CampaignView>(std::move(index), campaign_id);
}

}  // namespace salesos::ai
