#pragma once

// The channel adapter's wire: one message out through Meta's Graph Send APIs (protocols.md §5).
//
//   Messenger  POST {base}/{PAGE-ID}/messages?access_token=<token>
//              {"recipient":{"id":PSID},"messaging_type":"RESPONSE","message":{"text",
//               "metadata"?,"quick_replies"?},"reply_to":{"mid"}?}
//   Instagram  POST {base}/me/messages?access_token=<token>
//              {"recipient":{"id":IGSID},"messaging_type":"RESPONSE","message":{"text",
//               "metadata"?,"quick_replies"?}}
//   WhatsApp   POST {base}/{PHONE_NUMBER_ID}/messages, Authorization: Bearer <token>
//              {"messaging_product":"whatsapp","recipient_type":"individual","to":"+<wa_id>",
//               "type":"text"|"interactive"|"template", ..., "context":{"message_id"}?}
//
// GraphClient promises:
// - Send makes one attempt (no retries: the caller owns backoff and the 24 h window) over
//   salesos::http::HttpClient, bounded by GraphClientOptions::timeout_ms end to end.
// - It never throws and never fails silently: the result says sent (with Graph's message id) or
//   not sent, retryable or not, with Graph's error code, subcode, fbtrace_id and a short text
//   for the stored message. Retryable per protocols.md §5.4: the codes IsRetryableGraphCode
//   lists, transport failures, timeouts, HTTP 408/429 and 5xx answers without a Graph error.
//   Everything else (a Graph error with another code, a 2xx without the message id, a request
//   refused before sending) is permanent.
// - The access token is sent only where Graph expects it (the query for Messenger/Instagram,
//   the Authorization header for WhatsApp); it is never logged and never in `error`, even when
//   the server echoes it.
// - Thread-safe: one client serves concurrent Sends.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"

namespace salesos::http {
class HttpClient;
}

namespace salesos::conversation {

inline constexpr size_t kMaxQuickReplies = 13;            // Messenger / Instagram
inline constexpr size_t kMaxReplyButtons = 3;             // WhatsApp interactive buttons
inline constexpr size_t kMaxQuickReplyTitle = 20;         // characters, both
inline constexpr size_t kMaxInteractiveBodyChars = 1024;  // WhatsApp interactive body

// What to send, platform-neutral.
struct OutboundMessage {
  std::string platform;      // "facebook" | "instagram" | "whatsapp"
  std::string recipient_id;  // PSID, IGSID, or WhatsApp wa_id (digits; sent as "+"+wa_id)
  std::string text;
  // Messenger/IG: quick_replies (at most 13; titles cut to 20 characters, empty ones skipped; the
  // payload is the whole option, up to 1000 bytes). WhatsApp: the first 3 distinct options become
  // interactive reply buttons (title cut to 20 characters, id the whole option up to 256 bytes)
  // when the text fits an interactive body (1024 characters); else the text goes plain.
  std::vector<std::string> quick_replies;
  std::string metadata;  // Messenger/IG message.metadata (our message id); ignored by WhatsApp
  std::string reply_to;  // WhatsApp context.message_id / Messenger reply_to.mid, when set
  // A WhatsApp template (the only kind allowed outside the 24 h window); used when
  // template_name is set, and then `text` and `quick_replies` are ignored.
  std::string template_name;
  std::string template_language;                 // required with a template: "en_US"
  std::vector<std::string> template_parameters;  // body text parameters, in order
};

struct ChannelAccess {
  std::string platform;
  std::string external_id;   // Messenger: Page id; Instagram: the IG account id; WhatsApp:
                             // phone_number_id
  std::string access_token;  // never logged, never in error messages
  std::string workspace_id;  // the integration's workspace ("" when the source does not say)
};

struct GraphSendResult {
  bool sent = false;
  std::string message_id;  // Graph's id (m_..., or wamid...) when sent
  bool retryable = false;  // not sent: may trying again later succeed (see the header comment)
  // A floor for the next attempt when the answer says so (Retry-After, or the usage header's
  // estimated_time_to_regain_access); 0 otherwise. The 4^attempt s of 131056 is the caller's.
  int64_t retry_after_ms = 0;
  int64_t error_code = 0;  // Graph error.code; 0 for transport failures
  int64_t error_subcode = 0;
  // For the stored message: "131047 Re-engagement message: <details>", "timeout: no answer
  // within 10000 ms", "HTTP 502"; at most ~500 bytes; never contains the token.
  std::string error;
  std::string fbtrace_id;
  int http_status = 0;  // the answer's HTTP status; 0 when none arrived
};

struct GraphClientOptions {
  int timeout_ms = 10000;
  std::string extra_ca_pem;  // PEM certificates trusted besides the system store
};

class GraphClient {
 public:
  // base: SALESOS_GRAPH_API_BASE, e.g. "https://graph.facebook.com/v21.0" or
  // "http://127.0.0.1:PORT/v21.0" in tests (trailing slash tolerated). A URL that is not http(s)
  // with a host, or that has a query, is InvalidArgument naming SALESOS_GRAPH_API_BASE.
  static Result<std::unique_ptr<GraphClient>> Create(std::string base,
                                                     GraphClientOptions options = {});
  ~GraphClient();
  GraphClient(const GraphClient&) = delete;
  GraphClient& operator=(const GraphClient&) = delete;

  // One attempt. Refused before sending (permanent, error_code 0): an unknown platform, access
  // for another platform, no recipient, token or external id, nothing to send, a text over the
  // platform's limit (SplitForPlatform first), a template without a language.
  GraphSendResult Send(const ChannelAccess& access, const OutboundMessage& msg) const;

  const std::string& base() const { return base_; }

 private:
  GraphClient(std::string base, GraphClientOptions options);

  std::string base_;  // without a trailing slash
  GraphClientOptions options_;
  std::unique_ptr<http::HttpClient> http_;
};

// Classification per protocols.md §5.4: retryable codes 1, 2, 4, 17, 32, 341, 613, 1200, 80007,
// 130429, 131000, 131056, 133004; everything else permanent.
bool IsRetryableGraphCode(int64_t code);

// The most a platform's text may hold: Messenger ("facebook") 1999 UTF-8 code points (Graph:
// "< 2000 characters"), Instagram 999 UTF-8 bytes ("< 1000", read as bytes to be safe),
// WhatsApp 4096 code points. 0 for an unknown platform.
size_t TextLimit(std::string_view platform);
// Whether `text` is within TextLimit(platform), counted in that platform's unit. False for an
// unknown platform.
bool FitsTextLimit(std::string_view platform, std::string_view text);

// Splits text into parts that each fit the platform's limit, cutting at the last paragraph break,
// else line break, else sentence end, else space that leaves the part at least half full; else
// (one long word, CJK without punctuation) at the limit, never inside a UTF-8 sequence nor
// before a combining mark, variation selector, skin-tone modifier or after a zero-width joiner
// when that can be helped. Whitespace around the cuts is dropped; an empty or blank text gives no
// parts. An unknown platform gives the text as one part.
std::vector<std::string> SplitForPlatform(std::string_view platform, std::string_view text);

}  // namespace salesos::conversation
