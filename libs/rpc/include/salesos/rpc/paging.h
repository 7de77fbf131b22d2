#pragma once

// List paging as DESIGN §4 says: pageSize (default 50, at most 200) and an opaque pageToken that
// carries the last id of the previous page. Each list has a kind ("c1", "t1", ...) baked into its
// tokens, so a token of one list is refused by another instead of paging it wrongly.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// The page of a list that read page_size + 1 rows (one more than asked tells whether another page
// follows without a count query): trims `rows` to page_size and answers the next page's token (of
// the last row kept), or "" when nothing follows. Row has a string `id`.
template <typename Row>
std::string TakePage(std::vector<Row>& rows, int32_t page_size, std::string_view kind) {
  if (page_size < 0 || rows.size() <= static_cast<size_t>(page_size)) {
    return "";
  }
  rows.resize(static_cast<size_t>(page_size));
  return rows.empty() ? "" : EncodePageToken(kind, rows.back().id);
}

}  // namespace salesos::rpc
