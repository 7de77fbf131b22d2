#pragma once

// KnowledgeStore: where a workspace's trained knowledge lives, so every replica serves the same
// index and a restart does not need a retraining. Tables kb_chunks and kb_status (migration
// 002_knowledge.sql). Every query filters on the workspace id: one workspace never reads, replaces
// or deletes another's knowledge.
//
// Thread-safe as the Store under it. Errors are the store's (kUnavailable when the database is
// unreachable, kInternal otherwise); none of them carries SQL a client could see.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chunker.h"
#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::ai {

struct KnowledgeStatusRecord {
  int64_t trained_at_ms = 0;  // Unix milliseconds of the last training
  int64_t documents = 0;
  int64_t chunks = 0;
  // Grows with every training, also across a DeleteWorkspace: max(previous + 1, trained_at_ms),
  // at least 1. Replicas compare it with their cached index's to know it is stale.
  int64_t version = 0;
};

class KnowledgeStore {
 public:
  virtual ~KnowledgeStore() = default;

  // In one transaction: bumps the workspace's status row (taking its lock, so two trainings of one
  // workspace run one after the other), deletes its old chunks, inserts `chunks`. Either all of
  // that happens or none of it. Returns the new version.
  virtual Result<int64_t> ReplaceWorkspaceKnowledge(const std::string& workspace_id,
                                                    const std::vector<KnowledgeChunk>& chunks,
                                                    int64_t documents, int64_t trained_at_ms) = 0;
  // The workspace's chunks, ordered by campaign id, source and position (byte order), so every
  // engine answers alike; none when it was never trained.
  virtual Result<std::vector<KnowledgeChunk>> LoadChunks(const std::string& workspace_id) = 0;
  // nullopt when the workspace was never trained (or was deleted). One primary-key read.
  virtual Result<std::optional<KnowledgeStatusRecord>> LoadStatus(
      const std::string& workspace_id) = 0;
  // Removes the workspace's chunks and status (workspace.deleted). Ok when there was nothing.
  virtual Status DeleteWorkspace(const std::string& workspace_id) = 0;
};

// KnowledgeStore on libs/store: one code path for SQLite and PostgreSQL.
class SqlKnowledgeStore final : public KnowledgeStore {
 public:
  explicit SqlKnowledgeStore(store::Store& db) : db_(db) {}

  Result<int64_t> ReplaceWorkspaceKnowledge(const std::string& workspace_id,
                                            const std::vector<KnowledgeChunk>& chunks,
                                            int64_t documents, int64_t trained_at_ms) override;
  Result<std::vector<KnowledgeChunk>> LoadChunks(const std::string& workspace_id) override;
  Result<std::optional<KnowledgeStatusRecord>> LoadStatus(const std::string& workspace_id) override;
  Status DeleteWorkspace(const std::string& workspace_id) override;

 private:
  store::Store& db_;
};

}  // namespace salesos::ai
