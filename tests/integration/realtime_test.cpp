// The gateway's /ws through the whole suite: events published with rpc::PublishRealtime reach the
// WebSockets of their workspace (and no other) unchanged, a reconnect with ?since catches up (or is
// told to resync), bad handshakes are refused with the JSON error, a client that does not read is
// let go while the gateway carries on, ping gets pong, and SIGTERM closes sockets with 1001.
#include "salesos/rpc/realtime.h"

#include <signal.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "salesos/redis/redis.h"
#include "support/api.h"
#include "support/suite.h"
#include "support/temp_dir.h"
#include "support/ws_client.h"

using namespace salesos::testing;
namespace json = boost::json;
namespace rpc = salesos::rpc;

namespace {

constexpr int kWaitMs = 10'000;

json::object Object(const std::string& text) {
  json::value v = json::parse(text);
  REQUIRE(v.is_object());
  return v.as_object();
}

std::string TypeOf(const std::string& text) {
  json::object o = Object(text);
  return o.contains("type") ? std::string(o.at("type").as_string()) : "";
}

std::string IdOf(const std::string& text) {
  json::object o = Object(text);
  return o.contains("id") ? std::string(o.at("id").as_string()) : "";
}

salesos::redis::ClientPtr RedisOf(Suite& suite) {
  auto redis = salesos::redis::Connect(suite.redis().url());
  REQUIRE(redis.ok());
  return *redis;
}

// The suite with an owner in each of two workspaces, and Redis to publish with as a service would.
struct TwoWorkspaces {
  explicit TwoWorkspaces(SuiteOptions options = {})
      : suite(std::move(options)),
        http(suite.Client()),
        a(Register(*http, "Aurora Apparel")),
        b(Register(*http, "Birch Bikes")),
        redis(RedisOf(suite)) {}
  Suite suite;
  std::unique_ptr<HttpClient> http;
  Account a;
  Account b;
  salesos::redis::ClientPtr redis;
};

// Publishes an event as a service would; its id.
std::string Publish(salesos::redis::Client& redis, const std::string& workspace_id,
                    const std::string& data_json, const std::string& type = "message.created") {
  auto id = rpc::PublishRealtime(redis, {type, workspace_id, "conv-1", data_json});
  REQUIRE(id.ok());
  return *id;
}

// A connected client, past its "ready" message (checked against the account).
std::unique_ptr<WsClient> Connect(Suite& suite, const Account& account,
                                  const std::string& query = "", bool by_subprotocol = true) {
  WsConnectResult r =
      by_subprotocol
          ? WsClient::ConnectAddr(suite.gateway_addr(), "/ws" + query, "bearer, " + account.token)
          : WsClient::ConnectAddr(
                suite.gateway_addr(),
                "/ws?access_token=" + account.token + (query.empty() ? "" : "&" + query.substr(1)));
  INFO("status " << r.status << " " << r.body << " " << r.error);
  REQUIRE(r.ok());
  CHECK(r.client->subprotocol() == (by_subprotocol ? "bearer" : ""));
  auto ready = r.client->ReadText(kWaitMs);
  REQUIRE(ready);
  json::object o = Object(*ready);
  CHECK(o.at("type").as_string() == "ready");
  CHECK(o.at("workspaceId").as_string() == account.workspace_id);
  CHECK(o.at("userId").as_string() == account.user_id);
  CHECK(o.at("ts").is_string());
  return std::move(r.client);
}

std::string Next(WsClient& client) {
  auto message = client.ReadText(kWaitMs);
  INFO("closed " << client.closed() << " " << client.error());
  REQUIRE(message);
  return *message;
}

// The refused handshake of `target`: its status and JSON error body.
WsConnectResult Refused(Suite& suite, const std::string& target,
                        const std::string& subprotocols = "") {
  WsConnectResult r = WsClient::ConnectAddr(suite.gateway_addr(), target, subprotocols);
  REQUIRE_FALSE(r.ok());
  INFO(r.error);
  REQUIRE(r.status != 0);
  CHECK(r.headers["content-type"] == "application/json");
  return r;
}

std::string ErrorCodeOf(const WsConnectResult& r) {
  return std::string(Object(r.body).at("error").as_object().at("code").as_string());
}

}  // namespace

