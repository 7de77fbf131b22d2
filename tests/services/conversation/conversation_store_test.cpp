// ConversationStore against both engines: every check runs as "sqlite: ..." and "postgresql: ...".
#include "conversation_store.h"

#include <catch2/catch.hpp>
#include <string>

#include "conversation_lib_migrations.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::conversation {
namespace {

using testing::Unwrap;

InboundMessage Customer(const std::string& ws, const std::string& user, const std::string& mid,
                        const std::string& text, const std::string& now) {
  InboundMessage in;
  in.workspace_id = ws;
  in.platform = "facebook";
  in.integration_id = "integration-1";
  in.campaign_id = "campaign-1";
  in.platform_user_id = user;
  in.contact_name = "Ada Lovelace";
  in.message.sender = "customer";
  in.message.content = text;
  in.message.platform_message_id = mid;
  in.message.platform_timestamp_ms = 1000;
  in.now = now;
  return in;
}

InboundMessage Echo(const std::string& ws, const std::string& user, const std::string& mid,
                    int64_t sent_ms) {
  InboundMessage in = Customer(ws, user, mid, "Hello from the inbox", "2026-11-21T10:05:00.000Z");
  in.contact_name = "";
  in.message.sender = "agent";
  in.message.delivery_status = "sent";
  in.message.platform_timestamp_ms = sent_ms;
  return in;
}

void CheckFirstMessageOpensConversationAndRedeliveryChangesNothing(store::Store& db) {
  ConversationStore store(db);
  std::string ws = NewUuidV7();
  auto first = Unwrap(store.AppendInbound(
      Customer(ws, "psid-1", "m.1", "Hi, how much is it?", "2026-11-21T10:00:00.000Z")));
  CHECK_FALSE(first.duplicate);
  CHECK(first.contact_created);
  CHECK(first.conversation_started);
  CHECK(first.contact.first_name == "Ada");
  CHECK(first.contact.last_name == "Lovelace");
  CHECK(first.conversation.campaign_id == "campaign-1");
  CHECK(first.conversation.unread_count == 1);

  auto again = Unwrap(store.AppendInbound(
      Customer(ws, "psid-1", "m.1", "Hi, how much is it?", "2026-11-21T10:00:09.000Z")));
  CHECK(again.duplicate);
  CHECK(again.message.id == first.message.id);

  auto second = Unwrap(store.AppendInbound(
      Customer(ws, "psid-1", "m.2", "And delivery?", "2026-11-21T10:01:00.000Z")));
  CHECK_FALSE(second.contact_created);
  CHECK_FALSE(second.conversation_started);
  CHECK(second.conversation.id == first.conversation.id);

  auto conv = Unwrap(store.GetConversation(ws, first.conversation.id));
  REQUIRE(conv.has_value());
  CHECK(conv->unread_count == 2);
  CHECK(conv->last_message_at == "2026-11-21T10:01:00.000Z");
  CHECK(conv->handler == "ai");
  auto messages = Unwrap(store.MessagesBefore(ws, conv->id, "", 10));
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].content == "Hi, how much is it?");
  CHECK(messages[1].content == "And delivery?");
  CHECK(messages[0].platform_message_id == "m.1");
}

void CheckEchoHandsToAgentAndDeliveryMovesForwardOnly(store::Store& db) {
  ConversationStore store(db);
  std::string ws = NewUuidV7();
  auto first =
      Unwrap(store.AppendInbound(Customer(ws, "psid-1", "m.1", "Hi", "2026-11-21T10:00:00.000Z")));
  auto echo = Unwrap(store.AppendInbound(Echo(ws, "psid-1", "m.echo.1", 2000)));
  CHECK(echo.conversation.id == first.conversation.id);
  CHECK(echo.conversation.handler == "agent");
  CHECK(echo.conversation.unread_count == 1);
  Unwrap(store.AppendInbound(Echo(ws, "psid-1", "m.echo.2", 5000)));

  CHECK(Unwrap(store.AdvanceDelivery(ws, "m.echo.1", "read", "")) == 1);
  CHECK(Unwrap(store.AdvanceDelivery(ws, "m.echo.1", "delivered", "")) == 0);
  // A watermark at 3000 marks the first echo only (already read: unchanged) and not the second.
  CHECK(Unwrap(store.AdvanceDeliveryUpTo(ws, "facebook", "psid-1", 3000, "delivered")) == 0);
  CHECK(Unwrap(store.AdvanceDeliveryUpTo(ws, "facebook", "psid-1", 6000, "delivered")) == 1);
  CHECK(Unwrap(store.AdvanceDelivery(ws, "m.echo.2", "failed", "131047 re-engagement")) == 1);
  CHECK(Unwrap(store.AdvanceDelivery(ws, "m.echo.2", "read", "")) == 0);
  // Another workspace's status changes nothing here.
  CHECK(Unwrap(store.AdvanceDelivery(NewUuidV7(), "m.echo.1", "failed", "x")) == 0);

  auto messages = Unwrap(store.MessagesBefore(ws, first.conversation.id, "", 10));
  REQUIRE(messages.size() == 3);
  CHECK(messages[0].delivery_status.empty());
  CHECK(messages[1].delivery_status == "read");
  CHECK(messages[2].delivery_status == "failed");
  CHECK(messages[2].error == "131047 re-engagement");
}

