#pragma once

// WorkspaceServiceImpl: members and roles, the business profile (onboarding), export and deletion
// of a workspace. The gRPC adapter; rules in workspace_rules, SQL in member_store / profile_store.
//
// Who the caller is: rpc::Handle has checked the token and the rpc's (salesos.api.access)
// min_role before a handler runs. Handlers then read the caller's membership again, so a member
// removed or demoted since its token was issued is refused at once (UNAUTHENTICATED /
// PERMISSION_DENIED) rather than when the token expires; a platform superadmin keeps its token
// role. Service tokens have no workspace and are refused.
//
// Sessions: removing a member ends its sessions (Sessions::RevokeUser); so does changing a
// member's role, so its tokens stop carrying the old role at once (it signs in again);
// TransferOwnership ends the sessions of the owner it demotes (the new owner gets the role on
// its next refresh or login). Deleting a workspace ends every member's sessions and the
// workspace's access tokens. Revocation runs after the change is committed: when Redis refuses
// it the change stands (the account is gone, or its role is changed in the database), the
// failure is logged as an error and the answer is still ok: retrying could not redo it, and the
// access tokens left expire within their lifetime (15 minutes).
//
// Events: PutOnboarding publishes workspace.profile_updated after the profile is stored; when
// that fails the answer is UNAVAILABLE saying the profile was saved: sending it again is
// harmless and is how the AI learns of it. DeleteWorkspace publishes workspace.deleted after the
// data is gone; a failure there is logged as an error (with the workspace id, to be re-sent by
// an operator) because the owner's retry cannot reach a workspace that no longer exists.

#include <string>
#include <string_view>

#include "auth_store.h"
#include "integration_store.h"
#include "member_store.h"
#include "password_hasher.h"
#include "profile_store.h"
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
      : members_(db),
        profiles_(db),
        integrations_(db),
        accounts_(accounts),
        hasher_(hasher),
        sessions_(sessions),
        events_(events),
        pool_(pool) {}

  grpc::ServerUnaryReactor* CreateMember(grpc::CallbackServerContext* ctx,
                                         const v1::CreateMemberRequest* req,
                                         v1::Member* resp) override;
  grpc::ServerUnaryReactor* ListMembers(grpc::CallbackServerContext* ctx,
                                        const v1::ListMembersRequest* req,
                                        v1::ListMembersResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateMember(grpc::CallbackServerContext* ctx,
                                         const v1::UpdateMemberRequest* req,
                                         v1::Member* resp) override;
  grpc::ServerUnaryReactor* DeleteMember(grpc::CallbackServerContext* ctx,
                                         const v1::DeleteMemberRequest* req,
                                         v1::DeleteMemberResponse* resp) override;
  grpc::ServerUnaryReactor* TransferOwnership(grpc::CallbackServerContext* ctx,
                                              const v1::TransferOwnershipRequest* req,
                                              v1::TransferOwnershipResponse* resp) override;
  grpc::ServerUnaryReactor* PutOnboarding(grpc::CallbackServerContext* ctx,
                                          const v1::PutOnboardingRequest* req,
                                          v1::Onboarding* resp) override;
  grpc::ServerUnaryReactor* GetMemberForService(grpc::CallbackServerContext* ctx,
                                                const v1::GetMemberForServiceRequest* req,
                                                v1::Member* resp) override;
  grpc::ServerUnaryReactor* GetBusinessProfileForService(
      grpc::CallbackServerContext* ctx, const v1::GetBusinessProfileForServiceRequest* req,
      v1::Onboarding* resp) override;
  grpc::ServerUnaryReactor* GetOnboarding(grpc::CallbackServerContext* ctx,
                                          const v1::GetOnboardingRequest* req,
                                          v1::Onboarding* resp) override;
  grpc::ServerUnaryReactor* ExportWorkspace(grpc::CallbackServerContext* ctx,
                                            const v1::ExportWorkspaceRequest* req,
                                            v1::WorkspaceExport* resp) override;
  grpc::ServerUnaryReactor* DeleteWorkspace(grpc::CallbackServerContext* ctx,
                                            const v1::DeleteWorkspaceRequest* req,
                                            v1::DeleteWorkspaceResponse* resp) override;

 private:
  // The caller as the database knows it now.
  struct Actor {
    std::string user_id;
    std::string workspace_id;
    std::string member_role;  // members.role
    std::string role;         // effective: "superadmin" from the token, else member_role
    bool onboarding_completed = false;
    bool is_owner() const;  // ranks as an owner or above
  };
  // The caller of `method` (a WorkspaceService rpc name) checked against the rpc's min_role with
  // its current role.
  Result<Actor> ActorOf(const rpc::Caller& caller, std::string_view method);
  // Ends the sessions of a user after a committed change; failures are logged (see above).
  void EndSessions(const std::string& user_id, std::string_view why);

  Status DoCreateMember(const Actor& actor, const v1::CreateMemberRequest& req, v1::Member* resp);
  Status DoListMembers(const Actor& actor, const v1::ListMembersRequest& req,
                       v1::ListMembersResponse* resp);
  Status DoUpdateMember(const Actor& actor, const v1::UpdateMemberRequest& req, v1::Member* resp);
  Status DoDeleteMember(const Actor& actor, const v1::DeleteMemberRequest& req);
  Status DoTransferOwnership(const Actor& actor, const v1::TransferOwnershipRequest& req);
  Status DoPutOnboarding(const Actor& actor, const v1::PutOnboardingRequest& req,
                         v1::Onboarding* resp);
  Status DoGetOnboarding(const Actor& actor, v1::Onboarding* resp);
  // For services: the profile of any workspace (onboarding_completed is not set: it is a user's).
  Status DoGetBusinessProfileForService(const std::string& workspace_id, v1::Onboarding* resp);
  Status DoGetMemberForService(const v1::GetMemberForServiceRequest& req, v1::Member* resp);
  Status DoExportWorkspace(const Actor& actor, v1::WorkspaceExport* resp);
  Status DoDeleteWorkspace(const Actor& actor, const v1::DeleteWorkspaceRequest& req);

  MemberStore members_;
  ProfileStore profiles_;
  IntegrationStore integrations_;
  AuthStore& accounts_;
  PasswordHasher& hasher_;
  Sessions& sessions_;
  rpc::EventPublisher& events_;
  rpc::WorkPool& pool_;
};

}  // namespace salesos::auth
