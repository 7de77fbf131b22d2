#include "outgoing_deliverer.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "outgoing_rules.h"
#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"
#include "salesos/http/egress.h"
#include "support/databases.h"
#include "support/local_http_server.h"
#include "webhook_ingest_lib_migrations.h"

namespace salesos::webhook_ingest {
namespace {

using testing::Unwrap;
namespace ev = events::v1;

const std::string kWs = "0190d6a0-0000-7000-8000-0000000000aa";
const std::string kOther = "0190d6a0-0000-7000-8000-0000000000bb";
const std::string kSecret = "whsec_unit_test_secret_42";
constexpr int64_t kT0 = 1'772'000'000'000;  // 2026-02-25

class ManualClock : public Clock {
 public:
  int64_t NowMillis() const override { return now_ms; }
  int64_t now_ms = kT0;
};

crypto::Aead TestKey() { return Unwrap(crypto::Aead::FromKey(std::string(32, 'k'))); }

WebhookRecord SealedHook(const crypto::Aead& key, const std::string& workspace,
                         std::vector<std::string> events, const std::string& url) {
  WebhookRecord w;
  w.id = NewUuidV7();
  w.workspace_id = workspace;
  w.url = url;
  w.events = std::move(events);
  w.secret_sealed = crypto::Base64Encode(key.Seal(kSecret, SecretAad(workspace, w.id)));
  w.secret_hint = SecretHint(kSecret);
  w.created_at = "2026-02-25T00:00:00Z";
  return w;
}

ev::EventEnvelope Event(const std::string& type, const std::string& workspace,
                        const google::protobuf::Message& payload) {
  ev::EventEnvelope e;
  e.set_id(NewUuidV7());
  e.set_type(type);
  e.set_workspace_id(workspace);
  e.set_occurred_at("2026-02-25T00:00:00Z");
  e.set_payload(payload.SerializeAsString());
  return e;
}

redis::StreamEntry Entry(const ev::EventEnvelope& e) {
  redis::StreamEntry entry;
  entry.id = "1-0";
  entry.fields = {{"id", e.id()}, {"type", e.type()}, {"workspace", e.workspace_id()},
                  {"envelope", e.SerializeAsString()}};
  return entry;
}

// A receiver that answers the statuses it is given, in order (then 200), and keeps the requests.
struct ScriptedReceiver {
  std::mutex mu;
  std::deque<int> statuses;
  std::vector<http::HttpRequest> requests;
  WebhookSender Sender() {
    return [this](const http::HttpRequest& req) -> Result<http::HttpResponse> {
      std::lock_guard lock(mu);
      requests.push_back(req);
      http::HttpResponse res;
      res.status = 200;
      if (!statuses.empty()) {
        res.status = statuses.front();
        statuses.pop_front();
      }
      return res;
    };
  }
};

std::string HeaderOf(const http::HttpRequest& req, const std::string& name) {
  for (const auto& [k, v] : req.headers) {
    if (k == name) {
      return v;
    }
  }
  return "";
}

// Claims what is due now and attempts it, as the loop would.
std::vector<AttemptOutcome> RunDue(OutgoingStore& store, OutgoingDeliverer& deliverer,
                                   const ManualClock& clock) {
  std::vector<AttemptOutcome> out;
  for (const auto& d : Unwrap(store.DueDeliveries(clock.now_ms, 10))) {
    const int64_t lease = clock.now_ms + 60000;
    REQUIRE(Unwrap(store.Claim(d.id, clock.now_ms, lease)));
    out.push_back(Unwrap(deliverer.Attempt(d, lease)));
  }
  return out;
}

void EventsReachTheWebhooksSubscribedToThem(store::Store& db) {
  OutgoingStore store(db);
  auto key = TestKey();
  ManualClock clock;
  ScriptedReceiver receiver;
  OutgoingDeliverer deliverer(store, key, {}, clock, receiver.Sender());
  auto all = SealedHook(key, kWs, {"*"}, "https://a.example.com/hook");
  auto leads = SealedHook(key, kWs, {"lead.scored"}, "https://b.example.com/hook");
  auto elsewhere = SealedHook(key, kOther, {"*"}, "https://c.example.com/hook");
  for (const auto& h : {all, leads, elsewhere}) {
    REQUIRE_OK(store.CreateWebhook(h, 20));
  }

  ev::MessageReceived m;
  m.set_message_id("m-1");
  auto received = Event("message.received", kWs, m);
  REQUIRE_OK(deliverer.HandleEvent(Entry(received)));
  REQUIRE_OK(deliverer.HandleEvent(Entry(received)));  // the stream handed it over twice
  CHECK(Unwrap(store.ListDeliveries(kWs, all.id, "", "", 10)).size() == 1);
  CHECK(Unwrap(store.ListDeliveries(kWs, leads.id, "", "", 10)).empty());
  CHECK(Unwrap(store.ListDeliveries(kOther, elsewhere.id, "", "", 10)).empty());

  ev::LeadScored s;
  s.set_score(80);
  CHECK(Unwrap(deliverer.Enqueue(Event("lead.scored", kWs, s))) == 2);

  // An automation's webhook action goes to the webhook it names, and only there.
  ev::AutomationWebhook action;
  action.set_webhook_id(leads.id);
  action.set_automation_id("auto-1");
  CHECK(Unwrap(deliverer.Enqueue(Event("automation.webhook", kWs, action))) == 1);
  auto to_leads = Unwrap(store.ListDeliveries(kWs, leads.id, "", "", 10));
  REQUIRE(to_leads.size() == 2);
  CHECK(to_leads[0].event_type == "automation.webhook");
  action.set_webhook_id(elsewhere.id);  // another workspace's webhook
  CHECK(Unwrap(deliverer.Enqueue(Event("automation.webhook", kWs, action))) == 0);

  // The body is fixed at intake.
  auto row = Unwrap(store.ListDeliveries(kWs, all.id, "", "", 10));
  REQUIRE(!row.empty());
  auto body = boost::json::parse(row.back().body);
  CHECK(body.at("id").as_string() == received.id());
  CHECK(body.at("data").at("messageId").as_string() == "m-1");

  ev::WorkspaceDeleted gone;
  REQUIRE_OK(deliverer.HandleEvent(Entry(Event("workspace.deleted", kWs, gone))));
  CHECK(Unwrap(store.ListWebhooks(kWs, "", 10)).empty());
  CHECK(Unwrap(store.ListWebhooks(kOther, "", 10)).size() == 1);
}
SALESOS_TEST_BOTH_ENGINES("events reach the webhooks subscribed to them, once each",
                          "[webhook_ingest][outgoing]", webhook_ingest_lib_migrations(),
                          "hooks_intake", EventsReachTheWebhooksSubscribedToThem)

void FailedAttemptsAreRetriedWithBackoffUntilSuccess(store::Store& db) {
  OutgoingStore store(db);
  auto key = TestKey();
  ManualClock clock;
  ScriptedReceiver receiver;
  receiver.statuses = {500, 503};
  DelivererOptions options;
  options.retry_base_ms = 30000;
  OutgoingDeliverer deliverer(store, key, options, clock, receiver.Sender());
  auto hook = SealedHook(key, kWs, {"conversation.started"}, "https://a.example.com/hook");
  REQUIRE_OK(store.CreateWebhook(hook, 20));
  ev::ConversationStarted started;
  started.set_conversation_id("c-9");
  auto event = Event("conversation.started", kWs, started);
  REQUIRE(Unwrap(deliverer.Enqueue(event)) == 1);

  auto first = RunDue(store, deliverer, clock);
  REQUIRE(first.size() == 1);
  CHECK(first[0].status == kDeliveryPending);
  CHECK(first[0].last_http_status == 500);
  CHECK(first[0].last_error == "HTTP 500");
  CHECK(first[0].next_attempt_ms == kT0 + 30000);
  clock.now_ms = kT0 + 29999;
  CHECK(RunDue(store, deliverer, clock).empty());  // not before its time
  clock.now_ms = kT0 + 30000;
  auto second = RunDue(store, deliverer, clock);
  REQUIRE(second.size() == 1);
  CHECK(second[0].last_error == "HTTP 503");
  CHECK(second[0].next_attempt_ms == kT0 + 30000 + 60000);
  CHECK(second[0].first_attempt_ms == kT0);
  clock.now_ms = kT0 + 90000;
  auto third = RunDue(store, deliverer, clock);
  REQUIRE(third.size() == 1);
  CHECK(third[0].status == kDeliverySucceeded);
  CHECK(third[0].delivered_ms == kT0 + 90000);

  auto log = Unwrap(store.ListDeliveries(kWs, hook.id, "", "", 10));
  REQUIRE(log.size() == 1);
  CHECK(log[0].status == kDeliverySucceeded);
  CHECK(log[0].attempts == 3);
  CHECK(log[0].last_http_status == 200);
  CHECK(log[0].last_error.empty());

  // Every attempt carried the same body and event id, signed afresh with the webhook's secret.
  REQUIRE(receiver.requests.size() == 3);
  for (size_t i = 0; i < receiver.requests.size(); ++i) {
    const auto& req = receiver.requests[i];
    CHECK(req.method == "POST");
    CHECK(req.url == "https://a.example.com/hook");
    CHECK(req.timeout_ms == 10000);
    CHECK(req.body == log[0].body);
    CHECK(HeaderOf(req, "X-SalesOS-Event-Id") == event.id());
    CHECK(HeaderOf(req, "Content-Type") == "application/json");
    CHECK(HeaderOf(req, "User-Agent") == "SalesOS-Webhooks/1");
  }
  CHECK(HeaderOf(receiver.requests[0], "X-SalesOS-Signature") ==
        SignatureHeader(kSecret, kT0 / 1000, log[0].body));
  CHECK(HeaderOf(receiver.requests[2], "X-SalesOS-Signature") ==
        SignatureHeader(kSecret, (kT0 + 90000) / 1000, log[0].body));
}
SALESOS_TEST_BOTH_ENGINES("failed attempts are retried with backoff until one succeeds",
                          "[webhook_ingest][outgoing]", webhook_ingest_lib_migrations(),
                          "hooks_retry", FailedAttemptsAreRetriedWithBackoffUntilSuccess)

void ADeliveryFailsForGoodAfterADay(store::Store& db) {
  OutgoingStore store(db);
  auto key = TestKey();
  ManualClock clock;
  ScriptedReceiver receiver;
  receiver.statuses = std::deque<int>(100, 500);
  OutgoingDeliverer deliverer(store, key, {}, clock, receiver.Sender());
  auto hook = SealedHook(key, kWs, {"*"}, "https://a.example.com/hook");
  REQUIRE_OK(store.CreateWebhook(hook, 20));
  ev::ContactCreated c;
  REQUIRE(Unwrap(deliverer.Enqueue(Event("contact.created", kWs, c))) == 1);
  int attempts = 0;
  std::string status = kDeliveryPending;
  while (status == kDeliveryPending && attempts < 100) {
    auto outcomes = RunDue(store, deliverer, clock);
    REQUIRE(outcomes.size() == 1);
    ++attempts;
    status = outcomes[0].status;
    clock.now_ms = std::max(clock.now_ms, outcomes[0].next_attempt_ms);
  }
  CHECK(status == kDeliveryFailed);
  CHECK(attempts == 30);
  CHECK(clock.now_ms <= kT0 + kRetryWindowMs);
  auto log = Unwrap(store.ListDeliveries(kWs, hook.id, kDeliveryFailed, "", 10));
  REQUIRE(log.size() == 1);
  CHECK(log[0].attempts == 30);
  CHECK(Unwrap(store.NextDueMs()) == 0);
}
SALESOS_TEST_BOTH_ENGINES("a delivery fails for good once retries would pass a day",
                          "[webhook_ingest][outgoing]", webhook_ingest_lib_migrations(),
                          "hooks_day", ADeliveryFailsForGoodAfterADay)

TEST_CASE("a delivery to a private address is refused before connecting",
          "[webhook_ingest][outgoing]") {
  testing::SqliteDatabase db(webhook_ingest_lib_migrations());
  OutgoingStore store(db.store());
  auto key = TestKey();
  ManualClock clock;
  // The real client and egress guard; port 9 on loopback has nothing to answer anyway.
  OutgoingDeliverer deliverer(store, key, {}, clock);
  auto hook = SealedHook(key, kWs, {"*"}, "http://127.0.0.1:9/hook");
  REQUIRE_OK(store.CreateWebhook(hook, 20));
  ev::ContactCreated c;
  REQUIRE(Unwrap(deliverer.Enqueue(Event("contact.created", kWs, c))) == 1);
  auto outcomes = RunDue(store, deliverer, clock);
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].status == kDeliveryPending);
  CHECK(outcomes[0].last_http_status == 0);
  CHECK(outcomes[0].last_error.rfind("refused: ", 0) == 0);
  CHECK(outcomes[0].last_error.find("127.0.0.1") != std::string::npos);

