-- Rollups of salesos:events (see docs/analytics.md for what each counter means). Times are Unix
-- seconds (hours: the hour's start, UTC) or milliseconds, BIGINT on both engines.

-- One row per workspace × UTC hour × campaign ('' none) × platform: counters only, so every
-- event adds to them and a range sums them.
CREATE TABLE rollups (
  workspace_id TEXT NOT NULL,
  hour BIGINT NOT NULL,
  campaign_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  messages_received BIGINT NOT NULL DEFAULT 0,
  messages_sent_ai BIGINT NOT NULL DEFAULT 0,
  messages_sent_agent BIGINT NOT NULL DEFAULT 0,
  failed_deliveries BIGINT NOT NULL DEFAULT 0,
  conversations_started BIGINT NOT NULL DEFAULT 0,
  -- Counted at the hour its conversation started (the funnel's cohort):
  engaged BIGINT NOT NULL DEFAULT 0,
  leads BIGINT NOT NULL DEFAULT 0,
  qualified BIGINT NOT NULL DEFAULT 0,
  converted BIGINT NOT NULL DEFAULT 0,
  replied BIGINT NOT NULL DEFAULT 0,
  handed_off BIGINT NOT NULL DEFAULT 0,
  -- Counted at the hour they happened:
  conversions BIGINT NOT NULL DEFAULT 0,
  responses BIGINT NOT NULL DEFAULT 0,
  response_ms_sum BIGINT NOT NULL DEFAULT 0,
  first_responses BIGINT NOT NULL DEFAULT 0,
  first_response_ms_sum BIGINT NOT NULL DEFAULT 0,
  ai_replies BIGINT NOT NULL DEFAULT 0,
  ai_fallbacks BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace_id, hour, campaign_id, platform)
);
CREATE INDEX rollups_by_campaign ON rollups (workspace_id, campaign_id, hour);

-- Revenue by currency, exact minor units, at the hour of the conversion.
CREATE TABLE revenue_rollups (
  workspace_id TEXT NOT NULL,
  hour BIGINT NOT NULL,
  campaign_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount_minor BIGINT NOT NULL DEFAULT 0,
  orders BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace_id, hour, campaign_id, platform, currency)
);

-- What analytics knows of each conversation, from its conversation.started on: where later events
-- are attributed, and the funnel flags (0/1) each counted once.
CREATE TABLE conversations (
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  started_hour BIGINT NOT NULL,
  status TEXT NOT NULL,
  status_ms BIGINT NOT NULL,
  status_event_id TEXT NOT NULL,
  customer_messages BIGINT NOT NULL DEFAULT 0,
  engaged INTEGER NOT NULL DEFAULT 0,
  lead INTEGER NOT NULL DEFAULT 0,
  qualified INTEGER NOT NULL DEFAULT 0,
  converted INTEGER NOT NULL DEFAULT 0,
  replied INTEGER NOT NULL DEFAULT 0,
  handed_off INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace_id, conversation_id)
);
CREATE INDEX conversations_open ON conversations (workspace_id, status);

-- A conversation's customer messages ('c') and replies ('r') in time order, so response times do
-- not depend on the order events arrive in. A reply keeps the wait it answered (-1: none) and
-- whether that was the conversation's first.
CREATE TABLE conversation_timeline (
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  kind TEXT NOT NULL,
  event_id TEXT NOT NULL,
  wait_ms BIGINT NOT NULL DEFAULT -1,
  first_reply INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace_id, conversation_id, at_ms, kind, event_id)
);

-- Events of a conversation whose conversation.started has not arrived yet; folded when it does.
CREATE TABLE deferred_events (
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  envelope TEXT NOT NULL,  -- the serialized EventEnvelope, base64
  PRIMARY KEY (workspace_id, conversation_id, event_id)
);

-- Campaigns by their latest campaign.* event (ordered by occurred time, then event id).
CREATE TABLE campaigns (
  workspace_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  target_platform TEXT NOT NULL,
  changed_ms BIGINT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (workspace_id, campaign_id)
);
