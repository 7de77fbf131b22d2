-- conversations.ai_traceparent: the W3C traceparent of what made the AI turn due (the customer's
-- webhook, or the agent's request that gave the conversation back to the AI), so the turn's
-- GenerateReply call and Send API call are logged under the same trace, though they run later
-- from this table. '' when none was known.
ALTER TABLE conversations ADD COLUMN ai_traceparent TEXT NOT NULL DEFAULT '';
