// AiStore (model settings and the AI run log) against both engines: every check runs as
// "sqlite: ..." and "postgresql: ...".
#include "ai_store.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ai_orchestration_lib_migrations.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::ai {
namespace {

using testing::Unwrap;

RunRecord Run(const std::string& ws, const std::string& kind, const std::string& conversation) {
  RunRecord r;
  r.id = NewUuidV7();
  r.workspace_id = ws;
  r.kind = kind;
  r.provider = "builtin";
  r.status = "ok";
  r.latency_ms = 3;
  r.conversation_id = conversation;
  r.created_at = "2026-11-21T10:00:00.000Z";
  return r;
}

void CheckSettingsRoundTripAndUpsert(store::Store& db) {
  AiStore store(db);
  std::string ws = NewUuidV7();
  CHECK_FALSE(Unwrap(store.GetSettings(ws)).has_value());
  SettingsRecord rec;
  rec.workspace_id = ws;
  rec.provider = "openai-compatible";
  rec.base_url = "https://api.example.com/v1";
  rec.model = "gpt-4o-mini";
  rec.api_key_sealed = "c2VhbGVk";
  rec.temperature = 0.25;
  rec.max_tokens = 512;
  rec.timeout_ms = 4000;
  rec.updated_at = "2026-11-21T10:00:00.000Z";
  REQUIRE_OK(store.PutSettings(rec));
  auto got = Unwrap(store.GetSettings(ws));
  REQUIRE(got.has_value());
  CHECK(got->provider == rec.provider);
  CHECK(got->base_url == rec.base_url);
  CHECK(got->model == rec.model);
  CHECK(got->api_key_sealed == rec.api_key_sealed);
  CHECK(got->temperature == Approx(0.25));
  CHECK(got->max_tokens == 512);
  CHECK(got->timeout_ms == 4000);

  rec.provider = "builtin";
  rec.api_key_sealed = "";
  REQUIRE_OK(store.PutSettings(rec));
  got = Unwrap(store.GetSettings(ws));
  REQUIRE(got.has_value());
  CHECK(got->provider == "builtin");
  CHECK(got->api_key_sealed.empty());
  // Another workspace has none.
  CHECK_FALSE(Unwrap(store.GetSettings(NewUuidV7())).has_value());
}

void CheckRunsPageNewestFirstWithFilters(store::Store& db) {
  AiStore store(db);
  std::string ws = NewUuidV7();
  std::string other = NewUuidV7();
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    RunRecord r = Run(ws, i % 2 == 0 ? "reply" : "preview", i < 4 ? "conv-a" : "conv-b");
    r.fallback_reason = i == 3 ? "timeout" : "";
    REQUIRE_OK(store.AddRun(r));
    ids.push_back(r.id);
  }
  REQUIRE_OK(store.AddRun(Run(other, "reply", "conv-a")));

  auto all = Unwrap(store.ListRuns(ws, {}, "", 100));
  REQUIRE(all.size() == 7);
  CHECK(all.front().id == ids.back());
  CHECK(all.back().id == ids.front());
  CHECK(all[3].fallback_reason == "timeout");

  // Pages of 3 give every run once, in order.
  std::vector<std::string> paged;
  std::string before;
  for (int page = 0; page < 5; ++page) {
    auto runs = Unwrap(store.ListRuns(ws, {}, before, 3));
    for (const auto& r : runs) {
      paged.push_back(r.id);
    }
    if (runs.size() < 3) {
      break;
    }
    before = runs.back().id;
  }
  CHECK(paged == std::vector<std::string>(ids.rbegin(), ids.rend()));

  CHECK(Unwrap(store.ListRuns(ws, {"conv-a", ""}, "", 100)).size() == 4);
  CHECK(Unwrap(store.ListRuns(ws, {"", "preview"}, "", 100)).size() == 3);
  CHECK(Unwrap(store.ListRuns(ws, {"conv-b", "reply"}, "", 100)).size() == 2);
  CHECK(Unwrap(store.ListRuns(other, {}, "", 100)).size() == 1);
}

void CheckDeleteWorkspaceLeavesOthers(store::Store& db) {
  AiStore store(db);
  std::string ws = NewUuidV7();
  std::string other = NewUuidV7();
  for (const auto& w : {ws, other}) {
    SettingsRecord rec;
    rec.workspace_id = w;
    rec.provider = "builtin";
    rec.updated_at = "2026-11-21T10:00:00.000Z";
    REQUIRE_OK(store.PutSettings(rec));
    REQUIRE_OK(store.AddRun(Run(w, "reply", "c")));
  }
  REQUIRE_OK(store.DeleteWorkspace(ws));
  CHECK_FALSE(Unwrap(store.GetSettings(ws)).has_value());
  CHECK(Unwrap(store.ListRuns(ws, {}, "", 10)).empty());
  CHECK(Unwrap(store.GetSettings(other)).has_value());
  CHECK(Unwrap(store.ListRuns(other, {}, "", 10)).size() == 1);
}

#define BOTH_ENGINES(name, check)                                                                  \
  SALESOS_TEST_BOTH_ENGINES(name, "[ai][ai_store]", ai_orchestration_lib_migrations(), "ai_store", \
                            check)

BOTH_ENGINES("settings read back as saved and a second save replaces them",
             CheckSettingsRoundTripAndUpsert)
BOTH_ENGINES("runs list newest first, page once each, and filter by conversation and kind",
             CheckRunsPageNewestFirstWithFilters)
BOTH_ENGINES("deleting a workspace removes its settings and runs only",
             CheckDeleteWorkspaceLeavesOthers)

}  // namespace
}  // namespace salesos::ai
