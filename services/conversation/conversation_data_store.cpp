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
                     {"phone", "phone"},          {"created_at", "createdAt"},
                     {"title", "title"},          {"account_id", "accountId"},
                     {"source", "source"},        {"journey_stage", "journeyStage"},
                     {"tags", "tags", FieldKind::kJson},
                     {"custom_fields", "customFields", FieldKind::kJson},
                     {"updated_at", "updatedAt"}};
  contacts.search = {"full_name", "email", "phone", "platform_user_id"};
  // A contact's tags and custom values are part of it (no collection of their own).
  contacts.clear_dependants = {"DELETE FROM contact_tags WHERE workspace_id = $1",
                               "DELETE FROM contact_field_values WHERE workspace_id = $1"};
  contacts.delete_dependants = {
      "DELETE FROM contact_tags WHERE workspace_id = $1 AND contact_id = $2",
      "DELETE FROM contact_field_values WHERE workspace_id = $1 AND contact_id = $2",
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

  Collection accounts;
  accounts.name = "accounts";
  accounts.from = "accounts";
  accounts.fields = {{"name", "name"},
                     {"website", "website"},
                     {"industry", "industry"},
                     {"employees", "employees", FieldKind::kInt},
                     {"address", "address", FieldKind::kJson},
                     {"owner_id", "ownerId"},
                     {"parent_account_id", "parentAccountId"},
                     {"type", "type"},
                     {"status", "status"},
                     {"created_at", "createdAt"},
                     {"updated_at", "updatedAt"}};
  accounts.search = {"name", "website", "industry"};
  // No contact keeps a dangling account id.
  accounts.delete_dependants = {
      "UPDATE contacts SET account_id = '' WHERE workspace_id = $1 AND account_id = $2",
      "UPDATE accounts SET parent_account_id = '' WHERE workspace_id = $1 AND "
      "parent_account_id = $2"};
  accounts.clear_dependants = {"UPDATE contacts SET account_id = '' WHERE workspace_id = $1 AND "
                               "account_id <> ''"};

  Collection fields;
  fields.name = "contact_fields";
  fields.from = "contact_fields";
  fields.id_column = "key";
  fields.fields = {{"label", "label"},
                   {"type", "type"},
                   {"options", "options", FieldKind::kJson},
                   {"created_at", "createdAt"}};
  fields.search = {"key", "label"};
  // A deleted field's values go with it (the contacts' JSON copies keep the key until the contact
  // is next written; the API's DeleteContactField removes both).
  fields.delete_dependants = {
      "DELETE FROM contact_field_values WHERE workspace_id = $1 AND key = $2"};
  fields.clear_dependants = {"DELETE FROM contact_field_values WHERE workspace_id = $1"};

  Collection jobs;
  jobs.name = "jobs";
  jobs.from = "jobs";
  jobs.fields = {{"kind", "kind"},
                 {"status", "status"},
                 {"total", "total", FieldKind::kInt},
                 {"processed", "processed", FieldKind::kInt},
                 {"created", "created", FieldKind::kInt},
                 {"updated", "updated", FieldKind::kInt},
                 {"skipped", "skipped", FieldKind::kInt},
                 {"error_count", "errorCount", FieldKind::kInt},
                 {"errors", "errors", FieldKind::kJson},
                 {"created_by", "createdBy"},
                 {"created_at", "createdAt"},
                 {"finished_at", "finishedAt"}};
  jobs.search = {"kind", "status"};

  // Parents before children: Clear empties them in reverse.
  return std::make_unique<data_admin::Catalog>(
      db, "conversation",
      std::vector<Collection>{std::move(contacts), std::move(conversations), std::move(messages),
                              std::move(accounts), std::move(fields), std::move(jobs)});
}

}  // namespace salesos::conversation
