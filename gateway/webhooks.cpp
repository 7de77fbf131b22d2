// The hand-written webhook routes (DESIGN §4: the only routes not generated from the protos):
// GET /webhooks/meta, Meta's verification handshake, and POST /webhooks/meta, a signed delivery.
// Both go to webhook_ingest unchanged — the raw body bytes, since the signature covers exactly
// them — and are not rate limited (Meta delivers from many addresses, and a refused delivery is
// only retried later).

#include <grpcpp/impl/codegen/proto_utils.h>

#include <boost/url/parse.hpp>

#include "gateway.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/status_mapping.h"
#include "salesos/webhook_ingest/v1/webhook_ingest.pb.h"

namespace salesos::gateway {
namespace {

namespace whv1 = salesos::webhook_ingest::v1;

constexpr char kUpstream[] = "webhook_ingest";
constexpr char kVerifyMethod[] = "/salesos.webhook_ingest.v1.WebhookIngestService/VerifyMetaWebhook";
constexpr char kIngestMethod[] = "/salesos.webhook_ingest.v1.WebhookIngestService/IngestMetaWebhook";

Response TextResponse(unsigned status, unsigned version, bool keep_alive, std::string body,
                      const std::string& request_id) {
  Response res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set("X-Request-Id", request_id);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

bool Serialize(const google::protobuf::Message& msg, grpc::ByteBuffer* out) {
  bool own = false;
  return grpc::SerializationTraits<google::protobuf::Message>::Serialize(msg, out, &own).ok();
}

bool Parse(grpc::ByteBuffer* in, google::protobuf::Message* msg) {
  return grpc::SerializationTraits<google::protobuf::Message>::Deserialize(in, msg).ok();
}

}  // namespace

void Gateway::MetaWebhook(Request&& req, std::string request_id, Respond respond) {
  unsigned version = req.version();
  bool keep_alive = req.keep_alive();
  auto call = std::make_shared<UnaryCall>();
  // Handle set the request's traceparent (the client's or a new one): the delivery's trace.
  rpc::PrepareContext(call->context, options_.upstream_timeout_ms,
                      {"", request_id, std::string(req["traceparent"])});
  auto fail = [version, keep_alive, request_id, respond](const Status& st) {
    respond(Error(version, keep_alive, st, request_id));
  };

  if (req.method() == http::verb::get) {
    whv1::MetaVerifyRequest verify;
    auto url = boost::urls::parse_origin_form(req.target());
    if (!url) {
      fail(InvalidArgument("malformed request target"));
      return;
    }
    {
      for (auto p : url->params()) {
        if (p.key == "hub.mode") {
          verify.set_mode(p.value);
        } else if (p.key == "hub.verify_token") {
          verify.set_verify_token(p.value);
        } else if (p.key == "hub.challenge") {
          verify.set_challenge(p.value);
        }
      }
    }
    if (!Serialize(verify, &call->request)) {
      fail(Internal("cannot serialize the request"));
      return;
    }
    upstreams_.Call(kUpstream, kVerifyMethod, call.get(),
                    [call, version, keep_alive, request_id, respond, fail](grpc::Status gst) {
                      whv1::MetaVerifyResponse out;
                      if (!gst.ok()) {
                        fail(rpc::FromGrpc(gst));
                        return;
                      }
                      if (!Parse(&call->response, &out)) {
                        fail(Internal("bad response from the service"));
                        return;
                      }
                      // The challenge, byte for byte, is the whole answer.
                      respond(TextResponse(200, version, keep_alive, out.challenge(), request_id));
                    });
    return;
  }
  if (req.method() != http::verb::post) {
    Response res = Error(version, keep_alive,
                         Status(Code::kUnimplemented, "use GET (verification) or POST (delivery)"),
                         request_id);
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET, POST");
    respond(std::move(res));
    return;
  }
  whv1::MetaWebhookRequest delivery;
  delivery.set_body(std::move(req.body()));
  if (auto it = req.find("X-Hub-Signature-256"); it != req.end()) {
    delivery.set_signature_256(std::string(it->value()));
  }
  delivery.set_request_id(request_id);
  if (!Serialize(delivery, &call->request)) {
    fail(Internal("cannot serialize the request"));
    return;
  }
  upstreams_.Call(kUpstream, kIngestMethod, call.get(),
                  [call, version, keep_alive, request_id, respond, fail](grpc::Status gst) {
                    if (!gst.ok()) {
                      fail(rpc::FromGrpc(gst));
                      return;
                    }
                    // Meta reads only the status; the body says what happened, for people.
                    whv1::MetaWebhookResponse out;
                    Parse(&call->response, &out);
                    respond(TextResponse(200, version, keep_alive,
                                         "EVENT_RECEIVED accepted=" +
                                             std::to_string(out.accepted()) +
                                             " duplicates=" + std::to_string(out.duplicates()) +
                                             " ignored=" + std::to_string(out.ignored()),
                                         request_id));
                  });
}

}  // namespace salesos::gateway
