#pragma once

// The data manager's view of analytics' tables (docs/data-admin.md): the collection "analytics"
// is the hourly rollups, one document per workspace × hour × campaign × platform, id
// "<hour>:<campaign id>:<platform>" (hour: hours since the Unix epoch, UTC). Clearing it also
// drops the revenue rollups, the per-conversation state, the timeline, deferred events and the
// copy of campaigns; the processed-event ids stay, so a replayed event is still not counted twice.

#include <memory>

#include "salesos/data_admin/catalog.h"

namespace salesos::analytics {

std::unique_ptr<data_admin::Catalog> AnalyticsDataCatalog(store::Store& db);

}  // namespace salesos::analytics
