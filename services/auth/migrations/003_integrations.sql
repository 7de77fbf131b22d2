-- Channel integrations (a Facebook Page, an Instagram account, a WhatsApp number) and their
-- sealed credentials. Types are the ones SQLite and PostgreSQL read alike:
--   settings            protobuf JSON of salesos.auth.v1.IntegrationSettings
--   sealed_credentials  base64 of AES-256-GCM (nonce || ciphertext || tag) of the access token,
--                       sealed with the aad "<workspace_id>/<id>" so a value copied into another
--                       row does not open; TEXT rather than BLOB/bytea, which differ by engine
--   credentials_hint    "…" and the last characters of the token, for people to recognise it
-- An external id belongs to one workspace at most: the unique key is global, not per workspace.
CREATE TABLE integrations (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  platform TEXT NOT NULL,
  external_id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  waba_id TEXT NOT NULL DEFAULT '',
  settings TEXT NOT NULL,
  sealed_credentials TEXT NOT NULL,
  credentials_hint TEXT NOT NULL,
  connected_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (platform, external_id)
);

CREATE INDEX integrations_by_workspace ON integrations (workspace_id, id);
