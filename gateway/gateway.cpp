#include "gateway.h"

#include <google/protobuf/message.h>

#include <algorithm>
#include <chrono>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include "errors.h"
#include "realtime_hub.h"
#include "salesos/api/http_body.pb.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/metrics/metrics.h"
#include "salesos/rpc/access.h"
#include "salesos/rpc/status_mapping.h"
#include "transcoder.h"

namespace salesos::gateway {
namespace {

using google::protobuf::Message;
using google::protobuf::MessageFactory;

Response MakeResponse(unsigned status, unsigned version, bool keep_alive, HttpAnswer answer,
                      const std::string& request_id) {
  Response res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, answer.content_type);
  if (!answer.content_disposition.empty()) {
    res.set(http::field::content_disposition, answer.content_disposition);
    // A download is saved, never rendered as whatever a browser guesses it to be.
    res.set("X-Content-Type-Options", "nosniff");
  }
  res.set("X-Request-Id", request_id);
  res.keep_alive(keep_alive);
  res.body() = std::move(answer.body);
  res.prepare_payload();
  return res;
}

Response JsonResponse(unsigned status, unsigned version, bool keep_alive, std::string body,
                      const std::string& request_id) {
  return MakeResponse(status, version, keep_alive, {"application/json", "", std::move(body)},
                      request_id);
}

// The W3C traceparent of the request, or a new one, so each call is traceable across services.
std::string TraceparentFor(const Request& req) {
  auto it = req.find("traceparent");
  if (it != req.end() && log::IsTraceparent(it->value())) {
    return std::string(it->value());
  }
  return "00-" + RandomHex(16) + "-" + RandomHex(8) + "-01";
}

// The HTTP metrics (metrics::DefaultRegistry()); see docs/operations.md "Metrics".
struct HttpMetrics {
  metrics::Family<metrics::Counter>& requests = metrics::DefaultRegistry().AddCounter(
      "salesos_http_requests_total",
      "HTTP requests answered by the gateway, by route template, method and status.",
      {"route", "method", "code", "class"});
  metrics::Family<metrics::Histogram>& duration = metrics::DefaultRegistry().AddHistogram(
      "salesos_http_request_duration_seconds",
      "Time from a request's arrival at the gateway to its answer, by route template and method.",
      {"route", "method"});
  metrics::Gauge& in_flight =
      metrics::DefaultRegistry()
          .AddGauge("salesos_http_requests_in_flight",
                    "HTTP requests received by the gateway and not answered yet.")
          .Get();
  metrics::Family<metrics::Counter>& rate_limited = metrics::DefaultRegistry().AddCounter(
      "salesos_http_rate_limited_total",
      "API requests refused with 429 by the gateway's rate limits, by scope (ip or user).",
      {"scope"});
  metrics::Family<metrics::Counter>& overloaded = metrics::DefaultRegistry().AddCounter(
      "salesos_http_overloaded_total",
      "Requests and connections refused at once because the gateway was at a bound: limit "
      "in_flight or upstream_in_flight (503, by upstream), connections (503), connections_per_ip "
      "(429) or connections_overflow (closed unanswered).",
      {"limit", "upstream"});

