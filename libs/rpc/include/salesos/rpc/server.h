#pragma once

// ServiceServer: how every service serves gRPC. It binds the listen address (port 0 picks a free
// port, written to the port file for whoever started it), adds the standard health service and
// reflection, installs the interceptor that verifies bearer tokens (CallerOf) and the one that
// counts and times every call (salesos_grpc_server_handled_total{grpc_service,grpc_method,
// grpc_code} and salesos_grpc_server_handling_seconds{grpc_service,grpc_method} in
// metrics::DefaultRegistry()), and drains on
// Shutdown: health NOT_SERVING first, then no new calls, then in-flight calls get a bounded time.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "salesos/core/log.h"
#include "salesos/core/status.h"
#include "salesos/rpc/message_limits.h"
#include "salesos/rpc/token_verifier.h"
#include "salesos/rpc/work_pool.h"

namespace salesos::rpc {

struct ServerOptions {
  std::string listen_addr = "127.0.0.1:0";
  // When set, "host:port" is written here (atomically) once the server listens.
  std::string port_file;
  // How long in-flight calls may take to finish after Shutdown.
  int drain_timeout_ms = 8000;
  // The largest message received or sent (message_limits.h: the same on every channel).
  int max_message_bytes = kMaxMessageBytes;
};

class ServiceServer {
 public:
  // `pool`, when given, is told to abandon what is still queued once the drain time is up.
  ServiceServer(ServerOptions options, TokenVerifierPtr verifier, WorkPool* pool = nullptr);
  ~ServiceServer();

  // Services are not owned and must outlive the server.
  void AddService(grpc::Service* service);
  Status Start();
  int port() const { return port_; }
  void Shutdown();

 private:
  ServerOptions options_;
  TokenVerifierPtr verifier_;
  WorkPool* pool_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// The services' access log (--access-log): one line per gRPC call ("grpc": service, method, code,
// durationMs, with the call's requestId and traceId) and per stream entry handled ("stream
// entry", with the entry's traceId), at info level when on, else at debug level.
void SetAccessLog(bool on);
bool AccessLogOn();
void WriteAccessLog(std::string_view msg, log::Fields fields);

// Writes `content` to `path` through a temporary file and rename, so readers never see half.
Status WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace salesos::rpc
