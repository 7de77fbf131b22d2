// KnowledgeBase on a real SQLite store: training, searching, status, the cache and its reloads.

#include "knowledge_base.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "ai_orchestration_lib_migrations.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::ai {
namespace {

using testing::Unwrap;

constexpr int64_t kT0 = 1'767'225'600'000;

class FakeClock : public Clock {
 public:
  int64_t NowMillis() const override { return now.load(); }
  std::atomic<int64_t> now{kT0};
};

// A store that can be told to fail, and counts reads.
class FlakyStore : public KnowledgeStore {
 public:
  explicit FlakyStore(KnowledgeStore& inner) : inner_(inner) {}
  Result<int64_t> ReplaceWorkspaceKnowledge(const std::string& ws,
                                            const std::vector<KnowledgeChunk>& chunks,
                                            int64_t documents, int64_t at) override {
    return inner_.ReplaceWorkspaceKnowledge(ws, chunks, documents, at);
  }
  Result<std::vector<KnowledgeChunk>> LoadChunks(const std::string& ws) override {
    ++chunk_loads;
    if (down) {
      return Unavailable("store down");
    }
    return inner_.LoadChunks(ws);
  }
  Result<std::optional<KnowledgeStatusRecord>> LoadStatus(const std::string& ws) override {
    ++status_loads;
    if (down) {
      return Unavailable("store down");
    }
    return inner_.LoadStatus(ws);
  }
  Status DeleteWorkspace(const std::string& ws) override { return inner_.DeleteWorkspace(ws); }

  std::atomic<bool> down{false};
  std::atomic<int> chunk_loads{0};
  std::atomic<int> status_loads{0};

