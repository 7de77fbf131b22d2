-- Outgoing webhooks (docs/webhooks.md): a workspace's subscriptions and their delivery log.
--
-- events: the subscribed types, space-separated with a space at each end (" message.received * ");
-- intake reads a workspace's (at most 20) webhooks and matches types in code.
-- secret_sealed: base64 of the secret sealed with the data key (AES-256-GCM, aad
-- "outgoing_webhooks.secret/<workspace_id>/<id>"); secret_hint: "…" and its last four characters.
CREATE TABLE outgoing_webhooks (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret_sealed TEXT NOT NULL,
  secret_hint TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX outgoing_webhooks_by_workspace ON outgoing_webhooks (workspace_id, id);

-- One row per delivery of one event to one webhook. body: the JSON posted, fixed when the event
-- arrived so every attempt (and redelivery) signs and sends the same bytes.
-- status 'pending' is still to be tried at next_attempt_ms, by whoever holds its lease
-- (lease_until_ms, Unix ms; an expired lease is taken over); first_attempt_ms starts the 24-hour
-- bound; redelivery_of: the delivery a redelivery repeats (NULL for the one the event made).
CREATE TABLE outgoing_deliveries (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT NOT NULL DEFAULT 0,
  lease_until_ms BIGINT NOT NULL DEFAULT 0,
  first_attempt_ms BIGINT NOT NULL DEFAULT 0,
  last_http_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL,
  delivered_ms BIGINT NOT NULL DEFAULT 0,
  redelivery_of TEXT
);
-- A stream entry handed over twice (a redelivered salesos:events entry) enqueues once.
CREATE UNIQUE INDEX outgoing_deliveries_once ON outgoing_deliveries (webhook_id, event_id)
  WHERE redelivery_of IS NULL;
CREATE INDEX outgoing_deliveries_due ON outgoing_deliveries (status, next_attempt_ms);
CREATE INDEX outgoing_deliveries_log ON outgoing_deliveries (workspace_id, webhook_id, id);
CREATE INDEX outgoing_deliveries_age ON outgoing_deliveries (created_ms);
