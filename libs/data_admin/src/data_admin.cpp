#include "salesos/data_admin/data_admin.h"

#include <chrono>

#include "salesos/core/log.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/status_mapping.h"

#ifndef SALESOS_VERSION
#define SALESOS_VERSION "dev"
#endif

namespace salesos::data_admin {

namespace {

Status RequireWorkspace(const std::string& workspace_id) {
  if (workspace_id.empty()) {
    return FieldError("workspaceId", "is required");
  }
  return OkStatus();
}

void PublishOrWarn(rpc::EventPublisher& events, const char* type, const std::string& workspace_id,
                   const google::protobuf::MessageLite& payload) {
  auto published = events.Publish(type, workspace_id, payload);
  if (!published.ok()) {
    log::Warn("data changed but its event was not published",
              {{"type", type}, {"workspaceId", workspace_id}});
  }
}

}  // namespace

const char* Version() { return SALESOS_VERSION; }

Status DataAdminLogic::Collections(const pb::DataCollectionsRequest& req,
                                   pb::DataCollectionsResponse* resp) {
  SALESOS_ASSIGN_OR_RETURN(auto counts, catalog_.Counts(req.workspace_id()));
  resp->set_service(catalog_.service());
  for (const auto& [c, n] : counts) {
    auto* out = resp->add_collections();
    out->set_name(c->name);
    out->set_count(n);
    out->set_clearable(c->clearable);
    out->set_deletable(c->deletable);
  }
  return OkStatus();
}

Status DataAdminLogic::List(const pb::DataListRequest& req, pb::DataListResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(req.workspace_id()));
  SALESOS_ASSIGN_OR_RETURN(Page page, catalog_.List(req.workspace_id(), req.collection(), req.q(),
                                                    req.page_size(), req.page_token()));
  for (auto& doc : page.documents) {
    resp->add_documents(std::move(doc));
  }
  resp->set_next_page_token(page.next_page_token);
  return OkStatus();
}

Status DataAdminLogic::Get(const pb::DataGetRequest& req, pb::DataDocument* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(req.workspace_id()));
  SALESOS_ASSIGN_OR_RETURN(std::string json,
                           catalog_.Get(req.workspace_id(), req.collection(), req.id()));
  resp->set_collection(req.collection());
  resp->set_id(req.id());
  resp->set_json(std::move(json));
  return OkStatus();
}

Status DataAdminLogic::Delete(const pb::DataDeleteRequest& req, pb::DataDeleteResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(req.workspace_id()));
  SALESOS_ASSIGN_OR_RETURN(int64_t removed,
                           catalog_.Delete(req.workspace_id(), req.collection(), req.id()));
  resp->set_removed(removed);
  events::v1::DataDeleted event;
  event.set_workspace_id(req.workspace_id());
  event.set_collection(req.collection());
  event.set_id(req.id());
  event.set_by(req.by());
  PublishOrWarn(events_, kDataDeletedEvent, req.workspace_id(), event);
  return OkStatus();
}

Status DataAdminLogic::Export(const pb::DataExportRequest& req, pb::DataExportResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(req.workspace_id()));
  std::vector<std::string> names(req.collections().begin(), req.collections().end());
  SALESOS_ASSIGN_OR_RETURN(auto exported,
                           catalog_.Export(req.workspace_id(), names, req.max_bytes()));
  for (auto& e : exported) {
    auto* out = resp->add_collections();
    out->set_name(e.name);
    out->set_count(e.count);
    out->set_json(std::move(e.json));
  }
  return OkStatus();
}

Status DataAdminLogic::Clear(const pb::DataClearRequest& req, pb::DataClearResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(req.workspace_id()));
  SALESOS_ASSIGN_OR_RETURN(auto removed, catalog_.Clear(req.workspace_id()));
  events::v1::DataCleared event;
  event.set_workspace_id(req.workspace_id());
  event.set_by(req.by());
  for (const auto& [name, n] : removed) {
    (*resp->mutable_removed())[name] = n;
    (*event.mutable_removed())[name] = n;
  }
  PublishOrWarn(events_, kDataClearedEvent, req.workspace_id(), event);
  return OkStatus();
}

