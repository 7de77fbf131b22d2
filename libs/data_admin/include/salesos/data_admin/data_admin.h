#pragma once

// The DataAdmin contract (proto/salesos/common/v1/data_admin.proto) three ways:
//   DataAdminClient       what a composer (auth's AdminService) calls: one service's collections;
//   DataAdminLogic        the implementation over a Catalog, with the owner's events — used
//                         in-process by auth for its own collections and by the gRPC adapter;
//   DataAdminServiceImpl  the gRPC adapter every data-owning service registers next to its own;
//   GrpcDataAdminClient   a DataAdminClient calling another service with this one's service token.
// Thread-safe.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "salesos/common/v1/data_admin.grpc.pb.h"
#include "salesos/data_admin/catalog.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/service_token.h"
#include "salesos/rpc/work_pool.h"

namespace salesos::data_admin {

namespace pb = ::salesos::common::v1;

inline constexpr char kDataDeletedEvent[] = "data.deleted";
inline constexpr char kDataClearedEvent[] = "data.cleared";

// The suite's version, as the build names it.
const char* Version();

class DataAdminClient {
 public:
  virtual ~DataAdminClient() = default;
  virtual const std::string& service() const = 0;
  virtual Status Collections(const pb::DataCollectionsRequest& req,
                             pb::DataCollectionsResponse* resp) = 0;
  virtual Status List(const pb::DataListRequest& req, pb::DataListResponse* resp) = 0;
  virtual Status Get(const pb::DataGetRequest& req, pb::DataDocument* resp) = 0;
  virtual Status Delete(const pb::DataDeleteRequest& req, pb::DataDeleteResponse* resp) = 0;
  virtual Status Export(const pb::DataExportRequest& req, pb::DataExportResponse* resp) = 0;
  virtual Status Clear(const pb::DataClearRequest& req, pb::DataClearResponse* resp) = 0;
  virtual Status Health(const pb::DataHealthRequest& req, pb::DataHealthResponse* resp) = 0;
};

// Every call needs a workspace (Collections and Health excepted). Delete and Clear commit, then
// publish data.deleted / data.cleared; a failed publish is logged and does not fail the call (the
// change happened; answering an error would invite a retry that then finds nothing).
class DataAdminLogic final : public DataAdminClient {
 public:
  DataAdminLogic(Catalog& catalog, rpc::EventPublisher& events)
      : catalog_(catalog), events_(events) {}

  const std::string& service() const override { return catalog_.service(); }
  Status Collections(const pb::DataCollectionsRequest& req,
                     pb::DataCollectionsResponse* resp) override;
  Status List(const pb::DataListRequest& req, pb::DataListResponse* resp) override;
  Status Get(const pb::DataGetRequest& req, pb::DataDocument* resp) override;
  Status Delete(const pb::DataDeleteRequest& req, pb::DataDeleteResponse* resp) override;
  Status Export(const pb::DataExportRequest& req, pb::DataExportResponse* resp) override;
  Status Clear(const pb::DataClearRequest& req, pb::DataClearResponse* resp) override;
  Status Health(const pb::DataHealthRequest& req, pb::DataHealthResponse* resp) override;

 private:
  Catalog& catalog_;
  rpc::EventPublisher& events_;
};

class DataAdminServiceImpl final : public pb::DataAdmin::CallbackService {
 public:
  // Owns the catalog; `events` and `pool` outlive it.
  DataAdminServiceImpl(std::unique_ptr<Catalog> catalog, rpc::EventPublisher& events,
                       rpc::WorkPool& pool)
      : catalog_(std::move(catalog)), logic_(*catalog_, events), pool_(pool) {}

  DataAdminLogic& logic() { return logic_; }

  grpc::ServerUnaryReactor* Collections(grpc::CallbackServerContext* ctx,
                                        const pb::DataCollectionsRequest* req,
                                        pb::DataCollectionsResponse* resp) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* ctx, const pb::DataListRequest* req,
                                 pb::DataListResponse* resp) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const pb::DataGetRequest* req,
                                pb::DataDocument* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx,
                                   const pb::DataDeleteRequest* req,
                                   pb::DataDeleteResponse* resp) override;
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* ctx,
                                   const pb::DataExportRequest* req,
                                   pb::DataExportResponse* resp) override;
  grpc::ServerUnaryReactor* Clear(grpc::CallbackServerContext* ctx, const pb::DataClearRequest* req,
                                  pb::DataClearResponse* resp) override;
  grpc::ServerUnaryReactor* Health(grpc::CallbackServerContext* ctx,
                                   const pb::DataHealthRequest* req,
                                   pb::DataHealthResponse* resp) override;

 private:
  std::unique_ptr<Catalog> catalog_;
  DataAdminLogic logic_;
  rpc::WorkPool& pool_;
};

class GrpcDataAdminClient final : public DataAdminClient {
 public:
  GrpcDataAdminClient(std::string service, std::shared_ptr<grpc::Channel> channel,
                      rpc::ServiceTokenSource& tokens, int timeout_ms);

  const std::string& service() const override { return service_; }
  Status Collections(const pb::DataCollectionsRequest& req,
                     pb::DataCollectionsResponse* resp) override;
  Status List(const pb::DataListRequest& req, pb::DataListResponse* resp) override;
  Status Get(const pb::DataGetRequest& req, pb::DataDocument* resp) override;
  Status Delete(const pb::DataDeleteRequest& req, pb::DataDeleteResponse* resp) override;
  Status Export(const pb::DataExportRequest& req, pb::DataExportResponse* resp) override;
  Status Clear(const pb::DataClearRequest& req, pb::DataClearResponse* resp) override;
  Status Health(const pb::DataHealthRequest& req, pb::DataHealthResponse* resp) override;

 private:
  template <typename Req, typename Resp, typename Method>
  Status Call(Method method, const Req& req, Resp* resp);

  std::string service_;
  std::unique_ptr<pb::DataAdmin::Stub> stub_;
  rpc::ServiceTokenSource& tokens_;
  int timeout_ms_;
};

}  // namespace salesos::data_admin
