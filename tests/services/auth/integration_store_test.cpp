// IntegrationStore against both engines: every check runs as "sqlite: ..." and "postgresql: ...".

#include "integration_store.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "account_rules.h"
#include "auth_lib_migrations.h"
#include "auth_store.h"
#include "salesos/core/ids.h"
#include "salesos/store/store.h"
#include "support/databases.h"
#include "support/postgres.h"
#include "support/temp_dir.h"
#include "workspace_fixture.h"

namespace salesos::auth {
namespace {

using testing::Unwrap;

IntegrationRecord MakeIntegration(const std::string& workspace_id, const std::string& platform,
                                  const std::string& external_id) {
  IntegrationRecord r;
  r.id = NewUuidV7();
  r.workspace_id = workspace_id;
  r.platform = platform;
  r.external_id = external_id;
  r.name = "Ada's Lamps";
  r.status = "connected";
  r.waba_id = platform == "whatsapp" ? "102345678901" : "";
  r.settings.set_auto_reply(true);
  r.settings.mutable_business_hours()->set_enabled(true);
  r.settings.mutable_business_hours()->set_timezone("Europe/Paris");
  (*r.settings.mutable_business_hours()->mutable_schedule())["mon"] = "09:00-12:00,13:00-17:00";
  r.settings.mutable_notifications()->set_email(true);
  // Arbitrary bytes, NUL and high bytes included: the store must keep them exactly.
  r.sealed_credentials = std::string("\x00\x01\xff sealed \x80", 12) + RandomBytes(28);
  r.credentials_hint = "…abcd";
  r.connected_at = "2026-11-21T06:30:00Z";
  r.updated_at = "2026-11-21T06:30:00Z";
  return r;
}

void CheckSame(const IntegrationRecord& got, const IntegrationRecord& want) {
  CHECK(got.id == want.id);
  CHECK(got.workspace_id == want.workspace_id);
  CHECK(got.platform == want.platform);
  CHECK(got.external_id == want.external_id);
  CHECK(got.name == want.name);
  CHECK(got.status == want.status);
  CHECK(got.waba_id == want.waba_id);
  CHECK(google::protobuf::util::MessageDifferencer::Equals(got.settings, want.settings));
  CHECK(got.sealed_credentials == want.sealed_credentials);
  CHECK(got.credentials_hint == want.credentials_hint);
  CHECK(got.connected_at == want.connected_at);
  CHECK(got.updated_at == want.updated_at);
}

void CheckCreateThenRead(store::Store& db) {
  IntegrationStore store(db);
  std::string ws = MakeWorkspace(db);
  IntegrationRecord wa = MakeIntegration(ws, "whatsapp", "109876543210");
  REQUIRE_OK(store.Create(wa));

  auto got = Unwrap(store.Get(ws, wa.id));
  REQUIRE(got.has_value());
  CheckSame(*got, wa);

  auto by_external = Unwrap(store.FindByExternalId("whatsapp", "109876543210"));
  REQUIRE(by_external.has_value());
  CheckSame(*by_external, wa);
  auto by_id = Unwrap(store.FindById(wa.id));
  REQUIRE(by_id.has_value());
  CheckSame(*by_id, wa);

  // The same number on another platform is another channel.
  CHECK_FALSE(Unwrap(store.FindByExternalId("facebook", "109876543210")).has_value());
  CHECK_FALSE(Unwrap(store.FindByExternalId("whatsapp", "1")).has_value());
  CHECK_FALSE(Unwrap(store.FindById(NewUuidV7())).has_value());
  CHECK_FALSE(Unwrap(store.Get(ws, NewUuidV7())).has_value());
}

void CheckExternalIdBelongsToOneWorkspace(store::Store& db) {
  IntegrationStore store(db);
  std::string ws_a = MakeWorkspace(db);
  std::string ws_b = MakeWorkspace(db);
  IntegrationRecord first = MakeIntegration(ws_a, "facebook", "104729384756");
  REQUIRE_OK(store.Create(first));

  Status same_ws = store.Create(MakeIntegration(ws_a, "facebook", "104729384756"));
  INFO(same_ws.ToString());
  CHECK(same_ws.code() == Code::kAlreadyExists);
  Status other_ws = store.Create(MakeIntegration(ws_b, "facebook", "104729384756"));
  INFO(other_ws.ToString());
  CHECK(other_ws.code() == Code::kAlreadyExists);
  CHECK(Unwrap(store.ListAll(ws_b)).empty());

  // The same id on another platform is fine.
  REQUIRE_OK(store.Create(MakeIntegration(ws_b, "instagram", "104729384756")));
  // Once disconnected, the page can be connected again, by anyone.
  REQUIRE(Unwrap(store.Delete(ws_a, first.id)).has_value());
  REQUIRE_OK(store.Create(MakeIntegration(ws_b, "facebook", "104729384756")));
}

void CheckTenancy(store::Store& db) {
  IntegrationStore store(db);
  std::string ws_a = MakeWorkspace(db);
  std::string ws_b = MakeWorkspace(db);
  IntegrationRecord a = MakeIntegration(ws_a, "facebook", "111");
  REQUIRE_OK(store.Create(a));

  CHECK_FALSE(Unwrap(store.Get(ws_b, a.id)).has_value());
  CHECK(Unwrap(store.List(ws_b, "", 50)).empty());
  IntegrationUpdate rename;
  rename.name = "stolen";
  rename.updated_at = "2026-11-22T00:00:00Z";
  CHECK_FALSE(Unwrap(store.Update(ws_b, a.id, rename)).has_value());
  CHECK_FALSE(Unwrap(store.Delete(ws_b, a.id)).has_value());

  // Untouched by the other workspace's attempts.
  auto still = Unwrap(store.Get(ws_a, a.id));
  REQUIRE(still.has_value());
  CheckSame(*still, a);
}

void CheckUpdate(store::Store& db) {
  IntegrationStore store(db);
  std::string ws = MakeWorkspace(db);
  IntegrationRecord rec = MakeIntegration(ws, "instagram", "17841400000000001");
  REQUIRE_OK(store.Create(rec));

  // Only the name.
  IntegrationUpdate rename;
  rename.name = "adaslamps_official";
  rename.updated_at = "2026-11-22T00:00:00Z";
  auto renamed = Unwrap(store.Update(ws, rec.id, rename));
  REQUIRE(renamed.has_value());
  IntegrationRecord want = rec;
  want.name = "adaslamps_official";
  want.updated_at = "2026-11-22T00:00:00Z";
  CheckSame(*renamed, want);

  // Settings replaced as a whole, credentials with their hint.
  IntegrationUpdate change;
  v1::IntegrationSettings settings;
  settings.mutable_notifications()->set_push(true);
  change.settings = settings;
  change.sealed_credentials = std::string("new\0sealed", 10);
  change.credentials_hint = "…wxyz";
  change.updated_at = "2026-11-23T00:00:00Z";
  auto changed = Unwrap(store.Update(ws, rec.id, change));
  REQUIRE(changed.has_value());
  want.settings = settings;
  want.sealed_credentials = *change.sealed_credentials;
  want.credentials_hint = "…wxyz";
  want.updated_at = "2026-11-23T00:00:00Z";
  CheckSame(*changed, want);
  CheckSame(*Unwrap(store.Get(ws, rec.id)), want);
  CHECK_FALSE(Unwrap(store.Get(ws, rec.id))->settings.business_hours().enabled());

  CHECK_FALSE(Unwrap(store.Update(ws, NewUuidV7(), rename)).has_value());
}

void CheckListPages(store::Store& db) {
  IntegrationStore store(db);
  std::string ws = MakeWorkspace(db);
  std::string other = MakeWorkspace(db);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    IntegrationRecord r = MakeIntegration(ws, "facebook", std::to_string(1000 + i));
    REQUIRE_OK(store.Create(r));
    ids.push_back(r.id);
    REQUIRE_OK(store.Create(MakeIntegration(other, "instagram", std::to_string(1000 + i))));
  }
  std::sort(ids.begin(), ids.end());

