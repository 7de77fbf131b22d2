#include "salesos/rpc/client.h"

#include <chrono>

#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/core/log.h"
#include "salesos/rpc/message_limits.h"
#include "salesos/rpc/status_mapping.h"

namespace salesos::rpc {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& addr) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2'000);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Every address the target names gets calls in turn (replicas behind a headless Service, or
  // "ipv4:a,b"), and a replica that is draining or gone is skipped while the others serve.
  args.SetServiceConfigJSON(R"({"loadBalancingConfig":[{"round_robin":{}}]})");
  return grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
}

void PrepareContext(grpc::ClientContext& ctx, int timeout_ms, const CallMetadata& md) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  if (!md.authorization.empty()) {
    ctx.AddMetadata("authorization", md.authorization);
  }
  const std::string& request_id =
      md.request_id.empty() ? log::CurrentRequestId() : md.request_id;
  const std::string& traceparent =
      md.traceparent.empty() ? log::CurrentTraceparent() : md.traceparent;
  if (!request_id.empty()) {
    ctx.AddMetadata("x-request-id", request_id);
  }
  if (!traceparent.empty()) {
    ctx.AddMetadata("traceparent", traceparent);
  }
}

KeySource AuthJwksSource(std::shared_ptr<grpc::Channel> auth_channel, int timeout_ms) {
  auto stub = std::shared_ptr<auth::v1::AuthService::Stub>(auth::v1::AuthService::NewStub(auth_channel));
  return [stub, timeout_ms]() -> Result<std::vector<crypto::Jwk>> {
    grpc::ClientContext ctx;
    PrepareContext(ctx, timeout_ms);
    auth::v1::GetJwksRequest req;
    auth::v1::Jwks resp;
    grpc::Status st = stub->GetJwks(&ctx, req, &resp);
    if (!st.ok()) {
      return FromGrpc(st);
    }
    std::vector<crypto::Jwk> keys;
    for (const auto& k : resp.keys()) {
      if (k.kty() == "OKP" && k.crv() == "Ed25519") {
        keys.push_back(crypto::Jwk{k.kid(), k.x()});
      }
    }
    return keys;
  };
}

}  // namespace salesos::rpc
