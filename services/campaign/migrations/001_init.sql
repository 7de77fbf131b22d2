-- Campaigns and their lifecycle (draft → active ⇄ paused → completed); columns grow with the
-- campaigns issue.
CREATE TABLE campaigns (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'draft',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX campaigns_by_workspace ON campaigns (workspace_id, id);
