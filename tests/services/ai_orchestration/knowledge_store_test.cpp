// SqlKnowledgeStore against both engines: every check runs as "sqlite: ..." and "postgresql: ...".

#include "knowledge_store.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "ai_orchestration_lib_migrations.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::ai {
namespace {

using testing::Unwrap;

constexpr int64_t kT0 = 1'767'225'600'123;  // 2026-01-01T00:00:00.123Z

std::vector<KnowledgeChunk> MakeChunks(const std::string& workspace_id, const std::string& tag,
                                       int n) {
  std::vector<KnowledgeChunk> chunks;
  for (int i = 0; i < n; ++i) {
    KnowledgeChunk c;
    c.source = i % 2 == 0 ? "document:FAQ " + tag : "campaign:c-" + tag;
    c.campaign_id = i % 2 == 0 ? "" : "c-" + tag;
    c.position = i / 2;
    c.id = ChunkId(workspace_id, c.source, c.position);
    c.title = i % 2 == 0 ? "Document: FAQ " + tag : "Campaign: Été \xE2\x80\x94 price";
    c.text = tag + " passage " + std::to_string(i) +
             ": \"quoted\", ünïcode, emoji \xF0\x9F\x98\x80, 'single'";
    chunks.push_back(std::move(c));
  }
  return chunks;
}

std::set<std::string> IdsOf(const std::vector<KnowledgeChunk>& chunks) {
  std::set<std::string> ids;
  for (const auto& c : chunks) {
    ids.insert(c.id);
  }
  return ids;
}

void CheckReplaceThenLoad(store::Store& db) {
  SqlKnowledgeStore store(db);
  const std::string ws = NewUuidV7();
  CHECK_FALSE(Unwrap(store.LoadStatus(ws)).has_value());
  CHECK(Unwrap(store.LoadChunks(ws)).empty());

  auto chunks = MakeChunks(ws, "one", 123);  // more than two INSERT batches
  int64_t v1 = Unwrap(store.ReplaceWorkspaceKnowledge(ws, chunks, 2, kT0));
  CHECK(v1 >= 1);
  auto loaded = Unwrap(store.LoadChunks(ws));
  REQUIRE(loaded.size() == chunks.size());
  // Ordered by campaign id, source, position; every field as written.
  for (size_t i = 1; i < loaded.size(); ++i) {
    const auto& a = loaded[i - 1];
    const auto& b = loaded[i];
    CHECK(std::tie(a.campaign_id, a.source, a.position) <
          std::tie(b.campaign_id, b.source, b.position));
  }
  for (const auto& want : chunks) {
    auto it = std::find_if(loaded.begin(), loaded.end(),
                           [&](const KnowledgeChunk& c) { return c.id == want.id; });
    REQUIRE(it != loaded.end());
    CHECK(it->campaign_id == want.campaign_id);
    CHECK(it->source == want.source);
    CHECK(it->title == want.title);
    CHECK(it->position == want.position);
    CHECK(it->text == want.text);
  }
  auto status = Unwrap(store.LoadStatus(ws));
  REQUIRE(status.has_value());
  CHECK(status->trained_at_ms == kT0);
  CHECK(status->documents == 2);
  CHECK(status->chunks == 123);
  CHECK(status->version == v1);
}

void CheckReplaceIsWholeAndVersioned(store::Store& db) {
  SqlKnowledgeStore store(db);
  const std::string ws = NewUuidV7();
  auto first = MakeChunks(ws, "first", 10);
  int64_t v1 = Unwrap(store.ReplaceWorkspaceKnowledge(ws, first, 1, kT0));
  auto second = MakeChunks(ws, "second", 4);
  int64_t v2 = Unwrap(store.ReplaceWorkspaceKnowledge(ws, second, 3, kT0 + 1000));
  CHECK(v2 > v1);
  auto loaded = Unwrap(store.LoadChunks(ws));
  CHECK(IdsOf(loaded) == IdsOf(second));  // the old chunks are gone
  for (const auto& c : loaded) {
    CHECK(c.text.rfind("second", 0) == 0);
  }
  auto status = Unwrap(store.LoadStatus(ws));
  CHECK(status->chunks == 4);
  CHECK(status->documents == 3);
  CHECK(status->trained_at_ms == kT0 + 1000);
  CHECK(status->version == v2);

  // The same training again (same ids) replaces cleanly and still moves the version.
  int64_t v3 = Unwrap(store.ReplaceWorkspaceKnowledge(ws, second, 3, kT0 + 1000));
  CHECK(v3 > v2);
  CHECK(Unwrap(store.LoadChunks(ws)).size() == 4);

  // Nothing to know is a training too.
  int64_t v4 = Unwrap(store.ReplaceWorkspaceKnowledge(ws, {}, 0, kT0 + 2000));
  CHECK(v4 > v3);
  CHECK(Unwrap(store.LoadChunks(ws)).empty());
  CHECK(Unwrap(store.LoadStatus(ws))->chunks == 0);
}

void CheckFailedReplaceChangesNothing(store::Store& db) {
  SqlKnowledgeStore store(db);
  const std::string ws = NewUuidV7();
  auto good = MakeChunks(ws, "good", 6);
  int64_t v1 = Unwrap(store.ReplaceWorkspaceKnowledge(ws, good, 1, kT0));
  // Two chunks with one id: the insert fails after the delete and the status bump ran.
  auto bad = MakeChunks(ws, "bad", 80);
  bad[70].id = bad[3].id;
  auto failed = store.ReplaceWorkspaceKnowledge(ws, bad, 9, kT0 + 5000);
  CHECK_FALSE(failed.ok());
  CHECK(IdsOf(Unwrap(store.LoadChunks(ws))) == IdsOf(good));
  auto status = Unwrap(store.LoadStatus(ws));
  CHECK(status->version == v1);
  CHECK(status->chunks == 6);
  CHECK(status->documents == 1);
  CHECK(status->trained_at_ms == kT0);
}

void CheckWorkspacesAreIsolated(store::Store& db) {
  SqlKnowledgeStore store(db);
  const std::string a = NewUuidV7();
  const std::string b = NewUuidV7();
  auto chunks_a = MakeChunks(a, "alpha", 5);
  auto chunks_b = MakeChunks(b, "beta", 7);
  Unwrap(store.ReplaceWorkspaceKnowledge(a, chunks_a, 1, kT0));
  Unwrap(store.ReplaceWorkspaceKnowledge(b, chunks_b, 2, kT0 + 1));
  CHECK(IdsOf(Unwrap(store.LoadChunks(a))) == IdsOf(chunks_a));
  CHECK(IdsOf(Unwrap(store.LoadChunks(b))) == IdsOf(chunks_b));

  // Retraining one leaves the other alone.
  Unwrap(store.ReplaceWorkspaceKnowledge(a, MakeChunks(a, "alpha2", 2), 1, kT0 + 2));
  CHECK(IdsOf(Unwrap(store.LoadChunks(b))) == IdsOf(chunks_b));
  CHECK(Unwrap(store.LoadStatus(b))->chunks == 7);

  // Deleting one leaves the other alone; deleting again or an unknown workspace is fine.
  int64_t before_delete = Unwrap(store.LoadStatus(a))->version;
  REQUIRE_OK(store.DeleteWorkspace(a));
  CHECK(Unwrap(store.LoadChunks(a)).empty());
  CHECK_FALSE(Unwrap(store.LoadStatus(a)).has_value());
  CHECK(IdsOf(Unwrap(store.LoadChunks(b))) == IdsOf(chunks_b));
  CHECK(Unwrap(store.LoadStatus(b)).has_value());
  REQUIRE_OK(store.DeleteWorkspace(a));
  REQUIRE_OK(store.DeleteWorkspace(NewUuidV7()));

  // A training after a delete still moves the version forward (replicas notice).
  int64_t after = Unwrap(store.ReplaceWorkspaceKnowledge(a, chunks_a, 1, kT0 + 3));
  CHECK(after > before_delete);
}

void CheckConcurrentTrainingsOfOneWorkspace(store::Store& db) {
  SqlKnowledgeStore store(db);
  const std::string ws = NewUuidV7();
  // Same ids in every training (deterministic chunk ids): without the status row's lock first,
  // PostgreSQL would let two of them insert the same keys.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto v = store.ReplaceWorkspaceKnowledge(ws, MakeChunks(ws, "t" + std::to_string(t), 60), 1,
                                                 kT0 + t * 100 + i);
        if (!v.ok()) {
          UNSCOPED_INFO(v.status().ToString());
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(failures == 0);
  auto loaded = Unwrap(store.LoadChunks(ws));
  REQUIRE(loaded.size() == 60);
  // One training's chunks, whole: never a mix of two.
  std::string tag = loaded[0].text.substr(0, loaded[0].text.find(' '));
  for (const auto& c : loaded) {
    CHECK(c.text.rfind(tag + " ", 0) == 0);
  }
  CHECK(Unwrap(store.LoadStatus(ws))->chunks == 60);
}

#define BOTH_ENGINES(name, check)                                                             \
  SALESOS_TEST_BOTH_ENGINES(name, "[ai][knowledge_store]", ai_orchestration_lib_migrations(), \
                            "ai_kb", check)

BOTH_ENGINES("chunks and status read back exactly as trained", CheckReplaceThenLoad)
BOTH_ENGINES("a replace removes every old chunk and moves the version",
             CheckReplaceIsWholeAndVersioned)
BOTH_ENGINES("a replace that fails half-way changes nothing", CheckFailedReplaceChangesNothing)
BOTH_ENGINES("one workspace never sees, replaces or deletes another's knowledge",
             CheckWorkspacesAreIsolated)
BOTH_ENGINES("concurrent trainings of one workspace each replace it whole",
             CheckConcurrentTrainingsOfOneWorkspace)

}  // namespace
}  // namespace salesos::ai
