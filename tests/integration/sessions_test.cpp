// Sessions end to end: refresh rotation and reuse detection, logout, logout-all, password change,
// the login lockout and service tokens, through the gateway and the real auth process.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/service_token.h"
#include "support/suite.h"

using salesos::testing::HttpResult;
using salesos::testing::Suite;
namespace json = boost::json;

namespace {

json::value Json(const HttpResult& r) {
  INFO("body: " << r.body);
  return json::parse(r.body);
}

struct Account {
  std::string email, password, access, refresh;
};

Account Register(salesos::testing::HttpClient& client) {
  Account a{"s-" + salesos::RandomHex(4) + "@example.com", "correct horse battery", "", ""};
  HttpResult r = client.Post(
      "/api/v1/auth/register",
      json::serialize(json::object{{"email", a.email}, {"password", a.password}, {"name", "Sam"},
                                   {"businessName", "Sam's Shop"}}));
  REQUIRE(r.status == 200);
  a.access = std::string(Json(r).at("accessToken").as_string());
  a.refresh = std::string(Json(r).at("refreshToken").as_string());
  return a;
}

HttpResult Refresh(salesos::testing::HttpClient& client, const std::string& token) {
  return client.Post("/api/v1/auth/refresh", json::serialize(json::object{{"refreshToken", token}}));
}

HttpResult Login(salesos::testing::HttpClient& client, const std::string& email,
                 const std::string& password) {
  return client.Post("/api/v1/auth/login",
                     json::serialize(json::object{{"email", email}, {"password", password}}));
}

std::string SharedSecret(const Suite& suite) {
  std::string text = salesos::testing::ReadFile(suite.data_dir() + "/service.secret");
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  auto secret = salesos::crypto::Base64Decode(text);
  REQUIRE(secret.ok());
  return *secret;
}

}  // namespace

TEST_CASE("refresh rotates, and a reused refresh token revokes the whole family",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client);

  HttpResult r1 = Refresh(*client, a.refresh);
  REQUIRE(r1.status == 200);
  std::string child = std::string(Json(r1).at("refreshToken").as_string());
  CHECK(child != a.refresh);
  CHECK(client->Get("/api/v1/auth/me", std::string(Json(r1).at("accessToken").as_string())).status == 200);

  HttpResult reuse = Refresh(*client, a.refresh);
  CHECK(reuse.status == 401);
  CHECK(Refresh(*client, child).status == 401);  // the thief's (or the victim's) chain is dead
  CHECK(Refresh(*client, "not-a-token").status == 401);
  CHECK(client->Post("/api/v1/auth/refresh", "{}").status == 400);
}

TEST_CASE("logout revokes a refresh token; logout-all ends every session at once",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client);
  HttpResult second = Login(*client, a.email, a.password);
  REQUIRE(second.status == 200);
  std::string second_refresh(Json(second).at("refreshToken").as_string());
  std::string second_access(Json(second).at("accessToken").as_string());

  CHECK(client->Post("/api/v1/auth/logout", json::serialize(json::object{{"refreshToken", a.refresh}})).status == 200);
  CHECK(Refresh(*client, a.refresh).status == 401);
  CHECK(client->Post("/api/v1/auth/logout", json::serialize(json::object{{"refreshToken", a.refresh}})).status == 200);

  // The other session still works until logout-all.
  REQUIRE(client->Get("/api/v1/auth/me", second_access).status == 200);
  CHECK(client->Post("/api/v1/auth/logout-all", "{}", second_access).status == 200);
  CHECK(Refresh(*client, second_refresh).status == 401);
  // Access tokens issued before are refused by the gateway within a bounded time (pub/sub).
  CHECK(salesos::testing::WaitFor(
      [&] { return client->Get("/api/v1/auth/me", second_access).status == 401; },
      std::chrono::seconds(5)));
  // A new login works.
  HttpResult again = Login(*client, a.email, a.password);
  REQUIRE(again.status == 200);
  CHECK(client->Get("/api/v1/auth/me", std::string(Json(again).at("accessToken").as_string())).status == 200);
}

TEST_CASE("changing the password checks the current one and ends every session",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client);
  auto change = [&](const std::string& current, const std::string& next) {
    return client->Post(
        "/api/v1/auth/password",
        json::serialize(json::object{{"currentPassword", current}, {"newPassword", next}}), a.access);
  };
  HttpResult wrong = change("not my password", "a brand new password");
  CHECK(wrong.status == 400);
  CHECK(Json(wrong).at("error").at("details").at(0).at("field").as_string() == "currentPassword");
  HttpResult shorter = change(a.password, "short");
  CHECK(shorter.status == 400);
  CHECK(Json(shorter).at("error").at("details").at(0).at("field").as_string() == "newPassword");
  CHECK(Login(*client, a.email, a.password).status == 200);  // nothing changed so far

  REQUIRE(change(a.password, "a brand new password").status == 200);
  CHECK(Login(*client, a.email, a.password).status == 401);
  CHECK(Login(*client, a.email, "a brand new password").status == 200);
  CHECK(Refresh(*client, a.refresh).status == 401);
  CHECK(salesos::testing::WaitFor(
      [&] { return client->Get("/api/v1/auth/me", a.access).status == 401; },
      std::chrono::seconds(5)));
}

TEST_CASE("ten failed logins lock the email with 429 and Retry-After, whatever the password",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client);
  Account b = Register(*client);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(Login(*client, a.email, "wrong password " + std::to_string(i)).status == 401);
  }
  HttpResult locked = Login(*client, a.email, a.password);
  CHECK(locked.status == 429);
  CHECK(Json(locked).at("error").at("code").as_string() == "RESOURCE_EXHAUSTED");
  CHECK(std::stoi(locked.Header("retry-after")) > 0);
  // Another email is not affected, and a success elsewhere does not unlock the first.
  CHECK(Login(*client, b.email, b.password).status == 200);
  CHECK(Login(*client, a.email, a.password).status == 429);
}

TEST_CASE("service tokens need the shared secret, and user tokens cannot call service-only rpcs",
          "[integration][sessions]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client);
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
    salesos::rpc::PrepareContext(ctx, 5000, {"Bearer " + a.access, "", ""});
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
