// Overload and abuse at the edge (issue 13), over real sockets and a real gRPC upstream that holds
// calls until told: the in-flight bounds answer 503 with Retry-After at once (and the gateway
// serves again once calls finish), the connection bounds answer 503/429 while /healthz still
// answers, a client trickling its head is cut at the header timeout, an idle keep-alive
// connection at the keep-alive timeout, and WebSocket clients that flood are closed (1008) or
// sent oversized messages (1009) without the gateway's memory growing. The limiters and the token
// bucket alone too.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connection_limiter.h"
#include "gateway.h"
#include "in_flight_limiter.h"
#include "listener.h"
#include "realtime_hub.h"
#include "router.h"
#include "salesos/metrics/metrics.h"
#include "salesos/routing/v1/routing.pb.h"
#include "salesos/webhook_ingest/v1/webhook_ingest.pb.h"
#include "support/http_client.h"
#include "support/ws_client.h"
#include "token_bucket.h"
#include "upstreams.h"

namespace salesos::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace rv1 = salesos::routing::v1;
using salesos::testing::HttpClient;
using salesos::testing::HttpResult;
using salesos::testing::WsClient;
using Clock = std::chrono::steady_clock;

constexpr auto kBound = std::chrono::seconds(10);  // how long any wait here may take at most

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Waits up to kBound for `done`, checking every few milliseconds; whether it held.
bool WaitFor(const std::function<bool()>& done) {
  auto deadline = Clock::now() + kBound;
  while (!done()) {
    if (Clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a condition, bounded
  }
  return true;
}

uint64_t OverloadedCount(const std::string& limit, const std::string& upstream) {
  return metrics::DefaultRegistry()
      .AddCounter("salesos_http_overloaded_total", "", {"limit", "upstream"})
      .WithLabels({limit, upstream})
      .Value();
}

uint64_t FloodClosedCount() {
  return metrics::DefaultRegistry()
      .AddCounter("salesos_websocket_flood_closed_total", "")
      .Get()
      .Value();
}

// The resident set of this process, in KiB (Linux).
int64_t RssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoll(line.substr(6));
    }
  }
  return 0;
}

// RoutingService.AddNote and WebhookIngestService.IngestMetaWebhook as a generic callback
// service. A note whose text is "hold" is held, unanswered, until Release; one whose text is
// "cancel" is answered CANCELLED, as a draining service cancels the calls it still queued;
// anything else is answered at once.
class HoldingUpstream final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new Call(this, ctx->method());
  }

  size_t held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  // Answers every held call.
  void Release() {
    std::vector<std::function<void()>> answers;
    {
      std::lock_guard lock(mu_);
      answers.swap(held_);
    }
    for (auto& answer : answers) {
      answer();
    }
  }

 private:
  class Call final : public grpc::ServerGenericBidiReactor {
   public:
    Call(HoldingUpstream* upstream, std::string method)
        : upstream_(upstream), method_(std::move(method)) {
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
        return;
      }
      if (method_ == "/salesos.webhook_ingest.v1.WebhookIngestService/IngestMetaWebhook") {
        webhook_ingest::v1::MetaWebhookResponse out;
        out.set_accepted(1);
        Answer(out);
        return;
      }
      if (method_ != "/salesos.routing.v1.RoutingService/AddNote") {
        Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, method_));
        return;
      }
      rv1::AddNoteRequest req;
      if (!grpc::SerializationTraits<google::protobuf::Message>::Deserialize(&request_, &req)
               .ok()) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad request"));
        return;
      }
      if (req.note().text() == "cancel") {
        // What a service stopping with the call still queued answers.
        Finish(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"));
        return;
      }
      if (req.note().text() == "hold") {
        std::lock_guard lock(upstream_->mu_);
        upstream_->held_.push_back([this, note = req.note()] { Answer(note); });
        return;
      }
      Answer(req.note());
    }
    void OnWriteDone(bool) override {}
    void OnDone() override { delete this; }

   private:
    void Answer(const google::protobuf::Message& msg) {
      bool own = false;
      grpc::Status st =
          grpc::SerializationTraits<google::protobuf::Message>::Serialize(msg, &response_, &own);
      if (!st.ok()) {
        Finish(st);
        return;
      }
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }
    HoldingUpstream* upstream_;
    std::string method_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };

  std::mutex mu_;
  std::vector<std::function<void()>> held_;  // guarded by mu_
};

