// AnalyticsStore::Fold against both engines: one deterministic story of two campaigns' worth of
// conversations folds into exactly the expected rollup rows, whatever order its events arrive in
// (forward, backward, shuffled, with duplicates), and replaying it changes nothing.

#include "analytics_store.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "analytics_lib_migrations.h"
#include "support/databases.h"
#include "test_events.h"

namespace salesos::analytics {
namespace {

using salesos::testing::Unwrap;
using testing::At;
using testing::Events;

constexpr char kCampaign[] = "0190a0b0-0000-7000-8000-00000000000a";
constexpr char kDeletedCampaign[] = "0190a0b0-0000-7000-8000-00000000000b";

// The story, in the order it happened.
std::vector<Fact> Story(const std::string& workspace_id, const std::string& prefix) {
  Events e(workspace_id, prefix);
  const std::string k = kCampaign;
  return {
      e.Campaign("created", k, "Spring, \"lamps\"", "draft", "all", At(9, 0)),
      e.Campaign("activated", k, "Spring, \"lamps\"", "active", "all", At(9, 30)),
      e.Campaign("created", kDeletedCampaign, "Old", "draft", "all", At(9, 0)),
      e.Campaign("deleted", kDeletedCampaign, "Old", "draft", "all", At(9, 45)),
      // A: Instagram, answered by the AI in 30 s, then by an agent 2 min after the customer's
      // next burst; scored, qualified, bought for 49.99 USD an hour later.
      e.Started("A", k, "instagram", At(10, 0)), e.CustomerMessage("A", k, "instagram", At(10, 0)),
      e.Sent("A", k, "instagram", "ai", At(10, 0, 30)), e.AiReplied("A", k, "", At(10, 0, 30)),
      e.CustomerMessage("A", k, "instagram", At(10, 5)),
      e.CustomerMessage("A", k, "instagram", At(10, 6)),
      e.Sent("A", k, "instagram", "agent", At(10, 7)), e.LeadScored("A", k, 40, At(10, 7)),
      e.StatusChanged("A", k, "active", "qualified", At(10, 8)),
      e.Conversion("A", k, 4999, "USD", At(11, 15)),
      // B: WhatsApp, the AI fell back and failed to deliver, handed off; an agent answered from
      // Meta's inbox 10 min later; bought for 150000 JPY.
      e.Started("B", k, "whatsapp", At(11, 30)), e.CustomerMessage("B", k, "whatsapp", At(11, 30)),
      e.AiReplied("B", k, "timeout", At(11, 30, 10)), e.Failed("B", k, "whatsapp", At(11, 30, 10)),
      e.Handoff("B", k, "ai", At(11, 31)), e.Echo("B", k, "whatsapp", At(11, 40)),
      e.Conversion("B", k, 150000, "jpy", At(12, 0)),
      // C: Facebook, no campaign: closed, then opened again; still open.
      e.Started("C", "", "facebook", At(12, 30)),
      e.CustomerMessage("C", "", "facebook", At(12, 30)),
      e.StatusChanged("C", "", "active", "closed", At(13, 0)),
      e.StatusChanged("C", "", "closed", "active", At(13, 30)),
      e.LeadScored("C", "", 0, At(13, 30)),  // score 0: not a lead
  };
}

void FoldAll(AnalyticsStore& store, const std::vector<Fact>& facts) {
  for (const auto& f : facts) {
    INFO(f.type << " " << f.event_id);
    (void)Unwrap(store.Fold(f));
  }
}

using Expected = std::map<std::string, int64_t>;  // counter column → value; others 0

void CheckRow(const std::vector<RollupRow>& rows, int64_t hour, const std::string& campaign,
              const std::string& platform, const Expected& expected,
              const RevenueByCurrency& revenue = {}) {
  INFO("row " << hour << " " << campaign << " " << platform);
  auto it = std::find_if(rows.begin(), rows.end(), [&](const RollupRow& r) {
    return r.key.hour == hour && r.key.campaign_id == campaign && r.key.platform == platform;
  });
  REQUIRE(it != rows.end());
  for (int i = 0; i < kCounterCount; ++i) {
    const std::string column = kCounterColumns[i];
    auto e = expected.find(column);
    INFO(column);
    CHECK(it->totals.counters.v[i] == (e == expected.end() ? 0 : e->second));
  }
  CHECK(it->totals.revenue == revenue);
}

// The day's rows of the workspace, by campaign and platform too unless `by_slice` is false.
std::vector<RollupRow> Slices(AnalyticsStore& store, const std::string& workspace_id,
                              bool by_slice = true) {
  RollupQuery q;
  q.workspace_id = workspace_id;
  q.from_hour = At(0, 0) / 1000;
  q.to_hour = At(0, 0, 0, 1) / 1000;
  q.by_slice = by_slice;
  return Unwrap(store.Sum(q));
}

void CheckStory(AnalyticsStore& store, const std::string& ws) {
  const auto rows = Slices(store, ws);
  CHECK(rows.size() == 5);
  const int64_t h10 = At(10, 0) / 1000, h11 = At(11, 0) / 1000, h12 = At(12, 0) / 1000;
  CheckRow(rows, h10, kCampaign, "instagram",
           {{"messages_received", 3},
            {"messages_sent_ai", 1},
            {"messages_sent_agent", 1},
            {"conversations_started", 1},
            {"engaged", 1},
            {"leads", 1},
            {"qualified", 1},
            {"converted", 1},
            {"replied", 1},
            {"responses", 2},
            {"response_ms_sum", 150000},
            {"first_responses", 1},
            {"first_response_ms_sum", 30000},
            {"ai_replies", 1}});
  CheckRow(rows, h11, kCampaign, "instagram", {{"conversions", 1}}, {{"USD", {4999, 1}}});
  // A conversion counts every step before it: B is engaged, a lead and qualified too.
  CheckRow(rows, h11, kCampaign, "whatsapp",
           {{"messages_received", 1},
            {"messages_sent_agent", 1},
            {"failed_deliveries", 1},
            {"conversations_started", 1},
            {"engaged", 1},
            {"leads", 1},
            {"qualified", 1},
            {"converted", 1},
            {"replied", 1},
            {"handed_off", 1},
            {"responses", 1},
            {"response_ms_sum", 600000},
            {"first_responses", 1},
            {"first_response_ms_sum", 600000},
            {"ai_replies", 1},
            {"ai_fallbacks", 1}});
  CheckRow(rows, h12, kCampaign, "whatsapp", {{"conversions", 1}}, {{"JPY", {150000, 1}}});
  CheckRow(rows, h12, "", "facebook", {{"messages_received", 1}, {"conversations_started", 1}});

  CHECK(Unwrap(store.OpenConversations(ws, "", "")) == 1);  // C; A and B converted
  CHECK(Unwrap(store.OpenConversations(ws, kCampaign, "")) == 0);
  CHECK(Unwrap(store.OpenConversations(ws, "", "facebook")) == 1);
  auto campaigns = Unwrap(store.Campaigns(ws));
  REQUIRE(campaigns.size() == 2);
  CHECK(campaigns[0].id == kCampaign);
  CHECK(campaigns[0].status == "active");
  CHECK(campaigns[0].name == "Spring, \"lamps\"");
  CHECK(campaigns[1].status == "deleted");
}

void StoryInEveryOrder(store::Store& db) {
  AnalyticsStore store(db);
  // The same story in four workspaces, each in another order.
  FoldAll(store, Story("ws-forward", "f"));
  CheckStory(store, "ws-forward");

  auto backward = Story("ws-backward", "b");
  std::reverse(backward.begin(), backward.end());
  FoldAll(store, backward);
  CheckStory(store, "ws-backward");

  auto shuffled = Story("ws-shuffled", "s");
  std::mt19937 rng(20260302);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  // Duplicates on the way, as at-least-once delivery makes them.
  auto with_duplicates = shuffled;
  with_duplicates.insert(with_duplicates.begin() + 3, shuffled[10]);
  with_duplicates.push_back(shuffled[0]);
  with_duplicates.push_back(shuffled[5]);
  FoldAll(store, with_duplicates);
  CheckStory(store, "ws-shuffled");

  // Replaying everything changes nothing: each event counts once.
  const auto before = Slices(store, "ws-shuffled");
  for (const auto& f : shuffled) {
    CHECK_FALSE(Unwrap(store.Fold(f)).applied);
  }
  const auto after = Slices(store, "ws-shuffled");
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].totals.counters == before[i].totals.counters);
    CHECK(after[i].totals.revenue == before[i].totals.revenue);
  }
  CheckStory(store, "ws-shuffled");
  // Another workspace's events never show here.
  CHECK(Slices(store, "ws-untouched").empty());
}

