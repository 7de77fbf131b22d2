-- The CRM: contacts become the business's customer records (chat, manual, import, api), with
-- accounts, custom fields, tags and stats, and segments are evaluated over them in SQL
-- (libs/segments compiles a rule tree into a WHERE clause over the alias `c` of this table).
-- Both engines accept ADD COLUMN with a constant default, so the rows of 002 keep working.
--
-- platform / platform_user_id (002) stay as where a chat contact first wrote; a contact made by
-- hand, import or the API has platform '' and its own id as platform_user_id, so 002's
-- UNIQUE (workspace_id, platform, platform_user_id) still holds. Every platform the contact is
-- reachable on is in facebook_id / instagram_id / whatsapp_id (NULL when none; unique per
-- workspace), which is what inbound messages are matched by.
ALTER TABLE contacts ADD COLUMN facebook_id TEXT;
ALTER TABLE contacts ADD COLUMN instagram_id TEXT;
ALTER TABLE contacts ADD COLUMN whatsapp_id TEXT;
UPDATE contacts SET facebook_id = platform_user_id WHERE platform = 'facebook';
UPDATE contacts SET instagram_id = platform_user_id WHERE platform = 'instagram';
UPDATE contacts SET whatsapp_id = platform_user_id WHERE platform = 'whatsapp';
CREATE UNIQUE INDEX contacts_by_facebook_id ON contacts (workspace_id, facebook_id);
CREATE UNIQUE INDEX contacts_by_instagram_id ON contacts (workspace_id, instagram_id);
CREATE UNIQUE INDEX contacts_by_whatsapp_id ON contacts (workspace_id, whatsapp_id);
-- email_key: the email lower-cased (ASCII), NULL when the contact has none; unique per workspace
-- (a case-insensitive unique email). phone is E.164 ('+33612345678') or ''.
ALTER TABLE contacts ADD COLUMN email_key TEXT;
UPDATE contacts SET email_key = lower(email) WHERE email <> '';
CREATE UNIQUE INDEX contacts_by_email ON contacts (workspace_id, email_key);
-- Lookups by phone (imports, WhatsApp senders) take the oldest match: id ends the index so the
-- engine reads it in order rather than choosing contacts_by_workspace and scanning.
CREATE INDEX contacts_by_phone ON contacts (workspace_id, phone, id);
ALTER TABLE contacts ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
-- "chat" | "manual" | "import" | "api"
ALTER TABLE contacts ADD COLUMN source TEXT NOT NULL DEFAULT 'chat';
-- "awareness" | "interest" | "consideration" | "purchase" | "retention"
ALTER TABLE contacts ADD COLUMN journey_stage TEXT NOT NULL DEFAULT 'awareness';
-- The status and lead score of the contact's latest conversation ('' and 0 before any), kept by
-- the conversation store in the transaction that changes the conversation.
ALTER TABLE contacts ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN lead_score BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN opted_out BIGINT NOT NULL DEFAULT 0;
-- Stats. total_spent in the currency's major unit (49.99). Times are Unix ms, 0 for never.
ALTER TABLE contacts ADD COLUMN total_spent DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN orders_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN last_order_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN last_message_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN visit_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN last_visit_ms BIGINT NOT NULL DEFAULT 0;
-- created_at (002, RFC 3339) as Unix ms for rules; rows of 002 are filled in by the service at
-- start (it parses created_at), as SQL cannot do that portably.
ALTER TABLE contacts ADD COLUMN created_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
-- What a read shows, as JSON: tags (["vip"]), custom fields ({"size": "M"}) and important dates
-- ([{id, type, label, date, ...}]). Rules read contact_tags and contact_field_values, written in
-- the same transaction.
ALTER TABLE contacts ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE contacts ADD COLUMN custom_fields TEXT NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN important_dates TEXT NOT NULL DEFAULT '[]';
-- (workspace_id, id): pages in id order stop after a page of matches instead of sorting them all.
CREATE INDEX contacts_by_workspace ON contacts (workspace_id, id);
CREATE INDEX contacts_by_created ON contacts (workspace_id, created_ms);
CREATE INDEX contacts_by_last_message ON contacts (workspace_id, last_message_ms);
CREATE INDEX contacts_by_lead_score ON contacts (workspace_id, lead_score);
-- Rules compare strings ASCII-case-folded: on SQLite that is lower(x) (ASCII-only there), so these
-- expression indexes serve `lower(c.city) = $n` and friends, and an OR of such tests becomes index
-- lookups instead of a scan. (PostgreSQL folds with translate() and does not use them.)
CREATE INDEX contacts_by_city ON contacts (workspace_id, lower(city));
CREATE INDEX contacts_by_country ON contacts (workspace_id, lower(country));
CREATE INDEX contacts_by_language ON contacts (workspace_id, lower(language));
CREATE INDEX contacts_by_stage ON contacts (workspace_id, journey_stage);
CREATE INDEX contacts_by_status ON contacts (workspace_id, status);
CREATE INDEX contacts_by_account ON contacts (workspace_id, account_id, id);
-- A contact's tags, lower-cased (ASCII), one row each.
CREATE TABLE contact_tags (
  workspace_id TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (contact_id, tag)
);
CREATE INDEX contact_tags_by_tag ON contact_tags (workspace_id, tag, contact_id);
-- The custom fields a workspace declares. type: "string" | "number" | "date" | "boolean" |
-- "enum"; options: JSON array of the enum's values.
CREATE TABLE contact_fields (
  workspace_id TEXT NOT NULL,
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  type TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, key)
);
-- A contact's custom field values, one row each. text_value: the string, enum value or date
-- ('YYYY-MM-DD'); num_value: the number, the boolean (0/1), or a date's Unix ms at 00:00 UTC.
CREATE TABLE contact_field_values (
  workspace_id TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  text_value TEXT NOT NULL DEFAULT '',
  num_value DOUBLE PRECISION NOT NULL DEFAULT 0,
  PRIMARY KEY (contact_id, key)
);
-- Covering indexes for rules: a custom field's matching contacts come from the index alone.
CREATE INDEX contact_field_values_by_number ON contact_field_values (workspace_id, key, num_value, contact_id);
CREATE INDEX contact_field_values_by_text ON contact_field_values (workspace_id, key, text_value, contact_id);
-- Companies. annual_revenue in the currency's major unit; address as JSON
-- ({street, city, region, postalCode, country}).
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  website TEXT NOT NULL DEFAULT '',
  industry TEXT NOT NULL DEFAULT '',
  employees BIGINT NOT NULL DEFAULT 0,
  annual_revenue DOUBLE PRECISION NOT NULL DEFAULT 0,
  address TEXT NOT NULL DEFAULT '{}',
  owner_id TEXT NOT NULL DEFAULT '',
  parent_account_id TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX accounts_by_name ON accounts (workspace_id, name_key, id);
-- Background jobs (contact imports). The CSV waits in input until the job is done (then it is
-- cleared); next_row is where a restarted worker resumes, so a crash loses nothing and an import
-- never runs a row twice. errors: JSON [{row, message}], the first 1,000.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  params TEXT NOT NULL DEFAULT '{}',
  input TEXT NOT NULL DEFAULT '',
  next_row BIGINT NOT NULL DEFAULT 0,
  total BIGINT NOT NULL DEFAULT 0,
  processed BIGINT NOT NULL DEFAULT 0,
  created BIGINT NOT NULL DEFAULT 0,
  updated BIGINT NOT NULL DEFAULT 0,
  skipped BIGINT NOT NULL DEFAULT 0,
  errors TEXT NOT NULL DEFAULT '[]',
  error_count BIGINT NOT NULL DEFAULT 0,
  lease_until_ms BIGINT NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_by_status ON jobs (status, lease_until_ms);
