// Per-workspace fairness of the outbox and the AI turns (docs/broadcasts.md, "Fairness"), against
// both engines: a workspace with thousands of due sends or turns queued ahead does not push
// another workspace's one due item out of the next claim. The order of what is claimed is
// asserted, never a time.
//
// The backlog is bulk-inserted with SQL (thousands of rows through AppendInbound would take most
// of the test's time); the other workspace's item goes through the store's real path, and the
// backlog's rows are proven due items by being claimed too.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "conversation_lib_migrations.h"
#include "conversation_store.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::conversation {
namespace {

using testing::Unwrap;

constexpr int kBacklog = 2000;
constexpr int64_t kBatch = 8;  // the outbox's and the AI turns' concurrency

// `n` contacts of `ws`, each with an open conversation: with `turns`, an AI turn due at
// first_due_ms + i; otherwise handled by an agent, with one pending agent message (the head of
// its conversation) due at first_due_ms + i. One statement a table, so 100,000 rows take seconds.
void AddBacklog(store::Store& db, const std::string& ws, int n, int64_t first_due_ms, bool turns) {
  const std::string rows =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) ";
  const std::string key = "CAST($1 AS TEXT) || CAST(i AS TEXT)";
  const std::string now = "'2026-11-21T10:00:00.000Z'";
  REQUIRE_OK(db.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO contacts (id, workspace_id, platform, platform_user_id, whatsapp_id, "
                "created_at) " +
                    rows + "SELECT " + key + " || '-k', $1, 'whatsapp', 'u' || CAST(i AS TEXT), "
                    "'u' || CAST(i AS TEXT), " + now + " FROM n",
                {ws, n})
            .status());
    SALESOS_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO conversations (id, workspace_id, contact_id, platform, "
                "integration_id, handler, last_message_at, created_at, updated_at, ai_due_ms) " +
                    rows + "SELECT " + key + " || '-c', $1, " + key +
                    " || '-k', 'whatsapp', 'integration-1', $4, " + now + ", " + now + ", " + now +
                    ", (CASE WHEN $4 = 'ai' THEN CAST($3 AS BIGINT) + i - 1 ELSE 0 END) FROM n",
                {ws, n, first_due_ms, std::string(turns ? "ai" : "agent")})
            .status());
    if (turns) {
      return OkStatus();
    }
    return tx
        .Exec("INSERT INTO messages (id, workspace_id, conversation_id, sender, content, "
              "delivery_status, platform_timestamp_ms, created_at, next_attempt_ms) " +
                  rows + "SELECT " + key + " || '-m', $1, " + key +
                  " || '-c', 'agent', 'Our sale starts today', 'pending', i, " + now +
                  ", CAST($3 AS BIGINT) + i - 1 FROM n",
              {ws, n, first_due_ms})
        .status();
  }));
}

InboundMessage Customer(const std::string& ws, int64_t ai_due_ms, int customer = 0) {
  InboundMessage in;
  in.workspace_id = ws;
  in.platform = "whatsapp";
  in.integration_id = "integration-2";
  in.platform_user_id = "4477009009" + std::to_string(10 + customer);
  in.contact_name = "Ana";
  in.message.sender = "customer";
  in.message.content = "Is it still in stock?";
  in.message.platform_message_id = "wamid." + NewUuidV7();
  in.message.platform_timestamp_ms = 1000;
  in.now = "2026-11-21T10:00:00.000Z";
  in.ai_due_ms = ai_due_ms;
  return in;
}

// Workspace ids in a known order: `a` sorts before `b`, so the round robin (which starts after
// the cursor, from the smallest id) cannot favour `b` by its name.
struct Workspaces {
  std::string a = "ws-a-" + NewUuidV7();
  std::string b = "ws-b-" + NewUuidV7();
};

// An agent's message to customer `customer` of `ws` (a conversation of its own), due at `due_ms`,
// through the store's real path.
std::string AgentMessageOf(ConversationStore& store, const std::string& ws, int64_t due_ms,
                           int customer = 0) {
  auto in = Unwrap(store.AppendInbound(Customer(ws, 0, customer)));
  auto change = Unwrap(store.Mutate(ws, in.conversation.id,
                                    [due_ms](ConversationRecord&, std::vector<MessageRecord>& add) {
                                      MessageRecord m;
                                      m.sender = "agent";
                                      m.content = "Yes, 3 left";
                                      m.delivery_status = "pending";
                                      m.platform_timestamp_ms = 2000;
                                      m.next_attempt_ms = due_ms;
                                      add.push_back(m);
                                      return OkStatus();
                                    }));
  return change.added.at(0).id;
}

