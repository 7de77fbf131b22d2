#include "integration_rules.h"

#include <algorithm>
#include <map>
#include <vector>

#include "account_rules.h"
#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"

namespace salesos::auth {
namespace {

// Versioned so a later change of what a token holds can refuse old ones cleanly; distinct from
// the members list's prefix so a token of one list is refused by the other.
constexpr std::string_view kPageTokenPrefix = "i1:";
constexpr char kEllipsis[] = "\xE2\x80\xA6";  // U+2026 "…"
constexpr std::string_view kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string Join(std::string_view parent, std::string_view child) {
  return std::string(parent) + "." + std::string(child);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

// Minutes since midnight of "HH:MM"; -1 when malformed. "24:00" only when `allow_midnight_end`.
int ParseClock(std::string_view s, bool allow_midnight_end) {
  if (s.size() != 5 || !IsDigit(s[0]) || !IsDigit(s[1]) || s[2] != ':' || !IsDigit(s[3]) ||
      !IsDigit(s[4])) {
    return -1;
  }
  int hours = (s[0] - '0') * 10 + (s[1] - '0');
  int minutes = (s[3] - '0') * 10 + (s[4] - '0');
  if (minutes > 59) {
    return -1;
  }
  if (hours == 24 && minutes == 0 && allow_midnight_end) {
    return 24 * 60;
  }
  return hours > 23 ? -1 : hours * 60 + minutes;
}

// The request's own field names for each platform's id, token and name.
struct PlatformFields {
  const char* id_field;
  const char* token_field;
  const char* name_field;
};

}  // namespace

bool IsKnownPlatform(std::string_view platform) {
  return platform == kFacebook || platform == kInstagram || platform == kWhatsApp;
}

Status ValidateExternalId(std::string_view id, std::string_view field) {
  std::string f(field);
  if (id.empty()) {
    return FieldError(f, "is required");
  }
  if (id.size() > kMaxExternalIdLength || !std::all_of(id.begin(), id.end(), IsDigit)) {
    return FieldError(f, "must be the numeric id Meta shows (1 to 64 digits)");
  }
  return OkStatus();
}

Status ValidateAccessToken(std::string_view token, std::string_view field) {
  std::string f(field);
  if (token.empty()) {
    return FieldError(f, "is required");
  }
  bool printable = std::all_of(token.begin(), token.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
  if (token.size() > kMaxAccessTokenLength || !printable) {
    return FieldError(f, "must be 1 to 4096 printable ASCII characters without spaces");
  }
  return OkStatus();
}

Status ValidateIntegrationName(std::string_view name, std::string_view field) {
  std::string f(field);
  long length = Utf8Length(name);
  if (length < 0) {
    return FieldError(f, "is not valid UTF-8");
  }
  if (static_cast<size_t>(length) > kMaxIntegrationNameLength) {
    return FieldError(f, "must be at most 200 characters");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    auto next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0;
    // C0, DEL and C1 controls: a display name needs none, and NUL cannot be stored in a
    // PostgreSQL TEXT column.
    if (c < 0x20 || c == 0x7f || (c == 0xc2 && next >= 0x80 && next <= 0x9f)) {
      return FieldError(f, "must not contain control characters");
    }
  }
  return OkStatus();
}

Status ValidateTimezone(std::string_view timezone, std::string_view field) {
  std::string f(field);
  if (timezone.empty()) {
    return FieldError(f, "is required");
  }
  static constexpr char kExpected[] =
      "must be an IANA time zone name such as \"Europe/Paris\" or \"UTC\"";
  if (timezone.size() > kMaxTimezoneLength) {
    return FieldError(f, kExpected);
  }
  if (timezone == "UTC") {
    return OkStatus();
  }
  bool chars_ok = std::all_of(timezone.begin(), timezone.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '_' || c == '+' ||
           c == '-' || c == '/';
  });
  bool letter_first = (timezone.front() >= 'A' && timezone.front() <= 'Z') ||
                      (timezone.front() >= 'a' && timezone.front() <= 'z');
  bool has_area = timezone.find('/') != std::string_view::npos;
  bool no_empty_segment = timezone.back() != '/' && timezone.find("//") == std::string_view::npos;
  if (!chars_ok || !letter_first || !has_area || !no_empty_segment) {
    return FieldError(f, kExpected);
  }
  return OkStatus();
}

Status ValidateDaySchedule(std::string_view ranges, std::string_view field) {
  std::string f(field);
  static constexpr char kExpected[] =
      "must be opening hours like \"09:00-17:00\" or \"09:00-12:00,13:00-17:30\" (start before "
      "end, in order); leave the day out when closed";
  if (TrimSpaces(ranges).empty()) {
    return FieldError(f, kExpected);
  }
  int previous_end = -1;
  size_t count = 0;
  size_t start = 0;
  while (start <= ranges.size()) {
    size_t comma = ranges.find(',', start);
    std::string_view range = TrimSpaces(ranges.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (++count > kMaxRangesPerDay) {
      return FieldError(f, "must have at most 24 ranges");
    }
    if (range.size() != 11 || range[5] != '-') {
      return FieldError(f, kExpected);
    }
    int open = ParseClock(range.substr(0, 5), false);
    int close = ParseClock(range.substr(6, 5), true);
    if (open < 0 || close < 0 || open >= close || open < previous_end) {
      return FieldError(f, kExpected);
    }
    previous_end = close;
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return OkStatus();
}

Status ValidateIntegrationSettings(const v1::IntegrationSettings& settings,
                                   std::string_view field) {
  const std::string hours_field = Join(field, "businessHours");
  const v1::BusinessHours& hours = settings.business_hours();
  // A timezone is needed to apply the hours; one given while they are off is still checked, so
  // a typo does not wait until the day someone turns them on.
  if (hours.enabled() || !hours.timezone().empty()) {
    SALESOS_RETURN_IF_ERROR(ValidateTimezone(hours.timezone(), Join(hours_field, "timezone")));
  }
  const std::string schedule_field = Join(hours_field, "schedule");
  // Sorted so that the first error reported does not depend on the map's hash order.
  std::map<std::string, std::string> schedule(hours.schedule().begin(), hours.schedule().end());
  for (const auto& [day, ranges] : schedule) {
    if (std::find(std::begin(kDays), std::end(kDays), day) == std::end(kDays)) {
      return FieldError(schedule_field, "has an unknown day \"" + day.substr(0, 16) +
                                            "\": days are mon, tue, wed, thu, fri, sat, sun");
    }
    SALESOS_RETURN_IF_ERROR(ValidateDaySchedule(ranges, Join(schedule_field, day)));
  }
  return OkStatus();
}

v1::IntegrationSettings DefaultIntegrationSettings() {
  v1::IntegrationSettings s;
  s.set_auto_reply(true);
  s.mutable_business_hours()->set_enabled(false);
  s.mutable_notifications()->set_email(true);
  s.mutable_notifications()->set_push(false);
  return s;
}

Result<ChannelConnection> ValidateCreateIntegration(const v1::CreateIntegrationRequest& req) {
  const std::string& platform = req.platform();
  if (platform.empty()) {
    return FieldError("platform", "is required (facebook, instagram or whatsapp)");
  }
  if (!IsKnownPlatform(platform)) {
    return FieldError("platform", "must be facebook, instagram or whatsapp");
  }
  ChannelConnection c;
  c.platform = platform;
  PlatformFields fields;
  if (platform == kFacebook) {
    fields = {"pageId", "pageAccessToken", "pageName"};
    c.external_id = req.page_id();
    c.access_token = req.page_access_token();
    c.name = req.page_name();
  } else if (platform == kInstagram) {
    fields = {"accountId", "pageAccessToken", "username"};
    c.external_id = req.account_id();
    c.access_token = req.page_access_token();
    c.name = req.username();
  } else {
    fields = {"phoneNumberId", "accessToken", "displayPhoneNumber"};
    c.external_id = req.phone_number_id();
    c.access_token = req.access_token();
    c.name = req.display_phone_number();
    c.waba_id = req.waba_id();
  }
  const std::string for_platform = "is required for " + platform;
  if (c.external_id.empty()) {
    return FieldError(fields.id_field, for_platform);
  }
  SALESOS_RETURN_IF_ERROR(ValidateExternalId(c.external_id, fields.id_field));
  if (platform == kWhatsApp) {
    if (c.waba_id.empty()) {
      return FieldError("wabaId", for_platform);
    }
    SALESOS_RETURN_IF_ERROR(ValidateExternalId(c.waba_id, "wabaId"));
  }
  if (c.access_token.empty()) {
    return FieldError(fields.token_field, for_platform);
  }
  SALESOS_RETURN_IF_ERROR(ValidateAccessToken(c.access_token, fields.token_field));
  SALESOS_RETURN_IF_ERROR(ValidateIntegrationName(c.name, fields.name_field));
  if (req.has_settings()) {
    SALESOS_RETURN_IF_ERROR(ValidateIntegrationSettings(req.settings(), "settings"));
    c.settings = req.settings();
  } else {
    c.settings = DefaultIntegrationSettings();
  }
  return c;
}

std::string CredentialsHint(std::string_view token) {
  size_t shown = std::min<size_t>(4, token.size() / 2);
  return std::string(kEllipsis) + std::string(token.substr(token.size() - shown));
}

std::string CredentialsAad(std::string_view workspace_id, std::string_view integration_id) {
  return std::string(workspace_id) + "/" + std::string(integration_id);
}

Result<int32_t> ResolveIntegrationPageSize(int64_t requested) {
  if (requested == 0) {
    return kDefaultIntegrationPageSize;
  }
  if (requested < 0 || requested > kMaxIntegrationPageSize) {
    return FieldError("pageSize", "must be between 1 and 200 (50 when left out)");
  }
  return static_cast<int32_t>(requested);
}

std::string EncodeIntegrationPageToken(std::string_view last_id) {
  return crypto::Base64UrlEncode(std::string(kPageTokenPrefix) + std::string(last_id));
}

Result<std::string> DecodeIntegrationPageToken(std::string_view token) {
  if (token.empty()) {
    return std::string();
  }
  auto decoded = crypto::Base64UrlDecode(token);
  if (!decoded.ok() || decoded->compare(0, kPageTokenPrefix.size(), kPageTokenPrefix) != 0 ||
      !IsUuid(decoded->substr(kPageTokenPrefix.size()))) {
    return FieldError("pageToken", "is not a token from a previous page of this list");
  }
  return decoded->substr(kPageTokenPrefix.size());
}

}  // namespace salesos::auth
