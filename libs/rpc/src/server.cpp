#include "salesos/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <thread>

#include "salesos/core/config.h"
#include "salesos/rpc/access.h"
#include "salesos/core/log.h"

namespace salesos::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Verifies the bearer token of each call once its metadata arrives and records the result for
// CallerOf; the handler decides whether the call needs one.
class AuthInterceptor final : public grpc::experimental::Interceptor {
 public:
  AuthInterceptor(grpc::experimental::ServerRpcInfo* info, TokenVerifier* verifier)
      : ctx_(info->server_context()), method_(info->method()), verifier_(verifier) {}
  ~AuthInterceptor() override {
    if (recorded_) {
      internal::ForgetCaller(ctx_);
    }
  }

  // Verifies the bearer token once the metadata arrives and records the call's access decision
  // (CallerOf); rpc::Handle answers with it before running any handler.
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* md = methods->GetRecvInitialMetadata();
      auto it = md->find("authorization");
      Result<Caller> caller = Unauthenticated("missing bearer token");
      if (it != md->end()) {
        std::string_view token = BearerToken({it->second.data(), it->second.size()});
        caller = token.empty() ? Result<Caller>(Unauthenticated("authorization is not a bearer token"))
                               : verifier_->Verify(token);
      }
      internal::RecordCaller(ctx_, Decide(AccessRuleFor(method_ ? method_ : ""), std::move(caller)));
      recorded_ = true;
    }
    methods->Proceed();
  }

 private:
  const grpc::ServerContextBase* ctx_;
  const char* method_;
  TokenVerifier* verifier_;
  bool recorded_ = false;
};

class AuthInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AuthInterceptorFactory(TokenVerifierPtr verifier) : verifier_(std::move(verifier)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new AuthInterceptor(info, verifier_.get());
  }

 private:
  TokenVerifierPtr verifier_;
};

}  // namespace

Status WriteFileAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    if (!out) {
      return Unavailable("cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Unavailable("cannot rename " + tmp + " to " + path);
  }
  return OkStatus();
}

ServiceServer::ServiceServer(ServerOptions options, TokenVerifierPtr verifier, WorkPool* pool)
    : options_(std::move(options)), verifier_(std::move(verifier)), pool_(pool) {}

ServiceServer::~ServiceServer() { Shutdown(); }

void ServiceServer::AddService(grpc::Service* service) { services_.push_back(service); }

Status ServiceServer::Start() {
  // "unix:/path" (or unix:///path) serves on a Unix domain socket: cheaper than loopback TCP
  // when everything runs on one machine.
  bool unix_socket = options_.listen_addr.rfind("unix:", 0) == 0;
  Result<HostPort> hp = unix_socket ? Result<HostPort>(HostPort{})
                                    : ParseHostPort(options_.listen_addr, "listen address");
  if (!hp.ok()) {
    return hp.status();
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen_addr, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  for (auto* s : services_) {
    builder.RegisterService(s);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<AuthInterceptorFactory>(verifier_));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  server_ = builder.BuildAndStart();
  if (!server_ || (port_ == 0 && !unix_socket)) {
    return Unavailable("cannot listen on " + options_.listen_addr +
                       " (address in use or not local?)");
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  std::string bound =
      unix_socket ? options_.listen_addr : hp->host + ":" + std::to_string(port_);
  if (!options_.port_file.empty()) {
    SALESOS_RETURN_IF_ERROR(WriteFileAtomically(options_.port_file, bound + "\n"));
  }
  log::Info("grpc listening", {{"addr", bound}});
  return OkStatus();
}

void ServiceServer::Shutdown() {
  if (!server_) {
    return;
  }
  server_->GetHealthCheckService()->SetServingStatus(false);
  auto deadline = std::chrono::system_clock::now() +
                  std::chrono::milliseconds(options_.drain_timeout_ms);
  // Once the drain time is up gRPC cancels what is left; queued handlers must then not run (their
  // clients were told they failed). A timer thread flips the pool at the deadline, since
  // Shutdown blocks until every handler has finished.
  std::thread abandon;
  std::promise<void> done;
  if (pool_ != nullptr) {
    abandon = std::thread([pool = pool_, deadline, f = done.get_future()]() mutable {
      if (f.wait_until(deadline) == std::future_status::timeout) {
        pool->Abandon();
      }
    });
  }
  server_->Shutdown(deadline);
  done.set_value();
  if (abandon.joinable()) {
    abandon.join();
  }
  server_->Wait();
  server_.reset();
}

}  // namespace salesos::rpc
