// SegmentStore against both engines: every check runs as "sqlite: ..." and "postgresql: ...".

#include "segment_store.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "campaign_lib_migrations.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::campaign {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing::Unwrap;

common::v1::SegmentRule Rules(const std::string& json) {
  common::v1::SegmentRule rule;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &rule).ok());
  return rule;
}

SegmentRecord MakeSegment(const std::string& workspace_id, const std::string& name) {
  SegmentRecord r;
  r.id = NewUuidV7();
  r.workspace_id = workspace_id;
  r.name = name;
  r.description = "Lyon or Paris, \"quoted\" and ünïcode";
  r.rules = Rules(R"({"op": "and", "conditions": [
      {"field": "city", "operator": "in", "value": ["Lyon", "Paris"]},
      {"op": "or", "not": true, "conditions": [
        {"field": "leadScore", "operator": "gte", "value": 70},
        {"field": "optedOut", "operator": "eq", "value": false}]}]})");
  r.created_by = NewUuidV7();
  r.created_at = "2026-11-21T06:30:00.000Z";
  r.updated_at = r.created_at;
  return r;
}

void CheckSame(const SegmentRecord& a, const SegmentRecord& b) {
  CHECK(a.id == b.id);
  CHECK(a.workspace_id == b.workspace_id);
  CHECK(a.name == b.name);
  CHECK(a.description == b.description);
  CHECK(MessageDifferencer::Equals(a.rules, b.rules));
  CHECK(a.created_by == b.created_by);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

void RoundTripsTheTree(store::Store& db) {
  SegmentStore s(db);
  SegmentRecord rec = MakeSegment("w1", "Lyon regulars");
  REQUIRE_OK(s.Create(rec, 500));
  auto got = Unwrap(s.Get("w1", rec.id));
  REQUIRE(got.has_value());
  CheckSame(*got, rec);
  // Values keep their JSON kinds: a number stays a number, a boolean a boolean, a list a list.
  const auto& nested = got->rules.conditions(1);
  CHECK(nested.not_());
  CHECK(nested.conditions(0).value().number_value() == 70);
  CHECK(nested.conditions(1).value().kind_case() == google::protobuf::Value::kBoolValue);
  CHECK(got->rules.conditions(0).value().list_value().values_size() == 2);
  // Another workspace does not see it.
  CHECK_FALSE(Unwrap(s.Get("w2", rec.id)).has_value());
}

void NamesAreUniqueInAWorkspaceWhateverTheirCase(store::Store& db) {
  SegmentStore s(db);
  REQUIRE_OK(s.Create(MakeSegment("w1", "VIP Buyers"), 500));
  Status dup = s.Create(MakeSegment("w1", "vip buyers"), 500);
  CHECK(dup.code() == Code::kAlreadyExists);
  REQUIRE(dup.violations().size() == 1);
  CHECK(dup.violations()[0].field == "name");
  CHECK(dup.message().find("vip buyers") != std::string::npos);
  // The same name in another workspace is fine.
  REQUIRE_OK(s.Create(MakeSegment("w2", "VIP buyers"), 500));
  // A rename onto a taken name is refused the same way, and changes nothing.
  SegmentRecord other = MakeSegment("w1", "Others");
  REQUIRE_OK(s.Create(other, 500));
  SegmentRecord renamed = other;
  renamed.name = "Vip Buyers";
  renamed.updated_at = "2026-11-21T06:31:00.000Z";
  auto taken = s.Update(renamed, other.updated_at);
  CHECK(taken.status().code() == Code::kAlreadyExists);
  CHECK(Unwrap(s.Get("w1", other.id))->name == "Others");
  CHECK(Unwrap(s.Count("w1")) == 2);
}

void AtMostTheLimitAWorkspace(store::Store& db) {
  SegmentStore s(db);
  for (int i = 0; i < 3; ++i) {
    REQUIRE_OK(s.Create(MakeSegment("w1", "Segment " + std::to_string(i)), 3));
  }
  Status full = s.Create(MakeSegment("w1", "One more"), 3);
  CHECK(full.code() == Code::kResourceExhausted);
  CHECK(full.message().find("at most 3 segments") != std::string::npos);
  CHECK(Unwrap(s.Count("w1")) == 3);
  // Other workspaces have their own allowance.
  REQUIRE_OK(s.Create(MakeSegment("w2", "One more"), 3));
  // A deleted one frees its place.
  auto first = Unwrap(s.List("w1", "", "", 1));
  REQUIRE(first.size() == 1);
  CHECK(Unwrap(s.Delete("w1", first[0].id)));
  REQUIRE_OK(s.Create(MakeSegment("w1", "One more"), 3));
}

void ListsNewestFirstAndFiltersByName(store::Store& db) {
  SegmentStore s(db);
  std::vector<std::string> ids;
  for (const char* name : {"Lyon buyers", "Paris buyers", "100% fans", "lyon_fans", "Nantes"}) {
    SegmentRecord rec = MakeSegment("w1", name);
    ids.push_back(rec.id);
    REQUIRE_OK(s.Create(rec, 500));
  }
  REQUIRE_OK(s.Create(MakeSegment("w2", "Lyon buyers"), 500));
  auto all = Unwrap(s.List("w1", "", "", 10));
  REQUIRE(all.size() == 5);
  CHECK(all[0].id == ids[4]);
  CHECK(all[4].id == ids[0]);
  auto page = Unwrap(s.List("w1", "", ids[3], 2));
  REQUIRE(page.size() == 2);
  CHECK(page[0].id == ids[2]);
  CHECK(page[1].id == ids[1]);
  auto lyon = Unwrap(s.List("w1", "LYON", "", 10));
  REQUIRE(lyon.size() == 2);
  CHECK(lyon[0].name == "lyon_fans");
  CHECK(lyon[1].name == "Lyon buyers");
  // LIKE's wildcards match literally.
  auto percent = Unwrap(s.List("w1", "%", "", 10));
  REQUIRE(percent.size() == 1);
  CHECK(percent[0].name == "100% fans");
  auto underscore = Unwrap(s.List("w1", "n_f", "", 10));
  REQUIRE(underscore.size() == 1);
  CHECK(underscore[0].name == "lyon_fans");
  CHECK(Unwrap(s.List("w1", "' OR '1'='1", "", 10)).empty());
}

void UpdatesOnlyTheVersionRead(store::Store& db) {
  SegmentStore s(db);
  SegmentRecord rec = MakeSegment("w1", "Lyon");
  REQUIRE_OK(s.Create(rec, 500));
  SegmentRecord changed = rec;
  changed.name = "Lyon and Paris";
  changed.description = "";
  changed.rules = Rules(R"({"op": "or", "conditions": [
      {"field": "city", "operator": "eq", "value": "Lyon"},
      {"field": "city", "operator": "eq", "value": "Paris"}]})");
  changed.updated_at = "2026-11-21T06:31:00.000Z";
  CHECK(Unwrap(s.Update(changed, rec.updated_at)));
  CheckSame(*Unwrap(s.Get("w1", rec.id)), changed);
  // A stale version, another workspace or a missing id: nothing is written.
  SegmentRecord stale = changed;
  stale.name = "Stale";
  CHECK_FALSE(Unwrap(s.Update(stale, rec.updated_at)));
  SegmentRecord foreign = changed;
  foreign.workspace_id = "w2";
  CHECK_FALSE(Unwrap(s.Update(foreign, changed.updated_at)));
  CHECK(Unwrap(s.Get("w1", rec.id))->name == "Lyon and Paris");
  // The new name's key is what uniqueness uses now.
  CHECK(s.Create(MakeSegment("w1", "LYON AND PARIS"), 500).code() == Code::kAlreadyExists);
  REQUIRE_OK(s.Create(MakeSegment("w1", "Lyon"), 500));
  // Deletes are per workspace.
  CHECK_FALSE(Unwrap(s.Delete("w2", rec.id)));
  CHECK(Unwrap(s.Delete("w1", rec.id)));
  CHECK_FALSE(Unwrap(s.Delete("w1", rec.id)));
}

