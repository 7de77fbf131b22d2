// ServiceServer end to end over real gRPC, with the real auth service behind it (SQLite store,
// private redis-server): the auth interceptor, CallerOf, the port file and draining.

#include "salesos/rpc/server.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth_lib_migrations.h"
#include "auth_service.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/crypto/password.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/status_mapping.h"
#include "salesos/rpc/token_verifier.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace salesos::rpc {
namespace {

namespace authv1 = salesos::auth::v1;
using std::chrono::milliseconds;

template <typename T>
T Unwrap(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

// The service's verifier, counting the calls whose metadata carried a token.
class CountingVerifier final : public TokenVerifier {
 public:
  explicit CountingVerifier(TokenVerifierPtr inner) : inner_(std::move(inner)) {}
  Result<Caller> Verify(std::string_view token) override {
    ++calls_;
    return inner_->Verify(token);
  }
  int calls() const { return calls_.load(); }

 private:
  TokenVerifierPtr inner_;
  std::atomic<int> calls_{0};
};

// salesos-auth in-process: the same objects main.cpp wires, on 127.0.0.1 port 0.
class AuthServer {
 public:
  explicit AuthServer(int workers = 2, int drain_timeout_ms = 5000)
      : key_(Unwrap(crypto::Ed25519Key::Generate())), pool_(workers) {
    crypto::SetPasswordHashCost(1, 8 * 1024);  // tests need not spend 64 MiB a hash
    store_ = Unwrap(store::OpenStore("sqlite://" + dir_.File("auth.db"), {}));
    REQUIRE(store_->Migrate(auth_lib_migrations()).ok());
    auth_store_ = std::make_unique<auth::AuthStore>(*store_);
    redis::RedisOptions redis_options;
    redis_options.command_timeout_ms = 2000;
    redis_client_ = Unwrap(redis::Connect(redis_.url(), redis_options));
    issuer_ = std::make_unique<auth::TokenIssuer>(key_, redis_client_, 900);
    hasher_ = std::make_unique<auth::PasswordHasher>(2);
    sessions_ = std::make_unique<auth::Sessions>(redis_client_, *issuer_);
    login_guard_ = std::make_unique<auth::LoginGuard>(redis_client_);
    service_ = std::make_unique<auth::AuthService>(*auth_store_, *issuer_, *hasher_, *sessions_,
                                                   *login_guard_, auth::AuthServiceOptions{},
                                                   pool_);

    auth::TokenIssuer* issuer = issuer_.get();
    verifier_ = std::make_shared<CountingVerifier>(std::make_shared<JwtTokenVerifier>(
        [issuer]() -> Result<std::vector<crypto::Jwk>> { return issuer->PublicKeys(); }));

    ServerOptions options;
    options.listen_addr = "127.0.0.1:0";
    options.port_file = dir_.File("auth.port");
    options.drain_timeout_ms = drain_timeout_ms;
    server_ = std::make_unique<ServiceServer>(options, verifier_, &pool_);
    server_->AddService(service_.get());
    Status st = server_->Start();
    INFO(st.ToString());
    REQUIRE(st.ok());
    REQUIRE(server_->port() > 0);
    addr_ = "127.0.0.1:" + std::to_string(server_->port());
    stub_ = authv1::AuthService::NewStub(
        grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials()));
  }
  ~AuthServer() {
    server_->Shutdown();
    pool_.Shutdown();
  }

  const std::string& addr() const { return addr_; }
  const testing::TempDir& dir() const { return dir_; }
  ServiceServer& server() { return *server_; }
  WorkPool& pool() { return pool_; }
  const crypto::Ed25519Key& key() const { return key_; }
  CountingVerifier& verifier() { return *verifier_; }
  auth::AuthStore& auth_store() { return *auth_store_; }
  authv1::AuthService::Stub& stub() { return *stub_; }

 private:
  testing::TempDir dir_;
  testing::RedisServer redis_;
  crypto::Ed25519Key key_;
  store::StorePtr store_;
  std::unique_ptr<auth::AuthStore> auth_store_;
  std::unique_ptr<auth::TokenIssuer> issuer_;
  std::unique_ptr<auth::PasswordHasher> hasher_;
  redis::ClientPtr redis_client_;
  std::unique_ptr<auth::Sessions> sessions_;
  std::unique_ptr<auth::LoginGuard> login_guard_;
  WorkPool pool_;
  std::unique_ptr<auth::AuthService> service_;
  std::shared_ptr<CountingVerifier> verifier_;
  std::unique_ptr<ServiceServer> server_;
  std::string addr_;
  std::unique_ptr<authv1::AuthService::Stub> stub_;
};

// A client context with a deadline and, when given, an authorization header.
std::unique_ptr<grpc::ClientContext> Context(const std::string& authorization = "") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!authorization.empty()) {
    ctx->AddMetadata("authorization", authorization);
  }
  return ctx;
}