TEST_CASE("realtime: an event reaches its workspace's sockets unchanged, and never another's",
          "[integration][realtime][gateway]") {
  TwoWorkspaces w;
  auto& [suite, http, a, b, redis] = w;

  auto a1 = Connect(suite, a);             // Sec-WebSocket-Protocol: bearer, <token>
  auto a2 = Connect(suite, a, "", false);  // ?access_token=<token>
  auto b1 = Connect(suite, b, "", false);

  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(Publish(*redis, a.workspace_id,
                          R"({"id":"m)" + std::to_string(i) + R"(","text":"hello \"there\" ✓"})"));
  }
  // What the log replays is the text that was published: the same bytes must arrive.
  auto logged = rpc::RealtimeSince(*redis, a.workspace_id, "0-0");
  REQUIRE(logged.ok());
  REQUIRE(logged->events.size() == 3);
  for (WsClient* client : {a1.get(), a2.get()}) {
    for (int i = 0; i < 3; ++i) {
      std::string got = Next(*client);
      CHECK(got == logged->events[i]);
      json::object o = Object(got);
      CHECK(o.at("id").as_string() == ids[i]);
      CHECK(o.at("type").as_string() == "message.created");
      CHECK(o.at("workspaceId").as_string() == a.workspace_id);
      CHECK(o.at("conversationId").as_string() == "conv-1");
      CHECK(o.at("data").at("text").as_string() == "hello \"there\" ✓");
    }
  }
  // B's socket is subscribed through the same connection as A's, in publish order: the first
  // thing it sees being B's own later event proves A's three never came to it.
  std::string b_id = Publish(*redis, b.workspace_id, R"({"n":1})");
  CHECK(IdOf(Next(*b1)) == b_id);
}

TEST_CASE(
    "realtime: a reconnect with since replays what came after it, then goes live, or asks "
    "for a resync when the log has a gap",
    "[integration][realtime][gateway]") {
  TwoWorkspaces w;
  auto& [suite, http, a, b, redis] = w;

  auto live = Connect(suite, a);
  std::vector<std::string> ids, texts;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(Publish(*redis, a.workspace_id, R"({"n":)" + std::to_string(i) + "}"));
    texts.push_back(Next(*live));
    CHECK(IdOf(texts.back()) == ids.back());
  }
  live->Close();

  SECTION("events after since, in order, then live ones without duplicates") {
    auto again = Connect(suite, a, "?since=" + ids[0]);
    CHECK(Next(*again) == texts[1]);
    CHECK(Next(*again) == texts[2]);
    std::string fourth = Publish(*redis, a.workspace_id, R"({"n":3})");
    CHECK(IdOf(Next(*again)) == fourth);

    // The same through ?access_token.
    auto by_query = Connect(suite, a, "?since=" + ids[1], false);
    CHECK(Next(*by_query) == texts[2]);
    CHECK(IdOf(Next(*by_query)) == fourth);
  }
  SECTION("a log that is gone: resync first, then live events") {
    REQUIRE(redis->Command({"DEL", rpc::RealtimeLogKey(a.workspace_id)}).ok());
    auto again = Connect(suite, a, "?since=" + ids[0]);
    json::object resync = Object(Next(*again));
    CHECK(resync.at("type").as_string() == "resync");
    CHECK(resync.at("workspaceId").as_string() == a.workspace_id);
    CHECK(resync.at("ts").is_string());
    std::string next = Publish(*redis, a.workspace_id, R"({"n":9})");
    CHECK(IdOf(Next(*again)) == next);
  }
  SECTION("a log trimmed past since: resync first, then what is left of it") {
    std::string last = Publish(*redis, a.workspace_id, R"({"n":3})");
    REQUIRE(redis->Command({"XTRIM", rpc::RealtimeLogKey(a.workspace_id), "MAXLEN", "1"}).ok());
    auto again = Connect(suite, a, "?since=" + ids[0]);
    CHECK(TypeOf(Next(*again)) == "resync");
    CHECK(IdOf(Next(*again)) == last);
  }
}

