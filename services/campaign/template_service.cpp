#include "template_service.h"

#include <algorithm>
#include <map>
#include <utility>

#include "broadcast_rules.h"
#include "campaign_rules.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/crypto/encoding.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/paging.h"
#include "salesos/rpc/status_mapping.h"
#include "salesos/templates/template_renderer.h"

namespace salesos::campaign {

using templates::DateOfUnixSeconds;
using templates::kBodyField;
using templates::RenderedTemplate;
using templates::RenderTemplateBody;
using templates::TemplateVariables;
using templates::Utf8CodePoints;

namespace {

constexpr char kNotFound[] = "template not found";
constexpr char kCampaignNotFound[] = "campaign not found";
// Versioned so a later change of what a token holds can refuse old ones cleanly; distinct from
// other lists' prefixes so a token of one list is refused by another.
constexpr std::string_view kPageKind = "t1";
constexpr char kDefaultChannel[] = "all";
constexpr char kBusinessName[] = "business.name";

// Templates belong to a workspace; a service token has none.
Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("templates belong to a workspace; this token has none");
  }
  return OkStatus();
}

Status ValidateName(std::string_view name) {
  long length = Utf8CodePoints(name);
  if (length < 0) {
    return FieldError("name", "is not valid UTF-8");
  }
  if (length < 1 || static_cast<size_t>(length) > kMaxTemplateNameLength) {
    return FieldError("name", "must be 1 to 200 characters");
  }
  if (HasControlCharacters(name, false)) {
    return FieldError("name", "must not contain control characters");
  }
  return OkStatus();
}

Status ValidateCategory(std::string_view category) {
  if (category != "outreach" && category != "reply" && category != "occasion") {
    return FieldError("category", "must be outreach, reply or occasion");
  }
  return OkStatus();
}

Status ValidateChannel(std::string_view channel) {
  if (channel != "facebook" && channel != "instagram" && channel != "whatsapp" &&
      channel != "all") {
    return FieldError("channel", "must be facebook, instagram, whatsapp or all");
  }
  return OkStatus();
}

// The body's variables once it is valid: length, characters, placeholders, known names.
Result<std::vector<std::string>> ValidateBody(std::string_view body) {
  long length = Utf8CodePoints(body);
  if (length < 0) {
    return FieldError(kBodyField, "is not valid UTF-8");
  }
  if (length < 1 || static_cast<size_t>(length) > kMaxTemplateBodyLength) {
    return FieldError(kBodyField, "must be 1 to 4000 characters");
  }
  if (HasControlCharacters(body, true)) {
    return FieldError(kBodyField, "must not contain control characters other than line breaks");
  }
  return TemplateVariables(body);
}

void FillTemplate(const TemplateRecord& rec, v1::Template* out) {
  out->set_id(rec.id);
  out->set_name(rec.name);
  out->set_category(rec.category);
  out->set_channel(rec.channel);
  out->set_body(rec.body);
  out->mutable_variables()->Assign(rec.variables.begin(), rec.variables.end());
  out->set_created_at(rec.created_at);
  out->set_updated_at(rec.updated_at);
  if (rec.whatsapp.has_value()) {
    *out->mutable_whatsapp() = *rec.whatsapp;
  }
}

}  // namespace

BusinessNameLookup AuthBusinessNames(std::shared_ptr<grpc::Channel> auth_channel,
                                     rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<auth::v1::WorkspaceService::Stub> stub =
      auth::v1::WorkspaceService::NewStub(std::move(auth_channel));
  return [stub, &tokens, timeout_ms](const std::string& workspace_id) -> Result<std::string> {
    grpc::ClientContext ctx;
    SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens, timeout_ms));
    auth::v1::GetBusinessProfileForServiceRequest req;
    req.set_workspace_id(workspace_id);
    auth::v1::Onboarding resp;
    grpc::Status st = stub->GetBusinessProfileForService(&ctx, req, &resp);
    if (!st.ok()) {
      return rpc::FromGrpc(st);
    }
    return resp.business_info().business_name();
  };
}