SALESOS_TEST_BOTH_ENGINES(
    "a story folds into the same rollups in any order, duplicates and "
    "replays included",
    "[analytics][store]", analytics_lib_migrations(), "analytics_fold", StoryInEveryOrder)

void DeferredUntilStarted(store::Store& db) {
  AnalyticsStore store(db);
  Events e("ws", "d");
  auto scored = e.LeadScored("X", "", 70, At(10, 1));
  auto message = e.CustomerMessage("X", "", "instagram", At(10, 0, 30));
  FoldResult r = Unwrap(store.Fold(scored));
  CHECK_FALSE(r.applied);  // waits: the conversation's campaign, platform and hour are unknown
  CHECK_FALSE(Unwrap(store.Fold(message)).applied);
  CHECK(Slices(store, "ws").empty());
  r = Unwrap(store.Fold(e.Started("X", "", "instagram", At(10, 0))));
  CHECK(r.applied);
  CHECK(r.metrics.count("conversationsStarted") == 1);
  CHECK(r.metrics.count("messagesReceived") == 1);
  CHECK(r.metrics.count("leadsGenerated") == 1);
  CheckRow(Slices(store, "ws"), At(10, 0) / 1000, "", "instagram",
           {{"messages_received", 1}, {"conversations_started", 1}, {"leads", 1}});
  // The waiting events were folded once; their replays change nothing.
  CHECK_FALSE(Unwrap(store.Fold(scored)).applied);
  CHECK_FALSE(Unwrap(store.Fold(message)).applied);
  CheckRow(Slices(store, "ws"), At(10, 0) / 1000, "", "instagram",
           {{"messages_received", 1}, {"conversations_started", 1}, {"leads", 1}});
}

