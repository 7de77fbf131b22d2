#pragma once

// Meta's webhook authentication (protocols.md §1–§2): the X-Hub-Signature-256 of a delivery and
// the verify token of the subscription handshake. Pure functions, thread-safe; secrets are
// compared in constant time and never appear in a returned message.

#include <string>
#include <string_view>

#include "salesos/core/status.h"

namespace salesos::webhook_ingest {

// "sha256=" + lowercase hex HMAC-SHA256(app_secret, body): the header Meta sends with `body`.
std::string SignatureHeader(std::string_view body, std::string_view app_secret);

// OK when `header` is "sha256=<64 hex digits>" (either case) and the digest is the HMAC-SHA256 of
// the exact bytes of `body` under `app_secret`. UNAUTHENTICATED otherwise, saying which: missing,
// malformed, mismatch, or no app secret configured (every delivery refused).
Status VerifySignature(std::string_view body, std::string_view header, std::string_view app_secret);

// The challenge to answer when `mode` is "subscribe" and `verify_token` equals `configured_token`.
// INVALID_ARGUMENT when a parameter is missing (or the challenge is longer than 1,024 bytes);
// PERMISSION_DENIED for another mode, a wrong token, or no token configured.
Result<std::string> CheckHandshake(std::string_view mode, std::string_view verify_token,
                                   std::string_view challenge, std::string_view configured_token);

}  // namespace salesos::webhook_ingest
