// SendToContactForService (outreach.h) against a real store, a real Redis for the domain events and
// the local Graph server: one send, a repeat of its key (no second Graph call), a repeat after a
// crash between storing and sending (sent once), a send in flight, a permanent failure repeated,
// the refusals, the 24-hour window, and the receipts and replies the inbound consumer reports.
#include "outreach.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "contact_store.h"
#include "conversation_lib_migrations.h"
#include "inbound_consumer.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/events.h"
#include "support/databases.h"
#include "support/fake_graph_api.h"
#include "support/redis_server.h"

namespace salesos::conversation {
namespace {

using testing::FakeGraphApi;
using testing::Unwrap;

constexpr char kPage[] = "1020304050";
constexpr char kPhoneNumberId[] = "5550001111";
constexpr char kToken[] = "EAAtoken-outreach";

struct Fixture {
  store::Store& db;
  FakeGraphApi graph;
  testing::RedisServer redis_server;
  redis::ClientPtr redis = Unwrap(redis::Connect(redis_server.url()));
  rpc::EventPublisher events{redis, "conversation"};
  std::unique_ptr<GraphClient> client = [this] {
    GraphClientOptions options;
    options.timeout_ms = 2000;
    return Unwrap(GraphClient::Create(graph.base_url(), options));
  }();
  std::string ws = NewUuidV7();
  std::string other_ws = NewUuidV7();
  std::string messenger = NewUuidV7();  // integration ids
  std::string whatsapp = NewUuidV7();
  std::string foreign = NewUuidV7();
  ChannelCredentials credentials{[this](const std::string& id) -> Result<ChannelAccess> {
    if (id == messenger) {
      return ChannelAccess{"facebook", kPage, kToken, ws};
    }
    if (id == whatsapp) {
      return ChannelAccess{"whatsapp", kPhoneNumberId, kToken, ws};
    }
    if (id == foreign) {
      return ChannelAccess{"facebook", kPage, kToken, other_ws};
    }
    return NotFound("integration not found");
  }};
  ConversationStore store{db};
  Notifier notifier{store, nullptr, &events};
  Outbox outbox{db, *client, credentials, notifier, OutboxOptions{}};
  Outreach outreach{db, outbox, credentials, notifier, 30'000};
  InboundConsumer inbound{db, nullptr, notifier, InboundOptions{}};

  explicit Fixture(store::Store& d) : db(d) {
    graph.AcceptToken(kPage, kToken);
    graph.AcceptToken(kPhoneNumberId, kToken);
  }

  // A customer's message on Messenger from `psid` at `at_ms` (platform time): the contact made.
  std::string CustomerWrites(const std::string& psid, int64_t at_ms,
                             const std::string& mid = "m_in_" + RandomHex(6)) {
    webhook_ingest::v1::InboundEvent e;
    e.set_id(NewUuidV7());
    e.set_kind("message");
    e.set_workspace_id(ws);
    e.set_platform("facebook");
    e.set_integration_id(messenger);
    e.set_sender_id(psid);
    e.set_text("Hello");
    e.set_platform_message_id(mid);
    e.set_timestamp_ms(at_ms);
    REQUIRE_OK(inbound.Apply(e));
    return mid;
  }

  std::string ContactOf(const std::string& column, const std::string& value) {
    auto rows = Unwrap(db.Query("SELECT id FROM contacts WHERE workspace_id = $1 AND " + column +
                                    " = $2",
                                {ws, value}));
    REQUIRE(rows.size() == 1);
    return rows.front().GetText(0);
  }

  std::string MakeContact(const std::string& phone, bool opted_out) {
    ContactRow c;
    c.id = NewUuidV7();
    c.workspace_id = ws;
    c.platform_user_id = c.id;
    c.full_name = "Made By Hand";
    c.phone = phone;
    c.opted_out = opted_out;
    c.created_at = FormatRfc3339Millis(NowUnixMillis());
    c.updated_at = c.created_at;
    c.created_ms = NowUnixMillis();
    REQUIRE_OK(ContactStore(db).CreateContact(c));
    return c.id;
  }

  v1::SendToContactForServiceRequest Text(const std::string& contact, const std::string& key) {
    v1::SendToContactForServiceRequest req;
    req.set_workspace_id(ws);
    req.set_contact_id(contact);
    req.set_integration_id(messenger);
    req.set_idempotency_key(key);
    req.set_text("Our spring sale starts today");
    req.set_origin("broadcast");
    req.set_broadcast_id("b-1");
    req.set_broadcast_recipient_id(key);
    return req;
  }

  // The domain events of `type` on salesos:events, in order, as their serialized payloads.
  std::vector<std::string> Events(const std::string& type) {
    auto entries = Unwrap(redis->Command({"XRANGE", "salesos:events", "-", "+"}));
    std::vector<std::string> out;
    for (const auto& entry : entries.elements) {
      const auto& fields = entry.elements.at(1).elements;
      std::string t;
      std::string envelope;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "type") {
          t = fields[i + 1].str;
        } else if (fields[i].str == "envelope") {
          envelope = fields[i + 1].str;
        }
      }
      if (t == type) {
        events::v1::EventEnvelope e;
        REQUIRE(e.ParseFromString(envelope));
        out.push_back(e.payload());
      }
    }
    return out;
  }
};

void SendsOnceAndRepeatsTheOutcome(store::Store& db) {
  Fixture f(db);
  f.CustomerWrites("7700000000000001", NowUnixMillis() - 60'000);
  const std::string contact = f.ContactOf("facebook_id", "7700000000000001");
  v1::SendToContactForServiceResponse first;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-1"), &first));
  CHECK(first.sent());
  CHECK(first.platform_message_id().rfind("m_", 0) == 0);
  REQUIRE(f.graph.request_count() == 1);
  CHECK(f.graph.Requests()[0].recipient == "7700000000000001");
  CHECK(f.graph.Requests()[0].text == "Our spring sale starts today");

  // Stored in the conversation the customer wrote in, as the system's, with the broadcast's ids.
  auto m = Unwrap(f.store.GetMessage(f.ws, first.message_id()));
  REQUIRE(m.has_value());
  CHECK(m->sender == "system");
  CHECK(m->delivery_status == "sent");
  CHECK(m->broadcast_id == "b-1");
  CHECK(m->broadcast_recipient_id == "r-1");
  CHECK(m->origin == "broadcast");
  auto conversations = Unwrap(
      db.Query("SELECT id FROM conversations WHERE workspace_id = $1 AND contact_id = $2",
               {f.ws, contact}));
  REQUIRE(conversations.size() == 1);
  CHECK(first.conversation_id() == conversations.front().GetText(0));
  CHECK(f.Events("message.sent").size() == 1);

  v1::SendToContactForServiceResponse again;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-1"), &again));
  CHECK(again.sent());
  CHECK(again.message_id() == first.message_id());
  CHECK(again.platform_message_id() == first.platform_message_id());
  CHECK(f.graph.request_count() == 1);  // no second Graph call
  CHECK(f.Events("message.sent").size() == 1);

  // The outbox never takes a direct send as its own.
  CHECK(Unwrap(f.store.DueSends(NowUnixMillis() + 3'600'000, 10)).empty());
}

SALESOS_TEST_BOTH_ENGINES("a send to a contact goes out once and a repeat of its key answers the "
                          "same ids without calling Graph",
                          "[conversation][outreach]", conversation_lib_migrations(),
                          "outreach_once", SendsOnceAndRepeatsTheOutcome)

void RepeatAfterCrashSendsOnce(store::Store& db) {
  Fixture f(db);
  f.CustomerWrites("7700000000000002", NowUnixMillis() - 60'000);
  const std::string contact = f.ContactOf("facebook_id", "7700000000000002");
  auto conversation = Unwrap(
      db.Query("SELECT id FROM conversations WHERE workspace_id = $1", {f.ws}));
  // What a crash between storing the message and calling Graph leaves: a pending message whose
  // lease ran out, and one whose lease still runs (its call is in flight elsewhere).
  auto begin = [&](const std::string& key, int64_t lease_ms) {
    DirectSend send;
    send.workspace_id = f.ws;
    send.contact_id = contact;
    send.platform = "facebook";
    send.integration_id = f.messenger;
    send.now_ms = NowUnixMillis();
    send.lease_ms = lease_ms;
    send.message.sender = "system";
    send.message.content = "Our spring sale starts today";
    send.message.idempotency_key = key;
    send.message.broadcast_id = "b-1";
    send.message.broadcast_recipient_id = key;
    auto started = Unwrap(f.store.BeginDirectSend(send));
    REQUIRE_FALSE(started.existing);
    CHECK(started.conversation.id == conversation.front().GetText(0));
    return started.message.id;
  };
  const std::string crashed = begin("r-crashed", -1);
  const std::string in_flight = begin("r-in-flight", 60'000);

  v1::SendToContactForServiceResponse busy;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-in-flight"), &busy));
  CHECK_FALSE(busy.sent());
  CHECK(busy.retryable());
  CHECK(busy.message_id() == in_flight);
  CHECK(busy.retry_after_ms() > 0);
  CHECK(f.graph.request_count() == 0);

  v1::SendToContactForServiceResponse resumed;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-crashed"), &resumed));
  CHECK(resumed.sent());
  CHECK(resumed.message_id() == crashed);
  CHECK(f.graph.request_count() == 1);
  v1::SendToContactForServiceResponse again;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-crashed"), &again));
  CHECK(again.sent());
  CHECK(again.platform_message_id() == resumed.platform_message_id());
  CHECK(f.graph.request_count() == 1);
  auto count = Unwrap(db.Query(
      "SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND idempotency_key = 'r-crashed'",
      {f.ws}));
  CHECK(count.front().GetInt(0) == 1);
}

SALESOS_TEST_BOTH_ENGINES("a repeat after a crash between storing and sending sends the message "
                          "once and a send in flight is not sent twice",
                          "[conversation][outreach]", conversation_lib_migrations(),
                          "outreach_crash", RepeatAfterCrashSendsOnce)

void FailuresAndRefusals(store::Store& db) {
  Fixture f(db);
  f.CustomerWrites("7700000000000003", NowUnixMillis() - 60'000);
  const std::string contact = f.ContactOf("facebook_id", "7700000000000003");

  // A permanent refusal by the platform: sent=false with its code, repeated as it was.
  f.graph.FailNext(1, 400, 551, "This person isn't available right now.");
  v1::SendToContactForServiceResponse failed;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-fail"), &failed));
  CHECK_FALSE(failed.sent());
  CHECK_FALSE(failed.retryable());
  CHECK(failed.error_code() == 551);
  CHECK_FALSE(failed.message_id().empty());
  CHECK(f.Events("message.failed").size() == 1);
  v1::SendToContactForServiceResponse failed_again;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-fail"), &failed_again));
  CHECK_FALSE(failed_again.sent());
  CHECK(failed_again.error_code() == 551);
  CHECK(failed_again.message_id() == failed.message_id());
  CHECK(f.graph.request_count() == 1);

  // A rate limit: not sent, retryable, and the next try with the key sends it.
  f.graph.FailNext(1, 400, 613, "Calls to this api have exceeded the rate limit.");
  v1::SendToContactForServiceResponse limited;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-limit"), &limited));
  CHECK_FALSE(limited.sent());
  CHECK(limited.retryable());
  CHECK(limited.error_code() == 613);
  v1::SendToContactForServiceResponse retried;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-limit"), &retried));
  CHECK(retried.sent());
  CHECK(retried.message_id() == limited.message_id());
  CHECK(f.graph.request_count() == 3);

  const auto refused = [&](v1::SendToContactForServiceRequest req) {
    v1::SendToContactForServiceResponse resp;
    return f.outreach.SendToContact(req, &resp);
  };
  // Opted out, no address, outside the window: FAILED_PRECONDITION, nothing stored or sent.
  const std::string opted_out = f.MakeContact("+33612345678", true);
  auto req = f.Text(opted_out, "r-opted-out");
  req.set_integration_id(f.whatsapp);
  Status st = refused(req);
  CHECK(st.code() == Code::kFailedPrecondition);
  CHECK(st.message().find("opted out") != std::string::npos);

  const std::string no_phone = f.MakeContact("", false);
  req = f.Text(no_phone, "r-no-address");
  req.set_integration_id(f.whatsapp);
  st = refused(req);
  CHECK(st.code() == Code::kFailedPrecondition);
  CHECK(st.message().find("cannot be reached on WhatsApp") != std::string::npos);

  const std::string never_wrote = f.MakeContact("+33698765432", false);
  req = f.Text(never_wrote, "r-window");
  req.set_integration_id(f.whatsapp);
  st = refused(req);
  CHECK(st.code() == Code::kFailedPrecondition);
  CHECK(st.message().find("24-hour window") != std::string::npos);
  CHECK(st.message().find("template") != std::string::npos);

  // A Messenger customer whose last message is 25 hours old is outside the window too.
  f.CustomerWrites("7700000000000004", NowUnixMillis() - 25 * 3600 * 1000LL);
  st = refused(f.Text(f.ContactOf("facebook_id", "7700000000000004"), "r-closed"));
  CHECK(st.code() == Code::kFailedPrecondition);
  CHECK(st.message().find("closed at") != std::string::npos);

  // Another workspace's integration or contact: NOT_FOUND.
  req = f.Text(contact, "r-foreign");
  req.set_integration_id(f.foreign);
  CHECK(refused(req).code() == Code::kNotFound);
  req = f.Text(contact, "r-foreign-contact");
  req.set_workspace_id(f.other_ws);
  CHECK(refused(req).code() == Code::kNotFound);
  CHECK(f.graph.request_count() == 3);
  auto stored = Unwrap(db.Query(
      "SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND idempotency_key IS NOT NULL",
      {f.ws}));
  CHECK(stored.front().GetInt(0) == 2);

  // On WhatsApp outside the window, an approved template goes out: to the phone without '+'.
  req = f.Text(never_wrote, "r-template");
  req.set_integration_id(f.whatsapp);
  req.clear_text();
  auto* tpl = req.mutable_template_();
  tpl->set_name("spring_sale");
  tpl->set_language("en_GB");
  tpl->add_parameters("Ada");
  v1::SendToContactForServiceResponse sent;
  REQUIRE_OK(f.outreach.SendToContact(req, &sent));
  CHECK(sent.sent());
  REQUIRE(f.graph.request_count() == 4);
  CHECK(f.graph.Requests()[3].type == "template");
  CHECK(f.graph.Requests()[3].recipient == "+33698765432");
}

SALESOS_TEST_BOTH_ENGINES("a send to a contact refuses opted-out, unreachable and out-of-window "
                          "contacts and repeats a platform failure as it was",
                          "[conversation][outreach]", conversation_lib_migrations(),
                          "outreach_refusals", FailuresAndRefusals)

void ReceiptsAndReplies(store::Store& db) {
  Fixture f(db);
  f.CustomerWrites("7700000000000005", NowUnixMillis() - 60'000);
  const std::string contact = f.ContactOf("facebook_id", "7700000000000005");
  CHECK(f.Events("contact.created").size() == 1);
  CHECK(f.Events("broadcast.reply").empty());  // no broadcast before the first message
  v1::SendToContactForServiceResponse sent;
  REQUIRE_OK(f.outreach.SendToContact(f.Text(contact, "r-5"), &sent));
  REQUIRE(sent.sent());

  // A delivery receipt naming the message: one broadcast.receipt; its repeat changes nothing.
  webhook_ingest::v1::InboundEvent delivery;
  delivery.set_id(NewUuidV7());
  delivery.set_kind("delivery");
  delivery.set_workspace_id(f.ws);
  delivery.set_platform("facebook");
  delivery.set_sender_id("7700000000000005");
  delivery.add_message_ids(sent.platform_message_id());
  delivery.set_timestamp_ms(NowUnixMillis());
  REQUIRE_OK(f.inbound.Apply(delivery));
  REQUIRE_OK(f.inbound.Apply(delivery));
  auto receipts = f.Events("broadcast.receipt");
  REQUIRE(receipts.size() == 1);
  events::v1::BroadcastReceipt receipt;
  REQUIRE(receipt.ParseFromString(receipts[0]));
  CHECK(receipt.broadcast_id() == "b-1");
  CHECK(receipt.recipient_id() == "r-5");
  CHECK(receipt.message_id() == sent.message_id());
  CHECK(receipt.status() == "delivered");

  // A read watermark moves it to read: a second receipt.
  webhook_ingest::v1::InboundEvent read;
  read.set_id(NewUuidV7());
  read.set_kind("read");
  read.set_workspace_id(f.ws);
  read.set_platform("facebook");
  read.set_sender_id("7700000000000005");
  read.set_watermark_ms(NowUnixMillis() + 1000);
  REQUIRE_OK(f.inbound.Apply(read));
  receipts = f.Events("broadcast.receipt");
  REQUIRE(receipts.size() == 2);
  REQUIRE(receipt.ParseFromString(receipts[1]));
  CHECK(receipt.status() == "read");

  // The customer answers: broadcast.reply for that recipient, in the broadcast's conversation.
  f.CustomerWrites("7700000000000005", NowUnixMillis());
  auto replies = f.Events("broadcast.reply");
  REQUIRE(replies.size() == 1);
  events::v1::BroadcastReply reply;
  REQUIRE(reply.ParseFromString(replies[0]));
  CHECK(reply.broadcast_id() == "b-1");
  CHECK(reply.recipient_id() == "r-5");
  CHECK(reply.conversation_id() == sent.conversation_id());
  CHECK(f.Events("contact.created").size() == 1);  // the same contact
}

SALESOS_TEST_BOTH_ENGINES("receipts of a broadcast message and the customer's reply are reported "
                          "as broadcast events",
                          "[conversation][outreach]", conversation_lib_migrations(),
                          "outreach_receipts", ReceiptsAndReplies)

}  // namespace
}  // namespace salesos::conversation
