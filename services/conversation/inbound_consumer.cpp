#include "inbound_consumer.h"

#include <google/protobuf/util/json_util.h>

#include "salesos/campaign/v1/campaign.grpc.pb.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/status_mapping.h"

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

CampaignResolver CampaignsOf(std::shared_ptr<grpc::Channel> campaign_channel,
                             rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<campaign::v1::CampaignService::Stub> stub =
      campaign::v1::CampaignService::NewStub(campaign_channel);
  return [stub, &tokens, timeout_ms](const std::string& workspace_id, const std::string& platform,
                                     const std::string& referral) -> Result<std::string> {
    grpc::ClientContext ctx;
    SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens, timeout_ms));
    campaign::v1::ResolveCampaignForChannelRequest req;
    req.set_workspace_id(workspace_id);
    req.set_platform(platform);
    req.set_referral(referral);
    campaign::v1::ResolveCampaignForChannelResponse resp;
    grpc::Status st = stub->ResolveCampaignForChannel(&ctx, req, &resp);
    if (!st.ok()) {
      return rpc::FromGrpc(st);
    }
    return resp.found() ? resp.campaign().id() : std::string();
  };
}

Status InboundConsumer::Handle(const redis::StreamEntry& entry) {
  const std::string* payload = entry.Field("event");
  InboundEvent event;
  if (payload == nullptr || !event.ParseFromString(*payload)) {
    log::Warn("inbound entry without a readable event, skipped", {{"entryId", entry.id}});
    return OkStatus();
  }
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
  in.contact_name = echo ? "" : event.contact_name();
  if (!echo && campaigns_) {
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
  in.now = FormatRfc3339Millis(NowUnixMillis());
  SALESOS_ASSIGN_OR_RETURN(auto outcome, store_.AppendInbound(in));
  if (!outcome.duplicate) {
    Publish(outcome, event);
  }
  return OkStatus();
}

Status InboundConsumer::AdvanceDelivery(const InboundEvent& event) {
  const std::string& ws = event.workspace_id();
  if (event.kind() == "status") {
    std::string error;
    if (event.status().errors_size() > 0) {
      const auto& e = event.status().errors(0);
      error = std::to_string(e.code()) + " " + e.title();
    }
    return store_.AdvanceDelivery(ws, event.platform_message_id(), event.status().status(), error)
        .status();
  }
  const std::string status = event.kind() == "read" ? "read" : "delivered";
  for (const auto& mid : event.message_ids()) {
    SALESOS_RETURN_IF_ERROR(store_.AdvanceDelivery(ws, mid, status, "").status());
  }
  if (!event.platform_message_id().empty()) {
    SALESOS_RETURN_IF_ERROR(
        store_.AdvanceDelivery(ws, event.platform_message_id(), status, "").status());
  }
  if (event.watermark_ms() > 0) {
    // The customer who received or read them sent this receipt.
    return store_
        .AdvanceDeliveryUpTo(ws, event.platform(), event.sender_id(), event.watermark_ms(), status)
        .status();
  }
  return OkStatus();
}

// After the commit: a lost event costs analytics freshness, never the stored message, so a failed
// publish is logged and the entry still acknowledged.
void InboundConsumer::Publish(const InboundOutcome& outcome, const InboundEvent& event) {
  if (events_ == nullptr) {
    return;
  }
  const auto& c = outcome.conversation;
  if (outcome.conversation_started) {
    events::v1::ConversationStarted started;
    started.set_workspace_id(c.workspace_id);
    started.set_conversation_id(c.id);
    started.set_contact_id(c.contact_id);
    started.set_campaign_id(c.campaign_id);
    started.set_platform(c.platform);
    started.set_started_at(c.created_at);
    auto published = events_->Publish("conversation.started", c.workspace_id, started);
    if (!published.ok()) {
      log::Warn("conversation.started not published",
                {{"conversationId", c.id}, {"error", published.status().message()}});
    }
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
  auto published = events_->Publish("message.received", c.workspace_id, received);
  if (!published.ok()) {
    log::Warn("message.received not published",
              {{"conversationId", c.id}, {"error", published.status().message()}});
  }
}

}  // namespace salesos::conversation
