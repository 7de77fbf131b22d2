#pragma once

// Pure rules for channel integrations: which platforms exist, what each one needs to connect,
// what valid ids, tokens, names and settings are, the credentials hint, the aad that binds sealed
// credentials to their row, and list paging. No gRPC, no SQL. Errors are kInvalidArgument naming
// the request field in lowerCamelCase ("pageId", "settings.businessHours.timezone").

#include <cstdint>
#include <string>
#include <string_view>

#include "salesos/auth/v1/auth.pb.h"
#include "salesos/core/status.h"

namespace salesos::auth {

inline constexpr size_t kMaxExternalIdLength = 64;
inline constexpr size_t kMaxAccessTokenLength = 4096;
inline constexpr size_t kMaxIntegrationNameLength = 200;
inline constexpr size_t kMaxTimezoneLength = 64;
// Opening ranges a day may have; more is a typo, not a shop.
inline constexpr size_t kMaxRangesPerDay = 24;
inline constexpr int32_t kDefaultIntegrationPageSize = 50;
inline constexpr int32_t kMaxIntegrationPageSize = 200;

inline constexpr char kFacebook[] = "facebook";
inline constexpr char kInstagram[] = "instagram";
inline constexpr char kWhatsApp[] = "whatsapp";
inline constexpr char kStatusConnected[] = "connected";

// What a create request asks to connect, once validated: one shape for the three platforms.
struct ChannelConnection {
  std::string platform;
  std::string external_id;   // page id, IG account id, phone_number_id
  std::string name;          // page name, IG username, display phone number (may be empty)
  std::string waba_id;       // WhatsApp only
  std::string access_token;  // to be sealed before it goes anywhere
  v1::IntegrationSettings settings;
};

bool IsKnownPlatform(std::string_view platform);

// Checks the platform and the fields it needs (fields of the other platforms are ignored), and
// the settings, which default to DefaultIntegrationSettings() when the request has none.
Result<ChannelConnection> ValidateCreateIntegration(const v1::CreateIntegrationRequest& req);

// Meta's ids are numeric: 1 to 64 ASCII digits.
Status ValidateExternalId(std::string_view id, std::string_view field);
// 1 to 4096 printable ASCII characters, no spaces: a token with a space or line break in it was
// pasted wrong, and would fail at Meta much later and less clearly.
Status ValidateAccessToken(std::string_view token, std::string_view field);
// At most 200 characters (code points), no control characters. Empty is allowed.
Status ValidateIntegrationName(std::string_view name, std::string_view field);
// "UTC" or an Area/Location name as IANA spells them: [A-Za-z0-9_+-] segments joined by '/',
// at most 64 characters. Whether the zone exists is not checked: the tz database differs
// between hosts and changes.
Status ValidateTimezone(std::string_view timezone, std::string_view field);
// "09:00-12:00,13:30-18:00": ranges of HH:MM, start before end, ascending, not overlapping;
// "24:00" is allowed as an end (open until midnight).
Status ValidateDaySchedule(std::string_view ranges, std::string_view field);
// The whole settings message; `field` is its path in the request ("settings").
Status ValidateIntegrationSettings(const v1::IntegrationSettings& settings,
                                   std::string_view field = "settings");

// Auto-reply on, business hours off (always open), notifications by email only.
v1::IntegrationSettings DefaultIntegrationSettings();

// "…" and the last four characters of the token. Tokens shorter than eight characters show at
// most half of themselves, so the hint never gives a whole credential away.
std::string CredentialsHint(std::string_view token);

// The aad credentials are sealed with: opening them needs the row they were sealed for.
std::string CredentialsAad(std::string_view workspace_id, std::string_view integration_id);

// 0 → the default (50); 1..200 as asked; anything else kInvalidArgument naming "pageSize".
Result<int32_t> ResolveIntegrationPageSize(int64_t requested);
// An opaque token for the page after `last_id`; Decode gives the id back ("" for no token), or
// kInvalidArgument naming "pageToken" for anything not made by Encode.
std::string EncodeIntegrationPageToken(std::string_view last_id);
Result<std::string> DecodeIntegrationPageToken(std::string_view token);

}  // namespace salesos::auth
