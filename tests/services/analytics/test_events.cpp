#include "test_events.h"

#include <catch2/catch.hpp>

#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/core/time_zone.h"

namespace salesos::analytics::testing {

namespace ev = events::v1;

int64_t At(int hour, int minute, int second, int day_offset) {
  return ((DaysFromCivil(2026, 3, 2) + day_offset) * 86400 + hour * 3600 + minute * 60 + second) *
         1000;
}

std::string Events::Envelope(const std::string& type, const std::string& payload, int64_t at_ms) {
  ev::EventEnvelope e;
  e.set_id(prefix_ + "-" + std::to_string(++next_));
  e.set_type(type);
  e.set_workspace_id(workspace_id_);
  e.set_occurred_at(FormatRfc3339Millis(at_ms));
  e.set_source("test");
  e.set_payload(payload);
  return e.SerializeAsString();
}

Fact Events::Decode(const std::string& type, const std::string& payload, int64_t at_ms) {
  auto fact = DecodeEnvelope(Envelope(type, payload, at_ms));
  INFO(fact.status().ToString());
  REQUIRE(fact.ok());
  return *fact;
}

Fact Events::Started(const std::string& conversation, const std::string& campaign,
                     const std::string& platform, int64_t at_ms) {
  ev::ConversationStarted p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_contact_id("contact-" + conversation);
  p.set_campaign_id(campaign);
  p.set_platform(platform);
  p.set_started_at(FormatRfc3339Millis(at_ms));
  // The envelope's own time is later: the payload's time is the one that counts.
  return Decode("conversation.started", p.SerializeAsString(), at_ms + 5);
}

Fact Events::CustomerMessage(const std::string& conversation, const std::string& campaign,
                             const std::string& platform, int64_t at_ms) {
  ev::MessageReceived p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_message_id("m-" + std::to_string(next_ + 1));
  p.set_campaign_id(campaign);
  p.set_platform(platform);
  p.set_sender("customer");
  p.set_type("text");
  p.set_platform_timestamp_ms(at_ms - 200);
  p.set_received_at_ms(at_ms);
  return Decode("message.received", p.SerializeAsString(), at_ms + 5);
}

Fact Events::Echo(const std::string& conversation, const std::string& campaign,
                  const std::string& platform, int64_t at_ms) {
  ev::MessageReceived p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_campaign_id(campaign);
  p.set_platform(platform);
  p.set_sender("agent");
  p.set_type("text");
  p.set_platform_timestamp_ms(at_ms - 200);
  p.set_received_at_ms(at_ms);
  return Decode("message.received", p.SerializeAsString(), at_ms + 5);
}

Fact Events::Sent(const std::string& conversation, const std::string& campaign,
                  const std::string& platform, const std::string& sender, int64_t at_ms) {
  ev::MessageSent p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_campaign_id(campaign);
  p.set_platform(platform);
  p.set_sender(sender);
  p.set_queued_at_ms(at_ms - 1000);
  p.set_sent_at_ms(at_ms);
  return Decode("message.sent", p.SerializeAsString(), at_ms + 5);
}

Fact Events::Failed(const std::string& conversation, const std::string& campaign,
                    const std::string& platform, int64_t at_ms) {
  ev::MessageFailed p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_campaign_id(campaign);
  p.set_platform(platform);
  p.set_sender("ai");
  p.set_error("131047 Re-engagement message");
  return Decode("message.failed", p.SerializeAsString(), at_ms);
}

Fact Events::AiReplied(const std::string& conversation, const std::string& campaign,
                       const std::string& fallback_reason, int64_t at_ms) {
  ev::AiReplied p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_campaign_id(campaign);
  p.set_provider(fallback_reason.empty() ? "openai-compatible" : "builtin");
  p.set_fallback_reason(fallback_reason);
  p.set_response_ms(1500);
  return Decode("ai.replied", p.SerializeAsString(), at_ms);
}

Fact Events::LeadScored(const std::string& conversation, const std::string& campaign, int score,
                        int64_t at_ms) {
  ev::LeadScored p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_campaign_id(campaign);
  p.set_score(score);
  return Decode("lead.scored", p.SerializeAsString(), at_ms);
}

Fact Events::StatusChanged(const std::string& conversation, const std::string& campaign,
                           const std::string& from, const std::string& to, int64_t at_ms) {
  ev::ConversationStatusChanged p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_campaign_id(campaign);
  p.set_from(from);
  p.set_to(to);
  p.set_changed_by("ai");
  return Decode("conversation.status_changed", p.SerializeAsString(), at_ms);
}

Fact Events::Handoff(const std::string& conversation, const std::string& campaign,
                     const std::string& by, int64_t at_ms) {
  ev::ConversationHandoff p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_campaign_id(campaign);
  p.set_reason("human_request");
  p.set_by(by);
  return Decode("conversation.handoff", p.SerializeAsString(), at_ms);
}

Fact Events::Conversion(const std::string& conversation, const std::string& campaign,
                        int64_t order_value_minor, const std::string& currency, int64_t at_ms) {
  ev::ConversionRecorded p;
  p.set_workspace_id(workspace_id_);
  p.set_conversation_id(conversation);
  p.set_campaign_id(campaign);
  p.set_order_value_minor(order_value_minor);
  p.set_currency(currency);
  p.set_recorded_by("user-1");
  p.set_converted_at(FormatRfc3339Millis(at_ms));
  return Decode("conversion.recorded", p.SerializeAsString(), at_ms + 5);
}

Fact Events::Campaign(const std::string& change, const std::string& campaign,
                      const std::string& name, const std::string& status,
                      const std::string& target_platform, int64_t at_ms) {
  ev::CampaignChanged p;
  p.set_workspace_id(workspace_id_);
  p.set_campaign_id(campaign);
  p.set_name(name);
  p.set_status(status);
  p.set_target_platform(target_platform);
  return Decode("campaign." + change, p.SerializeAsString(), at_ms);
}

}  // namespace salesos::analytics::testing
