#include "chunker.h"

#include <algorithm>
#include <map>
#include <set>

#include "salesos/crypto/hash.h"
#include "text_analysis.h"

namespace salesos::ai {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Valid UTF-8 without NUL bytes (PostgreSQL stores neither), "\r\n" and "\r" as "\n".
std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '\0') {
      out += kReplacement;
      ++i;
      continue;
    }
    if (s[i] == '\r') {
      out.push_back('\n');
      i += (i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    const size_t start = i;
    if (NextCodePoint(s, i) == kInvalidCodePoint) {
      out += kReplacement;  // i moved one byte on
      continue;
    }
    out.append(s.substr(start, i - start));
  }
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Closing quotes and brackets that may follow a sentence's final punctuation.
std::string_view StripClosers(std::string_view w) {
  static constexpr std::string_view kClosers[] = {
      "\"", "'", ")", "]", "\xE2\x80\x9D" /* ” */, "\xE2\x80\x99" /* ’ */, "\xC2\xBB" /* » */};
  bool stripped = true;
  while (stripped && !w.empty()) {
    stripped = false;
    for (auto closer : kClosers) {
      if (EndsWith(w, closer)) {
        w.remove_suffix(closer.size());
        stripped = true;
      }
    }
  }
  return w;
}

// Sentence-final punctuation: . ! ? … and the CJK full-width 。！？.
constexpr std::string_view kSentenceEnds[] = {
    ".", "!", "?", "\xE2\x80\xA6", "\xE3\x80\x82", "\xEF\xBC\x81", "\xEF\xBC\x9F"};

bool EndsSentence(std::string_view word) {
  word = StripClosers(word);
  for (auto end : kSentenceEnds) {
    if (EndsWith(word, end)) {
      return true;
    }
  }
  return false;
}

// A word longer than `max_bytes` cut between code points (never inside a UTF-8 sequence),
// preferably right after a CJK full stop in the second half of each piece.
std::vector<std::string_view> SplitLongWord(std::string_view word, size_t max_bytes) {
  std::vector<std::string_view> pieces;
  max_bytes = std::max<size_t>(max_bytes, 8);
  while (word.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(word[cut]) & 0xC0) == 0x80) {
      --cut;  // back to the start of the sequence that straddles the limit
    }
    for (size_t k = cut; k > max_bytes / 2; --k) {
      std::string_view head = word.substr(0, k);
      if (EndsWith(head, "\xE3\x80\x82") || EndsWith(head, "\xEF\xBC\x81") ||
          EndsWith(head, "\xEF\xBC\x9F")) {
        cut = k;
        break;
      }
    }
    if (cut == 0) {
      cut = max_bytes;  // cannot happen with sanitized input; never loop forever
    }
    pieces.push_back(word.substr(0, cut));
    word.remove_prefix(cut);
  }
  if (!word.empty()) {
    pieces.push_back(word);
  }
  return pieces;
}

enum class Break { kSpace, kLine, kParagraph };

// A sentence (or a piece of one that is longer than a chunk): what chunks are packed from.
struct Unit {
  std::string text;
  int words = 0;
  Break before = Break::kSpace;
};

std::vector<Unit> SplitIntoUnits(std::string_view text, const ChunkingOptions& options) {
  std::vector<Unit> units;
  const int max_words = std::max(1, options.max_words);
  Break pending = Break::kParagraph;
  bool blank_line = false;
  Unit current;
  auto flush = [&] {
    if (current.words > 0) {
      units.push_back(std::move(current));
    }
    current = Unit{};
  };
  auto add_word = [&](std::string_view word, bool ends_sentence) {
    if (current.words == 0) {
      current.before = units.empty() ? Break::kParagraph : pending;
      pending = Break::kSpace;
    } else {
      current.text.push_back(' ');
    }
    current.text.append(word);
    ++current.words;
    if (ends_sentence || current.words >= max_words ||
        current.text.size() >= options.max_chunk_bytes / 2) {
      flush();
    }
  };

  size_t line_start = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) {
      line_end = text.size();
    }
    std::string_view line = text.substr(line_start, line_end - line_start);
    bool has_words = false;
    for (size_t i = 0; i < line.size();) {
      if (IsSpace(line[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < line.size() && !IsSpace(line[j])) {
        ++j;
      }
      if (!has_words) {
        has_words = true;
        // A line after a blank line starts a paragraph; any other new line breaks a line.
        if (!units.empty() || current.words > 0) {
          flush();
          pending = blank_line ? Break::kParagraph : Break::kLine;
        }
        blank_line = false;
      }
      std::string_view word = line.substr(i, j - i);
      if (word.size() > options.max_word_bytes) {
        for (auto piece : SplitLongWord(word, options.max_word_bytes)) {
          add_word(piece, true);
        }
      } else {
        add_word(word, EndsSentence(word));
      }
      i = j;
    }
    if (!has_words) {
      blank_line = true;
    }
    if (line_end == text.size()) {
      break;
    }
    line_start = line_end + 1;
  }
  flush();
  return units;
}