TEST_CASE("realtime: the handshake is refused with the JSON error of a bad token or since",
          "[integration][realtime][gateway]") {
  SuiteOptions options;
  options.extra_env = {"SALESOS_WS_REVERIFY_INTERVAL_MS=200"};
  TwoWorkspaces w(options);
  auto& [suite, http, a, b, redis] = w;

  WsConnectResult none = Refused(suite, "/ws");
  CHECK(none.status == 401);
  CHECK(ErrorCodeOf(none) == "UNAUTHENTICATED");
  CHECK(Object(none.body).at("error").at("requestId").is_string());

  CHECK(Refused(suite, "/ws?access_token=not-a-token").status == 401);
  CHECK(Refused(suite, "/ws", "bearer, not-a-token").status == 401);
  // A refresh token is no access token.
  CHECK(Refused(suite, "/ws?access_token=" + a.refresh_token).status == 401);
  // One character of the signature changed.
  std::string tampered = a.token;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  WsConnectResult forged = Refused(suite, "/ws", "bearer, " + tampered);
  CHECK(forged.status == 401);
  CHECK(forged.body.find(a.token) == std::string::npos);

  WsConnectResult bad_since = Refused(suite, "/ws?since=yesterday", "bearer, " + a.token);
  CHECK(bad_since.status == 400);
  auto details = Object(bad_since.body).at("error").at("details").as_array();
  REQUIRE(details.size() == 1);
  CHECK(details[0].at("field").as_string() == "since");

  // GET /ws without the upgrade.
  HttpResult plain = http->Get("/ws", a.token);
  CHECK(plain.status == 426);
  CHECK(plain.Header("upgrade") == "websocket");
  CHECK(ErrorCode(plain) == "FAILED_PRECONDITION");

  // Sessions ended by logout-all: an open socket of the old token is closed with 4001, and the
  // token no longer opens one.
  auto open = Connect(suite, a);
  REQUIRE(http->Post("/api/v1/auth/logout-all", "{}", a.token).status == 200);
  CHECK_FALSE(open->ReadUntil([](const std::string&) { return false; }, kWaitMs));
  CHECK(open->closed());
  CHECK(open->close_code() == 4001);
  CHECK(open->close_reason() == "token expired or revoked");
  CHECK(WaitFor(
      [&] {
        WsConnectResult r =
            WsClient::ConnectAddr(suite.gateway_addr(), "/ws", "bearer, " + a.token);
        return !r.ok() && r.status == 401;
      },
      std::chrono::seconds(5)));

  // The tokens never reach the log.
  std::string log = ReadFile(suite.process("gateway").log_path());
  CHECK(log.find(a.token) == std::string::npos);
  CHECK(log.find(a.refresh_token) == std::string::npos);
}

TEST_CASE("realtime: a client that does not read is closed, and the gateway carries on",
          "[integration][realtime][gateway]") {
  TwoWorkspaces w;
  auto& [suite, http, a, b, redis] = w;

  auto slow = Connect(suite, a);
  auto other = Connect(suite, b);
  // ~20 MB for A while `slow` reads nothing: far past its send queue (4 MiB) and what the kernel
  // buffers between the two sockets.
  const std::string blob(64 * 1024, 'x');
  const int published = 320;
  for (int i = 0; i < published; ++i) {
    Publish(*redis, a.workspace_id, R"({"blob":")" + blob + R"("})");
  }
  const std::string gateway_log = suite.process("gateway").log_path();
  REQUIRE(
      WaitFor([&] { return ReadFile(gateway_log).find("ws client too slow") != std::string::npos; },
              std::chrono::milliseconds(kWaitMs)));

  // It gets what was already on its way, then the close (1008) or, if the close frame could not
  // get out in time, the end of the connection.
  int received = 0;
  while (auto message = slow->ReadText(kWaitMs)) {
    ++received;
  }
  INFO("received " << received << " of " << published << "; " << slow->error());
  CHECK(slow->closed());
  CHECK(received < published);
  if (slow->close_code() != 0) {
    CHECK(slow->close_code() == 1008);
    CHECK(slow->close_reason() == "too slow: send queue full");
  }

  CHECK(http->Get("/healthz").status == 200);
  std::string b_id = Publish(*redis, b.workspace_id, R"({"n":1})");
  CHECK(IdOf(Next(*other)) == b_id);
  auto fresh = Connect(suite, a);
  std::string a_id = Publish(*redis, a.workspace_id, R"({"n":2})");
  CHECK(IdOf(Next(*fresh)) == a_id);
}

TEST_CASE("realtime: ping gets pong, an oversized message closes with 1009, SIGTERM with 1001",
          "[integration][realtime][gateway]") {
  TwoWorkspaces w;
  auto& [suite, http, a, b, redis] = w;

  auto client = Connect(suite, a);
  REQUIRE(client->Send("hello"));                    // ignored
  REQUIRE(client->Send(R"({"type":"subscribe"})"));  // ignored
  REQUIRE(client->Send(R"({"type":"ping"})"));
  json::object pong = Object(Next(*client));
  CHECK(pong.at("type").as_string() == "pong");
  CHECK(pong.at("ts").is_string());

  auto big = Connect(suite, a);
  REQUIRE(big->Send(std::string(5000, 'x')));
  CHECK_FALSE(big->ReadText(kWaitMs));
  CHECK(big->closed());
  CHECK(big->close_code() == 1009);

  suite.process("gateway").Signal(SIGTERM);
  CHECK_FALSE(client->ReadText(kWaitMs));
  CHECK(client->closed());
  CHECK(client->close_code() == 1001);
  CHECK(suite.process("gateway").Wait(std::chrono::seconds(15)) == 0);
}