  static HttpMetrics& Get() {
    static HttpMetrics* m = new HttpMetrics();
    return *m;
  }
};

// The upstream names of `upstreams`, for the in-flight bounds.
std::vector<std::string> UpstreamNames(const Upstreams& upstreams) {
  std::vector<std::string> names;
  for (const auto& [name, addr] : upstreams.addresses()) {
    names.push_back(name);
  }
  return names;
}

constexpr char kWebhookUpstream[] = "webhook_ingest";

// The route label of a request: its proto route template, a hand-written route, or "unmatched"
// (never the raw path, whose ids would make a series per object).
std::string RouteLabel(std::string_view path, const Match& match) {
  if (path == "/healthz" || path == "/readyz" || path == "/webhooks/meta" ||
      path == kRealtimePath) {
    return std::string(path);
  }
  if (match.route == nullptr && Console::Handles(path)) {
    return path.starts_with("/assets/") ? "/assets/*" : "/";
  }
  return match.route != nullptr ? match.route->path_template : "unmatched";
}

// The method label: the standard verbs by name, anything else one value.
std::string MethodLabel(const Request& req) {
  return req.method() == http::verb::unknown ? "OTHER" : std::string(req.method_string());
}

// Request headers passed on to every upstream call as gRPC metadata (lower-case keys), for
// services that implement HTTP semantics: a conditional write reads its If-Match.
constexpr std::pair<http::field, const char*> kForwardedHeaders[] = {
    {http::field::if_match, "if-match"},
};
// Initial metadata a service may send that becomes a response header of the answer.
constexpr std::pair<const char*, http::field> kAnsweredMetadata[] = {
    {"etag", http::field::etag},
};

// gRPC refuses (and would fail the call on) metadata values outside printable ASCII.
bool IsMetadataSafe(std::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

// The forwarded headers of `req` onto `ctx`. Several lines of one header are one list (RFC 9110
// §5.3), joined with ", ". A value gRPC cannot carry is a 400 naming the header.
Status ForwardHeaders(const Request& req, grpc::ClientContext& ctx) {
  for (const auto& [field, key] : kForwardedHeaders) {
    auto [begin, end] = req.equal_range(field);
    if (begin == end) {
      continue;
    }
    std::string value;
    for (auto it = begin; it != end; ++it) {
      value += (value.empty() ? "" : ", ") + std::string(it->value());
    }
    if (!IsMetadataSafe(value)) {
      return FieldError(std::string(http::to_string(field)),
                        "may only hold printable ASCII characters");
    }
    ctx.AddMetadata(key, value);
  }
  return OkStatus();
}

// The answered metadata of a finished call onto `res`.
void AnswerMetadata(const grpc::ClientContext& ctx, Response& res) {
  const auto& metadata = ctx.GetServerInitialMetadata();
  for (const auto& [key, field] : kAnsweredMetadata) {
    auto it = metadata.find(key);
    if (it == metadata.end()) {
      continue;
    }
    std::string_view value(it->second.data(), it->second.size());
    if (IsMetadataSafe(value)) {
      res.set(field, value);
    }
  }
}

// The IETF draft's RateLimit headers (draft-ietf-httpapi-ratelimit-headers).
void SetRateLimitHeaders(Response& res, const RateLimitDecision& decision) {
  res.set("RateLimit-Limit", std::to_string(decision.limit));
  res.set("RateLimit-Remaining", std::to_string(decision.remaining));
  res.set("RateLimit-Reset", std::to_string(decision.reset_seconds));
}

// Whether the router sees the path under /api/. It skips empty segments ("//api//v1/auth/me" is
// /api/v1/auth/me), so a plain prefix test would let such spellings past the rate limits.
bool IsApiPath(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  size_t start = path.find_first_not_of('/');
  if (start == std::string_view::npos) {
    return false;
  }
  path.remove_prefix(start);
  return path.starts_with("api") && (path.size() == 3 || path[3] == '/');
}

// The last X-Forwarded-For value: with several header lines, the last line's ends the list.
std::string_view LastForwardedFor(const Request& req) {
  std::string_view value;
  auto [begin, end] = req.equal_range("X-Forwarded-For");
  for (auto it = begin; it != end; ++it) {
    value = it->value();
  }
  return value;
}

}  // namespace

Gateway::Gateway(GatewayOptions options, Router router, Upstreams upstreams,
                 rpc::TokenVerifierPtr verifier, redis::ClientPtr redis,
                 std::shared_ptr<RateLimiter> limiter)
    : options_(std::move(options)),
      router_(std::move(router)),
      upstreams_(std::move(upstreams)),
      verifier_(std::move(verifier)),
      redis_(std::move(redis)),
      limiter_(std::move(limiter)),
      blocking_(2),
      admission_(4),
      in_flight_limiter_(options_.in_flight, UpstreamNames(upstreams_)) {}

Gateway::~Gateway() {
  admission_.Shutdown();
  blocking_.Shutdown();
}

std::string Gateway::RequestIdFor(const Request& req) {
  auto it = req.find("X-Request-Id");
  if (it != req.end()) {
    std::string_view v = it->value();
    bool sane = !v.empty() && v.size() <= 64;
    for (char c : v) {
      sane = sane && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    }
    if (sane) {
      return std::string(v);
    }
  }
  return NewUuidV7();
}

void Gateway::CountOverloaded(std::string_view limit, std::string_view upstream) {
  HttpMetrics::Get().overloaded.WithLabels({limit, upstream}).Inc();
}

Response Gateway::Error(unsigned version, bool keep_alive, const Status& status,
                        const std::string& request_id) {
  Response res = JsonResponse(HttpStatusFor(status.code()), version, keep_alive,
                              ErrorJson(status, request_id), request_id);
  if (status.retry_after_seconds() > 0) {
    res.set(http::field::retry_after, std::to_string(status.retry_after_seconds()));
  } else if (status.code() == Code::kUnavailable) {
    // A service restarting or draining: back in about a second (clients and Meta retry).
    res.set(http::field::retry_after, "1");
  }
  return res;
}

void Gateway::Handle(Request&& req, const std::string& remote_ip, Respond respond) {
  std::string request_id = RequestIdFor(req);
  // One traceparent for the whole request: the client's, or a new one set on the request so that
  // every upstream call made for it passes the same one on.
  std::string traceparent = TraceparentFor(req);
  req.set("traceparent", traceparent);
  in_flight_.fetch_add(1);
  HttpMetrics& http_metrics = HttpMetrics::Get();
  http_metrics.in_flight.Inc();
  auto started = std::chrono::steady_clock::now();
  std::string method(req.method_string());
  std::string target(req.target());
  std::string_view path = std::string_view(target).substr(0, target.find('?'));
  Match match;
  if (path != "/healthz" && path != "/readyz" && path != kRealtimePath &&
      path != "/webhooks/meta") {
    match = router_.Find(req.method_string(), path);
  }
  // Wrap the answer to write the access-log line and the metrics once it is known.
  Respond answer = [this, respond = std::move(respond), request_id, traceparent, started, method,
                    remote_ip, path = std::string(path), route = RouteLabel(path, match),
                    method_label = MethodLabel(req), &http_metrics](Response res) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    int status = static_cast<int>(res.result_int());
    http_metrics.requests
        .WithLabels({route, method_label, std::to_string(status),
                     std::to_string(status / 100) + "xx"})
        .Inc();
    http_metrics.duration.WithLabels({route, method_label}).Observe(seconds);
    if (options_.access_log) {
      log::ScopedLogContext log_ctx(request_id, traceparent);  // requestId and traceId
      log::Info("http", {{"method", method},
                         {"path", path},
                         {"status", status},
                         {"durationMs", static_cast<int64_t>(seconds * 1000)},
                         {"bytes", static_cast<int64_t>(res.body().size())},
                         {"remote", remote_ip}});
    }
    if (draining_.load()) {
      res.keep_alive(false);
    }
    respond(std::move(res));
    in_flight_.fetch_sub(1);
    http_metrics.in_flight.Dec();
  };

