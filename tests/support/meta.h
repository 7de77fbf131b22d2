#pragma once

// Meta's side of an integration test: a suite that knows the app secret, channels connected
// through the API, and signed webhook deliveries built from protocols.md §4's shapes with the
// ids, texts and times a test chooses (times near now keep the 24-hour window open).

#include <cstdint>
#include <string>
#include <vector>

#include "support/api.h"
#include "support/http_client.h"
#include "support/suite.h"

namespace salesos::testing {

inline constexpr char kMetaAppSecret[] = "5b2c6f0e9d8a7b6c5d4e3f2a1b0c9d8e";

// SALESOS_META_APP_SECRET (and the verify token) set, plus `extra_env`.
SuiteOptions MetaSuiteOptions(std::vector<std::string> extra_env = {});

// A random numeric id like Meta's (Page, IG account, phone_number_id, PSID).
std::string NewMetaId();
// "sha256=<hex HMAC-SHA256 of body with kMetaAppSecret>"
std::string MetaSignature(const std::string& body);
// POST /webhooks/meta with a valid signature.
HttpResult PostMetaWebhook(HttpClient& http, const std::string& body);

// Connects a channel through POST /api/v1/integrations; its integration id (std::runtime_error
// when refused).
// platform "facebook" | "instagram" | "whatsapp"; external_id the Page / IG account /
// phone_number_id; token the page or system-user access token.
std::string ConnectChannel(HttpClient& http, const Account& owner, const std::string& platform,
                           const std::string& external_id, const std::string& token);

// Customers' messages, one per delivery.
std::string MessengerTextBody(const std::string& page_id, const std::string& psid,
                              const std::string& mid, const std::string& text, int64_t ts_ms);
std::string InstagramTextBody(const std::string& account_id, const std::string& igsid,
                              const std::string& mid, const std::string& text, int64_t ts_ms);
std::string WhatsAppTextBody(const std::string& phone_number_id, const std::string& wa_id,
                             const std::string& profile_name, const std::string& wamid,
                             const std::string& text, int64_t ts_ms);
// A WhatsApp status of one of the business's messages; error_code 0 for none.
std::string WhatsAppStatusBody(const std::string& phone_number_id, const std::string& wamid,
                               const std::string& wa_id, const std::string& status, int64_t ts_ms,
                               int64_t error_code = 0, const std::string& error_title = "");

}  // namespace salesos::testing
