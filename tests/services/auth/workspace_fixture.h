#pragma once

// A workspace with an owner in a migrated auth store, for tests of what references workspaces
// (integrations, sealed credentials).

#include <string>

#include "account_rules.h"
#include "auth_store.h"
#include "salesos/core/ids.h"
#include "salesos/store/store.h"
#include "support/databases.h"

namespace salesos::auth {

inline std::string MakeWorkspace(store::Store& db) {
  AuthStore accounts(db);
  WorkspaceRecord ws{NewUuidV7(), "Ada Lamps", "2026-11-21T06:30:00Z"};
  UserRecord u;
  u.id = NewUuidV7();
  u.workspace_id = ws.id;
  u.email = RandomHex(4) + "@example.com";
  u.email_key = EmailKey(u.email);
  u.name = "Ada";
  u.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA";
  u.role = "owner";
  u.created_at = ws.created_at;
  REQUIRE_OK(accounts.CreateOwner(ws, u));
  return ws.id;
}

}  // namespace salesos::auth
