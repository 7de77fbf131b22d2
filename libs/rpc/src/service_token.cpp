#include "salesos/rpc/service_token.h"

#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/crypto/hash.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/status_mapping.h"

namespace salesos::rpc {

std::string ServiceTokenProof(const std::string& secret, const std::string& service,
                              int64_t unix_seconds) {
  return HexEncode(crypto::HmacSha256(secret, service + "." + std::to_string(unix_seconds)));
}

ServiceTokenSource::ServiceTokenSource(std::shared_ptr<grpc::Channel> auth_channel,
                                       std::string service, std::string secret, const Clock& clock)
    : channel_(std::move(auth_channel)),
      service_(std::move(service)),
      secret_(std::move(secret)),
      clock_(clock) {}

Result<std::string> ServiceTokenSource::Authorization() {
  std::lock_guard lock(mu_);
  int64_t now = clock_.NowSeconds();
  if (!token_.empty() && now < expires_at_ - 60) {
    return "Bearer " + token_;
  }
  auto stub = auth::v1::AuthService::NewStub(channel_);
  grpc::ClientContext ctx;
  PrepareContext(ctx, 3000);
  auth::v1::IssueServiceTokenRequest req;
  req.set_service(service_);
  req.set_timestamp(now);
  req.set_proof(ServiceTokenProof(secret_, service_, now));
  auth::v1::IssueServiceTokenResponse resp;
  grpc::Status st = stub->IssueServiceToken(&ctx, req, &resp);
  if (!st.ok()) {
    return FromGrpc(st);
  }
  token_ = resp.token();
  expires_at_ = now + resp.expires_in();
  return "Bearer " + token_;
}

Status PrepareServiceCall(grpc::ClientContext& ctx, ServiceTokenSource& tokens, int timeout_ms) {
  SALESOS_ASSIGN_OR_RETURN(std::string authorization, tokens.Authorization());
  CallMetadata md;
  md.authorization = std::move(authorization);
  PrepareContext(ctx, timeout_ms, md);
  return OkStatus();
}

}  // namespace salesos::rpc
