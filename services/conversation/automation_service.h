#pragma once

// AutomationServiceImpl: the gRPC adapter of automations (docs/automations.md): CRUD and the
// executions list. Validation is automation_rules', the SQL automation_store's; the engine that
// runs them is automation_engine's. Admins and up write, every member reads (the rpcs'
// (salesos.api.access) rules, checked before the handler runs). Each handler runs on the work
// pool; the Do* methods are public so tests drive them without gRPC. Another workspace's ids
// answer NOT_FOUND.

#include <grpcpp/grpcpp.h>

#include "automation_store.h"
#include "contact_store.h"
#include "conversation_peers.h"
#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

class AutomationServiceImpl final : public v1::AutomationService::CallbackService {
 public:
  // `members`: whether an assign_agent action's agent is a member (auth); empty: any user id.
  AutomationServiceImpl(store::Store& db, rpc::WorkPool& pool, MemberCheck members = {})
      : store_(db), contacts_(db), pool_(pool), members_(std::move(members)) {}

  grpc::ServerUnaryReactor* CreateAutomation(grpc::CallbackServerContext* ctx,
                                             const v1::Automation* req,
                                             v1::Automation* resp) override;
  grpc::ServerUnaryReactor* ListAutomations(grpc::CallbackServerContext* ctx,
                                            const v1::ListAutomationsRequest* req,
                                            v1::ListAutomationsResponse* resp) override;
  grpc::ServerUnaryReactor* GetAutomation(grpc::CallbackServerContext* ctx,
                                          const v1::GetAutomationRequest* req,
                                          v1::Automation* resp) override;
  grpc::ServerUnaryReactor* UpdateAutomation(grpc::CallbackServerContext* ctx,
                                             const v1::UpdateAutomationRequest* req,
                                             v1::Automation* resp) override;
  grpc::ServerUnaryReactor* DeleteAutomation(grpc::CallbackServerContext* ctx,
                                             const v1::DeleteAutomationRequest* req,
                                             v1::DeleteAutomationResponse* resp) override;
  grpc::ServerUnaryReactor* ListAutomationExecutions(
      grpc::CallbackServerContext* ctx, const v1::ListAutomationExecutionsRequest* req,
      v1::ListAutomationExecutionsResponse* resp) override;

  Status DoCreateAutomation(const rpc::Caller& caller, const v1::Automation& req,
                            v1::Automation* resp);
  Status DoListAutomations(const rpc::Caller& caller, const v1::ListAutomationsRequest& req,
                           v1::ListAutomationsResponse* resp);
  Status DoGetAutomation(const rpc::Caller& caller, const v1::GetAutomationRequest& req,
                         v1::Automation* resp);
  Status DoUpdateAutomation(const rpc::Caller& caller, const v1::UpdateAutomationRequest& req,
                            v1::Automation* resp);
  Status DoDeleteAutomation(const rpc::Caller& caller, const v1::DeleteAutomationRequest& req);
  Status DoListAutomationExecutions(const rpc::Caller& caller,
                                    const v1::ListAutomationExecutionsRequest& req,
                                    v1::ListAutomationExecutionsResponse* resp);

 private:
  // Validation, then each assign_agent's agent checked with auth.
  Status Check(const rpc::Caller& caller, v1::Automation* a);
  // A schedule.daily rule saved after today's time in its zone first runs tomorrow.
  Status SkipToday(const AutomationRow& row);

  AutomationStore store_;
  ContactStore contacts_;
  rpc::WorkPool& pool_;
  MemberCheck members_;
};

}  // namespace salesos::conversation