authv1::AuthResponse Register(authv1::AuthService::Stub& stub, const std::string& email,
                              const std::string& name = "Ada") {
  authv1::RegisterRequest req;
  req.set_email(email);
  req.set_password("correct horse battery");
  req.set_name(name);
  req.set_business_name(name + " Lamps");
  authv1::AuthResponse resp;
  auto ctx = Context();
  grpc::Status st = stub.Register(ctx.get(), req, &resp);
  INFO(st.error_message());
  REQUIRE(st.ok());
  REQUIRE_FALSE(resp.access_token().empty());
  return resp;
}

grpc::Status Me(authv1::AuthService::Stub& stub, const std::string& authorization,
                authv1::MeResponse* resp) {
  auto ctx = Context(authorization);
  return stub.Me(ctx.get(), authv1::MeRequest(), resp);
}

TEST_CASE("service server writes its bound address to the port file", "[rpc][server]") {
  AuthServer server;
  std::string content = testing::ReadFile(server.dir().File("auth.port"));
  CHECK(content == "127.0.0.1:" + std::to_string(server.server().port()) + "\n");
  CHECK(server.server().port() > 0);
  CHECK(server.server().port() < 65536);
}

TEST_CASE("me without a token is unauthenticated", "[rpc][server]") {
  AuthServer server;
  Register(server.stub(), "ada@example.com");
  authv1::MeResponse resp;
  grpc::Status st = Me(server.stub(), "", &resp);
  CHECK(st.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK_FALSE(resp.has_user());
}

TEST_CASE("me with a garbage or non-bearer token is unauthenticated", "[rpc][server]") {
  AuthServer server;
  authv1::AuthResponse reg = Register(server.stub(), "ada@example.com");
  for (const std::string& header :
       {std::string("Bearer garbage"), std::string("Bearer a.b.c"), std::string("Bearer "),
        "Basic " + reg.access_token(), reg.access_token()}) {
    INFO(header);
    authv1::MeResponse resp;
    grpc::Status st = Me(server.stub(), header, &resp);
    CHECK(st.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK_FALSE(resp.has_user());
  }
}

TEST_CASE("me with the token from register answers the registered user", "[rpc][server]") {
  AuthServer server;
  authv1::AuthResponse reg = Register(server.stub(), "Ada@Example.com");
  authv1::MeResponse resp;
  grpc::Status st = Me(server.stub(), "Bearer " + reg.access_token(), &resp);
  INFO(st.error_message());
  REQUIRE(st.ok());
  CHECK(resp.user().id() == reg.user().id());
  CHECK(resp.user().email() == "Ada@Example.com");
  CHECK(resp.user().name() == "Ada");
  CHECK(resp.user().role() == "owner");
  CHECK(resp.workspace().id() == reg.workspace().id());
  CHECK(resp.workspace().name() == "Ada Lamps");
  CHECK(server.verifier().calls() >= 1);

  // The scheme is case-insensitive.
  authv1::MeResponse again;
  CHECK(Me(server.stub(), "bearer " + reg.access_token(), &again).ok());
  CHECK(again.user().id() == reg.user().id());
}

TEST_CASE("me refuses a well-formed token the service did not sign", "[rpc][server]") {
  AuthServer server;
  authv1::AuthResponse reg = Register(server.stub(), "ada@example.com");

  // The registered user's claims, signed by another key (under its own kid and under the real one).
  crypto::Ed25519Key other = Unwrap(crypto::Ed25519Key::Generate());
  crypto::JwtClaims claims;
  claims.sub = reg.user().id();
  claims.wid = reg.workspace().id();
  claims.role = "owner";
  claims.typ = "access";
  claims.jti = NewUuidV7();
  claims.iat = NowUnixSeconds();
  claims.exp = claims.iat + 600;
  for (const std::string& token : {crypto::SignJwt(claims, other, crypto::KeyId(other)),
                                   crypto::SignJwt(claims, other, crypto::KeyId(server.key()))}) {
    authv1::MeResponse resp;
    grpc::Status st = Me(server.stub(), "Bearer " + token, &resp);
    CHECK(st.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK_FALSE(resp.has_user());
  }

  // Signed by the real key but expired.
  claims.iat = NowUnixSeconds() - 1000;
  claims.exp = NowUnixSeconds() - 10;
  authv1::MeResponse resp;
  grpc::Status st =
      Me(server.stub(),
         "Bearer " + crypto::SignJwt(claims, server.key(), crypto::KeyId(server.key())), &resp);
  CHECK(st.error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("me with a valid token of an account that does not exist is unauthenticated",
          "[rpc][server]") {
  AuthServer server;
  crypto::JwtClaims claims;
  claims.sub = NewUuidV7();
  claims.wid = NewUuidV7();
  claims.role = "owner";
  claims.typ = "access";
  claims.iat = NowUnixSeconds();
  claims.exp = claims.iat + 600;
  authv1::MeResponse resp;
  grpc::Status st =
      Me(server.stub(),
         "Bearer " + crypto::SignJwt(claims, server.key(), crypto::KeyId(server.key())), &resp);
  CHECK(st.error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("concurrent calls each see their own caller", "[rpc][server]") {
  AuthServer server(4);
  std::vector<authv1::AuthResponse> users;
  for (int i = 0; i < 4; ++i) {
    users.push_back(Register(server.stub(), "user" + std::to_string(i) + "@example.com",
                             "User" + std::to_string(i)));
  }
  std::atomic<int> mismatches{0};
  std::atomic<int> anonymous_ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        authv1::MeResponse resp;
        if ((t + i) % 5 == 0) {
          // Interleave calls without a token: they must never borrow another call's caller.
          if (Me(server.stub(), "", &resp).ok()) {
            ++anonymous_ok;
          }
          continue;
        }
        const auto& user = users[(t + i) % users.size()];
        grpc::Status st = Me(server.stub(), "Bearer " + user.access_token(), &resp);
        if (!st.ok() || resp.user().id() != user.user().id() ||
            resp.workspace().id() != user.workspace().id()) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(mismatches.load() == 0);
  CHECK(anonymous_ok.load() == 0);
}

TEST_CASE("register errors reach the client with their code and field violations",
          "[rpc][server]") {
  AuthServer server;
  authv1::RegisterRequest req;
  req.set_email("not-an-email");
  req.set_password("correct horse battery");
  req.set_name("Ada");
  req.set_business_name("Ada Lamps");
  authv1::AuthResponse resp;
  auto ctx = Context();
  grpc::Status st = server.stub().Register(ctx.get(), req, &resp);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  Status back = FromGrpc(st);
  REQUIRE(back.violations().size() == 1);
  CHECK(back.violations()[0].field == "email");

  Register(server.stub(), "ada@example.com");
  req.set_email("ADA@example.com");
  auto ctx2 = Context();
  st = server.stub().Register(ctx2.get(), req, &resp);
  CHECK(st.error_code() == grpc::StatusCode::ALREADY_EXISTS);
}

TEST_CASE("an idle service server shuts down well within its drain bound", "[rpc][server]") {
  constexpr int kDrainMs = 2000;
  AuthServer server(2, kDrainMs);
  Register(server.stub(), "ada@example.com");

  auto start = std::chrono::steady_clock::now();
  server.server().Shutdown();
  auto elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  CHECK(elapsed < kDrainMs);

  // Nothing answers on the port any more.
  authv1::MeResponse resp;
  auto ctx = Context();
  ctx->set_deadline(std::chrono::system_clock::now() + milliseconds(500));
  grpc::Status st = server.stub().Me(ctx.get(), authv1::MeRequest(), &resp);
  CHECK_FALSE(st.ok());
  CHECK(st.error_code() != grpc::StatusCode::UNAUTHENTICATED);
  // A second Shutdown is harmless.
  server.server().Shutdown();
}

TEST_CASE("shutdown lets an in-flight call finish and returns within the drain bound",
          "[rpc][server]") {
  constexpr int kDrainMs = 3000;
  AuthServer server(1, kDrainMs);
  authv1::AuthResponse reg = Register(server.stub(), "ada@example.com");

  // Hold the only worker so the next call stays in flight until released.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  server.pool().Post([released] { released.wait(); });
  // Whatever happens below, the worker is let go (a failed REQUIRE must not hang the test).
  struct ReleaseOnExit {
    std::promise<void>& p;
    bool done = false;
    void Now() {
      if (!done) {
        done = true;
        p.set_value();
      }
    }
    ~ReleaseOnExit() { Now(); }
  } release_guard{release};

  int verified_before = server.verifier().calls();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ctx.AddMetadata("authorization", "Bearer " + reg.access_token());
  authv1::MeRequest req;
  authv1::MeResponse resp;
  std::promise<grpc::Status> done;
  server.stub().async()->Me(&ctx, &req, &resp, [&done](grpc::Status st) { done.set_value(st); });
  // The server has the call once its interceptor has seen the token.
  REQUIRE(testing::WaitFor([&] { return server.verifier().calls() > verified_before; },
                           std::chrono::seconds(10)));

  std::atomic<bool> shutdown_returned{false};
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    server.server().Shutdown();
    shutdown_returned = true;
  });
  // Shutdown has begun once the port refuses new calls; the in-flight call is still held.
  auto fresh = authv1::AuthService::NewStub(
      grpc::CreateChannel(server.addr(), grpc::InsecureChannelCredentials()));
  bool refusing = testing::WaitFor(
      [&] {
        grpc::ClientContext probe;
        probe.set_deadline(std::chrono::system_clock::now() + milliseconds(200));
        authv1::GetJwksRequest jreq;
        authv1::Jwks jresp;
        return !fresh->GetJwks(&probe, jreq, &jresp).ok();
      },
      std::chrono::seconds(10));
  CHECK(refusing);
  CHECK_FALSE(shutdown_returned.load());

  release_guard.Now();
  stopper.join();
  auto elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  CHECK(elapsed < kDrainMs + 1000);

  auto status = done.get_future();
  REQUIRE(status.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  grpc::Status st = status.get();
  INFO(st.error_message());
  CHECK(st.ok());
  CHECK(resp.user().id() == reg.user().id());
}

TEST_CASE("calls still queued when the drain time is up are dropped and never run",
          "[rpc][server]") {
  constexpr int kDrainMs = 300;
  AuthServer server(1, kDrainMs);
  authv1::AuthResponse reg = Register(server.stub(), "ada@example.com");

  // Hold the only worker: the calls below wait in the queue.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  server.pool().Post([released] { released.wait(); });
  struct ReleaseOnExit {
    std::promise<void>& p;
    bool done = false;
    void Now() {
      if (!done) {
        done = true;
        p.set_value();
      }
    }
    ~ReleaseOnExit() { Now(); }
  } release_guard{release};

  constexpr int kQueued = 3;
  struct Call {
    grpc::ClientContext ctx;
    authv1::RegisterRequest req;
    authv1::AuthResponse resp;
    std::promise<grpc::Status> done;
  };
  std::vector<std::unique_ptr<Call>> calls;
  int verified_before = server.verifier().calls();
  for (int i = 0; i < kQueued; ++i) {
    auto call = std::make_unique<Call>();
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    // Any bearer token: it lets the test see (through the verifier) that the call has arrived.
    call->ctx.AddMetadata("authorization", "Bearer " + reg.access_token());
    call->req.set_email("queued" + std::to_string(i) + "@example.com");
    call->req.set_password("correct horse battery");
    call->req.set_name("Queued");
    call->req.set_business_name("Queued Lamps");
    Call* c = call.get();
    server.stub().async()->Register(&c->ctx, &c->req, &c->resp,
                                    [c](grpc::Status st) { c->done.set_value(st); });
    calls.push_back(std::move(call));
  }
  REQUIRE(testing::WaitFor([&] { return server.verifier().calls() >= verified_before + kQueued; },
                           std::chrono::seconds(10)));

  std::atomic<bool> shutdown_returned{false};
  std::thread stopper([&] {
    server.server().Shutdown();
    shutdown_returned = true;
  });
  // Past the drain time the server gives up on the queued calls: every client hears so.
  std::vector<std::future<grpc::Status>> results;
  for (auto& c : calls) {
    results.push_back(c->done.get_future());
  }
  for (auto& r : results) {
    REQUIRE(r.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    grpc::Status st = r.get();
    CHECK_FALSE(st.ok());
  }

  // Once the worker is free, the abandoned calls finish at once instead of running their handlers.
  auto start = std::chrono::steady_clock::now();
  release_guard.Now();
  stopper.join();
  auto elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  CHECK(elapsed < 2000);
  for (int i = 0; i < kQueued; ++i) {
    auto user =
        server.auth_store().FindUserByEmailKey("queued" + std::to_string(i) + "@example.com");
    REQUIRE(user.ok());
    CHECK_FALSE(user->has_value());
  }
}

}  // namespace
}  // namespace salesos::rpc
