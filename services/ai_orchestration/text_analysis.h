#pragma once

// Text utilities shared by the built-in engine, the knowledge index and the summariser: UTF-8
// aware lowercasing and accent folding for Latin scripts, normalisation, tokenisation, stop words,
// a light stemmer and language detection over the five languages the engine speaks (en, es, fr,
// de, pt).
//
// Every function is pure, deterministic and safe to call from many threads at once (the word lists
// are built once, on first use). Input need not be valid UTF-8: a byte that does not start a valid
// sequence is treated as a separator and never read past the end of the input.

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace salesos::ai {

// ---- Code points ------------------------------------------------------------------------------
// The UTF-8 steps the functions below are built from, for code that walks text itself (the
// knowledge index's analyser, the chunker, the sentiment analyser's emoji).

// What NextCodePoint returns for a byte that does not start a valid UTF-8 sequence: no code point.
inline constexpr char32_t kInvalidCodePoint = 0xFFFFFFFF;

// The code point of the UTF-8 sequence at text[i] (i < text.size()), advancing i past it. A byte
// that does not start a valid sequence (truncated, overlong, a surrogate, above U+10FFFF) gives
// kInvalidCodePoint and advances i by one.
char32_t NextCodePoint(std::string_view text, size_t& i);

// Appends the code point `cp` (at most U+10FFFF) to `out` as UTF-8.
void AppendUtf8(std::string& out, char32_t cp);

// `cp` lowercased as ToLowerUtf8 lowercases it; anything else unchanged.
char32_t LowerCodePoint(char32_t cp);

// The ASCII letters the accented Latin letter `cp` folds to as FoldAccents folds it, case kept
// ("é" → "e", "Æ" → "AE"); empty for anything else (ASCII, × and ÷ included).
std::string_view FoldCodePoint(char32_t cp);

// The code points of `text`: its bytes that are not UTF-8 continuation bytes.
size_t CodePoints(std::string_view text);

// ---- Text -------------------------------------------------------------------------------------

// `text` without leading and trailing ASCII spaces, tabs, CRs and LFs.
std::string Trim(std::string_view text);

// Whether `text` contains one of `phrases`. The phrase lists of the assistant and the summariser
// are written " word word" and found in " " + Normalize(text) + " ".
bool ContainsAny(std::string_view text, const std::vector<std::string_view>& phrases);

// Lowercases ASCII, Latin-1 Supplement (À..Þ), Latin Extended-A (Ā..Ž), basic Greek and Cyrillic
// capital letters; every other code point is copied unchanged. Accents are kept ("École" →
// "école").
std::string ToLowerUtf8(std::string_view text);

// Replaces each accented Latin letter (Latin-1 Supplement and Latin Extended-A, both cases) by its
// unaccented base letter(s) and keeps its case: "é" → "e", "Ñ" → "N", "ç" → "c", "ß" → "ss",
// "æ" → "ae", "œ" → "oe", "ø" → "o", "þ" → "th". Everything else is copied unchanged.
std::string FoldAccents(std::string_view text);

// The form every matcher compares: lowercased, accents folded, and every character that is not a
// letter or a digit (ASCII punctuation, Unicode punctuation such as ¿ ¡ « » “ ” … –, symbols,
// emoji) turned into a separator; runs of separators become one ASCII space, with no leading or
// trailing space. Letters of non-Latin scripts (Greek, Cyrillic, CJK, Hangul, ...) are kept as they
// are. An apostrophe between letters joins an English contraction ("don't" → "dont", "it's" →
// "its", "I'm" → "im"; suffixes t, s, m, d, ll, re, ve) and separates anything else
// ("l'offre" → "l offre", "qu'il" → "qu il"). Digits are kept, so "49.99" → "49 99".
// Example: "¿Cuánto CUESTA el envío? 😀" → "cuanto cuesta el envio".
std::string Normalize(std::string_view text);

// Normalize(text) split on its spaces: the tokens, in order. Never returns an empty token.
std::vector<std::string> Tokenize(std::string_view text);

// The token TokenizeClauses puts between clauses. Normalize never produces it.
inline constexpr std::string_view kClauseBreak = "|";

// Tokenize(text) with kClauseBreak between clauses, so that a negation or a phrase does not reach
// across a sentence: a clause ends at . ! ? ; , … ¿ ¡ (a '.' or ',' between two digits does not
// end one: "49.99"). Never starts or ends with kClauseBreak, never has two in a row.
std::vector<std::string> TokenizeClauses(std::string_view text);

// True when `token` (a Tokenize() token: lowercase, folded) is a function word of any of en, es,
// fr, de, pt ("the", "de", "que", "und", "est", "o", ...). Content words ("price", "envio") are
// not.
bool IsStopWord(std::string_view token);

// A light suffix stripper for a Tokenize() token in `language` (en/es/fr/de/pt; anything else:
// English rules), so that forms of one word meet when matching: plurals everywhere, and the
// common verb and gender endings of es/pt/fr/de ("prices" → "price", "envios" / "envio" / "envian"
// → "envi", "pesan" / "peso" → "pes", "lieferungen" → "lieferung", "livrez" → "livr"). The stem is
// for comparison, not for display. Tokens of 3 characters or fewer are returned unchanged, and a
// stem keeps at least 3 characters.
std::string LightStem(std::string_view token, std::string_view language);

// The words of `text` that carry meaning, for overlap matching across languages: Tokenize(text)
// without stop words and one-letter tokens, each with a final plural "s" removed when longer than
// 4 letters ("features" → "feature", "envios" → "envio") and, when `language` is given, through
// LightStem(word, language). In order, duplicates removed.
std::vector<std::string> ContentKeys(std::string_view text, std::string_view language = {});

// Whether two ContentKeys() keys name the same thing: equal; or sharing a prefix of at least 5
// letters that covers 3/4 of the shorter one while the longer is at most 1.6 times as long
// ("integrate" ~ "integration", "impermeable" ~ "impermeables", "llegar" ~ "llegan"; not
// "sales" ~ "salesforce"); or the shorter, of 6 letters or more, inside the longer (German
// compounds: "bereit" ~ "zubereitung").
bool SameKey(std::string_view a, std::string_view b);

// The language of `text`, one of "en", "es", "fr", "de", "pt", from stop-word and character-pattern
// scores (ñ ¿ ¡, ã õ ç, è ê œ, ä ö ü ß, -ción, -ção, ...). When the text is short or ambiguous (no
// clear winner) the answer is the language of `hint_locale` ("fr_FR", "pt-BR", "de" → "fr", "pt",
// "de") if it is one of the five, else "en". Deterministic.
std::string DetectLanguage(std::string_view text, std::string_view hint_locale = {});

// The language part of a locale if it is one of the five ("es_MX" → "es"), else "".
std::string LanguageOfLocale(std::string_view locale);

// The entries of a `separator`-separated list, in order: "a;b c" → "a", "b c". An empty entry
// between two separators is kept, a trailing separator adds none.
std::vector<std::string_view> SplitList(std::string_view list, char separator = ';');

// Whether one of the `window` tokens before tokens[begin], in the same clause (not across a
// kClauseBreak), is at a position p with is_negation(p): the negation check of the lexicons.
template <typename IsNegation>
bool NegatedBefore(const std::vector<std::string>& tokens, int begin, int window,
                   IsNegation&& is_negation) {
  for (int p = begin - 1; p >= std::max(0, begin - window); --p) {
    if (tokens[p] == kClauseBreak) {
      return false;
    }
    if (is_negation(p)) {
      return true;
    }
  }
  return false;
}

// A set of phrases compiled once and found in Tokenize() tokens; the lexicons of the intent
// classifier and the sentiment analyser are built on it.
//
// Pattern syntax: words separated by spaces, written naturally (each is normalised like the text,
// so "¿Cuánto?" and "don't" work); a word ending in '*' matches any token that starts with it
// ("pric*" matches "price", "prices", "pricing"; at least 3 letters before the '*'); a lone '~'
// matches a gap of 0 to 3 tokens ("want ~ buy" matches "want to buy", "want buy"). A pattern
// never starts or ends with '~'. No phrase matches across a kClauseBreak token.
//
// Add() is not thread-safe; once built, a matcher is read-only and FindAll may be called from many
// threads at once.
class PhraseMatcher {
 public:
  struct Match {
    int phrase = 0;  // the id Add() returned
    int begin = 0;   // first token
    int end = 0;     // one past the last token
  };

  // Compiles `pattern` and returns its id (0, 1, 2, ... in call order). A pattern that normalises
  // to nothing still gets an id but never matches.
  int Add(std::string_view pattern);

  // Every occurrence of every phrase in `tokens`, ordered by begin then phrase id; at each
  // position a phrase matches at most once (the shortest gap wins).
  std::vector<Match> FindAll(const std::vector<std::string>& tokens) const;

  // FindAll without the matches that lie inside a strictly longer match, so that a longer phrase
  // wins over the words inside it ("not working" over "working"). Same order.
  std::vector<Match> FindOutermost(const std::vector<std::string>& tokens) const;

  size_t size() const { return phrases_.size(); }

 private:
  struct Element {
    std::string text;
    bool prefix = false;
    bool gap = false;
  };
  int MatchAt(const std::vector<Element>& phrase, size_t element,
              const std::vector<std::string>& tokens, size_t position) const;

  std::vector<std::vector<Element>> phrases_;
  std::unordered_map<std::string, std::vector<int>> by_first_word_;
  std::unordered_map<std::string, std::vector<int>> by_first_prefix_;  // keyed by 3 letters
};

}  // namespace salesos::ai
