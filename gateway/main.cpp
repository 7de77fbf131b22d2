// salesos-gateway: the HTTP and WebSocket edge. Routes come from the protos of the six services;
// /ws relays the workspaces' realtime events (docs/realtime.md).
#include <absl/synchronization/mutex.h>

#include <boost/asio/io_context.hpp>
#include <iostream>
#include <thread>

#include "gateway.h"
#include "listener.h"
#include "realtime_hub.h"
#include "salesos/core/config.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/redis/subscriber.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/message_limits.h"
#include "salesos/rpc/realtime.h"
#include "salesos/rpc/revocations.h"
#include "salesos/rpc/server.h"
#include "salesos/rpc/service_main.h"
#include "salesos/rpc/services.h"
#include "salesos/rpc/signals.h"

namespace {

[[noreturn]] void Die(const std::string& line) {
  std::cerr << "salesos-gateway: " << line << "\n";
  salesos::log::Error("cannot start", {{"error", line}});
  std::exit(2);
}

// The rate limiter asks Redis on the I/O threads: a Redis that hangs may hold each of them this
// long at most (once a second: the limiter pauses after a failure), against ~50 µs per check.
constexpr int kRateLimitRedisTimeoutMs = 100;


}  // namespace

int main(int argc, char** argv) {
  using namespace salesos;
  namespace net = boost::asio;
  rpc::BlockTerminationSignals();
  // abseil's lock-order graph (a debugging aid, on in Debian's build) costs every gRPC lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  Config config("salesos-gateway");
  config.Add("http-addr", "127.0.0.1:8080", "HTTP listen address (host:port; port 0 picks one)");
  config.Add("port-file", "", "write the bound host:port here once listening");
  config.Add("redis-url", "redis://127.0.0.1:6390", "redis://host:port[/db] or unix:///path");
  for (const auto& s : rpc::kServices) {
    config.Add(rpc::AddrFlag(s.name), std::string(s.default_addr),
               std::string(s.name) + " service gRPC address");
  }
  config.Add("threads", "0", "I/O threads (0: one per core)");
  config.Add("max-body-bytes", "1048576", "largest request body accepted (413 beyond)");
  config.Add("max-upload-bytes", "33554432",
             "largest body of an upload route (a file, e.g. a contacts CSV) accepted (413 beyond)");
  config.Add("max-header-bytes", "16384", "largest request head accepted (431 beyond)");
  config.Add("read-timeout-ms", "30000", "time to read a whole request, from its first byte");
  config.Add("header-timeout-ms", "10000",
             "time to read a request's head, from its first byte (a connection's first request: "
             "from the accept); cuts slow-loris clients");
  config.Add("keep-alive-timeout-ms", "30000",
             "time an idle keep-alive connection is held waiting for its next request");
  config.Add("max-connections", "10000",
             "HTTP connections held at most (beyond: 503 with Retry-After, /healthz still 200; "
             "WebSockets count against --ws-max-connections instead; 0: no bound)");
  config.Add("max-connections-per-ip", "0",
             "HTTP connections from one client address at most (beyond: 429 with Retry-After; "
             "0: no bound; leave 0 behind a proxy)");
  config.Add("max-in-flight", "1024",
             "requests to the services (API routes and webhooks) in flight at most (beyond: 503 "
             "with Retry-After at once; 0: no bound)");
  config.Add("max-in-flight-per-upstream", "512",
             "requests to any one service in flight at most (beyond: 503 with Retry-After at "
             "once; 0: no bound)");
  config.Add("pipeline-limit", "16", "pipelined requests pending per connection");
  config.Add("upstream-timeout-ms", "10000", "deadline of each call to a service");
  config.Add("transfer-timeout-ms", "120000",
             "deadline of uploads and downloads (raw HttpBody requests and answers)");
  config.Add("drain-timeout-ms", "8000", "time in-flight requests get after SIGTERM");
  config.Add("access-log", "true", "one log line per request");
  config.Add("rate-limit-ip-per-min", "1200",
             "requests a minute per client IP on /api/, in bursts of as many (0: no limit)");
  config.Add("rate-limit-user-per-min", "600",
             "requests a minute per signed-in user on /api/, in bursts of as many (0: no limit)");
  config.Add("trusted-proxies", "",
             "comma list of proxy IPs whose X-Forwarded-For (last entry) names the client");
  config.Add("ws-idle-timeout-ms", "60000",
             "WebSocket (/ws) idle time: pinged after half of it, closed after all of it");
  config.Add("ws-max-connections", "10000", "WebSockets this gateway holds at most (503 beyond)");
  config.Add("ws-max-per-workspace", "500", "WebSockets of one workspace at most (429 beyond)");
  config.Add("ws-send-queue-frames", "512",
             "events queued for one WebSocket at most before it is closed as too slow (1008)");
  config.Add("ws-send-queue-bytes", "4194304",
             "bytes queued for one WebSocket at most before it is closed as too slow (1008)");
  config.Add("ws-max-messages-per-sec", "20",
             "messages (and ping/pong frames) a WebSocket client may send a second, in bursts of "
             "--ws-message-burst, before it is closed (1008; 0: no limit)");
  config.Add("ws-message-burst", "40", "messages a WebSocket client may send at once");
  config.Add("ws-reverify-interval-ms", "30000",
             "how often an open WebSocket's token is checked again (closed with 4001 once expired "
             "or revoked)");
  config.Add("console", "true", "serve the web console at / (docs/console.md)");
  config.Add("console-dir", "",
             "serve the console from this directory (re-read on each load of /) instead of the "
             "files built into the binary; for working on web/console");
  config.Add("log-level", "info", "debug | info | warn | error");
  rpc::AddMetricsSettings(config);
  config.ParseOrExit(argc, argv);

  log::Level level;
  if (!log::ParseLevel(config.Get("log-level"), &level)) {
    Die("bad configuration: --log-level (SALESOS_LOG_LEVEL) must be debug, info, warn or error");
  }
  log::Init("gateway", level);
  log::Info("starting", {{"config", config.Describe()}});
  auto metrics_server = rpc::StartMetrics(config, "gateway");
  if (!metrics_server.ok()) {
    Die(metrics_server.status().message());
  }

  gateway::RateLimiterOptions rate_limits;
  rate_limits.ip_per_minute = config.GetInt("rate-limit-ip-per-min");
  rate_limits.user_per_minute = config.GetInt("rate-limit-user-per-min");
  for (auto [flag, value] : {std::pair{"rate-limit-ip-per-min", rate_limits.ip_per_minute},
                             std::pair{"rate-limit-user-per-min", rate_limits.user_per_minute}}) {
    if (value < 0 || value > gateway::RateLimiter::kMaxPerMinute) {
      Die("bad configuration: --" + std::string(flag) + " (" + Config::EnvName(flag) +
          ") must be between 0 (no limit) and " +
          std::to_string(gateway::RateLimiter::kMaxPerMinute));
    }
  }
  // An upload travels to its service as one gRPC message, with room left for the request's
  // other fields.
  constexpr int64_t kMaxUploadBytes = rpc::kMaxMessageBytes - 1024 * 1024;
  if (config.GetInt("max-upload-bytes") < 1 ||
      config.GetInt("max-upload-bytes") > kMaxUploadBytes) {
    Die("bad configuration: --max-upload-bytes (SALESOS_MAX_UPLOAD_BYTES) must be between 1 and " +
        std::to_string(kMaxUploadBytes) + " (the gRPC message limit less 1 MiB)");
  }
  gateway::RealtimeOptions realtime;
  constexpr std::pair<const char*, int64_t> kRealtimeMinimums[] = {
      {"ws-idle-timeout-ms", 1000},       {"ws-max-connections", 1},
      {"ws-max-per-workspace", 1},        {"ws-send-queue-frames", 16},
      {"ws-send-queue-bytes", 64 * 1024}, {"ws-reverify-interval-ms", 100},
  };
  for (auto [flag, min] : kRealtimeMinimums) {
    if (config.GetInt(flag) < min) {
      Die("bad configuration: --" + std::string(flag) + " (" + Config::EnvName(flag) +
          ") must be at least " + std::to_string(min));
    }
  }
  // Bounded above too, to fit the int milliseconds of the options.
  realtime.idle_timeout_ms =
      static_cast<int>(std::min<int64_t>(config.GetInt("ws-idle-timeout-ms"), 24LL * 3600 * 1000));
  realtime.reverify_interval_ms =
      static_cast<int>(std::min<int64_t>(config.GetInt("ws-reverify-interval-ms"), 3600LL * 1000));
  realtime.max_connections = static_cast<size_t>(config.GetInt("ws-max-connections"));
  realtime.max_per_workspace = static_cast<size_t>(config.GetInt("ws-max-per-workspace"));
  realtime.send_queue.max_frames = static_cast<size_t>(config.GetInt("ws-send-queue-frames"));
  realtime.send_queue.max_bytes = static_cast<size_t>(config.GetInt("ws-send-queue-bytes"));
  if (config.GetInt("ws-max-messages-per-sec") < 0 || config.GetInt("ws-message-burst") < 1) {
    Die("bad configuration: --ws-max-messages-per-sec (SALESOS_WS_MAX_MESSAGES_PER_SEC) must be "
        "at least 0 (no limit) and --ws-message-burst (SALESOS_WS_MESSAGE_BURST) at least 1");
  }
  realtime.max_messages_per_second = static_cast<double>(config.GetInt("ws-max-messages-per-sec"));
  realtime.message_burst = static_cast<double>(config.GetInt("ws-message-burst"));

  auto proxies = gateway::TrustedProxies::Parse(config.Get("trusted-proxies"));
  if (!proxies.ok()) {
    Die("bad configuration: --trusted-proxies (SALESOS_TRUSTED_PROXIES): " +
        proxies.status().message());
  }

  gateway::Router router;
  gateway::Upstreams upstreams;
  for (const auto& s : rpc::kServices) {
    std::string name(s.name);
    Status st = router.AddUpstream(name);
    if (!st.ok()) {
      Die("cannot build routes: " + st.message());
    }
    const std::string& addr = config.Get(rpc::AddrFlag(name));
    if (addr.rfind("unix:", 0) != 0) {
      auto hp = ParseHostPort(addr, rpc::AddrFlag(name));
      if (!hp.ok()) {
        Die("bad configuration: " + hp.status().message());
      }
    }
    upstreams.Add(name, addr);
  }
  log::Info("routes built", {{"routes", static_cast<int64_t>(router.routes().size())}});

  auto redis = redis::Connect(config.Get("redis-url"));
  if (!redis.ok()) {
    Die("bad configuration: --redis-url (SALESOS_REDIS_URL): " + redis.status().message());
  }
  // Tokens of ended sessions (logout-all, a password change, a removed member, a deleted
  // workspace) are refused here at once; everywhere else they expire within their 15 minutes.
  auto revocations = std::make_shared<rpc::RevocationList>(config.Get("redis-url"), *redis);
  revocations->Start();
  auto verifier = std::make_shared<rpc::RevocationCheckingVerifier>(
      std::make_shared<rpc::JwtTokenVerifier>(
          rpc::AuthJwksSource(rpc::MakeChannel(config.Get("auth-addr")))),
      revocations);

  int threads = static_cast<int>(config.GetInt("threads"));
  if (threads <= 0) {
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }

  std::shared_ptr<gateway::RateLimiter> limiter;
  if (rate_limits.ip_per_minute > 0 || rate_limits.user_per_minute > 0) {
    // A client of its own: short timeouts, and a connection for every I/O thread, so a check
    // never waits for a connection the gateway's other Redis calls hold.
    redis::RedisOptions limiter_redis_options;
    limiter_redis_options.pool_size = threads;
    limiter_redis_options.connect_timeout_ms = kRateLimitRedisTimeoutMs;
    limiter_redis_options.command_timeout_ms = kRateLimitRedisTimeoutMs;
    auto limiter_redis = redis::Connect(config.Get("redis-url"), limiter_redis_options);
    if (!limiter_redis.ok()) {
      Die("bad configuration: --redis-url (SALESOS_REDIS_URL): " +
          limiter_redis.status().message());
    }
    limiter = std::make_shared<gateway::RateLimiter>(*limiter_redis, rate_limits);
  }

  gateway::GatewayOptions options;
  options.upstream_timeout_ms = static_cast<int>(config.GetInt("upstream-timeout-ms"));
  options.transfer_timeout_ms = static_cast<int>(config.GetInt("transfer-timeout-ms"));
  options.access_log = config.GetBool("access-log");
  options.trusted_proxies = std::move(proxies).value();
  gateway::ConnectionLimits connection_limits;
  for (const char* flag : {"max-connections", "max-connections-per-ip", "max-in-flight",
                           "max-in-flight-per-upstream"}) {
    if (config.GetInt(flag) < 0) {
      Die("bad configuration: --" + std::string(flag) + " (" + Config::EnvName(flag) +
          ") must be at least 0 (no bound)");
    }
  }
  options.in_flight.total = config.GetInt("max-in-flight");
  options.in_flight.per_upstream = config.GetInt("max-in-flight-per-upstream");
  connection_limits.max_connections = static_cast<size_t>(config.GetInt("max-connections"));
  connection_limits.max_per_ip = static_cast<size_t>(config.GetInt("max-connections-per-ip"));
  if (config.GetBool("console")) {
    auto console = config.Get("console-dir").empty()
                       ? gateway::Console::Embedded()
                       : gateway::Console::FromDirectory(config.Get("console-dir"));
    if (!console.ok()) {
      Die("bad configuration: --console-dir (SALESOS_CONSOLE_DIR): " +
          console.status().message());
    }
    options.console = std::move(console).value();
  }
  // One subscription for every workspace's events; the hub (below) hands each to that
  // workspace's sockets. Ready once subscribed, so no event published after /readyz is missed.
  redis::Subscriber events(config.Get("redis-url"));
  options.readiness_checks.emplace_back("realtime", [&events] {
    return events.Connected() ? OkStatus() : Unavailable("not subscribed to realtime events yet");
  });
  gateway::Gateway gw(std::move(options), std::move(router), std::move(upstreams), verifier, *redis,
                      limiter);

  gateway::SessionLimits limits;
  limits.max_body_bytes = static_cast<size_t>(config.GetInt("max-body-bytes"));
  limits.max_upload_body_bytes = static_cast<size_t>(config.GetInt("max-upload-bytes"));
  limits.max_header_bytes = static_cast<size_t>(config.GetInt("max-header-bytes"));
  for (const char* flag : {"read-timeout-ms", "header-timeout-ms", "keep-alive-timeout-ms"}) {
    if (config.GetInt(flag) < 100 || config.GetInt(flag) > 3600LL * 1000) {
      Die("bad configuration: --" + std::string(flag) + " (" + Config::EnvName(flag) +
          ") must be between 100 and 3600000");
    }
  }
  if (config.GetInt("header-timeout-ms") > config.GetInt("read-timeout-ms")) {
    Die("bad configuration: --header-timeout-ms (SALESOS_HEADER_TIMEOUT_MS) must not be more than "
        "--read-timeout-ms (SALESOS_READ_TIMEOUT_MS): the head is part of the request");
  }
  limits.read_timeout_ms = static_cast<int>(config.GetInt("read-timeout-ms"));
  limits.header_timeout_ms = static_cast<int>(config.GetInt("header-timeout-ms"));
  limits.keep_alive_timeout_ms = static_cast<int>(config.GetInt("keep-alive-timeout-ms"));
  limits.pipeline_limit = static_cast<size_t>(std::max<int64_t>(1, config.GetInt("pipeline-limit")));

  auto hp = ParseHostPort(config.Get("http-addr"), "--http-addr (SALESOS_HTTP_ADDR)");
  if (!hp.ok()) {
    Die("bad configuration: " + hp.status().message());
  }
  boost::system::error_code ec;
  auto address = net::ip::make_address(hp->host, ec);
  if (ec) {
    Die("bad configuration: --http-addr (SALESOS_HTTP_ADDR): '" + hp->host +
        "' is not an IP address");
  }
  // Declared before the io_context: sessions its destructor frees leave the hub.
  gateway::RealtimeHub hub(realtime, verifier, *redis);
  metrics::CollectorHandle ws_connections = metrics::DefaultRegistry().AddCollector(
      "salesos_websocket_connections", "WebSocket clients (/ws) connected to this gateway.",
      metrics::Kind::kGauge, {}, [&hub] {
        return std::vector<metrics::Sample>{{{}, static_cast<double>(hub.connections())}};
      });
  events.PSubscribe({std::string(rpc::kRealtimeChannelPrefix) + "*"});
  events.Start([&hub](const std::string& channel, const std::string& message) {
    hub.Dispatch(channel, message);
  });

  net::io_context ioc(threads);
  auto listener = std::make_shared<gateway::Listener>(ioc, gw, limits, &hub, connection_limits);
  Status st = listener->Listen({address, hp->port});
  if (!st.ok()) {
    Die("bad configuration: --http-addr (SALESOS_HTTP_ADDR): " + st.message());
  }
  std::string bound = hp->host + ":" + std::to_string(listener->port());
  if (!config.Get("port-file").empty()) {
    st = rpc::WriteFileAtomically(config.Get("port-file"), bound + "\n");
    if (!st.ok()) {
      Die("bad configuration: --port-file: " + st.message());
    }
  }
  metrics::CollectorHandle http_connections = metrics::DefaultRegistry().AddCollector(
      "salesos_http_connections",
      "HTTP connections open at this gateway (admitted; upgraded WebSockets not included).",
      metrics::Kind::kGauge, {}, [&listener] {
        return std::vector<metrics::Sample>{
            {{}, static_cast<double>(listener->connections().connections())}};
      });
  listener->Start();
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&ioc] { ioc.run(); });
  }
  log::Info("http listening", {{"addr", bound}, {"threads", threads}});

  int sig = rpc::WaitForTermination();
  log::Info("stopping", {{"signal", sig}});
  gw.StartDrain();
  listener->Stop();
  events.Stop();
  hub.GoAway();  // every WebSocket closed with 1001
  int64_t deadline = MonotonicMillis() + config.GetInt("drain-timeout-ms");
  while ((gw.in_flight() > 0 || hub.connections() > 0) && MonotonicMillis() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // bounded drain
  }
  ioc.stop();
  for (auto& t : pool) {
    t.join();
  }
  hub.Shutdown();
  ws_connections.Reset();
  http_connections.Reset();
  if (*metrics_server) {
    (*metrics_server)->Stop();
  }
  log::Info("stopped");
  return 0;
}
