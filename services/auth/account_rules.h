#pragma once

// Pure rules for accounts: what a valid email, password and name are. No gRPC, no SQL.

#include <string>
#include <string_view>

#include "salesos/core/status.h"

namespace salesos::auth {

inline constexpr size_t kMaxEmailLength = 254;
inline constexpr size_t kMinPasswordLength = 10;
inline constexpr size_t kMaxPasswordLength = 128;
inline constexpr size_t kMaxNameLength = 100;

// Trims surrounding spaces. The key that makes emails unique is the lower-cased form.
std::string NormalizeEmail(std::string_view email);
std::string EmailKey(std::string_view normalized_email);

// kInvalidArgument naming `field` (lowerCamelCase) with what is expected.
Status ValidateEmail(std::string_view email, std::string_view field = "email");
Status ValidatePassword(std::string_view password, std::string_view field = "password");
Status ValidateName(std::string_view name, std::string_view field);

// Length in Unicode code points of valid UTF-8; -1 when `s` is not valid UTF-8.
long Utf8Length(std::string_view s);

}  // namespace salesos::auth
