#pragma once

// List paging as DESIGN §4 says: pageSize (default 50, at most 200) and an opaque pageToken that
// carries the last id of the previous page. Each list has a kind ("c1", "t1", ...) baked into its
// tokens, so a token of one list is refused by another instead of paging it wrongly.

#include <cstdint>
#include <string>
#include <string_view>

#include "salesos/core/status.h"

namespace salesos::rpc {

inline constexpr int32_t kDefaultPageSize = 50;
inline constexpr int32_t kMaxPageSize = 200;

// 0 → the default; 1..200 as asked; anything else kInvalidArgument naming "pageSize".
Result<int32_t> ResolvePageSize(int64_t requested);
// base64url of kind ":" last_id.
std::string EncodePageToken(std::string_view kind, std::string_view last_id);
// "" for the first page; the last id; kInvalidArgument naming "pageToken" for anything that is not
// a token of this kind of list holding a UUID.
Result<std::string> DecodePageToken(std::string_view kind, std::string_view token);

}  // namespace salesos::rpc