  // Allowed, it really tries, and the connection is refused instead.
  DelivererOptions allow;
  allow.allow_private = true;
  OutgoingDeliverer local(store, key, allow, clock);
  clock.now_ms = outcomes[0].next_attempt_ms;
  auto again = RunDue(store, local, clock);
  REQUIRE(again.size() == 1);
  CHECK(again[0].last_error.rfind("refused: ", 0) == std::string::npos);
  CHECK(again[0].last_error.find("cannot connect") != std::string::npos);
}

TEST_CASE("the loop delivers what is due without being asked twice",
          "[webhook_ingest][outgoing]") {
  testing::SqliteDatabase db(webhook_ingest_lib_migrations());
  OutgoingStore store(db.store());
  auto key = TestKey();
  ScriptedReceiver receiver;
  receiver.statuses = {500};
  DelivererOptions options;
  options.retry_base_ms = 50;
  options.max_idle_ms = 100;
  OutgoingDeliverer deliverer(store, key, options, SystemClock(), receiver.Sender());
  auto hook = SealedHook(key, kWs, {"*"}, "https://a.example.com/hook");
  REQUIRE_OK(store.CreateWebhook(hook, 20));
  deliverer.Start();
  ev::ContactCreated c;
  REQUIRE(Unwrap(deliverer.Enqueue(Event("contact.created", kWs, c))) == 1);
  std::vector<DeliveryRecord> log;
  for (int i = 0; i < 200; ++i) {
    log = Unwrap(store.ListDeliveries(kWs, hook.id, kDeliverySucceeded, "", 10));
    if (!log.empty()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));  // polling a condition, bounded
  }
  deliverer.Stop();
  REQUIRE(log.size() == 1);
  CHECK(log[0].attempts == 2);
}

