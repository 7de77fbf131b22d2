#pragma once

// WorkspaceServiceImpl: members and roles, the business profile (onboarding), export and deletion
// of a workspace. The gRPC adapter; rules in member_rules / profile_rules, SQL in member_store /
// profile_store.

#include "auth_store.h"
#include "password_hasher.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"
#include "sessions.h"

namespace salesos::auth {

class WorkspaceServiceImpl final : public v1::WorkspaceService::CallbackService {
 public:
  WorkspaceServiceImpl(store::Store& db, AuthStore& accounts, PasswordHasher& hasher,
                       Sessions& sessions, rpc::EventPublisher& events, rpc::WorkPool& pool)
      : db_(db), accounts_(accounts), hasher_(hasher), sessions_(sessions), events_(events),
        pool_(pool) {}

 private:
  [[maybe_unused]] store::Store& db_;
  [[maybe_unused]] AuthStore& accounts_;
  [[maybe_unused]] PasswordHasher& hasher_;
  [[maybe_unused]] Sessions& sessions_;
  [[maybe_unused]] rpc::EventPublisher& events_;
  [[maybe_unused]] rpc::WorkPool& pool_;
};

}  // namespace salesos::auth