std::string_view Separator(Break b) {
  switch (b) {
    case Break::kParagraph:
      return "\n\n";
    case Break::kLine:
      return "\n";
    case Break::kSpace:
      break;
  }
  return " ";
}

// Chunks of whole units: a chunk ends where the next unit would pass max_words (or
// max_chunk_bytes), or at a paragraph end once it has min_words. The next chunk of the same
// paragraph starts with the trailing units of the previous one that fit in overlap_words.
std::vector<std::string> PackUnits(const std::vector<Unit>& units, const ChunkingOptions& options,
                                   size_t max_chunks) {
  std::vector<std::string> chunks;
  std::vector<const Unit*> current;
  int words = 0;
  size_t bytes = 0;
  size_t overlap_units = 0;  // leading units of `current` that the previous chunk ends with
  auto text_of = [&] {
    std::string out;
    for (size_t i = 0; i < current.size(); ++i) {
      if (i > 0) {
        out.append(Separator(current[i]->before));
      }
      out.append(current[i]->text);
    }
    return out;
  };
  auto emit = [&](bool overlap) {
    chunks.push_back(text_of());
    std::vector<const Unit*> kept;
    int kept_words = 0;
    size_t kept_bytes = 0;
    if (overlap) {
      for (size_t i = current.size(); i > 1; --i) {  // never the whole chunk again
        const Unit* u = current[i - 1];
        if (kept_words + u->words > options.overlap_words) {
          break;
        }
        kept.insert(kept.begin(), u);
        kept_words += u->words;
        kept_bytes += u->text.size() + 2;
      }
    }
    current = std::move(kept);
    overlap_units = current.size();
    words = kept_words;
    bytes = kept_bytes;
  };
  for (const Unit& unit : units) {
    if (chunks.size() >= max_chunks) {
      return chunks;
    }
    size_t unit_bytes = unit.text.size() + 2;
    if (!current.empty() && unit.before == Break::kParagraph && words >= options.min_words) {
      emit(false);
    } else if (!current.empty() && (words + unit.words > options.max_words ||
                                    bytes + unit_bytes > options.max_chunk_bytes)) {
      emit(unit.before != Break::kParagraph);
      if (!current.empty() && (words + unit.words > options.max_words ||
                               bytes + unit_bytes > options.max_chunk_bytes)) {
        current.clear();  // the overlap and this unit do not fit together: no overlap
        overlap_units = 0;
        words = 0;
        bytes = 0;
      }
    }
    if (chunks.size() >= max_chunks) {
      return chunks;
    }
    current.push_back(&unit);
    words += unit.words;
    bytes += unit_bytes;
  }
  // The overlap alone (what the previous chunk already ends with) is not a chunk.
  if (current.size() > overlap_units && chunks.size() < max_chunks) {
    chunks.push_back(text_of());
  }
  return chunks;
}

std::string Trimmed(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (IsSpace(s[b]) || s[b] == '\n' || s[b] == '\r')) {
    ++b;
  }
  while (e > b && (IsSpace(s[e - 1]) || s[e - 1] == '\n' || s[e - 1] == '\r')) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}

// Non-empty parts joined with `sep`.
std::string JoinNonEmpty(std::initializer_list<std::string> parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) {
      continue;
    }
    if (!out.empty()) {
      out.append(sep);
    }
    out.append(p);
  }
  return out;
}

void AddSection(KnowledgeDocument& doc, std::string title, std::string text) {
  if (!text.empty()) {
    doc.sections.push_back({std::move(title), std::move(text)});
  }
}

KnowledgeDocument ProfileDocument(const BusinessProfile& profile) {
  KnowledgeDocument doc;
  doc.source = "profile";
  doc.title = "Business profile";
  std::string name = Trimmed(profile.business_name);
  std::string industry = Trimmed(profile.industry);
  std::string about = JoinNonEmpty({name, industry.empty() ? "" : "Industry: " + industry}, "\n");
  AddSection(doc, doc.title, JoinNonEmpty({about, Trimmed(profile.description)}, "\n\n"));
  std::string website = Trimmed(profile.website);
  std::string phone = Trimmed(profile.phone);
  if (!website.empty() || !phone.empty()) {
    AddSection(doc, doc.title + " \xE2\x80\x94 contact",
               JoinNonEmpty({name.empty() ? "Contact" : "Contact " + name,
                             website.empty() ? "" : "Website: " + website,
                             phone.empty() ? "" : "Phone: " + phone},
                            "\n"));
  }
  return doc;
}