SALESOS_TEST_BOTH_ENGINES("segment store round-trips a nested rule tree", "[campaign][segments]",
                          campaign_lib_migrations(), "campaign_segments", RoundTripsTheTree)
SALESOS_TEST_BOTH_ENGINES("segment names are unique in a workspace whatever their case",
                          "[campaign][segments]", campaign_lib_migrations(), "campaign_segments",
                          NamesAreUniqueInAWorkspaceWhateverTheirCase)
SALESOS_TEST_BOTH_ENGINES("a workspace holds at most the limit of segments", "[campaign][segments]",
                          campaign_lib_migrations(), "campaign_segments", AtMostTheLimitAWorkspace)
SALESOS_TEST_BOTH_ENGINES("segments list newest first in pages and filter by name",
                          "[campaign][segments]", campaign_lib_migrations(), "campaign_segments",
                          ListsNewestFirstAndFiltersByName)
SALESOS_TEST_BOTH_ENGINES("a segment update writes over the version read only",
                          "[campaign][segments]", campaign_lib_migrations(), "campaign_segments",
                          UpdatesOnlyTheVersionRead)

TEST_CASE("segment name keys lower-case ASCII letters only", "[campaign][segments]") {
  CHECK(SegmentNameKey("VIP Buyers 2026") == "vip buyers 2026");
  CHECK(SegmentNameKey("ÉTÉ") == "ÉtÉ");
}

}  // namespace
}  // namespace salesos::campaign