// Tokens are their own names.
class FakeVerifier final : public rpc::TokenVerifier {
 public:
  Result<rpc::Caller> Verify(std::string_view token) override {
    if (token != "tok-a") {
      return Unauthenticated("invalid token");
    }
    rpc::Caller caller;
    caller.user_id = "user-a";
    caller.workspace_id = "ws-a";
    caller.role = "agent";
    caller.token_type = "access";
    return caller;
  }
};

struct EdgeOptions {
  SessionLimits session;
  InFlightLimits in_flight;
  ConnectionLimits connections;
  RealtimeOptions realtime;
};

// The holding upstream (as "routing" and "webhook_ingest"), a gateway in front of it with the
// options' bounds, a realtime hub, and a listener on 127.0.0.1:0 served by two I/O threads until
// the destructor. Held calls are released before the upstream stops.
class Edge {
 public:
  explicit Edge(EdgeOptions options)
      : hub_(options.realtime, std::make_shared<FakeVerifier>(), nullptr) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterCallbackGenericService(&upstream_);
    server_ = builder.BuildAndStart();
    REQUIRE(server_ != nullptr);
    REQUIRE(port > 0);
    Router router;
    REQUIRE(router.AddUpstream("routing").ok());
    Upstreams upstreams;
    upstreams.Add("routing", "127.0.0.1:" + std::to_string(port));
    upstreams.Add("webhook_ingest", "127.0.0.1:" + std::to_string(port));
    GatewayOptions gateway_options;
    gateway_options.access_log = false;
    gateway_options.in_flight = options.in_flight;
    gateway_ = std::make_unique<Gateway>(std::move(gateway_options), std::move(router),
                                         std::move(upstreams), nullptr, nullptr);
    listener_ =
        std::make_shared<Listener>(ioc_, *gateway_, options.session, &hub_, options.connections);
    REQUIRE(listener_->Listen({net::ip::make_address("127.0.0.1"), 0}).ok());
    listener_->Start();
    for (auto& t : io_) {
      t = std::thread([this] { ioc_.run(); });
    }
  }
  ~Edge() {
    upstream_.Release();
    listener_->Stop();
    hub_.GoAway();
    ioc_.stop();
    for (auto& t : io_) {
      t.join();
    }
    server_->Shutdown();
    hub_.Shutdown();
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(listener_->port()); }
  uint16_t port() const { return listener_->port(); }
  HoldingUpstream& upstream() { return upstream_; }
  const Gateway& gateway() const { return *gateway_; }
  const Listener& listener() const { return *listener_; }
  RealtimeHub& hub() { return hub_; }

 private:
  HoldingUpstream upstream_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Gateway> gateway_;
  RealtimeHub hub_;  // before the io_context: sessions it frees leave the hub
  net::io_context ioc_{2};
  std::shared_ptr<Listener> listener_;
  std::thread io_[2];
};

HttpResult PostNote(HttpClient& client, const std::string& text) {
  return client.Request("POST", "/api/v1/items/it-1/notes", R"({"text":")" + text + R"("})",
                        {{"Content-Type", "application/json"}});
}

HttpResult PostWebhook(HttpClient& client) {
  return client.Request(
      "POST", "/webhooks/meta", R"({"object":"page","entry":[]})",
      {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", "sha256=0"}});
}

// A raw TCP connection to the edge, for clients that misbehave on purpose.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : socket_(ioc_) {
    socket_.connect({net::ip::make_address("127.0.0.1"), port});
  }
  // Sends `bytes`; false when the connection is gone.
  bool Send(const std::string& bytes) {
    boost::system::error_code ec;
    net::write(socket_, net::buffer(bytes), ec);
    return !ec;
  }
  // Whether the server has closed the connection (EOF or reset), without waiting; what it sent
  // before that is kept in received().
  bool Closed() {
    socket_.non_blocking(true);
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      size_t n = socket_.read_some(net::buffer(buf), ec);
      if (ec == net::error::would_block) {
        return false;
      }
      if (ec) {
        return true;
      }
      received_.append(buf, n);
    }
  }
  // Waits up to kBound for the server to close the connection; whether it did.
  bool WaitClosed() {
    return WaitFor([this] { return Closed(); });
  }
  const std::string& received() const { return received_; }

 private:
  net::io_context ioc_;
  net::ip::tcp::socket socket_;
  std::string received_;
};

}  // namespace

