#pragma once

// Factories behind OpenStore, one per technology.

#include <string>

#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::store::internal {

// path: a file path (its directory is created when missing) or ":memory:".
Result<StorePtr> OpenSqliteStore(const std::string& path, const StoreOptions& options);

// url: a libpq connection URI ("postgresql://..." or "postgres://...").
Result<StorePtr> OpenPostgresStore(const std::string& url, const StoreOptions& options);

}  // namespace salesos::store::internal
