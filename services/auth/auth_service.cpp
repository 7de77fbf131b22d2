#include "auth_service.h"

#include "account_rules.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/crypto/hash.h"
#include "salesos/rpc/service_token.h"

namespace salesos::auth {
namespace {

constexpr char kBadCredentials[] = "invalid email or password";

void FillUser(const UserRecord& u, v1::User* out) {
  out->set_id(u.id);
  out->set_email(u.email);
  out->set_name(u.name);
  out->set_role(u.role);
  out->set_onboarding_completed(u.onboarding_completed);
}

void FillWorkspace(const WorkspaceRecord& w, v1::Workspace* out) {
  out->set_id(w.id);
  out->set_name(w.name);
}

}  // namespace

std::set<std::string> ParseEmailList(const std::string& list) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = NormalizeEmail(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!item.empty()) {
      out.insert(EmailKey(item));
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

std::string AuthService::TokenRole(const UserRecord& user) const {
  return options_.superadmin_emails.count(user.email_key) ? "superadmin" : user.role;
}

Status AuthService::FillAuthResponse(const UserRecord& user, const WorkspaceRecord& ws,
                                     v1::AuthResponse* resp) {
  auto tokens = sessions_.Start(user.id, ws.id, TokenRole(user));
  if (!tokens.ok()) {
    return tokens.status();
  }
  resp->set_access_token(tokens->access_token);
  resp->set_refresh_token(tokens->refresh_token);
  resp->set_expires_in(tokens->expires_in);
  FillUser(user, resp->mutable_user());
  FillWorkspace(ws, resp->mutable_workspace());
  return OkStatus();
}

Status AuthService::DoRegister(const v1::RegisterRequest& req, v1::AuthResponse* resp) {
  std::string email = NormalizeEmail(req.email());
  SALESOS_RETURN_IF_ERROR(ValidateEmail(email));
  SALESOS_RETURN_IF_ERROR(ValidatePassword(req.password()));
  SALESOS_RETURN_IF_ERROR(ValidateName(req.name(), "name"));
  SALESOS_RETURN_IF_ERROR(ValidateName(req.business_name(), "businessName"));

  std::string key = EmailKey(email);
  // Checked before the (deliberately slow) hash; the unique index still decides races.
  auto existing = store_.FindUserByEmailKey(key);
  if (!existing.ok()) {
    return existing.status();
  }
  if (existing->has_value()) {
    return AlreadyExists("an account with this email already exists");
  }
  auto hash = hasher_.Hash(req.password());
  if (!hash.ok()) {
    return hash.status();
  }
  std::string now = FormatRfc3339(NowUnixSeconds());
  WorkspaceRecord ws{NewUuidV7(), req.business_name(), now};
  UserRecord user;
  user.id = NewUuidV7();
  user.workspace_id = ws.id;
  user.email = email;
  user.email_key = key;
  user.name = req.name();
  user.password_hash = std::move(*hash);
  user.role = "owner";
  user.created_at = now;
  Status st = store_.CreateOwner(ws, user);
  if (st.code() == Code::kAlreadyExists) {
    return AlreadyExists("an account with this email already exists");
  }
  SALESOS_RETURN_IF_ERROR(st);
  log::Info("workspace registered", {{"workspaceId", ws.id}, {"userId", user.id}});
  return FillAuthResponse(user, ws, resp);
}

Status AuthService::DoLogin(const v1::LoginRequest& req, v1::AuthResponse* resp) {
  std::string email = NormalizeEmail(req.email());
  if (email.empty()) {
    return FieldError("email", "is required");
  }
  if (req.password().empty()) {
    return FieldError("password", "is required");
  }
  if (email.size() > kMaxEmailLength || req.password().size() > 4 * kMaxPasswordLength) {
    return Unauthenticated(kBadCredentials);
  }
  const std::string key = EmailKey(email);
  SALESOS_RETURN_IF_ERROR(login_guard_.Check(key));
  auto user = store_.FindUserByEmailKey(key);
  if (!user.ok()) {
    return user.status();
  }
  if (!user->has_value()) {
    hasher_.VerifyDummy(req.password());
    login_guard_.RecordFailure(key);
    return Unauthenticated(kBadCredentials);
  }
  if (!hasher_.Verify((*user)->password_hash, req.password())) {
    login_guard_.RecordFailure(key);
    return Unauthenticated(kBadCredentials);
  }
  auto ws = store_.FindWorkspace((*user)->workspace_id);
  if (!ws.ok()) {
    return ws.status();
  }
  if (!ws->has_value()) {
    return Unauthenticated(kBadCredentials);
  }
  return FillAuthResponse(**user, **ws, resp);
}

Status AuthService::DoRefresh(const v1::RefreshRequest& req, v1::AuthResponse* resp) {
  if (req.refresh_token().empty()) {
    return FieldError("refreshToken", "is required");
  }
  UserRecord user;
  WorkspaceRecord ws;
  auto refreshed = sessions_.Refresh(
      req.refresh_token(),
      [&](const std::string& workspace_id, const std::string& user_id) -> Result<std::string> {
        auto m = store_.FindMembership(workspace_id, user_id);
        if (!m.ok()) {
          return m.status();
        }
        if (!m->has_value()) {
          return NotFound("member not found");
        }
        user = (*m)->user;
        ws = (*m)->workspace;
        return TokenRole(user);
      });
  if (!refreshed.ok()) {
    return refreshed.status();
  }
  resp->set_access_token(refreshed->tokens.access_token);
  resp->set_refresh_token(refreshed->tokens.refresh_token);
  resp->set_expires_in(refreshed->tokens.expires_in);
  FillUser(user, resp->mutable_user());
  FillWorkspace(ws, resp->mutable_workspace());
  return OkStatus();
}

Status AuthService::DoChangePassword(const rpc::Caller& caller,
                                     const v1::ChangePasswordRequest& req) {
  if (caller.is_service()) {
    return PermissionDenied("a service has no password");
  }
  if (req.current_password().empty()) {
    return FieldError("currentPassword", "is required");
  }
  SALESOS_RETURN_IF_ERROR(ValidatePassword(req.new_password(), "newPassword"));
  if (req.new_password() == req.current_password()) {
    return FieldError("newPassword", "must differ from the current password");
  }
  auto user = store_.FindUser(caller.workspace_id, caller.user_id);
  if (!user.ok()) {
    return user.status();
  }
  if (!user->has_value()) {
    return Unauthenticated("the account of this token no longer exists");
  }
  SALESOS_RETURN_IF_ERROR(login_guard_.Check((*user)->email_key));
  if (!hasher_.Verify((*user)->password_hash, req.current_password())) {
    login_guard_.RecordFailure((*user)->email_key);
    return FieldError("currentPassword", "is not your current password");
  }
  auto hash = hasher_.Hash(req.new_password());
  if (!hash.ok()) {
    return hash.status();
  }
  SALESOS_RETURN_IF_ERROR(store_.SetPasswordHash(caller.workspace_id, caller.user_id, *hash));
  log::Info("password changed", {{"userId", caller.user_id}});
  // Every session ends, this one too: whoever knew the old password is out.
  return sessions_.RevokeUser(caller.user_id);
}

Status AuthService::DoIssueServiceToken(const v1::IssueServiceTokenRequest& req,
                                        v1::IssueServiceTokenResponse* resp) {
  static const std::set<std::string> kServices = {"auth",           "campaign",
                                                  "conversation",   "webhook_ingest",
                                                  "ai_orchestration", "analytics",
                                                  "gateway"};
  if (!kServices.count(req.service())) {
    return Unauthenticated("unknown service");
  }
  int64_t now = NowUnixSeconds();
  if (req.timestamp() < now - 60 || req.timestamp() > now + 60) {
    return Unauthenticated("service token request is too old or from the future (clock skew?)");
  }
  std::string expected = rpc::ServiceTokenProof(options_.service_secret, req.service(), req.timestamp());
  if (options_.service_secret.empty() || !crypto::ConstantTimeEquals(expected, req.proof())) {
    log::Warn("service token refused: bad proof", {{"service", req.service()}});
    return Unauthenticated("bad service proof");
  }
  int64_t expires_at = 0;
  resp->set_token(issuer_.SignService(req.service(), &expires_at));
  resp->set_expires_in(static_cast<int32_t>(expires_at - now));
  return OkStatus();
}

Status AuthService::DoMe(const std::string& workspace_id, const std::string& user_id,
                         v1::MeResponse* resp) {
  auto membership = store_.FindMembership(workspace_id, user_id);
  if (!membership.ok()) {
    return membership.status();
  }
  if (!membership->has_value()) {
    return Unauthenticated("the account of this token no longer exists");
  }
  FillUser((*membership)->user, resp->mutable_user());
  FillWorkspace((*membership)->workspace, resp->mutable_workspace());
  return OkStatus();
}

grpc::ServerUnaryReactor* AuthService::Register(grpc::CallbackServerContext* ctx,
                                                const v1::RegisterRequest* req,
                                                v1::AuthResponse* resp) {
  return rpc::Handle(ctx, pool_,
                     [this, req, resp](const rpc::Caller&) { return DoRegister(*req, resp); });
}

grpc::ServerUnaryReactor* AuthService::Login(grpc::CallbackServerContext* ctx,
                                             const v1::LoginRequest* req, v1::AuthResponse* resp) {
  return rpc::Handle(ctx, pool_,
                     [this, req, resp](const rpc::Caller&) { return DoLogin(*req, resp); });
}

grpc::ServerUnaryReactor* AuthService::Me(grpc::CallbackServerContext* ctx,
                                          const v1::MeRequest* req, v1::MeResponse* resp) {
  return rpc::Handle(ctx, pool_, [this, resp](const rpc::Caller& caller) {
    return DoMe(caller.workspace_id, caller.user_id, resp);
  });
}

grpc::ServerUnaryReactor* AuthService::Refresh(grpc::CallbackServerContext* ctx,
                                               const v1::RefreshRequest* req,
                                               v1::AuthResponse* resp) {
  return rpc::Handle(ctx, pool_,
                     [this, req, resp](const rpc::Caller&) { return DoRefresh(*req, resp); });
}

grpc::ServerUnaryReactor* AuthService::Logout(grpc::CallbackServerContext* ctx,
                                              const v1::LogoutRequest* req,
                                              v1::LogoutResponse* resp) {
  return rpc::Handle(ctx, pool_,
                     [this, req](const rpc::Caller&) { return sessions_.Logout(req->refresh_token()); });
}

grpc::ServerUnaryReactor* AuthService::LogoutAll(grpc::CallbackServerContext* ctx,
                                                 const v1::LogoutAllRequest* req,
                                                 v1::LogoutResponse* resp) {
  return rpc::Handle(ctx, pool_, [this](const rpc::Caller& caller) -> Status {
    if (caller.is_service()) {
      return PermissionDenied("a service has no sessions");
    }
    return sessions_.RevokeUser(caller.user_id);
  });
}

grpc::ServerUnaryReactor* AuthService::ChangePassword(grpc::CallbackServerContext* ctx,
                                                      const v1::ChangePasswordRequest* req,
                                                      v1::ChangePasswordResponse* resp) {
  return rpc::Handle(ctx, pool_, [this, req](const rpc::Caller& caller) {
    return DoChangePassword(caller, *req);
  });
}

grpc::ServerUnaryReactor* AuthService::IssueServiceToken(
    grpc::CallbackServerContext* ctx, const v1::IssueServiceTokenRequest* req,
    v1::IssueServiceTokenResponse* resp) {
  return rpc::Handle(ctx, pool_, [this, req, resp](const rpc::Caller&) {
    return DoIssueServiceToken(*req, resp);
  });
}

grpc::ServerUnaryReactor* AuthService::GetJwks(grpc::CallbackServerContext* ctx,
                                               const v1::GetJwksRequest* req, v1::Jwks* resp) {
  // Cheap and non-blocking: answered on the gRPC thread.
  for (const auto& jwk : issuer_.PublicKeys()) {
    auto* k = resp->add_keys();
    k->set_kty("OKP");
    k->set_crv("Ed25519");
    k->set_x(jwk.x);
    k->set_kid(jwk.kid);
    k->set_alg("EdDSA");
    k->set_use("sig");
  }
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace salesos::auth
