#include "salesos/rpc/paging.h"

#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"

namespace salesos::rpc {

Result<int32_t> ResolvePageSize(int64_t requested) {
  if (requested == 0) {
    return kDefaultPageSize;
  }
  if (requested < 0 || requested > kMaxPageSize) {
    return FieldError("pageSize", "must be between 1 and 200 (50 when left out)");
  }
  return static_cast<int32_t>(requested);
}

std::string EncodePageToken(std::string_view kind, std::string_view last_id) {
  return crypto::Base64UrlEncode(std::string(kind) + ":" + std::string(last_id));
}

Result<std::string> DecodePageToken(std::string_view kind, std::string_view token) {
  if (token.empty()) {
    return std::string();
  }
  const std::string prefix = std::string(kind) + ":";
  auto decoded = crypto::Base64UrlDecode(token);
  if (!decoded.ok() || decoded->compare(0, prefix.size(), prefix) != 0 ||
      !IsUuid(decoded->substr(prefix.size()))) {
    return FieldError("pageToken", "is not a token from a previous page of this list");
  }
  return decoded->substr(prefix.size());
}

}  // namespace salesos::rpc
