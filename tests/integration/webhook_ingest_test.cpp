// webhook_ingest over real gRPC and a real Redis, without the gateway: a page connected through
// the API, a signed Messenger delivery sent straight to IngestMetaWebhook (anonymous, as the
// gateway's /webhooks/meta route will), the normalised event on salesos:inbound, redeliveries,
// forgeries, the handshake, and the channel cache dropped when the page is disconnected.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "salesos/core/ids.h"
#include "salesos/crypto/hash.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/client.h"
#include "salesos/webhook_ingest/v1/inbound.pb.h"
#include "salesos/webhook_ingest/v1/webhook_ingest.grpc.pb.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;
namespace whv1 = salesos::webhook_ingest::v1;

namespace {

constexpr char kAppSecret[] = "9a0364b9e99bb480dd25e1f0284c8555";
constexpr char kVerifyToken[] = "s3cr3t-verify-token";

// Meta's secret and token given as files ending in a newline, as Kubernetes and compose mount
// them (SALESOS_META_*_FILE): the handshake and the signatures below only pass if webhook_ingest
// read them whole and dropped the newline.
SuiteOptions WithMetaSecrets() {
  static const TempDir dir;
  const std::string secret = dir.File("meta-app-secret"), token = dir.File("meta-verify-token");
  std::ofstream(secret) << kAppSecret << "\n";
  std::ofstream(token) << kVerifyToken << "\n";
  SuiteOptions options;
  options.extra_env = {"SALESOS_META_APP_SECRET_FILE=" + secret,
                       "SALESOS_META_VERIFY_TOKEN_FILE=" + token};
  return options;
}

std::string NewPageId() {
  std::string id = "10";
  for (char c : salesos::RandomHex(7)) {
    id += std::to_string(static_cast<unsigned char>(c) % 10);
  }
  return id;
}

std::string Signature(const std::string& body) {
  return "sha256=" + salesos::HexEncode(salesos::crypto::HmacSha256(kAppSecret, body));
}

// A Messenger text delivery for `page_id`, written as Meta writes it (non-ASCII escaped).
std::string MessengerText(const std::string& page_id, const std::string& mid) {
  return R"({"object":"page","entry":[{"id":")" + page_id +
         R"(","time":1767225601234,"messaging":[{"sender":{"id":"7712345678901234"},)"
         R"("recipient":{"id":")" +
         page_id + R"("},"timestamp":1767225600987,"message":{"mid":")" + mid +
         R"(","text":"\u00bfTienen env\u00edo a Lyon? \ud83d\ude9a"}}]}]})";
}

struct Ingest {
  grpc::Status status;
  whv1::MetaWebhookResponse response;
};

class WebhookClient {
 public:
  explicit WebhookClient(Suite& suite)
      : stub_(whv1::WebhookIngestService::NewStub(
            salesos::rpc::MakeChannel(suite.service_addr("webhook_ingest")))) {}

  // No token: the rpc is anonymous.
  Ingest Post(const std::string& body, const std::string& signature) {
    whv1::MetaWebhookRequest req;
    req.set_body(body);
    req.set_signature_256(signature);
    req.set_request_id("it-" + salesos::RandomHex(4));
    Ingest out;
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000);
    out.status = stub_->IngestMetaWebhook(&ctx, req, &out.response);
    return out;
  }

  grpc::Status Verify(const std::string& mode, const std::string& token,
                      const std::string& challenge, std::string* echoed) {
    whv1::MetaVerifyRequest req;
    req.set_mode(mode);
    req.set_verify_token(token);
    req.set_challenge(challenge);
    whv1::MetaVerifyResponse resp;
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000);
    grpc::Status st = stub_->VerifyMetaWebhook(&ctx, req, &resp);
    *echoed = resp.challenge();
    return st;
  }

 private:
  std::unique_ptr<whv1::WebhookIngestService::Stub> stub_;
};

salesos::redis::ClientPtr Redis(Suite& suite) {
  auto redis = salesos::redis::Connect(suite.redis().url());
  REQUIRE(redis.ok());
  return *redis;
}

