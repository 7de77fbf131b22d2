#pragma once

// The store's metrics (metrics::DefaultRegistry()), labelled by engine ("sqlite" | "postgresql"):
//   salesos_store_errors_total{engine,code}          statements the engine refused, by the Store
//                                                    code they map to (already_exists is usually
//                                                    an expected duplicate; unavailable and
//                                                    internal are not)
//   salesos_store_transactions_total{engine,outcome} InTransaction calls: committed, rolled_back
//                                                    (the callback returned an error) or failed
//                                                    (BEGIN or COMMIT failed)

#include <string_view>

#include "salesos/core/status.h"

namespace salesos::store::internal {

// Counts `st` as an error of `engine` and returns it.
Status CountedError(std::string_view engine, Status st);
// Runs RunInTransaction-style `result` accounting: `callback_failed` when fn's own status failed.
void CountTransaction(std::string_view engine, const Status& st, bool callback_failed);

}  // namespace salesos::store::internal