  auto first = Unwrap(store.List(ws, "", 2));
  REQUIRE(first.size() == 2);
  CHECK(first[0].id == ids[0]);
  CHECK(first[1].id == ids[1]);
  auto second = Unwrap(store.List(ws, first.back().id, 2));
  REQUIRE(second.size() == 2);
  CHECK(second[0].id == ids[2]);
  CHECK(second[1].id == ids[3]);
  auto last = Unwrap(store.List(ws, second.back().id, 2));
  REQUIRE(last.size() == 1);
  CHECK(last[0].id == ids[4]);
  CHECK(Unwrap(store.List(ws, last.back().id, 2)).empty());

  auto all = Unwrap(store.ListAll(ws));
  REQUIRE(all.size() == 5);
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].id == ids[i]);
    CHECK(all[i].workspace_id == ws);
  }
}

void CheckDelete(store::Store& db) {
  IntegrationStore store(db);
  std::string ws = MakeWorkspace(db);
  IntegrationRecord rec = MakeIntegration(ws, "whatsapp", "555");
  REQUIRE_OK(store.Create(rec));
  auto removed = Unwrap(store.Delete(ws, rec.id));
  REQUIRE(removed.has_value());
  CheckSame(*removed, rec);
  CHECK_FALSE(Unwrap(store.Get(ws, rec.id)).has_value());
  CHECK_FALSE(Unwrap(store.FindByExternalId("whatsapp", "555")).has_value());
  // Twice is not found the second time.
  CHECK_FALSE(Unwrap(store.Delete(ws, rec.id)).has_value());
}

void CheckUnknownWorkspaceIsRefused(store::Store& db) {
  IntegrationStore store(db);
  Status st = store.Create(MakeIntegration(NewUuidV7(), "facebook", "42"));
  CHECK_FALSE(st.ok());
  CHECK_FALSE(Unwrap(store.FindByExternalId("facebook", "42")).has_value());
}

#define BOTH_ENGINES(name, check)                                                               \
  SALESOS_TEST_BOTH_ENGINES(name, "[auth][integrations][store]", auth_lib_migrations(), "auth", \
                            check)

BOTH_ENGINES("an integration reads back exactly as created, by id and by external id",
             CheckCreateThenRead)
BOTH_ENGINES("an external id is connected to one workspace at most",
             CheckExternalIdBelongsToOneWorkspace)
BOTH_ENGINES("another workspace can neither see nor change an integration", CheckTenancy)
BOTH_ENGINES("an update changes only what it sets", CheckUpdate)
BOTH_ENGINES("lists page in id order within the workspace", CheckListPages)
BOTH_ENGINES("delete returns what it removed, once", CheckDelete)
BOTH_ENGINES("an integration needs an existing workspace", CheckUnknownWorkspaceIsRefused)

}  // namespace
}  // namespace salesos::auth
