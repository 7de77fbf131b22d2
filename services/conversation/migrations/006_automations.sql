-- Automations (docs/automations.md): rules that run actions when an event happens to a contact,
-- their executions, and the daily schedule's state.
--
-- conditions: the rule tree as protobuf JSON (common/v1 SegmentRule), '' for none (every event
-- matches); actions: a JSON array of AutomationAction (protobuf JSON). schedule_time "HH:MM" and
-- schedule_timezone (IANA) for event "schedule.daily" only.
CREATE TABLE automations (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  event TEXT NOT NULL,
  conditions TEXT NOT NULL DEFAULT '',
  actions TEXT NOT NULL DEFAULT '[]',
  is_active BIGINT NOT NULL DEFAULT 1,
  priority BIGINT NOT NULL DEFAULT 0,
  schedule_time TEXT NOT NULL DEFAULT '',
  schedule_timezone TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  execution_count BIGINT NOT NULL DEFAULT 0,
  last_executed_at TEXT NOT NULL DEFAULT ''
);
-- The engine's lookup: a workspace's active rules for one event, by priority (ids are UUIDv7, so
-- id order is age).
CREATE INDEX automations_by_event ON automations (workspace_id, event, is_active, priority, id);
-- The schedule loop reads the active schedule.daily rules of every workspace.
CREATE INDEX automations_by_kind ON automations (event, is_active);
-- One row per run of an automation for one contact. event_id is the domain event's id, or
-- "schedule:<local date>" for a schedule.daily run: the unique index makes a redelivered event
-- (or a second replica, or a restart during a daily run) run the automation once per contact.
-- status: "running" while the actions run, then "succeeded" | "failed" | "skipped".
CREATE TABLE automation_executions (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  automation_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event TEXT NOT NULL,
  contact_id TEXT NOT NULL DEFAULT '',
  conversation_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  result TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  execution_time_ms BIGINT NOT NULL DEFAULT 0,
  depth BIGINT NOT NULL DEFAULT 0,
  started_at TEXT NOT NULL,
  started_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX automation_executions_once
  ON automation_executions (automation_id, event_id, contact_id);
-- Listing newest first (ids are UUIDv7), optionally by status, and pruning after 30 days.
CREATE INDEX automation_executions_newest ON automation_executions (workspace_id, automation_id, id);
CREATE INDEX automation_executions_by_age ON automation_executions (started_ms);
-- The local day (in the rule's time zone) a schedule.daily rule last ran for, so it runs once a
-- day across restarts and replicas.
CREATE TABLE automation_schedule_runs (
  automation_id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  last_local_date TEXT NOT NULL,
  ran_at TEXT NOT NULL
);