ContactLookup ConversationContacts(std::shared_ptr<grpc::Channel> conversation_channel,
                                   rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<conversation::v1::ConversationService::Stub> stub =
      conversation::v1::ConversationService::NewStub(std::move(conversation_channel));
  return [stub, &tokens, timeout_ms](const std::string& workspace_id, const std::string& contact_id)
             -> Result<std::map<std::string, std::string>> {
    grpc::ClientContext ctx;
    SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens, timeout_ms));
    conversation::v1::GetContactForServiceRequest req;
    req.set_workspace_id(workspace_id);
    req.set_contact_id(contact_id);
    conversation::v1::Contact resp;
    grpc::Status st = stub->GetContactForService(&ctx, req, &resp);
    if (!st.ok()) {
      return rpc::FromGrpc(st);
    }
    return std::map<std::string, std::string>{{"contact.firstName", resp.first_name()},
                                              {"contact.lastName", resp.last_name()},
                                              {"contact.fullName", resp.full_name()},
                                              {"contact.email", resp.email()},
                                              {"contact.phone", resp.phone()}};
  };
}

Status TemplateServiceImpl::DoCreate(const rpc::Caller& caller, const v1::Template& req,
                                     v1::Template* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(ValidateName(req.name()));
  if (req.category().empty()) {
    return FieldError("category", "is required (outreach, reply or occasion)");
  }
  SALESOS_RETURN_IF_ERROR(ValidateCategory(req.category()));
  std::string channel = req.channel().empty() ? kDefaultChannel : req.channel();
  SALESOS_RETURN_IF_ERROR(ValidateChannel(channel));
  // The client's `variables` are ignored: the body says which variables it uses.
  SALESOS_ASSIGN_OR_RETURN(auto variables, ValidateBody(req.body()));
  TemplateRecord rec;
  rec.id = NewUuidV7(clock_.NowMillis());
  rec.workspace_id = caller.workspace_id;
  rec.name = req.name();
  rec.category = req.category();
  rec.channel = std::move(channel);
  rec.body = req.body();
  rec.variables = std::move(variables);
  if (req.has_whatsapp() && (!req.whatsapp().name().empty() || !req.whatsapp().language().empty() ||
                             !req.whatsapp().components().empty())) {
    SALESOS_RETURN_IF_ERROR(ValidateWhatsAppTemplate(req.whatsapp(), "whatsapp"));
    rec.whatsapp = req.whatsapp();
  }
  rec.created_at = FormatRfc3339(clock_.NowSeconds());
  rec.updated_at = rec.created_at;
  SALESOS_RETURN_IF_ERROR(store_.Create(rec));
  log::Info("template created",
            {{"workspaceId", rec.workspace_id}, {"templateId", rec.id}, {"by", caller.user_id}});
  FillTemplate(rec, resp);
  return OkStatus();
}

Status TemplateServiceImpl::DoList(const rpc::Caller& caller, const v1::ListTemplatesRequest& req,
                                   v1::ListTemplatesResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  if (!req.category().empty()) {
    SALESOS_RETURN_IF_ERROR(ValidateCategory(req.category()));
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after, rpc::DecodePageToken(kPageKind, req.page_token()));
  // One more than asked tells whether another page follows without a count query.
  SALESOS_ASSIGN_OR_RETURN(auto records,
                           store_.List(caller.workspace_id, req.category(), after, page_size + 1));
  const std::string next = rpc::TakePage(records, page_size, kPageKind);
  for (const auto& rec : records) {
    FillTemplate(rec, resp->add_templates());
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status TemplateServiceImpl::DoGet(const rpc::Caller& caller, const v1::GetTemplateRequest& req,
                                  v1::Template* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(caller.workspace_id, req.id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  FillTemplate(*rec, resp);
  return OkStatus();
}

Status TemplateServiceImpl::DoUpdate(const rpc::Caller& caller, const v1::Template& req,
                                     v1::Template* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kNotFound));
  // Proto3 strings cannot tell "absent" from "empty", and no field may be empty: empty means
  // "leave as it is".
  TemplateUpdate update;
  if (!req.name().empty()) {
    SALESOS_RETURN_IF_ERROR(ValidateName(req.name()));
    update.name = req.name();
  }
  if (!req.category().empty()) {
    SALESOS_RETURN_IF_ERROR(ValidateCategory(req.category()));
    update.category = req.category();
  }
  if (!req.channel().empty()) {
    SALESOS_RETURN_IF_ERROR(ValidateChannel(req.channel()));
    update.channel = req.channel();
  }
  if (!req.body().empty()) {
    SALESOS_ASSIGN_OR_RETURN(update.variables, ValidateBody(req.body()));
    update.body = req.body();
  }
  if (req.has_whatsapp()) {
    // An empty object ({"whatsapp": {}}) removes the WhatsApp template.
    if (req.whatsapp().name().empty() && req.whatsapp().language().empty() &&
        req.whatsapp().components().empty()) {
      update.whatsapp.emplace(std::nullopt);  // set, to none
    } else {
      SALESOS_RETURN_IF_ERROR(ValidateWhatsAppTemplate(req.whatsapp(), "whatsapp"));
      update.whatsapp.emplace(req.whatsapp());
    }
  }
  if (!update.name && !update.category && !update.channel && !update.body && !update.whatsapp) {
    // Nothing to change: answer what is there, without a write.
    v1::GetTemplateRequest get;
    get.set_id(req.id());
    return DoGet(caller, get, resp);
  }
  update.updated_at = FormatRfc3339(clock_.NowSeconds());
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Update(caller.workspace_id, req.id(), update));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  log::Info("template updated",
            {{"workspaceId", rec->workspace_id}, {"templateId", rec->id}, {"by", caller.user_id}});
  FillTemplate(*rec, resp);
  return OkStatus();
}