  unsigned version = req.version();
  bool keep_alive = req.keep_alive();

  // A request for a service takes a slot until answered, or is refused now: queueing it would
  // only grow memory and answer later with a timeout.
  const std::string upstream = path == "/webhooks/meta" ? kWebhookUpstream
                               : match.route != nullptr ? match.route->upstream
                                                        : "";
  if (!upstream.empty()) {
    InFlightLimiter::Decision decision = in_flight_limiter_.TryAcquire(upstream);
    if (!decision.permit) {
      bool total = decision.refusal == InFlightLimiter::Refusal::kTotal;
      CountOverloaded(total ? "in_flight" : "upstream_in_flight", upstream);
      answer(Error(version, keep_alive,
                   Unavailable(std::string("the gateway is at its bound of ") +
                               std::to_string(decision.limit) + " requests in flight" +
                               (total ? "" : " to " + upstream) + "; retry in 1 s")
                       .WithRetryAfter(1),
                   request_id));
      return;
    }
    answer = [permit = std::make_shared<InFlightLimiter::Permit>(std::move(*decision.permit)),
              answer = std::move(answer)](Response res) {
      permit->Release();
      answer(std::move(res));
    };
  }

  if (path == "/healthz") {
    answer(JsonResponse(200, version, keep_alive, "{\"status\":\"ok\"}", request_id));
    return;
  }
  if (path == "/readyz") {
    // ?scope=self leaves the services out: a load balancer's probe must not take every gateway
    // out of service because one service is down (its routes answer 503 on their own).
    std::string_view query = std::string_view(target).substr(std::min(target.size(), path.size() + 1));
    Readiness(version, keep_alive, query != "scope=self", request_id, std::move(answer));
    return;
  }
  if (path == kRealtimePath) {
    // A WebSocket upgrade of /ws never reaches here (HttpSession hands it to the hub).
    Response res = Error(version, keep_alive,
                         FailedPrecondition(std::string(kRealtimePath) +
                                            " is a WebSocket: send a GET with Upgrade: websocket "
                                            "(see docs/realtime.md)"),
                         request_id);
    res.result(http::status::upgrade_required);
    res.set(http::field::upgrade, "websocket");
    answer(std::move(res));
    return;
  }
  if (path == "/webhooks/meta") {
    MetaWebhook(std::move(req), std::move(request_id), std::move(answer));
    return;
  }
  if (match.route == nullptr && options_.console != nullptr && Console::Handles(path) &&
      (req.method() == http::verb::get || req.method() == http::verb::head)) {
    Response res = options_.console->Serve(req, path);
    res.set("X-Request-Id", request_id);
    answer(std::move(res));
    return;
  }
  if (match.route == nullptr) {
    // Probing for routes costs like any request.
    if (!Admit(req, remote_ip, "", request_id, answer)) {
      return;
    }
    if (match.method_mismatch) {
      Response res = Error(version, keep_alive,
                           Status(Code::kUnimplemented, "method " + method + " is not allowed on " +
                                                            std::string(path)),
                           request_id);
      res.result(http::status::method_not_allowed);
      answer(std::move(res));
      return;
    }
    answer(Error(version, keep_alive, NotFound("no route for " + method + " " + std::string(path)),
                 request_id));
    return;
  }
  Forward(match, std::move(req), remote_ip, std::move(request_id), std::move(answer));
}

