#pragma once

// TemplateServiceImpl: the gRPC adapter of message templates. The renderer (variables, fallbacks)
// lives in template_renderer, the SQL in template_store.
//
// Each handler runs on the work pool after the call's access decision (rpc::Handle: the rpc's
// (salesos.api.access) rule), so the Do* methods only see callers the contract lets in. They are
// public so tests can drive the logic without gRPC. Templates belong to the caller's workspace;
// other workspaces' ids are answered 404.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "campaign_store.h"
#include "salesos/campaign/v1/campaign.grpc.pb.h"
#include "salesos/core/time.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/service_token.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"
#include "template_store.h"

namespace salesos::campaign {

inline constexpr size_t kMaxTemplateNameLength = 200;
inline constexpr size_t kMaxTemplateBodyLength = 4000;

// The business name of a workspace (business.name in templates; auth owns it): empty when the
// workspace has none, an error when it could not be learnt. Called from the work pool's threads,
// so it must be thread-safe; it may block (bounded by its own deadline).
using BusinessNameLookup = std::function<Result<std::string>(const std::string& workspace_id)>;

// A BusinessNameLookup asking auth's WorkspaceService.GetBusinessProfileForService (a service-only
// rpc) with this service's token, each call bounded by timeout_ms. `tokens` must outlive it.
BusinessNameLookup AuthBusinessNames(std::shared_ptr<grpc::Channel> auth_channel,
                                     rpc::ServiceTokenSource& tokens, int timeout_ms = 2000);

// The contact.* template values of a contact of a workspace (conversation owns contacts):
// "contact.firstName", "contact.lastName", "contact.fullName", "contact.email", "contact.phone".
// NOT_FOUND for a contact the workspace does not have. Thread-safe, bounded like the above.
using ContactLookup = std::function<Result<std::map<std::string, std::string>>(
    const std::string& workspace_id, const std::string& contact_id)>;

// A ContactLookup asking conversation's ConversationService.GetContactForService with this
// service's token, each call bounded by timeout_ms. `tokens` must outlive it.
ContactLookup ConversationContacts(std::shared_ptr<grpc::Channel> conversation_channel,
                                   rpc::ServiceTokenSource& tokens, int timeout_ms = 2000);

class TemplateServiceImpl final : public v1::TemplateService::CallbackService {
 public:
  // `clock` gives createdAt/updatedAt and date.today; tests pass a fixed one. `business_names`
  // fills business.name when a render's sample does not; without it (or when it fails)
  // business.name gets its fallback.
  TemplateServiceImpl(store::Store& db, rpc::WorkPool& pool, const Clock& clock = SystemClock(),
                      BusinessNameLookup business_names = nullptr,
                      ContactLookup contacts = nullptr)
      : store_(db),
        campaigns_(db),
        pool_(pool),
        clock_(clock),
        business_names_(std::move(business_names)),
        contacts_(std::move(contacts)) {}

  grpc::ServerUnaryReactor* CreateTemplate(grpc::CallbackServerContext* ctx,
                                           const v1::Template* req, v1::Template* resp) override;
  grpc::ServerUnaryReactor* ListTemplates(grpc::CallbackServerContext* ctx,
                                          const v1::ListTemplatesRequest* req,
                                          v1::ListTemplatesResponse* resp) override;
  grpc::ServerUnaryReactor* GetTemplate(grpc::CallbackServerContext* ctx,
                                        const v1::GetTemplateRequest* req,
                                        v1::Template* resp) override;
  grpc::ServerUnaryReactor* UpdateTemplate(grpc::CallbackServerContext* ctx,
                                           const v1::Template* req, v1::Template* resp) override;
  grpc::ServerUnaryReactor* DeleteTemplate(grpc::CallbackServerContext* ctx,
                                           const v1::DeleteTemplateRequest* req,
                                           v1::DeleteTemplateResponse* resp) override;
  grpc::ServerUnaryReactor* RenderTemplate(grpc::CallbackServerContext* ctx,
                                           const v1::RenderTemplateRequest* req,
                                           v1::RenderTemplateResponse* resp) override;
  grpc::ServerUnaryReactor* RenderTemplateForService(
      grpc::CallbackServerContext* ctx, const v1::RenderTemplateForServiceRequest* req,
      v1::RenderTemplateForServiceResponse* resp) override;

  Status DoCreate(const rpc::Caller& caller, const v1::Template& req, v1::Template* resp);
  Status DoList(const rpc::Caller& caller, const v1::ListTemplatesRequest& req,
                v1::ListTemplatesResponse* resp);
  Status DoGet(const rpc::Caller& caller, const v1::GetTemplateRequest& req, v1::Template* resp);
  Status DoUpdate(const rpc::Caller& caller, const v1::Template& req, v1::Template* resp);
  Status DoDelete(const rpc::Caller& caller, const v1::DeleteTemplateRequest& req);
  Status DoRender(const rpc::Caller& caller, const v1::RenderTemplateRequest& req,
                  v1::RenderTemplateResponse* resp);
  Status DoRenderForService(const v1::RenderTemplateForServiceRequest& req,
                            v1::RenderTemplateForServiceResponse* resp);

 private:
  // The values `rec` renders with in `workspace_id`: the campaign's product.* and campaign.name,
  // the contact's contact.*, the business name when the body needs it, then the sample's
  // non-empty values over all of them.
  Result<std::map<std::string, std::string>> RenderValues(
      const std::string& workspace_id, const TemplateRecord& rec, const std::string& campaign_id,
      const std::string& contact_id, const google::protobuf::Map<std::string, std::string>& sample);

  TemplateStore store_;
  CampaignStore campaigns_;  // product.* and campaign.name for RenderTemplate
  rpc::WorkPool& pool_;
  const Clock& clock_;
  BusinessNameLookup business_names_;
  ContactLookup contacts_;
};

}  // namespace salesos::campaign
