#include "ai_store.h"

namespace salesos::ai {
namespace {

constexpr char kRunColumns[] =
    "id, workspace_id, kind, provider, model, status, latency_ms, prompt_tokens, "
    "completion_tokens, fallback_reason, conversation_id, campaign_id, intent, created_at";

RunRecord RunFromRow(const store::Row& r) {
  RunRecord run;
  run.id = r.GetText(0);
  run.workspace_id = r.GetText(1);
  run.kind = r.GetText(2);
  run.provider = r.GetText(3);
  run.model = r.GetText(4);
  run.status = r.GetText(5);
  run.latency_ms = r.GetInt(6);
  run.prompt_tokens = static_cast<int>(r.GetInt(7));
  run.completion_tokens = static_cast<int>(r.GetInt(8));
  run.fallback_reason = r.GetText(9);
  run.conversation_id = r.GetText(10);
  run.campaign_id = r.GetText(11);
  run.intent = r.GetText(12);
  run.created_at = r.GetText(13);
  return run;
}

}  // namespace

Result<std::optional<SettingsRecord>> AiStore::GetSettings(const std::string& workspace_id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT workspace_id, provider, base_url, model, api_key_sealed, "
                           "temperature, max_tokens, timeout_ms, updated_at FROM ai_settings "
                           "WHERE workspace_id = $1",
                           {workspace_id}));
  if (rows.empty()) {
    return std::optional<SettingsRecord>();
  }
  const auto& r = rows.front();
  SettingsRecord rec;
  rec.workspace_id = r.GetText(0);
  rec.provider = r.GetText(1);
  rec.base_url = r.GetText(2);
  rec.model = r.GetText(3);
  rec.api_key_sealed = r.GetText(4);
  rec.temperature = r.GetDouble(5);
  rec.max_tokens = static_cast<int>(r.GetInt(6));
  rec.timeout_ms = static_cast<int>(r.GetInt(7));
  rec.updated_at = r.GetText(8);
  return std::optional<SettingsRecord>(rec);
}

Status AiStore::PutSettings(const SettingsRecord& rec) {
  auto done = db_.Exec(
      "INSERT INTO ai_settings (workspace_id, provider, base_url, model, api_key_sealed, "
      "temperature, max_tokens, timeout_ms, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      "ON CONFLICT (workspace_id) DO UPDATE SET provider = excluded.provider, "
      "base_url = excluded.base_url, model = excluded.model, "
      "api_key_sealed = excluded.api_key_sealed, temperature = excluded.temperature, "
      "max_tokens = excluded.max_tokens, timeout_ms = excluded.timeout_ms, "
      "updated_at = excluded.updated_at",
      {rec.workspace_id, rec.provider, rec.base_url, rec.model, rec.api_key_sealed,
       rec.temperature, static_cast<int64_t>(rec.max_tokens), static_cast<int64_t>(rec.timeout_ms),
       rec.updated_at});
  return done.ok() ? OkStatus() : done.status();
}

Status AiStore::AddRun(const RunRecord& run) {
  auto done = db_.Exec(
      "INSERT INTO ai_runs (" + std::string(kRunColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
      {run.id, run.workspace_id, run.kind, run.provider, run.model, run.status, run.latency_ms,
       static_cast<int64_t>(run.prompt_tokens), static_cast<int64_t>(run.completion_tokens),
       run.fallback_reason, run.conversation_id, run.campaign_id, run.intent, run.created_at});
  return done.ok() ? OkStatus() : done.status();
}

Result<std::vector<RunRecord>> AiStore::ListRuns(const std::string& workspace_id,
                                                 const RunFilter& filter,
                                                 const std::string& before_id, int64_t limit) {
  // Empty filters match everything: one statement serves every combination.
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT " + std::string(kRunColumns) +
                    " FROM ai_runs WHERE workspace_id = $1 AND ($2 = '' OR conversation_id = $2) "
                    "AND ($3 = '' OR kind = $3) AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5",
                {workspace_id, filter.conversation_id, filter.kind, before_id, limit}));
  std::vector<RunRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(RunFromRow(r));
  }
  return out;
}

Status AiStore::DeleteWorkspace(const std::string& workspace_id) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    for (const char* sql : {"DELETE FROM ai_settings WHERE workspace_id = $1",
                            "DELETE FROM ai_runs WHERE workspace_id = $1"}) {
      auto done = tx.Exec(sql, {workspace_id});
      if (!done.ok()) {
        return done.status();
      }
    }
    return OkStatus();
  });
}

}  // namespace salesos::ai