bool Gateway::Admit(const Request& req, const std::string& remote_ip, std::string_view user_id,
                    const std::string& request_id, Respond& respond) {
  // Only the API is limited: probes must always answer, and webhooks come from Meta's many
  // addresses, so a per-IP limit there would refuse Meta, not an abuser.
  if (limiter_ == nullptr || !IsApiPath(req.target())) {
    return true;
  }
  std::string client_ip = options_.trusted_proxies.ClientIp(remote_ip, LastForwardedFor(req));
  return Apply(limiter_->Check(client_ip, user_id), req, request_id, respond);
}

bool Gateway::Apply(const RateLimitDecision& decision, const Request& req,
                    const std::string& request_id, Respond& respond) {
  if (!decision.decided) {
    return true;
  }
  if (!decision.allowed) {
    std::string per = decision.scope == "user" ? "user" : "client address";
    Status refusal = ResourceExhausted("rate limit exceeded: " + std::to_string(decision.limit) +
                                       " requests a minute per " + per + "; retry in " +
                                       std::to_string(decision.retry_after_seconds) + " s")
                         .WithRetryAfter(static_cast<int>(decision.retry_after_seconds));
    HttpMetrics::Get().rate_limited.WithLabels({decision.scope == "user" ? "user" : "ip"}).Inc();
    Response res = Error(req.version(), req.keep_alive(), refusal, request_id);
    SetRateLimitHeaders(res, decision);
    respond(std::move(res));
    return false;
  }
  respond = [respond = std::move(respond), decision](Response res) {
    SetRateLimitHeaders(res, decision);
    respond(std::move(res));
  };
  return true;
}

