#include "salesos/rpc/service_main.h"

#include <absl/synchronization/mutex.h>

#include <filesystem>
#include <iostream>

#include "salesos/core/log.h"
#include "salesos/crypto/aead.h"
#include "salesos/metrics/metrics_server.h"
#include "salesos/metrics/process_metrics.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/server.h"
#include "salesos/rpc/services.h"
#include "salesos/rpc/signals.h"

namespace salesos::rpc {
namespace {

[[noreturn]] void Die(const std::string& program, const std::string& line) {
  std::cerr << program << ": " << line << "\n";
  log::Error("cannot start", {{"error", line}});
  std::exit(2);
}

}  // namespace

void AddMetricsSettings(Config& config) {
  config.Add("metrics-addr", "",
             "serve Prometheus metrics on GET /metrics at this host:port (e.g. 0.0.0.0:9464; port "
             "0 picks one); empty: off");
  config.Add("metrics-port-file", "",
             "write the metrics server's bound host:port here once listening; empty: beside "
             "--port-file when that is set (<name>.port → <name>.metrics.port)");
}

std::string MetricsPortFile(const Config& config) {
  if (!config.Get("metrics-port-file").empty()) {
    return config.Get("metrics-port-file");
  }
  std::string port_file = config.Get("port-file");
  if (port_file.empty()) {
    return "";
  }
  constexpr std::string_view kSuffix = ".port";
  if (port_file.size() > kSuffix.size() && port_file.ends_with(kSuffix)) {
    port_file.resize(port_file.size() - kSuffix.size());
  }
  return port_file + ".metrics.port";
}

Result<std::unique_ptr<metrics::MetricsServer>> StartMetrics(const Config& config,
                                                             const std::string& name) {
  metrics::DefaultRegistry()
      .AddGauge("salesos_service_info", "Always 1: the SalesOS process and its service name.",
                {"service"})
      .WithLabels({name})
      .Set(1);
  const std::string& addr = config.Get("metrics-addr");
  if (addr.empty()) {
    return std::unique_ptr<metrics::MetricsServer>();
  }
  metrics::RegisterProcessMetrics();
  auto server = std::make_unique<metrics::MetricsServer>(metrics::DefaultRegistry());
  Status st = server->Start(addr);
  if (!st.ok()) {
    return Status(st.code(), "bad configuration: --metrics-addr (SALESOS_METRICS_ADDR): " +
                                 st.message());
  }
  std::string port_file = MetricsPortFile(config);
  if (!port_file.empty()) {
    st = WriteFileAtomically(port_file, server->address() + "\n");
    if (!st.ok()) {
      return Status(st.code(), "bad configuration: --metrics-port-file "
                               "(SALESOS_METRICS_PORT_FILE): " + st.message());
    }
  }
  return server;
}

std::string StoreUrlFor(const std::string& database_url, const std::string& data_dir,
                        const std::string& name) {
  if (!database_url.empty()) {
    return database_url;
  }
  std::string dir = std::filesystem::absolute(data_dir).lexically_normal().string();
  return "sqlite://" + dir + "/" + name + ".db";
}

int RunService(int argc, const char* const* argv, const ServiceDefinition& def) {
  BlockTerminationSignals();
  // abseil's lock-order graph (a debugging aid, on in Debian's build) costs every gRPC lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::string program = "salesos-" + def.name;
  for (auto& c : program) {
    c = c == '_' ? '-' : c;
  }
  Config config(program);
  config.Add("listen", def.default_listen, "gRPC listen address (host:port; port 0 picks one)");
  config.Add("port-file", "", "write the bound host:port here once listening");
  config.Add("data-dir", "./.salesos", "directory for SQLite files and generated keys");
  config.Add("database-url", "",
             "empty: SQLite file <data-dir>/" + def.name + ".db; or postgresql://... (schema " +
                 def.name + ")",
             false);
  config.Add("redis-url", "redis://127.0.0.1:6390", "redis://host:port[/db] or unix:///path");
  for (const auto& s : kServices) {
    if (s.name != def.name) {
      config.Add(AddrFlag(s.name), std::string(s.default_addr),
                 std::string(s.name) + " service gRPC address");
    }
  }
  config.Add("service-secret-file", "",
             "shared secret the services prove themselves to auth with; empty: "
             "<data-dir>/service.secret, generated when missing");
  config.Add("workers", "8", "handler threads");
  config.Add("log-level", "info", "debug | info | warn | error");
  config.Add("drain-timeout-ms", "8000", "time in-flight calls get after SIGTERM");
  config.Add("access-log", "false",
             "one info log line per gRPC call and per stream entry handled, with its trace id "
             "(off: at debug level)");
  AddMetricsSettings(config);
  if (def.add_settings) {
    def.add_settings(config);
  }
  config.ParseOrExit(argc, argv);

  log::Level level;
  if (!log::ParseLevel(config.Get("log-level"), &level)) {
    Die(program, "bad configuration: --log-level (SALESOS_LOG_LEVEL) must be debug, info, warn "
                 "or error");
  }
  log::Init(def.name, level);
  SetAccessLog(config.GetBool("access-log"));
  log::Info("starting", {{"config", config.Describe()}});

  std::error_code ec;
  std::filesystem::create_directories(config.Get("data-dir"), ec);
  if (ec) {
    Die(program, "bad configuration: --data-dir (SALESOS_DATA_DIR): cannot create " +
                     config.Get("data-dir") + ": " + ec.message());
  }

  // Up before the store and Redis, so a process stuck starting is visible to its scraper too.
  auto metrics_server = StartMetrics(config, def.name);
  if (!metrics_server.ok()) {
    Die(program, metrics_server.status().message());
  }

  store::StoreOptions store_options;
  store_options.schema = def.name;
  auto store = store::OpenStore(
      StoreUrlFor(config.Get("database-url"), config.Get("data-dir"), def.name), store_options);
  if (!store.ok()) {
    Die(program, "cannot open the database (--database-url / SALESOS_DATABASE_URL): " +
                     store.status().message());
  }
  if (def.migrations != nullptr) {
    Status st = (*store)->Migrate(*def.migrations);
    if (!st.ok()) {
      Die(program, "cannot migrate the database: " + st.message());
    }
  }

  auto redis = redis::Connect(config.Get("redis-url"));
  if (!redis.ok()) {
    Die(program, "bad configuration: --redis-url (SALESOS_REDIS_URL): " + redis.status().message());
  }

  std::string secret_file = config.Get("service-secret-file");
  if (secret_file.empty()) {
    secret_file = (std::filesystem::path(config.Get("data-dir")) / "service.secret").string();
  }
  auto secret = crypto::LoadOrCreateKeyFile(secret_file, 32);
  if (!secret.ok()) {
    Die(program, "bad configuration: --service-secret-file (SALESOS_SERVICE_SECRET_FILE): " +
                     secret.status().message());
  }

  WorkPool pool(static_cast<int>(config.GetInt("workers")));
  std::map<std::string, std::shared_ptr<grpc::Channel>> peers;
  for (const auto& s : kServices) {
    if (s.name != def.name) {
      peers.emplace(std::string(s.name), MakeChannel(config.Get(AddrFlag(s.name))));
    }
  }
  // auth verifies with its own keys in-process (make_verifier) and calls no one; the channel it
  // gets points at itself only so the context is never half-made.
  auto auth_channel = def.name == "auth" ? MakeChannel(config.Get("listen")) : peers.at("auth");
  ServiceTokenSource service_tokens(auth_channel, def.name, *secret);
  EventPublisher events(*redis, def.name);
  std::vector<std::unique_ptr<StreamConsumer>> consumers;
  ServiceContext ctx{config, **store, *redis, pool, auth_channel, *secret, service_tokens, events,
                     peers,  [&](StreamConsumer::Handler handler) {
                       StreamConsumerOptions options;
                       options.stream = kEventsStream;
                       options.group = def.name;
                       options.consumer = StableConsumerName(def.name, config.Get("listen"));
                       consumers.push_back(std::make_unique<StreamConsumer>(
                           *redis, options, std::move(handler)));
                     }};

  Result<TokenVerifierPtr> verifier =
      def.make_verifier ? def.make_verifier(ctx)
                        : Result<TokenVerifierPtr>(std::make_shared<JwtTokenVerifier>(
                              AuthJwksSource(auth_channel)));
  if (!verifier.ok()) {
    Die(program, verifier.status().message());
  }
  auto services = def.make_services(ctx);
  if (!services.ok()) {
    Die(program, services.status().message());
  }

  ServerOptions server_options;
  server_options.listen_addr = config.Get("listen");
  server_options.port_file = config.Get("port-file");
  server_options.drain_timeout_ms = static_cast<int>(config.GetInt("drain-timeout-ms"));
  ServiceServer server(server_options, *verifier, &pool);
  for (auto& s : *services) {
    server.AddService(s.get());
  }
  Status st = server.Start();
  if (!st.ok()) {
    Die(program, "bad configuration: --listen (SALESOS_LISTEN): " + st.message());
  }
  for (auto& c : consumers) {
    c->Start();
  }
  log::Info("ready", {{"port", server.port()}});

  int sig = WaitForTermination();
  log::Info("stopping", {{"signal", sig}});
  for (auto& c : consumers) {
    c->Stop();
  }
  if (def.on_stop) {
    def.on_stop();
  }
  server.Shutdown();
  pool.Shutdown();
  if (*metrics_server) {
    (*metrics_server)->Stop();
  }
  log::Info("stopped");
  return 0;
}

}  // namespace salesos::rpc
