#include "conversation_data_store.h"

namespace salesos::conversation {

using data_admin::Collection;
using data_admin::FieldKind;

std::unique_ptr<data_admin::Catalog> ConversationDataCatalog(store::Store& db) {
  Collection contacts;
  contacts.name = "contacts";
  contacts.from = "contacts";
  contacts.fields = {{"platform", "platform"},    {"platform_user_id", "platformUserId"},
                     {"first_name", "firstName"}, {"last_name", "lastName"},
                     {"full_name", "fullName"},   {"email", "email"},
                     {"phone", "phone"},          {"created_at", "createdAt"}};
  contacts.search = {"full_name", "email", "phone", "platform_user_id"};
  contacts.delete_dependants = {
      "DELETE FROM messages WHERE workspace_id = $1 AND conversation_id IN "
      "(SELECT id FROM conversations WHERE workspace_id = $1 AND contact_id = $2)",
      "DELETE FROM conversations WHERE workspace_id = $1 AND contact_id = $2"};

  Collection conversations;
  conversations.name = "conversations";
  conversations.from = "conversations";
  conversations.fields = {{"contact_id", "contactId"},
                          {"campaign_id", "campaignId"},
                          {"platform", "platform"},
                          {"integration_id", "integrationId"},
                          {"status", "status"},
                          {"handler", "handler"},
                          {"assigned_agent_id", "assignedAgentId"},
                          {"lead_score", "leadScore", FieldKind::kInt},
                          {"unread_count", "unreadCount", FieldKind::kInt},
                          {"intent", "intent"},
                          {"ai_summary", "aiSummary"},
                          {"next_action", "nextAction"},
                          {"handoff_reason", "handoffReason"},
                          {"converted_at", "convertedAt"},
                          {"order_value_minor", "orderValueMinor", FieldKind::kInt},
                          {"currency", "currency"},
                          {"last_message_at", "lastMessageAt"},
                          {"created_at", "createdAt"},
                          {"updated_at", "updatedAt"}};
  conversations.search = {"status", "platform", "intent", "ai_summary", "contact_id"};
  conversations.delete_dependants = {
      "DELETE FROM messages WHERE workspace_id = $1 AND conversation_id = $2"};

  Collection messages;
  messages.name = "messages";
  messages.from = "messages";
  messages.fields = {{"conversation_id", "conversationId"},
                     {"sender", "sender"},
                     {"content", "content"},
                     {"type", "type"},
                     {"attachments", "attachments", FieldKind::kJson},
                     {"platform_message_id", "platformMessageId"},
                     {"delivery_status", "deliveryStatus"},
                     {"error", "error"},
                     {"created_at", "createdAt"}};
  messages.search = {"content", "sender", "conversation_id"};

  // Parents before children: Clear empties them in reverse.
  return std::make_unique<data_admin::Catalog>(
      db, "conversation",
      std::vector<Collection>{std::move(contacts), std::move(conversations), std::move(messages)});
}

}  // namespace salesos::conversation
