#include "salesos/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>

#include <chrono>
#include <cstdio>
#include <array>
#include <fstream>
#include <future>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include <google/protobuf/descriptor.h>

#include "salesos/core/config.h"
#include "salesos/rpc/access.h"
#include "salesos/core/log.h"
#include "salesos/metrics/metrics.h"

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

// The request metrics of every call (salesos_grpc_server_*), by method: the counters of each
// status code and the latency histogram, looked up once per method and kept.
class ServerMetrics {
 public:
  struct Method {
    metrics::Histogram* latency = nullptr;
    std::array<std::atomic<metrics::Counter*>, 17> handled{};
    std::string service;
    std::string method;
  };

  static ServerMetrics& Get() {
    static ServerMetrics* m = new ServerMetrics();
    return *m;
  }

  // `full` is "/package.Service/Method". Methods no proto linked into the process declares (a
  // client asking for anything) share one "unknown" series, so they cannot explode cardinality.
  Method& For(const char* full) {
    std::string key = full != nullptr ? full : "";
    {
      std::shared_lock lock(mu_);
      auto it = methods_.find(key);
      if (it != methods_.end()) {
        return *it->second;
      }
    }
    std::string service = "unknown";
    std::string method = "unknown";
    size_t slash = key.rfind('/');
    if (key.size() > 1 && key[0] == '/' && slash != std::string::npos && slash > 1) {
      std::string s = key.substr(1, slash - 1);
      std::string m = key.substr(slash + 1);
      if (s == "grpc.health.v1.Health" ||
          google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(s + "." + m) !=
              nullptr) {
        service = std::move(s);
        method = std::move(m);
      }
    }
    std::unique_lock lock(mu_);
    if (service == "unknown") {
      key = "unknown";
    }
    auto& slot = methods_[key];
    if (!slot) {
      slot = std::make_unique<Method>();
      slot->latency = &latency_.WithLabels({service, method});
      slot->service = std::move(service);
      slot->method = std::move(method);
    }
    return *slot;
  }

  void Record(Method& m, grpc::StatusCode code, double seconds) {
    auto index = static_cast<size_t>(code);
    if (index >= m.handled.size()) {
      index = static_cast<size_t>(grpc::StatusCode::UNKNOWN);
    }
    metrics::Counter* counter = m.handled[index].load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = &handled_.WithLabels({m.service, m.method, CodeName(index)});
      m.handled[index].store(counter, std::memory_order_release);
    }
    counter->Inc();
    m.latency->Observe(seconds);
  }

 private:
  ServerMetrics()
      : handled_(metrics::DefaultRegistry().AddCounter(
            "salesos_grpc_server_handled_total",
            "gRPC calls finished by this server, by service, method and status code.",
            {"grpc_service", "grpc_method", "grpc_code"})),
        latency_(metrics::DefaultRegistry().AddHistogram(
            "salesos_grpc_server_handling_seconds",
            "Time from a gRPC call's arrival to its status being sent, by service and method.",
            {"grpc_service", "grpc_method"})) {}

  static std::string CodeName(size_t code) {
    static constexpr const char* kNames[] = {
        "OK",        "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED", "NOT_FOUND",  "ALREADY_EXISTS",    "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL",       "UNAVAILABLE",       "DATA_LOSS",
        "UNAUTHENTICATED"};
    return kNames[code];
  }

  metrics::Family<metrics::Counter>& handled_;
  metrics::Family<metrics::Histogram>& latency_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Method>> methods_;
};

// Counts every call and times it from its arrival to its status (the one place every call of
// every service passes, handled or refused).
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(ServerMetrics::Get().For(info->method())),
        started_(std::chrono::steady_clock::now()) {}
  ~MetricsInterceptor() override {
    if (!recorded_) {
      Record(grpc::StatusCode::CANCELLED);  // finished without a status (client gone)
    }
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA) &&
        (AccessLogOn() || log::Enabled(log::Level::kDebug))) {
      auto* md = methods->GetRecvInitialMetadata();
      auto value = [md](const char* key) {
        auto it = md->find(key);
        return it == md->end() ? std::string() : std::string(it->second.data(), it->second.size());
      };
      request_id_ = value("x-request-id");
      traceparent_ = value("traceparent");
      if (!log::IsTraceparent(traceparent_)) {
        traceparent_.clear();
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    ServerMetrics::Get().Record(method_, code, seconds);
    if (AccessLogOn() || log::Enabled(log::Level::kDebug)) {
      log::ScopedLogContext log_ctx(request_id_, traceparent_);
      WriteAccessLog("grpc", {{"service", method_.service},
                              {"method", method_.method},
                              {"code", static_cast<int>(code)},
                              {"durationMs", static_cast<int64_t>(seconds * 1000)}});
    }
  }

  ServerMetrics::Method& method_;
  std::string request_id_;
  std::string traceparent_;
  std::chrono::steady_clock::time_point started_;
  bool recorded_ = false;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info);
  }
};

std::atomic<bool> g_access_log{false};

}  // namespace

void SetAccessLog(bool on) { g_access_log.store(on, std::memory_order_relaxed); }
bool AccessLogOn() { return g_access_log.load(std::memory_order_relaxed); }
void WriteAccessLog(std::string_view msg, log::Fields fields) {
  log::Write(AccessLogOn() ? log::Level::kInfo : log::Level::kDebug, msg, fields);
}

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
  // Clients reconnect at least every few minutes (after in-flight calls finish), so those that
  // resolve a name to every replica (dns:/// over a headless Service) find replicas added since.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 5 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 30 * 1000);
  for (auto* s : services_) {
    builder.RegisterService(s);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<MetricsInterceptorFactory>());
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