TEST_CASE("the in-flight limiter refuses past its total and past one upstream's bound",
          "[gateway][overload]") {
  InFlightLimiter limiter({.total = 3, .per_upstream = 2}, {"a", "b"});
  auto a1 = limiter.TryAcquire("a");
  auto a2 = limiter.TryAcquire("a");
  REQUIRE(a1.permit);
  REQUIRE(a2.permit);
  auto a3 = limiter.TryAcquire("a");
  CHECK_FALSE(a3.permit);
  CHECK(a3.refusal == InFlightLimiter::Refusal::kUpstream);
  CHECK(a3.limit == 2);
  CHECK(limiter.total() == 2);  // the refused one gave its total slot back
  auto b1 = limiter.TryAcquire("b");
  REQUIRE(b1.permit);
  auto b2 = limiter.TryAcquire("b");
  CHECK_FALSE(b2.permit);
  CHECK(b2.refusal == InFlightLimiter::Refusal::kTotal);
  CHECK(b2.limit == 3);
  CHECK(limiter.total() == 3);
  CHECK(limiter.of("b") == 1);  // the refused one gave its upstream slot back

  a1.permit->Release();
  a1.permit->Release();  // twice is harmless
  CHECK(limiter.total() == 2);
  CHECK(limiter.TryAcquire("b").permit);  // and the temporary permit is released at once
  {
    auto moved = std::move(*a2.permit);
    CHECK(limiter.of("a") == 1);
  }
  CHECK(limiter.of("a") == 0);
  CHECK(limiter.total() == 1);

  InFlightLimiter unbounded({.total = 0, .per_upstream = 0}, {"a"});
  std::vector<InFlightLimiter::Permit> permits;
  for (int i = 0; i < 100; ++i) {
    auto d = unbounded.TryAcquire(i % 2 ? "a" : "unknown");
    REQUIRE(d.permit);
    permits.push_back(std::move(*d.permit));
  }
  CHECK(unbounded.total() == 100);
  permits.clear();
  CHECK(unbounded.total() == 0);
}

TEST_CASE("the connection limiter admits up to its bounds, answers an overflow, and drops past it",
          "[gateway][overload]") {
  auto limiter = ConnectionLimiter::Make({.max_connections = 3, .max_per_ip = 2, .overflow = 2});
  auto a1 = limiter->Admit("10.0.0.1");
  auto a2 = limiter->Admit("10.0.0.1");
  CHECK(a1.verdict() == ConnectionLimiter::Verdict::kAdmitted);
  CHECK(a2.verdict() == ConnectionLimiter::Verdict::kAdmitted);
  auto a3 = limiter->Admit("10.0.0.1");
  CHECK(a3.verdict() == ConnectionLimiter::Verdict::kOverPerIp);
  auto b1 = limiter->Admit("10.0.0.2");
  CHECK(b1.verdict() == ConnectionLimiter::Verdict::kAdmitted);
  auto c1 = limiter->Admit("10.0.0.3");
  CHECK(c1.verdict() == ConnectionLimiter::Verdict::kOverTotal);
  CHECK(limiter->connections() == 3);
  CHECK(limiter->overflowing() == 2);
  auto dropped = limiter->Admit("10.0.0.4");
  CHECK(dropped.verdict() == ConnectionLimiter::Verdict::kDropped);
  CHECK(limiter->overflowing() == 2);

  c1 = ConnectionLimiter::Ticket();  // an overflow answered and closed
  CHECK(limiter->overflowing() == 1);
  a1 = ConnectionLimiter::Ticket();  // an admitted connection closed: its address has room again
  CHECK(limiter->connections() == 2);
  auto a4 = limiter->Admit("10.0.0.1");
  CHECK(a4.verdict() == ConnectionLimiter::Verdict::kAdmitted);
}

