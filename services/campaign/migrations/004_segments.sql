-- Segments: saved audiences as rule trees (docs/segments.md). conversation evaluates them where the
-- contacts live; this table keeps only the definitions.
--   name_key    the name lower-cased (ASCII), so names are unique in a workspace whatever their case
--   rules       protobuf JSON of salesos.common.v1.SegmentRule (the tree as the API shows it)
--   created_by  the user id of the author
--   *_at        RFC 3339 UTC with milliseconds, fixed width, so text order is time order
CREATE TABLE segments (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  rules TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX segments_by_name ON segments (workspace_id, name_key);
-- Lists page by id (newest first) within a workspace.
CREATE INDEX segments_by_workspace ON segments (workspace_id, id);
