#pragma once

// ConversationService: the gRPC adapter of conversation. Its rpcs arrive with the issues that build them
// (see README.md); until then it serves health and reflection and owns its migrated store.

#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

class ConversationService final : public v1::ConversationService::CallbackService {
 public:
  explicit ConversationService(store::Store& store) : store_(store) {}

 private:
  [[maybe_unused]] store::Store& store_;
};

}  // namespace salesos::conversation