std::vector<whv1::InboundEvent> InboundEvents(Suite& suite) {
  auto reply = Redis(suite)->Command({"XRANGE", "salesos:inbound", "-", "+"});
  REQUIRE(reply.ok());
  std::vector<whv1::InboundEvent> out;
  for (const auto& entry : reply->elements) {
    const auto& fields = entry.elements.at(1).elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "event") {
        whv1::InboundEvent ev;
        REQUIRE(ev.ParseFromString(fields[i + 1].str));
        out.push_back(std::move(ev));
      }
    }
  }
  return out;
}

std::string ConnectPage(HttpClient& client, const Account& owner, const std::string& page_id) {
  HttpResult created =
      Send(client, "POST", "/api/v1/integrations", owner.token,
           json::value{{"platform", "facebook"},
                       {"pageId", page_id},
                       {"pageAccessToken", "EAA" + salesos::RandomHex(12) + "abcd"},
                       {"pageName", "Lumi Lamps"}});
  REQUIRE(created.status == 200);
  return Str(Json(created).at("id"));
}

// A suite with Meta's secrets, an owner, and a Facebook page the owner connected.
struct ConnectedPage {
  Suite suite{WithMetaSecrets()};
  std::unique_ptr<HttpClient> client = suite.Client();
  Account owner = Register(*client, "Lumi Lamps");
  std::string page_id = NewPageId();
  std::string integration_id = ConnectPage(*client, owner, page_id);
  WebhookClient webhooks{suite};

  // A new text message to the page (or to `page`), correctly signed.
  Ingest PostText(const std::string& page = "") {
    std::string body =
        MessengerText(page.empty() ? page_id : page, "m_it-" + salesos::RandomHex(8));
    return webhooks.Post(body, Signature(body));
  }
};

}  // namespace

