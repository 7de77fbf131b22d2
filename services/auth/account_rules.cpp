#include "account_rules.h"

#include <algorithm>
#include <cstdint>

#include "salesos/core/text.h"

namespace salesos::auth {

long Utf8Length(std::string_view s) {
  // Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
  long n = 0;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      return -1;
    }
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) {
        return -1;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return -1;
    }
    i += len;
    ++n;
  }
  return n;
}

std::string NormalizeEmail(std::string_view email) { return std::string(TrimBlanks(email)); }

std::string EmailKey(std::string_view normalized_email) {
  std::string key(normalized_email);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return key;
}

Status ValidateEmail(std::string_view email, std::string_view field) {
  std::string f(field);
  if (email.empty()) {
    return FieldError(f, "is required");
  }
  if (email.size() > kMaxEmailLength) {
    return FieldError(f, "must be at most 254 characters");
  }
  auto at = email.find('@');
  bool shaped = at != std::string_view::npos && at > 0 && email.find('@', at + 1) == std::string_view::npos;
  if (shaped) {
    std::string_view domain = email.substr(at + 1);
    auto dot = domain.find('.');
    shaped = dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size() &&
             domain.find("..") == std::string_view::npos;
  }
  shaped = shaped && std::none_of(email.begin(), email.end(), [](unsigned char c) {
             return c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';';
           });
  if (!shaped) {
    return FieldError(f, "is not a valid email address (expected name@example.com)");
  }
  return OkStatus();
}

Status ValidatePassword(std::string_view password, std::string_view field) {
  std::string f(field);
  long len = Utf8Length(password);
  if (len < 0) {
    return FieldError(f, "must be valid UTF-8");
  }
  if (static_cast<size_t>(len) < kMinPasswordLength) {
    return FieldError(f, "must be at least 10 characters");
  }
  if (static_cast<size_t>(len) > kMaxPasswordLength) {
    return FieldError(f, "must be at most 128 characters");
  }
  return OkStatus();
}

Status ValidateName(std::string_view name, std::string_view field) {
  std::string f(field);
  std::string_view trimmed = TrimBlanks(name);
  long len = Utf8Length(trimmed);
  if (len < 0) {
    return FieldError(f, "must be valid UTF-8");
  }
  if (len == 0) {
    return FieldError(f, "is required");
  }
  if (static_cast<size_t>(len) > kMaxNameLength) {
    return FieldError(f, "must be at most 100 characters");
  }
  // C0 controls, DEL, and C1 controls (U+0080..U+009F, encoded C2 80..C2 9F).
  bool control = false;
  for (size_t i = 0; i < trimmed.size(); ++i) {
    auto c = static_cast<unsigned char>(trimmed[i]);
    auto next = i + 1 < trimmed.size() ? static_cast<unsigned char>(trimmed[i + 1]) : 0;
    control = control || c < 0x20 || c == 0x7f || (c == 0xc2 && next >= 0x80 && next <= 0x9f);
  }
  if (control) {
    return FieldError(f, "must not contain control characters");
  }
  return OkStatus();
}

}  // namespace salesos::auth
