#pragma once

// Outreach: what broadcasts (campaign), the occasion scheduler and automations need of
// conversation to reach contacts who did not write first.
//
// ResolveAudience: the contacts a segment rule tree matches, as recipients on one platform: one
// SQL query a page (only the columns a recipient needs, ordered by contact id, up to 5,000), and
// one COUNT query for the creation-time checks. address: facebook_id / instagram_id, or on
// WhatsApp the whatsapp_id, else the phone without '+'. window_open: the customer's newest
// message in any of its conversations on that platform is less than 24 hours old.
//
// SendToContact: one message to one contact through one integration, now, in ONE Send API attempt
// (the caller paces and retries). The message (sender "system", origin and broadcast ids kept) is
// stored pending in the conversation an inbound message of the contact would join (its newest
// open one on the platform; opened for campaign_id when none), so the customer's answer lands
// there; it is then sent through the outbox's own attempt (Outbox::Send: credentials, Graph,
// the sent/failed commit, message.updated and message.sent / message.failed), never by the outbox
// loop (a message with an idempotency key is not the outbox's). Deduplicated on idempotency_key:
//   the key's message was sent (or delivered, read) → the same ids, no Graph call;
//   still pending (a crash, or a retryable failure) and not leased → sent again;
//   pending and leased (another call is sending it) → not sent, retryable, retry_after_ms;
//   failed → the same failure, no Graph call.
// Refusals (nothing stored): NOT_FOUND for a contact or an integration of another workspace;
// FAILED_PRECONDITION for an opted-out contact, no address on the platform, free text outside
// the 24-hour window (Messenger, Instagram, WhatsApp alike); INVALID_ARGUMENT for a bad request.
// A platform's refusal is not an error: sent=false with its code and text.
// Thread-safe as the store and the outbox.

#include <cstdint>
#include <string>

#include "conversation_peers.h"
#include "conversation_store.h"
#include "notifier.h"
#include "outbox.h"
#include "salesos/conversation/v1/conversation.pb.h"
#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

inline constexpr int kMaxAudiencePage = 5000;
inline constexpr int kMaxTemplateParameters = 20;

// A WhatsApp template checked (name, language, at most 20 body parameters of 1..1,024
// characters; INVALID_ARGUMENT naming "template.<field>") as the message's `outbound` JSON.
Result<std::string> TemplateOutbound(const v1::TemplateMessage& t);

// Audience pages for broadcasts (ResolveAudienceForService).
Status ResolveAudience(store::Store& db, const v1::ResolveAudienceForServiceRequest& req,
                       v1::ResolveAudienceForServiceResponse* resp);

class Outreach {
 public:
  // `outbox`, `credentials` and `notifier` must outlive it. lease_ms: how long a send is held by
  // its caller before a repeat of its key may send it again (longer than a Graph call).
  Outreach(store::Store& db, Outbox& outbox, ChannelCredentials& credentials, Notifier& notifier,
           int64_t lease_ms = 30'000)
      : db_(db),
        store_(db),
        outbox_(outbox),
        credentials_(credentials),
        notifier_(notifier),
        lease_ms_(lease_ms) {}

  Status SendToContact(const v1::SendToContactForServiceRequest& req,
                       v1::SendToContactForServiceResponse* resp);

 private:
  // The answer to a key seen before: its outcome, or (pending, not leased) one more attempt.
  Status Repeat(const MessageRecord& seen, const std::string& recipient,
                const std::string& integration_id, const std::string& platform,
                v1::SendToContactForServiceResponse* resp);
  // One attempt of the leased pending message `m`; its outcome into resp.
  Status Attempt(const MessageRecord& m, const std::string& recipient,
                 const std::string& integration_id, const std::string& platform,
                 v1::SendToContactForServiceResponse* resp);
  // A stored message's outcome as the response says it.
  static Status Answer(const MessageRecord& m, v1::SendToContactForServiceResponse* resp);

  store::Store& db_;
  ConversationStore store_;
  Outbox& outbox_;
  ChannelCredentials& credentials_;
  Notifier& notifier_;
  int64_t lease_ms_;
};

}  // namespace salesos::conversation