TEST_CASE("a token bucket allows its burst at once, then its rate", "[gateway][overload]") {
  TokenBucket bucket(20, 40, 1000);
  int taken = 0;
  while (bucket.Take(1000)) {
    ++taken;
  }
  CHECK(taken == 40);
  CHECK_FALSE(bucket.Take(1049));  // 0.98 of a token after 49 ms
  CHECK(bucket.Take(1050));        // one after 50 ms
  CHECK_FALSE(bucket.Take(1050));
  // A long pause refills it to the burst, never beyond.
  taken = 0;
  while (bucket.Take(100'000)) {
    ++taken;
  }
  CHECK(taken == 40);
  // Time going backwards takes nothing away and gives nothing.
  CHECK_FALSE(bucket.Take(50'000));

  TokenBucket unlimited(0, 1, 0);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(unlimited.Take(0));
  }
}

TEST_CASE("a call the service cancels while it stops answers 503 with Retry-After, not 499",
          "[gateway][overload]") {
  Edge edge(EdgeOptions{});
  HttpClient client(edge.addr());
  HttpResult r = PostNote(client, "cancel");
  INFO(r.body);
  CHECK(r.status == 503);
  CHECK(r.Header("retry-after") == "1");
  CHECK(r.body.find(R"("code":"UNAVAILABLE")") != std::string::npos);
  CHECK(r.body.find("stopped before answering") != std::string::npos);
  CHECK(PostNote(client, "fine").status == 200);
}

TEST_CASE("past --max-in-flight the gateway answers 503 with Retry-After at once, then 200 again",
          "[gateway][overload]") {
  EdgeOptions options;
  options.in_flight = {.total = 2, .per_upstream = 2};
  Edge edge(options);
  uint64_t refused_before = OverloadedCount("in_flight", "routing");
  uint64_t webhooks_refused_before = OverloadedCount("in_flight", "webhook_ingest");

  // Two calls take both slots and are held by the upstream.
  std::vector<std::future<HttpResult>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::async(std::launch::async, [&edge] {
      HttpClient client(edge.addr());
      return PostNote(client, "hold");
    }));
  }
  REQUIRE(WaitFor([&edge] { return edge.upstream().held() == 2; }));
  CHECK(edge.gateway().in_flight_limiter().total() == 2);

  // Every other request for a service is refused at once, in parallel, while those are held.
  constexpr int kRefused = 6;
  auto start = Clock::now();
  std::vector<std::future<std::pair<HttpResult, int64_t>>> refused;
  for (int i = 0; i < kRefused; ++i) {
    refused.push_back(std::async(std::launch::async, [&edge, start] {
      HttpClient client(edge.addr());
      HttpResult r = PostNote(client, "hold");
      return std::pair{r, MillisSince(start)};
    }));
  }
  int64_t slowest_ms = 0;
  for (auto& f : refused) {
    auto [r, ms] = f.get();
    INFO(r.body);
    CHECK(r.status == 503);
    CHECK(r.Header("retry-after") == "1");
    CHECK(r.body.find(R"("code":"UNAVAILABLE")") != std::string::npos);
    CHECK(r.body.find("bound of 2 requests in flight") != std::string::npos);
    slowest_ms = std::max(slowest_ms, ms);
  }
  WARN("6 parallel requests over the in-flight bound all answered 503 within " << slowest_ms
                                                                               << " ms");
  CHECK(edge.upstream().held() == 2);  // none of them reached the upstream
  HttpClient client(edge.addr());
  HttpResult webhook = PostWebhook(client);
  CHECK(webhook.status == 503);
  CHECK(webhook.Header("retry-after") == "1");
  CHECK(client.Get("/healthz").status == 200);  // the gateway itself still answers
  CHECK(OverloadedCount("in_flight", "routing") - refused_before == kRefused);
  CHECK(OverloadedCount("in_flight", "webhook_ingest") - webhooks_refused_before == 1);

  // Once the upstream answers, the held calls succeed and the slots are free again.
  edge.upstream().Release();
  for (auto& f : held) {
    HttpResult r = f.get();
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(r.body.find(R"("text":"hold")") != std::string::npos);
  }
  CHECK(WaitFor([&edge] { return edge.gateway().in_flight_limiter().total() == 0; }));
  for (int i = 0; i < 5; ++i) {
    CHECK(PostNote(client, "hi").status == 200);
  }
  HttpResult delivered = PostWebhook(client);
  CHECK(delivered.status == 200);
  CHECK(delivered.body.find("accepted=1") != std::string::npos);
}

