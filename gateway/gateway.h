#pragma once

// Gateway: turns one HTTP request into an answer. Hand-written routes (/healthz, /readyz,
// /webhooks/meta, and 426 for /ws without a WebSocket upgrade) first,
// then the routes built from the protos: bearer check (verified tokens cached), the rate limits of
// /api/ (per client IP, and per user when the token is valid; RateLimit-* headers on every /api/
// answer, 429 past them), JSON → proto, a unary call to the upstream with a deadline and the
// caller's metadata, proto → JSON (or the file of a salesos.api.HttpBody answer, as a
// download) or the error body of DESIGN §4. A few HTTP headers pass through
// for every route: the request's If-Match goes to the service as `if-match` metadata, and a
// service's `etag` initial metadata comes back as the ETag header. Independent of the connection
// handling (http_session), thread-safe.
//
// Overload: a request bound for a service (a proto route or /webhooks/meta) holds a slot of the
// InFlightLimiter until it is answered; with none free (GatewayOptions::in_flight, in all and per
// service) it is answered 503 UNAVAILABLE with Retry-After: 1 at once, never queued. /healthz,
// /readyz and the console take no slot.

#include <boost/beast/http.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "console.h"
#include "in_flight_limiter.h"
#include "rate_limiter.h"
#include "router.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/token_verifier.h"
#include "salesos/rpc/work_pool.h"
#include "upstreams.h"

namespace salesos::gateway {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Respond = std::function<void(Response)>;

struct GatewayOptions {
  int upstream_timeout_ms = 10'000;
  // The deadline of uploads (a raw HttpBody request) and downloads (an HttpBody answer): a
  // 100,000-contact import or export takes longer than an ordinary call.
  int transfer_timeout_ms = 120'000;
  int readiness_timeout_ms = 1'000;
  bool access_log = true;
  TrustedProxies trusted_proxies;  // whose X-Forwarded-For names the client for rate limits
  // More checks for /readyz beside Redis and the upstreams, by name (e.g. the realtime
  // subscription): ready only while each answers ok. Called on a blocking thread.
  std::vector<std::pair<std::string, std::function<Status()>>> readiness_checks;
  // The web console at / (console.h); nullptr: none (those paths answer 404).
  std::shared_ptr<const Console> console;
  // Requests bound for the services at once, in all and per service (503 beyond).
  InFlightLimits in_flight;
};

class Gateway {
 public:
  Gateway(GatewayOptions options, Router router, Upstreams upstreams,
          rpc::TokenVerifierPtr verifier, redis::ClientPtr redis,
          std::shared_ptr<RateLimiter> limiter = nullptr);  // nullptr: no rate limits
  ~Gateway();

  // Answers `req` through `respond`, exactly once, possibly on another thread.
  void Handle(Request&& req, const std::string& remote_ip, Respond respond);

  // An error answer with the JSON body, X-Request-Id and the request's keep-alive.
  static Response Error(unsigned version, bool keep_alive, const Status& status,
                        const std::string& request_id);
  // Counts one request refused for overload (salesos_http_overloaded_total): `limit` names the
  // bound (in_flight, upstream_in_flight, connections, connections_per_ip, connections_overflow),
  // `upstream` the service for the in-flight bounds.
  static void CountOverloaded(std::string_view limit, std::string_view upstream);
  // X-Request-Id of the client when it is sane (≤ 64 of [A-Za-z0-9._-]), else a new UUIDv7.
  static std::string RequestIdFor(const Request& req);

  const Router& router() const { return router_; }
  // Requests received and not answered yet (for draining on shutdown).
  int64_t in_flight() const { return in_flight_.load(); }
  const InFlightLimiter& in_flight_limiter() const { return in_flight_limiter_; }
  // After SIGTERM: /readyz answers 503 "draining" (the load balancer stops sending), and every
  // answer from now on closes its connection, so keep-alive clients reconnect to another replica
  // while the requests already here are still served.
  void StartDrain() { draining_.store(true); }

 private:
  // /readyz: Redis, the realtime subscription and (unless `with_upstreams` is false, as for
  // /readyz?scope=self) every service's gRPC health.
  void Readiness(unsigned version, bool keep_alive, bool with_upstreams, std::string request_id,
                 Respond respond);
  // GET and POST /webhooks/meta → webhook_ingest (webhooks.cpp).
  void MetaWebhook(Request&& req, std::string request_id, Respond respond);
  // The part of Forward after admission: the token's verdict, transcoding, the upstream call.
  void Proceed(const Match& match, Request&& req, Result<rpc::Caller> caller,
               std::string authorization, std::string request_id, Respond respond);
  void Forward(const Match& match, Request&& req, const std::string& remote_ip,
               std::string request_id, Respond respond);
  // The rate limits of an /api/ request (anything else passes): false when it was refused and
  // answered 429; otherwise `respond` is wrapped to add the RateLimit headers to the answer.
  bool Admit(const Request& req, const std::string& remote_ip, std::string_view user_id,
             const std::string& request_id, Respond& respond);
  // Admit with a decision already made.
  bool Apply(const RateLimitDecision& decision, const Request& req, const std::string& request_id,
             Respond& respond);

  GatewayOptions options_;
  Router router_;
  Upstreams upstreams_;
  rpc::TokenVerifierPtr verifier_;
  redis::ClientPtr redis_;
  std::shared_ptr<RateLimiter> limiter_;
  rpc::WorkPool blocking_;  // readiness probes, which block
  // Rate-limit decisions wait for Redis: on these threads, never on the I/O threads, which would
  // otherwise sit idle through every round trip (they cost 60 % of /me's throughput there).
  rpc::WorkPool admission_;
  InFlightLimiter in_flight_limiter_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> draining_{false};
};

}  // namespace salesos::gateway
