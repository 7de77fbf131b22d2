#pragma once

// AuthService: the gRPC adapter of auth. Each handler runs on the work pool, validates its
// request, and maps results to status codes; the rules live in account_rules, the SQL in
// auth_store, the tokens in token_issuer.

#include "auth_store.h"
#include "password_hasher.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/rpc/work_pool.h"
#include "token_issuer.h"

namespace salesos::auth {

class AuthService final : public v1::AuthService::CallbackService {
 public:
  AuthService(AuthStore& store, TokenIssuer& issuer, PasswordHasher& hasher, rpc::WorkPool& pool)
      : store_(store), issuer_(issuer), hasher_(hasher), pool_(pool) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx,
                                     const v1::RegisterRequest* req,
                                     v1::AuthResponse* resp) override;
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* ctx, const v1::LoginRequest* req,
                                  v1::AuthResponse* resp) override;
  grpc::ServerUnaryReactor* Me(grpc::CallbackServerContext* ctx, const v1::MeRequest* req,
                               v1::MeResponse* resp) override;
  grpc::ServerUnaryReactor* GetJwks(grpc::CallbackServerContext* ctx,
                                    const v1::GetJwksRequest* req, v1::Jwks* resp) override;

  // The logic behind the handlers, callable without gRPC (tests, benchmarks).
  Status DoRegister(const v1::RegisterRequest& req, v1::AuthResponse* resp);
  Status DoLogin(const v1::LoginRequest& req, v1::AuthResponse* resp);
  Status DoMe(const std::string& workspace_id, const std::string& user_id, v1::MeResponse* resp);

 private:
  Status FillAuthResponse(const UserRecord& user, const WorkspaceRecord& ws,
                          v1::AuthResponse* resp);

  AuthStore& store_;
  TokenIssuer& issuer_;
  PasswordHasher& hasher_;
  rpc::WorkPool& pool_;
};

}  // namespace salesos::auth
