#pragma once

// RunService: the main() of every service. Wiring only: settings → store (migrated) → Redis →
// token verifier → the service's gRPC handlers → server; then it waits for SIGTERM/SIGINT, drains
// and returns 0. Bad configuration exits 2 with one line naming the setting.
//
// Common settings (flag / env): listen (SALESOS_LISTEN), port-file, data-dir, database-url,
// redis-url, auth-addr and the other services' addresses (<name>-addr), service-secret-file,
// workers, log-level, drain-timeout-ms, access-log, metrics-addr, metrics-port-file. A service
// adds its own in add_settings.

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "salesos/core/config.h"
#include "salesos/core/status.h"
#include "salesos/metrics/metrics_server.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/service_token.h"
#include "salesos/rpc/stream_consumer.h"
#include "salesos/rpc/token_verifier.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"

namespace salesos::rpc {

struct ServiceContext {
  const Config& config;
  store::Store& store;
  redis::ClientPtr redis;
  WorkPool& pool;
  std::shared_ptr<grpc::Channel> auth_channel;
  // The shared service secret (--service-secret-file), and this service's tokens for calling
  // others.
  const std::string& service_secret;
  ServiceTokenSource& service_tokens;
  EventPublisher& events;
  // A channel to every other service of the suite, by name ("campaign"), from --<name>-addr
  // (SALESOS_<NAME>_ADDR). Channels connect lazily, so a peer may start after this service.
  const std::map<std::string, std::shared_ptr<grpc::Channel>>& peers;

  // Hands every entry of salesos:events to `handler`, in the consumer group named after the
  // service (see stream_consumer.h for the delivery promises). RunService starts the consumer
  // once the server is up and stops it on SIGTERM, before the services drain and are destroyed.
  std::function<void(StreamConsumer::Handler handler)> consume_events;

  std::shared_ptr<grpc::Channel> peer(const std::string& name) const { return peers.at(name); }
};

struct ServiceDefinition {
  std::string name;                // "campaign": schema, SQLite file and log name
  std::string default_listen;      // "127.0.0.1:50052"
  const std::vector<store::Migration>* migrations = nullptr;
  std::function<void(Config&)> add_settings;
  // Token verification; default: auth's public keys over GetJwks.
  std::function<Result<TokenVerifierPtr>(ServiceContext&)> make_verifier;
  // The gRPC services to serve; they live until the server has drained.
  std::function<Result<std::vector<std::unique_ptr<grpc::Service>>>(ServiceContext&)> make_services;
  // Called once SIGTERM/SIGINT arrived, before the server drains and the services are destroyed:
  // stop background work here (event consumers of consume_events are stopped already).
  std::function<void()> on_stop;
};

// Services(std::make_unique<A>(...), std::make_unique<B>(...)): the list make_services returns.
template <typename... S>
Result<std::vector<std::unique_ptr<grpc::Service>>> Services(std::unique_ptr<S>... services) {
  std::vector<std::unique_ptr<grpc::Service>> out;
  (out.push_back(std::move(services)), ...);
  return out;
}

int RunService(int argc, const char* const* argv, const ServiceDefinition& def);

// --metrics-addr (SALESOS_METRICS_ADDR; empty: no metrics server) and --metrics-port-file
// (SALESOS_METRICS_PORT_FILE: the bound host:port is written there, for port 0), shared by every
// service and the gateway.
void AddMetricsSettings(Config& config);
// Where the metrics address is written: --metrics-port-file, else beside --port-file
// ("/run/auth.port" → "/run/auth.metrics.port"; one per process even when every process shares
// the environment), else nowhere ("").
std::string MetricsPortFile(const Config& config);
// Sets salesos_service_info{service=<name>} and, when --metrics-addr is set, registers the process
// metrics and starts the server on it (writing --metrics-port-file). nullptr when it is not set;
// an error naming the setting when it cannot listen.
Result<std::unique_ptr<metrics::MetricsServer>> StartMetrics(const Config& config,
                                                             const std::string& name);

// "sqlite://<data-dir>/<name>.db" when database_url is empty, else database_url.
std::string StoreUrlFor(const std::string& database_url, const std::string& data_dir,
                        const std::string& name);

}  // namespace salesos::rpc
