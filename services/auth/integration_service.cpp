#include "integration_service.h"

#include "integration_rules.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"

namespace salesos::auth {
namespace {

constexpr char kNotFound[] = "integration not found";

// Integrations belong to a workspace; a service token has none, and reaches channels through
// ChannelService instead.
Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("integrations belong to a workspace; this token has none");
  }
  return OkStatus();
}

// Ids are UUIDs we made: anything else cannot name an integration, and is answered like an id
// of another workspace without asking the database.
Status RequireId(const std::string& id, const char* field) {
  if (id.empty()) {
    return FieldError(field, "is required");
  }
  return IsUuid(id) ? OkStatus() : NotFound(kNotFound);
}

}  // namespace

void FillIntegration(const IntegrationRecord& rec, v1::Integration* out) {
  out->set_id(rec.id);
  out->set_platform(rec.platform);
  out->set_external_id(rec.external_id);
  out->set_name(rec.name);
  out->set_status(rec.status);
  *out->mutable_settings() = rec.settings;
  out->set_connected_at(rec.connected_at);
  out->set_credentials_hint(rec.credentials_hint);
  out->set_waba_id(rec.waba_id);
  out->set_updated_at(rec.updated_at);
}

void PublishChannelChanged(rpc::EventPublisher& events, const IntegrationRecord& rec,
                           const char* change) {
  events::v1::ChannelChanged event;
  event.set_workspace_id(rec.workspace_id);
  event.set_integration_id(rec.id);
  event.set_platform(rec.platform);
  event.set_external_id(rec.external_id);
  event.set_change(change);
  // The change is committed before the event is written, and a failed write does not fail the
  // call: answering an error for a change that happened would invite a retry that then conflicts
  // (409 on connect, 404 on delete). What is lost is only a cache drop, and ResolveChannel's
  // caches expire on their own (TTL), so a stale entry heals within that TTL. The warning marks
  // where it happened.
  auto published = events.Publish(kChannelChangedEvent, rec.workspace_id, event);
  if (!published.ok()) {
    log::Warn("channel changed but its event was not published; caches heal by TTL",
              {{"integrationId", rec.id}, {"change", change}});
  }
}

void IntegrationServiceImpl::PublishChanged(const IntegrationRecord& rec, const char* change) {
  PublishChannelChanged(events_, rec, change);
}

Status IntegrationServiceImpl::DoCreate(const rpc::Caller& caller,
                                        const v1::CreateIntegrationRequest& req,
                                        v1::Integration* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(ChannelConnection conn, ValidateCreateIntegration(req));
  IntegrationRecord rec;
  rec.id = NewUuidV7();
  rec.workspace_id = caller.workspace_id;
  rec.platform = conn.platform;
  rec.external_id = conn.external_id;
  rec.name = conn.name;
  rec.status = kStatusConnected;
  rec.waba_id = conn.waba_id;
  rec.settings = std::move(conn.settings);
  // Sealed here, before any SQL: the plain token never reaches a statement, a log or a file.
  rec.sealed_credentials =
      data_key_.Seal(conn.access_token, CredentialsAad(rec.workspace_id, rec.id));
  rec.credentials_hint = CredentialsHint(conn.access_token);
  rec.connected_at = FormatRfc3339(NowUnixSeconds());
  rec.updated_at = rec.connected_at;
  Status st = store_.Create(rec);
  if (st.code() == Code::kAlreadyExists) {
    // The same words whichever workspace holds it: which one it is is not ours to tell.
    return AlreadyExists("this " + rec.platform + " " + rec.external_id +
                         " is already connected to a workspace");
  }
  SALESOS_RETURN_IF_ERROR(st);
  log::Info("integration connected", {{"workspaceId", rec.workspace_id},
                                      {"integrationId", rec.id},
                                      {"platform", rec.platform},
                                      {"by", caller.user_id}});
  PublishChanged(rec, "connected");
  FillIntegration(rec, resp);
  return OkStatus();
}

Status IntegrationServiceImpl::DoList(const rpc::Caller& caller,
                                      const v1::ListIntegrationsRequest& req,
                                      v1::ListIntegrationsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, ResolveIntegrationPageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after, DecodeIntegrationPageToken(req.page_token()));
  // One more than asked tells whether another page follows without a count query.
  SALESOS_ASSIGN_OR_RETURN(auto records, store_.List(caller.workspace_id, after, page_size + 1));
  bool more = records.size() > static_cast<size_t>(page_size);
  if (more) {
    records.resize(static_cast<size_t>(page_size));
  }
  for (const auto& rec : records) {
    FillIntegration(rec, resp->add_integrations());
  }
  if (more) {
    resp->set_next_page_token(EncodeIntegrationPageToken(records.back().id));
  }
  return OkStatus();
}

Status IntegrationServiceImpl::DoGet(const rpc::Caller& caller,
                                     const v1::GetIntegrationRequest& req, v1::Integration* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id"));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(caller.workspace_id, req.id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  FillIntegration(*rec, resp);
  return OkStatus();
}

