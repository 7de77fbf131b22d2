#include "admin_service.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>

#include <chrono>
#include <future>

#include "salesos/core/time.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/services.h"

namespace salesos::auth {
namespace {

namespace pb = ::salesos::common::v1;

std::string KnownCollections() {
  std::string names;
  for (const auto& o : kCollectionOwners) {
    names += (names.empty() ? "" : ", ") + std::string(o.collection);
  }
  return names;
}

Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("the data manager needs a workspace member's token");
  }
  return OkStatus();
}

Status ParseDocument(const std::string& json, google::protobuf::Struct* out) {
  if (!google::protobuf::util::JsonStringToMessage(json, out).ok()) {
    return Internal("a service answered a document that is not a JSON object");
  }
  return OkStatus();
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// grpc.health.v1.Health/Check of every channel at once, each bounded by `timeout_ms`.
struct HealthProbe {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  std::chrono::steady_clock::time_point start;
  std::unique_ptr<grpc::GenericStub> stub;
};

}  // namespace

AdminServiceImpl::AdminServiceImpl(AuthStore& store,
                                   std::vector<data_admin::DataAdminClient*> sources,
                                   redis::ClientPtr redis, AdminServiceOptions options,
                                   rpc::WorkPool& pool)
    : store_(store),
      sources_(std::move(sources)),
      redis_(std::move(redis)),
      options_(std::move(options)),
      pool_(pool) {}

Result<data_admin::DataAdminClient*> AdminServiceImpl::OwnerOf(const std::string& collection) {
  for (const auto& o : kCollectionOwners) {
    if (collection == o.collection) {
      for (auto* source : sources_) {
        if (source->service() == o.service) {
          return source;
        }
      }
      return Unavailable("the service owning " + collection + " is not configured");
    }
  }
  return NotFound("unknown collection \"" + collection +
                  "\"; known collections: " + KnownCollections());
}

Status AdminServiceImpl::DoStats(const rpc::Caller& caller, const v1::GetDataStatsRequest& req,
                                 v1::DataStats* resp) {
  std::string workspace_id;
  if (caller.role == "superadmin") {
    workspace_id = req.workspace_id();  // empty: every workspace
  } else {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    if (!req.workspace_id().empty() && req.workspace_id() != caller.workspace_id) {
      return PermissionDenied("only a platform superadmin may read another workspace's stats");
    }
    workspace_id = caller.workspace_id;
  }
  resp->set_workspace_id(workspace_id);
  for (auto* source : sources_) {
    pb::DataCollectionsRequest creq;
    creq.set_workspace_id(workspace_id);
    pb::DataCollectionsResponse cresp;
    if (!source->Collections(creq, &cresp).ok()) {
      resp->add_unavailable(source->service());
      continue;
    }
    for (const auto& c : cresp.collections()) {
      (*resp->mutable_counts())[c.name()] = c.count();
    }
  }
  return OkStatus();
}

