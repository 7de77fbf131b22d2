#pragma once

// Caller: who is calling, as proven by a verified bearer token. Services learn it from
// CallerOf(ctx), which the auth interceptor (server.h) fills before the handler runs; no service
// trusts a bare header.

#include <grpcpp/server_context.h>

#include <string>

#include "salesos/core/status.h"

namespace salesos::rpc {

struct Caller {
  std::string user_id;
  std::string workspace_id;
  std::string role;       // "owner" | "admin" | "agent" | "viewer" | "service"
  std::string token_id;   // jti
  std::string token_type; // "access" | "service"
  int64_t expires_at = 0; // unix seconds
};

// The verified caller of the call on `ctx`, or UNAUTHENTICATED with the reason (no token, expired,
// bad signature...). Valid from the handler's start until the call finishes.
Result<Caller> CallerOf(const grpc::ServerContextBase* ctx);

// Request and trace ids of a call, read from metadata (x-request-id, traceparent).
std::string RequestIdOf(const grpc::ServerContextBase* ctx);
std::string TraceIdOf(const grpc::ServerContextBase* ctx);

namespace internal {
// Used by the interceptor: record and forget the verification result of a call.
void RecordCaller(const grpc::ServerContextBase* ctx, Result<Caller> caller);
void ForgetCaller(const grpc::ServerContextBase* ctx);
}  // namespace internal

}  // namespace salesos::rpc
