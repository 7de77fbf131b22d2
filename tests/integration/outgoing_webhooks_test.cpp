// Outgoing webhooks end to end (issue 9): a workspace subscribes a local receiver to
// campaign.created; creating a campaign goes campaign → salesos:events → webhook_ingest → the
// receiver, signed. The receiver answers 500 twice and then 200: three attempts in the delivery
// log, succeeded. A redelivery posts the event again with the same X-SalesOS-Event-Id. The
// signature is checked here with OpenSSL's HMAC directly, not with SalesOS's own code. A suite
// without the operator's allowance refuses the receiver's private URL with 400 naming url.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/api.h"
#include "support/local_http_server.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

struct Received {
  std::string event_id;
  std::string signature;
  std::string content_type;
  std::string user_agent;
  std::string target;
  std::string body;
};

// Records every POST and answers 500 to the first `failures`, then 200.
class Receiver {
 public:
  explicit Receiver(int failures)
      : failures_(failures),
        server_([this](const LocalHttpServer::Request& req) -> std::optional<LocalHttpServer::Response> {
          std::lock_guard lock(mu_);
          Received r;
          r.event_id = std::string(req["X-SalesOS-Event-Id"]);
          r.signature = std::string(req["X-SalesOS-Signature"]);
          r.content_type = std::string(req[boost::beast::http::field::content_type]);
          r.user_agent = std::string(req[boost::beast::http::field::user_agent]);
          r.target = std::string(req.target());
          r.body = req.body();
          received_.push_back(std::move(r));
          int status = static_cast<int>(received_.size()) <= failures_ ? 500 : 200;
          return LocalHttpServer::Reply(req, status, status == 200 ? "{\"ok\":true}" : "oops");
        }) {}

  std::string url() const { return server_.origin() + "/hooks/salesos"; }

