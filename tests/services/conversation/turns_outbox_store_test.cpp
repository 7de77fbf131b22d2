// ConversationStore's AI-turn and outbox records against both engines: due times, leases, the
// order a conversation's messages go out in, and Mutate's all-or-nothing change.
#include <catch2/catch.hpp>
#include <string>

#include "conversation_lib_migrations.h"
#include "conversation_store.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::conversation {
namespace {

using testing::Unwrap;

InboundMessage Customer(const std::string& ws, const std::string& mid, int64_t ts,
                        int64_t ai_due_ms) {
  InboundMessage in;
  in.workspace_id = ws;
  in.platform = "whatsapp";
  in.integration_id = "integration-1";
  in.platform_user_id = "447700900123";
  in.contact_name = "José Núñez";
  in.message.sender = "customer";
  in.message.content = "Olá " + mid;
  in.message.platform_message_id = mid;
  in.message.platform_timestamp_ms = ts;
  in.now = "2026-11-21T10:00:00.000Z";
  in.ai_due_ms = ai_due_ms;
  return in;
}

MessageRecord Outbound(const std::string& text, int64_t ts, int64_t next_attempt_ms) {
  MessageRecord m;
  m.sender = "ai";
  m.content = text;
  m.delivery_status = "pending";
  m.platform_timestamp_ms = ts;
  m.next_attempt_ms = next_attempt_ms;
  return m;
}

void CheckCustomerMessagesMoveTheAiTurnAndLeasesGuardIt(store::Store& db) {
  ConversationStore store(db);
  std::string ws = NewUuidV7();
  auto first = Unwrap(store.AppendInbound(Customer(ws, "wamid.1", 1000, 5000)));
  CHECK(first.conversation.ai_due_ms == 5000);
  CHECK(first.conversation.last_customer_message_ms == 1000);
  CHECK(Unwrap(store.NextAiTurnMs()) <= 5000);
  CHECK(Unwrap(store.DueAiTurns(4999, 10)).empty());
  // A second message of the burst moves the turn on.
  auto second = Unwrap(store.AppendInbound(Customer(ws, "wamid.2", 1500, 6000)));
  CHECK(second.conversation.ai_due_ms == 6000);
  CHECK(second.conversation.last_customer_message_ms == 1500);
  std::vector<DueTurn> due;
  for (const auto& t : Unwrap(store.DueAiTurns(6000, 100))) {
    if (t.workspace_id == ws) {
      due.push_back(t);
    }
  }
  REQUIRE(due.size() == 1);
  CHECK(due[0].due_ms == 6000);
  // The old due time claims nothing; the current one once.
  CHECK_FALSE(Unwrap(store.ClaimAiTurn({ws, due[0].conversation_id, 5000}, 6000, 1000)));
  CHECK(Unwrap(store.ClaimAiTurn(due[0], 6000, 1000)));
  CHECK_FALSE(Unwrap(store.ClaimAiTurn(due[0], 6500, 1000)));  // leased until 7000
  CHECK(Unwrap(store.ClaimAiTurn(due[0], 7001, 1000)));        // the lease ran out: taken over
  // A failure makes it due again later and counts the attempt.
  REQUIRE_OK(store.RetryAiTurn(due[0], 9000));
  auto c = *Unwrap(store.GetConversation(ws, due[0].conversation_id));
  CHECK(c.ai_due_ms == 9000);
  CHECK(c.ai_attempts == 1);
  CHECK(c.ai_lease_until_ms == 0);
  // A retry of a stale turn leaves the newer due time alone.
  REQUIRE_OK(store.RetryAiTurn(due[0], 12000));
  c = *Unwrap(store.GetConversation(ws, due[0].conversation_id));
  CHECK(c.ai_due_ms == 9000);
  CHECK(c.ai_attempts == 1);
}

void CheckMutateAddsMessagesAndAbortsAsAWhole(store::Store& db) {
  ConversationStore store(db);
  std::string ws = NewUuidV7();
  auto in = Unwrap(store.AppendInbound(Customer(ws, "wamid.1", 1000, 0)));
  auto change = Unwrap(store.Mutate(ws, in.conversation.id,
                                    [](ConversationRecord& c, std::vector<MessageRecord>& add) {
                                      c.lead_score = 72;
                                      c.intent = "price_question";
                                      c.updated_at = "2026-11-21T10:00:01.000Z";
                                      add.push_back(Outbound("part 1", 2000, 0));
                                      add.push_back(Outbound("part 2", 2001, 0));
                                      return OkStatus();
                                    }));
  CHECK(change.before.lead_score == 0);
  CHECK(change.after.lead_score == 72);
  REQUIRE(change.added.size() == 2);
  CHECK(change.added[0].conversation_id == in.conversation.id);
  CHECK(change.added[0].created_at == "2026-11-21T10:00:01.000Z");
  auto messages = Unwrap(store.MessagesBefore(ws, in.conversation.id, "", 10));
  REQUIRE(messages.size() == 3);
  CHECK(messages[1].content == "part 1");
  CHECK(messages[2].delivery_status == "pending");
  // An error changes nothing: neither the conversation nor the messages.
  auto refused = store.Mutate(ws, in.conversation.id,
                              [](ConversationRecord& c, std::vector<MessageRecord>& add) {
                                c.lead_score = 5;
                                add.push_back(Outbound("never", 3000, 0));
                                return Aborted("no");
                              });
  CHECK(refused.status().code() == Code::kAborted);
  CHECK((*Unwrap(store.GetConversation(ws, in.conversation.id))).lead_score == 72);
  CHECK(Unwrap(store.MessagesBefore(ws, in.conversation.id, "", 10)).size() == 3);
  // Another workspace's conversation is not found.
  auto other =
      store.Mutate(NewUuidV7(), in.conversation.id, [](auto&, auto&) { return OkStatus(); });
  CHECK(other.status().code() == Code::kNotFound);
}

void CheckOutboxSendsAConversationInOrderWithLeases(store::Store& db) {
  ConversationStore store(db);
  std::string ws = NewUuidV7();
  auto in = Unwrap(store.AppendInbound(Customer(ws, "wamid.1", 1000, 0)));
  auto change = Unwrap(store.Mutate(ws, in.conversation.id,
                                    [](ConversationRecord&, std::vector<MessageRecord>& add) {
                                      add.push_back(Outbound("first", 2000, 100));
                                      add.push_back(Outbound("second", 2001, 100));
                                      return OkStatus();
                                    }));
  auto mine = [&](int64_t now) {
    std::vector<OutboxItem> out;
    for (auto& item : Unwrap(store.DueSends(now, 1000))) {
      if (item.message.workspace_id == ws) {
        out.push_back(item);
      }
    }
    return out;
  };
  CHECK(mine(99).empty());
  auto due = mine(100);
  REQUIRE(due.size() == 1);  // the second waits for the first
  CHECK(due[0].message.content == "first");
  CHECK(due[0].platform == "whatsapp");
  CHECK(due[0].recipient_id == "447700900123");
  CHECK(due[0].integration_id == "integration-1");
  const auto& first = change.added[0];
  CHECK(Unwrap(store.ClaimSend(ws, first.id, 100, 1000)));
  CHECK_FALSE(Unwrap(store.ClaimSend(ws, first.id, 200, 1000)));
  CHECK(mine(200).empty());  // leased, and the second still waits
  // A retryable failure: due again later, the attempt counted.
  SendOutcome retry{SendOutcome::Kind::kRetry, "", 5000, "613 rate limit"};
  auto retried = Unwrap(store.FinishSend(ws, first.id, retry));
  CHECK(retried.delivery_status == "pending");
  CHECK(retried.send_attempts == 1);
  CHECK(retried.error == "613 rate limit");
  CHECK(mine(4999).empty());
  REQUIRE(mine(5000).size() == 1);
  CHECK(Unwrap(store.ClaimSend(ws, first.id, 5000, 1000)));
  auto sent =
      Unwrap(store.FinishSend(ws, first.id, {SendOutcome::Kind::kSent, "wamid.out.1", 0, ""}));
  CHECK(sent.delivery_status == "sent");
  CHECK(sent.platform_message_id == "wamid.out.1");
  CHECK(sent.error.empty());
  CHECK(sent.send_attempts == 2);
  // Now the second goes; a permanent failure is final.
  due = mine(5000);
  REQUIRE(due.size() == 1);
  CHECK(due[0].message.content == "second");
  CHECK(Unwrap(store.ClaimSend(ws, due[0].message.id, 5000, 1000)));
  auto failed = Unwrap(store.FinishSend(
      ws, due[0].message.id, {SendOutcome::Kind::kFailed, "", 0, "131047 Re-engagement message"}));
  CHECK(failed.delivery_status == "failed");
  CHECK(mine(99999).empty());
  // A status webhook moves sent forward; a watermark never touches a pending message.
  CHECK(Unwrap(store.AdvanceDelivery(ws, "wamid.out.1", "delivered", "")) == 1);
  auto pending = Unwrap(store.Mutate(ws, in.conversation.id,
                                     [](ConversationRecord&, std::vector<MessageRecord>& add) {
                                       add.push_back(Outbound("third", 2500, 0));
                                       return OkStatus();
                                     }));
  Unwrap(store.AdvanceDeliveryUpTo(ws, "whatsapp", "447700900123", 999999, "read"));
  CHECK((*Unwrap(store.GetMessage(ws, pending.added[0].id))).delivery_status == "pending");
  CHECK((*Unwrap(store.GetMessage(ws, first.id))).delivery_status == "read");
}

void CheckSearchAssignmentAndMessagePages(store::Store& db) {
  ConversationStore store(db);
  std::string ws = NewUuidV7();
  auto in = Unwrap(store.AppendInbound(Customer(ws, "wamid.1", 1000, 0)));
  for (int i = 2; i <= 5; ++i) {
    Unwrap(store.AppendInbound(Customer(ws, "wamid." + std::to_string(i), 1000 * i, 0)));
  }
  // Out of order arrival: an older platform time sorts before.
  auto late = Customer(ws, "wamid.0", 500, 0);
  Unwrap(store.AppendInbound(late));
  auto all = Unwrap(store.MessagesBefore(ws, in.conversation.id, "", 10));
  REQUIRE(all.size() == 6);
  CHECK(all[0].platform_message_id == "wamid.0");
  CHECK(all[5].platform_message_id == "wamid.5");
  auto newest = Unwrap(store.MessagesBefore(ws, in.conversation.id, "", 2));
  REQUIRE(newest.size() == 2);
  CHECK(newest[0].platform_message_id == "wamid.4");
  auto older = Unwrap(store.MessagesBefore(ws, in.conversation.id, newest[0].id, 2));
  REQUIRE(older.size() == 2);
  CHECK(older[0].platform_message_id == "wamid.2");
  CHECK(older[1].platform_message_id == "wamid.3");

  auto find = [&](std::string q, std::string assigned = "") {
    ConversationStore::ConversationFilter f;
    f.query = std::move(q);
    f.assigned_to = std::move(assigned);
    return Unwrap(store.ListConversations(ws, f, "", 10)).size();
  };
  CHECK(find("jOS") == 1);  // the contact's name, ASCII letters case-folded
  CHECK(find("Núñez") == 1);
  CHECK(find("WAMID.3") == 1);  // a message's text
  CHECK(find("7700900") == 1);  // the wa_id
  CHECK(find("100%") == 0);     // wildcards are literal
  CHECK(find("_") == 0);
  CHECK(find("", "none") == 1);
  std::string agent = NewUuidV7();
  Unwrap(store.Mutate(ws, in.conversation.id, [&](ConversationRecord& c, auto&) {
    c.assigned_agent_id = agent;
    return OkStatus();
  }));
  CHECK(find("", "none") == 0);
  CHECK(find("", agent) == 1);
  CHECK(find("", NewUuidV7()) == 0);
}

#define BOTH_ENGINES(name, check)                                       \
  SALESOS_TEST_BOTH_ENGINES(name, "[conversation][turns_outbox_store]", \
                            conversation_lib_migrations(), "turns_outbox_store", check)

BOTH_ENGINES("customer messages move the AI turn and leases guard it",
             CheckCustomerMessagesMoveTheAiTurnAndLeasesGuardIt)
BOTH_ENGINES("Mutate adds messages and aborts as a whole", CheckMutateAddsMessagesAndAbortsAsAWhole)
BOTH_ENGINES("the outbox sends a conversation's messages in order, with leases",
             CheckOutboxSendsAConversationInOrderWithLeases)
BOTH_ENGINES("search, assignment filters and message pages", CheckSearchAssignmentAndMessagePages)

}  // namespace
}  // namespace salesos::conversation