KnowledgeDocument CampaignDocument(const CampaignFacts& c) {
  KnowledgeDocument doc;
  doc.source = "campaign:" + c.id;
  doc.campaign_id = c.id;
  std::string product = Trimmed(c.product_name);
  std::string shown = Trimmed(c.name);
  if (shown.empty()) {
    shown = product.empty() ? c.id : product;
  }
  doc.title = "Campaign: " + shown;
  const std::string prefix = doc.title + " \xE2\x80\x94 ";
  const std::string subject = product.empty() ? shown : product;

  AddSection(doc, prefix + "product",
             JoinNonEmpty({product, Trimmed(c.product_description)}, "\n\n"));

  std::vector<std::string> features;
  for (const auto& f : c.features) {
    std::string t = Trimmed(f);
    if (!t.empty()) {
      features.push_back(std::move(t));
    }
  }
  for (size_t i = 0; i < features.size(); i += kFeaturesPerPassage) {
    std::string text = subject + " features:";
    for (size_t k = i; k < std::min(features.size(), i + kFeaturesPerPassage); ++k) {
      text += "\n- " + features[k];
    }
    AddSection(doc, prefix + "features", std::move(text));
  }

  if (c.has_price) {
    AddSection(doc, prefix + "price",
               subject + " price: " + FormatPrice(c.price_minor, Trimmed(c.currency)));
  }

  AddSection(doc, prefix + "chat flow",
             JoinNonEmpty({Trimmed(c.greeting), Trimmed(c.closing_message)}, "\n\n"));

  for (const auto& o : c.objections) {
    std::string objection = Trimmed(o.objection);
    std::string response = Trimmed(o.response);
    if (response.empty()) {
      continue;  // nothing to answer with
    }
    AddSection(doc, prefix + "objections",
               objection.empty() ? response : objection + " \xE2\x80\x94 " + response);
  }
  return doc;
}

std::string DocumentName(const Document& d, size_t index) {
  std::string name = Trimmed(d.name);
  if (name.empty()) {
    name = Trimmed(d.url);
  }
  if (name.empty()) {
    name = "Document " + std::to_string(index + 1);
  }
  return name;
}

}  // namespace


std::string ChunkId(std::string_view workspace_id, std::string_view source, int position) {
  std::string input;
  input.append(workspace_id).push_back('\0');
  input.append(source).push_back('\0');
  input.append(std::to_string(position));
  std::string digest = crypto::Sha256(input);
  auto b = [&](size_t i) { return static_cast<unsigned char>(digest[i]); };
  unsigned char bytes[16];
  for (size_t i = 0; i < 16; ++i) {
    bytes[i] = b(i);
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x80);  // version 8
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 9562 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      id.push_back('-');
    }
    id.push_back(kHex[bytes[i] >> 4]);
    id.push_back(kHex[bytes[i] & 0x0F]);
  }
  return id;
}

std::vector<KnowledgeDocument> BuildKnowledgeDocuments(
    const BusinessProfile& profile, const std::vector<CampaignFacts>& campaigns) {
  std::vector<KnowledgeDocument> docs;
  auto keep = [&](KnowledgeDocument doc) {
    if (!doc.sections.empty()) {
      docs.push_back(std::move(doc));
    }
  };
  keep(ProfileDocument(profile));
  for (const auto& c : campaigns) {
    keep(CampaignDocument(c));
  }
  for (size_t i = 0; i < profile.documents.size(); ++i) {
    const Document& d = profile.documents[i];
    KnowledgeDocument doc;
    std::string name = DocumentName(d, i);
    doc.source = "document:" + name;
    doc.title = "Document: " + name;
    AddSection(doc, doc.title, Trimmed(d.content));
    keep(std::move(doc));
  }
  return docs;
}

std::vector<std::string> SplitIntoChunks(std::string_view text, const ChunkingOptions& options,
                                         size_t max_chunks) {
  if (max_chunks == 0) {
    return {};
  }
  std::string clean = SanitizeUtf8(text);
  return PackUnits(SplitIntoUnits(clean, options), options, max_chunks);
}

ChunkingResult ChunkDocuments(std::string_view workspace_id,
                              const std::vector<KnowledgeDocument>& documents,
                              const ChunkingOptions& options) {
  ChunkingResult result;
  std::map<std::string, int> next_position;  // per source
  std::set<std::string> truncated;
  for (const auto& doc : documents) {
    std::string source = SanitizeUtf8(doc.source);
    std::string campaign_id = SanitizeUtf8(doc.campaign_id);
    bool kept_any = false;
    for (const auto& section : doc.sections) {
      std::string title = SanitizeUtf8(section.title);
      for (auto& text : SplitIntoChunks(section.text, options)) {
        if (result.chunks.size() >= options.max_chunks) {
          ++result.dropped_chunks;
          if (truncated.insert(source).second) {
            result.truncated_sources.push_back(source);
          }
          continue;
        }
        KnowledgeChunk chunk;
        chunk.position = next_position[source]++;
        chunk.id = ChunkId(workspace_id, source, chunk.position);
        chunk.campaign_id = campaign_id;
        chunk.source = source;
        chunk.title = title;
        chunk.text = std::move(text);
        result.chunks.push_back(std::move(chunk));
        kept_any = true;
      }
    }
    if (kept_any) {
      ++result.documents;
    }
  }
  return result;
}

}  // namespace salesos::ai
