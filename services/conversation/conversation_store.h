#pragma once

// ConversationStore: contacts, conversations and messages on libs/store, one code path for SQLite
// and PostgreSQL. Every query filters on the workspace id, so another workspace's row is simply
// not found. AppendInbound is the consumer's whole effect of one inbound message in ONE
// transaction, and is idempotent on the platform message id (a redelivery changes nothing).
// Thread-safe as the Store under it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

struct ContactRecord {
  std::string id;
  std::string workspace_id;
  std::string platform;
  std::string platform_user_id;
  std::string first_name;
  std::string last_name;
  std::string full_name;
  std::string email;
  std::string phone;
  std::string created_at;
};

struct ConversationRecord {
  std::string id;
  std::string workspace_id;
  std::string contact_id;
  std::string campaign_id;
  std::string platform;
  std::string integration_id;
  std::string status = "active";  // active | qualified | converted | closed | archived
  std::string handler = "ai";     // ai | agent
  std::string assigned_agent_id;
  int64_t lead_score = 0;
  int64_t unread_count = 0;
  std::string last_message_at;
  std::string created_at;
  std::string updated_at;
};

struct MessageRecord {
  std::string id;
  std::string workspace_id;
  std::string conversation_id;
  std::string sender;  // customer | ai | agent | system
  std::string content;
  std::string type = "text";
  std::string attachments = "[]";   // JSON text
  std::string platform_message_id;  // "" stored as NULL (outbound not sent yet)
  std::string delivery_status;      // "" | sent | delivered | read | failed
  std::string error;
  int64_t platform_timestamp_ms = 0;
  std::string created_at;
};

// One message from the platform: a customer's (sender "customer") or the business's own echo
// (sender "agent", which also hands the conversation to an agent).
struct InboundMessage {
  std::string workspace_id;
  std::string platform;
  std::string integration_id;
  std::string campaign_id;  // for a conversation opened by this message
  std::string platform_user_id;
  std::string contact_name;  // the platform's profile name, "" when it sent none
  MessageRecord message;     // sender, content, type, attachments, platform ids and times
  std::string now;           // RFC 3339, for created/updated times
};

struct InboundOutcome {
  bool duplicate = false;  // the platform message id was stored before: nothing changed
  bool contact_created = false;
  bool conversation_started = false;  // a new open conversation was made for it
  ContactRecord contact;
  ConversationRecord conversation;
  MessageRecord message;
};

class ConversationStore {
 public:
  explicit ConversationStore(store::Store& db) : db_(db) {}

  // Upserts the contact, finds the open (active or qualified) conversation of that contact on
  // that platform or opens one, inserts the message and bumps last_message_at (and unread_count
  // for a customer's message), all in one transaction.
  Result<InboundOutcome> AppendInbound(const InboundMessage& in);

  // Moves delivery_status of the business's message `platform_message_id` forward only
  // (sent < delivered < read; failed is final and keeps `error`). The number of rows changed.
  Result<int64_t> AdvanceDelivery(const std::string& workspace_id,
                                  const std::string& platform_message_id, const std::string& status,
                                  const std::string& error);
  // A watermark: every business message (ai or agent) of the contact's open conversations on
  // `platform` sent at or before `watermark_ms` moves forward to `status`.
  Result<int64_t> AdvanceDeliveryUpTo(const std::string& workspace_id, const std::string& platform,
                                      const std::string& platform_user_id, int64_t watermark_ms,
                                      const std::string& status);

  Result<std::optional<ContactRecord>> GetContact(const std::string& workspace_id,
                                                  const std::string& id);
  Result<std::optional<ConversationRecord>> GetConversation(const std::string& workspace_id,
                                                            const std::string& id);

  struct ConversationFilter {
    std::string status;
    std::string handler;
    std::string campaign_id;
    std::string platform;
  };
  // Up to `limit` conversations, newest activity first (last_message_at, then id, descending),
  // after the conversation `after_id` ("" from the start).
  Result<std::vector<ConversationRecord>> ListConversations(const std::string& workspace_id,
                                                            const ConversationFilter& filter,
                                                            const std::string& after_id,
                                                            int64_t limit);
  // Up to `limit` messages of a conversation in id (arrival) order, after `after_id`.
  Result<std::vector<MessageRecord>> ListMessages(const std::string& workspace_id,
                                                  const std::string& conversation_id,
                                                  const std::string& after_id, int64_t limit);
  // The newest `limit` messages of a conversation, returned oldest first.
  Result<std::vector<MessageRecord>> LatestMessages(const std::string& workspace_id,
                                                    const std::string& conversation_id,
                                                    int64_t limit);

 private:
  store::Store& db_;
};

}  // namespace salesos::conversation
