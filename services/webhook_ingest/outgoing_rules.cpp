#include "outgoing_rules.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <memory>

#include "salesos/rpc/json.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/crypto/hash.h"

namespace salesos::webhook_ingest {
namespace {

namespace ev = events::v1;
using google::protobuf::Message;

// Each subscribable type and the payload message it carries (events.proto).
const std::map<std::string, const Message*>& PayloadTypes() {
  static const auto* kTypes = new std::map<std::string, const Message*>{
      {"workspace.profile_updated", &ev::WorkspaceProfileUpdated::default_instance()},
      {"workspace.deleted", &ev::WorkspaceDeleted::default_instance()},
      {"channel.changed", &ev::ChannelChanged::default_instance()},
      {"campaign.created", &ev::CampaignChanged::default_instance()},
      {"campaign.updated", &ev::CampaignChanged::default_instance()},
      {"campaign.activated", &ev::CampaignChanged::default_instance()},
      {"campaign.paused", &ev::CampaignChanged::default_instance()},
      {"campaign.completed", &ev::CampaignChanged::default_instance()},
      {"campaign.deleted", &ev::CampaignChanged::default_instance()},
      {"conversation.started", &ev::ConversationStarted::default_instance()},
      {"message.received", &ev::MessageReceived::default_instance()},
      {"message.sent", &ev::MessageSent::default_instance()},
      {"message.failed", &ev::MessageFailed::default_instance()},
      {"conversation.status_changed", &ev::ConversationStatusChanged::default_instance()},
      {"conversation.handoff", &ev::ConversationHandoff::default_instance()},
      {"lead.scored", &ev::LeadScored::default_instance()},
      {"conversion.recorded", &ev::ConversionRecorded::default_instance()},
      {"ai.replied", &ev::AiReplied::default_instance()},
      {"contact.created", &ev::ContactCreated::default_instance()},
      {"broadcast.updated", &ev::BroadcastUpdated::default_instance()},
      {"broadcast.receipt", &ev::BroadcastReceipt::default_instance()},
      {"broadcast.reply", &ev::BroadcastReply::default_instance()},
      {"data.deleted", &ev::DataDeleted::default_instance()},
      {"data.cleared", &ev::DataCleared::default_instance()},
      {kAutomationWebhookType, &ev::AutomationWebhook::default_instance()},
  };
  return *kTypes;
}

boost::json::value PayloadJson(const ev::EventEnvelope& envelope) {
  const auto& types = PayloadTypes();
  auto it = types.find(envelope.type());
  if (it == types.end()) {
    return boost::json::object();
  }
  std::unique_ptr<Message> payload(it->second->New());
  if (!payload->ParseFromString(envelope.payload())) {
    log::Warn("outgoing webhook: event payload does not parse; delivering data {}",
              {{"eventId", envelope.id()}, {"type", envelope.type()}});
    return boost::json::object();
  }
  const std::string json = rpc::MessageToJson(*payload);
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  return ec ? boost::json::value(boost::json::object()) : value;
}

}  // namespace

const std::vector<std::string>& SubscribableEventTypes() {
  static const auto* kTypes = new std::vector<std::string>{
      "message.received",     "message.sent",
      "message.failed",       "conversation.started",
      "conversation.status_changed", "conversation.handoff",
      "lead.scored",          "conversion.recorded",
      "ai.replied",           "contact.created",
      "campaign.created",     "campaign.updated",
      "campaign.activated",   "campaign.paused",
      "campaign.completed",   "campaign.deleted",
      "broadcast.updated",    "broadcast.receipt",
      "broadcast.reply",      "channel.changed",
      "workspace.profile_updated", "data.deleted",
      "data.cleared",
  };
  return *kTypes;
}

Result<std::vector<std::string>> ValidateEventTypes(const std::vector<std::string>& events) {
  if (events.empty()) {
    return FieldError("events", "must name at least one event type (or \"*\" for all)");
  }
  if (events.size() > static_cast<size_t>(kMaxWebhookEventTypes)) {
    return FieldError("events", "must name at most 50 event types");
  }
  const auto& known = SubscribableEventTypes();
  std::vector<std::string> out;
  for (const auto& type : events) {
    if (type != kAllEvents && std::find(known.begin(), known.end(), type) == known.end()) {
      std::string shown = type.substr(0, 60);
      if (type == kAutomationWebhookType) {
        return FieldError("events",
                          "automation.webhook cannot be subscribed to: an automation's webhook "
                          "action names its webhook");
      }
      return FieldError("events", "unknown event type \"" + shown +
                                      "\" (docs/webhooks.md lists them; \"*\" is all)");
    }
    if (std::find(out.begin(), out.end(), type) == out.end()) {
      out.push_back(type);
    }
  }
  return out;
}

bool Subscribes(const std::vector<std::string>& events, std::string_view type) {
  if (type == kAutomationWebhookType) {
    return false;
  }
  return std::any_of(events.begin(), events.end(),
                     [type](const std::string& e) { return e == kAllEvents || e == type; });
}

Result<std::string> ResolveSecret(const std::string& given) {
  if (given.empty()) {
    return "whsec_" + RandomHex(24);
  }
  if (given.size() < kMinWebhookSecretLength || given.size() > kMaxWebhookSecretLength) {
    return FieldError("secret", "must be 16 to 200 characters, or empty to have one made");
  }
  bool printable = std::all_of(given.begin(), given.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
  if (!printable) {
    return FieldError("secret", "must be printable ASCII without spaces");
  }
  return given;
}

std::string SecretHint(std::string_view secret) {
  return "\u2026" + std::string(secret.substr(secret.size() > 4 ? secret.size() - 4 : 0));
}

std::string EventBody(const ev::EventEnvelope& envelope) {
  boost::json::object body;
  body["id"] = envelope.id();
  body["type"] = envelope.type();
  body["workspaceId"] = envelope.workspace_id();
  body["occurredAt"] = envelope.occurred_at();
  body["data"] = PayloadJson(envelope);
  return boost::json::serialize(body);
}

std::string SignatureHeader(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  std::string t = std::to_string(unix_seconds);
  std::string signed_text = t + "." + std::string(body);
  return "t=" + t + ",v1=" + HexEncode(crypto::HmacSha256(secret, signed_text));
}

int64_t RetryDelayMs(int failed_attempts, int64_t base_ms) {
  int64_t delay = std::max<int64_t>(base_ms, 1);
  for (int i = 1; i < failed_attempts && delay < kMaxRetryDelayMs; ++i) {
    delay *= 2;
  }
  return std::min(delay, kMaxRetryDelayMs);
}

std::optional<int64_t> NextAttemptMs(int failed_attempts, int64_t first_attempt_ms, int64_t now_ms,
                                     int64_t base_ms) {
  int64_t next = now_ms + RetryDelayMs(failed_attempts, base_ms);
  if (next > first_attempt_ms + kRetryWindowMs) {
    return std::nullopt;
  }
  return next;
}

}  // namespace salesos::webhook_ingest