  // The requests once there are at least n, waiting at most 20 s.
  std::vector<Received> WaitFor(size_t n) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard lock(mu_);
        if (received_.size() >= n) {
          return received_;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  std::mutex mu_;
  std::vector<Received> received_;
  int failures_;
  LocalHttpServer server_;
};

// HMAC-SHA256 in lowercase hex, with OpenSSL's one-shot HMAC().
std::string HmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

// Checks "t=<unix>,v1=<hex>" against the body and the secret, and that t is fresh.
void CheckSignature(const Received& r, const std::string& secret) {
  INFO(r.signature);
  REQUIRE(r.signature.rfind("t=", 0) == 0);
  auto comma = r.signature.find(",v1=");
  REQUIRE(comma != std::string::npos);
  std::string t = r.signature.substr(2, comma - 2);
  std::string v1 = r.signature.substr(comma + 4);
  CHECK(v1 == HmacHex(secret, t + "." + r.body));
  CHECK(v1 != HmacHex(secret + "x", t + "." + r.body));
  long long sent = std::stoll(t);
  long long now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  CHECK(std::llabs(now - sent) <= 300);  // the freshness window a receiver should apply
}

// The delivery log of a webhook once `ready` holds for it, polling at most 20 s.
template <typename Ready>
json::array WaitForLog(HttpClient& client, const std::string& token, const std::string& hook,
                       Ready ready) {
  json::array log;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until) {
    HttpResult r = client.Get("/api/v1/webhooks/" + hook + "/deliveries", token);
    REQUIRE(r.status == 200);
    log = Json(r).at("deliveries").as_array();
    if (ready(log)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return log;
}

}  // namespace

TEST_CASE("outgoing webhooks: a subscribed event is delivered signed, retried, and redelivered",
          "[integration][webhooks]") {
  Receiver receiver(2);
  SuiteOptions options;
  options.extra_env = {"SALESOS_WEBHOOKS_ALLOW_PRIVATE=1", "SALESOS_WEBHOOKS_RETRY_BASE_MS=200",
                       "SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"};
  Suite suite(options);
  auto client = suite.Client();
  Account owner = Register(*client, "Hook Lamps");

  HttpResult created = Send(*client, "POST", "/api/v1/webhooks", owner.token,
                            json::value(json::object{{"url", receiver.url()},
                                                     {"events", json::array{"campaign.created"}},
                                                     {"description", "CRM sync"}}));
  REQUIRE(created.status == 200);
  auto hook = Json(created);
  const std::string hook_id = Str(hook.at("id"));
  const std::string secret = Str(hook.at("secret"));
  REQUIRE(secret.size() >= 16);
  CHECK(Str(hook.at("secretHint")) == "\u2026" + secret.substr(secret.size() - 4));

  // The secret is never shown again.
  HttpResult got = client->Get("/api/v1/webhooks/" + hook_id, owner.token);
  REQUIRE(got.status == 200);
  auto shown = Json(got).as_object();
  CHECK((!shown.contains("secret") || Str(shown.at("secret")).empty()));
  CHECK(Str(Json(got).at("url")) == receiver.url());
  HttpResult listed = client->Get("/api/v1/webhooks", owner.token);
  REQUIRE(listed.status == 200);
  REQUIRE(Json(listed).at("webhooks").as_array().size() == 1);

  // Another workspace sees nothing of it; an agent may not manage webhooks.
  Account stranger = Register(*client, "Other Lamps");
  CHECK(client->Get("/api/v1/webhooks/" + hook_id, stranger.token).status == 404);
  CHECK(client->Get("/api/v1/webhooks/" + hook_id + "/deliveries", stranger.token).status == 404);
  Account agent = AddMember(*client, owner, "agent");
  CHECK(client->Get("/api/v1/webhooks", agent.token).status == 403);

  // The event.
  HttpResult campaign = client->Post(
      "/api/v1/campaigns", json::serialize(json::object{{"name", "Hooked lamps"}}), owner.token);
  REQUIRE(campaign.status == 200);
  const std::string campaign_id = Str(Json(campaign).at("id"));

  auto requests = receiver.WaitFor(3);
  REQUIRE(requests.size() == 3);
  const std::string event_id = requests[0].event_id;
  REQUIRE_FALSE(event_id.empty());
  for (const auto& r : requests) {
    CHECK(r.event_id == event_id);
    CHECK(r.body == requests[0].body);  // the same bytes every attempt
    CHECK(r.target == "/hooks/salesos");
    CHECK(r.content_type == "application/json");
    CHECK(r.user_agent == "SalesOS-Webhooks/1");
    CheckSignature(r, secret);
  }
  auto body = json::parse(requests[0].body);
  CHECK(Str(body.at("id")) == event_id);
  CHECK(Str(body.at("type")) == "campaign.created");
  CHECK(Str(body.at("workspaceId")) == owner.workspace_id);
  CHECK_FALSE(Str(body.at("occurredAt")).empty());
  CHECK(Str(body.at("data").at("campaignId")) == campaign_id);
  CHECK(Str(body.at("data").at("name")) == "Hooked lamps");

  auto log = WaitForLog(*client, owner.token, hook_id, [](const json::array& l) {
    return l.size() == 1 && Str(l[0].at("status")) == "succeeded";
  });
  REQUIRE(log.size() == 1);
  const auto& first = log[0];
  CHECK(Str(first.at("status")) == "succeeded");
  CHECK(first.at("attempts").as_int64() == 3);
  CHECK(first.at("lastHttpStatus").as_int64() == 200);
  CHECK(Str(first.at("eventId")) == event_id);
  CHECK(Str(first.at("eventType")) == "campaign.created");
  CHECK_FALSE(Str(first.at("deliveredAt")).empty());
  const std::string delivery_id = Str(first.at("id"));

  // Redelivery: a new delivery of the same event.
  HttpResult again = client->Post(
      "/api/v1/webhooks/" + hook_id + "/deliveries/" + delivery_id + "/redeliver", "{}",
      owner.token);
  REQUIRE(again.status == 200);
  auto redelivery = Json(again);
  CHECK(Str(redelivery.at("id")) != delivery_id);
  CHECK(Str(redelivery.at("eventId")) == event_id);
  CHECK(Str(redelivery.at("redeliveryOf")) == delivery_id);
  auto fourth = receiver.WaitFor(4);
  REQUIRE(fourth.size() == 4);
  CHECK(fourth[3].event_id == event_id);
  CHECK(fourth[3].body == requests[0].body);
  CheckSignature(fourth[3], secret);
  log = WaitForLog(*client, owner.token, hook_id, [](const json::array& l) {
    return l.size() == 2 && Str(l[0].at("status")) == "succeeded";
  });
  REQUIRE(log.size() == 2);
  CHECK(Str(log[0].at("id")) == Str(redelivery.at("id")));  // newest first
  CHECK(log[0].at("attempts").as_int64() == 1);
  CHECK(client->Post("/api/v1/webhooks/" + hook_id + "/deliveries/" + delivery_id + "/redeliver",
                     "{}", stranger.token)
            .status == 404);

  // Deleted: gone, and no more deliveries.
  CHECK(Send(*client, "DELETE", "/api/v1/webhooks/" + hook_id, owner.token).status == 200);
  CHECK(client->Get("/api/v1/webhooks/" + hook_id, owner.token).status == 404);
}

TEST_CASE("outgoing webhooks: private and plain http URLs are refused unless the operator allows",
          "[integration][webhooks]") {
  Receiver receiver(0);
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Careful Lamps");
  for (const std::string& url :
       {receiver.url(), std::string("https://10.0.0.5/hook"),
        std::string("https://169.254.169.254/latest/meta-data"), std::string("http://example.com/x"),
        std::string("ftp://example.com/x")}) {
    INFO(url);
    HttpResult r = Send(*client, "POST", "/api/v1/webhooks", owner.token,
                        json::value(json::object{{"url", url}, {"events", json::array{"*"}}}));
    CHECK(r.status == 400);
    CHECK(ErrorField(r) == "url");
  }
  HttpResult bad_events = Send(
      *client, "POST", "/api/v1/webhooks", owner.token,
      json::value(json::object{{"url", "https://203.0.113.7/x"}, {"events", json::array{"nope"}}}));
  CHECK(bad_events.status == 400);
  CHECK(ErrorField(bad_events) == "events");
  HttpResult none = client->Get("/api/v1/webhooks", owner.token);
  REQUIRE(none.status == 200);
  CHECK(Json(none).at("webhooks").as_array().empty());
}
