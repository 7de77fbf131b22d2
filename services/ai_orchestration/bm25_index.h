#pragma once

// Bm25Index: Okapi BM25 search over a workspace's knowledge chunks, in memory.
//
// Each chunk is indexed by its title and text, analysed into terms: lowercase, Latin accents
// folded ("envío" → "envio", "ß" → "ss"), everything that is not a letter or digit a separator,
// function words of en/es/fr/de/pt dropped, single letters dropped, each Chinese/Japanese
// character a term of its own, and a light suffix stemmer so singular and plural (and English
// -ing/-ed) forms meet: "shoes"/"shoe", "shipping"/"shipped"/"ships"/"ship", "envíos"/"envío".
// Scores: idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)) (always above 0), term weight
// idf · tf·(k1+1) / (tf + k1·(1 - b + b·len/avglen)), each distinct query term counted once.
// Ties go to the earlier position in its source, then the smaller chunk id, so the order does not
// depend on the order the chunks were given in (a replica that loaded them from the store ranks
// exactly as the one that trained).
//
// Immutable once built: Search is safe from many threads at once. Costs about a microsecond per
// query term plus the matching postings; building is linear in the text.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ai_types.h"
#include "chunker.h"

namespace salesos::ai {

struct Bm25Params {
  double k1 = 1.2;
  double b = 0.75;
};

class Bm25Index final : public KnowledgeSearcher {
 public:
  explicit Bm25Index(std::vector<KnowledgeChunk> chunks, Bm25Params params = {});

  // Every chunk: the workspace's and all its campaigns'.
  std::vector<KnowledgeHit> Search(std::string_view query, int k) const override;
  // Workspace-level chunks (campaign_id "") and those of `campaign_id`, never another campaign's.
  // A campaign the index does not know gives workspace-level chunks only; "" is Search (every
  // chunk: a conversation without a campaign may learn about any product of the business).
  std::vector<KnowledgeHit> SearchCampaign(std::string_view query, int k,
                                           std::string_view campaign_id) const;

  size_t size() const { return chunks_.size(); }
  const std::vector<KnowledgeChunk>& chunks() const { return chunks_; }

  // The terms `text` is indexed or searched by, in order (duplicates kept): for tests and tools.
  static std::vector<std::string> Analyze(std::string_view text);

 private:
  static constexpr uint32_t kAllGroups = UINT32_MAX;          // no filter
  static constexpr uint32_t kWorkspaceOnly = UINT32_MAX - 1;  // only group 0

  struct Posting {
    uint32_t doc;
    double weight;  // the term's whole BM25 contribution to this chunk's score
  };

  // Group 0 is workspace-level; campaign groups are 1.. ; kWorkspaceOnly for an unknown campaign.
  uint32_t GroupOf(std::string_view campaign_id) const;
  std::vector<KnowledgeHit> SearchGroup(std::string_view query, int k, uint32_t group) const;

  std::vector<KnowledgeChunk> chunks_;
  std::vector<uint32_t> doc_group_;
  std::unordered_map<std::string, uint32_t> groups_;  // campaign id → group
  std::unordered_map<std::string, std::vector<Posting>> postings_;
};

// A searcher over `index` restricted as Bm25Index::SearchCampaign(…, campaign_id) is; it shares
// ownership of the index. An empty campaign_id gives the index itself.
std::shared_ptr<const KnowledgeSearcher> ForCampaign(std::shared_ptr<const Bm25Index> index,
                                                     const std::string& campaign_id);

}  // namespace salesos::ai
