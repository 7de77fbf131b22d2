-- Events already folded into rollups, so a replayed event changes nothing.
CREATE TABLE processed_events (
  event_id TEXT PRIMARY KEY,
  processed_at TEXT NOT NULL
);
