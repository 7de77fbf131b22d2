// Outbox against a real store and the local Graph server: what each Send API answer does to a
// queued message (sent with its id, retried later, failed with the error), the retry schedule, the
// credentials cache, and the loop sending on its own once woken.
#include "outbox.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>

#include "conversation_lib_migrations.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/databases.h"
#include "support/fake_graph_api.h"
#include "support/process.h"

namespace salesos::conversation {
namespace {

using testing::FakeGraphApi;
using testing::Unwrap;

constexpr char kPage[] = "1020304050";
constexpr char kToken[] = "EAAtoken-abcd";

struct Fixture {
  store::Store& db;
  FakeGraphApi graph;
  std::unique_ptr<GraphClient> client = [this] {
    GraphClientOptions options;
    options.timeout_ms = 2000;
    return Unwrap(GraphClient::Create(graph.base_url(), options));
  }();
  std::atomic<int> fetches{0};
  bool channel_exists = true;
  ChannelCredentials credentials{[this](const std::string&) -> Result<ChannelAccess> {
    ++fetches;
    if (!channel_exists) {
      return NotFound("integration not found");
    }
    return ChannelAccess{"facebook", kPage, kToken};
  }};
  ConversationStore store{db};
  Notifier notifier{store, nullptr, nullptr};
  std::string ws = NewUuidV7();
  std::string conversation_id;

  explicit Fixture(store::Store& d, OutboxOptions options = {}) : db(d), outbox_options(options) {
    graph.AcceptToken(kPage, kToken);
    InboundMessage in;
    in.workspace_id = ws;
    in.platform = "facebook";
    in.integration_id = "integration-1";
    in.platform_user_id = "7712345678901234";
    in.message.sender = "customer";
    in.message.content = "Hi";
    in.message.platform_message_id = "m_in_" + RandomHex(4);
    in.message.platform_timestamp_ms = NowUnixMillis();
    in.now = FormatRfc3339Millis(NowUnixMillis());
    conversation_id = Unwrap(store.AppendInbound(in)).conversation.id;
  }

  OutboxOptions outbox_options;
  Outbox outbox{db, *client, credentials, notifier, outbox_options};

  // Queues an ai message, due now.
  std::string Queue(const std::string& text) {
    auto change = Unwrap(store.Mutate(ws, conversation_id, [&](auto&, auto& add) {
      MessageRecord m;
      m.sender = "ai";
      m.content = text;
      m.delivery_status = "pending";
      m.platform_timestamp_ms = NowUnixMillis();
      m.next_attempt_ms = 0;  // due at once
      m.outbound = R"({"quickReplies":["Yes","No"]})";
      add.push_back(m);
      return OkStatus();
    }));
    return change.added.front().id;
  }

