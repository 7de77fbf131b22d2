#pragma once

// ConversationStore: contacts, conversations and messages on libs/store, one code path for SQLite
// and PostgreSQL. Every query filters on the workspace id, so another workspace's row is simply
// not found. AppendInbound is the consumer's whole effect of one inbound message in ONE
// transaction, and is idempotent on the platform message id (a redelivery changes nothing).
// Thread-safe as the Store under it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

// The business's own messages sent by this suite carry this prefix and the message id in the Send
// API's `metadata`; their echoes are recognised by it and not stored twice.
inline constexpr char kOwnMetadataPrefix[] = "salesos:";

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
  // What the AI learnt (aiContext): JSON arrays for the answers ([{questionIndex, question,
  // answer}]) and objections (["too expensive", ...]).
  std::string intent;
  std::string ai_summary;
  std::string qualification_answers = "[]";
  std::string objections = "[]";
  std::string next_action;
  std::string handoff_reason;
  // The sale.
  std::string converted_at;
  int64_t order_value_minor = 0;
  std::string currency;
  std::string order_details;
  // The customer's latest message (platform time, Unix ms); the 24-hour window runs from it.
  int64_t last_customer_message_ms = 0;
  // The AI turn (see migrations/003): when it is due (0: none), leased until, failed attempts.
  int64_t ai_due_ms = 0;
  int64_t ai_lease_until_ms = 0;
  int64_t ai_attempts = 0;
  std::string ai_traceparent;  // the trace of what made the AI turn due
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
  // The outbox (an ai or agent message with delivery_status "pending"): what else the Send API
  // needs (JSON: {"quickReplies": [...], "template": {...}}), attempts so far, when to try next.
  std::string outbound = "{}";
  int64_t send_attempts = 0;
  int64_t next_attempt_ms = 0;
  // A direct send (SendToContactForService, outreach.h): the caller's key ("" stored as NULL; a
  // message with a key is never the outbox's), what it went out for (origin "broadcast" |
  // "occasion" | "automation") and, for a broadcast, which one and which recipient.
  std::string idempotency_key;
  std::string broadcast_id;
  std::string broadcast_recipient_id;
  std::string origin;
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
  // A customer's message to an AI-handled conversation makes its AI turn due at this time (Unix
  // ms; the debounce after it). 0: no AI turn.
  int64_t ai_due_ms = 0;
};

struct InboundOutcome {
  bool duplicate = false;  // the platform message id was stored before: nothing changed
  bool contact_created = false;
  bool conversation_started = false;  // a new open conversation was made for it
  ContactRecord contact;
  ConversationRecord conversation;
  MessageRecord message;
};

// An outbound message waiting in the outbox, with what sending it needs.
struct OutboxItem {
  MessageRecord message;
  std::string platform;
  std::string integration_id;
  std::string recipient_id;  // the contact's platform user id
  // DueSends picked it as its workspace's turn of the round (not to fill the batch): the caller's
  // round-robin cursor moves past its workspace.
  bool workspace_turn = false;
};

// A direct send about to go out (SendToContactForService): the message (sender, content, type,
// outbound, key, origin, broadcast ids) for the contact's open conversation on `platform`,
// opened for campaign_id / integration_id when there is none.
struct DirectSend {
  std::string workspace_id;
  std::string contact_id;
  std::string platform;
  std::string integration_id;
  std::string campaign_id;
  MessageRecord message;
  int64_t now_ms = 0;
  int64_t lease_ms = 0;  // the new message is held (pending, leased) this long for its one attempt
};

struct DirectSendStart {
  bool existing = false;  // the key was stored before: `message` is that message, nothing changed
  bool conversation_started = false;
  ConversationRecord conversation;
  MessageRecord message;
};

// A conversation whose AI turn is due.
struct DueTurn {
  std::string workspace_id;
  std::string conversation_id;
  int64_t due_ms = 0;
  std::string traceparent;  // of what made it due ("" when unknown)
  // DueAiTurns picked it as its workspace's turn of the round (see OutboxItem::workspace_turn).
  bool workspace_turn = false;
};

