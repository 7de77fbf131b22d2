// The realtime hub without sockets: who may connect, which sessions an event reaches, the caps,
// and the id arithmetic behind ?since.
#include "realtime_hub.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace salesos::gateway {
namespace {

// Tokens are their own names: a fixed answer for each.
class FakeVerifier final : public rpc::TokenVerifier {
 public:
  Result<rpc::Caller> Verify(std::string_view token) override {
    auto it = callers_.find(std::string(token));
    if (it == callers_.end()) {
      return Unauthenticated("invalid token");
    }
    return it->second;
  }
  void Add(std::string token, rpc::Caller caller) {
    callers_[std::move(token)] = std::move(caller);
  }

 private:
  std::map<std::string, rpc::Caller> callers_;
};

rpc::Caller User(std::string user_id, std::string workspace_id) {
  rpc::Caller caller;
  caller.user_id = std::move(user_id);
  caller.workspace_id = std::move(workspace_id);
  caller.role = "agent";
  caller.token_type = "access";
  return caller;
}

class FakeSink final : public RealtimeSink {
 public:
  void Deliver(RealtimeFramePtr frame) override { frames.push_back(std::move(frame)); }
  void GoAway() override { ++go_aways; }
  std::vector<RealtimeFramePtr> frames;
  int go_aways = 0;
};

Request Upgrade(const std::string& target, const std::string& subprotocols = "") {
  Request req{http::verb::get, target, 11};
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "upgrade");
  if (!subprotocols.empty()) {
    req.set(http::field::sec_websocket_protocol, subprotocols);
  }
  return req;
}

struct HubFixture {
  explicit HubFixture(RealtimeOptions options = {})
      : verifier(std::make_shared<FakeVerifier>()), hub(options, verifier, nullptr) {
    verifier->Add("tok-a", User("user-a", "ws-a"));
    verifier->Add("tok-b", User("user-b", "ws-b"));
    rpc::Caller service = User("auth", "ws-a");
    service.token_type = "service";
    service.role = "service";
    verifier->Add("tok-service", service);
    verifier->Add("tok-no-workspace", User("user-c", ""));
  }
  std::shared_ptr<FakeVerifier> verifier;
  RealtimeHub hub;
};

}  // namespace

TEST_CASE("realtime ids compare as numbers, not as text", "[gateway][realtime]") {
  CHECK(ParseRealtimeId("1732190000000-0") == std::pair<uint64_t, uint64_t>{1732190000000, 0});
  CHECK(ParseRealtimeId("5-12") == std::pair<uint64_t, uint64_t>{5, 12});
  for (const char* bad : {"", "-", "1-", "-1", "1", "a-1", "1-b", "1-2-3", "+1-2", " 1-2", "1-2 ",
                          "99999999999999999999-0"}) {
    INFO(bad);
    CHECK_FALSE(ParseRealtimeId(bad));
  }
  CHECK(CoveredBy("9-0", "10-0"));  // as text "9-0" > "10-0"
  CHECK_FALSE(CoveredBy("10-0", "9-0"));
  CHECK(CoveredBy("10-1", "10-1"));  // the watermark itself was sent
  CHECK_FALSE(CoveredBy("10-2", "10-1"));
  CHECK(CoveredBy("10-1", "10-2"));
  CHECK_FALSE(CoveredBy("10-0", ""));  // no watermark: nothing was sent
  CHECK_FALSE(CoveredBy("", "10-0"));  // an event without an id is never a duplicate
}

TEST_CASE("event id comes from the published text, however its keys are ordered",
          "[gateway][realtime]") {
  CHECK(EventIdOf(R"({"id":"17-3","type":"message.created","data":{"id":"x"}})") == "17-3");
  CHECK(EventIdOf(R"({"type":"message.created","data":{"id":"x"},"id":"18-0"})") == "18-0");
  CHECK(EventIdOf(R"({"type":"message.created","data":{"id":"x"}})") == "");
  CHECK(EventIdOf("not json") == "");
  CHECK(WorkspaceOfChannel("salesos:rt:ws-a") == "ws-a");
  CHECK(WorkspaceOfChannel("salesos:rt:") == "");
  CHECK(WorkspaceOfChannel("salesos:rtlog:ws-a") == "");
  CHECK(WorkspaceOfChannel("salesos:auth:revocations") == "");
}