TEST_CASE("webhook_ingest: a signed delivery lands on salesos:inbound with its workspace, once",
          "[integration][webhook_ingest]") {
  ConnectedPage p;
  std::string body = MessengerText(p.page_id, "m_it-" + salesos::RandomHex(6));
  Ingest first = p.webhooks.Post(body, Signature(body));
  INFO(first.status.error_message());
  REQUIRE(first.status.ok());
  CHECK(first.response.accepted() == 1);
  CHECK(first.response.duplicates() == 0);
  CHECK(first.response.ignored() == 0);

  auto events = InboundEvents(p.suite);
  REQUIRE(events.size() == 1);
  const whv1::InboundEvent& ev = events[0];
  CHECK(salesos::IsUuid(ev.id()));
  CHECK(ev.workspace_id() == p.owner.workspace_id);
  CHECK(ev.integration_id() == p.integration_id);
  CHECK(ev.platform() == "facebook");
  CHECK(ev.kind() == "message");
  CHECK(ev.channel_external_id() == p.page_id);
  CHECK(ev.sender_id() == "7712345678901234");
  CHECK(ev.text() == "¿Tienen envío a Lyon? 🚚");
  CHECK(ev.timestamp_ms() == 1767225600987);
  CHECK(ev.received_at_ms() > 0);

  // Meta's redelivery of the same message adds nothing.
  Ingest again = p.webhooks.Post(body, Signature(body));
  REQUIRE(again.status.ok());
  CHECK(again.response.accepted() == 0);
  CHECK(again.response.duplicates() == 1);

  // Forged, unsigned, or signed over other bytes: 401 and nothing stored.
  std::string forged = MessengerText(p.page_id, "m_forged-" + salesos::RandomHex(6));
  CHECK(p.webhooks.Post(forged, Signature(body)).status.error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(p.webhooks.Post(forged, "").status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(p.webhooks.Post(forged, "sha256=" + std::string(64, '0')).status.error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  // Correctly signed but not JSON: 400.
  std::string not_json = "hub.mode=subscribe";
  CHECK(p.webhooks.Post(not_json, Signature(not_json)).status.error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  // A page no workspace connected: acknowledged, counted, not stored.
  Ingest unknown = p.PostText(NewPageId());
  REQUIRE(unknown.status.ok());
  CHECK(unknown.response.accepted() == 0);
  CHECK(unknown.response.ignored() == 1);
  CHECK(InboundEvents(p.suite).size() == 1);

  // The subscription handshake: the challenge back for the verify token only.
  std::string echoed;
  grpc::Status ok = p.webhooks.Verify("subscribe", kVerifyToken, "1158201444", &echoed);
  INFO(ok.error_message());
  REQUIRE(ok.ok());
  CHECK(echoed == "1158201444");
  CHECK(p.webhooks.Verify("subscribe", "guess", "1158201444", &echoed).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  CHECK(p.webhooks.Verify("subscribe", kVerifyToken, "", &echoed).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("webhook_ingest: a disconnected page's cached channel is dropped, so it routes no more",
          "[integration][webhook_ingest]") {
  ConnectedPage p;
  REQUIRE(p.PostText().response.accepted() == 1);
  const std::string cache_key = "salesos:channel:facebook:" + p.page_id;
  auto redis = Redis(p.suite);
  REQUIRE(redis->Get(cache_key).value().has_value());

  REQUIRE(
      Send(*p.client, "DELETE", "/api/v1/integrations/" + p.integration_id, p.owner.token).status ==
      200);
  // channel.changed reaches webhook_ingest's consumer of salesos:events, which drops the key.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (redis->Get(cache_key).value().has_value() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE_FALSE(redis->Get(cache_key).value().has_value());

  Ingest late = p.PostText();
  REQUIRE(late.status.ok());
  CHECK(late.response.accepted() == 0);
  CHECK(late.response.ignored() == 1);
  CHECK(InboundEvents(p.suite).size() == 1);
}

TEST_CASE("webhook_ingest: /webhooks/meta on the gateway verifies, ingests and refuses forgeries",
          "[integration][webhook_ingest][gateway]") {
  ConnectedPage p;
  HttpClient& http = *p.client;

  // The handshake answers the challenge as plain text, byte for byte.
  HttpResult hello = http.Get(std::string("/webhooks/meta?hub.mode=subscribe&hub.verify_token=") +
                              kVerifyToken + "&hub.challenge=1158201444");
  CHECK(hello.status == 200);
  CHECK(hello.body == "1158201444");
  CHECK(hello.Header("content-type").rfind("text/plain", 0) == 0);
  HttpResult wrong = http.Get(
      "/webhooks/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444");
  CHECK(wrong.status == 403);
  CHECK(wrong.body.find("1158201444") == std::string::npos);

  // A signed delivery: 200 once it is on the stream, and a redelivery adds nothing.
  std::string body = MessengerText(p.page_id, "m_gw-" + salesos::RandomHex(6));
  std::map<std::string, std::string> signed_headers = {
      {"Content-Type", "application/json"}, {"X-Hub-Signature-256", Signature(body)}};
  HttpResult delivered = http.Request("POST", "/webhooks/meta", body, signed_headers);
  INFO(delivered.body);
  CHECK(delivered.status == 200);
  REQUIRE(InboundEvents(p.suite).size() == 1);
  CHECK(InboundEvents(p.suite)[0].workspace_id() == p.owner.workspace_id);
  CHECK(http.Request("POST", "/webhooks/meta", body, signed_headers).status == 200);
  CHECK(InboundEvents(p.suite).size() == 1);

  // Forged, unsigned, and oversized deliveries change nothing.
  std::string other = MessengerText(p.page_id, "m_gw-" + salesos::RandomHex(6));
  CHECK(http.Request("POST", "/webhooks/meta", other,
                     {{"Content-Type", "application/json"},
                      {"X-Hub-Signature-256", Signature(body)}})
            .status == 401);
  CHECK(http.Request("POST", "/webhooks/meta", other, {{"Content-Type", "application/json"}})
            .status == 401);
  // Above the API's 1 MiB but within the webhooks' 4 MiB: read whole, then refused for its
  // signature, not its size.
  std::string large = std::string(2 * 1024 * 1024, ' ') + other;
  CHECK(http.Request("POST", "/webhooks/meta", large,
                     {{"Content-Type", "application/json"},
                      {"X-Hub-Signature-256", Signature(body)}})
            .status == 401);
  std::string huge(5 * 1024 * 1024, ' ');
  std::string raw = http.Raw("POST /webhooks/meta HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             "application/json\r\nContent-Length: " +
                             std::to_string(huge.size()) + "\r\n\r\n" + huge);
  CHECK(raw.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(InboundEvents(p.suite).size() == 1);
  CHECK(http.Request("PUT", "/webhooks/meta", body, signed_headers).status == 405);
}