TEST_CASE("one service at its --max-in-flight-per-upstream bound leaves the others their slots",
          "[gateway][overload]") {
  EdgeOptions options;
  options.in_flight = {.total = 8, .per_upstream = 1};
  Edge edge(options);
  auto held = std::async(std::launch::async, [&edge] {
    HttpClient client(edge.addr());
    return PostNote(client, "hold");
  });
  REQUIRE(WaitFor([&edge] { return edge.upstream().held() == 1; }));
  HttpClient client(edge.addr());
  HttpResult refused = PostNote(client, "hi");
  INFO(refused.body);
  CHECK(refused.status == 503);
  CHECK(refused.Header("retry-after") == "1");
  CHECK(refused.body.find("requests in flight to routing") != std::string::npos);
  CHECK(PostWebhook(client).status == 200);  // webhook_ingest has its own slot
  edge.upstream().Release();
  CHECK(held.get().status == 200);
  CHECK(WaitFor([&] { return PostNote(client, "hi").status == 200; }));
}

TEST_CASE("past --max-connections a connection is answered 503 and closed, /healthz still 200",
          "[gateway][overload]") {
  EdgeOptions options;
  options.connections = {.max_connections = 2, .max_per_ip = 0, .overflow = 4};
  Edge edge(options);
  uint64_t refused_before = OverloadedCount("connections", "");
  auto first = std::make_unique<HttpClient>(edge.addr());
  HttpClient second(edge.addr());
  REQUIRE(first->Get("/healthz").status == 200);
  REQUIRE(second.Get("/healthz").status == 200);
  REQUIRE(edge.listener().connections().connections() == 2);

  // A third connection is answered and closed, whatever it asks; the liveness probe still passes.
  HttpClient third(edge.addr());
  auto start = Clock::now();
  HttpResult refused = PostNote(third, "hi");
  INFO(refused.body);
  CHECK(refused.status == 503);
  CHECK(refused.Header("retry-after") == "1");
  CHECK(refused.Header("connection") == "close");
  CHECK(refused.body.find(R"("code":"UNAVAILABLE")") != std::string::npos);
  WARN("a connection over --max-connections answered 503 in " << MillisSince(start) << " ms");
  HttpClient probe(edge.addr());
  HttpResult health = probe.Get("/healthz");
  CHECK(health.status == 200);
  CHECK(health.Header("connection") == "close");
  CHECK(OverloadedCount("connections", "") - refused_before == 1);
  // The admitted connections are served as usual.
  CHECK(PostNote(second, "hi").status == 200);

  // Once one of them closes, a new connection is served.
  first.reset();
  REQUIRE(WaitFor([&edge] { return edge.listener().connections().connections() == 1; }));
  HttpClient fourth(edge.addr());
  CHECK(PostNote(fourth, "hi").status == 200);
}

TEST_CASE("connections past --max-connections-per-ip get 429, and past the overflow are dropped",
          "[gateway][overload]") {
  EdgeOptions options;
  options.connections = {.max_connections = 100, .max_per_ip = 1, .overflow = 1};
  Edge edge(options);
  uint64_t dropped_before = OverloadedCount("connections_overflow", "");
  HttpClient first(edge.addr());
  REQUIRE(first.Get("/healthz").status == 200);
  HttpClient second(edge.addr());
  HttpResult refused = PostNote(second, "hi");
  INFO(refused.body);
  CHECK(refused.status == 429);
  CHECK(refused.Header("retry-after") == "1");
  CHECK(refused.body.find("too many connections from this address") != std::string::npos);

  // One overflow connection is held while it sends nothing; the next is closed unanswered.
  REQUIRE(WaitFor([&edge] { return edge.listener().connections().overflowing() == 0; }));
  RawConnection silent(edge.port());
  REQUIRE(WaitFor([&edge] { return edge.listener().connections().overflowing() == 1; }));
  RawConnection dropped(edge.port());
  CHECK(dropped.WaitClosed());
  CHECK(dropped.received().empty());
  CHECK(OverloadedCount("connections_overflow", "") - dropped_before == 1);
  CHECK(PostNote(first, "hi").status == 200);
}

