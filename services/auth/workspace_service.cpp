#include "workspace_service.h"

#include "integration_service.h"

#include "account_rules.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/access.h"
#include "salesos/rpc/caller.h"
#include "workspace_rules.h"

namespace salesos::auth {
namespace {

constexpr char kSuperadminRole[] = "superadmin";

const char* RoleName(api::Role role) {
  switch (role) {
    case api::AGENT:
      return "agent";
    case api::ADMIN:
      return "admin";
    case api::OWNER:
      return "owner";
    default:
      return "viewer";
  }
}

void FillMember(const MemberRecord& m, v1::Member* out) {
  out->set_id(m.user_id);
  out->set_email(m.email);
  out->set_name(m.name);
  out->set_role(m.role);
  out->set_created_at(m.created_at);
}

BusinessProfile ProfileFromProto(const v1::BusinessInfo& in) {
  BusinessProfile p;
  p.business_name = in.business_name();
  p.owner_name = in.owner_name();
  p.industry = in.industry();
  p.description = in.description();
  p.website = in.website();
  p.phone = in.phone();
  p.documents.reserve(static_cast<size_t>(in.documents_size()));
  for (const auto& d : in.documents()) {
    p.documents.push_back(ProfileDocument{d.name(), d.url(), d.content()});
  }
  return p;
}

void FillBusinessInfo(const BusinessProfile& p, v1::BusinessInfo* out) {
  out->set_business_name(p.business_name);
  out->set_owner_name(p.owner_name);
  out->set_industry(p.industry);
  out->set_description(p.description);
  out->set_website(p.website);
  out->set_phone(p.phone);
  for (const auto& d : p.documents) {
    auto* doc = out->add_documents();
    doc->set_name(d.name);
    doc->set_url(d.url);
    doc->set_content(d.content);
  }
}

std::string Now() { return FormatRfc3339(NowUnixSeconds()); }

}  // namespace

bool WorkspaceServiceImpl::Actor::is_owner() const {
  return rpc::RoleRank(role) >= rpc::RoleRank(kOwnerRole);
}

Result<WorkspaceServiceImpl::Actor> WorkspaceServiceImpl::ActorOf(const rpc::Caller& caller,
                                                                  std::string_view method) {
  if (caller.is_service() || caller.workspace_id.empty()) {
    return PermissionDenied("only a member of a workspace may call this");
  }
  auto user = accounts_.FindUser(caller.workspace_id, caller.user_id);
  if (!user.ok()) {
    return user.status();
  }
  if (!user->has_value()) {
    return Unauthenticated("the account of this token no longer exists");
  }
  Actor actor;
  actor.user_id = caller.user_id;
  actor.workspace_id = caller.workspace_id;
  actor.member_role = (*user)->role;
  actor.onboarding_completed = (*user)->onboarding_completed;
  actor.role = caller.role == kSuperadminRole ? caller.role : actor.member_role;
  // The token's role passed the rule already; the current one must too, so a demotion counts
  // before the demoted member's tokens expire. The rule is read from the proto, the one table.
  const api::AccessRule& rule = rpc::AccessRuleFor(
      "/" + std::string(v1::WorkspaceService::service_full_name()) + "/" + std::string(method));
  api::Role min = rule.min_role() == api::ROLE_UNSPECIFIED ? api::VIEWER : rule.min_role();
  if (rpc::RoleRank(actor.role) < static_cast<int>(min)) {
    return PermissionDenied(std::string("this needs the ") + RoleName(min) +
                            " role or higher; you are " + actor.role);
  }
  return actor;
}

void WorkspaceServiceImpl::EndSessions(const std::string& user_id, std::string_view why) {
  Status st = sessions_.RevokeUser(user_id);
  if (!st.ok()) {
    log::Error("cannot end the sessions of a user; its access tokens work until they expire",
               {{"userId", user_id}, {"why", why}, {"error", st.message()}});
  }
}

Status WorkspaceServiceImpl::DoCreateMember(const Actor& actor, const v1::CreateMemberRequest& req,
                                            v1::Member* resp) {
  std::string email = NormalizeEmail(req.email());
  SALESOS_RETURN_IF_ERROR(ValidateEmail(email));
  SALESOS_RETURN_IF_ERROR(ValidateName(req.name(), "name"));
  SALESOS_RETURN_IF_ERROR(ValidateRole(req.role()));
  SALESOS_RETURN_IF_ERROR(ValidatePassword(req.password()));
  SALESOS_RETURN_IF_ERROR(CheckCanGrant(actor.is_owner(), req.role()));

  const std::string key = EmailKey(email);
  // Checked before the (deliberately slow) hash; the unique index still decides races.
  auto existing = accounts_.FindUserByEmailKey(key);
  if (!existing.ok()) {
    return existing.status();
  }
  if (existing->has_value()) {
    return AlreadyExists("an account with this email already exists");
  }
  auto hash = hasher_.Hash(req.password());
  if (!hash.ok()) {
    return hash.status();
  }
  UserRecord user;
  user.id = NewUuidV7();
  user.workspace_id = actor.workspace_id;
  user.email = email;
  user.email_key = key;
  user.name = req.name();
  user.password_hash = std::move(*hash);
  user.role = req.role();
  user.created_at = Now();
  Status st = members_.Create(user);
  if (st.code() == Code::kAlreadyExists) {
    return AlreadyExists("an account with this email already exists");
  }
  if (st.code() == Code::kNotFound) {
    return Unauthenticated("the workspace of this token no longer exists");
  }
  SALESOS_RETURN_IF_ERROR(st);
  log::Info("member created", {{"workspaceId", actor.workspace_id},
                               {"userId", user.id},
                               {"role", user.role},
                               {"by", actor.user_id}});
  FillMember(
      MemberRecord{user.id, user.workspace_id, user.email, user.name, user.role, user.created_at},
      resp);
  return OkStatus();
}

Status WorkspaceServiceImpl::DoListMembers(const Actor& actor, const v1::ListMembersRequest& req,
                                           v1::ListMembersResponse* resp) {
  SALESOS_ASSIGN_OR_RETURN(int page_size, ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after, DecodeMemberPageToken(req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(MemberPage page, members_.List(actor.workspace_id, after, page_size));
  for (const auto& m : page.members) {
    FillMember(m, resp->add_members());
  }
  resp->set_next_page_token(
      page.more && !page.members.empty() ? EncodeMemberPageToken(page.members.back().user_id) : "");
  return OkStatus();
}

Status WorkspaceServiceImpl::DoUpdateMember(const Actor& actor, const v1::UpdateMemberRequest& req,
                                            v1::Member* resp) {
  if (req.id().empty()) {
    return FieldError("id", "is required");
  }
  SALESOS_RETURN_IF_ERROR(ValidateRole(req.role()));
  const bool actor_is_owner = actor.is_owner();
  SALESOS_ASSIGN_OR_RETURN(MemberRecord before,
                           members_.UpdateRole(actor.workspace_id, req.id(), req.role(),
                                               [&](const MemberRecord& member, int64_t owners) {
                                                 return CheckRoleChange(actor_is_owner, member.role,
                                                                        req.role(), owners);
                                               }));
  MemberRecord after = before;
  after.role = req.role();
  if (before.role != after.role) {
    log::Info("member role changed", {{"workspaceId", actor.workspace_id},
                                      {"userId", after.user_id},
                                      {"from", before.role},
                                      {"to", after.role},
                                      {"by", actor.user_id}});
    // Its tokens carry the old role: ended, so the new one counts at once (the gateway and the
    // other services decide on the token's role alone).
    EndSessions(after.user_id, "role changed");
  }
  FillMember(after, resp);
  return OkStatus();
}

Status WorkspaceServiceImpl::DoDeleteMember(const Actor& actor,
                                            const v1::DeleteMemberRequest& req) {
  if (req.id().empty()) {
    return FieldError("id", "is required");
  }
  const bool actor_is_owner = actor.is_owner();
  SALESOS_ASSIGN_OR_RETURN(MemberRecord removed,
                           members_.Remove(actor.workspace_id, req.id(),
                                           [&](const MemberRecord& member, int64_t owners) {
                                             return CheckRemoval(actor_is_owner, member.role,
                                                                 owners);
                                           }));
  log::Info(
      "member removed",
      {{"workspaceId", actor.workspace_id}, {"userId", removed.user_id}, {"by", actor.user_id}});
  EndSessions(removed.user_id, "member removed");
  return OkStatus();
}

Status WorkspaceServiceImpl::DoTransferOwnership(const Actor& actor,
                                                 const v1::TransferOwnershipRequest& req) {
  if (req.user_id().empty()) {
    return FieldError("userId", "is required");
  }
  if (req.user_id() == actor.user_id) {
    return FieldError("userId", "must be another member of the workspace");
  }
  SALESOS_RETURN_IF_ERROR(
      members_.TransferOwnership(actor.workspace_id, actor.user_id, req.user_id()));
  log::Info("ownership transferred",
            {{"workspaceId", actor.workspace_id}, {"from", actor.user_id}, {"to", req.user_id()}});
  // The demoted owner's tokens say "owner": ended. The new owner's say less than it may now do,
  // which is safe; its next refresh or login carries "owner".
  if (actor.member_role == kOwnerRole) {
    EndSessions(actor.user_id, "ownership transferred");
  }
  return OkStatus();
}

Status WorkspaceServiceImpl::DoPutOnboarding(const Actor& actor,
                                             const v1::PutOnboardingRequest& req,
                                             v1::Onboarding* resp) {
  if (!req.has_business_info()) {
    return FieldError("businessInfo", "is required");
  }
  BusinessProfile profile = ProfileFromProto(req.business_info());
  SALESOS_RETURN_IF_ERROR(ValidateBusinessProfile(profile));
  const std::string now = Now();
  Status st = profiles_.Put(actor.workspace_id, actor.user_id, profile, now);
  if (st.code() == Code::kNotFound) {
    return Unauthenticated("the account of this token no longer exists");
  }
  SALESOS_RETURN_IF_ERROR(st);
  log::Info("business profile updated",
            {{"workspaceId", actor.workspace_id}, {"by", actor.user_id}});

  events::v1::WorkspaceProfileUpdated event;
  event.set_workspace_id(actor.workspace_id);
  event.set_updated_by(actor.user_id);
  auto published = events_.Publish("workspace.profile_updated", actor.workspace_id, event);
  if (!published.ok()) {
    // The AI retrains on the event only; a silent success would leave it on the old profile.
    // Sending the same profile again is harmless and publishes again.
    log::Warn("business profile saved but workspace.profile_updated not published",
              {{"workspaceId", actor.workspace_id}, {"error", published.status().message()}});
    return Unavailable(
        "the business profile was saved, but the AI could not be told to learn it; send the "
        "same request again");
  }
  FillBusinessInfo(profile, resp->mutable_business_info());
  resp->set_onboarding_completed(true);
  resp->set_updated_at(now);
  return OkStatus();
}

Status WorkspaceServiceImpl::DoGetOnboarding(const Actor& actor, v1::Onboarding* resp) {
  SALESOS_ASSIGN_OR_RETURN(auto profile, profiles_.Get(actor.workspace_id));
  // No profile yet: an empty BusinessInfo (printed with every field), so clients need no case.
  resp->mutable_business_info();
  if (profile.has_value()) {
    FillBusinessInfo(profile->profile, resp->mutable_business_info());
    resp->set_updated_at(profile->updated_at);
  }
  resp->set_onboarding_completed(actor.onboarding_completed);
  return OkStatus();
}

Status WorkspaceServiceImpl::DoGetMemberForService(const v1::GetMemberForServiceRequest& req,
                                                   v1::Member* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  if (req.user_id().empty()) {
    return FieldError("userId", "is required");
  }
  SALESOS_ASSIGN_OR_RETURN(auto member, members_.Find(req.workspace_id(), req.user_id()));
  if (!member.has_value()) {
    return NotFound("no such member of this workspace");
  }
  FillMember(*member, resp);
  return OkStatus();
}

Status WorkspaceServiceImpl::DoGetBusinessProfileForService(const std::string& workspace_id,
                                                           v1::Onboarding* resp) {
  if (workspace_id.empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_ASSIGN_OR_RETURN(auto workspace, accounts_.FindWorkspace(workspace_id));
  if (!workspace.has_value()) {
    return NotFound("no such workspace");
  }
  SALESOS_ASSIGN_OR_RETURN(auto profile, profiles_.Get(workspace_id));
  resp->mutable_business_info();
  if (profile.has_value()) {
    FillBusinessInfo(profile->profile, resp->mutable_business_info());
    resp->set_updated_at(profile->updated_at);
  }
  // Before onboarding, the name given at sign-up is the business's name.
  if (resp->business_info().business_name().empty()) {
    resp->mutable_business_info()->set_business_name(workspace->name);
  }
  return OkStatus();
}

Status WorkspaceServiceImpl::DoExportWorkspace(const Actor& actor, v1::WorkspaceExport* resp) {
  SALESOS_ASSIGN_OR_RETURN(auto workspace, accounts_.FindWorkspace(actor.workspace_id));
  if (!workspace.has_value()) {
    return Unauthenticated("the workspace of this token no longer exists");
  }
  SALESOS_ASSIGN_OR_RETURN(auto members, members_.ListAll(actor.workspace_id));
  SALESOS_ASSIGN_OR_RETURN(auto profile, profiles_.Get(actor.workspace_id));

  resp->mutable_workspace()->set_id(workspace->id);
  resp->mutable_workspace()->set_name(workspace->name);
  resp->set_created_at(workspace->created_at);
  // MemberRecord has no password hash to leak: members come from MemberStore, not AuthStore.
  for (const auto& m : members) {
    FillMember(m, resp->add_members());
  }
  resp->mutable_business_info();
  if (profile.has_value()) {
    FillBusinessInfo(profile->profile, resp->mutable_business_info());
  }
  // Every integration with its settings and credentials hint; FillIntegration never copies the
  // sealed credentials.
  SALESOS_ASSIGN_OR_RETURN(auto integrations, integrations_.ListAll(actor.workspace_id));
  for (const auto& rec : integrations) {
    FillIntegration(rec, resp->add_integrations());
  }
  resp->set_exported_at(Now());
  log::Info("workspace exported", {{"workspaceId", actor.workspace_id}, {"by", actor.user_id}});
  return OkStatus();
}

Status WorkspaceServiceImpl::DoDeleteWorkspace(const Actor& actor,
                                               const v1::DeleteWorkspaceRequest& req) {
  SALESOS_ASSIGN_OR_RETURN(auto workspace, accounts_.FindWorkspace(actor.workspace_id));
  if (!workspace.has_value()) {
    return Unauthenticated("the workspace of this token no longer exists");
  }
  if (req.confirm() != workspace->name) {
    return FieldError("confirm", "must be the workspace's name, exactly as it is spelled");
  }
  // Read before they go: webhook_ingest's channel caches must drop them (channel.changed).
  SALESOS_ASSIGN_OR_RETURN(auto integrations, integrations_.ListAll(actor.workspace_id));
  auto deleted = members_.DeleteWorkspace(actor.workspace_id);
  if (deleted.status().code() == Code::kNotFound) {
    return Unauthenticated("the workspace of this token no longer exists");
  }
  if (!deleted.ok()) {
    return deleted.status();
  }
  log::Info("workspace deleted", {{"workspaceId", actor.workspace_id},
                                  {"by", actor.user_id},
                                  {"users", static_cast<int64_t>(deleted->size())}});
  for (const auto& user_id : *deleted) {
    EndSessions(user_id, "workspace deleted");
  }
  Status revoked = sessions_.RevokeWorkspace(actor.workspace_id);
  if (!revoked.ok()) {
    log::Error("cannot revoke the access tokens of a deleted workspace",
               {{"workspaceId", actor.workspace_id}, {"error", revoked.message()}});
  }
  for (const auto& rec : integrations) {
    events::v1::ChannelChanged changed;
    changed.set_workspace_id(actor.workspace_id);
    changed.set_integration_id(rec.id);
    changed.set_platform(rec.platform);
    changed.set_external_id(rec.external_id);
    changed.set_change("disconnected");
    if (!events_.Publish("channel.changed", actor.workspace_id, changed).ok()) {
      log::Error("channel.changed not published for a deleted workspace's integration; caches "
                 "of it expire with their TTL",
                 {{"integrationId", rec.id}});
    }
  }
  events::v1::WorkspaceDeleted event;
  event.set_workspace_id(actor.workspace_id);
  event.set_deleted_by(actor.user_id);
  auto published = events_.Publish("workspace.deleted", actor.workspace_id, event);
  if (!published.ok()) {
    log::Error(
        "workspace deleted from auth but workspace.deleted not published; other services keep "
        "its data until it is sent",
        {{"workspaceId", actor.workspace_id}, {"error", published.status().message()}});
  }
  return OkStatus();
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::CreateMember(grpc::CallbackServerContext* ctx,
                                                             const v1::CreateMemberRequest* req,
                                                             v1::Member* resp) {
  return rpc::Handle(ctx, pool_, [this, req, resp](const rpc::Caller& caller) -> Status {
    SALESOS_ASSIGN_OR_RETURN(Actor actor, ActorOf(caller, "CreateMember"));
    return DoCreateMember(actor, *req, resp);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::ListMembers(grpc::CallbackServerContext* ctx,
                                                            const v1::ListMembersRequest* req,
                                                            v1::ListMembersResponse* resp) {
  return rpc::Handle(ctx, pool_, [this, req, resp](const rpc::Caller& caller) -> Status {
    SALESOS_ASSIGN_OR_RETURN(Actor actor, ActorOf(caller, "ListMembers"));
    return DoListMembers(actor, *req, resp);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::UpdateMember(grpc::CallbackServerContext* ctx,
                                                             const v1::UpdateMemberRequest* req,
                                                             v1::Member* resp) {
  return rpc::Handle(ctx, pool_, [this, req, resp](const rpc::Caller& caller) -> Status {
    SALESOS_ASSIGN_OR_RETURN(Actor actor, ActorOf(caller, "UpdateMember"));
    return DoUpdateMember(actor, *req, resp);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::DeleteMember(grpc::CallbackServerContext* ctx,
                                                             const v1::DeleteMemberRequest* req,
                                                             v1::DeleteMemberResponse* resp) {
  return rpc::Handle(ctx, pool_, [this, req](const rpc::Caller& caller) -> Status {
    SALESOS_ASSIGN_OR_RETURN(Actor actor, ActorOf(caller, "DeleteMember"));
    return DoDeleteMember(actor, *req);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::TransferOwnership(
    grpc::CallbackServerContext* ctx, const v1::TransferOwnershipRequest* req,
    v1::TransferOwnershipResponse* resp) {
  return rpc::Handle(ctx, pool_, [this, req](const rpc::Caller& caller) -> Status {
    SALESOS_ASSIGN_OR_RETURN(Actor actor, ActorOf(caller, "TransferOwnership"));
    return DoTransferOwnership(actor, *req);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::PutOnboarding(grpc::CallbackServerContext* ctx,
                                                              const v1::PutOnboardingRequest* req,
                                                              v1::Onboarding* resp) {
  return rpc::Handle(ctx, pool_, [this, req, resp](const rpc::Caller& caller) -> Status {
    SALESOS_ASSIGN_OR_RETURN(Actor actor, ActorOf(caller, "PutOnboarding"));
    return DoPutOnboarding(actor, *req, resp);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::GetOnboarding(grpc::CallbackServerContext* ctx,
                                                              const v1::GetOnboardingRequest* req,
                                                              v1::Onboarding* resp) {
  return rpc::Handle(ctx, pool_, [this, resp](const rpc::Caller& caller) -> Status {
    SALESOS_ASSIGN_OR_RETURN(Actor actor, ActorOf(caller, "GetOnboarding"));
    return DoGetOnboarding(actor, resp);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::GetBusinessProfileForService(
    grpc::CallbackServerContext* ctx, const v1::GetBusinessProfileForServiceRequest* req,
    v1::Onboarding* resp) {
  return rpc::Handle(ctx, pool_, [this, req, resp](const rpc::Caller&) -> Status {
    return DoGetBusinessProfileForService(req->workspace_id(), resp);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::GetMemberForService(
    grpc::CallbackServerContext* ctx, const v1::GetMemberForServiceRequest* req,
    v1::Member* resp) {
  return rpc::Handle(ctx, pool_, [this, req, resp](const rpc::Caller&) -> Status {
    return DoGetMemberForService(*req, resp);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::ExportWorkspace(
    grpc::CallbackServerContext* ctx, const v1::ExportWorkspaceRequest* req,
    v1::WorkspaceExport* resp) {
  return rpc::Handle(ctx, pool_, [this, resp](const rpc::Caller& caller) -> Status {
    SALESOS_ASSIGN_OR_RETURN(Actor actor, ActorOf(caller, "ExportWorkspace"));
    return DoExportWorkspace(actor, resp);
  });
}

grpc::ServerUnaryReactor* WorkspaceServiceImpl::DeleteWorkspace(
    grpc::CallbackServerContext* ctx, const v1::DeleteWorkspaceRequest* req,
    v1::DeleteWorkspaceResponse* resp) {
  return rpc::Handle(ctx, pool_, [this, req](const rpc::Caller& caller) -> Status {
    SALESOS_ASSIGN_OR_RETURN(Actor actor, ActorOf(caller, "DeleteWorkspace"));
    return DoDeleteWorkspace(actor, *req);
  });
}

}  // namespace salesos::auth
