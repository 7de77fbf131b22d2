#pragma once

// The standard process metrics of the Prometheus client libraries, read from /proc/self at
// scrape time (Linux; elsewhere no samples): process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds.

#include "salesos/metrics/metrics.h"

namespace salesos::metrics {

// Registers them in `registry` once (later calls do nothing). The collectors live as long as the
// process.
void RegisterProcessMetrics(Registry& registry = DefaultRegistry());

}  // namespace salesos::metrics
