#pragma once

// InboundConsumer: conversation's side of salesos:inbound (DESIGN §5 step 3). Each entry carries
// one webhook_ingest.v1.InboundEvent:
//   "message", "postback": a customer wrote: contact upserted, conversation found or opened (its
//       campaign resolved by campaign before the transaction), message appended, unread bumped —
//       one transaction (ConversationStore::AppendInbound) that also makes the AI's turn due
//       after the debounce when the AI handles the conversation; then message.received (and
//       conversation.started) published, and the screens told;
//   "echo": the business's own message (Meta's inbox or another app): stored as an agent message,
//       and the conversation handed to an agent — unless it is the echo of a message this suite
//       sent (metadata "salesos:<message id>"), which is stored already;
//   "delivery", "read", "status": the business's messages' delivery_status moves forward only;
//       for a broadcast's message (broadcast_recipient_id) each move is "broadcast.receipt".
// A customer's message answering a broadcast (the conversation's newest business message of the
// last 30 days came from one) is also "broadcast.reply"; a contact made by a message is
// "contact.created" (source "chat").
// Redelivery is harmless: a platform message id stored before changes nothing, statuses only move
// forward. Thread-safe as the store; Handle is called from the StreamConsumer's thread.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "conversation_peers.h"
#include "conversation_store.h"
#include "notifier.h"
#include "salesos/core/status.h"
#include "salesos/redis/redis.h"
#include "salesos/webhook_ingest/v1/inbound.pb.h"

namespace salesos::conversation {

inline constexpr char kInboundStream[] = "salesos:inbound";
// How far back a customer's message looks for the broadcast it answers.
inline constexpr int64_t kReplyLookbackMs = 30LL * 24 * 3600 * 1000;

struct InboundOptions {
  // A customer's message to an AI-handled conversation makes the AI answer this long after it
  // (SALESOS_AI_DEBOUNCE_MS), unless another message comes first.
  int64_t ai_debounce_ms = 1200;
  // Called after a commit that made an AI turn due (wakes the turn controller). May be empty.
  std::function<void(int64_t due_ms)> on_ai_turn;
};

class InboundConsumer {
 public:
  // `campaigns` may be null (no campaign for new conversations).
  InboundConsumer(store::Store& db, CampaignResolver campaigns, Notifier& notifier,
                  InboundOptions options)
      : store_(db),
        campaigns_(std::move(campaigns)),
        notifier_(notifier),
        options_(std::move(options)) {}

  // One stream entry: its "event" field parsed and applied. An entry that cannot be parsed is
  // logged and answered ok (acknowledged): a retry would not make it parse.
  Status Handle(const redis::StreamEntry& entry);
  Status Apply(const webhook_ingest::v1::InboundEvent& event);
  // The order that matters: one customer's events (messages, echoes, receipts) of one channel
  // are applied one after another; different customers' may be applied side by side
  // (StreamConsumerOptions::key). "" for an entry that does not parse (each its own).
  static std::string OrderKey(const redis::StreamEntry& entry);

 private:
  Status AppendMessage(const webhook_ingest::v1::InboundEvent& event, bool echo);
  Status AdvanceDelivery(const webhook_ingest::v1::InboundEvent& event);
  void Publish(const InboundOutcome& outcome, const webhook_ingest::v1::InboundEvent& event);
  // The messages a delivery/read/status moved forward, to screens (and broadcast.receipt for
  // broadcast messages).
  void PublishUpdated(const std::string& workspace_id, const std::vector<std::string>& ids,
                      int64_t at_ms);
  // broadcast.receipt for a broadcast message whose delivery_status moved (others: nothing).
  void PublishReceipt(const MessageRecord& m, int64_t at_ms);
  // broadcast.reply when the conversation's newest business message of the last 30 days (before
  // the customer's) came from a broadcast.
  void PublishReply(const InboundOutcome& outcome);

  ConversationStore store_;
  CampaignResolver campaigns_;
  Notifier& notifier_;
  InboundOptions options_;
};

}  // namespace salesos::conversation
