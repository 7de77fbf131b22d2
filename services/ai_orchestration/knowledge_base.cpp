#include "knowledge_base.h"

#include <algorithm>
#include <utility>

namespace salesos::ai {

KnowledgeBase::KnowledgeBase(KnowledgeStore& store, KnowledgeBaseOptions options,
                             const Clock& clock)
    : store_(store), options_(std::move(options)), clock_(clock) {}

Result<TrainingResult> KnowledgeBase::Train(const std::string& workspace_id,
                                            const BusinessProfile& profile,
                                            const std::vector<CampaignFacts>& campaigns,
                                            int64_t now_ms) {
  if (workspace_id.empty()) {
    return FieldError("workspaceId", "is required");
  }
  ChunkingResult chunked =
      ChunkDocuments(workspace_id, BuildKnowledgeDocuments(profile, campaigns), options_.chunking);
  SALESOS_ASSIGN_OR_RETURN(
      int64_t version,
      store_.ReplaceWorkspaceKnowledge(workspace_id, chunked.chunks, chunked.documents, now_ms));
  TrainingResult result;
  result.documents = chunked.documents;
  result.chunks = static_cast<int64_t>(chunked.chunks.size());
  result.trained_at_ms = now_ms;
  result.version = version;
  result.dropped_chunks = chunked.dropped_chunks;
  result.truncated_sources = std::move(chunked.truncated_sources);
  Put(workspace_id, std::make_shared<const Bm25Index>(std::move(chunked.chunks), options_.bm25),
      version);
  return result;
}

Result<std::shared_ptr<const KnowledgeSearcher>> KnowledgeBase::Searcher(
    const std::string& workspace_id, const std::string& campaign_id) {
  if (workspace_id.empty()) {
    return FieldError("workspaceId", "is required");
  }
  const int64_t now = clock_.NowMillis();
  std::shared_ptr<const Bm25Index> cached;
  int64_t cached_version = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(workspace_id);
    if (it != cache_.end()) {
      Entry& e = it->second;
      lru_.splice(lru_.begin(), lru_, e.lru);
      if (now - e.checked_at_ms < options_.version_check_interval_ms && now >= e.checked_at_ms) {
        return ForCampaign(e.index, campaign_id);
      }
      // This caller checks; the others keep using the cached index until the next interval.
      e.checked_at_ms = now;
      cached = e.index;
      cached_version = e.version;
    }
  }

  auto status = store_.LoadStatus(workspace_id);
  if (!status.ok()) {
    if (cached) {
      return ForCampaign(std::move(cached), campaign_id);
    }
    return status.status();
  }
  const int64_t version = status->has_value() ? (*status)->version : 0;
  if (cached && version == cached_version) {
    return ForCampaign(std::move(cached), campaign_id);
  }
  std::vector<KnowledgeChunk> chunks;
  if (version != 0) {
    auto loaded = store_.LoadChunks(workspace_id);
    if (!loaded.ok()) {
      if (cached) {
        return ForCampaign(std::move(cached), campaign_id);
      }
      return loaded.status();
    }
    // Chunks written by a training after the status read are cached under the older version:
    // the next check sees the difference and loads again, so replicas converge.
    chunks = std::move(loaded).value();
  }
  auto index = Put(workspace_id,
                   std::make_shared<const Bm25Index>(std::move(chunks), options_.bm25), version);
  return ForCampaign(std::move(index), campaign_id);
}

Result<TrainingStatus> KnowledgeBase::GetStatus(const std::string& workspace_id) {
  if (workspace_id.empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_ASSIGN_OR_RETURN(std::optional<KnowledgeStatusRecord> record,
                           store_.LoadStatus(workspace_id));
  TrainingStatus status;
  if (record.has_value()) {
    status.trained = true;
    status.last_trained_at_ms = record->trained_at_ms;
    status.documents = record->documents;
    status.chunks = record->chunks;
  }
  return status;
}

Status KnowledgeBase::DeleteWorkspace(const std::string& workspace_id) {
  if (workspace_id.empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_RETURN_IF_ERROR(store_.DeleteWorkspace(workspace_id));
  Invalidate(workspace_id);
  return OkStatus();
}

void KnowledgeBase::Invalidate(const std::string& workspace_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(workspace_id);
  if (it != cache_.end()) {
    lru_.erase(it->second.lru);
    cache_.erase(it);
  }
}

size_t KnowledgeBase::CachedWorkspaces() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size();
}

std::shared_ptr<const Bm25Index> KnowledgeBase::Put(const std::string& workspace_id,
                                                    std::shared_ptr<const Bm25Index> index,
                                                    int64_t version) {
  const int64_t now = clock_.NowMillis();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(workspace_id);
  if (it != cache_.end()) {
    Entry& e = it->second;
    lru_.splice(lru_.begin(), lru_, e.lru);
    if (version != 0 && e.version > version) {
      return e.index;  // a newer training landed meanwhile (a slower load lost the race)
    }
    e.index = std::move(index);
    e.version = version;
    e.checked_at_ms = now;
    return e.index;
  }
  lru_.push_front(workspace_id);
  Entry e;
  e.index = std::move(index);
  e.version = version;
  e.checked_at_ms = now;
  e.lru = lru_.begin();
  auto cached = e.index;
  cache_.emplace(workspace_id, std::move(e));
  const size_t limit = std::max<size_t>(1, options_.max_workspaces);
  while (cache_.size() > limit) {
    cache_.erase(lru_.back());  // indexes still in use live on in their searchers
    lru_.pop_back();
  }
  return cached;
}

}  // namespace salesos::ai
