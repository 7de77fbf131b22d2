#pragma once

// Upstreams: one gRPC channel and generic stub per service the gateway forwards to. Calls are
// made with serialized bytes (the gateway knows messages only through descriptors) and complete
// on a gRPC thread. Thread-safe.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "salesos/rpc/client.h"

namespace salesos::gateway {

struct UnaryCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
};

class Upstreams {
 public:
  void Add(const std::string& name, const std::string& addr);
  bool Has(const std::string& name) const { return stubs_.count(name) > 0; }
  const std::map<std::string, std::string>& addresses() const { return addrs_; }

  // Starts `call` (context and request prepared) on `grpc_method` of `upstream`; `done` runs once
  // on a gRPC thread, after which the caller may free `call`.
  void Call(const std::string& upstream, const std::string& grpc_method, UnaryCall* call,
            std::function<void(grpc::Status)> done);

  // grpc.health.v1 Check of every upstream at once, blocking up to timeout_ms: by name,
  // "SERVING", "NOT_SERVING" or why it could not be asked.
  std::map<std::string, std::string> HealthCheckAll(int timeout_ms);

 private:
  std::map<std::string, std::string> addrs_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_;
};

}  // namespace salesos::gateway