void Gateway::Forward(const Match& match, Request&& req, const std::string& remote_ip,
                      std::string request_id, Respond respond) {
  const Route& route = *match.route;
  std::string authorization;
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    authorization = std::string(it->value());
  }
  // The token is checked before the rate limits, which need the user; its verdict is given after
  // them, so requests with bad tokens count against their address like any other.
  Result<rpc::Caller> caller = rpc::Caller{};
  if (!route.allow_anonymous) {
    std::string_view token = rpc::BearerToken(authorization);
    if (token.empty()) {
      caller = Unauthenticated(authorization.empty()
                                   ? "missing bearer token (Authorization: Bearer <accessToken>)"
                                   : "Authorization must be a bearer token");
    } else {
      // The service decides again; deciding here too spares it calls that cannot succeed.
      caller = rpc::Decide(route.access, verifier_->Verify(token));
    }
  }
  if (limiter_ == nullptr || !IsApiPath(req.target())) {
    Proceed(match, std::move(req), std::move(caller), std::move(authorization),
            std::move(request_id), std::move(respond));
    return;
  }
  // A client with tokens reserved here is decided on this thread; otherwise Redis is asked, on
  // the admission pool (a Redis round trip must not hold an I/O thread).
  std::string client_ip = options_.trusted_proxies.ClientIp(remote_ip, LastForwardedFor(req));
  if (auto local = limiter_->CheckLocal(client_ip, caller.ok() ? caller->user_id : "")) {
    if (Apply(*local, req, request_id, respond)) {
      Proceed(match, std::move(req), std::move(caller), std::move(authorization),
              std::move(request_id), std::move(respond));
    }
    return;
  }
  // Match holds a pointer into the immutable router and a copy of the path parameters: safe to
  // carry to another thread.
  auto task = std::make_shared<std::tuple<Match, Request, Result<rpc::Caller>, std::string,
                                          std::string, std::string, Respond>>(
      match, std::move(req), std::move(caller), std::move(authorization), remote_ip,
      std::move(request_id), std::move(respond));
  admission_.Post([this, task] {
    auto& [m, r, c, authz, ip, id, resp] = *task;
    if (!Admit(r, ip, c.ok() ? std::string_view(c->user_id) : "", id, resp)) {
      return;
    }
    Proceed(m, std::move(r), std::move(c), std::move(authz), std::move(id), std::move(resp));
  });
}

