#pragma once

// ParseMetaWebhook: a Meta webhook body (protocols.md §3–§4) → one InboundEvent per item, for
// every entry and every messaging / change item of a batch:
//   object "page" (Messenger) and "instagram": entry[].messaging[] — message (text, attachments,
//     quick reply, referral, reply_to), echo (is_echo), postback, read (watermark on Messenger,
//     mid on Instagram's messaging_seen), delivery;
//   object "whatsapp_business_account": entry[].changes[] with field "messages" —
//     value.messages[] (text, image, audio, video, document, sticker, interactive button / list
//     reply, template button, location) and value.statuses[] (sent, delivered, read, failed).
// Anything else — another object, field or message type, an Instagram deletion, a standby
// (handover) item, a malformed item — is counted in `ignored` by reason and skipped: never an
// error, so Meta is not made to retry it. Pure function, thread-safe. The events come without
// id, workspace, integration and received_at, which the pipeline fills.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/webhook_ingest/v1/inbound.pb.h"

namespace salesos::webhook_ingest {

// Platform names, as auth's integrations spell them.
inline constexpr char kFacebook[] = "facebook";
inline constexpr char kInstagram[] = "instagram";
inline constexpr char kWhatsApp[] = "whatsapp";

struct ParsedWebhook {
  std::vector<v1::InboundEvent> events;  // in body order
  // Items skipped, by reason: "unknown_object", "unknown_field", "unknown_type:<type>",
  // "unknown_event", "standby", "deleted", "unsupported", "malformed", "system_error",
  // "unknown_status:<status>".
  std::map<std::string, int> ignored;

  int ignored_total() const;
};

// INVALID_ARGUMENT when the body is not JSON (not UTF-8, truncated, ...). A JSON value that is
// not an envelope (nor an array of them, as some of Meta's examples show) is one ignored item.
Result<ParsedWebhook> ParseMetaWebhook(std::string_view body);

// The Redis key that marks an event as seen: salesos:dedupe:<platform>:<id>[:<status>] —
// the mid / wamid for messages, echoes and postbacks (a postback without mid: a hash of sender,
// timestamp and payload), wamid + status for WhatsApp statuses, and for reads and deliveries
// channel, sender and watermark (or the mid seen on Instagram).
std::string DedupeKey(const v1::InboundEvent& event);

}  // namespace salesos::webhook_ingest
