#pragma once

// Caller: who is calling, as proven by a verified bearer token. Services learn it from
// CallerOf(ctx), which the auth interceptor (server.h) fills before the handler runs; no service
// trusts a bare header.

#include <grpcpp/server_context.h>

#include <string>

#include "salesos/core/status.h"

namespace salesos::rpc {

struct Caller {
  bool anonymous() const { return user_id.empty(); }
  bool is_service() const { return token_type == "service"; }
  std::string user_id;
  std::string workspace_id;
  std::string role;       // "owner" | "admin" | "agent" | "viewer" | "superadmin"; "service"
  std::string token_id;   // jti
  std::string token_type; // "access" | "service"
  int64_t issued_at = 0;  // unix seconds
  // Unix milliseconds: from the jti when it is a UUIDv7 (the issuer's), else issued_at * 1000.
  // Revocation cut-offs compare against it, so a login right after a logout-all is not refused.
  int64_t issued_at_ms = 0;
  int64_t expires_at = 0; // unix seconds
};

// The access decision of the call on `ctx`: its verified caller, or UNAUTHENTICATED with the
// reason (no token, expired, bad signature...), or PERMISSION_DENIED when the method's
// (salesos.api.access) rule refuses the caller's role. An empty Caller for an anonymous rpc
// called without a token. Valid from the handler's start until the call finishes.
Result<Caller> CallerOf(const grpc::ServerContextBase* ctx);

// Rank of a role for rule checks: viewer 1, agent 2, admin 3, owner 4, superadmin above all; 0
// for anything else.
int RoleRank(std::string_view role);

// Request and trace ids of a call, read from metadata (x-request-id, traceparent).
std::string RequestIdOf(const grpc::ServerContextBase* ctx);
std::string TraceIdOf(const grpc::ServerContextBase* ctx);
// The call's W3C traceparent metadata when well-formed (log::IsTraceparent), else "".
std::string TraceparentOf(const grpc::ServerContextBase* ctx);

namespace internal {
// Used by the interceptor: record and forget the verification result of a call.
void RecordCaller(const grpc::ServerContextBase* ctx, Result<Caller> caller);
void ForgetCaller(const grpc::ServerContextBase* ctx);
}  // namespace internal

}  // namespace salesos::rpc
