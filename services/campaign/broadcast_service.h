#pragma once

// BroadcastServiceImpl: the gRPC adapter of broadcasts (docs/broadcasts.md). Creation checks
// everything a broadcast needs before anything is stored: the campaign, exactly one audience
// (a segment's rules, copied, or a tree), exactly one message (a template, text, or an inline
// WhatsApp template), the integration (auth) and whether its channel can carry the message to the
// audience (conversation's counts: the 24-hour window). The background work is BroadcastEngine's.
//
// Each handler runs on the work pool after the call's access decision (rpc::Handle), so the Do*
// methods only see callers the contract lets in; they are public so tests drive the logic without
// gRPC. Broadcasts belong to the caller's workspace; other workspaces' ids are answered 404.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "broadcast_sender.h"
#include "broadcast_store.h"
#include "campaign_store.h"
#include "salesos/campaign/v1/campaign.grpc.pb.h"
#include "salesos/core/time.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/service_token.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"
#include "segment_store.h"
#include "template_store.h"

namespace salesos::campaign {

// Peers over gRPC with this service's token, each call bounded by timeout_ms. `tokens` must
// outlive them.
decltype(BroadcastPeers::resolve_audience) ConversationAudience(
    std::shared_ptr<grpc::Channel> conversation_channel, rpc::ServiceTokenSource& tokens,
    int timeout_ms = 30000);
decltype(BroadcastPeers::send) ConversationSends(
    std::shared_ptr<grpc::Channel> conversation_channel, rpc::ServiceTokenSource& tokens,
    int timeout_ms = 15000);
// auth's ChannelService.GetChannelCredentials (only the workspace and platform are kept).
decltype(BroadcastPeers::integration) AuthIntegrations(std::shared_ptr<grpc::Channel> auth_channel,
                                                       rpc::ServiceTokenSource& tokens,
                                                       int timeout_ms = 5000);

class BroadcastServiceImpl final : public v1::BroadcastService::CallbackService {
 public:
  // `engine` (optional) is woken and told of status changes; `max_rate` is
  // --broadcast-max-rate.
  BroadcastServiceImpl(store::Store& db, rpc::WorkPool& pool, BroadcastPeers peers,
                       BroadcastEngine* engine, int32_t max_rate,
                       const Clock& clock = SystemClock())
      : store_(db),
        campaigns_(db),
        templates_(db),
        segments_(db),
        pool_(pool),
        peers_(std::move(peers)),
        engine_(engine),
        max_rate_(max_rate),
        clock_(clock) {}

  grpc::ServerUnaryReactor* CreateBroadcast(grpc::CallbackServerContext* ctx,
                                            const v1::CreateBroadcastRequest* req,
                                            v1::Broadcast* resp) override;
  grpc::ServerUnaryReactor* ListBroadcasts(grpc::CallbackServerContext* ctx,
                                           const v1::ListBroadcastsRequest* req,
                                           v1::ListBroadcastsResponse* resp) override;
  grpc::ServerUnaryReactor* GetBroadcast(grpc::CallbackServerContext* ctx,
                                         const v1::GetBroadcastRequest* req,
                                         v1::Broadcast* resp) override;
  grpc::ServerUnaryReactor* PauseBroadcast(grpc::CallbackServerContext* ctx,
                                           const v1::BroadcastActionRequest* req,
                                           v1::Broadcast* resp) override;
  grpc::ServerUnaryReactor* ResumeBroadcast(grpc::CallbackServerContext* ctx,
                                            const v1::BroadcastActionRequest* req,
                                            v1::Broadcast* resp) override;
  grpc::ServerUnaryReactor* CancelBroadcast(grpc::CallbackServerContext* ctx,
                                            const v1::BroadcastActionRequest* req,
                                            v1::Broadcast* resp) override;
  grpc::ServerUnaryReactor* ListBroadcastRecipients(
      grpc::CallbackServerContext* ctx, const v1::ListBroadcastRecipientsRequest* req,
      v1::ListBroadcastRecipientsResponse* resp) override;

  Status DoCreate(const rpc::Caller& caller, const v1::CreateBroadcastRequest& req,
                  v1::Broadcast* resp);
  Status DoList(const rpc::Caller& caller, const v1::ListBroadcastsRequest& req,
                v1::ListBroadcastsResponse* resp);
  Status DoGet(const rpc::Caller& caller, const std::string& id, v1::Broadcast* resp);
  // "pause" | "resume" | "cancel"
  Status DoAction(const rpc::Caller& caller, const std::string& id, const std::string& action,
                  v1::Broadcast* resp);
  Status DoListRecipients(const rpc::Caller& caller, const v1::ListBroadcastRecipientsRequest& req,
                          v1::ListBroadcastRecipientsResponse* resp);

 private:
  BroadcastStore store_;
  CampaignStore campaigns_;
  TemplateStore templates_;
  SegmentStore segments_;
  rpc::WorkPool& pool_;
  BroadcastPeers peers_;
  BroadcastEngine* engine_;
  int32_t max_rate_;
  const Clock& clock_;
};

// The API view of a stored broadcast / recipient.
void FillBroadcast(const BroadcastRecord& rec, v1::Broadcast* out);
void FillRecipient(const RecipientRecord& rec, v1::BroadcastRecipient* out);
// The broadcast as the REST API shows it (lowerCamelCase JSON), for the realtime feed.
std::string BroadcastJson(const BroadcastRecord& rec);

// A salesos:events entry: "broadcast.receipt" and "broadcast.reply" move recipients and counters
// (idempotent: statuses only move forward, a reply counts once); other types are ignored.
// `engine` (optional) is told of the change.
Status HandleBroadcastEvent(store::Store& db, BroadcastEngine* engine,
                            const redis::StreamEntry& entry, const Clock& clock = SystemClock());

}  // namespace salesos::campaign