SALESOS_TEST_BOTH_ENGINES("events of a conversation wait for its start and then count once",
                          "[analytics][store]", analytics_lib_migrations(), "analytics_defer",
                          DeferredUntilStarted)

void LateReplyMovesWaits(store::Store& db) {
  AnalyticsStore store(db);
  Events e("ws", "w");
  FoldAll(store, {e.Started("Y", "", "whatsapp", At(10, 0)),
                  e.CustomerMessage("Y", "", "whatsapp", At(10, 0)),
                  e.Sent("Y", "", "whatsapp", "agent", At(10, 10))});
  Expected expected = {{"messages_received", 1},
                       {"messages_sent_agent", 1},
                       {"conversations_started", 1},
                       {"replied", 1},
                       {"responses", 1},
                       {"response_ms_sum", 600000},
                       {"first_responses", 1},
                       {"first_response_ms_sum", 600000}};
  CheckRow(Slices(store, "ws"), At(10, 0) / 1000, "", "whatsapp", expected);
  // An AI reply at 10:01 arrives late: it answered the customer, the agent's reply answered
  // nothing, and the first response took one minute.
  FoldAll(store, {e.Sent("Y", "", "whatsapp", "ai", At(10, 1))});
  expected["messages_sent_ai"] = 1;
  expected["response_ms_sum"] = 60000;
  expected["first_response_ms_sum"] = 60000;
  CheckRow(Slices(store, "ws"), At(10, 0) / 1000, "", "whatsapp", expected);
}

SALESOS_TEST_BOTH_ENGINES("a reply that arrives late takes over the wait it answered",
                          "[analytics][store]", analytics_lib_migrations(), "analytics_late",
                          LateReplyMovesWaits)

void LargeAmountsStayExact(store::Store& db) {
  AnalyticsStore store(db);
  Events e("ws", "big");
  // Beyond 32 bits and beyond a double's integers once summed.
  const int64_t big = 900'000'000'000'000;  // 9e14 minor units
  std::vector<Fact> facts;
  for (int i = 0; i < 12; ++i) {
    const std::string c = "Z" + std::to_string(i);
    facts.push_back(e.Started(c, "", "instagram", At(10, i)));
    facts.push_back(e.Conversion(c, "", big + i, "USD", At(11, i)));
  }
  FoldAll(store, facts);
  Totals t;
  for (const auto& r : Slices(store, "ws", false)) {
    t += r.totals;
  }
  CHECK(t.revenue["USD"].amount_minor == 12 * big + 66);
  CHECK(t.revenue["USD"].orders == 12);
}

SALESOS_TEST_BOTH_ENGINES("revenue sums stay exact beyond 32 bits and a double's precision",
                          "[analytics][store]", analytics_lib_migrations(), "analytics_big",
                          LargeAmountsStayExact)

}  // namespace
}  // namespace salesos::analytics