Status IntegrationServiceImpl::DoUpdate(const rpc::Caller& caller,
                                        const v1::UpdateIntegrationRequest& req,
                                        v1::Integration* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id"));
  IntegrationUpdate update;
  if (req.has_settings()) {
    SALESOS_RETURN_IF_ERROR(ValidateIntegrationSettings(req.settings(), "settings"));
    update.settings = req.settings();
  }
  if (!req.name().empty()) {
    SALESOS_RETURN_IF_ERROR(ValidateIntegrationName(req.name(), "name"));
    update.name = req.name();
  }
  if (!req.access_token().empty()) {
    SALESOS_RETURN_IF_ERROR(ValidateAccessToken(req.access_token(), "accessToken"));
    // The row keeps its workspace and id, and the UPDATE filters on both: the aad matches.
    update.sealed_credentials =
        data_key_.Seal(req.access_token(), CredentialsAad(caller.workspace_id, req.id()));
    update.credentials_hint = CredentialsHint(req.access_token());
  }
  if (!update.settings && !update.name && !update.sealed_credentials) {
    // Nothing to change: answer what is there, without a write or an event.
    v1::GetIntegrationRequest get;
    get.set_id(req.id());
    return DoGet(caller, get, resp);
  }
  update.updated_at = FormatRfc3339(NowUnixSeconds());
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Update(caller.workspace_id, req.id(), update));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  log::Info("integration updated", {{"workspaceId", rec->workspace_id},
                                    {"integrationId", rec->id},
                                    {"credentialsChanged", update.sealed_credentials.has_value()},
                                    {"by", caller.user_id}});
  PublishChanged(*rec, "updated");
  FillIntegration(*rec, resp);
  return OkStatus();
}

Status IntegrationServiceImpl::DoDelete(const rpc::Caller& caller,
                                        const v1::DeleteIntegrationRequest& req) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id"));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Delete(caller.workspace_id, req.id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  log::Info("integration disconnected", {{"workspaceId", rec->workspace_id},
                                         {"integrationId", rec->id},
                                         {"platform", rec->platform},
                                         {"by", caller.user_id}});
  PublishChanged(*rec, "disconnected");
  return OkStatus();
}

grpc::ServerUnaryReactor* IntegrationServiceImpl::CreateIntegration(
    grpc::CallbackServerContext* ctx, const v1::CreateIntegrationRequest* req,
    v1::Integration* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoCreate(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* IntegrationServiceImpl::ListIntegrations(
    grpc::CallbackServerContext* ctx, const v1::ListIntegrationsRequest* req,
    v1::ListIntegrationsResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoList(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* IntegrationServiceImpl::GetIntegration(
    grpc::CallbackServerContext* ctx, const v1::GetIntegrationRequest* req, v1::Integration* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoGet(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* IntegrationServiceImpl::UpdateIntegration(
    grpc::CallbackServerContext* ctx, const v1::UpdateIntegrationRequest* req,
    v1::Integration* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoUpdate(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* IntegrationServiceImpl::DeleteIntegration(
    grpc::CallbackServerContext* ctx, const v1::DeleteIntegrationRequest* req,
    v1::DeleteIntegrationResponse* /*resp*/) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoDelete(caller, *req);
  });
}

Status ChannelServiceImpl::DoResolveChannel(const v1::ResolveChannelRequest& req,
                                            v1::ResolvedChannel* resp) {
  if (req.platform().empty()) {
    return FieldError("platform", "is required (facebook, instagram or whatsapp)");
  }
  if (!IsKnownPlatform(req.platform())) {
    return FieldError("platform", "must be facebook, instagram or whatsapp");
  }
  SALESOS_RETURN_IF_ERROR(ValidateExternalId(req.external_id(), "externalId"));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.FindByExternalId(req.platform(), req.external_id()));
  if (!rec.has_value()) {
    return NotFound("no workspace has connected this channel");
  }
  resp->set_workspace_id(rec->workspace_id);
  resp->set_integration_id(rec->id);
  *resp->mutable_settings() = rec->settings;
  return OkStatus();
}

Status ChannelServiceImpl::DoGetChannelCredentials(const rpc::Caller& caller,
                                                   const v1::GetChannelCredentialsRequest& req,
                                                   v1::ChannelCredentials* resp) {
  SALESOS_RETURN_IF_ERROR(RequireId(req.integration_id(), "integrationId"));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.FindById(req.integration_id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  auto token = data_key_.Open(rec->sealed_credentials, CredentialsAad(rec->workspace_id, rec->id));
  if (!token.ok()) {
    // A different data key than the one they were sealed under, or a row edited by hand. Nothing
    // the caller can fix; the sealed bytes stay here.
    log::Error("cannot open the credentials of an integration",
               {{"integrationId", rec->id},
                {"workspaceId", rec->workspace_id},
                {"error", token.status().message()}});
    return Internal("cannot open the credentials of integration " + rec->id);
  }
  log::Debug("channel credentials handed out",
             {{"integrationId", rec->id}, {"service", caller.user_id}});
  resp->set_integration_id(rec->id);
  resp->set_workspace_id(rec->workspace_id);
  resp->set_platform(rec->platform);
  resp->set_external_id(rec->external_id);
  resp->set_access_token(std::move(*token));
  resp->set_waba_id(rec->waba_id);
  return OkStatus();
}

grpc::ServerUnaryReactor* ChannelServiceImpl::ResolveChannel(grpc::CallbackServerContext* ctx,
                                                             const v1::ResolveChannelRequest* req,
                                                             v1::ResolvedChannel* resp) {
  return rpc::Handle(
      ctx, pool_, [=, this](const rpc::Caller&) -> Status { return DoResolveChannel(*req, resp); });
}

grpc::ServerUnaryReactor* ChannelServiceImpl::GetChannelCredentials(
    grpc::CallbackServerContext* ctx, const v1::GetChannelCredentialsRequest* req,
    v1::ChannelCredentials* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoGetChannelCredentials(caller, *req, resp);
  });
}

}  // namespace salesos::auth
