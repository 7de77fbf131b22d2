#pragma once

// The data manager's view of auth's tables (docs/data-admin.md): users (the workspace's members:
// email, name, role — never the password hash; read-only here, members are managed by
// WorkspaceService) and integrations (never the sealed credentials, only their hint). Removing
// an integration publishes channel.changed "disconnected", as DeleteIntegration does, so
// webhook_ingest drops its cached channel.

#include <memory>

#include "salesos/data_admin/catalog.h"
#include "salesos/rpc/events.h"

namespace salesos::auth {

std::unique_ptr<data_admin::Catalog> AuthDataCatalog(store::Store& db, rpc::EventPublisher& events);

}  // namespace salesos::auth
