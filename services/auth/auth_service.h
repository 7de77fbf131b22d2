#pragma once

// AuthService: the gRPC adapter of sign-up, login and sessions. Each handler runs on the work
// pool after the call's access decision (rpc::Handle), validates its request and maps results to
// status codes; the rules live in account_rules, the SQL in auth_store, the tokens in
// token_issuer and sessions.

#include <set>
#include <string>

#include "auth_store.h"
#include "login_guard.h"
#include "password_hasher.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/rpc/work_pool.h"
#include "sessions.h"
#include "token_issuer.h"

namespace salesos::auth {

struct AuthServiceOptions {
  // Lower-cased emails whose users are platform superadmins (their tokens carry that role).
  std::set<std::string> superadmin_emails;
  // The shared secret other services prove themselves with (IssueServiceToken).
  std::string service_secret;
};

// "a@x.com, B@y.com" → {"a@x.com", "b@y.com"}
std::set<std::string> ParseEmailList(const std::string& list);

class AuthService final : public v1::AuthService::CallbackService {
 public:
  AuthService(AuthStore& store, TokenIssuer& issuer, PasswordHasher& hasher, Sessions& sessions,
              LoginGuard& login_guard, AuthServiceOptions options, rpc::WorkPool& pool)
      : store_(store),
        issuer_(issuer),
        hasher_(hasher),
        sessions_(sessions),
        login_guard_(login_guard),
        options_(std::move(options)),
        pool_(pool) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx,
                                     const v1::RegisterRequest* req,
                                     v1::AuthResponse* resp) override;
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* ctx, const v1::LoginRequest* req,
                                  v1::AuthResponse* resp) override;
  grpc::ServerUnaryReactor* Refresh(grpc::CallbackServerContext* ctx,
                                    const v1::RefreshRequest* req,
                                    v1::AuthResponse* resp) override;
  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* ctx, const v1::LogoutRequest* req,
                                   v1::LogoutResponse* resp) override;
  grpc::ServerUnaryReactor* LogoutAll(grpc::CallbackServerContext* ctx,
                                      const v1::LogoutAllRequest* req,
                                      v1::LogoutResponse* resp) override;
  grpc::ServerUnaryReactor* ChangePassword(grpc::CallbackServerContext* ctx,
                                           const v1::ChangePasswordRequest* req,
                                           v1::ChangePasswordResponse* resp) override;
  grpc::ServerUnaryReactor* Me(grpc::CallbackServerContext* ctx, const v1::MeRequest* req,
                               v1::MeResponse* resp) override;
  grpc::ServerUnaryReactor* GetJwks(grpc::CallbackServerContext* ctx,
                                    const v1::GetJwksRequest* req, v1::Jwks* resp) override;
  grpc::ServerUnaryReactor* IssueServiceToken(grpc::CallbackServerContext* ctx,
                                              const v1::IssueServiceTokenRequest* req,
                                              v1::IssueServiceTokenResponse* resp) override;

  // The logic behind the handlers, callable without gRPC (tests, benchmarks).
  Status DoRegister(const v1::RegisterRequest& req, v1::AuthResponse* resp);
  Status DoLogin(const v1::LoginRequest& req, v1::AuthResponse* resp);
  Status DoRefresh(const v1::RefreshRequest& req, v1::AuthResponse* resp);
  Status DoChangePassword(const rpc::Caller& caller, const v1::ChangePasswordRequest& req);
  Status DoMe(const std::string& workspace_id, const std::string& user_id, v1::MeResponse* resp);
  Status DoIssueServiceToken(const v1::IssueServiceTokenRequest& req,
                             v1::IssueServiceTokenResponse* resp);

 private:
  // The role the user's tokens carry: superadmin for the listed emails, else the member's role.
  std::string TokenRole(const UserRecord& user) const;
  Status FillAuthResponse(const UserRecord& user, const WorkspaceRecord& ws,
                          v1::AuthResponse* resp);

  AuthStore& store_;
  TokenIssuer& issuer_;
  PasswordHasher& hasher_;
  Sessions& sessions_;
  LoginGuard& login_guard_;
  AuthServiceOptions options_;
  rpc::WorkPool& pool_;
};

}  // namespace salesos::auth