Status DataAdminLogic::Health(const pb::DataHealthRequest& /*req*/, pb::DataHealthResponse* resp) {
  auto start = std::chrono::steady_clock::now();
  Status ping = catalog_.store().Ping();
  std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  resp->set_service(catalog_.service());
  resp->set_engine(std::string(catalog_.store().Engine()));
  resp->set_status(ping.ok() ? "ok" : "unavailable: " + ping.message());
  resp->set_latency_ms(took.count());
  resp->set_version(Version());
  return OkStatus();
}

// The adapter: access is decided by the rpc's rule (service tokens only) before the handler runs.
#define SALESOS_DATA_ADMIN_HANDLER(Method, Req, Resp)                                             \
  grpc::ServerUnaryReactor* DataAdminServiceImpl::Method(grpc::CallbackServerContext* ctx,        \
                                                         const pb::Req* req, pb::Resp* resp) {    \
    return rpc::Handle(                                                                           \
        ctx, pool_, [this, req, resp](const rpc::Caller&) { return logic_.Method(*req, resp); }); \
  }

SALESOS_DATA_ADMIN_HANDLER(Collections, DataCollectionsRequest, DataCollectionsResponse)
SALESOS_DATA_ADMIN_HANDLER(List, DataListRequest, DataListResponse)
SALESOS_DATA_ADMIN_HANDLER(Get, DataGetRequest, DataDocument)
SALESOS_DATA_ADMIN_HANDLER(Delete, DataDeleteRequest, DataDeleteResponse)
SALESOS_DATA_ADMIN_HANDLER(Export, DataExportRequest, DataExportResponse)
SALESOS_DATA_ADMIN_HANDLER(Clear, DataClearRequest, DataClearResponse)
SALESOS_DATA_ADMIN_HANDLER(Health, DataHealthRequest, DataHealthResponse)
#undef SALESOS_DATA_ADMIN_HANDLER

GrpcDataAdminClient::GrpcDataAdminClient(std::string service,
                                         std::shared_ptr<grpc::Channel> channel,
                                         rpc::ServiceTokenSource& tokens, int timeout_ms)
    : service_(std::move(service)),
      stub_(pb::DataAdmin::NewStub(std::move(channel))),
      tokens_(tokens),
      timeout_ms_(timeout_ms) {}

template <typename Req, typename Resp, typename Method>
Status GrpcDataAdminClient::Call(Method method, const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens_, timeout_ms_));
  grpc::Status st = ((*stub_).*method)(&ctx, req, resp);
  return st.ok() ? OkStatus() : rpc::FromGrpc(st);
}

Status GrpcDataAdminClient::Collections(const pb::DataCollectionsRequest& req,
                                        pb::DataCollectionsResponse* resp) {
  return Call(&pb::DataAdmin::Stub::Collections, req, resp);
}
Status GrpcDataAdminClient::List(const pb::DataListRequest& req, pb::DataListResponse* resp) {
  return Call(&pb::DataAdmin::Stub::List, req, resp);
}
Status GrpcDataAdminClient::Get(const pb::DataGetRequest& req, pb::DataDocument* resp) {
  return Call(&pb::DataAdmin::Stub::Get, req, resp);
}
Status GrpcDataAdminClient::Delete(const pb::DataDeleteRequest& req, pb::DataDeleteResponse* resp) {
  return Call(&pb::DataAdmin::Stub::Delete, req, resp);
}
Status GrpcDataAdminClient::Export(const pb::DataExportRequest& req, pb::DataExportResponse* resp) {
  return Call(&pb::DataAdmin::Stub::Export, req, resp);
}
Status GrpcDataAdminClient::Clear(const pb::DataClearRequest& req, pb::DataClearResponse* resp) {
  return Call(&pb::DataAdmin::Stub::Clear, req, resp);
}
Status GrpcDataAdminClient::Health(const pb::DataHealthRequest& req, pb::DataHealthResponse* resp) {
  return Call(&pb::DataAdmin::Stub::Health, req, resp);
}

}  // namespace salesos::data_admin
