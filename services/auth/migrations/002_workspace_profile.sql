-- The business profile the AI learns from (PUT /api/v1/onboarding): one row per workspace.
-- documents is a JSON array of {"name","url","content"} objects (protobuf JSON of
-- salesos.auth.v1.Document): plain TEXT reads the same on SQLite and PostgreSQL.
CREATE TABLE business_profiles (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
  business_name TEXT NOT NULL,
  owner_name TEXT NOT NULL DEFAULT '',
  industry TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  website TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  documents TEXT NOT NULL DEFAULT '[]',
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);
