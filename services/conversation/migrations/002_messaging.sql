-- The messaging issue's tables. 001's first sketch never held data, so it is replaced rather than
-- altered (portable on SQLite and PostgreSQL). One open conversation per contact and channel is
-- kept by the store, inside the transaction that opens it. An outbound message without a
-- platform id stores NULL there, so UNIQUE (workspace_id, platform_message_id) only binds real ids.
-- Unix-millisecond columns are BIGINT (PostgreSQL's INTEGER is 32 bits; this file said INTEGER
-- until the next migration's tests caught it, before any PostgreSQL deployment existed).
DROP INDEX messages_by_conversation;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE contacts;
CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  platform_user_id TEXT NOT NULL,
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  full_name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  UNIQUE (workspace_id, platform, platform_user_id)
);
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  campaign_id TEXT NOT NULL DEFAULT '',
  platform TEXT NOT NULL,
  integration_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active',
  handler TEXT NOT NULL DEFAULT 'ai',
  assigned_agent_id TEXT NOT NULL DEFAULT '',
  lead_score INTEGER NOT NULL DEFAULT 0,
  unread_count INTEGER NOT NULL DEFAULT 0,
  last_message_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX conversations_by_contact ON conversations (workspace_id, contact_id, platform, status);
CREATE INDEX conversations_by_activity ON conversations (workspace_id, last_message_at, id);
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  sender TEXT NOT NULL,
  content TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT 'text',
  attachments TEXT NOT NULL DEFAULT '[]',
  platform_message_id TEXT,
  delivery_status TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  platform_timestamp_ms BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  UNIQUE (workspace_id, platform_message_id)
);
CREATE INDEX messages_by_conversation ON messages (workspace_id, conversation_id, id);
