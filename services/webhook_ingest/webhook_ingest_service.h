#pragma once

// WebhookIngestService: the gRPC adapter of webhook_ingest. Its rpcs arrive with the issues that build them
// (see README.md); until then it serves health and reflection and owns its migrated store.

#include "salesos/webhook_ingest/v1/webhook_ingest.grpc.pb.h"
#include "salesos/store/store.h"

namespace salesos::webhook_ingest {

class WebhookIngestService final : public v1::WebhookIngestService::CallbackService {
 public:
  explicit WebhookIngestService(store::Store& store) : store_(store) {}

 private:
  [[maybe_unused]] store::Store& store_;
};

}  // namespace salesos::webhook_ingest
