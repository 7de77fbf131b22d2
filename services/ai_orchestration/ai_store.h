#pragma once

// AiStore: the model settings of each workspace and the AI run log, on libs/store (one SQL for
// SQLite and PostgreSQL). Every query filters on workspace_id. Thread-safe as the Store is.
// The API key is stored sealed (crypto::Aead, the workspace id as associated data, so a sealed key
// copied to another workspace's row does not open); this class never sees it in the clear.

#include <optional>
#include <string>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::ai {

struct SettingsRecord {
  std::string workspace_id;
  std::string provider;
  std::string base_url;
  std::string model;
  std::string api_key_sealed;  // base64 of the sealed key; "" when none
  double temperature = 0.3;
  int max_tokens = 800;
  int timeout_ms = 8000;
  std::string updated_at;
};

struct RunRecord {
  std::string id;  // UUIDv7
  std::string workspace_id;
  std::string kind;  // "reply" | "preview" | "assistant" | ...
  std::string provider;
  std::string model;
  std::string status;  // "ok" | "fallback"
  int64_t latency_ms = 0;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::string fallback_reason;
  std::string conversation_id;
  std::string campaign_id;
  std::string intent;
  std::string created_at;
};

struct RunFilter {
  std::string conversation_id;
  std::string kind;
};

class AiStore {
 public:
  explicit AiStore(store::Store& db) : db_(db) {}

  Result<std::optional<SettingsRecord>> GetSettings(const std::string& workspace_id);
  Status PutSettings(const SettingsRecord& record);

  Status AddRun(const RunRecord& run);
  // Newest first, ids below before_id ("" from the newest), at most limit.
  Result<std::vector<RunRecord>> ListRuns(const std::string& workspace_id, const RunFilter& filter,
                                          const std::string& before_id, int64_t limit);

  // Everything of the workspace (workspace.deleted).
  Status DeleteWorkspace(const std::string& workspace_id);

 private:
  store::Store& db_;
};

}  // namespace salesos::ai
