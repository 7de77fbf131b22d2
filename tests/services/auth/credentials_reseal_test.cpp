// The re-seal after a data-key rotation (rpc::ResealColumn) on auth's real integrations table, on
// both engines: values only a previous key opens move to the current key, others are left alone,
// a second pass has nothing to do, and a value rewritten during the pass is not overwritten.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "account_rules.h"
#include "auth_lib_migrations.h"
#include "auth_store.h"
#include "integration_rules.h"
#include "integration_store.h"
#include "salesos/core/ids.h"
#include "salesos/crypto/aead.h"
#include "salesos/crypto/hash.h"
#include "salesos/rpc/data_key.h"
#include "salesos/store/store.h"
#include "support/databases.h"
#include "support/postgres.h"
#include "workspace_fixture.h"

namespace salesos::auth {
namespace {

using testing::Unwrap;

// An integration whose access token `token` is sealed with `key`, as IntegrationServiceImpl does.
IntegrationRecord Connect(IntegrationStore& store, const std::string& ws, const crypto::Aead& key,
                          const std::string& token) {
  IntegrationRecord r;
  r.id = NewUuidV7();
  r.workspace_id = ws;
  r.platform = "facebook";
  r.external_id =
      "10" + std::to_string(static_cast<unsigned char>(RandomBytes(1)[0])) + RandomHex(6);
  r.status = "connected";
  r.settings.set_auto_reply(true);
  r.sealed_credentials = key.Seal(token, CredentialsAad(ws, r.id));
  r.credentials_hint = "…" + token.substr(token.size() - 4);
  r.connected_at = "2026-11-21T06:30:00Z";
  r.updated_at = r.connected_at;
  REQUIRE_OK(store.Create(r));
  return r;
}

std::string SealedNow(IntegrationStore& store, const IntegrationRecord& r) {
  auto got = Unwrap(store.FindById(r.id));
  REQUIRE(got.has_value());
  return got->sealed_credentials;
}

struct Keys {
  std::string old_bytes = crypto::SecureRandom(32);
  std::string new_bytes = crypto::SecureRandom(32);
  crypto::Aead old_key = crypto::Aead::FromKey(old_bytes).value();
  crypto::Aead new_key = crypto::Aead::FromKey(new_bytes).value();
  crypto::Aead ring = crypto::Aead::FromKeys(new_bytes, {old_bytes}).value();
};

void CheckResealMovesOldValuesOnly(store::Store& db) {
  IntegrationStore store(db);
  Keys k;
  std::string ws = MakeWorkspace(db);
  std::vector<IntegrationRecord> old_rows;
  for (int i = 0; i < 5; ++i) {
    old_rows.push_back(Connect(store, ws, k.old_key, "EAAold" + std::to_string(i) + "abcd"));
  }
  IntegrationRecord current = Connect(store, ws, k.new_key, "EAAnewwxyz");
  std::string current_before = SealedNow(store, current);
  auto stranger = crypto::Aead::FromKey(crypto::SecureRandom(32)).value();
  IntegrationRecord lost = Connect(store, ws, stranger, "EAAlostlost");
  std::string lost_before = SealedNow(store, lost);

  // Batches of 2 rows, so the pass pages through the table.
  auto counts = Unwrap(rpc::ResealColumn(db, SealedCredentialsColumn(), k.ring, {}, 2));
  CHECK(counts.finished);
  CHECK(counts.checked == 7);
  CHECK(counts.resealed == 5);
  CHECK(counts.current == 1);
  CHECK(counts.unreadable == 1);
  CHECK(counts.raced == 0);
  CHECK(counts.left == 0);

  // The old values now open with the new key alone, to the same token, under the same aad.
  for (int i = 0; i < 5; ++i) {
    std::string sealed = SealedNow(store, old_rows[i]);
    CHECK(Unwrap(k.new_key.Open(sealed, CredentialsAad(ws, old_rows[i].id))) ==
          "EAAold" + std::to_string(i) + "abcd");
    CHECK_FALSE(k.old_key.Open(sealed, CredentialsAad(ws, old_rows[i].id)).ok());
    // Nothing else of the row changed.
    auto row = Unwrap(store.FindById(old_rows[i].id));
    CHECK(row->updated_at == old_rows[i].updated_at);
    CHECK(row->credentials_hint == old_rows[i].credentials_hint);
  }
  // The current one and the unreadable one are untouched.
  CHECK(SealedNow(store, current) == current_before);
  CHECK(SealedNow(store, lost) == lost_before);

  // Idempotent: a second pass finds nothing to do.
  auto again = Unwrap(rpc::ResealColumn(db, SealedCredentialsColumn(), k.ring));
  CHECK(again.checked == 7);
  CHECK(again.resealed == 0);
  CHECK(again.current == 6);
  CHECK(again.unreadable == 1);
}
SALESOS_TEST_BOTH_ENGINES(
    "re-seal moves credentials only a previous data key opens to the current "
    "key and a second pass does nothing",
    "[auth][rotation]", auth_lib_migrations(), "auth_reseal", CheckResealMovesOldValuesOnly)

void CheckResealLeavesConcurrentWrites(store::Store& db) {
  IntegrationStore store(db);
  Keys k;
  std::string ws = MakeWorkspace(db);
  IntegrationRecord a = Connect(store, ws, k.old_key, "EAAfirstabcd");
  IntegrationRecord b = Connect(store, ws, k.old_key, "EAAsecondabcd");
  IntegrationRecord c = Connect(store, ws, k.old_key, "EAAthirdabcd");

  // Between reading a batch and re-sealing each row, other writers change b (a replica with the
  // new key, as a PATCH with a new token does) and c (an old replica still sealing with the old
  // key). `stop` runs before each row, so it is where the test plays those writers.
  int row = 0;
  auto writers = [&]() {
    ++row;
    if (row == 2) {
      IntegrationUpdate patch;
      patch.sealed_credentials = k.new_key.Seal("EAAreplacedabcd", CredentialsAad(ws, b.id));
      patch.credentials_hint = "…abcd";
      patch.updated_at = "2026-11-22T00:00:00Z";
      REQUIRE(Unwrap(store.Update(ws, b.id, patch)).has_value());
    }
    if (row == 3) {
      IntegrationUpdate patch;
      patch.sealed_credentials = k.old_key.Seal("EAAoldreplicaabcd", CredentialsAad(ws, c.id));
      patch.credentials_hint = "…abcd";
      patch.updated_at = "2026-11-22T00:00:00Z";
      REQUIRE(Unwrap(store.Update(ws, c.id, patch)).has_value());
    }
    return false;
  };
  auto counts = Unwrap(rpc::ResealColumn(db, SealedCredentialsColumn(), k.ring, writers));
  CHECK(counts.resealed == 1);
  CHECK(counts.raced == 2);
  CHECK(counts.left == 1);  // c: the old replica's write still needs the old key
  // The writers' values stand: nothing was overwritten with a stale token.
  CHECK(Unwrap(k.new_key.Open(SealedNow(store, b), CredentialsAad(ws, b.id))) == "EAAreplacedabcd");
  CHECK(Unwrap(k.ring.Open(SealedNow(store, c), CredentialsAad(ws, c.id))) == "EAAoldreplicaabcd");
  CHECK(Unwrap(k.new_key.Open(SealedNow(store, a), CredentialsAad(ws, a.id))) == "EAAfirstabcd");

  // The next pass (the next start) takes c too.
  auto again = Unwrap(rpc::ResealColumn(db, SealedCredentialsColumn(), k.ring));
  CHECK(again.resealed == 1);
  CHECK(again.left == 0);
  CHECK(Unwrap(k.new_key.Open(SealedNow(store, c), CredentialsAad(ws, c.id))) ==
        "EAAoldreplicaabcd");
}
SALESOS_TEST_BOTH_ENGINES(
    "re-seal never overwrites a value rewritten during the pass and counts "
    "what an old replica left",
    "[auth][rotation]", auth_lib_migrations(), "auth_reseal_race",
    CheckResealLeavesConcurrentWrites)

void CheckResealStopsWhenAsked(store::Store& db) {
  IntegrationStore store(db);
  Keys k;
  std::string ws = MakeWorkspace(db);
  for (int i = 0; i < 4; ++i) {
    Connect(store, ws, k.old_key, "EAAtoken" + std::to_string(i) + "abcd");
  }
  int rows = 0;
  auto counts =
      Unwrap(rpc::ResealColumn(db, SealedCredentialsColumn(), k.ring, [&] { return ++rows > 2; }));
  CHECK_FALSE(counts.finished);
  CHECK(counts.resealed == 2);
  // What was done stays done; the rest is picked up by the next pass.
  auto rest = Unwrap(rpc::ResealColumn(db, SealedCredentialsColumn(), k.ring));
  CHECK(rest.finished);
  CHECK(rest.resealed == 2);
  CHECK(rest.current == 2);
}
SALESOS_TEST_BOTH_ENGINES("re-seal stops between rows when asked and the next pass finishes",
                          "[auth][rotation]", auth_lib_migrations(), "auth_reseal_stop",
                          CheckResealStopsWhenAsked)

TEST_CASE("re-seal refuses identifiers that are not plain names", "[auth][rotation]") {
  testing::SqliteDatabase db(auth_lib_migrations());
  Keys k;
  rpc::SealedColumn column = SealedCredentialsColumn();
  column.table = "integrations; DROP TABLE users";
  auto r = rpc::ResealColumn(db.store(), column, k.ring);
  CHECK(r.status().code() == Code::kInvalidArgument);
  column = SealedCredentialsColumn();
  column.aad = nullptr;
  CHECK(rpc::ResealColumn(db.store(), column, k.ring).status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace salesos::auth
