#pragma once

// IntegrationServiceImpl (public CRUD of channel integrations) and ChannelServiceImpl (internal
// ResolveChannel / GetChannelCredentials for services). Credentials are sealed with
// AES-256-GCM under the data key before they touch the database. Rules in integration_rules,
// SQL in integration_store.
//
// Each handler runs on the work pool after the call's access decision (rpc::Handle: the rpc's
// (salesos.api.access) rule), so the Do* methods only see callers the contract lets in. They are
// public so tests can drive the logic without gRPC.

#include "integration_store.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/crypto/aead.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"

namespace salesos::auth {

// The event type written on every connect, change and removal of an integration.
inline constexpr char kChannelChangedEvent[] = "channel.changed";

// Publishes channel.changed for a committed change of `rec` ("connected", "updated",
// "disconnected"). A failed write is logged, not returned: caches of the channel heal by TTL.
void PublishChannelChanged(rpc::EventPublisher& events, const IntegrationRecord& rec,
                           const char* change);

class IntegrationServiceImpl final : public v1::IntegrationService::CallbackService {
 public:
  IntegrationServiceImpl(store::Store& db, const crypto::Aead& data_key,
                         rpc::EventPublisher& events, rpc::WorkPool& pool)
      : store_(db), data_key_(data_key), events_(events), pool_(pool) {}

  grpc::ServerUnaryReactor* CreateIntegration(grpc::CallbackServerContext* ctx,
                                              const v1::CreateIntegrationRequest* req,
                                              v1::Integration* resp) override;
  grpc::ServerUnaryReactor* ListIntegrations(grpc::CallbackServerContext* ctx,
                                             const v1::ListIntegrationsRequest* req,
                                             v1::ListIntegrationsResponse* resp) override;
  grpc::ServerUnaryReactor* GetIntegration(grpc::CallbackServerContext* ctx,
                                           const v1::GetIntegrationRequest* req,
                                           v1::Integration* resp) override;
  grpc::ServerUnaryReactor* UpdateIntegration(grpc::CallbackServerContext* ctx,
                                              const v1::UpdateIntegrationRequest* req,
                                              v1::Integration* resp) override;
  grpc::ServerUnaryReactor* DeleteIntegration(grpc::CallbackServerContext* ctx,
                                              const v1::DeleteIntegrationRequest* req,
                                              v1::DeleteIntegrationResponse* resp) override;

  Status DoCreate(const rpc::Caller& caller, const v1::CreateIntegrationRequest& req,
                  v1::Integration* resp);
  Status DoList(const rpc::Caller& caller, const v1::ListIntegrationsRequest& req,
                v1::ListIntegrationsResponse* resp);
  Status DoGet(const rpc::Caller& caller, const v1::GetIntegrationRequest& req,
               v1::Integration* resp);
  Status DoUpdate(const rpc::Caller& caller, const v1::UpdateIntegrationRequest& req,
                  v1::Integration* resp);
  Status DoDelete(const rpc::Caller& caller, const v1::DeleteIntegrationRequest& req);

 private:
  // Tells ResolveChannel's caches (webhook_ingest) to drop their copy of the channel.
  void PublishChanged(const IntegrationRecord& rec, const char* change);

  IntegrationStore store_;
  const crypto::Aead& data_key_;
  rpc::EventPublisher& events_;
  rpc::WorkPool& pool_;
};

class ChannelServiceImpl final : public v1::ChannelService::CallbackService {
 public:
  ChannelServiceImpl(store::Store& db, const crypto::Aead& data_key, rpc::WorkPool& pool)
      : store_(db), data_key_(data_key), pool_(pool) {}

  grpc::ServerUnaryReactor* ResolveChannel(grpc::CallbackServerContext* ctx,
                                           const v1::ResolveChannelRequest* req,
                                           v1::ResolvedChannel* resp) override;
  grpc::ServerUnaryReactor* GetChannelCredentials(grpc::CallbackServerContext* ctx,
                                                  const v1::GetChannelCredentialsRequest* req,
                                                  v1::ChannelCredentials* resp) override;

  Status DoResolveChannel(const v1::ResolveChannelRequest& req, v1::ResolvedChannel* resp);
  Status DoGetChannelCredentials(const rpc::Caller& caller,
                                 const v1::GetChannelCredentialsRequest& req,
                                 v1::ChannelCredentials* resp);

 private:
  IntegrationStore store_;
  const crypto::Aead& data_key_;
  rpc::WorkPool& pool_;
};

// The public view of an integration: everything but the sealed credentials (export uses it too).
void FillIntegration(const IntegrationRecord& rec, v1::Integration* out);

}  // namespace salesos::auth