// Claims as the outbox does (DueSends, then ClaimSend of each, the cursor moved past each
// workspace's turn) with batches of `batch`, until `wanted` is claimed or `max_claims` claims
// went by; the messages claimed, in order.
std::vector<OutboxItem> ClaimSendsUntil(ConversationStore& store, const std::string& wanted,
                                        int64_t now_ms, int64_t batch, int max_claims) {
  std::vector<OutboxItem> claimed;
  std::string cursor;
  for (int i = 0; i < max_claims; ++i) {
    for (auto& item : Unwrap(store.DueSends(now_ms, batch, cursor))) {
      if (item.workspace_turn) {
        cursor = item.message.workspace_id;
      }
      if (Unwrap(store.ClaimSend(item.message.workspace_id, item.message.id, now_ms, 600'000))) {
        claimed.push_back(item);
      }
    }
    for (const auto& item : claimed) {
      if (item.message.id == wanted) {
        return claimed;
      }
    }
  }
  return claimed;
}

size_t PositionOf(const std::vector<OutboxItem>& items, const std::string& id) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].message.id == id) {
      return i + 1;
    }
  }
  return 0;
}

void CheckABacklogOfSendsDoesNotDelayAnotherWorkspacesMessage(store::Store& db) {
  ConversationStore store(db);
  Workspaces w;
  const int64_t now = 1'000'000;
  AddBacklog(db, w.a, kBacklog, 1000, false);
  // Before B has anything, a claim takes A's oldest, in order: the backlog rows are due items.
  auto only_a = Unwrap(store.DueSends(now, kBatch));
  REQUIRE(only_a.size() == static_cast<size_t>(kBatch));
  for (int64_t i = 0; i < kBatch; ++i) {
    CHECK(only_a[i].message.workspace_id == w.a);
    CHECK(only_a[i].message.next_attempt_ms == 1000 + i);
    CHECK(only_a[i].recipient_id == "u" + std::to_string(i + 1));
  }
  // B's message falls due after every one of A's 2,000.
  const std::string b_message = AgentMessageOf(store, w.b, 1000 + kBacklog + 500);

  // One claim of a batch: B's message is in it, the rest of the batch is A's oldest.
  auto batch = Unwrap(store.DueSends(now, kBatch));
  REQUIRE(batch.size() == static_cast<size_t>(kBatch));
  size_t at = PositionOf(batch, b_message);
  CHECK(at >= 1);
  CHECK(at <= static_cast<size_t>(kBatch));
  int64_t expected_a = 1000;
  for (const auto& item : batch) {
    if (item.message.id != b_message) {
      CHECK(item.message.workspace_id == w.a);
      CHECK(item.message.next_attempt_ms == expected_a++);
    }
  }
  // Claimed as the outbox claims: B's message goes in the first batch, not after A's 2,000.
  auto claimed = ClaimSendsUntil(store, b_message, now, kBatch, kBacklog);
  at = PositionOf(claimed, b_message);
  CHECK(at >= 1);
  CHECK(at <= static_cast<size_t>(kBatch));
}

