#include "meta_signature.h"

#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"
#include "salesos/crypto/hash.h"

namespace salesos::webhook_ingest {
namespace {

constexpr std::string_view kPrefix = "sha256=";
constexpr size_t kMaxChallengeBytes = 1024;

}  // namespace

std::string SignatureHeader(std::string_view body, std::string_view app_secret) {
  return std::string(kPrefix) + HexEncode(crypto::HmacSha256(app_secret, body));
}

Status VerifySignature(std::string_view body, std::string_view header,
                       std::string_view app_secret) {
  if (app_secret.empty()) {
    return Unauthenticated("the Meta app secret is not configured (SALESOS_META_APP_SECRET)");
  }
  if (header.empty()) {
    return Unauthenticated("the X-Hub-Signature-256 header is missing");
  }
  if (header.size() != kPrefix.size() + 2 * crypto::kSha256Bytes ||
      header.substr(0, kPrefix.size()) != kPrefix) {
    return Unauthenticated("the X-Hub-Signature-256 header is not sha256=<64 hex digits>");
  }
  auto got = crypto::HexDecode(header.substr(kPrefix.size()));
  if (!got.ok()) {
    return Unauthenticated("the X-Hub-Signature-256 header is not sha256=<64 hex digits>");
  }
  // Raw digests compared, so upper- and lowercase hex are the same signature.
  if (!crypto::ConstantTimeEquals(*got, crypto::HmacSha256(app_secret, body))) {
    return Unauthenticated("the X-Hub-Signature-256 does not match the body");
  }
  return OkStatus();
}

Result<std::string> CheckHandshake(std::string_view mode, std::string_view verify_token,
                                   std::string_view challenge, std::string_view configured_token) {
  if (mode.empty() || verify_token.empty() || challenge.empty()) {
    return InvalidArgument("hub.mode, hub.verify_token and hub.challenge are required");
  }
  if (challenge.size() > kMaxChallengeBytes) {
    return FieldError("hub.challenge", "must be at most 1024 bytes");
  }
  if (configured_token.empty()) {
    return PermissionDenied("no Meta verify token is configured (SALESOS_META_VERIFY_TOKEN)");
  }
  // Both sides always compared, so a wrong mode takes as long as a wrong token.
  bool token_ok = crypto::ConstantTimeEquals(verify_token, configured_token);
  if (mode != "subscribe" || !token_ok) {
    return PermissionDenied("the verify token or mode does not match");
  }
  return std::string(challenge);
}

}  // namespace salesos::webhook_ingest