void Gateway::Proceed(const Match& match, Request&& req, Result<rpc::Caller> caller,
                      std::string authorization, std::string request_id, Respond respond) {
  const Route& route = *match.route;
  unsigned version = req.version();
  bool keep_alive = req.keep_alive();
  auto fail = [&](const Status& st) { respond(Error(version, keep_alive, st, request_id)); };
  if (!caller.ok()) {
    fail(caller.status());
    return;
  }
  const Message* prototype =
      MessageFactory::generated_factory()->GetPrototype(route.method->input_type());
  std::unique_ptr<Message> request_msg(prototype->New());
  std::string_view target = req.target();
  auto q = target.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  Status st = BuildRequest(route, match.params, query, req.body(), request_msg.get(),
                           req[http::field::content_type]);
  if (!st.ok()) {
    fail(st);
    return;
  }

  auto call = std::make_shared<UnaryCall>();
  const bool transfer =
      route.raw_body || route.method->output_type() == api::HttpBody::descriptor();
  rpc::PrepareContext(call->context,
                      transfer ? std::max(options_.transfer_timeout_ms, options_.upstream_timeout_ms)
                               : options_.upstream_timeout_ms,
                      {authorization, request_id, TraceparentFor(req)});
  if (Status forwarded = ForwardHeaders(req, call->context); !forwarded.ok()) {
    fail(forwarded);
    return;
  }
  bool own = false;
  if (!grpc::SerializationTraits<Message>::Serialize(*request_msg, &call->request, &own).ok()) {
    fail(Internal("cannot serialize the request"));
    return;
  }
  const auto* output_type = route.method->output_type();
  upstreams_.Call(
      route.upstream, route.grpc_method, call.get(),
      [call, output_type, version, keep_alive, request_id = std::move(request_id),
       respond = std::move(respond)](grpc::Status gst) {
        if (!gst.ok()) {
          Status st = rpc::FromGrpc(gst);
          if (st.code() == Code::kUnavailable && gst.error_message().find("connect") != std::string::npos) {
            st = Unavailable("the service is not reachable right now; try again");
          } else if (st.code() == Code::kCancelled) {
            // The gateway never cancels its calls: this is the service's, stopping with the call
            // still queued (a drain). It did not answer; like UNAVAILABLE, 503 and try again.
            st = Unavailable("the service stopped before answering; try again");
          }
          respond(Error(version, keep_alive, st, request_id));
          return;
        }
        std::unique_ptr<Message> response_msg(
            MessageFactory::generated_factory()->GetPrototype(output_type)->New());
        if (!grpc::SerializationTraits<Message>::Deserialize(&call->response, response_msg.get())
                 .ok()) {
          respond(Error(version, keep_alive, Internal("bad response from the service"), request_id));
          return;
        }
        Response res =
            MakeResponse(200, version, keep_alive, ToHttpAnswer(*response_msg), request_id);
        AnswerMetadata(call->context, res);
        respond(std::move(res));
      });
}

void Gateway::Readiness(unsigned version, bool keep_alive, bool with_upstreams,
                        std::string request_id, Respond respond) {
  if (draining_.load()) {
    respond(JsonResponse(503, version, keep_alive,
                         "{\"status\":\"draining\",\"checks\":{}}", request_id));
    return;
  }
  blocking_.Post([this, version, keep_alive, with_upstreams, request_id = std::move(request_id),
                  respond = std::move(respond)] {
    bool ready = true;
    std::string checks = "{";
    Status redis_ok = redis_->Ping();
    ready = ready && redis_ok.ok();
    checks += "\"redis\":\"";
    log::AppendJsonEscaped(checks, redis_ok.ok() ? "ok" : redis_ok.message());
    checks += "\"";
    for (const auto& [name, check] : options_.readiness_checks) {
      Status st = check();
      ready = ready && st.ok();
      checks += ",\"" + name + "\":\"";
      log::AppendJsonEscaped(checks, st.ok() ? "ok" : st.message());
      checks += "\"";
    }
    auto upstreams = with_upstreams ? upstreams_.HealthCheckAll(options_.readiness_timeout_ms)
                                    : decltype(upstreams_.HealthCheckAll(0)){};
    for (const auto& [name, health] : upstreams) {
      ready = ready && health == "SERVING";
      checks += ",\"" + name + "\":\"";
      log::AppendJsonEscaped(checks, health);
      checks += "\"";
    }
    checks += "}";
    std::string body = std::string("{\"status\":\"") + (ready ? "ready" : "unavailable") +
                       "\",\"checks\":" + checks + "}";
    respond(JsonResponse(ready ? 200 : 503, version, keep_alive, std::move(body), request_id));
  });
}

}  // namespace salesos::gateway