Status TemplateServiceImpl::DoDelete(const rpc::Caller& caller,
                                     const v1::DeleteTemplateRequest& req) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(bool deleted, store_.Delete(caller.workspace_id, req.id()));
  if (!deleted) {
    return NotFound(kNotFound);
  }
  log::Info(
      "template deleted",
      {{"workspaceId", caller.workspace_id}, {"templateId", req.id()}, {"by", caller.user_id}});
  return OkStatus();
}

Result<std::map<std::string, std::string>> TemplateServiceImpl::RenderValues(
    const std::string& workspace_id, const TemplateRecord& rec, const std::string& campaign_id,
    const std::string& contact_id, const google::protobuf::Map<std::string, std::string>& sample) {
  std::map<std::string, std::string> values;
  if (!campaign_id.empty()) {
    SALESOS_RETURN_IF_ERROR(RequireId(campaign_id, "campaignId", kCampaignNotFound));
    SALESOS_ASSIGN_OR_RETURN(auto campaign, campaigns_.Get(workspace_id, campaign_id));
    if (!campaign.has_value()) {
      return NotFound(kCampaignNotFound);
    }
    values["campaign.name"] = campaign->name;
    values["product.name"] = campaign->product.name();
    values["product.description"] = campaign->product.description();
    if (campaign->price_minor > 0) {
      values["product.price"] = FormatPrice(campaign->price_minor, campaign->currency);
    }
  }
  if (!contact_id.empty()) {
    SALESOS_RETURN_IF_ERROR(RequireId(contact_id, "contactId", "no such contact"));
    if (!contacts_) {
      return FailedPrecondition("contacts cannot be read here; give a sample instead");
    }
    auto contact = contacts_(workspace_id, contact_id);
    if (!contact.ok()) {
      switch (contact.status().code()) {
        case Code::kNotFound:
        case Code::kInvalidArgument:
          return NotFound("no such contact");
        case Code::kUnimplemented:
          return FailedPrecondition(
              "contacts are not available yet (they arrive with conversations); give a sample "
              "instead");
        default:
          return Unavailable("contacts cannot be read right now; try again or give a sample");
      }
    }
    for (auto& [name, value] : *contact) {
      values[name] = std::move(value);
    }
  }
  // The sample is what the author asked to preview, so its non-empty values win over looked-up
  // ones.
  for (const auto& [name, value] : sample) {
    if (!value.empty()) {
      values[name] = value;
    }
  }
  // Auth is asked only when the body needs the name and the sample left it out. A preview must
  // not fail because auth is away: the fallback stands in, as for any empty value.
  bool needs_business_name = std::find(rec.variables.begin(), rec.variables.end(),
                                       kBusinessName) != rec.variables.end();
  if (needs_business_name && !values.contains(kBusinessName) && business_names_) {
    Result<std::string> name = business_names_(workspace_id);
    if (name.ok()) {
      values[kBusinessName] = *name;
    } else {
      log::Warn("business name unavailable; rendering business.name with its fallback",
                {{"workspaceId", workspace_id}, {"error", name.status().message()}});
    }
  }
  return values;
}