TEST_CASE("a client trickling its request head is cut at the header timeout, others are served",
          "[gateway][overload][slowloris]") {
  EdgeOptions options;
  options.session.header_timeout_ms = 500;
  options.session.read_timeout_ms = 30'000;
  options.session.keep_alive_timeout_ms = 30'000;
  Edge edge(options);
  RawConnection loris(edge.port());
  HttpClient other(edge.addr());
  auto start = Clock::now();
  REQUIRE(loris.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  // One header byte every 20 ms, until the gateway hangs up (or far past the read timeout's
  // share this test allows).
  const std::string header = "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  bool closed = false;
  int sent = 0;
  while (!closed && MillisSince(start) < 10'000) {
    if (!loris.Send(std::string(1, header[sent++ % header.size()])) || loris.Closed()) {
      closed = true;
      break;
    }
    if (sent % 10 == 0) {
      REQUIRE(other.Get("/healthz").status == 200);  // meanwhile another connection is served
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the trickle's pace
  }
  int64_t elapsed = MillisSince(start);
  WARN("a trickling head was cut after " << elapsed << " ms (" << sent
                                         << " bytes; header timeout 500 ms, read timeout 30 s)");
  CHECK(closed);
  CHECK(elapsed >= 500);
  CHECK(elapsed < 10'000);
  CHECK(loris.received().empty());
  CHECK(other.Get("/healthz").status == 200);
}

TEST_CASE(
    "a new connection that sends nothing is cut at the header timeout, an idle one at the "
    "keep-alive timeout",
    "[gateway][overload][slowloris]") {
  EdgeOptions options;
  options.session.header_timeout_ms = 300;
  options.session.keep_alive_timeout_ms = 1500;
  Edge edge(options);

  auto start = Clock::now();
  RawConnection mute(edge.port());
  CHECK(mute.WaitClosed());
  int64_t mute_ms = MillisSince(start);
  CHECK(mute_ms >= 300);

  RawConnection idle(edge.port());
  REQUIRE(idle.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(WaitFor([&idle] {
    idle.Closed();
    return idle.received().find("{\"status\":\"ok\"}") != std::string::npos;
  }));
  auto answered = Clock::now();
  // Kept open past the header timeout (it owes no request), closed after the keep-alive timeout.
  CHECK(idle.WaitClosed());
  int64_t idle_ms = MillisSince(answered);
  WARN("a silent new connection was closed after " << mute_ms << " ms, an idle keep-alive one "
                                                   << idle_ms << " ms after its answer");
  CHECK(idle_ms >= 1400);
  CHECK(idle.received().rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("a WebSocket client sending faster than its message rate is closed with 1008",
          "[gateway][overload][realtime]") {
  EdgeOptions options;
  options.realtime.max_messages_per_second = 5;
  options.realtime.message_burst = 10;
  Edge edge(options);
  uint64_t closed_before = FloodClosedCount();

  // Within the burst: every ping answered, the socket stays.
  auto polite = WsClient::ConnectAddr(edge.addr(), "/ws", "bearer, tok-a");
  REQUIRE(polite.ok());
  REQUIRE(polite.client->ReadText(10'000));  // ready
  for (int i = 0; i < 8; ++i) {
    REQUIRE(polite.client->Send(R"({"type":"ping"})"));
  }
  for (int i = 0; i < 8; ++i) {
    auto pong = polite.client->ReadText(10'000);
    REQUIRE(pong);
    CHECK(pong->find("\"type\":\"pong\"") != std::string::npos);
  }
  CHECK_FALSE(polite.client->closed());

  // A flood: closed once the burst is spent.
  auto flood = WsClient::ConnectAddr(edge.addr(), "/ws", "bearer, tok-a");
  REQUIRE(flood.ok());
  REQUIRE(flood.client->ReadText(10'000));  // ready
  int sent = 0;
  while (sent < 200 && flood.client->Send(R"({"type":"ping"})", 2000)) {
    ++sent;
  }
  int pongs = 0;
  while (flood.client->ReadText(10'000)) {
    ++pongs;
  }
  INFO("sent " << sent << ", pongs " << pongs << ", " << flood.client->error());
  CHECK(flood.client->closed());
  CHECK(flood.client->close_code() == 1008);
  CHECK(flood.client->close_reason() == "too many messages");
  CHECK(pongs <= 12);  // the burst, and what the rate added while they were sent
  CHECK(FloodClosedCount() - closed_before == 1);
  CHECK(WaitFor([&edge] { return edge.hub().connections() == 1; }));  // the polite one stays
}

TEST_CASE("a flood of WebSocket ping frames is closed with 1008 too",
          "[gateway][overload][realtime]") {
  EdgeOptions options;
  options.realtime.max_messages_per_second = 5;
  options.realtime.message_burst = 10;
  Edge edge(options);

  // A raw client: WsClient sends no ping frames. Each step is bounded by the stream's expiry.
  net::io_context ioc;
  beast::websocket::stream<beast::tcp_stream> ws(ioc);
  auto await = [&](auto start) {
    std::optional<beast::error_code> result;
    beast::get_lowest_layer(ws).expires_after(kBound);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    REQUIRE(result);
    return *result;
  };
  REQUIRE_FALSE(await([&](auto done) {
    beast::get_lowest_layer(ws).async_connect(
        net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), edge.port()), done);
  }));
  ws.set_option(beast::websocket::stream_base::decorator([](beast::websocket::request_type& req) {
    req.set(beast::http::field::sec_websocket_protocol, "bearer, tok-a");
  }));
  REQUIRE_FALSE(await([&](auto done) { ws.async_handshake("127.0.0.1", "/ws", done); }));
  beast::flat_buffer buffer;
  REQUIRE_FALSE(await([&](auto done) { ws.async_read(buffer, done); }));  // ready
  buffer.consume(buffer.size());

  int pings = 0;
  while (pings < 200 && !await([&](auto done) { ws.async_ping({}, done); })) {
    ++pings;
  }
  beast::error_code ec;
  // Pongs are taken in by the read; the close frame ends it.
  while (!ec) {
    ec = await([&](auto done) { ws.async_read(buffer, done); });
    buffer.consume(buffer.size());
  }
  INFO("pings " << pings << ": " << ec.message());
  CHECK(ec == beast::websocket::error::closed);
  CHECK(ws.reason().code == 1008);
  CHECK(std::string(ws.reason().reason.data(), ws.reason().reason.size()) == "too many messages");
}

TEST_CASE(
    "a WebSocket message over 4 KiB closes with 1009, and a flood of messages costs no memory",
    "[gateway][overload][realtime]") {
  EdgeOptions options;
  options.realtime.max_messages_per_second = 0;  // no rate limit: what a flood alone costs
  Edge edge(options);

  auto big = WsClient::ConnectAddr(edge.addr(), "/ws", "bearer, tok-a");
  REQUIRE(big.ok());
  REQUIRE(big.client->ReadText(10'000));  // ready
  REQUIRE(big.client->Send(std::string(4 * 1024 + 1, 'x')));
  CHECK_FALSE(big.client->ReadText(10'000));
  CHECK(big.client->closed());
  CHECK(big.client->close_code() == 1009);

  // 20,000 messages of 4,000 bytes (80 MB) as fast as they go: each is read and let go, none
  // held, so the gateway (this process) does not grow by anything like that.
  auto flood = WsClient::ConnectAddr(edge.addr(), "/ws", "bearer, tok-a");
  REQUIRE(flood.ok());
  REQUIRE(flood.client->ReadText(10'000));  // ready
  const std::string message(4000, 'm');
  int64_t rss_before = RssKib();
  auto start = Clock::now();
  int sent = 0;
  while (sent < 20'000 && flood.client->Send(message, 5000)) {
    ++sent;
  }
  REQUIRE(flood.client->Send(R"({"type":"ping"})"));
  auto pong = flood.client->ReadText(10'000);  // after every message before it was read
  int64_t rss_after = RssKib();
  WARN("WebSocket flood without a rate limit: " << sent << " messages of 4000 bytes in "
                                                << MillisSince(start) << " ms; RSS " << rss_before
                                                << " KiB before, " << rss_after << " KiB after");
  CHECK(sent == 20'000);
  REQUIRE(pong);
  CHECK(pong->find("\"type\":\"pong\"") != std::string::npos);
#if !defined(__SANITIZE_ADDRESS__)
  // Under AddressSanitizer freed memory sits in its quarantine, so RSS says nothing there.
  CHECK(rss_after - rss_before < 16 * 1024);
#endif
}

}  // namespace salesos::gateway