// What Mutate did: the conversation before and after, and the messages it added.
struct Change {
  ConversationRecord before;
  ConversationRecord after;
  std::vector<MessageRecord> added;
  std::string by;  // who changed it, for events: "ai" or a member's user id (set by the caller)
};

// How one send attempt ended, for FinishSend.
struct SendOutcome {
  enum class Kind { kSent, kRetry, kFailed } kind = Kind::kSent;
  std::string platform_message_id;  // kSent
  int64_t next_attempt_ms = 0;      // kRetry
  std::string error;                // kRetry (the last error) and kFailed
};

class ConversationStore {
 public:
  explicit ConversationStore(store::Store& db) : db_(db) {}

  // Changes one conversation in one transaction: loads it (locked against concurrent changes),
  // lets `fn` edit it and name messages to add, writes every field back and inserts the messages
  // (ids, workspace, conversation and created_at filled in when empty). NOT_FOUND for a
  // conversation of another workspace; `fn`'s error aborts everything and is returned as is.
  using Mutation =
      std::function<Status(ConversationRecord& conversation, std::vector<MessageRecord>& add)>;
  Result<Change> Mutate(const std::string& workspace_id, const std::string& conversation_id,
                        const Mutation& fn);

  // At most `limit` AI turns due at `now_ms` and not leased, fair per workspace
  // (docs/broadcasts.md, "Fairness"): first one turn of each workspace with turns due, its oldest,
  // the workspaces in round-robin order starting after `after_workspace` (the caller's cursor: the
  // workspace of the last item it got with workspace_turn set), then the oldest due turns overall
  // to fill the batch. So a workspace's backlog never keeps another workspace waiting more than
  // one claim per workspace with work, even when each claim takes one item. The cost grows with
  // the number of workspaces with turns pending, not with the size of any backlog.
  Result<std::vector<DueTurn>> DueAiTurns(int64_t now_ms, int64_t limit,
                                          const std::string& after_workspace = "");
  // When the next AI turn falls due (a leased one: when its lease ends); 0 when none is pending.
  Result<int64_t> NextAiTurnMs();
  // Takes the lease of a due turn; false when another took it or a newer message moved it.
  Result<bool> ClaimAiTurn(const DueTurn& turn, int64_t now_ms, int64_t lease_ms);
  // A failed attempt: due again at next_due_ms (unless a newer message moved it), lease dropped.
  Status RetryAiTurn(const DueTurn& turn, int64_t next_due_ms);

  // At most `limit` outbound messages due at `now_ms` and not leased, each the oldest pending one
  // of its conversation (a conversation's messages go out in order), fair per workspace as
  // DueAiTurns: first one message of each workspace in round-robin order after
  // `after_workspace`, then the oldest overall.
  Result<std::vector<OutboxItem>> DueSends(int64_t now_ms, int64_t limit,
                                           const std::string& after_workspace = "");
  // When the next send falls due (a leased one: when its lease ends); 0 when none is pending.
  Result<int64_t> NextSendMs();
  // Takes the lease of a pending message and counts the attempt; false when another took it.
  Result<bool> ClaimSend(const std::string& workspace_id, const std::string& message_id,
                         int64_t now_ms, int64_t lease_ms);
  // Records an attempt's outcome; the message as it is now.
  Result<MessageRecord> FinishSend(const std::string& workspace_id, const std::string& message_id,
                                   const SendOutcome& outcome);

  // Upserts the contact, finds the open (active or qualified) conversation of that contact on
  // that platform or opens one, inserts the message and bumps last_message_at (and unread_count
  // for a customer's message), all in one transaction.
  Result<InboundOutcome> AppendInbound(const InboundMessage& in);

