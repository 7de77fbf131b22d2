#pragma once

// The data manager's view of campaign's tables (docs/data-admin.md): campaigns (with their
// referral ids, broadcasts and their recipients as dependants), templates and segments. Nothing
// here is secret.

#include <memory>

#include "salesos/data_admin/catalog.h"

namespace salesos::campaign {

std::unique_ptr<data_admin::Catalog> CampaignDataCatalog(store::Store& db);

}  // namespace salesos::campaign
