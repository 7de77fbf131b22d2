#pragma once

// The data manager's view of campaign's tables (docs/data-admin.md): campaigns (with their
// referral ids), templates and segments. Broadcast-free: nothing here is secret.

#include <memory>

#include "salesos/data_admin/catalog.h"

namespace salesos::campaign {

std::unique_ptr<data_admin::Catalog> CampaignDataCatalog(store::Store& db);

}  // namespace salesos::campaign
