#pragma once

// CampaignService: the gRPC adapter of campaign. Its rpcs arrive with the issues that build them
// (see README.md); until then it serves health and reflection and owns its migrated store.

#include "salesos/campaign/v1/campaign.grpc.pb.h"
#include "salesos/store/store.h"

namespace salesos::campaign {

class CampaignService final : public v1::CampaignService::CallbackService {
 public:
  explicit CampaignService(store::Store& store) : store_(store) {}

 private:
  [[maybe_unused]] store::Store& store_;
};

}  // namespace salesos::campaign
