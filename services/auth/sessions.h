#pragma once

// Sessions: refresh tokens and their rotation, logout, and the revocation of access tokens.
//
// Redis layout (every key with a TTL):
//   salesos:auth:refresh:<sha256>        "user workspace family"   a live refresh token (30 days)
//   salesos:auth:rotated:<sha256>        "family"                  a refresh token already used
//   salesos:auth:family:<family>         set of live token hashes  of one login's chain
//   salesos:auth:user-families:<user>    set of family ids         for logout-all
//   salesos:auth:revoked:user:<user>     unix milliseconds         access tokens issued before are
//   salesos:auth:revoked:workspace:<id>  unix milliseconds         refused (kept one token lifetime)
// A revocation is also PUBLISHed on salesos:auth:revocations ("user <id> <ms>" or
// "workspace <id> <ms>") so gateways refuse those access tokens at once (rpc::RevocationList);
// a gateway that missed it still refuses them when they expire, 15 minutes at most.
// Thread-safe.

#include <functional>
#include <string>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/revocations.h"
#include "token_issuer.h"

namespace salesos::auth {

struct RefreshedSession {
  std::string user_id;
  std::string workspace_id;
  IssuedTokens tokens;
};

class Sessions {
 public:
  Sessions(redis::ClientPtr redis, TokenIssuer& issuer, const Clock& clock = SystemClock());

  // Starts a session (a new family): access and refresh token.
  Result<IssuedTokens> Start(const std::string& user_id, const std::string& workspace_id,
                             const std::string& role);
  // Rotates a refresh token. UNAUTHENTICATED for an unknown or expired one; for one already
  // rotated, its whole family is revoked first. `role_of` gives the user's current role (the
  // member may have been changed or removed since: NOT_FOUND there ends the session).
  Result<RefreshedSession> Refresh(
      const std::string& refresh_token,
      const std::function<Result<std::string>(const std::string& workspace_id,
                                              const std::string& user_id)>& role_of);
  // Revokes the family of a refresh token; ok for unknown tokens.
  Status Logout(const std::string& refresh_token);
  // Every refresh token of the user revoked, and its access tokens issued until now refused.
  Status RevokeUser(const std::string& user_id);
  // Every access token of the workspace refused (its members' refresh tokens are revoked by the
  // caller through RevokeUser, or simply fail: the workspace is gone).
  Status RevokeWorkspace(const std::string& workspace_id);

 private:
  Status RevokeFamily(const std::string& family);
  Status PublishCutoff(const std::string& kind, const std::string& id);

  redis::ClientPtr redis_;
  TokenIssuer& issuer_;
  const Clock& clock_;
};

}  // namespace salesos::auth