Status TemplateServiceImpl::DoRender(const rpc::Caller& caller,
                                     const v1::RenderTemplateRequest& req,
                                     v1::RenderTemplateResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(caller.workspace_id, req.id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(auto values, RenderValues(caller.workspace_id, *rec, req.campaign_id(),
                                                     req.contact_id(), req.sample()));
  SALESOS_ASSIGN_OR_RETURN(
      RenderedTemplate rendered,
      RenderTemplateBody(rec->body, values, DateOfUnixSeconds(clock_.NowSeconds())));
  resp->set_text(std::move(rendered.text));
  resp->mutable_fallbacks_used()->Assign(rendered.fallbacks_used.begin(),
                                         rendered.fallbacks_used.end());
  return OkStatus();
}

Status TemplateServiceImpl::DoRenderForService(const v1::RenderTemplateForServiceRequest& req,
                                               v1::RenderTemplateForServiceResponse* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_RETURN_IF_ERROR(RequireId(req.template_id(), "templateId", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(req.workspace_id(), req.template_id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(auto values, RenderValues(req.workspace_id(), *rec, req.campaign_id(),
                                                     req.contact_id(), req.sample()));
  const std::string today = DateOfUnixSeconds(clock_.NowSeconds());
  SALESOS_ASSIGN_OR_RETURN(RenderedTemplate rendered, RenderTemplateBody(rec->body, values, today));
  resp->set_text(std::move(rendered.text));
  resp->mutable_fallbacks_used()->Assign(rendered.fallbacks_used.begin(),
                                         rendered.fallbacks_used.end());
  resp->set_channel(rec->channel);
  if (rec->whatsapp.has_value()) {
    // The same rendering a broadcast recipient gets: an empty parameter is an error, since
    // WhatsApp refuses empty ones.
    RecipientMessage wa = RenderForRecipient("", &*rec->whatsapp, values, today);
    if (!wa.error.empty()) {
      return FailedPrecondition(wa.error);
    }
    v1::WhatsAppTemplate* out = resp->mutable_whatsapp();
    out->set_name(rec->whatsapp->name());
    out->set_language(rec->whatsapp->language());
    v1::TemplateComponent* body = out->add_components();
    body->set_type("body");
    body->mutable_parameters()->Assign(wa.params.begin(), wa.params.end());
  }
  return OkStatus();
}

grpc::ServerUnaryReactor* TemplateServiceImpl::CreateTemplate(grpc::CallbackServerContext* ctx,
                                                              const v1::Template* req,
                                                              v1::Template* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoCreate(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* TemplateServiceImpl::ListTemplates(grpc::CallbackServerContext* ctx,
                                                             const v1::ListTemplatesRequest* req,
                                                             v1::ListTemplatesResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoList(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* TemplateServiceImpl::GetTemplate(grpc::CallbackServerContext* ctx,
                                                           const v1::GetTemplateRequest* req,
                                                           v1::Template* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoGet(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* TemplateServiceImpl::UpdateTemplate(grpc::CallbackServerContext* ctx,
                                                              const v1::Template* req,
                                                              v1::Template* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoUpdate(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* TemplateServiceImpl::DeleteTemplate(
    grpc::CallbackServerContext* ctx, const v1::DeleteTemplateRequest* req,
    v1::DeleteTemplateResponse* /*resp*/) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoDelete(caller, *req);
  });
}

grpc::ServerUnaryReactor* TemplateServiceImpl::RenderTemplate(grpc::CallbackServerContext* ctx,
                                                              const v1::RenderTemplateRequest* req,
                                                              v1::RenderTemplateResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoRender(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* TemplateServiceImpl::RenderTemplateForService(
    grpc::CallbackServerContext* ctx, const v1::RenderTemplateForServiceRequest* req,
    v1::RenderTemplateForServiceResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& /*caller*/) -> Status {
    return DoRenderForService(*req, resp);
  });
}

}  // namespace salesos::campaign