Status AdminServiceImpl::DoHealth(const rpc::Caller& /*caller*/, v1::AdminHealth* resp) {
  bool all_ok = true;
  // Services: fire every health check, then collect (each bounded by its deadline).
  std::map<std::string, std::unique_ptr<HealthProbe>> probes;
  for (const auto& [name, channel] : options_.peers) {
    auto probe = std::make_unique<HealthProbe>();
    rpc::PrepareContext(probe->context, options_.health_timeout_ms);
    grpc::Slice empty;  // HealthCheckRequest{service: ""}: the server's overall health
    probe->request = grpc::ByteBuffer(&empty, 1);
    probe->stub = std::make_unique<grpc::GenericStub>(channel);
    probe->start = std::chrono::steady_clock::now();
    HealthProbe* p = probe.get();
    p->stub->UnaryCall(&p->context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                       &p->request, &p->response,
                       [p](grpc::Status st) { p->done.set_value(std::move(st)); });
    probes[name] = std::move(probe);
  }
  auto* self = resp->add_components();
  self->set_name("auth");
  self->set_kind("service");
  self->set_status("ok");  // it is answering this
  self->set_version(data_admin::Version());
  for (auto& [name, probe] : probes) {
    grpc::Status st = probe->done.get_future().get();
    auto* c = resp->add_components();
    c->set_name(name);
    c->set_kind("service");
    c->set_latency_ms(MillisSince(probe->start));
    std::string status = "ok";
    if (!st.ok()) {
      status = "unavailable: " + st.error_message();
    } else {
      // HealthCheckResponse{status: SERVING (1)} is field 1 as a varint: the bytes 08 01.
      std::vector<grpc::Slice> slices;
      (void)probe->response.Dump(&slices);
      std::string bytes;
      for (const auto& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      if (bytes != std::string("\x08\x01", 2)) {
        status = "unavailable: not serving";
      }
    }
    all_ok = all_ok && status == "ok";
    c->set_status(status);
  }
  // Redis.
  {
    auto start = std::chrono::steady_clock::now();
    Status ping = redis_ ? redis_->Ping() : Unavailable("not configured");
    auto* c = resp->add_components();
    c->set_name("redis");
    c->set_kind("redis");
    c->set_latency_ms(MillisSince(start));
    c->set_status(ping.ok() ? "ok" : "unavailable: " + ping.message());
    all_ok = all_ok && ping.ok();
  }
  // Each service's database, through its DataAdmin.
  for (auto* source : sources_) {
    auto start = std::chrono::steady_clock::now();
    pb::DataHealthResponse h;
    Status st = source->Health(pb::DataHealthRequest(), &h);
    auto* c = resp->add_components();
    c->set_name(source->service() + ".database");
    c->set_kind("database");
    if (st.ok()) {
      c->set_status(h.status());
      c->set_latency_ms(h.latency_ms());
      c->set_version(h.version());
      c->set_engine(h.engine());
    } else {
      c->set_status("unavailable: " + st.message());
      c->set_latency_ms(MillisSince(start));
    }
    all_ok = all_ok && c->status() == "ok";
  }
  resp->set_status(all_ok ? "ok" : "degraded");
  resp->set_version(data_admin::Version());
  return OkStatus();
}

Status AdminServiceImpl::DoExport(const rpc::Caller& caller, const v1::ExportDataRequest& req,
                                  v1::DataExport* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  std::vector<std::string> names(req.collections().begin(), req.collections().end());
  if (names.empty()) {
    for (const auto& o : kCollectionOwners) {
      names.emplace_back(o.collection);
    }
  }
  // The asked collections grouped by their service, in the order first asked.
  std::vector<std::pair<data_admin::DataAdminClient*, std::vector<std::string>>> plan;
  for (const auto& name : names) {
    SALESOS_ASSIGN_OR_RETURN(auto* owner, OwnerOf(name));
    auto it =
        std::find_if(plan.begin(), plan.end(), [&](const auto& p) { return p.first == owner; });
    if (it == plan.end()) {
      plan.push_back({owner, {}});
      it = std::prev(plan.end());
    }
    if (std::find(it->second.begin(), it->second.end(), name) == it->second.end()) {
      it->second.push_back(name);
    }
  }
  int64_t budget = data_admin::kMaxExportBytes;
  std::string json = "{";
  for (const auto& [owner, collections] : plan) {
    pb::DataExportRequest ereq;
    ereq.set_workspace_id(caller.workspace_id);
    for (const auto& c : collections) {
      ereq.add_collections(c);
    }
    ereq.set_max_bytes(budget);
    pb::DataExportResponse eresp;
    SALESOS_RETURN_IF_ERROR(owner->Export(ereq, &eresp));
    for (const auto& e : eresp.collections()) {
      budget -= static_cast<int64_t>(e.json().size());
      if (budget <= 0) {
        return FailedPrecondition(
            "the export is larger than " + std::to_string(data_admin::kMaxExportBytes) +
            " bytes at collection " + e.name() + "; export fewer collections at a time");
      }
      json += (json.size() > 1 ? ",\"" : "\"") + e.name() + "\":" + e.json();
      (*resp->mutable_counts())[e.name()] = e.count();
    }
  }
  json += "}";
  SALESOS_RETURN_IF_ERROR(ParseDocument(json, resp->mutable_collections()));
  resp->set_workspace_id(caller.workspace_id);
  resp->set_exported_at(FormatRfc3339(NowUnixSeconds()));
  return OkStatus();
}

Status AdminServiceImpl::DoClearAll(const rpc::Caller& caller, const v1::ClearAllDataRequest& req,
                                    v1::ClearAllDataResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(auto workspace, store_.FindWorkspace(caller.workspace_id));
  if (!workspace) {
    return NotFound("the workspace no longer exists");
  }
  if (req.confirm() != workspace->name) {
    return FieldError("confirm", "must be the workspace's exact name, \"" + workspace->name +
                                     "\"; nothing was removed");
  }
  std::string failed;
  for (auto* source : sources_) {
    pb::DataClearRequest creq;
    creq.set_workspace_id(caller.workspace_id);
    creq.set_by(caller.user_id);
    pb::DataClearResponse cresp;
    Status st = source->Clear(creq, &cresp);
    if (!st.ok()) {
      failed += (failed.empty() ? "" : ", ") + source->service() + " (" + st.message() + ")";
      continue;
    }
    for (const auto& [name, n] : cresp.removed()) {
      (*resp->mutable_removed())[name] = n;
    }
  }
  if (!failed.empty()) {
    return Unavailable("not every service cleared its data: " + failed +
                       "; what the others removed stays removed, try again to finish");
  }
  return OkStatus();
}

Status AdminServiceImpl::DoList(const rpc::Caller& caller, const v1::ListDocumentsRequest& req,
                                v1::ListDocumentsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(auto* owner, OwnerOf(req.collection()));
  pb::DataListRequest lreq;
  lreq.set_workspace_id(caller.workspace_id);
  lreq.set_collection(req.collection());
  lreq.set_q(req.q());
  lreq.set_page_size(req.page_size());
  lreq.set_page_token(req.page_token());
  pb::DataListResponse lresp;
  SALESOS_RETURN_IF_ERROR(owner->List(lreq, &lresp));
  for (const auto& doc : lresp.documents()) {
    SALESOS_RETURN_IF_ERROR(ParseDocument(doc, resp->add_documents()));
  }
  resp->set_next_page_token(lresp.next_page_token());
  return OkStatus();
}

Status AdminServiceImpl::DoGet(const rpc::Caller& caller, const v1::GetDocumentRequest& req,
                               google::protobuf::Struct* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(auto* owner, OwnerOf(req.collection()));
  pb::DataGetRequest greq;
  greq.set_workspace_id(caller.workspace_id);
  greq.set_collection(req.collection());
  greq.set_id(req.id());
  pb::DataDocument doc;
  SALESOS_RETURN_IF_ERROR(owner->Get(greq, &doc));
  return ParseDocument(doc.json(), resp);
}

Status AdminServiceImpl::DoDelete(const rpc::Caller& caller, const v1::DeleteDocumentRequest& req,
                                  v1::DeleteDocumentResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(auto* owner, OwnerOf(req.collection()));
  pb::DataDeleteRequest dreq;
  dreq.set_workspace_id(caller.workspace_id);
  dreq.set_collection(req.collection());
  dreq.set_id(req.id());
  dreq.set_by(caller.user_id);
  pb::DataDeleteResponse dresp;
  SALESOS_RETURN_IF_ERROR(owner->Delete(dreq, &dresp));
  resp->set_removed(dresp.removed());
  return OkStatus();
}

#define SALESOS_ADMIN_HANDLER(Method, Do, Req, Resp)                                   \
  grpc::ServerUnaryReactor* AdminServiceImpl::Method(grpc::CallbackServerContext* ctx, \
                                                     const Req* req, Resp* resp) {     \
    return rpc::Handle(ctx, pool_, [this, req, resp](const rpc::Caller& caller) {      \
      return Do(caller, *req, resp);                                                   \
    });                                                                                \
  }

SALESOS_ADMIN_HANDLER(GetDataStats, DoStats, v1::GetDataStatsRequest, v1::DataStats)
SALESOS_ADMIN_HANDLER(ExportData, DoExport, v1::ExportDataRequest, v1::DataExport)
SALESOS_ADMIN_HANDLER(ClearAllData, DoClearAll, v1::ClearAllDataRequest, v1::ClearAllDataResponse)
SALESOS_ADMIN_HANDLER(ListDocuments, DoList, v1::ListDocumentsRequest, v1::ListDocumentsResponse)
SALESOS_ADMIN_HANDLER(GetDocument, DoGet, v1::GetDocumentRequest, google::protobuf::Struct)
SALESOS_ADMIN_HANDLER(DeleteDocument, DoDelete, v1::DeleteDocumentRequest,
                      v1::DeleteDocumentResponse)
#undef SALESOS_ADMIN_HANDLER

grpc::ServerUnaryReactor* AdminServiceImpl::GetAdminHealth(grpc::CallbackServerContext* ctx,
                                                           const v1::GetAdminHealthRequest*,
                                                           v1::AdminHealth* resp) {
  return rpc::Handle(ctx, pool_,
                     [this, resp](const rpc::Caller& caller) { return DoHealth(caller, resp); });
}

}  // namespace salesos::auth
