#pragma once

// Byte <-> text encodings for keys, tokens and sealed values.
// Decoders accept only canonical input: the unused low bits of the last character must be zero, so
// every byte string has exactly one accepted text form (a token cannot be rewritten into a second
// spelling that still verifies). Errors are kInvalidArgument. Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "salesos/core/status.h"

namespace salesos::crypto {

// RFC 4648 §5 base64url without '=' padding, as JWS and JWK use it.
std::string Base64UrlEncode(std::string_view bytes);
// Accepts the unpadded form; '=' only as correct trailing padding. Any other character (including
// whitespace and the standard alphabet's '+' and '/') is rejected.
Result<std::string> Base64UrlDecode(std::string_view text);

// RFC 4648 §4 standard base64 with '=' padding.
std::string Base64Encode(std::string_view bytes);
// Padding is required; whitespace is rejected (strip it first).
Result<std::string> Base64Decode(std::string_view text);

// Upper- or lowercase hex; an odd length or a non-hex character is rejected. (HexEncode lives in
// salesos/core/ids.h.)
Result<std::string> HexDecode(std::string_view hex);

}  // namespace salesos::crypto
