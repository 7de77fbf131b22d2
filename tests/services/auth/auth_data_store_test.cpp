// auth's DataAdmin (users, integrations) on both engines, and the AdminService composing it:
// redaction (no password hash, no sealed credentials), users read-only, integrations removed
// with their channel.changed, clear keeps users, confirm and collection checks.

#include "auth_data_store.h"

#include <catch2/catch.hpp>
#include <string>

#include "account_rules.h"
#include "admin_service.h"
#include "auth_lib_migrations.h"
#include "auth_store.h"
#include "integration_store.h"
#include "salesos/core/ids.h"
#include "salesos/data_admin/data_admin.h"
#include "salesos/redis/redis.h"
#include "support/databases.h"
#include "support/redis_server.h"

namespace salesos::auth {
namespace {

using testing::Unwrap;
namespace pb = ::salesos::common::v1;

constexpr char kHash[] = "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA";
constexpr char kSealed[] = "SEALED-SECRET-BYTES";

struct Seeded {
  std::string workspace_id;
  std::string user_id;
  std::string integration_id;
};

Seeded Seed(store::Store& db, const std::string& name) {
  AuthStore accounts(db);
  WorkspaceRecord ws{NewUuidV7(), name, "2026-11-21T06:30:00Z"};
  UserRecord u;
  u.id = NewUuidV7();
  u.workspace_id = ws.id;
  u.email = RandomHex(4) + "@example.com";
  u.email_key = EmailKey(u.email);
  u.name = "Ada";
  u.password_hash = kHash;
  u.role = "owner";
  u.created_at = ws.created_at;
  REQUIRE_OK(accounts.CreateOwner(ws, u));
  IntegrationRecord r;
  r.id = NewUuidV7();
  r.workspace_id = ws.id;
  r.platform = "facebook";
  r.external_id = RandomHex(6);
  r.name = "Ada's Lamps";
  r.status = "connected";
  r.sealed_credentials = kSealed;
  r.credentials_hint = "…abcd";
  r.connected_at = ws.created_at;
  r.updated_at = ws.created_at;
  REQUIRE_OK(IntegrationStore(db).Create(r));
  return {ws.id, u.id, r.id};
}

void RedactsAndKeepsUsers(store::Store& db) {
  Seeded a = Seed(db, "Ada Lamps");
  Seeded b = Seed(db, "Bob Bulbs");
  testing::RedisServer redis_server;
  redis::ClientPtr redis = *redis::Connect(redis_server.url());
  rpc::EventPublisher events(redis, "auth");
  auto catalog = AuthDataCatalog(db, events);
  data_admin::DataAdminLogic logic(*catalog, events);

  std::string seen;
  for (const char* c : {"users", "integrations"}) {
    for (const auto& doc : Unwrap(catalog->List(a.workspace_id, c, "", 0, "")).documents) {
      seen += doc;
    }
    for (const auto& e : Unwrap(catalog->Export(a.workspace_id, {c}, 0))) {
      seen += e.json;
    }
  }
  CHECK(seen.find("argon2") == std::string::npos);
  CHECK(seen.find("assword") == std::string::npos);
  CHECK(seen.find(kSealed) == std::string::npos);
  CHECK(seen.find("\"role\":\"owner\"") != std::string::npos);
  CHECK(seen.find("\"credentialsHint\":\"…abcd\"") != std::string::npos);
  CHECK(seen.find(b.user_id) == std::string::npos);  // the other workspace's

  CHECK(catalog->Delete(a.workspace_id, "users", a.user_id).status().code() ==
        Code::kFailedPrecondition);
  CHECK(catalog->Delete(a.workspace_id, "integrations", b.integration_id).status().code() ==
        Code::kNotFound);

  pb::DataClearRequest clear;
  clear.set_workspace_id(a.workspace_id);
  clear.set_by(a.user_id);
  pb::DataClearResponse cleared;
  REQUIRE_OK(logic.Clear(clear, &cleared));
  CHECK(cleared.removed().at("integrations") == 1);
  CHECK_FALSE(cleared.removed().contains("users"));
  std::map<std::string, int64_t> counts;
  for (const auto& [c, n] : Unwrap(catalog->Counts(a.workspace_id))) {
    counts[c->name] = n;
  }
  CHECK(counts == std::map<std::string, int64_t>{{"users", 1}, {"integrations", 0}});
  // channel.changed for the removed integration (webhook_ingest drops its cache), then
  // data.cleared.
  auto entries = Unwrap(redis->Command({"XRANGE", "salesos:events", "-", "+"}));
  std::vector<std::string> types;
  for (const auto& e : entries.elements) {
    const auto& fields = e.elements.at(1).elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "type") {
        types.push_back(fields[i + 1].str);
      }
    }
  }
  CHECK(types == std::vector<std::string>{"channel.changed", "data.cleared"});
  CHECK(Unwrap(catalog->Counts(b.workspace_id)).at(1).count == 1);
}

SALESOS_TEST_BOTH_ENGINES(
    "auth data admin never shows secrets, keeps users and clears integrations",
    "[auth][data_admin]", auth_lib_migrations(), "auth_data", RedactsAndKeepsUsers)

void AdminComposes(store::Store& db) {
  Seeded a = Seed(db, "Ada Lamps");
  redis::ClientPtr nowhere = *redis::Connect("redis://127.0.0.1:1");
  rpc::EventPublisher events(nowhere, "auth");
  auto catalog = AuthDataCatalog(db, events);
  data_admin::DataAdminLogic logic(*catalog, events);
  AuthStore accounts(db);
  rpc::WorkPool pool(1);
  AdminServiceImpl admin(accounts, {&logic}, nowhere, {}, pool);
  rpc::Caller owner;
  owner.user_id = a.user_id;
  owner.workspace_id = a.workspace_id;
  owner.role = "owner";

  v1::ClearAllDataRequest wrong;
  wrong.set_confirm("ada lamps");
  v1::ClearAllDataResponse removed;
  Status st = admin.DoClearAll(owner, wrong, &removed);
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.ToString().find("confirm") != std::string::npos);
  CHECK(Unwrap(catalog->Counts(a.workspace_id)).at(1).count == 1);  // nothing changed

  v1::ListDocumentsRequest list;
  list.set_collection("widgets");
  v1::ListDocumentsResponse docs;
  Status unknown = admin.DoList(owner, list, &docs);
  CHECK(unknown.code() == Code::kNotFound);
  CHECK(unknown.message().find("users, integrations, campaigns, templates, conversations, "
                               "messages, contacts, analytics") != std::string::npos);

  v1::GetDataStatsRequest other;
  other.set_workspace_id(NewUuidV7());
  v1::DataStats stats;
  CHECK(admin.DoStats(owner, other, &stats).code() == Code::kPermissionDenied);
  REQUIRE_OK(admin.DoStats(owner, {}, &stats));
  CHECK(stats.counts().at("users") == 1);
  // Services other than auth are not configured here: their collections are unavailable.
  list.set_collection("messages");
  CHECK(admin.DoList(owner, list, &docs).code() == Code::kUnavailable);

  v1::ClearAllDataRequest right;
  right.set_confirm("Ada Lamps");
  REQUIRE_OK(admin.DoClearAll(owner, right, &removed));
  CHECK(removed.removed().at("integrations") == 1);
}

SALESOS_TEST_BOTH_ENGINES("admin service checks the confirm name, collections and workspaces",
                          "[auth][data_admin]", auth_lib_migrations(), "auth_admin", AdminComposes)

}  // namespace
}  // namespace salesos::auth
