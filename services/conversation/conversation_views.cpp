#include "conversation_views.h"

#include <google/protobuf/util/json_util.h>

#include <boost/json.hpp>

#include "salesos/rpc/json.h"
#include "salesos/core/money.h"
#include "salesos/core/time.h"

namespace salesos::conversation {
namespace {

// A JSON array of strings or of answer objects as the store keeps them; malformed text (never
// written by us) yields nothing rather than an error on a read.
boost::json::array ParseArray(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) {
    return {};
  }
  return v.as_array();
}

}  // namespace

void FillMessage(const MessageRecord& m, v1::Message* out) {
  out->set_id(m.id);
  out->set_conversation_id(m.conversation_id);
  out->set_sender(m.sender);
  out->set_content(m.content);
  out->set_type(m.type);
  out->set_attachments(m.attachments);
  out->set_platform_message_id(m.platform_message_id);
  out->set_delivery_status(m.delivery_status);
  out->set_error(m.error);
  out->set_platform_timestamp_ms(m.platform_timestamp_ms);
  out->set_created_at(m.created_at);
}

void FillContact(const ContactRecord& c, v1::Contact* out) {
  out->set_id(c.id);
  out->set_platform(c.platform);
  out->set_platform_user_id(c.platform_user_id);
  out->set_first_name(c.first_name);
  out->set_last_name(c.last_name);
  out->set_full_name(c.full_name);
  out->set_email(c.email);
  out->set_phone(c.phone);
  out->set_created_at(c.created_at);
}

void FillConversation(const ConversationRecord& c, v1::Conversation* out) {
  out->set_id(c.id);
  out->set_contact_id(c.contact_id);
  out->set_campaign_id(c.campaign_id);
  out->set_platform(c.platform);
  out->set_integration_id(c.integration_id);
  out->set_status(c.status);
  out->set_handler(c.handler);
  out->set_assigned_agent_id(c.assigned_agent_id);
  out->set_lead_score(static_cast<int32_t>(c.lead_score));
  out->set_unread_count(static_cast<int32_t>(c.unread_count));
  out->set_last_message_at(c.last_message_at);
  out->set_created_at(c.created_at);
  out->set_updated_at(c.updated_at);
  out->set_handoff_reason(c.handoff_reason);
  auto* ai = out->mutable_ai_context();
  ai->set_summary(c.ai_summary);
  ai->set_intent(c.intent);
  ai->set_next_action(c.next_action);
  for (const auto& v : ParseArray(c.qualification_answers)) {
    if (!v.is_object()) {
      continue;
    }
    const auto& o = v.as_object();
    auto* a = ai->add_qualification_answers();
    if (const auto* i = o.if_contains("questionIndex"); i != nullptr && i->is_int64()) {
      a->set_question_index(static_cast<int32_t>(i->as_int64()));
    }
    if (const auto* q = o.if_contains("question"); q != nullptr && q->is_string()) {
      a->set_question(std::string(q->as_string()));
    }
    if (const auto* t = o.if_contains("answer"); t != nullptr && t->is_string()) {
      a->set_answer(std::string(t->as_string()));
    }
  }
  for (const auto& v : ParseArray(c.objections)) {
    if (v.is_string()) {
      ai->add_objections(std::string(v.as_string()));
    }
  }
  auto* conversion = out->mutable_conversion();
  conversion->set_converted(!c.converted_at.empty());
  conversion->set_converted_at(c.converted_at);
  if (!c.converted_at.empty()) {
    conversion->set_order_value(MinorToMajor(c.order_value_minor, c.currency));
    conversion->set_currency(c.currency);
    conversion->set_order_details(c.order_details);
  }
  if (int64_t expires = WindowExpiresMs(c); expires > 0) {
    out->set_window_expires_at(FormatRfc3339Millis(expires));
  }
}

int64_t WindowExpiresMs(const ConversationRecord& c) {
  return c.last_customer_message_ms > 0 ? c.last_customer_message_ms + kMessagingWindowMs : 0;
}

long CountUtf8(std::string_view text) {
  long n = 0;
  for (unsigned char ch : text) {
    n += (ch & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

std::string ToJson(const google::protobuf::Message& message) { return rpc::MessageToJson(message); }

}  // namespace salesos::conversation
