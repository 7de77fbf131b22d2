// BroadcastStore against both engines: the recipients queue, the counters kept with every
// transition, a resolution redone without duplicates, leases, receipts and replies.

#include "broadcast_store.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "broadcast_rules.h"
#include "campaign_lib_migrations.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::campaign {
namespace {

using testing::Unwrap;

constexpr int64_t kNow = 1795242600000;  // 2026-11-21T06:30:00Z

BroadcastRecord MakeBroadcast(const std::string& workspace_id) {
  BroadcastRecord b;
  b.id = NewUuidV7();
  b.workspace_id = workspace_id;
  b.campaign_id = NewUuidV7();
  b.name = "Black Friday";
  b.status = kBroadcastScheduled;
  b.rules.set_op("and");
  b.body = "Hi {{contact.firstName}}";
  b.text_given = b.body;
  b.integration_id = "int-" + workspace_id;
  b.platform = "whatsapp";
  b.schedule_at_ms = kNow;
  b.rate_per_second = 80;
  b.attribution_window_hours = 72;
  b.created_at = "2026-11-21T06:30:00.000Z";
  b.updated_at = b.created_at;
  return b;
}

std::vector<RecipientRecord> Recipients(const BroadcastRecord& b, int n, const std::string& status,
                                        int first = 0) {
  std::vector<RecipientRecord> out;
  for (int i = first; i < first + n; ++i) {
    RecipientRecord r;
    r.id = NewUuidV7();
    r.broadcast_id = b.id;
    r.workspace_id = b.workspace_id;
    r.integration_id = b.integration_id;
    r.contact_id = "contact-" + std::to_string(100000 + i);
    r.name = "Contact " + std::to_string(i);
    r.address = std::to_string(4470000000 + i);
    r.status = status;
    r.text = "Hi " + std::to_string(i);
    r.error = status == "failed" ? "render: empty" : "";
    out.push_back(std::move(r));
  }
  return out;
}

void CheckSums(const BroadcastRecord& b) {
  // Every resolved recipient is in exactly one of these.
  CHECK(b.queued + b.sent + b.failed + b.cancelled == b.total);
}

void ResolutionIsRestartable(store::Store& db) {
  BroadcastStore store(db);
  BroadcastRecord b = MakeBroadcast("ws-1");
  REQUIRE_OK(store.Create(b, kMaxUnfinishedBroadcasts));
  bool started = false;
  auto claimed = Unwrap(store.ClaimResolution("a", kNow, 1000, &started));
  REQUIRE(claimed.has_value());
  CHECK(started);
  CHECK(claimed->status == kBroadcastRunning);
  // Another replica cannot claim it while the lease holds.
  bool other_started = false;
  CHECK_FALSE(Unwrap(store.ClaimResolution("b", kNow + 10, 1000, &other_started)).has_value());

  // 1,000 queued and 7 failed in the first page (more than one multi-row batch).
  auto page1 = Recipients(b, 1000, "queued");
  auto failed = Recipients(b, 7, "failed", 5000);
  auto t1 = Unwrap(store.AddRecipients(b.id, "a", page1, failed, 3, "tok-2", false, kNow, 1000));
  CHECK(t1.applied);
  CHECK_FALSE(t1.completed);
  // "a" dies; after its lease, "b" takes over and finds where to go on.
  auto again = Unwrap(store.ClaimResolution("b", kNow + 2000, 1000, &other_started));
  REQUIRE(again.has_value());
  CHECK_FALSE(other_started);
  CHECK(again->resolve_token == "tok-2");
  // The dead owner's late write is refused.
  CHECK(store.AddRecipients(b.id, "a", {}, {}, 0, "x", true, kNow + 2001, 1000).status().code() ==
        Code::kAborted);
  // "b" redoes part of the first page (as if its commit were unknown) and adds the second: the
  // contacts already queued are not queued twice.
  auto redo = Recipients(b, 1200, "queued");  // contacts 0..1199: 200 new
  auto t2 = Unwrap(store.AddRecipients(b.id, "b", redo, {}, 0, "", true, kNow + 2001, 1000));
  CHECK(t2.applied);
  auto after = Unwrap(store.GetById(b.id));
  REQUIRE(after.has_value());
  CHECK(after->total == 1207);
  CHECK(after->queued == 1200);
  CHECK(after->failed == 7);
  CHECK(after->opted_out == 3);
  CHECK(after->resolved);
  CHECK(after->status == kBroadcastRunning);
  CheckSums(*after);
  auto listed = Unwrap(store.ListRecipients(b.id, "", "", 5000));
  CHECK(listed.size() == 1207);
  auto failed_listed = Unwrap(store.ListRecipients(b.id, "failed", "", 100));
  REQUIRE(failed_listed.size() == 7);
  CHECK(failed_listed[0].error == "render: empty");
}

SALESOS_TEST_BOTH_ENGINES("a broadcast's resolution redone after a crash queues nobody twice",
                          "[campaign][broadcast]", campaign_lib_migrations(), "bcast",
                          ResolutionIsRestartable)

void TransitionsKeepCounters(store::Store& db) {
  BroadcastStore store(db);
  BroadcastRecord b = MakeBroadcast("ws-2");
  REQUIRE_OK(store.Create(b, kMaxUnfinishedBroadcasts));
  bool started = false;
  REQUIRE(Unwrap(store.ClaimResolution("a", kNow, 60000, &started)).has_value());
  REQUIRE(Unwrap(store.AddRecipients(b.id, "a", Recipients(b, 4, "queued"), {}, 0, "", true, kNow,
                                     60000))
              .applied);
  auto due = Unwrap(store.Due(b.integration_id, kNow, 10));
  REQUIRE(due.size() == 4);
  std::vector<std::string> ids;
  for (auto& r : due) {
    ids.push_back(r.id);
  }
  REQUIRE_OK(store.MarkSending(ids, kNow));
  CHECK(Unwrap(store.Due(b.integration_id, kNow, 10)).empty());

  CHECK(Unwrap(store.MarkSent(due[0], "wamid.1", "m1", "c1", kNow + 1)).applied);
  // Twice is once.
  CHECK_FALSE(Unwrap(store.MarkSent(due[0], "wamid.1", "m1", "c1", kNow + 2)).applied);
  CHECK(Unwrap(store.MarkFailed(due[1], "131026 Message undeliverable", kNow + 1)).applied);
  CHECK(Unwrap(store.Requeue(due[2], kNow + 5000, "130429 Rate limit hit", kNow + 1)).applied);
  CHECK(Unwrap(store.Due(b.integration_id, kNow + 4999, 10)).empty());
  CHECK(Unwrap(store.Due(b.integration_id, kNow + 5000, 10)).size() == 1);
  auto mid = *Unwrap(store.GetById(b.id));
  CHECK(mid.queued == 2);
  CHECK(mid.sent == 1);
  CHECK(mid.failed == 1);
  CheckSums(mid);

  // A sender that took over puts "sending" ones back in the queue.
  CHECK(Unwrap(store.RequeueOrphans(b.integration_id)) == 1);
  REQUIRE_OK(store.MarkSending({due[2].id, due[3].id}, kNow + 5000));
  CHECK_FALSE(Unwrap(store.MarkSent(due[2], "wamid.2", "m2", "c2", kNow + 5001)).completed);
  auto last = Unwrap(store.MarkSent(due[3], "wamid.3", "m3", "c3", kNow + 5002));
  CHECK(last.completed);
  auto done = *Unwrap(store.GetById(b.id));
  CHECK(done.status == kBroadcastCompleted);
  CHECK(done.sent == 3);
  CHECK(done.queued == 0);
  CheckSums(done);

  // Receipts only move forward; failed after sent counts as failed instead of sent.
  CHECK(Unwrap(store.ApplyReceipt("ws-2", b.id, due[0].id, "delivered", "", kNow + 6000, kNow))
            .applied);
  CHECK_FALSE(
      Unwrap(store.ApplyReceipt("ws-2", b.id, due[0].id, "delivered", "", kNow, kNow)).applied);
  CHECK(Unwrap(store.ApplyReceipt("ws-2", b.id, due[0].id, "read", "", kNow + 7000, kNow)).applied);
  CHECK_FALSE(
      Unwrap(store.ApplyReceipt("ws-2", b.id, due[0].id, "delivered", "", kNow, kNow)).applied);
  // read straight from sent counts delivered too
  CHECK(Unwrap(store.ApplyReceipt("ws-2", b.id, due[2].id, "read", "", kNow + 7000, kNow)).applied);
  CHECK(Unwrap(store.ApplyReceipt("ws-2", b.id, due[3].id, "failed", "131026 Undeliverable",
                                  kNow + 7000, kNow))
            .applied);
  // Another workspace's receipt changes nothing.
  CHECK_FALSE(
      Unwrap(store.ApplyReceipt("ws-9", b.id, due[2].id, "failed", "", kNow + 7000, kNow)).applied);
  // Replies: inside the window once; outside never.
  CHECK(Unwrap(store.ApplyReply("ws-2", b.id, due[0].id, kNow + 3600000, kNow)).applied);
  CHECK_FALSE(Unwrap(store.ApplyReply("ws-2", b.id, due[0].id, kNow + 3600001, kNow)).applied);
  CHECK_FALSE(
      Unwrap(store.ApplyReply("ws-2", b.id, due[2].id, kNow + 73LL * 3600000, kNow)).applied);
  auto receipts = *Unwrap(store.GetById(b.id));
  CHECK(receipts.sent == 2);
  CHECK(receipts.delivered == 2);
  CHECK(receipts.read == 2);
  CHECK(receipts.failed == 2);
  CHECK(receipts.replied == 1);
  CheckSums(receipts);
  CHECK(Unwrap(store.ListRecipients(b.id, "replied", "", 10)).size() == 1);
  CHECK(Unwrap(store.ListRecipients(b.id, "read", "", 10)).size() == 2);
}

SALESOS_TEST_BOTH_ENGINES("every recipient transition keeps the broadcast's counters",
                          "[campaign][broadcast]", campaign_lib_migrations(), "bcast",
                          TransitionsKeepCounters)

void LeasesAndLimits(store::Store& db) {
  BroadcastStore store(db);
  CHECK(Unwrap(store.AcquireIntegrationLease("i1", "a", kNow, 1000)));
  CHECK(Unwrap(store.AcquireIntegrationLease("i1", "a", kNow + 500, 1000)));  // renewal
  CHECK_FALSE(Unwrap(store.AcquireIntegrationLease("i1", "b", kNow + 1000, 1000)));
  CHECK(Unwrap(store.AcquireIntegrationLease("i1", "b", kNow + 1501, 1000)));  // expired
  CHECK_FALSE(Unwrap(store.AcquireIntegrationLease("i1", "a", kNow + 1600, 1000)));
  REQUIRE_OK(store.ReleaseIntegrationLease("i1", "b"));
  CHECK(Unwrap(store.AcquireIntegrationLease("i1", "a", kNow + 1600, 1000)));

  // At most 20 unfinished broadcasts a workspace; a cancelled one frees its place.
  std::vector<BroadcastRecord> made;
  for (int i = 0; i < 20; ++i) {
    made.push_back(MakeBroadcast("ws-3"));
    REQUIRE_OK(store.Create(made.back(), kMaxUnfinishedBroadcasts));
  }
  CHECK(store.Create(MakeBroadcast("ws-3"), kMaxUnfinishedBroadcasts).code() ==
        Code::kResourceExhausted);
  CHECK(store.Create(MakeBroadcast("ws-4"), kMaxUnfinishedBroadcasts).ok());
  auto cancelled = Unwrap(
      store.ChangeStatus("ws-3", made[0].id, {kBroadcastScheduled}, kBroadcastCancelled, kNow));
  REQUIRE(cancelled.has_value());
  CHECK(cancelled->status == kBroadcastCancelled);
  CHECK(store.ChangeStatus("ws-3", made[0].id, {kBroadcastPaused}, kBroadcastRunning, kNow)
            .status()
            .code() == Code::kFailedPrecondition);
  CHECK_FALSE(Unwrap(
      store.ChangeStatus("ws-4", made[1].id, {kBroadcastScheduled}, kBroadcastPaused, kNow)));
  CHECK(store.Create(MakeBroadcast("ws-3"), kMaxUnfinishedBroadcasts).ok());
  auto listed = Unwrap(store.List("ws-3", made[5].campaign_id, "", 10));
  CHECK(listed.size() == 1);
}

SALESOS_TEST_BOTH_ENGINES("an integration's sender lease has one holder at a time",
                          "[campaign][broadcast]", campaign_lib_migrations(), "bcast",
                          LeasesAndLimits)

void CancelCancelsQueued(store::Store& db) {
  BroadcastStore store(db);
  BroadcastRecord b = MakeBroadcast("ws-5");
  REQUIRE_OK(store.Create(b, kMaxUnfinishedBroadcasts));
  bool started = false;
  REQUIRE(Unwrap(store.ClaimResolution("a", kNow, 60000, &started)).has_value());
  REQUIRE(Unwrap(store.AddRecipients(b.id, "a", Recipients(b, 10, "queued"), {}, 0, "", true, kNow,
                                     60000))
              .applied);
  auto due = Unwrap(store.Due(b.integration_id, kNow, 2));
  REQUIRE_OK(store.MarkSending({due[0].id, due[1].id}, kNow));
  auto paused =
      Unwrap(store.ChangeStatus("ws-5", b.id, {kBroadcastRunning}, kBroadcastPaused, kNow));
  CHECK(paused->status == kBroadcastPaused);
  CHECK(Unwrap(store.Due(b.integration_id, kNow, 10)).empty());  // nothing goes while paused
  auto cancelled = Unwrap(
      store.ChangeStatus("ws-5", b.id, {kBroadcastScheduled, kBroadcastRunning, kBroadcastPaused},
                         kBroadcastCancelled, kNow));
  CHECK(cancelled->cancelled == 8);
  CHECK(cancelled->queued == 2);  // the two in flight still complete
  CHECK(Unwrap(store.MarkSent(due[0], "wamid.1", "m", "c", kNow)).applied);
  // The other one is put back by its sender: it becomes cancelled.
  CHECK(Unwrap(store.Requeue(due[1], kNow, "", kNow)).applied);
  auto after = *Unwrap(store.GetById(b.id));
  CHECK(after.queued == 0);
  CHECK(after.cancelled == 9);
  CHECK(after.sent == 1);
  CheckSums(after);
}

SALESOS_TEST_BOTH_ENGINES("a cancel cancels the queued recipients and lets in-flight ones finish",
                          "[campaign][broadcast]", campaign_lib_migrations(), "bcast",
                          CancelCancelsQueued)

}  // namespace
}  // namespace salesos::campaign
