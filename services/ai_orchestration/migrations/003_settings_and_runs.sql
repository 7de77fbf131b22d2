-- Model settings per workspace (the API key sealed with the data key, bound to the workspace),
-- and the fuller AI run log: model, tokens, why the chain fell back, and what the run was about.
CREATE TABLE ai_settings (
  workspace_id TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  base_url TEXT NOT NULL,
  model TEXT NOT NULL,
  api_key_sealed TEXT NOT NULL,
  temperature DOUBLE PRECISION NOT NULL,
  max_tokens INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
ALTER TABLE ai_runs ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE ai_runs ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ai_runs ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ai_runs ADD COLUMN fallback_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE ai_runs ADD COLUMN conversation_id TEXT NOT NULL DEFAULT '';
ALTER TABLE ai_runs ADD COLUMN campaign_id TEXT NOT NULL DEFAULT '';
ALTER TABLE ai_runs ADD COLUMN intent TEXT NOT NULL DEFAULT '';
CREATE INDEX ai_runs_by_conversation ON ai_runs (workspace_id, conversation_id, id);
