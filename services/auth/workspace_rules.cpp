#include "workspace_rules.h"

#include <algorithm>
#include <cctype>

#include "account_rules.h"
#include "salesos/crypto/encoding.h"

namespace salesos::auth {
namespace {

constexpr std::string_view kRoleChoices = "must be one of owner, admin, agent, viewer";
// Versioned so a later change of the token's contents can tell old tokens apart.
constexpr std::string_view kPageTokenPrefix = "m1:";

// Single-line fields take no control characters at all; multi-line ones (description, document
// content) keep tab and line breaks. Either way NUL and friends are refused: PostgreSQL cannot
// store NUL in TEXT, and no business text needs them.
bool HasForbiddenControl(std::string_view s, bool multi_line) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (multi_line && (c == '\t' || c == '\n' || c == '\r')) {
      continue;
    }
    auto next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (c < 0x20 || c == 0x7f || (!multi_line && c == 0xc2 && next >= 0x80 && next <= 0x9f)) {
      return true;
    }
  }
  return false;
}

struct TextLimit {
  long max = 0;
  bool required = false;
  bool multi_line = false;
};

Status CheckText(std::string_view value, const std::string& field, TextLimit limit) {
  long len = Utf8Length(value);
  if (len < 0) {
    return FieldError(field, "must be valid UTF-8");
  }
  if (limit.required && len == 0) {
    return FieldError(field, "is required");
  }
  if (len > limit.max) {
    return FieldError(field, "must be at most " + std::to_string(limit.max) + " characters");
  }
  if (HasForbiddenControl(value, limit.multi_line)) {
    return FieldError(field, "must not contain control characters");
  }
  return OkStatus();
}

Status CheckUrl(std::string_view value, const std::string& field) {
  if (value.empty()) {
    return OkStatus();
  }
  SALESOS_RETURN_IF_ERROR(CheckText(value, field, {kMaxUrlLength}));
  if (!IsHttpUrl(value)) {
    return FieldError(field, "must be an http:// or https:// URL");
  }
  return OkStatus();
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c == ' ' || c == '\t'; });
}

}  // namespace

Status ValidateRole(std::string_view role, std::string_view field) {
  if (role == kOwnerRole || role == kAdminRole || role == kAgentRole || role == kViewerRole) {
    return OkStatus();
  }
  return FieldError(std::string(field), std::string(kRoleChoices));
}

Status CheckCanGrant(bool actor_is_owner, std::string_view role) {
  if (role == kOwnerRole && !actor_is_owner) {
    return PermissionDenied("only an owner may make another owner");
  }
  return OkStatus();
}

Status CheckRoleChange(bool actor_is_owner, std::string_view current_role,
                       std::string_view new_role, int64_t owner_count) {
  if (current_role == new_role) {
    return OkStatus();
  }
  if ((current_role == kOwnerRole || new_role == kOwnerRole) && !actor_is_owner) {
    return PermissionDenied("only an owner may grant or take away the owner role");
  }
  if (current_role == kOwnerRole && owner_count <= 1) {
    return FailedPrecondition(
        "the last owner of a workspace cannot be demoted; make another member owner first");
  }
  return OkStatus();
}

Status CheckRemoval(bool actor_is_owner, std::string_view target_role, int64_t owner_count) {
  if (target_role != kOwnerRole) {
    return OkStatus();
  }
  if (!actor_is_owner) {
    return PermissionDenied("only an owner may remove an owner");
  }
  if (owner_count <= 1) {
    return FailedPrecondition(
        "the last owner of a workspace cannot be removed; make another member owner first, or "
        "delete the workspace");
  }
  return OkStatus();
}

bool IsHttpUrl(std::string_view url) {
  auto starts_with_ci = [&](std::string_view prefix) {
    return url.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), url.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  size_t rest = 0;
  if (starts_with_ci("https://")) {
    rest = 8;
  } else if (starts_with_ci("http://")) {
    rest = 7;
  } else {
    return false;
  }
  size_t host_end = url.find_first_of("/?#", rest);
  std::string_view authority = url.substr(
      rest, host_end == std::string_view::npos ? std::string_view::npos : host_end - rest);
  if (authority.empty() || authority.front() == '@' || authority.front() == ':') {
    return false;
  }
  return std::none_of(url.begin(), url.end(),
                      [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

Status ValidateBusinessProfile(const BusinessProfile& p, std::string_view prefix) {
  const std::string base = std::string(prefix) + ".";
  // The same rule as the business name given at sign-up.
  SALESOS_RETURN_IF_ERROR(ValidateName(p.business_name, base + "businessName"));
  SALESOS_RETURN_IF_ERROR(CheckText(p.owner_name, base + "ownerName", {kMaxOwnerNameLength}));
  SALESOS_RETURN_IF_ERROR(CheckText(p.industry, base + "industry", {kMaxIndustryLength}));
  SALESOS_RETURN_IF_ERROR(
      CheckText(p.description, base + "description", {kMaxDescriptionLength, false, true}));
  SALESOS_RETURN_IF_ERROR(CheckUrl(p.website, base + "website"));
  if (!p.phone.empty()) {
    const std::string field = base + "phone";
    SALESOS_RETURN_IF_ERROR(CheckText(p.phone, field, {kMaxPhoneLength}));
    bool allowed = std::all_of(p.phone.begin(), p.phone.end(), [](unsigned char c) {
      return std::isdigit(c) || c == ' ' || c == '+' || c == '-' || c == '(' || c == ')';
    });
    if (!allowed) {
      return FieldError(field, "may only contain digits, spaces and + - ( )");
    }
  }
  if (p.documents.size() > kMaxDocuments) {
    return FieldError(base + "documents",
                      "must be at most " + std::to_string(kMaxDocuments) + " documents");
  }
  for (size_t i = 0; i < p.documents.size(); ++i) {
    const ProfileDocument& d = p.documents[i];
    const std::string doc = base + "documents[" + std::to_string(i) + "].";
    if (IsBlank(d.name)) {
      return FieldError(doc + "name", "is required");
    }
    SALESOS_RETURN_IF_ERROR(CheckText(d.name, doc + "name", {kMaxDocumentNameLength, true}));
    SALESOS_RETURN_IF_ERROR(CheckUrl(d.url, doc + "url"));
    SALESOS_RETURN_IF_ERROR(
        CheckText(d.content, doc + "content", {kMaxDocumentContentLength, false, true}));
  }
  return OkStatus();
}

Result<int> ResolvePageSize(int64_t requested, std::string_view field) {
  if (requested == 0) {
    return kDefaultPageSize;
  }
  if (requested < 0 || requested > kMaxPageSize) {
    return FieldError(std::string(field), "must be between 1 and " + std::to_string(kMaxPageSize) +
                                              " (" + std::to_string(kDefaultPageSize) +
                                              " when left out)");
  }
  return static_cast<int>(requested);
}

std::string EncodeMemberPageToken(std::string_view last_user_id) {
  return crypto::Base64UrlEncode(std::string(kPageTokenPrefix) + std::string(last_user_id));
}

Result<std::string> DecodeMemberPageToken(std::string_view token, std::string_view field) {
  if (token.empty()) {
    return std::string();
  }
  auto decoded = crypto::Base64UrlDecode(token);
  if (!decoded.ok() || decoded->size() <= kPageTokenPrefix.size() ||
      decoded->compare(0, kPageTokenPrefix.size(), kPageTokenPrefix) != 0) {
    return FieldError(std::string(field), "is not a token from a previous page of this list");
  }
  return decoded->substr(kPageTokenPrefix.size());
}

}  // namespace salesos::auth
