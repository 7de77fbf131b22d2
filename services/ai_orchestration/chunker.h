#pragma once

// The chunker: turns what a workspace knows (its business profile and documents from onboarding)
// and what its campaigns say (product, features, price, chat flow, objection answers) into titled
// knowledge documents, then into the passages the knowledge index searches and the built-in engine
// quotes.
//
// Long text is split on paragraph, line and sentence boundaries into chunks of about
// kMinChunkWords..kMaxChunkWords words, the next chunk of a paragraph repeating the last short
// sentence(s) of the one before (at most kOverlapWords words) so an answer spanning the cut is
// still found. A sentence longer than a chunk is cut between words; a "word" longer than
// kMaxWordBytes (text without spaces, such as Chinese) is cut between code points, after a CJK
// full stop where there is one, and no chunk grows beyond kMaxChunkBytes. Nothing ever
// cuts a UTF-8 sequence, and invalid UTF-8 and NUL bytes are replaced by U+FFFD.
//
// Pure functions, deterministic (the same input gives the same chunks, ids included), safe to
// call from many threads at once.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ai_types.h"

namespace salesos::ai {

inline constexpr int kMinChunkWords = 60;
inline constexpr int kMaxChunkWords = 120;
inline constexpr int kOverlapWords = 20;
inline constexpr size_t kMaxWordBytes = 600;
// Bounds a chunk of text without spaces, where words do not (about 800 CJK characters).
inline constexpr size_t kMaxChunkBytes = 2400;
// Per workspace. Documents beyond it are cut (TrainingResult reports which).
inline constexpr size_t kMaxWorkspaceChunks = 2000;
// Features per "features" passage of a campaign.
inline constexpr size_t kFeaturesPerPassage = 5;

// A titled part of a knowledge document, chunked on its own: no chunk mixes two sections.
struct KnowledgeSection {
  std::string title;  // the title its chunks carry: "Business profile", "Campaign: X — price"
  std::string text;
};

// One source of knowledge, before chunking.
struct KnowledgeDocument {
  std::string source;       // "profile", "document:<name>", "campaign:<id>"
  std::string campaign_id;  // "" for workspace-level knowledge
  std::string title;        // "Business profile", "Document: Pricing FAQ", "Campaign: Summer Sale"
  std::vector<KnowledgeSection> sections;
};

// One passage of the knowledge base, as stored and indexed.
struct KnowledgeChunk {
  // A UUID (version 8, RFC 9562) made from SHA-256 of workspace id, source and position, so
  // training the same input twice gives the same ids and two workspaces never share one.
  std::string id;
  std::string campaign_id;  // "" for workspace-level knowledge
  std::string source;
  std::string title;
  int position = 0;  // 0, 1, ... in order within its source
  std::string text;
};

struct ChunkingOptions {
  int min_words = kMinChunkWords;
  int max_words = kMaxChunkWords;
  int overlap_words = kOverlapWords;
  size_t max_word_bytes = kMaxWordBytes;
  size_t max_chunk_bytes = kMaxChunkBytes;
  size_t max_chunks = kMaxWorkspaceChunks;
};

struct ChunkingResult {
  std::vector<KnowledgeChunk> chunks;
  // Knowledge documents that gave at least one chunk (the profile, each document, each campaign).
  int64_t documents = 0;
  // Chunks left out because of ChunkingOptions::max_chunks, and the sources they came from.
  int64_t dropped_chunks = 0;
  std::vector<std::string> truncated_sources;
};

// The knowledge documents of a workspace, in the order their chunks are kept when the workspace
// limit cuts: the profile first (name and industry with the description; website and phone as a
// contact passage), then each campaign (product, features in groups of kFeaturesPerPassage, the
// exact price "49.99 USD", greeting and closing, one passage per objection with its answer), then
// each onboarding document. Empty fields and empty documents give nothing. Documents without a
// name are named after their URL, or "Document <n>".
std::vector<KnowledgeDocument> BuildKnowledgeDocuments(const BusinessProfile& profile,
                                                       const std::vector<CampaignFacts>& campaigns);

// `text` cut into chunk texts as described above (whitespace runs inside a line become one space;
// lines and paragraphs are kept). At most `max_chunks` pieces; "" gives none.
std::vector<std::string> SplitIntoChunks(std::string_view text, const ChunkingOptions& options = {},
                                         size_t max_chunks = SIZE_MAX);

// Every document's sections chunked, with ids for `workspace_id`, positions counted per source (two
// documents with one name continue each other's positions), up to options.max_chunks in all.
ChunkingResult ChunkDocuments(std::string_view workspace_id,
                              const std::vector<KnowledgeDocument>& documents,
                              const ChunkingOptions& options = {});

// The deterministic chunk id described at KnowledgeChunk::id.
std::string ChunkId(std::string_view workspace_id, std::string_view source, int position);


}  // namespace salesos::ai
