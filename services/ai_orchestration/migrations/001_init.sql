-- The AI run log: one row per generation, for audit and for the fallback-rate metric.
CREATE TABLE ai_runs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  provider TEXT NOT NULL,
  status TEXT NOT NULL,
  latency_ms INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE INDEX ai_runs_by_workspace ON ai_runs (workspace_id, id);
