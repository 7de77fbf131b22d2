#pragma once

// WebhookIngestService: the gRPC adapter of webhook_ingest. VerifyMetaWebhook answers Meta's
// subscription handshake (meta_signature.h); IngestMetaWebhook runs a delivery through the
// InboundPipeline and answers its counts once the items are in salesos:inbound. Both are anonymous
// rpcs the gateway's /webhooks/meta route calls. HandleEvent drops the cached channel on
// channel.changed (salesos:events). Handlers run on the work pool; thread-safe.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "channel_resolver.h"
#include "inbound_pipeline.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/service_token.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/webhook_ingest/v1/webhook_ingest.grpc.pb.h"

namespace salesos::webhook_ingest {

// ChannelLookup over auth's ChannelService.ResolveChannel with this service's token: NOT_FOUND
// (and INVALID_ARGUMENT, an id auth would never store) is "no workspace"; anything else an error.
ChannelLookup AuthChannelLookup(std::shared_ptr<grpc::Channel> auth,
                                rpc::ServiceTokenSource& tokens, int timeout_ms = 2000);

class WebhookIngestService final : public v1::WebhookIngestService::CallbackService {
 public:
  WebhookIngestService(InboundPipeline& pipeline, ChannelResolver& resolver,
                       std::string verify_token, rpc::WorkPool& pool)
      : pipeline_(pipeline),
        resolver_(resolver),
        verify_token_(std::move(verify_token)),
        pool_(pool) {}

  grpc::ServerUnaryReactor* VerifyMetaWebhook(grpc::CallbackServerContext* ctx,
                                              const v1::MetaVerifyRequest* req,
                                              v1::MetaVerifyResponse* resp) override;
  grpc::ServerUnaryReactor* IngestMetaWebhook(grpc::CallbackServerContext* ctx,
                                              const v1::MetaWebhookRequest* req,
                                              v1::MetaWebhookResponse* resp) override;

  // One entry of salesos:events: channel.changed drops the channel's cached resolution; other
  // types are acknowledged untouched.
  Status HandleEvent(const redis::StreamEntry& entry);

 private:
  InboundPipeline& pipeline_;
  ChannelResolver& resolver_;
  std::string verify_token_;
  rpc::WorkPool& pool_;
};

}  // namespace salesos::webhook_ingest
