-- Broadcasts (docs/broadcasts.md): one message to every contact of an audience, through one
-- integration. The recipients table is the send queue.
--
-- templates.whatsapp: protobuf JSON of the Meta-approved WhatsApp template the template is sent as
-- on WhatsApp ("" when it has none).
ALTER TABLE templates ADD COLUMN whatsapp TEXT NOT NULL DEFAULT '';

-- One row a broadcast, with its counters (kept in the same transaction as every recipient change)
-- and the state of the audience's resolution:
--   rules            protobuf JSON of the audience tree (a segment's, copied at creation)
--   wa_template      protobuf JSON of the WhatsApp template sent (inline, or the template's)
--   body             the text (or the template's body) rendered per recipient; "" when only a
--                    WhatsApp template is sent
--   schedule_at_ms   when it starts (Unix ms)
--   resolved         1 once every recipient is in broadcast_recipients
--   resolve_token    conversation's page token of the next page to resolve (committed with the
--                    page before it, so a restart resumes there)
--   lease_owner / lease_until_ms   the replica resolving the audience, while it does
CREATE TABLE broadcasts (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  segment_id TEXT NOT NULL DEFAULT '',
  rules TEXT NOT NULL,
  template_id TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  text_given TEXT NOT NULL DEFAULT '',
  wa_template TEXT NOT NULL DEFAULT '',
  inline_template INTEGER NOT NULL DEFAULT 0,
  integration_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  schedule_at_ms BIGINT NOT NULL,
  rate_per_second INTEGER NOT NULL,
  attribution_window_hours INTEGER NOT NULL,
  total INTEGER NOT NULL DEFAULT 0,
  queued INTEGER NOT NULL DEFAULT 0,
  sent INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  read_count INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  replied INTEGER NOT NULL DEFAULT 0,
  cancelled INTEGER NOT NULL DEFAULT 0,
  opted_out INTEGER NOT NULL DEFAULT 0,
  resolved INTEGER NOT NULL DEFAULT 0,
  resolve_token TEXT NOT NULL DEFAULT '',
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until_ms BIGINT NOT NULL DEFAULT 0,
  started_at TEXT NOT NULL DEFAULT '',
  completed_at TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX broadcasts_by_campaign ON broadcasts (workspace_id, campaign_id, id);
CREATE INDEX broadcasts_by_status ON broadcasts (status, schedule_at_ms);

-- One row a recipient: the queue. status queued → sending → sent | failed (or back to queued for
-- a retry at next_attempt_ms); delivered / read follow receipts; cancelled by a cancel.
--   text / params    the message rendered at queue time (params: the WhatsApp template's body
--                    parameters, each as <length>:<bytes>)
--   last_attempt_ms  when it was last handed to conversation (the 6-second gap per contact)
CREATE TABLE broadcast_recipients (
  id TEXT PRIMARY KEY,
  broadcast_id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  integration_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  params TEXT NOT NULL DEFAULT '',
  platform_message_id TEXT NOT NULL DEFAULT '',
  message_id TEXT NOT NULL DEFAULT '',
  conversation_id TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT NOT NULL DEFAULT 0,
  last_attempt_ms BIGINT NOT NULL DEFAULT 0,
  sent_at_ms BIGINT NOT NULL DEFAULT 0,
  sent_at TEXT NOT NULL DEFAULT '',
  delivered_at TEXT NOT NULL DEFAULT '',
  read_at TEXT NOT NULL DEFAULT '',
  replied_at TEXT NOT NULL DEFAULT ''
);
-- A contact is a recipient of a broadcast once, however often its resolution is redone.
CREATE UNIQUE INDEX broadcast_recipients_by_contact ON broadcast_recipients (broadcast_id, contact_id);
-- The sender's queue: an integration's due recipients.
CREATE INDEX broadcast_recipients_queue ON broadcast_recipients (integration_id, status, next_attempt_ms);
CREATE INDEX broadcast_recipients_by_broadcast ON broadcast_recipients (broadcast_id, status, id);

-- One sender an integration across replicas: the holder of this lease.
CREATE TABLE broadcast_integration_leases (
  integration_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until_ms BIGINT NOT NULL
);
