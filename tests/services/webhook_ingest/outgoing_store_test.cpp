#include "outgoing_store.h"

#include <catch2/catch.hpp>
#include <string>

#include "salesos/core/ids.h"
#include "support/databases.h"
#include "webhook_ingest_lib_migrations.h"

namespace salesos::webhook_ingest {
namespace {

using testing::Unwrap;

const std::string kWs = "0190d6a0-0000-7000-8000-0000000000aa";
const std::string kOther = "0190d6a0-0000-7000-8000-0000000000bb";

WebhookRecord Hook(const std::string& workspace, std::vector<std::string> events) {
  WebhookRecord w;
  w.id = NewUuidV7();
  w.workspace_id = workspace;
  w.url = "https://hooks.example.com/in";
  w.events = std::move(events);
  w.secret_sealed = "c2VhbGVk";
  w.secret_hint = "\u2026abcd";
  w.description = "CRM sync";
  w.created_by = "u-1";
  w.created_at = "2026-03-01T10:00:00Z";
  return w;
}

DeliveryRecord Delivery(const WebhookRecord& hook, const std::string& event_id, int64_t due_ms) {
  DeliveryRecord d;
  d.id = NewUuidV7();
  d.workspace_id = hook.workspace_id;
  d.webhook_id = hook.id;
  d.event_id = event_id;
  d.event_type = "message.received";
  d.body = R"({"id":")" + event_id + R"("})";
  d.next_attempt_ms = due_ms;
  d.created_ms = due_ms;
  return d;
}

void WebhooksAreKeptPerWorkspace(store::Store& db) {
  OutgoingStore store(db);
  WebhookRecord a = Hook(kWs, {"message.received", "*"});
  REQUIRE_OK(store.CreateWebhook(a, 20));
  REQUIRE_OK(store.CreateWebhook(Hook(kOther, {"lead.scored"}), 20));

  auto got = Unwrap(store.GetWebhook(kWs, a.id));
  REQUIRE(got.has_value());
  CHECK(got->url == a.url);
  CHECK(got->events == std::vector<std::string>{"message.received", "*"});
  CHECK(got->secret_sealed == "c2VhbGVk");
  CHECK(got->secret_hint == "\u2026abcd");
  CHECK(got->description == "CRM sync");
  CHECK_FALSE(Unwrap(store.GetWebhook(kOther, a.id)).has_value());
  CHECK(Unwrap(store.ListWebhooks(kWs, "", 10)).size() == 1);

  // The limit counts the workspace's own webhooks only.
  for (int i = 1; i < 3; ++i) {
    REQUIRE_OK(store.CreateWebhook(Hook(kWs, {"*"}), 3));
  }
  Status full = store.CreateWebhook(Hook(kWs, {"*"}), 3);
  CHECK(full.code() == Code::kResourceExhausted);
  REQUIRE_OK(store.CreateWebhook(Hook(kOther, {"*"}), 3));

  auto first = Unwrap(store.ListWebhooks(kWs, "", 2));
  REQUIRE(first.size() == 2);
  CHECK(first[0].id == a.id);
  auto rest = Unwrap(store.ListWebhooks(kWs, first[1].id, 2));
  CHECK(rest.size() == 1);

  // Deleting takes the log along; another workspace cannot delete it.
  REQUIRE(Unwrap(store.Enqueue(Delivery(a, "e-1", 1000))));
  CHECK_FALSE(Unwrap(store.DeleteWebhook(kOther, a.id)));
  CHECK(Unwrap(store.DeleteWebhook(kWs, a.id)));
  CHECK_FALSE(Unwrap(store.GetWebhook(kWs, a.id)).has_value());
  CHECK(Unwrap(store.DueDeliveries(5000, 10)).empty());
  CHECK_FALSE(Unwrap(store.DeleteWebhook(kWs, a.id)));

  REQUIRE_OK(store.DeleteWorkspace(kWs));
  CHECK(Unwrap(store.ListWebhooks(kWs, "", 10)).empty());
  CHECK(Unwrap(store.ListWebhooks(kOther, "", 10)).size() == 2);
}
SALESOS_TEST_BOTH_ENGINES("outgoing webhooks are kept per workspace and limited",
                          "[webhook_ingest][outgoing]", webhook_ingest_lib_migrations(),
                          "hooks_store", WebhooksAreKeptPerWorkspace)

void AnEventIsEnqueuedOncePerWebhook(store::Store& db) {
  OutgoingStore store(db);
  WebhookRecord a = Hook(kWs, {"*"});
  WebhookRecord b = Hook(kWs, {"*"});
  REQUIRE_OK(store.CreateWebhook(a, 20));
  REQUIRE_OK(store.CreateWebhook(b, 20));
  DeliveryRecord first = Delivery(a, "e-1", 1000);
  CHECK(Unwrap(store.Enqueue(first)));
  CHECK_FALSE(Unwrap(store.Enqueue(Delivery(a, "e-1", 1000))));  // the stream handed it over again
  CHECK(Unwrap(store.Enqueue(Delivery(b, "e-1", 1000))));        // another webhook
  // A redelivery repeats the event as a new row, as often as asked.
  DeliveryRecord again = Delivery(a, "e-1", 2000);
  again.redelivery_of = first.id;
  CHECK(Unwrap(store.Enqueue(again)));
  DeliveryRecord again2 = Delivery(a, "e-1", 3000);
  again2.redelivery_of = first.id;
  CHECK(Unwrap(store.Enqueue(again2)));

  auto log = Unwrap(store.ListDeliveries(kWs, a.id, "", "", 10));
  REQUIRE(log.size() == 3);
  CHECK(log[0].id == again2.id);  // newest first
  CHECK(log[0].redelivery_of == first.id);
  CHECK(log[2].id == first.id);
  CHECK(log[2].redelivery_of.empty());
  CHECK(log[2].body == R"({"id":"e-1"})");
  auto page = Unwrap(store.ListDeliveries(kWs, a.id, "", log[0].id, 1));
  REQUIRE(page.size() == 1);
  CHECK(page[0].id == again.id);
  CHECK(Unwrap(store.ListDeliveries(kOther, a.id, "", "", 10)).empty());
  CHECK(Unwrap(store.ListDeliveries(kWs, a.id, "failed", "", 10)).empty());
  CHECK(Unwrap(store.GetDelivery(kWs, a.id, first.id)).has_value());
  CHECK_FALSE(Unwrap(store.GetDelivery(kWs, b.id, first.id)).has_value());
  CHECK_FALSE(Unwrap(store.GetDelivery(kOther, a.id, first.id)).has_value());
}
SALESOS_TEST_BOTH_ENGINES("an event is enqueued once per webhook and redelivered as new rows",
                          "[webhook_ingest][outgoing]", webhook_ingest_lib_migrations(),
                          "hooks_once", AnEventIsEnqueuedOncePerWebhook)

void DueDeliveriesAreLeasedAndRecorded(store::Store& db) {
  OutgoingStore store(db);
  WebhookRecord a = Hook(kWs, {"*"});
  REQUIRE_OK(store.CreateWebhook(a, 20));
  DeliveryRecord soon = Delivery(a, "e-1", 1000);
  DeliveryRecord later = Delivery(a, "e-2", 5000);
  REQUIRE(Unwrap(store.Enqueue(soon)));
  REQUIRE(Unwrap(store.Enqueue(later)));
  CHECK(Unwrap(store.NextDueMs()) == 1000);

  auto due = Unwrap(store.DueDeliveries(2000, 10));
  REQUIRE(due.size() == 1);
  CHECK(due[0].id == soon.id);
  REQUIRE(Unwrap(store.Claim(soon.id, 2000, 62000)));
  CHECK_FALSE(Unwrap(store.Claim(soon.id, 2000, 62000)));  // another replica
  CHECK(Unwrap(store.DueDeliveries(2000, 10)).empty());
  CHECK_FALSE(Unwrap(store.Claim(later.id, 2000, 62000)));  // not due yet

  AttemptOutcome retry;
  retry.status = kDeliveryPending;
  retry.next_attempt_ms = 32000;
  retry.first_attempt_ms = 2000;
  retry.last_http_status = 500;
  retry.last_error = "HTTP 500";
  retry.duration_ms = 12;
  CHECK_FALSE(Unwrap(store.RecordAttempt(soon.id, 99999, retry)));  // not this lease
  REQUIRE(Unwrap(store.RecordAttempt(soon.id, 62000, retry)));
  auto row = Unwrap(store.GetDelivery(kWs, a.id, soon.id));
  REQUIRE(row.has_value());
  CHECK(row->status == kDeliveryPending);
  CHECK(row->attempts == 1);
  CHECK(row->next_attempt_ms == 32000);
  CHECK(row->lease_until_ms == 0);
  CHECK(row->first_attempt_ms == 2000);
  CHECK(row->last_http_status == 500);
  CHECK(row->last_error == "HTTP 500");
  CHECK(row->duration_ms == 12);
  CHECK(Unwrap(store.NextDueMs()) == 5000);

  // A lease that ran out (a crashed replica) is taken over.
  REQUIRE(Unwrap(store.Claim(later.id, 6000, 7000)));
  CHECK(Unwrap(store.DueDeliveries(6500, 10)).empty());
  CHECK(Unwrap(store.NextDueMs()) == 7000);
  auto taken = Unwrap(store.DueDeliveries(7001, 10));
  REQUIRE(taken.size() == 1);
  REQUIRE(Unwrap(store.Claim(later.id, 7001, 67001)));
  AttemptOutcome done;
  done.status = kDeliverySucceeded;
  done.first_attempt_ms = 7001;
  done.last_http_status = 204;
  done.delivered_ms = 7050;
  REQUIRE(Unwrap(store.RecordAttempt(later.id, 67001, done)));
  CHECK_FALSE(Unwrap(store.RecordAttempt(later.id, 67001, done)));  // finished already

  REQUIRE(Unwrap(store.Claim(soon.id, 40000, 100000)));
  AttemptOutcome gave_up = retry;
  gave_up.status = kDeliveryFailed;
  REQUIRE(Unwrap(store.RecordAttempt(soon.id, 100000, gave_up)));
  CHECK(Unwrap(store.NextDueMs()) == 0);

  auto failed = Unwrap(store.ListDeliveries(kWs, a.id, kDeliveryFailed, "", 10));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].attempts == 2);
  auto succeeded = Unwrap(store.ListDeliveries(kWs, a.id, kDeliverySucceeded, "", 10));
  REQUIRE(succeeded.size() == 1);
  CHECK(succeeded[0].delivered_ms == 7050);

  // Finished rows older than the cut-off go; pending ones stay.
  DeliveryRecord pending = Delivery(a, "e-3", 10);
  REQUIRE(Unwrap(store.Enqueue(pending)));
  CHECK(Unwrap(store.PurgeFinishedBefore(6000)) == 2);
  auto left = Unwrap(store.ListDeliveries(kWs, a.id, "", "", 10));
  REQUIRE(left.size() == 1);
  CHECK(left[0].id == pending.id);
}
SALESOS_TEST_BOTH_ENGINES("due deliveries are leased, recorded and purged when old",
                          "[webhook_ingest][outgoing]", webhook_ingest_lib_migrations(),
                          "hooks_due", DueDeliveriesAreLeasedAndRecorded)

}  // namespace
}  // namespace salesos::webhook_ingest
