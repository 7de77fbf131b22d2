#pragma once

// ServiceTokenSource: the service token a SalesOS service presents when it calls another one
// (DESIGN §4). It proves to auth that it holds the shared service secret
// (HMAC-SHA256(secret, service + "." + unix seconds)) and gets a 5-minute token back, reused until
// a minute before it expires. Thread-safe.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>

#include "salesos/core/status.h"
#include "salesos/core/time.h"

namespace salesos::rpc {

// The proof auth expects for `service` at `unix_seconds`: lowercase hex HMAC-SHA256.
std::string ServiceTokenProof(const std::string& secret, const std::string& service,
                              int64_t unix_seconds);

class ServiceTokenSource {
 public:
  ServiceTokenSource(std::shared_ptr<grpc::Channel> auth_channel, std::string service,
                     std::string secret, const Clock& clock = SystemClock());

  // "Bearer <token>", for CallMetadata::authorization.
  Result<std::string> Authorization();

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::string service_;
  std::string secret_;
  const Clock& clock_;
  std::mutex mu_;
  std::string token_;
  int64_t expires_at_ = 0;
};

// Readies `ctx` for a call to another service as this one: the deadline (timeout_ms from now)
// and this service's token. kUnavailable when no token can be had (auth unreachable).
Status PrepareServiceCall(grpc::ClientContext& ctx, ServiceTokenSource& tokens, int timeout_ms);

}  // namespace salesos::rpc