// A receiver answering 3xx to loopback or the metadata address: the attempt is a failure with the
// 3xx recorded, and the Location is never fetched, even when the policy would admit it.
TEST_CASE("a redirect to loopback or the metadata address is a failed delivery, not followed",
          "[webhook_ingest][outgoing][egress]") {
  using testing::LocalHttpServer;
  std::atomic<int> target_hits{0};
  LocalHttpServer target([&target_hits](const LocalHttpServer::Request& req) {
    ++target_hits;
    return std::optional<LocalHttpServer::Response>(LocalHttpServer::Reply(req, 200, "{}"));
  });
  std::atomic<int> redirector_hits{0};
  const std::string loopback = target.origin() + "/internal";
  LocalHttpServer redirector([&](const LocalHttpServer::Request& req) {
    ++redirector_hits;
    auto res = LocalHttpServer::Reply(req, 302, "");
    res.set(boost::beast::http::field::location,
            req.target() == "/to-metadata" ? std::string("http://169.254.169.254/latest/meta-data/")
                                           : loopback);
    return std::optional<LocalHttpServer::Response>(std::move(res));
  });
  testing::SqliteDatabase db(webhook_ingest_lib_migrations());
  OutgoingStore store(db.store());
  auto key = TestKey();
  ManualClock clock;
  // The real client and egress guard; the allow-list admits the redirecting receiver only.
  DelivererOptions only_receiver;
  only_receiver.allow =
      Unwrap(http::EgressAllowList::Parse("127.0.0.1:" + std::to_string(redirector.port())));
  OutgoingDeliverer deliverer(store, key, only_receiver, clock);
  auto to_loopback = SealedHook(key, kWs, {"*"}, redirector.origin() + "/to-loopback");
  auto to_metadata = SealedHook(key, kWs, {"*"}, redirector.origin() + "/to-metadata");
  REQUIRE_OK(store.CreateWebhook(to_loopback, 20));
  REQUIRE_OK(store.CreateWebhook(to_metadata, 20));
  ev::ContactCreated c;
  REQUIRE(Unwrap(deliverer.Enqueue(Event("contact.created", kWs, c))) == 2);
  auto outcomes = RunDue(store, deliverer, clock);
  REQUIRE(outcomes.size() == 2);
  for (const auto& o : outcomes) {
    CHECK(o.status == kDeliveryPending);  // failed, to be retried like any failure
    CHECK(o.last_http_status == 302);
    CHECK(o.last_error == "HTTP 302");
  }
  CHECK(redirector_hits.load() == 2);
  CHECK(target_hits.load() == 0);
  for (const auto& hook : {to_loopback, to_metadata}) {
    auto log = Unwrap(store.ListDeliveries(kWs, hook.id, "", "", 10));
    REQUIRE(log.size() == 1);
    CHECK(log[0].last_http_status == 302);
    CHECK(log[0].status != kDeliverySucceeded);
  }

  // With every private address allowed the target could be reached, and still is not fetched.
  DelivererOptions all_private;
  all_private.allow_private = true;
  OutgoingDeliverer open(store, key, all_private, clock);
  clock.now_ms = outcomes[0].next_attempt_ms;
  auto again = RunDue(store, open, clock);
  REQUIRE(again.size() == 2);
  CHECK(again[0].last_http_status == 302);
  CHECK(redirector_hits.load() == 4);
  CHECK(target_hits.load() == 0);
}

}  // namespace
}  // namespace salesos::webhook_ingest
