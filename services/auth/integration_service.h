#pragma once

// IntegrationServiceImpl (public CRUD of channel integrations) and ChannelServiceImpl (internal
// ResolveChannel / GetChannelCredentials for services). Credentials are sealed with
// AES-256-GCM under the data key before they touch the database. SQL in integration_store.

#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/crypto/aead.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"

namespace salesos::auth {

class IntegrationServiceImpl final : public v1::IntegrationService::CallbackService {
 public:
  IntegrationServiceImpl(store::Store& db, const crypto::Aead& data_key,
                         rpc::EventPublisher& events, rpc::WorkPool& pool)
      : db_(db), data_key_(data_key), events_(events), pool_(pool) {}

 private:
  [[maybe_unused]] store::Store& db_;
  [[maybe_unused]] const crypto::Aead& data_key_;
  [[maybe_unused]] rpc::EventPublisher& events_;
  [[maybe_unused]] rpc::WorkPool& pool_;
};

class ChannelServiceImpl final : public v1::ChannelService::CallbackService {
 public:
  ChannelServiceImpl(store::Store& db, const crypto::Aead& data_key, rpc::WorkPool& pool)
      : db_(db), data_key_(data_key), pool_(pool) {}

 private:
  [[maybe_unused]] store::Store& db_;
  [[maybe_unused]] const crypto::Aead& data_key_;
  [[maybe_unused]] rpc::WorkPool& pool_;
};

}  // namespace salesos::auth
