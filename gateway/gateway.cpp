#include "gateway.h"

#include <google/protobuf/message.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include "errors.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/rpc/access.h"
#include "salesos/rpc/status_mapping.h"
#include "transcoder.h"

namespace salesos::gateway {
namespace {

using google::protobuf::Message;
using google::protobuf::MessageFactory;

Response JsonResponse(unsigned status, unsigned version, bool keep_alive, std::string body,
                      const std::string& request_id) {
  Response res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.set("X-Request-Id", request_id);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// The W3C traceparent of the request, or a new one, so each call is traceable across services.
std::string TraceparentFor(const Request& req) {
  auto it = req.find("traceparent");
  if (it != req.end()) {
    std::string_view v = it->value();
    if (v.size() == 55 && v[2] == '-' && v[35] == '-' && v[52] == '-') {
      return std::string(v);
    }
  }
  return "00-" + RandomHex(16) + "-" + RandomHex(8) + "-01";
}

}  // namespace

Gateway::Gateway(GatewayOptions options, Router router, Upstreams upstreams,
                 rpc::TokenVerifierPtr verifier, redis::ClientPtr redis)
    : options_(options),
      router_(std::move(router)),
      upstreams_(std::move(upstreams)),
      verifier_(std::move(verifier)),
      redis_(std::move(redis)),
      blocking_(2) {}

Gateway::~Gateway() { blocking_.Shutdown(); }

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

Response Gateway::Error(unsigned version, bool keep_alive, const Status& status,
                        const std::string& request_id) {
  Response res = JsonResponse(HttpStatusFor(status.code()), version, keep_alive,
                              ErrorJson(status, request_id), request_id);
  if (status.retry_after_seconds() > 0) {
    res.set(http::field::retry_after, std::to_string(status.retry_after_seconds()));
  }
  return res;
}

void Gateway::Handle(Request&& req, const std::string& remote_ip, Respond respond) {
  std::string request_id = RequestIdFor(req);
  in_flight_.fetch_add(1);
  int64_t started = MonotonicMillis();
  std::string method(req.method_string());
  std::string target(req.target());
  // Wrap the answer to write the access-log line once it is known.
  Respond answer = [this, respond = std::move(respond), request_id, started, method, remote_ip,
                    path = target.substr(0, target.find('?'))](Response res) {
    if (options_.access_log) {
      log::Info("http", {{"method", method},
                         {"path", path},
                         {"status", static_cast<int>(res.result_int())},
                         {"durationMs", MonotonicMillis() - started},
                         {"bytes", static_cast<int64_t>(res.body().size())},
                         {"requestId", request_id},
                         {"remote", remote_ip}});
    }
    respond(std::move(res));
    in_flight_.fetch_sub(1);
  };

  unsigned version = req.version();
  bool keep_alive = req.keep_alive();
  std::string_view path = std::string_view(target).substr(0, target.find('?'));

  if (path == "/healthz") {
    answer(JsonResponse(200, version, keep_alive, "{\"status\":\"ok\"}", request_id));
    return;
  }
  if (path == "/readyz") {
    Readiness(version, keep_alive, request_id, std::move(answer));
    return;
  }
  Match match = router_.Find(req.method_string(), path);
  if (match.route == nullptr) {
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
  Forward(match, std::move(req), std::move(request_id), std::move(answer));
}

void Gateway::Forward(const Match& match, Request&& req, std::string request_id, Respond respond) {
  const Route& route = *match.route;
  unsigned version = req.version();
  bool keep_alive = req.keep_alive();
  auto fail = [&](const Status& st) { respond(Error(version, keep_alive, st, request_id)); };

  std::string authorization;
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    authorization = std::string(it->value());
  }
  if (!route.allow_anonymous) {
    std::string_view token = rpc::BearerToken(authorization);
    if (token.empty()) {
      fail(Unauthenticated(authorization.empty()
                               ? "missing bearer token (Authorization: Bearer <accessToken>)"
                               : "Authorization must be a bearer token"));
      return;
    }
    // The service decides again; deciding here too spares it calls that cannot succeed.
    auto caller = rpc::Decide(route.access, verifier_->Verify(token));
    if (!caller.ok()) {
      fail(caller.status());
      return;
    }
  }

  const Message* prototype =
      MessageFactory::generated_factory()->GetPrototype(route.method->input_type());
  std::unique_ptr<Message> request_msg(prototype->New());
  std::string_view target = req.target();
  auto q = target.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  Status st = BuildRequest(route, match.params, query, req.body(), request_msg.get());
  if (!st.ok()) {
    fail(st);
    return;
  }

  auto call = std::make_shared<UnaryCall>();
  rpc::PrepareContext(call->context, options_.upstream_timeout_ms,
                      {authorization, request_id, TraceparentFor(req)});
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
        respond(JsonResponse(200, version, keep_alive, ToJson(*response_msg), request_id));
      });
}

void Gateway::Readiness(unsigned version, bool keep_alive, std::string request_id,
                        Respond respond) {
  blocking_.Post([this, version, keep_alive, request_id = std::move(request_id),
                  respond = std::move(respond)] {
    bool ready = true;
    std::string checks = "{";
    Status redis_ok = redis_->Ping();
    ready = ready && redis_ok.ok();
    checks += "\"redis\":\"";
    log::AppendJsonEscaped(checks, redis_ok.ok() ? "ok" : redis_ok.message());
    checks += "\"";
    for (const auto& [name, health] : upstreams_.HealthCheckAll(options_.readiness_timeout_ms)) {
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
