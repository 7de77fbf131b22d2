#pragma once

// KnowledgeBase: trains a workspace's knowledge (chunker → KnowledgeStore) and serves searchers
// over it from an in-memory cache of BM25 indexes.
//
// Training chunks the business profile, its documents and the given campaigns, replaces the
// workspace's stored knowledge in one transaction and swaps the cached index; searches running on
// the old index finish on it (the index is shared and immutable).
//
// The cache holds up to KnowledgeBaseOptions::max_workspaces indexes, least recently used out
// first. An index is loaded from the store on first use, and at most once every
// version_check_interval_ms per workspace its stored version is read (one primary-key lookup):
// when another replica trained meanwhile, the index is reloaded. When that check fails and an
// index is cached, the cached index is served (and the check retried after the interval).
//
// Thread-safe: every method may be called from many threads at once. Store calls run outside the
// cache's lock.

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ai_types.h"
#include "bm25_index.h"
#include "chunker.h"
#include "knowledge_store.h"
#include "salesos/core/status.h"
#include "salesos/core/time.h"

namespace salesos::ai {

struct KnowledgeBaseOptions {
  size_t max_workspaces = 1000;
  int64_t version_check_interval_ms = 5000;
  ChunkingOptions chunking;
  Bm25Params bm25;
};

struct TrainingResult {
  int64_t documents = 0;  // knowledge documents indexed: the profile, each document, each campaign
  int64_t chunks = 0;
  int64_t trained_at_ms = 0;
  int64_t version = 0;
  // The workspace limit (kMaxWorkspaceChunks) cut this many chunks, from these sources.
  int64_t dropped_chunks = 0;
  std::vector<std::string> truncated_sources;
};

struct TrainingStatus {
  bool trained = false;
  int64_t last_trained_at_ms = 0;  // 0 when never trained
  int64_t documents = 0;
  int64_t chunks = 0;
};

class KnowledgeBase {
 public:
  // `store` and `clock` must outlive the KnowledgeBase. The clock only paces version checks.
  explicit KnowledgeBase(KnowledgeStore& store, KnowledgeBaseOptions options = {},
                         const Clock& clock = SystemClock());

  // Replaces the workspace's knowledge with what `profile` and `campaigns` hold (campaigns not
  // given are no longer known). kInvalidArgument for an empty workspace id; store errors as is.
  Result<TrainingResult> Train(const std::string& workspace_id, const BusinessProfile& profile,
                               const std::vector<CampaignFacts>& campaigns, int64_t now_ms);

  // A searcher over the workspace's knowledge: workspace-level chunks plus `campaign_id`'s ("":
  // every chunk of the workspace). Never null; an untrained workspace's finds nothing. It keeps
  // the index it was made from alive, so callers may hold it across a retraining.
  Result<std::shared_ptr<const KnowledgeSearcher>> Searcher(const std::string& workspace_id,
                                                            const std::string& campaign_id);

  // Read from the store (always current, also for another replica's training).
  Result<TrainingStatus> GetStatus(const std::string& workspace_id);

  // Deletes the workspace's knowledge from the store and the cache (workspace.deleted).
  Status DeleteWorkspace(const std::string& workspace_id);

  // Drops the workspace's cached index: the next Searcher reloads it.
  void Invalidate(const std::string& workspace_id);

  // Workspaces whose index is cached now (for metrics and tests).
  size_t CachedWorkspaces() const;

 private:
  struct Entry {
    std::shared_ptr<const Bm25Index> index;
    int64_t version = 0;        // KnowledgeStatusRecord::version; 0: not trained when loaded
    int64_t checked_at_ms = 0;  // clock time of the last version check
    std::list<std::string>::iterator lru;
  };

  // Caches `index` for the workspace unless a newer version is cached already (version 0, an
  // untrained or deleted workspace, always replaces); returns the index cached afterwards.
  std::shared_ptr<const Bm25Index> Put(const std::string& workspace_id,
                                       std::shared_ptr<const Bm25Index> index, int64_t version);

  KnowledgeStore& store_;
  const KnowledgeBaseOptions options_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // guarded by mu_
  std::list<std::string> lru_;                    // most recently used first; guarded by mu_
};

}  // namespace salesos::ai
