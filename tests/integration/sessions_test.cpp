// Sessions end to end: refresh rotation and reuse detection, logout, logout-all, password change,
// the login lockout and service tokens, through the gateway and the real auth process.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/service_token.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

HttpResult Refresh(HttpClient& client, const std::string& token) {
  return client.Post("/api/v1/auth/refresh", json::serialize(json::object{{"refreshToken", token}}));
}

}  // namespace

TEST_CASE("refresh rotates, and a reused refresh token revokes the whole family",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client, "Sam's Shop");

  HttpResult r1 = Refresh(*client, a.refresh_token);
  REQUIRE(r1.status == 200);
  std::string child = std::string(Json(r1).at("refreshToken").as_string());
  CHECK(child != a.refresh_token);
  CHECK(client->Get("/api/v1/auth/me", std::string(Json(r1).at("accessToken").as_string())).status == 200);

  HttpResult reuse = Refresh(*client, a.refresh_token);
  CHECK(reuse.status == 401);
  CHECK(Refresh(*client, child).status == 401);  // the thief's (or the victim's) chain is dead
  CHECK(Refresh(*client, "not-a-token").status == 401);
  CHECK(client->Post("/api/v1/auth/refresh", "{}").status == 400);
}

TEST_CASE("logout revokes a refresh token, logout-all ends every session at once",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client, "Sam's Shop");
  HttpResult second = Login(*client, a.email);
  REQUIRE(second.status == 200);
  std::string second_refresh(Json(second).at("refreshToken").as_string());
  std::string second_access(Json(second).at("accessToken").as_string());

  CHECK(client
            ->Post("/api/v1/auth/logout",
                   json::serialize(json::object{{"refreshToken", a.refresh_token}}))
            .status == 200);
  CHECK(Refresh(*client, a.refresh_token).status == 401);
  CHECK(client
            ->Post("/api/v1/auth/logout",
                   json::serialize(json::object{{"refreshToken", a.refresh_token}}))
            .status == 200);

  // The other session still works until logout-all.
  REQUIRE(client->Get("/api/v1/auth/me", second_access).status == 200);
  CHECK(client->Post("/api/v1/auth/logout-all", "{}", second_access).status == 200);
  CHECK(Refresh(*client, second_refresh).status == 401);
  // Access tokens issued before are refused by the gateway within a bounded time (pub/sub).
  CHECK(WaitFor([&] { return client->Get("/api/v1/auth/me", second_access).status == 401; },
                std::chrono::seconds(5)));
  // A new login works.
  HttpResult again = Login(*client, a.email);
  REQUIRE(again.status == 200);
  CHECK(client->Get("/api/v1/auth/me", std::string(Json(again).at("accessToken").as_string())).status == 200);
}

TEST_CASE("changing the password checks the current one and ends every session",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client, "Sam's Shop");
  auto change = [&](const std::string& current, const std::string& next) {
    return client->Post(
        "/api/v1/auth/password",
        json::serialize(json::object{{"currentPassword", current}, {"newPassword", next}}),
        a.token);
  };
  HttpResult wrong = change("not my password", "a brand new password");
  CHECK(wrong.status == 400);
  CHECK(ErrorField(wrong) == "currentPassword");
  HttpResult shorter = change(kTestPassword, "short");
  CHECK(shorter.status == 400);
  CHECK(ErrorField(shorter) == "newPassword");
  CHECK(Login(*client, a.email).status == 200);  // nothing changed so far

  REQUIRE(change(kTestPassword, "a brand new password").status == 200);
  CHECK(Login(*client, a.email).status == 401);
  CHECK(Login(*client, a.email, "a brand new password").status == 200);
  CHECK(Refresh(*client, a.refresh_token).status == 401);
  CHECK(WaitFor([&] { return client->Get("/api/v1/auth/me", a.token).status == 401; },
                std::chrono::seconds(5)));
}

TEST_CASE("ten failed logins lock the email with 429 and Retry-After, whatever the password",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client, "Sam's Shop");
  Account b = Register(*client, "Sam's Shop");
  for (int i = 0; i < 10; ++i) {
    REQUIRE(Login(*client, a.email, "wrong password " + std::to_string(i)).status == 401);
  }
  HttpResult locked = Login(*client, a.email);
  CHECK(locked.status == 429);
  CHECK(ErrorCode(locked) == "RESOURCE_EXHAUSTED");
  CHECK(std::stoi(locked.Header("retry-after")) > 0);
  // Another email is not affected, and a success elsewhere does not unlock the first.
  CHECK(Login(*client, b.email).status == 200);
  CHECK(Login(*client, a.email).status == 429);
}

TEST_CASE("service tokens need the shared secret, and user tokens cannot call service-only rpcs",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client, "Sam's Shop");
  auto channel = salesos::rpc::MakeChannel(suite.service_addr("auth"));

  salesos::rpc::ServiceTokenSource good(channel, "webhook_ingest", SharedSecret(suite));
  auto authz = good.Authorization();
  REQUIRE(authz.ok());
  salesos::rpc::ServiceTokenSource forged(channel, "webhook_ingest", std::string(32, 'x'));
  CHECK(forged.Authorization().status().code() == salesos::Code::kUnauthenticated);
  salesos::rpc::ServiceTokenSource stranger(channel, "not_a_service", SharedSecret(suite));
  CHECK(stranger.Authorization().status().code() == salesos::Code::kUnauthenticated);

  auto stub = salesos::auth::v1::ChannelService::NewStub(channel);
  salesos::auth::v1::ResolveChannelRequest req;
  req.set_platform("facebook");
  req.set_external_id("123");
  salesos::auth::v1::ResolvedChannel resp;
  {
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000, {"Bearer " + a.token, "", ""});
    CHECK(stub->ResolveChannel(&ctx, req, &resp).error_code() == grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext ctx;
    salesos::rpc::PrepareContext(ctx, 5000, {*authz, "", ""});
    auto st = stub->ResolveChannel(&ctx, req, &resp);
    // Allowed through; nothing is connected under that id.
    CHECK(st.error_code() != grpc::StatusCode::PERMISSION_DENIED);
    CHECK(st.error_code() != grpc::StatusCode::UNAUTHENTICATED);
  }
}
