-- The knowledge base: each workspace's chunks (its profile and documents, and its campaigns'
-- facts), replaced whole by each training (KnowledgeStore::ReplaceWorkspaceKnowledge).
--   id           a UUID made from workspace, source and position: training twice gives the same
--   campaign_id  '' for workspace-level knowledge
--   source       'profile', 'document:<name>' or 'campaign:<id>'
--   position     0, 1, ... within its source
--   created_at   RFC 3339 UTC with milliseconds: when the training that wrote it ran
CREATE TABLE kb_chunks (
  workspace_id TEXT NOT NULL,
  id TEXT NOT NULL,
  campaign_id TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  title TEXT NOT NULL,
  position INTEGER NOT NULL,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, id)
);

-- One row per trained workspace. version grows with each training, also across a delete of the
-- workspace's knowledge (max(previous + 1, the training's Unix milliseconds)): replicas compare it
-- with the one their cached index was built from. trained_at is RFC 3339 UTC with milliseconds.
CREATE TABLE kb_status (
  workspace_id TEXT PRIMARY KEY,
  trained_at TEXT NOT NULL,
  documents BIGINT NOT NULL DEFAULT 0,
  chunks BIGINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 0
);
