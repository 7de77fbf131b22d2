#pragma once

// AdminServiceImpl: the data manager over HTTP (docs/data-admin.md). It owns no data: it knows
// which service owns which collection, asks that service's DataAdmin (auth's own in-process, the
// others over gRPC with auth's service token and a deadline) for the caller's workspace, and
// composes the answers. Access (admin+, clear-all owner) is decided by the rpcs' rules before a
// handler runs; the Do* methods are public so tests can drive them without gRPC.

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth_store.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/data_admin/data_admin.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/work_pool.h"

namespace salesos::auth {

struct AdminServiceOptions {
  // Every service of the suite but auth, by name, for the gRPC health check.
  std::map<std::string, std::shared_ptr<grpc::Channel>> peers;
  int health_timeout_ms = 2000;
};

class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  // `sources`: one DataAdmin per data-owning service (auth's own among them); not owned.
  AdminServiceImpl(AuthStore& store, std::vector<data_admin::DataAdminClient*> sources,
                   redis::ClientPtr redis, AdminServiceOptions options, rpc::WorkPool& pool);

  grpc::ServerUnaryReactor* GetDataStats(grpc::CallbackServerContext* ctx,
                                         const v1::GetDataStatsRequest* req,
                                         v1::DataStats* resp) override;
  grpc::ServerUnaryReactor* GetAdminHealth(grpc::CallbackServerContext* ctx,
                                           const v1::GetAdminHealthRequest* req,
                                           v1::AdminHealth* resp) override;
  grpc::ServerUnaryReactor* ExportData(grpc::CallbackServerContext* ctx,
                                       const v1::ExportDataRequest* req,
                                       v1::DataExport* resp) override;
  grpc::ServerUnaryReactor* ClearAllData(grpc::CallbackServerContext* ctx,
                                         const v1::ClearAllDataRequest* req,
                                         v1::ClearAllDataResponse* resp) override;
  grpc::ServerUnaryReactor* ListDocuments(grpc::CallbackServerContext* ctx,
                                          const v1::ListDocumentsRequest* req,
                                          v1::ListDocumentsResponse* resp) override;
  grpc::ServerUnaryReactor* GetDocument(grpc::CallbackServerContext* ctx,
                                        const v1::GetDocumentRequest* req,
                                        google::protobuf::Struct* resp) override;
  grpc::ServerUnaryReactor* DeleteDocument(grpc::CallbackServerContext* ctx,
                                           const v1::DeleteDocumentRequest* req,
                                           v1::DeleteDocumentResponse* resp) override;

  Status DoStats(const rpc::Caller& caller, const v1::GetDataStatsRequest& req,
                 v1::DataStats* resp);
  Status DoHealth(const rpc::Caller& caller, v1::AdminHealth* resp);
  Status DoExport(const rpc::Caller& caller, const v1::ExportDataRequest& req,
                  v1::DataExport* resp);
  Status DoClearAll(const rpc::Caller& caller, const v1::ClearAllDataRequest& req,
                    v1::ClearAllDataResponse* resp);
  Status DoList(const rpc::Caller& caller, const v1::ListDocumentsRequest& req,
                v1::ListDocumentsResponse* resp);
  Status DoGet(const rpc::Caller& caller, const v1::GetDocumentRequest& req,
               google::protobuf::Struct* resp);
  Status DoDelete(const rpc::Caller& caller, const v1::DeleteDocumentRequest& req,
                  v1::DeleteDocumentResponse* resp);

 private:
  // The service that owns `collection`, or NOT_FOUND naming the known collections.
  Result<data_admin::DataAdminClient*> OwnerOf(const std::string& collection);

  AuthStore& store_;
  std::vector<data_admin::DataAdminClient*> sources_;
  redis::ClientPtr redis_;
  AdminServiceOptions options_;
  rpc::WorkPool& pool_;
};

// The collections of the data manager and the service owning each, in display order.
struct CollectionOwner {
  const char* collection;
  const char* service;
};
inline constexpr CollectionOwner kCollectionOwners[] = {
    {"users", "auth"},
    {"integrations", "auth"},
    {"campaigns", "campaign"},
    {"templates", "campaign"},
    {"conversations", "conversation"},
    {"messages", "conversation"},
    {"contacts", "conversation"},
    {"analytics", "analytics"},
};

}  // namespace salesos::auth
