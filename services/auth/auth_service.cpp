#include "auth_service.h"

#include "account_rules.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"

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

Status AuthService::FillAuthResponse(const UserRecord& user, const WorkspaceRecord& ws,
                                     v1::AuthResponse* resp) {
  auto tokens = issuer_.Issue(user.id, ws.id, user.role);
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
  auto user = store_.FindUserByEmailKey(EmailKey(email));
  if (!user.ok()) {
    return user.status();
  }
  if (!user->has_value()) {
    hasher_.VerifyDummy(req.password());
    return Unauthenticated(kBadCredentials);
  }
  if (!hasher_.Verify((*user)->password_hash, req.password())) {
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
  return rpc::Handle(ctx, pool_, [this, req, resp] { return DoRegister(*req, resp); });
}

grpc::ServerUnaryReactor* AuthService::Login(grpc::CallbackServerContext* ctx,
                                             const v1::LoginRequest* req, v1::AuthResponse* resp) {
  return rpc::Handle(ctx, pool_, [this, req, resp] { return DoLogin(*req, resp); });
}

grpc::ServerUnaryReactor* AuthService::Me(grpc::CallbackServerContext* ctx,
                                          const v1::MeRequest* req, v1::MeResponse* resp) {
  return rpc::HandleAuthenticated(ctx, pool_, [this, resp](const rpc::Caller& caller) {
    return DoMe(caller.workspace_id, caller.user_id, resp);
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
