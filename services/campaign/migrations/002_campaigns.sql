-- The whole campaign resource. Types are the ones SQLite and PostgreSQL read alike:
--   product, chat_flow, target_audience  protobuf JSON of salesos.campaign.v1.Product (without
--                                        price and currency), ChatFlow and TargetAudience
--   price_minor, currency                the price exactly, in minor units of an ISO 4217 code
--   referral_ids                         protobuf JSON of a Campaign holding only referralIds
--                                        (what is read back), campaign_referrals is what matches
--   *_at                                 RFC 3339 UTC with milliseconds, fixed width, so text
--                                        order is time order ('' when it has not happened)
ALTER TABLE campaigns ADD COLUMN target_platform TEXT NOT NULL DEFAULT 'all';
ALTER TABLE campaigns ADD COLUMN product TEXT NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN price_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
ALTER TABLE campaigns ADD COLUMN chat_flow TEXT NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN target_audience TEXT NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN outreach_message TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN referral_ids TEXT NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN messages_sent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN responses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN conversions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN revenue_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN activated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN completed_at TEXT NOT NULL DEFAULT '';

-- ResolveCampaignForChannel's fallback: the most recently activated active campaign.
CREATE INDEX campaigns_by_status ON campaigns (workspace_id, status, activated_at);

-- Exact referral ids (ad or link refs) that route a new conversation to a campaign. One id may
-- name several campaigns; the most recently activated active one wins.
CREATE TABLE campaign_referrals (
  workspace_id TEXT NOT NULL,
  referral_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  PRIMARY KEY (workspace_id, referral_id, campaign_id)
);
CREATE INDEX campaign_referrals_by_campaign ON campaign_referrals (campaign_id);

-- Stats events already counted: RecordCampaignStats inserts here in the same transaction as it
-- adds, so a redelivered event changes nothing.
CREATE TABLE processed_stats_events (
  workspace_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  processed_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, event_id)
);
