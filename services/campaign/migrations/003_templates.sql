-- Message templates for outreach and replies. `variables` is derived from the body by the server
-- (space-separated catalogue names) and kept so lists need not re-parse every body.
CREATE TABLE templates (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  channel TEXT NOT NULL,
  body TEXT NOT NULL,
  variables TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- Lists page by id within a workspace, optionally within one category.
CREATE INDEX templates_by_workspace ON templates (workspace_id, id);
CREATE INDEX templates_by_category ON templates (workspace_id, category, id);