void CheckListsPageNewestActivityFirstAndFilter(store::Store& db) {
  ConversationStore store(db);
  std::string ws = NewUuidV7();
  auto a = Unwrap(store.AppendInbound(Customer(ws, "a", "m.a", "A", "2026-11-21T10:00:00.000Z")));
  auto b = Unwrap(store.AppendInbound(Customer(ws, "b", "m.b", "B", "2026-11-21T10:01:00.000Z")));
  auto c = Unwrap(store.AppendInbound(Customer(ws, "c", "m.c", "C", "2026-11-21T10:02:00.000Z")));
  // a writes again: newest activity now.
  Unwrap(store.AppendInbound(Customer(ws, "a", "m.a2", "A2", "2026-11-21T10:03:00.000Z")));

  auto page1 = Unwrap(store.ListConversations(ws, {}, "", 2));
  REQUIRE(page1.size() == 2);
  CHECK(page1[0].id == a.conversation.id);
  CHECK(page1[1].id == c.conversation.id);
  auto page2 = Unwrap(store.ListConversations(ws, {}, page1[1].id, 2));
  REQUIRE(page2.size() == 1);
  CHECK(page2[0].id == b.conversation.id);

  ConversationStore::ConversationFilter agent_only;
  agent_only.handler = "agent";
  CHECK(Unwrap(store.ListConversations(ws, agent_only, "", 10)).empty());
  ConversationStore::ConversationFilter facebook;
  facebook.platform = "facebook";
  facebook.status = "active";
  facebook.campaign_id = "campaign-1";
  CHECK(Unwrap(store.ListConversations(ws, facebook, "", 10)).size() == 3);

  auto latest = Unwrap(store.LatestMessages(ws, a.conversation.id, 1));
  REQUIRE(latest.size() == 1);
  CHECK(latest[0].content == "A2");
  auto paged = Unwrap(store.MessagesBefore(ws, a.conversation.id, latest[0].id, 10));
  REQUIRE(paged.size() == 1);
  CHECK(paged[0].id == a.message.id);
}

void CheckAnotherWorkspaceSeesNothing(store::Store& db) {
  ConversationStore store(db);
  std::string ws = NewUuidV7();
  std::string other = NewUuidV7();
  auto mine =
      Unwrap(store.AppendInbound(Customer(ws, "p", "m.1", "Hi", "2026-11-21T10:00:00.000Z")));
  CHECK(Unwrap(store.GetContact(ws, mine.contact.id)).has_value());
  CHECK_FALSE(Unwrap(store.GetContact(other, mine.contact.id)).has_value());
  CHECK_FALSE(Unwrap(store.GetConversation(other, mine.conversation.id)).has_value());
  CHECK(Unwrap(store.ListConversations(other, {}, "", 10)).empty());
  CHECK(Unwrap(store.MessagesBefore(other, mine.conversation.id, "", 10)).empty());
  // The same platform ids in another workspace are another contact, conversation and message.
  auto theirs =
      Unwrap(store.AppendInbound(Customer(other, "p", "m.1", "Hi", "2026-11-21T10:00:00.000Z")));
  CHECK_FALSE(theirs.duplicate);
  CHECK(theirs.contact.id != mine.contact.id);
}

#define BOTH_ENGINES(name, check)                                       \
  SALESOS_TEST_BOTH_ENGINES(name, "[conversation][conversation_store]", \
                            conversation_lib_migrations(), "conversation_store", check)

BOTH_ENGINES("a first message opens a conversation and its redelivery changes nothing",
             CheckFirstMessageOpensConversationAndRedeliveryChangesNothing)
BOTH_ENGINES("an echo hands the conversation to an agent and delivery only moves forward",
             CheckEchoHandsToAgentAndDeliveryMovesForwardOnly)
BOTH_ENGINES("conversations page newest activity first and filter, messages page in order",
             CheckListsPageNewestActivityFirstAndFilter)
BOTH_ENGINES("another workspace sees nothing and keeps its own contacts",
             CheckAnotherWorkspaceSeesNothing)

}  // namespace
}  // namespace salesos::conversation