TEST_CASE("an event reaches every socket of its workspace and none of another",
          "[gateway][realtime]") {
  HubFixture f;
  auto a1 = std::make_shared<FakeSink>();
  auto a2 = std::make_shared<FakeSink>();
  auto b = std::make_shared<FakeSink>();
  auto a_prefix = std::make_shared<FakeSink>();  // "ws-a" must not match "ws-a2"
  REQUIRE(f.hub.Join("ws-a", a1).ok());
  REQUIRE(f.hub.Join("ws-a", a2).ok());
  REQUIRE(f.hub.Join("ws-b", b).ok());
  REQUIRE(f.hub.Join("ws-a2", a_prefix).ok());

  const std::string event = R"({"id":"5-0","type":"message.created","workspaceId":"ws-a"})";
  f.hub.Dispatch("salesos:rt:ws-a", event);
  f.hub.Dispatch("salesos:other:ws-a", event);  // not a realtime channel

  REQUIRE(a1->frames.size() == 1);
  REQUIRE(a2->frames.size() == 1);
  CHECK(a1->frames[0]->text == event);  // unchanged
  CHECK(a1->frames[0]->id == "5-0");
  CHECK(a1->frames[0] == a2->frames[0]);  // one copy for all
  CHECK(b->frames.empty());
  CHECK(a_prefix->frames.empty());
}

TEST_CASE("a session that left or is gone gets nothing more", "[gateway][realtime]") {
  HubFixture f;
  auto stays = std::make_shared<FakeSink>();
  auto leaves = std::make_shared<FakeSink>();
  auto dies = std::make_shared<FakeSink>();
  REQUIRE(f.hub.Join("ws-a", stays).ok());
  auto left = f.hub.Join("ws-a", leaves);
  REQUIRE(left.ok());
  REQUIRE(f.hub.Join("ws-a", dies).ok());
  CHECK(f.hub.connections("ws-a") == 3);

  f.hub.Leave("ws-a", *left);
  std::weak_ptr<FakeSink> weak_dies = dies;
  dies.reset();
  REQUIRE(weak_dies.expired());
  f.hub.Dispatch("salesos:rt:ws-a", R"({"id":"1-0"})");

  CHECK(stays->frames.size() == 1);
  CHECK(leaves->frames.empty());
  CHECK(f.hub.connections("ws-a") == 2);  // the dead one until it leaves
  CHECK(f.hub.connections() == 2);
  f.hub.Leave("ws-a", *left);  // twice is harmless
  CHECK(f.hub.connections() == 2);
}

TEST_CASE("the hub caps sockets per gateway and per workspace", "[gateway][realtime]") {
  RealtimeOptions options;
  options.max_connections = 3;
  options.max_per_workspace = 2;
  HubFixture f(options);
  std::vector<std::shared_ptr<FakeSink>> sinks;
  for (int i = 0; i < 4; ++i) {
    sinks.push_back(std::make_shared<FakeSink>());
  }
  auto first = f.hub.Join("ws-a", sinks[0]);
  REQUIRE(first.ok());
  REQUIRE(f.hub.Join("ws-a", sinks[1]).ok());
  auto third_of_a = f.hub.Join("ws-a", sinks[2]);
  CHECK(third_of_a.status().code() == Code::kResourceExhausted);  // 429
  REQUIRE(f.hub.Join("ws-b", sinks[2]).ok());
  auto over = f.hub.Join("ws-c", sinks[3]);
  CHECK(over.status().code() == Code::kUnavailable);  // 503
  CHECK(f.hub.connections() == 3);

  f.hub.Leave("ws-a", *first);
  CHECK(f.hub.Join("ws-c", sinks[3]).ok());
}

