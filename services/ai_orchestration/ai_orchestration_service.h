#pragma once

// AiOrchestrationService: the gRPC adapter of ai_orchestration. Its rpcs arrive with the issues that build them
// (see README.md); until then it serves health and reflection and owns its migrated store.

#include "salesos/ai_orchestration/v1/ai_orchestration.grpc.pb.h"
#include "salesos/store/store.h"

namespace salesos::ai_orchestration {

class AiOrchestrationService final : public v1::AiOrchestrationService::CallbackService {
 public:
  explicit AiOrchestrationService(store::Store& store) : store_(store) {}

 private:
  [[maybe_unused]] store::Store& store_;
};

}  // namespace salesos::ai_orchestration
