#include "inbound_consumer.h"

#include <google/protobuf/util/json_util.h>

#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/server.h"

namespace salesos::conversation {
namespace {

using webhook_ingest::v1::InboundEvent;

// The attachments as a JSON array (protobuf's JSON mapping of each, lowerCamelCase).
std::string AttachmentsJson(const InboundEvent& e) {
  std::string out = "[";
  for (const auto& a : e.attachments()) {
    std::string one;
    if (!google::protobuf::util::MessageToJsonString(a, &one).ok()) {
      continue;
    }
    out += (out.size() > 1 ? "," : "") + one;
  }
  return out + "]";
}

// What a customer's message says: its text, else what it chose (a postback or quick reply).
std::string ContentOf(const InboundEvent& e) {
  if (!e.text().empty()) {
    return e.text();
  }
  return e.payload_title();
}

std::string TypeOf(const InboundEvent& e) {
  if (e.kind() == "postback") {
    return "postback";
  }
  if (e.text().empty() && e.attachments_size() > 0) {
    return e.attachments(0).type();
  }
  if (e.has_location()) {
    return "location";
  }
  return "text";
}

std::string ReferralOf(const InboundEvent& e) {
  if (!e.has_referral()) {
    return "";
  }
  return e.referral().ref().empty() ? e.referral().ad_id() : e.referral().ref();
}

}  // namespace

std::string InboundConsumer::OrderKey(const redis::StreamEntry& entry) {
  const std::string* payload = entry.Field("event");
  InboundEvent event;
  if (payload == nullptr || !event.ParseFromString(*payload)) {
    return "entry:" + entry.id;
  }
  // An echo is the business writing to the customer: its recipient is the customer.
  const std::string& customer = event.kind() == "echo" ? event.recipient_id() : event.sender_id();
  return event.workspace_id() + "\n" + event.platform() + "\n" + customer;
}

Status InboundConsumer::Handle(const redis::StreamEntry& entry) {
  const std::string* payload = entry.Field("event");
  InboundEvent event;
  if (payload == nullptr || !event.ParseFromString(*payload)) {
    log::Warn("inbound entry without a readable event, skipped", {{"entryId", entry.id}});
    return OkStatus();
  }
  log::ScopedLogContext log_ctx("", event.traceparent());  // the webhook delivery's trace
  rpc::WriteAccessLog("inbound event", {{"eventId", event.id()}, {"kind", event.kind()}});
  return Apply(event);
}

Status InboundConsumer::Apply(const InboundEvent& event) {
  if (event.workspace_id().empty() || event.platform().empty()) {
    log::Warn("inbound event without workspace or platform, skipped", {{"eventId", event.id()}});
    return OkStatus();
  }
  const std::string& kind = event.kind();
  if (kind == "message" || kind == "postback") {
    return AppendMessage(event, false);
  }
  if (kind == "echo") {
    return AppendMessage(event, true);
  }
  if (kind == "delivery" || kind == "read" || kind == "status") {
    return AdvanceDelivery(event);
  }
  log::Info("inbound event of an unknown kind, skipped", {{"eventId", event.id()}, {"kind", kind}});
  return OkStatus();
}

Status InboundConsumer::AppendMessage(const InboundEvent& event, bool echo) {
  InboundMessage in;
  in.workspace_id = event.workspace_id();
  in.platform = event.platform();
  in.integration_id = event.integration_id();
  // An echo's customer is its recipient; a customer's message comes from the customer.
  in.platform_user_id = echo ? event.recipient_id() : event.sender_id();
  if (in.platform_user_id.empty()) {
    log::Warn("inbound message without a customer id, skipped", {{"eventId", event.id()}});
    return OkStatus();
  }
  if (echo && event.metadata().rfind(kOwnMetadataPrefix, 0) == 0) {
    return OkStatus();  // our own message, stored when it was queued; the outbox records its id
  }
  in.contact_name = echo ? "" : event.contact_name();
  // Only a new conversation needs its campaign: a message joining an open one skips the call.
  bool joins_open = false;
  if (!echo && campaigns_) {
    auto open = store_.HasOpenConversation(in.workspace_id, in.platform, in.platform_user_id);
    joins_open = open.ok() && *open;
  }
  if (!echo && campaigns_ && !joins_open) {
    // Before the transaction: a remote call never holds one open. A campaign that cannot be
    // learnt now leaves a new conversation without one rather than losing the message.
    auto campaign = campaigns_(in.workspace_id, in.platform, ReferralOf(event));
    if (campaign.ok()) {
      in.campaign_id = *campaign;
    } else {
      log::Warn("campaign for a new message not resolved",
                {{"workspaceId", in.workspace_id}, {"error", campaign.status().message()}});
    }
  }
  in.message.sender = echo ? "agent" : "customer";
  in.message.content = ContentOf(event);
  in.message.type = TypeOf(event);
  in.message.attachments = AttachmentsJson(event);
  in.message.platform_message_id = event.platform_message_id();
  in.message.delivery_status = echo ? "sent" : "";
  in.message.platform_timestamp_ms = event.timestamp_ms();
  const int64_t now = NowUnixMillis();
  in.now = FormatRfc3339Millis(now);
  in.ai_due_ms = echo ? 0 : now + options_.ai_debounce_ms;
  SALESOS_ASSIGN_OR_RETURN(auto outcome, store_.AppendInbound(in));
  if (!outcome.duplicate) {
    Publish(outcome, event);
    if (outcome.conversation.ai_due_ms > 0 && options_.on_ai_turn) {
      options_.on_ai_turn(outcome.conversation.ai_due_ms);
    }
  }
  return OkStatus();
}

Status InboundConsumer::AdvanceDelivery(const InboundEvent& event) {
  const std::string& ws = event.workspace_id();
  std::vector<std::string> changed;
  if (event.kind() == "status") {
    std::string error;
    if (event.status().errors_size() > 0) {
      const auto& e = event.status().errors(0);
      error = std::to_string(e.code()) + " " + e.title();
    }
    SALESOS_ASSIGN_OR_RETURN(auto n, store_.AdvanceDelivery(ws, event.platform_message_id(),
                                                            event.status().status(), error));
    if (n > 0) {
      changed.push_back(event.platform_message_id());
    }
    PublishUpdated(ws, changed, event.timestamp_ms());
    return OkStatus();
  }
  const std::string status = event.kind() == "read" ? "read" : "delivered";
  std::vector<std::string> mids(event.message_ids().begin(), event.message_ids().end());
  if (!event.platform_message_id().empty()) {
    mids.push_back(event.platform_message_id());
  }
  for (const auto& mid : mids) {
    SALESOS_ASSIGN_OR_RETURN(auto n, store_.AdvanceDelivery(ws, mid, status, ""));
    if (n > 0) {
      changed.push_back(mid);
    }
  }
  if (event.watermark_ms() > 0) {
    // The customer who received or read them sent this receipt. Screens learn of watermark
    // changes with the conversation's next update.
    std::vector<MessageRecord> broadcast_moved;
    SALESOS_RETURN_IF_ERROR(store_
                                .AdvanceDeliveryUpTo(ws, event.platform(), event.sender_id(),
                                                     event.watermark_ms(), status,
                                                     &broadcast_moved)
                                .status());
    for (const auto& m : broadcast_moved) {
      PublishReceipt(m, event.timestamp_ms());
    }
  }
  PublishUpdated(ws, changed, event.timestamp_ms());
  return OkStatus();
}

void InboundConsumer::PublishUpdated(const std::string& workspace_id,
                                     const std::vector<std::string>& platform_message_ids,
                                     int64_t at_ms) {
  for (const auto& pmid : platform_message_ids) {
    auto message = store_.GetMessageByPlatformId(workspace_id, pmid);
    if (message.ok() && message->has_value()) {
      notifier_.MessageUpdated(**message);
      PublishReceipt(**message, at_ms);
    }
  }
}

void InboundConsumer::PublishReceipt(const MessageRecord& m, int64_t at_ms) {
  if (m.broadcast_recipient_id.empty()) {
    return;
  }
  events::v1::BroadcastReceipt receipt;
  receipt.set_workspace_id(m.workspace_id);
  receipt.set_broadcast_id(m.broadcast_id);
  receipt.set_recipient_id(m.broadcast_recipient_id);
  receipt.set_message_id(m.id);
  receipt.set_status(m.delivery_status);
  if (m.delivery_status == "failed") {
    receipt.set_error(m.error);
  }
  receipt.set_at_ms(at_ms > 0 ? at_ms : NowUnixMillis());
  notifier_.Event("broadcast.receipt", m.workspace_id, receipt);
}

void InboundConsumer::PublishReply(const InboundOutcome& outcome) {
  const auto& c = outcome.conversation;
  const auto& m = outcome.message;
  auto latest = store_.LatestBusinessMessage(c.workspace_id, c.id,
                                             m.platform_timestamp_ms - kReplyLookbackMs);
  if (!latest.ok()) {
    log::Warn("broadcast reply not checked",
              {{"conversationId", c.id}, {"error", latest.status().message()}});
    return;
  }
  if (!latest->has_value() || (*latest)->broadcast_id.empty()) {
    return;
  }
  events::v1::BroadcastReply reply;
  reply.set_workspace_id(c.workspace_id);
  reply.set_broadcast_id((*latest)->broadcast_id);
  reply.set_recipient_id((*latest)->broadcast_recipient_id);
  reply.set_conversation_id(c.id);
  reply.set_message_id(m.id);
  reply.set_at_ms(m.platform_timestamp_ms > 0 ? m.platform_timestamp_ms : NowUnixMillis());
  notifier_.Event("broadcast.reply", c.workspace_id, reply);
}

// After the commit: a lost event costs analytics freshness, never the stored message (the
// notifier logs failures), so the entry is acknowledged either way.
void InboundConsumer::Publish(const InboundOutcome& outcome, const InboundEvent& event) {
  const auto& c = outcome.conversation;
  if (outcome.contact_created) {
    events::v1::ContactCreated created;
    created.set_workspace_id(c.workspace_id);
    created.set_contact_id(outcome.contact.id);
    created.set_source("chat");
    notifier_.Event("contact.created", c.workspace_id, created);
  }
  if (outcome.conversation_started) {
    events::v1::ConversationStarted started;
    started.set_workspace_id(c.workspace_id);
    started.set_conversation_id(c.id);
    started.set_contact_id(c.contact_id);
    started.set_campaign_id(c.campaign_id);
    started.set_platform(c.platform);
    started.set_started_at(c.created_at);
    notifier_.Event("conversation.started", c.workspace_id, started);
  }
  events::v1::MessageReceived received;
  received.set_workspace_id(c.workspace_id);
  received.set_conversation_id(c.id);
  received.set_message_id(outcome.message.id);
  received.set_contact_id(c.contact_id);
  received.set_campaign_id(c.campaign_id);
  received.set_platform(c.platform);
  received.set_sender(outcome.message.sender);
  received.set_type(outcome.message.type);
  received.set_platform_timestamp_ms(outcome.message.platform_timestamp_ms);
  received.set_received_at_ms(event.received_at_ms());
  notifier_.Event("message.received", c.workspace_id, received);
  if (outcome.message.sender == "customer") {
    PublishReply(outcome);
  }
  notifier_.MessageCreated(outcome.message);
  if (outcome.conversation_started) {
    notifier_.ConversationCreated(c);
  } else {
    notifier_.ConversationUpdated(c);
  }
}

}  // namespace salesos::conversation
