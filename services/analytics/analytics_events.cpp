#include "analytics_events.h"

#include <algorithm>
#include <cctype>

#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"

namespace salesos::analytics {
namespace {

namespace ev = events::v1;
using Kind = Fact::Kind;

template <typename Payload>
Result<Payload> ParsePayload(const ev::EventEnvelope& envelope) {
  Payload p;
  if (!p.ParseFromString(envelope.payload())) {
    return InvalidArgument("event " + envelope.id() + " of type " + envelope.type() +
                           ": the payload does not parse");
  }
  return p;
}

// The first positive of the times, else `fallback`.
int64_t FirstTime(std::initializer_list<int64_t> times, int64_t fallback) {
  for (int64_t t : times) {
    if (t > 0) {
      return t;
    }
  }
  return fallback;
}

int64_t ParsedOr(const std::string& rfc3339, int64_t fallback) {
  auto t = ParseRfc3339Millis(rfc3339);
  return t ? *t : fallback;
}

// The conversation ids every conversation fact carries.
template <typename Payload>
void TakeConversation(const Payload& p, Fact& f) {
  f.conversation_id = p.conversation_id();
  f.campaign_id = p.campaign_id();
}

Status Fill(const ev::EventEnvelope& e, Fact& f) {
  const std::string& t = e.type();
  if (t == "conversation.started") {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::ConversationStarted>(e));
    f.kind = Kind::kConversationStarted;
    TakeConversation(p, f);
    f.platform = p.platform();
    f.at_ms = ParsedOr(p.started_at(), f.at_ms);
  } else if (t == "message.received") {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::MessageReceived>(e));
    TakeConversation(p, f);
    f.platform = p.platform();
    f.at_ms = FirstTime({p.received_at_ms(), p.platform_timestamp_ms()}, f.at_ms);
    if (p.sender() == "customer") {
      f.kind = Kind::kCustomerMessage;
    } else if (p.sender() == "agent") {
      f.kind = Kind::kReply;  // an echo: a person answered from Meta's own inbox
      f.sender = "agent";
    }
  } else if (t == "message.sent") {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::MessageSent>(e));
    TakeConversation(p, f);
    f.platform = p.platform();
    f.at_ms = FirstTime({p.sent_at_ms()}, f.at_ms);
    if (p.sender() == "ai" || p.sender() == "agent") {
      f.kind = Kind::kReply;
      f.sender = p.sender();
    }
  } else if (t == "message.failed") {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::MessageFailed>(e));
    f.kind = Kind::kFailedDelivery;
    TakeConversation(p, f);
    f.platform = p.platform();
  } else if (t == "ai.replied") {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::AiReplied>(e));
    f.kind = Kind::kAiReplied;
    TakeConversation(p, f);
    f.fallback = !p.fallback_reason().empty();
  } else if (t == "lead.scored") {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::LeadScored>(e));
    f.kind = Kind::kLeadScored;
    TakeConversation(p, f);
    f.score = p.score();
  } else if (t == "conversation.status_changed") {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::ConversationStatusChanged>(e));
    f.kind = Kind::kStatusChanged;
    TakeConversation(p, f);
    f.status = p.to();
  } else if (t == "conversation.handoff") {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::ConversationHandoff>(e));
    f.kind = Kind::kHandoff;
    TakeConversation(p, f);
    f.by = p.by();
  } else if (t == "conversion.recorded") {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::ConversionRecorded>(e));
    f.kind = Kind::kConversion;
    TakeConversation(p, f);
    f.at_ms = ParsedOr(p.converted_at(), f.at_ms);
    f.order_value_minor = std::max<int64_t>(0, p.order_value_minor());
    f.currency = p.currency();
    std::transform(f.currency.begin(), f.currency.end(), f.currency.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (f.currency.empty()) {
      f.currency = "USD";
    }
  } else if (t.rfind("campaign.", 0) == 0) {
    SALESOS_ASSIGN_OR_RETURN(auto p, ParsePayload<ev::CampaignChanged>(e));
    f.kind = Kind::kCampaignChanged;
    f.campaign_id = p.campaign_id();
    f.name = p.name();
    f.status = t == "campaign.deleted" ? "deleted" : p.status();
    f.target_platform = p.target_platform();
    if (f.campaign_id.empty()) {
      return InvalidArgument("event " + e.id() + " of type " + t + " names no campaign");
    }
  }
  if (f.conversation_scoped() || f.kind == Kind::kConversationStarted) {
    if (f.conversation_id.empty()) {
      return InvalidArgument("event " + e.id() + " of type " + t + " names no conversation");
    }
  }
  return OkStatus();
}

}  // namespace

Result<Fact> DecodeEnvelope(const std::string& envelope_bytes) {
  ev::EventEnvelope e;
  if (!e.ParseFromString(envelope_bytes) || e.id().empty()) {
    return InvalidArgument("not an EventEnvelope with an id");
  }
  Fact f;
  f.type = e.type();
  f.envelope = envelope_bytes;
  f.event_id = e.id();
  f.workspace_id = e.workspace_id();
  f.at_ms = ParsedOr(e.occurred_at(), 0);
  SALESOS_RETURN_IF_ERROR(Fill(e, f));
  if (f.kind != Kind::kIgnored && f.workspace_id.empty()) {
    return InvalidArgument("event " + e.id() + " of type " + f.type + " names no workspace");
  }
  return f;
}

Result<Fact> DecodeEntry(const redis::StreamEntry& entry) {
  const std::string* envelope = entry.Field("envelope");
  if (envelope == nullptr) {
    return InvalidArgument("stream entry " + entry.id + " has no envelope");
  }
  return DecodeEnvelope(*envelope);
}

}  // namespace salesos::analytics