  // Claims the message at `now_ms` and runs one attempt, as the loop would.
  MessageRecord Attempt(const std::string& id, int64_t now_ms) {
    for (auto& item : Unwrap(store.DueSends(now_ms, 100))) {
      if (item.message.id == id) {
        REQUIRE(Unwrap(store.ClaimSend(ws, id, now_ms, 60000)));
        item.message.send_attempts += 1;
        outbox.Send(item);
        return *Unwrap(store.GetMessage(ws, id));
      }
    }
    FAIL("message " << id << " not due at " << now_ms);
    return {};
  }
};

void CheckRetryableErrorsAreRetriedThenSent(store::Store& db) {
  Fixture f(db);
  std::string id = f.Queue("The lamp is 49.99 USD.");
  f.graph.FailNext(1, 400, 613, "Calls to this API have exceeded the rate limit.");
  const int64_t t0 = NowUnixMillis();
  auto first = f.Attempt(id, t0);
  CHECK(first.delivery_status == "pending");
  CHECK(first.send_attempts == 1);
  CHECK(first.error.find("613") != std::string::npos);
  CHECK(first.next_attempt_ms >= t0 + 1000);  // the first retry waits 1 s
  CHECK(Unwrap(f.store.DueSends(first.next_attempt_ms - 1, 100)).empty());
  f.graph.AnswerNext(1, {502, "<html>Bad Gateway</html>", {}});
  auto second = f.Attempt(id, first.next_attempt_ms);
  CHECK(second.delivery_status == "pending");
  CHECK(second.send_attempts == 2);
  auto third = f.Attempt(id, second.next_attempt_ms);
  CHECK(third.delivery_status == "sent");
  CHECK(third.platform_message_id.rfind("m_", 0) == 0);
  CHECK(third.error.empty());
  // Three requests, each the same message, with the quick replies and our id as metadata.
  auto requests = f.graph.Requests();
  REQUIRE(requests.size() == 3);
  for (const auto& r : requests) {
    CHECK(r.text == "The lamp is 49.99 USD.");
    CHECK(r.recipient == "7712345678901234");
    CHECK(r.body.find("\"metadata\":\"salesos:" + id + "\"") != std::string::npos);
    CHECK(r.body.find("\"title\":\"Yes\"") != std::string::npos);
  }
}

void CheckPermanentErrorsFailAtOnce(store::Store& db) {
  Fixture f(db);
  std::string id = f.Queue("Hello again");
  f.graph.FailNext(1, 400, 551, "This person isn't available right now.");
  auto failed = f.Attempt(id, NowUnixMillis());
  CHECK(failed.delivery_status == "failed");
  CHECK(failed.error.find("551") != std::string::npos);
  CHECK(failed.error.find(kToken) == std::string::npos);
  CHECK(Unwrap(f.store.DueSends(NowUnixMillis() + 3'600'000, 100)).empty());
  // A later message of the conversation is not held up by the failed one.
  std::string next = f.Queue("Still there?");
  CHECK(f.Attempt(next, NowUnixMillis()).delivery_status == "sent");
}

void CheckTheLastAttemptFails(store::Store& db) {
  OutboxOptions options;
  options.max_attempts = 2;
  Fixture f(db, options);
  std::string id = f.Queue("Hi");
  f.graph.FailNext(2, 500, 2, "Service temporarily unavailable");
  auto first = f.Attempt(id, NowUnixMillis());
  CHECK(first.delivery_status == "pending");
  auto last = f.Attempt(id, first.next_attempt_ms);
  CHECK(last.delivery_status == "failed");
  CHECK(last.send_attempts == 2);
}

void CheckCredentialsAreCachedAndDroppedOnABadToken(store::Store& db) {
  Fixture f(db);
  CHECK(f.Attempt(f.Queue("one"), NowUnixMillis()).delivery_status == "sent");
  CHECK(f.Attempt(f.Queue("two"), NowUnixMillis()).delivery_status == "sent");
  CHECK(f.fetches == 1);  // cached
  f.graph.FailNext(1, 400, 190, "Invalid OAuth access token.");
  CHECK(f.Attempt(f.Queue("three"), NowUnixMillis()).delivery_status == "failed");
  CHECK(f.Attempt(f.Queue("four"), NowUnixMillis()).delivery_status == "sent");
  CHECK(f.fetches == 2);  // asked again after the 190
  // A disconnected channel: final, with the reason.
  f.channel_exists = false;
  f.credentials.Forget("integration-1");
  auto gone = f.Attempt(f.Queue("five"), NowUnixMillis());
  CHECK(gone.delivery_status == "failed");
  CHECK(gone.error.find("channel credentials") != std::string::npos);
}

void CheckTheLoopSendsOnceWoken(store::Store& db) {
  Fixture f(db);
  f.outbox.Start();
  std::string id = f.Queue("Sent by the loop");
  f.outbox.Notify();
  REQUIRE(f.graph.WaitForRequests(1, 10000));
  CHECK(testing::WaitFor(
      [&] { return (*Unwrap(f.store.GetMessage(f.ws, id))).delivery_status == "sent"; },
      std::chrono::seconds(10)));
  f.outbox.Stop();
  CHECK(f.graph.request_count() == 1);
}

#define BOTH_ENGINES(name, check)                                                          \
  SALESOS_TEST_BOTH_ENGINES(name, "[conversation][outbox]", conversation_lib_migrations(), \
                            "outbox", check)

BOTH_ENGINES("retryable Send API errors are retried later, then the message is sent",
             CheckRetryableErrorsAreRetriedThenSent)
BOTH_ENGINES("a permanent Send API error fails the message at once", CheckPermanentErrorsFailAtOnce)
BOTH_ENGINES("the last attempt's failure is final", CheckTheLastAttemptFails)
BOTH_ENGINES("channel credentials are cached and dropped on an invalid token",
             CheckCredentialsAreCachedAndDroppedOnABadToken)
BOTH_ENGINES("the loop sends a queued message once woken", CheckTheLoopSendsOnceWoken)

TEST_CASE("outbox: retry delays double up to the cap, WhatsApp's pair limit waits 4^n s",
          "[conversation][outbox]") {
  auto db = Unwrap(store::OpenStore("sqlite::memory:", {}));
  FakeGraphApi graph;
  auto client = Unwrap(GraphClient::Create(graph.base_url()));
  ChannelCredentials credentials(
      [](const std::string&) -> Result<ChannelAccess> { return NotFound("none"); });
  ConversationStore store(*db);
  Notifier notifier(store, nullptr, nullptr);
  OutboxOptions options;
  options.retry_max_ms = 20'000;
  Outbox outbox(*db, *client, credentials, notifier, options);
  CHECK(outbox.RetryDelayMs(1, 613) == 1000);
  CHECK(outbox.RetryDelayMs(2, 613) == 2000);
  CHECK(outbox.RetryDelayMs(3, 613) == 4000);
  CHECK(outbox.RetryDelayMs(9, 613) == 20'000);
  CHECK(outbox.RetryDelayMs(1, 131056) == 1000);
  CHECK(outbox.RetryDelayMs(2, 131056) == 4000);
  CHECK(outbox.RetryDelayMs(3, 131056) == 16000);
  CHECK(outbox.RetryDelayMs(4, 131056) == 20'000);
}

}  // namespace
}  // namespace salesos::conversation