TEST_CASE("going away reaches every session", "[gateway][realtime]") {
  HubFixture f;
  auto a = std::make_shared<FakeSink>();
  auto b = std::make_shared<FakeSink>();
  REQUIRE(f.hub.Join("ws-a", a).ok());
  REQUIRE(f.hub.Join("ws-b", b).ok());
  f.hub.GoAway();
  CHECK(a->go_aways == 1);
  CHECK(b->go_aways == 1);
}

TEST_CASE("the upgrade takes the token from the bearer subprotocol or the query",
          "[gateway][realtime]") {
  HubFixture f;
  auto by_protocol = f.hub.Admit(Upgrade("/ws", "bearer, tok-a"));
  REQUIRE(by_protocol.ok());
  CHECK(by_protocol->caller.workspace_id == "ws-a");
  CHECK(by_protocol->bearer_subprotocol);
  CHECK_FALSE(by_protocol->since);

  auto by_query = f.hub.Admit(Upgrade("/ws?since=17-2&access_token=tok-b"));
  REQUIRE(by_query.ok());
  CHECK(by_query->caller.workspace_id == "ws-b");
  CHECK_FALSE(by_query->bearer_subprotocol);
  CHECK(by_query->since == "17-2");

  // Percent-encoded, and the subprotocol wins over the query.
  CHECK(f.hub.Admit(Upgrade("/ws?access_token=tok%2Db"))->caller.user_id == "user-b");
  CHECK(f.hub.Admit(Upgrade("/ws?access_token=tok-b", "bearer,tok-a"))->caller.user_id == "user-a");
  CHECK(f.hub.Admit(Upgrade("/ws", " chat ,bearer ,  tok-b "))->caller.user_id == "user-b");
}

TEST_CASE("the upgrade is refused without a valid user token of a workspace, or with a bad since",
          "[gateway][realtime]") {
  HubFixture f;
  CHECK(f.hub.Admit(Upgrade("/ws")).status().code() == Code::kUnauthenticated);
  CHECK(f.hub.Admit(Upgrade("/ws", "bearer")).status().code() == Code::kUnauthenticated);
  CHECK(f.hub.Admit(Upgrade("/ws?access_token=")).status().code() == Code::kUnauthenticated);
  CHECK(f.hub.Admit(Upgrade("/ws?access_token=forged")).status().code() == Code::kUnauthenticated);
  CHECK(f.hub.Admit(Upgrade("/ws", "chat, tok-a")).status().code() == Code::kUnauthenticated);
  CHECK(f.hub.Admit(Upgrade("/ws?access_token=tok-service")).status().code() ==
        Code::kPermissionDenied);
  CHECK(f.hub.Admit(Upgrade("/ws?access_token=tok-no-workspace")).status().code() ==
        Code::kPermissionDenied);
  CHECK(f.hub.Admit(Upgrade("/ws?access_token=tok-a&x=%zz")).status().code() ==
        Code::kInvalidArgument);
  for (const char* since : {"", "yesterday", "17", "17-", "-3"}) {
    INFO(since);
    auto refused = f.hub.Admit(Upgrade(std::string("/ws?access_token=tok-a&since=") + since));
    REQUIRE(refused.status().code() == Code::kInvalidArgument);
    REQUIRE(refused.status().violations().size() == 1);
    CHECK(refused.status().violations()[0].field == "since");
  }
}

TEST_CASE("a replay too large for the send queue becomes a gap", "[gateway][realtime]") {
  SendQueueLimits limits{.max_frames = 8, .max_bytes = 1000};
  CHECK(ReplayLimit(limits) == 4);

  rpc::RealtimeReplay fits{.events = {"a", "b", "c", "d"}, .gap = false};
  FitReplay(&fits, limits);
  CHECK(fits.events.size() == 4);
  CHECK_FALSE(fits.gap);

  rpc::RealtimeReplay too_many{.events = {"a", "b", "c", "d", "e"}, .gap = false};
  FitReplay(&too_many, limits);
  CHECK(too_many.events.empty());
  CHECK(too_many.gap);

  rpc::RealtimeReplay too_big{.events = {std::string(501, 'x')}, .gap = false};
  FitReplay(&too_big, limits);
  CHECK(too_big.events.empty());
  CHECK(too_big.gap);
}

}  // namespace salesos::gateway
