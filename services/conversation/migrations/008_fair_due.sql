-- Per-workspace fairness of the outbox and the AI turns (docs/broadcasts.md, "Fairness"): a claim
-- first takes the oldest due item of every workspace that has work, then the oldest overall, so
-- one workspace's backlog cannot push another's replies back. These partial indexes hold only
-- the work still to do, by workspace and due time: listing the workspaces with work is one index
-- step each (a loose index scan), and each one's oldest due item one index descent, whatever the
-- size of any backlog. The predicates are those of the queries word for word (both engines only
-- use a partial index whose WHERE the query's implies).
CREATE INDEX messages_outbox_by_workspace ON messages (workspace_id, next_attempt_ms, id) WHERE delivery_status = 'pending' AND idempotency_key IS NULL;
CREATE INDEX conversations_ai_due_by_workspace ON conversations (workspace_id, ai_due_ms, id) WHERE ai_due_ms > 0 AND handler = 'ai';