void CheckOneAtATimeClaimsAlternateBetweenWorkspaces(store::Store& db) {
  ConversationStore store(db);
  Workspaces w;
  const int64_t now = 1'000'000;
  AddBacklog(db, w.a, kBacklog, 1000, false);
  const std::string b_first = AgentMessageOf(store, w.b, 1000 + kBacklog + 500);
  auto claimed = ClaimSendsUntil(store, b_first, now, 1, kBacklog);
  // The first single claim takes A's oldest (A sorts first), the second B's.
  REQUIRE(claimed.size() == 2);
  CHECK(claimed[0].message.workspace_id == w.a);
  CHECK(claimed[1].message.id == b_first);
  // With both at work, single claims alternate: A, B, A, B ... while both have messages due.
  std::vector<std::string> more;
  for (int i = 0; i < 3; ++i) {
    more.push_back(AgentMessageOf(store, w.b, 1000 + kBacklog + 600 + i, 1 + i));
  }
  std::string cursor = w.b;
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    auto due = Unwrap(store.DueSends(now, 1, cursor));
    REQUIRE(due.size() == 1);
    CHECK(due[0].workspace_turn);
    cursor = due[0].message.workspace_id;
    order.push_back(cursor == w.a ? "a" : "b");
    REQUIRE(Unwrap(store.ClaimSend(cursor, due[0].message.id, now, 600'000)));
  }
  CHECK(order == std::vector<std::string>{"a", "b", "a", "b", "a", "b"});
}

void CheckABacklogOfAiTurnsDoesNotDelayAnotherWorkspacesTurn(store::Store& db) {
  ConversationStore store(db);
  Workspaces w;
  const int64_t now = 1'000'000;
  AddBacklog(db, w.a, kBacklog, 1000, true);
  auto only_a = Unwrap(store.DueAiTurns(now, kBatch));
  REQUIRE(only_a.size() == static_cast<size_t>(kBatch));
  for (int64_t i = 0; i < kBatch; ++i) {
    CHECK(only_a[i].workspace_id == w.a);
    CHECK(only_a[i].due_ms == 1000 + i);
  }
  // A customer of B writes; the AI turn falls due after all of A's.
  auto in = Unwrap(store.AppendInbound(Customer(w.b, 1000 + kBacklog + 500)));
  const std::string b_conversation = in.conversation.id;

  auto claim = [&](int64_t batch, const std::string& cursor) {
    return Unwrap(store.DueAiTurns(now, batch, cursor));
  };
  auto batch = claim(kBatch, "");
  REQUIRE(batch.size() == static_cast<size_t>(kBatch));
  size_t at = 0;
  int64_t expected_a = 1000;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].conversation_id == b_conversation) {
      at = i + 1;
      CHECK(batch[i].workspace_id == w.b);
    } else {
      CHECK(batch[i].workspace_id == w.a);
      CHECK(batch[i].due_ms == expected_a++);
    }
  }
  CHECK(at >= 1);
  CHECK(at <= static_cast<size_t>(kBatch));
  // One at a time, as the loop claims when busy: A's oldest, then B's turn.
  std::string cursor;
  std::vector<DueTurn> claimed;
  for (int i = 0; i < 2; ++i) {
    auto due = claim(1, cursor);
    REQUIRE(due.size() == 1);
    REQUIRE(Unwrap(store.ClaimAiTurn(due[0], now, 600'000)));
    if (due[0].workspace_turn) {
      cursor = due[0].workspace_id;
    }
    claimed.push_back(due[0]);
  }
  CHECK(claimed[0].workspace_id == w.a);
  CHECK(claimed[1].conversation_id == b_conversation);
}

// Not a test of speed (those live in bench/): hidden ("[.]"), run by hand to measure what one
// claim costs with a backlog of 100,000 due items of one workspace and one of another; prints the
// figures. `conversation_test "[fairness-latency]"`.
void MeasureClaimLatencyWithABacklog(store::Store& db) {
  ConversationStore store(db);
  Workspaces w;
  const int64_t now = 10'000'000;
  constexpr int kBig = 100'000;
  auto measure = [&](const char* what, const std::function<void()>& claim) {
    using Clock = std::chrono::steady_clock;
    claim();  // warm the statement cache
    std::vector<double> ms;
    for (int i = 0; i < 50; ++i) {
      auto t0 = Clock::now();
      claim();
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%s %s: median %.2f ms, p90 %.2f ms, max %.2f ms (50 claims of 8)\n",
                std::string(db.Engine()).c_str(), what, ms[ms.size() / 2], ms[ms.size() * 9 / 10],
                ms.back());
  };
  AddBacklog(db, w.a, kBig, 1000, false);
  const std::string b_message = AgentMessageOf(store, w.b, 1000 + kBig + 500);
  measure("DueSends, 100,000 + 1 due", [&] {
    auto due = Unwrap(store.DueSends(now, kBatch));
    REQUIRE(PositionOf(due, b_message) >= 1);
  });
  AddBacklog(db, w.a + "-turns", kBig, 1000, true);
  auto in = Unwrap(store.AppendInbound(Customer(w.b, 1000 + kBig + 500, 7)));
  measure("DueAiTurns, 100,000 + 1 due", [&] {
    auto due = Unwrap(store.DueAiTurns(now, kBatch));
    bool found = false;
    for (const auto& t : due) {
      found = found || t.conversation_id == in.conversation.id;
    }
    REQUIRE(found);
  });
}

#define BOTH_ENGINES(name, check)                                                     \
  SALESOS_TEST_BOTH_ENGINES(name, "[conversation][fairness]", conversation_lib_migrations(), \
                            "fair_due", check)

BOTH_ENGINES("a backlog of sends in one workspace does not delay another workspace's message",
             CheckABacklogOfSendsDoesNotDelayAnotherWorkspacesMessage)
BOTH_ENGINES("one-at-a-time send claims alternate between workspaces with work",
             CheckOneAtATimeClaimsAlternateBetweenWorkspaces)
BOTH_ENGINES("a backlog of AI turns in one workspace does not delay another workspace's turn",
             CheckABacklogOfAiTurnsDoesNotDelayAnotherWorkspacesTurn)
SALESOS_TEST_BOTH_ENGINES("claim latency with a backlog of 100,000 due items",
                          "[.][fairness-latency]", conversation_lib_migrations(), "fair_latency",
                          MeasureClaimLatencyWithABacklog)

}  // namespace
}  // namespace salesos::conversation
