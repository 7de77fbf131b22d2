#include "sessions.h"

#include <sstream>

#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/crypto/hash.h"

namespace salesos::auth {
namespace {

constexpr char kRefreshPrefix[] = "salesos:auth:refresh:";
constexpr char kRotatedPrefix[] = "salesos:auth:rotated:";
constexpr char kFamilyPrefix[] = "salesos:auth:family:";
constexpr char kUserFamiliesPrefix[] = "salesos:auth:user-families:";

std::string TokenHash(const std::string& token) { return HexEncode(crypto::Sha256(token)); }

// Consumes a refresh token in one step, so two concurrent uses cannot both succeed:
// live → deleted, remembered as rotated (with its family), and its record returned;
// already rotated → "reused" and its family; unknown → "unknown".
constexpr char kRotateScript[] = R"lua(
local rec = redis.call('GET', KEYS[1])
if not rec then
  local fam = redis.call('GET', KEYS[2])
  if fam then return {'reused', fam} end
  return {'unknown', ''}
end
local fam = string.match(rec, '^%S+ %S+ (%S+)$') or ''
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], fam, 'PX', ARGV[1])
redis.call('SREM', ARGV[2] .. fam, ARGV[3])
return {'ok', rec}
)lua";

struct Record {
  std::string user_id, workspace_id, family;
};

bool ParseRecord(const std::string& rec, Record* out) {
  std::istringstream in(rec);
  return static_cast<bool>(in >> out->user_id >> out->workspace_id >> out->family);
}

}  // namespace

Sessions::Sessions(redis::ClientPtr redis, TokenIssuer& issuer, const Clock& clock)
    : redis_(std::move(redis)), issuer_(issuer), clock_(clock) {}

Result<IssuedTokens> Sessions::Start(const std::string& user_id, const std::string& workspace_id,
                                     const std::string& role) {
  std::string family = NewUuidV7();
  auto tokens = issuer_.Issue(user_id, workspace_id, role, family);
  if (!tokens.ok()) {
    return tokens.status();
  }
  const std::string ttl = std::to_string(kRefreshTtlSeconds * 1000);
  const std::string family_key = kFamilyPrefix + family;
  const std::string user_key = kUserFamiliesPrefix + user_id;
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"SADD", family_key, TokenHash(tokens->refresh_token)},
           {"PEXPIRE", family_key, ttl},
           {"SADD", user_key, family},
           {"PEXPIRE", user_key, ttl}}) {
    if (!redis_->Command(cmd).ok()) {
      return Unavailable("cannot store the session right now; try again");
    }
  }
  return tokens;
}

Result<RefreshedSession> Sessions::Refresh(
    const std::string& refresh_token,
    const std::function<Result<std::string>(const std::string&, const std::string&)>& role_of) {
  if (refresh_token.empty() || refresh_token.size() > 256) {
    return Unauthenticated("invalid refresh token");
  }
  const std::string hash = TokenHash(refresh_token);
  auto reply = redis_->Eval(kRotateScript, {kRefreshPrefix + hash, kRotatedPrefix + hash},
                            {std::to_string(kRefreshTtlSeconds * 1000), kFamilyPrefix, hash});
  if (!reply.ok()) {
    return Unavailable("cannot check the session right now; try again");
  }
  if (reply->elements.size() != 2) {
    return Internal("unexpected reply of the rotate script");
  }
  const std::string& outcome = reply->elements[0].str;
  if (outcome == "unknown") {
    return Unauthenticated("invalid or expired refresh token");
  }
  if (outcome == "reused") {
    // Someone presented a token that was already exchanged: one of the two parties holding the
    // chain is not its owner. End the chain for both.
    const std::string& family = reply->elements[1].str;
    log::Warn("refresh token reused; session family revoked", {{"family", family}});
    SALESOS_RETURN_IF_ERROR(RevokeFamily(family));
    return Unauthenticated("refresh token was already used; sign in again");
  }
  Record rec;
  if (!ParseRecord(reply->elements[1].str, &rec)) {
    return Internal("malformed refresh token record");
  }
  auto role = role_of(rec.workspace_id, rec.user_id);
  if (!role.ok()) {
    if (role.status().code() == Code::kNotFound) {
      SALESOS_RETURN_IF_ERROR(RevokeFamily(rec.family));
      return Unauthenticated("the account of this session no longer exists");
    }
    return role.status();
  }
  auto tokens = issuer_.Issue(rec.user_id, rec.workspace_id, *role, rec.family);
  if (!tokens.ok()) {
    return tokens.status();
  }
  const std::string family_key = kFamilyPrefix + rec.family;
  if (!redis_->Command({"SADD", family_key, TokenHash(tokens->refresh_token)}).ok() ||
      !redis_->Command({"PEXPIRE", family_key, std::to_string(kRefreshTtlSeconds * 1000)}).ok()) {
    return Unavailable("cannot store the session right now; try again");
  }
  return RefreshedSession{rec.user_id, rec.workspace_id, std::move(*tokens)};
}

Status Sessions::RevokeFamily(const std::string& family) {
  const std::string family_key = kFamilyPrefix + family;
  auto members = redis_->Command({"SMEMBERS", family_key});
  if (!members.ok()) {
    return Unavailable("cannot end the session right now; try again");
  }
  for (const auto& m : members->elements) {
    if (!redis_->Del(kRefreshPrefix + m.str).ok()) {
      return Unavailable("cannot end the session right now; try again");
    }
  }
  if (!redis_->Del(family_key).ok()) {
    return Unavailable("cannot end the session right now; try again");
  }
  return OkStatus();
}

Status Sessions::Logout(const std::string& refresh_token) {
  if (refresh_token.empty() || refresh_token.size() > 256) {
    return OkStatus();
  }
  auto rec = redis_->Get(kRefreshPrefix + TokenHash(refresh_token));
  if (!rec.ok()) {
    return Unavailable("cannot end the session right now; try again");
  }
  Record parsed;
  if (!rec->has_value() || !ParseRecord(**rec, &parsed)) {
    return OkStatus();  // unknown, expired or already logged out: nothing to do
  }
  return RevokeFamily(parsed.family);
}

Status Sessions::PublishCutoff(const std::string& kind, const std::string& id) {
  // In milliseconds: access tokens carry their issue time to the millisecond in their jti
  // (UUIDv7), so a login right after the revocation is not caught by it.
  const std::string cutoff = std::to_string(clock_.NowMillis() + 1);
  const int64_t ttl_ms = (static_cast<int64_t>(issuer_.access_ttl_seconds()) + 60) * 1000;
  if (!redis_->Set(rpc::kRevokedKeyPrefix + kind + ":" + id, cutoff, ttl_ms).ok() ||
      !redis_->Publish(rpc::kRevocationsChannel, kind + " " + id + " " + cutoff).ok()) {
    return Unavailable("cannot end the sessions right now; try again");
  }
  return OkStatus();
}

Status Sessions::RevokeUser(const std::string& user_id) {
  const std::string user_key = kUserFamiliesPrefix + user_id;
  auto families = redis_->Command({"SMEMBERS", user_key});
  if (!families.ok()) {
    return Unavailable("cannot end the sessions right now; try again");
  }
  for (const auto& f : families->elements) {
    SALESOS_RETURN_IF_ERROR(RevokeFamily(f.str));
  }
  if (!redis_->Del(user_key).ok()) {
    return Unavailable("cannot end the sessions right now; try again");
  }
  return PublishCutoff("user", user_id);
}

Status Sessions::RevokeWorkspace(const std::string& workspace_id) {
  return PublishCutoff("workspace", workspace_id);
}

}  // namespace salesos::auth
