#pragma once

// AnalyticsService: the gRPC adapter of analytics. Its rpcs arrive with the issues that build them
// (see README.md); until then it serves health and reflection and owns its migrated store.

#include "salesos/analytics/v1/analytics.grpc.pb.h"
#include "salesos/store/store.h"

namespace salesos::analytics {

class AnalyticsService final : public v1::AnalyticsService::CallbackService {
 public:
  explicit AnalyticsService(store::Store& store) : store_(store) {}

 private:
  [[maybe_unused]] store::Store& store_;
};

}  // namespace salesos::analytics
