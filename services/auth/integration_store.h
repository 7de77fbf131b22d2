#pragma once

// IntegrationStore: the integrations table on libs/store; one code path for SQLite and
// PostgreSQL. Every query a workspace's user can reach filters on the workspace id, so another
// workspace's integration is simply not found; only FindByExternalId and FindById (for
// ChannelService, service tokens only) look across workspaces.
//
// It stores what it is given: credentials arrive sealed (AES-256-GCM bytes) and are kept as
// base64 text; sealing and opening are the caller's. Settings are kept as protobuf JSON.
// Thread-safe as the Store under it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salesos/auth/v1/auth.pb.h"
#include "salesos/core/status.h"
#include "salesos/rpc/data_key.h"
#include "salesos/store/store.h"

namespace salesos::auth {

struct IntegrationRecord {
  std::string id;
  std::string workspace_id;
  std::string platform;
  std::string external_id;
  std::string name;
  std::string status;
  std::string waba_id;
  v1::IntegrationSettings settings;
  std::string sealed_credentials;  // raw sealed bytes; never leave this service
  std::string credentials_hint;
  std::string connected_at;
  std::string updated_at;
};

// A partial update: what is set changes, the rest stays.
struct IntegrationUpdate {
  std::optional<v1::IntegrationSettings> settings;
  std::optional<std::string> name;
  // Set together: new sealed credentials and their hint.
  std::optional<std::string> sealed_credentials;
  std::optional<std::string> credentials_hint;
  std::string updated_at;
};

class IntegrationStore {
 public:
  explicit IntegrationStore(store::Store& db) : db_(db) {}

  // kAlreadyExists when (platform, external_id) is connected already, in any workspace.
  Status Create(const IntegrationRecord& record);
  Result<std::optional<IntegrationRecord>> Get(const std::string& workspace_id,
                                               const std::string& id);
  // Up to `limit` integrations of the workspace with ids after `after_id` ("" from the start),
  // in id order.
  Result<std::vector<IntegrationRecord>> List(const std::string& workspace_id,
                                              const std::string& after_id, int64_t limit);
  // Every integration of the workspace, in id order (export).
  Result<std::vector<IntegrationRecord>> ListAll(const std::string& workspace_id);
  // The integration after the change; nullopt when the workspace has no such integration.
  Result<std::optional<IntegrationRecord>> Update(const std::string& workspace_id,
                                                  const std::string& id,
                                                  const IntegrationUpdate& update);
  // The integration as it was before removal; nullopt when the workspace has no such one.
  Result<std::optional<IntegrationRecord>> Delete(const std::string& workspace_id,
                                                  const std::string& id);

  // Across workspaces, for ChannelService.
  Result<std::optional<IntegrationRecord>> FindByExternalId(const std::string& platform,
                                                            const std::string& external_id);
  Result<std::optional<IntegrationRecord>> FindById(const std::string& id);

 private:
  store::Store& db_;
};

// integrations.sealed_credentials as rpc::ResealColumn sees it (the aad is CredentialsAad's), for
// the re-seal after a data-key rotation.
rpc::SealedColumn SealedCredentialsColumn();

}  // namespace salesos::auth
