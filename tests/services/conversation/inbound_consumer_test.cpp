// InboundConsumer against both engines: InboundEvents as webhook_ingest writes them, applied to a
// real store; campaign stood in by a resolver function.
#include "inbound_consumer.h"

#include <catch2/catch.hpp>
#include <string>

#include "conversation_lib_migrations.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::conversation {
namespace {

using testing::Unwrap;
using webhook_ingest::v1::InboundEvent;

InboundEvent Event(const std::string& ws, const std::string& kind, const std::string& mid) {
  InboundEvent e;
  e.set_id(NewUuidV7());
  e.set_workspace_id(ws);
  e.set_integration_id("integration-1");
  e.set_platform("facebook");
  e.set_kind(kind);
  e.set_channel_external_id("page-1");
  e.set_sender_id(kind == "echo" ? "page-1" : "psid-1");
  e.set_recipient_id(kind == "echo" ? "psid-1" : "page-1");
  e.set_platform_message_id(mid);
  e.set_timestamp_ms(1000);
  return e;
}

CampaignResolver FixedCampaign(const std::string& id) {
  return [id](const std::string&, const std::string&, const std::string&) -> Result<std::string> {
    return id;
  };
}

void CheckMessageEchoAndReceipts(store::Store& db) {
  std::string ws = NewUuidV7();
  std::string campaign = NewUuidV7();
  ConversationStore notified(db);
  Notifier notifier(notified, nullptr, nullptr);
  InboundConsumer consumer(db, FixedCampaign(campaign), notifier, {});
  ConversationStore store(db);

  auto hello = Event(ws, "message", "m.1");
  hello.set_text("Hi, is it in stock?");
  hello.set_contact_name("Grace Hopper");
  REQUIRE_OK(consumer.Apply(hello));
  REQUIRE_OK(consumer.Apply(hello));  // redelivered: nothing changes

  auto list = Unwrap(store.ListConversations(ws, {}, "", 10));
  REQUIRE(list.size() == 1);
  CHECK(list[0].campaign_id == campaign);
  CHECK(list[0].unread_count == 1);
  CHECK(list[0].handler == "ai");
  auto contact = Unwrap(store.GetContact(ws, list[0].contact_id));
  REQUIRE(contact.has_value());
  CHECK(contact->first_name == "Grace");
  CHECK(contact->platform_user_id == "psid-1");

  auto echo = Event(ws, "echo", "m.2");
  echo.set_text("Yes, in stock");
  echo.set_timestamp_ms(2000);
  REQUIRE_OK(consumer.Apply(echo));
  auto conv = Unwrap(store.GetConversation(ws, list[0].id));
  REQUIRE(conv.has_value());
  CHECK(conv->handler == "agent");

  auto delivered = Event(ws, "delivery", "");
  delivered.set_watermark_ms(2500);
  REQUIRE_OK(consumer.Apply(delivered));
  auto messages = Unwrap(store.MessagesBefore(ws, conv->id, "", 10));
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].sender == "customer");
  CHECK(messages[1].sender == "agent");
  CHECK(messages[1].delivery_status == "delivered");

  auto read = Event(ws, "read", "");
  read.set_watermark_ms(1500);  // before the echo: nothing moves
  REQUIRE_OK(consumer.Apply(read));
  messages = Unwrap(store.MessagesBefore(ws, conv->id, "", 10));
  CHECK(messages[1].delivery_status == "delivered");
}

void CheckWhatsAppStatusesMoveForwardAndFailedKeepsError(store::Store& db) {
  std::string ws = NewUuidV7();
  ConversationStore notified(db);
  Notifier notifier(notified, nullptr, nullptr);
  InboundConsumer consumer(db, nullptr, notifier, {});
  ConversationStore store(db);
  auto echo = Event(ws, "echo", "wamid.1");
  echo.set_platform("whatsapp");
  REQUIRE_OK(consumer.Apply(echo));
  auto status = Event(ws, "status", "wamid.1");
  status.set_platform("whatsapp");
  status.mutable_status()->set_status("failed");
  auto* err = status.mutable_status()->add_errors();
  err->set_code(131047);
  err->set_title("Re-engagement message");
  REQUIRE_OK(consumer.Apply(status));
  status.mutable_status()->set_status("read");
  REQUIRE_OK(consumer.Apply(status));
  auto list = Unwrap(store.ListConversations(ws, {}, "", 10));
  REQUIRE(list.size() == 1);
  CHECK(list[0].campaign_id.empty());
  auto messages = Unwrap(store.MessagesBefore(ws, list[0].id, "", 10));
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].delivery_status == "failed");
  CHECK(messages[0].error == "131047 Re-engagement message");
}

void CheckUnreadableEntriesAreSkipped(store::Store& db) {
  ConversationStore notified(db);
  Notifier notifier(notified, nullptr, nullptr);
  InboundConsumer consumer(db, nullptr, notifier, {});
  redis::StreamEntry entry;
  entry.id = "1-0";
  entry.fields = {{"event", "\xff\xff not a protobuf"}};
  REQUIRE_OK(consumer.Handle(entry));
  REQUIRE_OK(consumer.Apply(Event("", "message", "m.1")));
  REQUIRE_OK(consumer.Apply(Event(NewUuidV7(), "reaction", "m.1")));
}

#define BOTH_ENGINES(name, check)                                     \
  SALESOS_TEST_BOTH_ENGINES(name, "[conversation][inbound_consumer]", \
                            conversation_lib_migrations(), "inbound_consumer", check)

BOTH_ENGINES("a message opens a conversation, an echo hands it to an agent, receipts mark it",
             CheckMessageEchoAndReceipts)
BOTH_ENGINES("WhatsApp statuses move forward only and a failure keeps its error",
             CheckWhatsAppStatusesMoveForwardAndFailedKeepsError)
BOTH_ENGINES("unreadable and unknown inbound entries are skipped, not retried",
             CheckUnreadableEntriesAreSkipped)

}  // namespace
}  // namespace salesos::conversation
