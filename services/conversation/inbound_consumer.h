#pragma once

// InboundConsumer: conversation's side of salesos:inbound (DESIGN §5 step 3). Each entry carries
// one webhook_ingest.v1.InboundEvent:
//   "message", "postback": a customer wrote: contact upserted, conversation found or opened (its
//       campaign resolved by campaign before the transaction), message appended, unread bumped —
//       one transaction (ConversationStore::AppendInbound), then message.received (and
//       conversation.started) published;
//   "echo": the business's own message (Meta's inbox or another app): stored as an agent message,
//       and the conversation handed to an agent;
//   "delivery", "read", "status": the business's messages' delivery_status moves forward only.
// Redelivery is harmless: a platform message id stored before changes nothing, statuses only move
// forward. Thread-safe as the store; Handle is called from the StreamConsumer's thread.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "conversation_store.h"
#include "salesos/core/status.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/service_token.h"
#include "salesos/webhook_ingest/v1/inbound.pb.h"

namespace salesos::conversation {

inline constexpr char kInboundStream[] = "salesos:inbound";

// The campaign a new conversation of (workspace, platform, referral) belongs to: its id, or "" for
// none. Must be thread-safe; may block (bounded by its own deadline).
using CampaignResolver = std::function<Result<std::string>(
    const std::string& workspace_id, const std::string& platform, const std::string& referral)>;

// A CampaignResolver asking campaign's ResolveCampaignForChannel (a service-only rpc) with this
// service's token, each call bounded by timeout_ms. `tokens` must outlive it.
CampaignResolver CampaignsOf(std::shared_ptr<grpc::Channel> campaign_channel,
                             rpc::ServiceTokenSource& tokens, int timeout_ms = 2000);

class InboundConsumer {
 public:
  // `events` may be null (tests); `campaigns` may be null (no campaign for new conversations).
  InboundConsumer(store::Store& db, CampaignResolver campaigns, rpc::EventPublisher* events)
      : store_(db), campaigns_(std::move(campaigns)), events_(events) {}

  // One stream entry: its "event" field parsed and applied. An entry that cannot be parsed is
  // logged and answered ok (acknowledged): a retry would not make it parse.
  Status Handle(const redis::StreamEntry& entry);
  Status Apply(const webhook_ingest::v1::InboundEvent& event);

 private:
  Status AppendMessage(const webhook_ingest::v1::InboundEvent& event, bool echo);
  Status AdvanceDelivery(const webhook_ingest::v1::InboundEvent& event);
  void Publish(const InboundOutcome& outcome, const webhook_ingest::v1::InboundEvent& event);

  ConversationStore store_;
  CampaignResolver campaigns_;
  rpc::EventPublisher* events_;
};

}  // namespace salesos::conversation