  // Moves delivery_status of the business's message `platform_message_id` forward only
  // (sent < delivered < read; failed is final and keeps `error`). The number of rows changed.
  Result<int64_t> AdvanceDelivery(const std::string& workspace_id,
                                  const std::string& platform_message_id, const std::string& status,
                                  const std::string& error);
  // A watermark: every business message (ai, agent or system) of the contact's conversations on
  // `platform` sent at or before `watermark_ms` moves forward to `status`. The broadcast messages
  // among them (broadcast_recipient_id set) are added to `broadcast_moved` when given, as they
  // are after the change.
  Result<int64_t> AdvanceDeliveryUpTo(const std::string& workspace_id, const std::string& platform,
                                      const std::string& platform_user_id, int64_t watermark_ms,
                                      const std::string& status,
                                      std::vector<MessageRecord>* broadcast_moved = nullptr);

  // Direct sends (outreach.h). In one transaction: the message of `in.message.idempotency_key`
  // when it exists (existing, nothing changed); else the contact's open conversation on the
  // platform (the one an inbound message of the contact joins: newest open on that platform) or
  // a new one, and the message inserted pending, leased for its attempt (send_attempts 1).
  Result<DirectSendStart> BeginDirectSend(const DirectSend& in);
  Result<std::optional<MessageRecord>> GetMessageByIdempotencyKey(const std::string& workspace_id,
                                                                  const std::string& key);
  // When the contact's 24-hour window on `platform` closes (Unix ms; its newest customer message
  // in any conversation there + 24 h); 0 when the customer never wrote there.
  Result<int64_t> ContactWindowExpiresMs(const std::string& workspace_id,
                                         const std::string& contact_id,
                                         const std::string& platform);
  // The newest business message (ai, agent or system) of the conversation at or after since_ms
  // (platform time); nullopt when none.
  Result<std::optional<MessageRecord>> LatestBusinessMessage(const std::string& workspace_id,
                                                             const std::string& conversation_id,
                                                             int64_t since_ms);

  Result<std::optional<ContactRecord>> GetContact(const std::string& workspace_id,
                                                  const std::string& id);
  Result<std::optional<ConversationRecord>> GetConversation(const std::string& workspace_id,
                                                            const std::string& id);
  // Whether the customer (platform user) has an open conversation on the platform: a new message
  // joins it, so its campaign need not be resolved.
  Result<bool> HasOpenConversation(const std::string& workspace_id, const std::string& platform,
                                   const std::string& platform_user_id);
  // Whether the conversation's contact has another open (active or qualified) conversation on the
  // same platform.
  Result<bool> HasOtherOpen(const std::string& workspace_id, const std::string& conversation_id);

  struct ConversationFilter {
    std::string status;
    std::string handler;
    std::string campaign_id;
    std::string platform;
    std::string assigned_to;  // "" any, "none" unassigned, else an agent's user id
    std::string query;        // "" any, else a case-insensitive part of the contact's name or id
                              // or of a message's text
  };
  // Up to `limit` conversations, newest activity first (last_message_at, then id, descending),
  // after the conversation `after_id` ("" from the start).
  Result<std::vector<ConversationRecord>> ListConversations(const std::string& workspace_id,
                                                            const ConversationFilter& filter,
                                                            const std::string& after_id,
                                                            int64_t limit);
  // Up to `limit` messages of a conversation just before the message `before_id` ("" from the
  // newest), returned oldest first. Order: platform time, then id.
  Result<std::vector<MessageRecord>> MessagesBefore(const std::string& workspace_id,
                                                    const std::string& conversation_id,
                                                    const std::string& before_id, int64_t limit);
  Result<std::optional<MessageRecord>> GetMessage(const std::string& workspace_id,
                                                  const std::string& id);
  Result<std::optional<MessageRecord>> GetMessageByPlatformId(
      const std::string& workspace_id, const std::string& platform_message_id);
  // The newest `limit` messages of a conversation, returned oldest first (platform time order).
  Result<std::vector<MessageRecord>> LatestMessages(const std::string& workspace_id,
                                                    const std::string& conversation_id,
                                                    int64_t limit);

 private:
  // " FOR UPDATE" on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises writers).
  std::string ForUpdate() const;

  store::Store& db_;
};

}  // namespace salesos::conversation
