-- The AI turn controller, the outbox and the agents' actions. Both engines accept ADD COLUMN with a
-- constant default, so the rows of 002 keep working.
--
-- conversations.ai_due_ms: when the AI should answer the customer's burst (Unix ms; 0: nothing to
-- answer). Every customer message of an AI-handled conversation moves it to now + debounce, in the
-- same transaction that stores the message, so a pending reply survives a crash.
-- ai_lease_until_ms: a turn being worked on (by any replica) until then; an expired lease is taken
-- over. ai_attempts: failed GenerateReply calls for the current burst.
ALTER TABLE conversations ADD COLUMN ai_due_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN ai_lease_until_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN ai_attempts INTEGER NOT NULL DEFAULT 0;
-- What the AI learnt (aiContext) and why it handed off.
ALTER TABLE conversations ADD COLUMN intent TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN ai_summary TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN qualification_answers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN objections TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN next_action TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN handoff_reason TEXT NOT NULL DEFAULT '';
-- The sale (conversion), the order value in the currency's minor unit.
ALTER TABLE conversations ADD COLUMN converted_at TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN order_value_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN currency TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN order_details TEXT NOT NULL DEFAULT '';
-- The customer's latest message (platform time, Unix ms): the 24-hour window runs from it.
ALTER TABLE conversations ADD COLUMN last_customer_message_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX conversations_ai_due ON conversations (ai_due_ms);
-- The outbox: an ai or agent message with delivery_status 'pending' is still to be sent, at
-- next_attempt_ms, by whoever holds its lease. outbound: what else the Send API needs (quick
-- replies, a WhatsApp template), JSON.
ALTER TABLE messages ADD COLUMN outbound TEXT NOT NULL DEFAULT '{}';
ALTER TABLE messages ADD COLUMN send_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN next_attempt_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN send_lease_until_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_outbox ON messages (delivery_status, next_attempt_ms);
-- A conversation's messages in platform time order.
CREATE INDEX messages_by_time ON messages (workspace_id, conversation_id, platform_timestamp_ms, id);
