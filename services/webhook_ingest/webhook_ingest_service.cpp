#include "webhook_ingest_service.h"

#include "meta_signature.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/core/log.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/status_mapping.h"

namespace salesos::webhook_ingest {

ChannelLookup AuthChannelLookup(std::shared_ptr<grpc::Channel> auth,
                                rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<auth::v1::ChannelService::Stub> stub = auth::v1::ChannelService::NewStub(auth);
  return [stub, &tokens, timeout_ms](
             const std::string& platform,
             const std::string& external_id) -> Result<std::optional<ChannelRef>> {
    grpc::ClientContext ctx;
    SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens, timeout_ms));
    auth::v1::ResolveChannelRequest req;
    req.set_platform(platform);
    req.set_external_id(external_id);
    auth::v1::ResolvedChannel resp;
    grpc::Status st = stub->ResolveChannel(&ctx, req, &resp);
    if (st.error_code() == grpc::StatusCode::NOT_FOUND ||
        st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      return std::optional<ChannelRef>();
    }
    if (!st.ok()) {
      return rpc::FromGrpc(st);
    }
    return std::optional<ChannelRef>(ChannelRef{resp.workspace_id(), resp.integration_id()});
  };
}

grpc::ServerUnaryReactor* WebhookIngestService::VerifyMetaWebhook(grpc::CallbackServerContext* ctx,
                                                                  const v1::MetaVerifyRequest* req,
                                                                  v1::MetaVerifyResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller&) -> Status {
    auto challenge =
        CheckHandshake(req->mode(), req->verify_token(), req->challenge(), verify_token_);
    if (!challenge.ok()) {
      // Never the token itself in the log.
      log::Warn("webhook handshake refused",
                {{"reason", challenge.status().message()}, {"mode", req->mode().substr(0, 40)}});
      return challenge.status();
    }
    log::Info("webhook handshake answered");
    resp->set_challenge(std::move(*challenge));
    return OkStatus();
  });
}

grpc::ServerUnaryReactor* WebhookIngestService::IngestMetaWebhook(grpc::CallbackServerContext* ctx,
                                                                  const v1::MetaWebhookRequest* req,
                                                                  v1::MetaWebhookResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller&) -> Status {
    std::optional<log::ScopedLogContext> log_ctx;
    if (!req->request_id().empty() && rpc::RequestIdOf(ctx).empty()) {
      log_ctx.emplace(req->request_id(), rpc::TraceIdOf(ctx));
    }
    SALESOS_ASSIGN_OR_RETURN(IngestCounts counts,
                             pipeline_.Ingest(req->body(), req->signature_256()));
    resp->set_accepted(counts.accepted);
    resp->set_duplicates(counts.duplicates);
    resp->set_ignored(counts.ignored);
    return OkStatus();
  });
}

Status WebhookIngestService::HandleEvent(const redis::StreamEntry& entry) {
  const std::string* type = entry.Field("type");
  if (type == nullptr || *type != "channel.changed") {
    return OkStatus();
  }
  const std::string* raw = entry.Field("envelope");
  events::v1::EventEnvelope envelope;
  events::v1::ChannelChanged changed;
  if (raw == nullptr || !envelope.ParseFromString(*raw) ||
      !changed.ParseFromString(envelope.payload())) {
    log::Warn("ignoring a channel.changed event that cannot be read", {{"entry", entry.id}});
    return OkStatus();
  }
  Status st = resolver_.Forget(changed.platform(), changed.external_id());
  if (st.ok()) {
    log::Info("channel cache dropped", {{"platform", changed.platform()},
                                        {"channel", changed.external_id()},
                                        {"change", changed.change()}});
  }
  return st;
}

}  // namespace salesos::webhook_ingest
