// AuthStore against both engines: every check runs as "sqlite: ..." and "postgresql: ...".

#include "auth_store.h"

#include <catch2/catch.hpp>
#include <string>

#include "account_rules.h"
#include "auth_lib_migrations.h"
#include "salesos/core/ids.h"
#include "salesos/store/store.h"
#include "support/databases.h"
#include "support/postgres.h"
#include "support/temp_dir.h"

namespace salesos::auth {
namespace {

using testing::Unwrap;

WorkspaceRecord MakeWorkspace(const std::string& name) {
  return WorkspaceRecord{NewUuidV7(), name, "2026-11-21T06:30:00Z"};
}

UserRecord MakeOwner(const WorkspaceRecord& ws, const std::string& email) {
  UserRecord u;
  u.id = NewUuidV7();
  u.workspace_id = ws.id;
  u.email = email;
  u.email_key = EmailKey(email);
  u.name = "Ada Lovelace";
  u.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA";
  u.role = "owner";
  u.created_at = ws.created_at;
  return u;
}

void CheckCreateOwnerThenFind(store::Store& db) {
  AuthStore store(db);
  WorkspaceRecord ws = MakeWorkspace("Ada Lamps");
  UserRecord owner = MakeOwner(ws, "Ada@Example.com");
  REQUIRE_OK(store.CreateOwner(ws, owner));

  auto by_email = Unwrap(store.FindUserByEmailKey("ada@example.com"));
  REQUIRE(by_email.has_value());
  CHECK(by_email->id == owner.id);
  CHECK(by_email->workspace_id == ws.id);
  CHECK(by_email->email == "Ada@Example.com");
  CHECK(by_email->email_key == "ada@example.com");
  CHECK(by_email->name == "Ada Lovelace");
  CHECK(by_email->password_hash == owner.password_hash);
  CHECK(by_email->role == "owner");
  CHECK_FALSE(by_email->onboarding_completed);
  CHECK(by_email->created_at == "2026-11-21T06:30:00Z");

  auto by_id = Unwrap(store.FindUser(ws.id, owner.id));
  REQUIRE(by_id.has_value());
  CHECK(by_id->email_key == "ada@example.com");
  CHECK(by_id->role == "owner");

  auto workspace = Unwrap(store.FindWorkspace(ws.id));
  REQUIRE(workspace.has_value());
  CHECK(workspace->id == ws.id);
  CHECK(workspace->name == "Ada Lamps");
  CHECK(workspace->created_at == ws.created_at);
}

void CheckMissingRecords(store::Store& db) {
  AuthStore store(db);
  CHECK_FALSE(Unwrap(store.FindUserByEmailKey("nobody@example.com")).has_value());
  CHECK_FALSE(Unwrap(store.FindUser(NewUuidV7(), NewUuidV7())).has_value());
  CHECK_FALSE(Unwrap(store.FindWorkspace(NewUuidV7())).has_value());
}

void CheckOnboardingFlagRoundTrips(store::Store& db) {
  AuthStore store(db);
  WorkspaceRecord ws = MakeWorkspace("Grace Tools");
  UserRecord owner = MakeOwner(ws, "grace@example.com");
  owner.onboarding_completed = true;
  REQUIRE_OK(store.CreateOwner(ws, owner));
  auto found = Unwrap(store.FindUser(ws.id, owner.id));
  REQUIRE(found.has_value());
  CHECK(found->onboarding_completed);
}

void CheckDuplicateEmailRollsBack(store::Store& db) {
  AuthStore store(db);
  WorkspaceRecord first_ws = MakeWorkspace("Ada Lamps");
  UserRecord first = MakeOwner(first_ws, "ada@example.com");
  REQUIRE_OK(store.CreateOwner(first_ws, first));

  // Same email key, another spelling, another workspace.
  WorkspaceRecord second_ws = MakeWorkspace("Ada Lamps Again");
  UserRecord second = MakeOwner(second_ws, "ADA@example.com");
  REQUIRE(second.email_key == first.email_key);
  Status st = store.CreateOwner(second_ws, second);
  INFO(st.ToString());
  CHECK(st.code() == Code::kAlreadyExists);

  // The workspace inserted before the failing user insert was rolled back with it.
  CHECK_FALSE(Unwrap(store.FindWorkspace(second_ws.id)).has_value());
  CHECK_FALSE(Unwrap(store.FindUser(second_ws.id, second.id)).has_value());
  // The first account is untouched.
  auto still = Unwrap(store.FindUserByEmailKey("ada@example.com"));
  REQUIRE(still.has_value());
  CHECK(still->id == first.id);
  CHECK(still->workspace_id == first_ws.id);
  CHECK(Unwrap(store.FindWorkspace(first_ws.id)).has_value());

  // The store is still usable after the rolled-back transaction.
  WorkspaceRecord third_ws = MakeWorkspace("Babbage Engines");
  REQUIRE_OK(store.CreateOwner(third_ws, MakeOwner(third_ws, "charles@example.com")));
  CHECK(Unwrap(store.FindWorkspace(third_ws.id)).has_value());
}

void CheckTenancy(store::Store& db) {
  AuthStore store(db);
  WorkspaceRecord ws_a = MakeWorkspace("A");
  UserRecord user_a = MakeOwner(ws_a, "a@example.com");
  WorkspaceRecord ws_b = MakeWorkspace("B");
  UserRecord user_b = MakeOwner(ws_b, "b@example.com");
  REQUIRE_OK(store.CreateOwner(ws_a, user_a));
  REQUIRE_OK(store.CreateOwner(ws_b, user_b));

  CHECK(Unwrap(store.FindUser(ws_a.id, user_a.id)).has_value());
  CHECK(Unwrap(store.FindUser(ws_b.id, user_b.id)).has_value());
  // A user is only found through its own workspace.
  CHECK_FALSE(Unwrap(store.FindUser(ws_b.id, user_a.id)).has_value());
  CHECK_FALSE(Unwrap(store.FindUser(ws_a.id, user_b.id)).has_value());
}

#define BOTH_ENGINES(name, check) \
  SALESOS_TEST_BOTH_ENGINES(name, "[auth][store]", auth_lib_migrations(), "auth", check)

BOTH_ENGINES("create owner then find the user by email key and id and its workspace",
             CheckCreateOwnerThenFind)
BOTH_ENGINES("unknown users and workspaces are not found", CheckMissingRecords)
BOTH_ENGINES("the onboarding flag round-trips", CheckOnboardingFlagRoundTrips)
BOTH_ENGINES("a second owner with a taken email is already exists and rolls back",
             CheckDuplicateEmailRollsBack)
BOTH_ENGINES("a user is not found through another workspace", CheckTenancy)

}  // namespace
}  // namespace salesos::auth