 private:
  KnowledgeStore& inner_;
};

struct Fixture {
  Fixture() : db(ai_orchestration_lib_migrations()), sql(db.store()), store(sql) {}
  testing::SqliteDatabase db;
  SqlKnowledgeStore sql;
  FlakyStore store;
  FakeClock clock;
};

BusinessProfile Profile(const std::string& shipping) {
  BusinessProfile p;
  p.business_name = "Peak Outfitters";
  p.industry = "Outdoor retail";
  p.description = "We sell gear for hikers and trail runners.";
  p.phone = "+1 555 0100";
  p.documents = {{"Shipping", "", shipping},
                 {"Returns", "", "Returns are accepted within 30 days of delivery."}};
  return p;
}

CampaignFacts Campaign(const std::string& id, const std::string& product, int64_t price) {
  CampaignFacts c;
  c.id = id;
  c.name = product + " launch";
  c.product_name = product;
  c.product_description = product + " is our newest model.";
  c.has_price = true;
  c.price_minor = price;
  c.currency = "EUR";
  c.features = {"waterproof"};
  return c;
}

std::shared_ptr<const KnowledgeSearcher> SearcherOf(KnowledgeBase& kb, const std::string& ws,
                                                    const std::string& campaign = "") {
  auto s = Unwrap(kb.Searcher(ws, campaign));
  REQUIRE(s != nullptr);
  return s;
}

TEST_CASE("a trained workspace answers from its knowledge with sources", "[ai][knowledge_base]") {
  Fixture f;
  KnowledgeBase kb(f.store, {}, f.clock);
  const std::string ws = NewUuidV7();
  auto result = Unwrap(kb.Train(ws, Profile("Shipping takes 3 to 5 business days."),
                                {Campaign("c-1", "Trail Runner", 4999)}, kT0));
  CHECK(result.documents == 4);  // profile, campaign, two documents
  CHECK(result.chunks >= 6);
  CHECK(result.dropped_chunks == 0);
  CHECK(result.trained_at_ms == kT0);

  auto searcher = SearcherOf(kb, ws);
  auto hits = searcher->Search("how long does shipping take", 3);
  REQUIRE(!hits.empty());
  CHECK(hits[0].source == "document:Shipping");
  CHECK(hits[0].title == "Document: Shipping");
  CHECK(hits[0].text == "Shipping takes 3 to 5 business days.");

  auto price = SearcherOf(kb, ws, "c-1")->Search("what is the price of the trail runner", 1);
  REQUIRE(price.size() == 1);
  CHECK(price[0].text == "Trail Runner price: 49.99 EUR");
  CHECK(price[0].source == "campaign:c-1");

  // Another workspace knows nothing of it.
  CHECK(SearcherOf(kb, NewUuidV7())->Search("shipping", 3).empty());
}

TEST_CASE("a campaign's searcher never sees another campaign", "[ai][knowledge_base]") {
  Fixture f;
  KnowledgeBase kb(f.store, {}, f.clock);
  const std::string ws = NewUuidV7();
  Unwrap(kb.Train(ws, Profile("Free shipping."),
                  {Campaign("c-1", "Trail Runner", 4999), Campaign("c-2", "City Walker", 7900)},
                  kT0));
  for (const auto& hit : SearcherOf(kb, ws, "c-1")->Search("price waterproof model", 20)) {
    CHECK(hit.source != "campaign:c-2");
  }
  CHECK(SearcherOf(kb, ws, "c-2")->Search("walker price", 1).at(0).source == "campaign:c-2");
  CHECK(SearcherOf(kb, ws, "")->Search("walker", 5).size() >= 1);
}

TEST_CASE("retraining replaces the knowledge, and the same input gives the same chunks",
          "[ai][knowledge_base]") {
  Fixture f;
  KnowledgeBase kb(f.store, {}, f.clock);
  const std::string ws = NewUuidV7();
  Unwrap(kb.Train(ws, Profile("Parcels leave by zeppelin."), {}, kT0));
  auto first_ids = Unwrap(f.sql.LoadChunks(ws));
  auto old_searcher = SearcherOf(kb, ws);
  CHECK(old_searcher->Search("zeppelin", 1).size() == 1);

  Unwrap(kb.Train(ws, Profile("Parcels leave by bicycle courier."), {}, kT0 + 1000));
  auto searcher = SearcherOf(kb, ws);
  CHECK(searcher->Search("zeppelin", 5).empty());
  CHECK(searcher->Search("bicycle", 5).size() == 1);
  // A searcher taken before keeps working on what it was made from.
  CHECK(old_searcher->Search("zeppelin", 1).size() == 1);

  Unwrap(kb.Train(ws, Profile("Parcels leave by zeppelin."), {}, kT0 + 2000));
  auto again = Unwrap(f.sql.LoadChunks(ws));
  REQUIRE(again.size() == first_ids.size());
  for (size_t i = 0; i < again.size(); ++i) {
    CHECK(again[i].id == first_ids[i].id);
    CHECK(again[i].text == first_ids[i].text);
  }
}

TEST_CASE("status reports trained, when, documents and chunks", "[ai][knowledge_base]") {
  Fixture f;
  KnowledgeBase kb(f.store, {}, f.clock);
  const std::string ws = NewUuidV7();
  auto before = Unwrap(kb.GetStatus(ws));
  CHECK_FALSE(before.trained);
  CHECK(before.last_trained_at_ms == 0);
  CHECK(before.documents == 0);
  CHECK(before.chunks == 0);

  auto result = Unwrap(kb.Train(ws, Profile("Shipping is fast."), {}, kT0 + 42));
  auto after = Unwrap(kb.GetStatus(ws));
  CHECK(after.trained);
  CHECK(after.last_trained_at_ms == kT0 + 42);
  CHECK(after.documents == result.documents);
  CHECK(after.chunks == result.chunks);
  CHECK(after.documents == 3);

  REQUIRE_OK(kb.DeleteWorkspace(ws));
  CHECK_FALSE(Unwrap(kb.GetStatus(ws)).trained);
  CHECK(SearcherOf(kb, ws)->Search("shipping", 5).empty());

  CHECK(kb.GetStatus("").status().code() == Code::kInvalidArgument);
  CHECK(kb.Searcher("", "").status().code() == Code::kInvalidArgument);
  CHECK(kb.Train("", {}, {}, kT0).status().code() == Code::kInvalidArgument);
}

TEST_CASE("a replica reloads within the check interval after another one trained",
          "[ai][knowledge_base]") {
  Fixture f;
  KnowledgeBase trainer(f.store, {}, f.clock);
  KnowledgeBase replica(f.store, {}, f.clock);
  const std::string ws = NewUuidV7();
  Unwrap(trainer.Train(ws, Profile("Parcels leave by zeppelin."), {}, kT0));

  CHECK(SearcherOf(replica, ws)->Search("zeppelin", 1).size() == 1);  // loaded on first use
  int loads = f.store.chunk_loads;
  int checks = f.store.status_loads;
  Unwrap(trainer.Train(ws, Profile("Parcels leave by bicycle courier."), {}, kT0 + 1));

  // Within the interval: the cached index, without touching the store.
  f.clock.now += 4999;
  CHECK(SearcherOf(replica, ws)->Search("zeppelin", 1).size() == 1);
  CHECK(f.store.status_loads == checks);
  CHECK(f.store.chunk_loads == loads);

  // After it: one version check sees the new training and reloads.
  f.clock.now += 1;
  CHECK(SearcherOf(replica, ws)->Search("bicycle", 1).size() == 1);
  CHECK(SearcherOf(replica, ws)->Search("zeppelin", 1).empty());
  CHECK(f.store.status_loads == checks + 1);
  CHECK(f.store.chunk_loads == loads + 1);

  // Unchanged version: a check, no reload.
  f.clock.now += 5000;
  CHECK(SearcherOf(replica, ws)->Search("bicycle", 1).size() == 1);
  CHECK(f.store.status_loads == checks + 2);
  CHECK(f.store.chunk_loads == loads + 1);

  // A delete elsewhere is noticed too.
  REQUIRE_OK(trainer.DeleteWorkspace(ws));
  f.clock.now += 5000;
  CHECK(SearcherOf(replica, ws)->Search("bicycle", 1).empty());
}

TEST_CASE("while the store is down a cached index is still served", "[ai][knowledge_base]") {
  Fixture f;
  KnowledgeBase kb(f.store, {}, f.clock);
  const std::string ws = NewUuidV7();
  Unwrap(kb.Train(ws, Profile("Parcels leave by zeppelin."), {}, kT0));
  f.store.down = true;
  f.clock.now += 60000;
  CHECK(SearcherOf(kb, ws)->Search("zeppelin", 1).size() == 1);
  // A workspace never loaded has nothing to fall back on.
  CHECK(kb.Searcher(NewUuidV7(), "").status().code() == Code::kUnavailable);
  CHECK(kb.GetStatus(ws).status().code() == Code::kUnavailable);
}

TEST_CASE("the cache keeps the most recently used workspaces", "[ai][knowledge_base]") {
  Fixture f;
  KnowledgeBaseOptions options;
  options.max_workspaces = 2;
  KnowledgeBase kb(f.store, options, f.clock);
  const std::string a = NewUuidV7();
  const std::string b = NewUuidV7();
  const std::string c = NewUuidV7();
  Unwrap(kb.Train(a, Profile("Alpha ships by zeppelin."), {}, kT0));
  Unwrap(kb.Train(b, Profile("Beta ships by bicycle."), {}, kT0));
  CHECK(kb.CachedWorkspaces() == 2);
  SearcherOf(kb, a);  // a is now the most recent; b the least
  Unwrap(kb.Train(c, Profile("Gamma ships by canoe."), {}, kT0));
  CHECK(kb.CachedWorkspaces() == 2);

  int loads = f.store.chunk_loads;
  CHECK(SearcherOf(kb, a)->Search("zeppelin", 1).size() == 1);
  CHECK(f.store.chunk_loads == loads);  // still cached
  CHECK(SearcherOf(kb, b)->Search("bicycle", 1).size() == 1);
  CHECK(f.store.chunk_loads == loads + 1);  // evicted, loaded again
  CHECK(kb.CachedWorkspaces() == 2);
}

TEST_CASE("a document beyond the workspace limit is cut and reported", "[ai][knowledge_base]") {
  Fixture f;
  KnowledgeBaseOptions options;
  options.chunking.max_chunks = 5;
  KnowledgeBase kb(f.store, options, f.clock);
  BusinessProfile p = Profile("Shipping is fast.");
  std::string big;
  for (int i = 0; i < 20; ++i) {
    big += "Paragraph " + std::to_string(i) + " says something long enough to stand alone.\n\n";
  }
  p.documents.push_back({"Big", "", big});
  auto result = Unwrap(kb.Train(NewUuidV7(), p, {}, kT0));
  CHECK(result.chunks == 5);
  CHECK(result.dropped_chunks > 0);
  CHECK(result.truncated_sources == std::vector<std::string>{"document:Big"});
}

TEST_CASE("searches and trainings from many threads at once", "[ai][knowledge_base]") {
  Fixture f;
  KnowledgeBase kb(f.store, {}, f.clock);
  const std::string ws = NewUuidV7();
  Unwrap(kb.Train(ws, Profile("Parcels leave by zeppelin."), {}, kT0));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (t == 0 && i % 10 == 0) {
          if (!kb.Train(ws, Profile("Parcels leave by zeppelin."), {}, kT0 + i).ok()) {
            ++failures;
          }
        }
        auto s = kb.Searcher(ws, "");
        if (!s.ok() || (*s)->Search("zeppelin", 1).size() != 1) {
          ++failures;
        }
        f.clock.now += 100;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(failures == 0);
}

}  // namespace
}  // namespace salesos::ai
