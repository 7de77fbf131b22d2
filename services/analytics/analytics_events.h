#pragma once

// What analytics reads out of a salesos:events entry: one Fact, decoded from the EventEnvelope and
// its typed payload (proto/salesos/events/v1/events.proto). Types analytics does not fold come back
// as kIgnored. Pure: no gRPC, no SQL.

#include <cstdint>
#include <string>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"

namespace salesos::analytics {

struct Fact {
  enum class Kind {
    kIgnored,
    kConversationStarted,  // conversation.started
    kCustomerMessage,      // message.received, sender "customer"
    kReply,                // message.sent (ai, agent), message.received from Meta's inbox (echo)
    kFailedDelivery,       // message.failed
    kAiReplied,            // ai.replied
    kLeadScored,           // lead.scored
    kStatusChanged,        // conversation.status_changed
    kHandoff,              // conversation.handoff
    kConversion,           // conversion.recorded
    kCampaignChanged,      // campaign.*
  };
  Kind kind = Kind::kIgnored;
  std::string type;      // the event type as written
  std::string envelope;  // the serialized EventEnvelope it was decoded from
  std::string event_id;
  std::string workspace_id;
  std::string conversation_id;  // conversation events
  std::string campaign_id;
  std::string platform;
  // When it happened, Unix ms: the payload's own time where it has one (started_at,
  // received_at_ms, sent_at_ms, converted_at), else the envelope's occurred_at.
  int64_t at_ms = 0;

  std::string sender;             // kReply: "ai" | "agent"
  bool fallback = false;          // kAiReplied: a fallback provider answered
  int64_t score = 0;              // kLeadScored
  std::string status;             // kStatusChanged: the new status; kCampaignChanged: "deleted" too
  std::string by;                 // kHandoff: "ai" or a member's user id
  int64_t order_value_minor = 0;  // kConversion
  std::string currency;           // kConversion, upper case
  std::string name;               // kCampaignChanged
  std::string target_platform;    // kCampaignChanged

  // Whether the fact belongs to a conversation (and so waits for its conversation.started).
  bool conversation_scoped() const {
    return kind != Kind::kIgnored && kind != Kind::kConversationStarted &&
           kind != Kind::kCampaignChanged;
  }
};

// The fact of a serialized EventEnvelope. kInvalidArgument for bytes that are not one, or a known
// type whose payload does not parse or lacks its ids (such an entry can never be folded).
Result<Fact> DecodeEnvelope(const std::string& envelope_bytes);
// The fact of a stream entry (its "envelope" field).
Result<Fact> DecodeEntry(const redis::StreamEntry& entry);

}  // namespace salesos::analytics
