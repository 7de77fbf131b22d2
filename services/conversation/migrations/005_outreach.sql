-- Outreach: the service-only send (SendToContactForService, outreach.h) and the important-date
-- scheduler (occasions.h). Both engines accept ADD COLUMN with a constant default.
--
-- messages.idempotency_key: the caller's key of a direct send (a broadcast recipient id,
-- "occasion:<contact>:<date id>:<year>", ...); NULL for every other message, so the unique index
-- only binds real keys. A message with a key is never the outbox's: its caller owns the retries.
-- broadcast_id / broadcast_recipient_id: '' unless the message went out for a broadcast, so its
-- receipts and the customer's reply can be reported (broadcast.receipt, broadcast.reply).
-- origin: "broadcast" | "occasion" | "automation" for direct sends, '' otherwise.
ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
ALTER TABLE messages ADD COLUMN broadcast_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN broadcast_recipient_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN origin TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX messages_by_idempotency_key ON messages (workspace_id, idempotency_key);
-- The 24-hour window of a contact on a platform is the newest customer message of any of its
-- conversations there: audience resolution asks it once per contact.
CREATE INDEX conversations_by_contact_window ON conversations (workspace_id, contact_id, platform, last_customer_message_ms);
-- Important dates: one row per (contact, date id) that has a greeting to send, with when it is
-- due next (Unix ms), recomputed whenever the contact's dates change and after each send.
-- lease_until_ms: a replica is sending it until then.
CREATE TABLE contact_occasions (
  workspace_id TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  date_id TEXT NOT NULL,
  year INTEGER NOT NULL,
  next_send_ms BIGINT NOT NULL,
  lease_until_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (contact_id, date_id)
);
CREATE INDEX contact_occasions_due ON contact_occasions (next_send_ms);
-- What happened to each greeting, once per (contact, date id, year): the unique key that makes a
-- greeting go out at most once a year. status: "sent" | "failed" | "skipped"; reason for the
-- last two.
CREATE TABLE occasion_sends (
  workspace_id TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  date_id TEXT NOT NULL,
  year INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  message_id TEXT NOT NULL DEFAULT '',
  sent_at TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  PRIMARY KEY (contact_id, date_id, year)
);
