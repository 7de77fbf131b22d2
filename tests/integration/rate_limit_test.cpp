// The gateway's rate limits end to end: all seven processes, real Redis, over HTTP.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

// Small limits so the test reaches them quickly; a minute's refill (one request every 12 s per
// user, every 7.5 s per address) is far slower than the requests below, so counts are exact.
constexpr int kUserPerMin = 5;
constexpr int kIpPerMin = 8;

SuiteOptions SmallLimits() {
  SuiteOptions options;
  options.extra_env = {"SALESOS_RATE_LIMIT_USER_PER_MIN=" + std::to_string(kUserPerMin),
                       "SALESOS_RATE_LIMIT_IP_PER_MIN=" + std::to_string(kIpPerMin)};
  return options;
}

int IntHeader(const HttpResult& r, const std::string& name) {
  INFO(name << " of a " << r.status << " answer");
  std::string value = r.Header(name);
  REQUIRE_FALSE(value.empty());
  return std::stoi(value);
}

}  // namespace

TEST_CASE("rate limits answer 429 with headers past the per-user and per-address limits",
          "[integration][rate_limit]") {
  Suite suite(SmallLimits());
  auto client = suite.Client();

  // Register: anonymous, so only the address is counted (1 of 8).
  HttpResult reg = client->Post("/api/v1/auth/register",
                                json::serialize(json::object{{"email", UniqueEmail("rl")},
                                                             {"password", kTestPassword},
                                                             {"name", "Ada"},
                                                             {"businessName", "Ada Lamps"}}));
  REQUIRE(reg.status == 200);
  CHECK(IntHeader(reg, "ratelimit-limit") == kIpPerMin);
  CHECK(IntHeader(reg, "ratelimit-remaining") == kIpPerMin - 1);
  CHECK(IntHeader(reg, "ratelimit-reset") >= 1);
  std::string token(json::parse(reg.body).at("accessToken").as_string());

  // Signed in, the user's 5 are tighter than the address' 7 left: they are what is reported.
  int answered = 0;
  int previous_remaining = kUserPerMin;
  HttpResult me;
  for (int i = 0; i < 3 * kUserPerMin; ++i) {
    me = client->Get("/api/v1/auth/me", token);
    if (me.status == 429) {
      break;
    }
    REQUIRE(me.status == 200);
    ++answered;
    CHECK(IntHeader(me, "ratelimit-limit") == kUserPerMin);
    int remaining = IntHeader(me, "ratelimit-remaining");
    CHECK(remaining == previous_remaining - 1);
    previous_remaining = remaining;
  }
  CHECK(answered == kUserPerMin);
  REQUIRE(me.status == 429);
  CHECK(ErrorCode(me) == "RESOURCE_EXHAUSTED");
  CHECK_THAT(ErrorMessage(me), Catch::Contains("per user"));
  CHECK(IntHeader(me, "retry-after") >= 1);
  CHECK(IntHeader(me, "ratelimit-limit") == kUserPerMin);
  CHECK(IntHeader(me, "ratelimit-remaining") == 0);
  CHECK(IntHeader(me, "ratelimit-reset") >= 1);
  CHECK_FALSE(me.Header("x-request-id").empty());
  // The router ignores empty path segments; so does the limit.
  CHECK(client->Get("//api//v1/auth/me", token).status == 429);

  // Anonymous and failing requests count against the address: 6 of 8 are spent (the refused one
  // cost nothing), so bad logins get their 401s with headers, then 429.
  int unauthorized = 0;
  HttpResult login;
  for (int i = 0; i < kIpPerMin + 2; ++i) {
    login = Login(*client, UniqueEmail("nobody"), "wrong password!");
    if (login.status == 429) {
      break;
    }
    REQUIRE(login.status == 401);
    ++unauthorized;
    CHECK(IntHeader(login, "ratelimit-limit") == kIpPerMin);
    CHECK(IntHeader(login, "ratelimit-remaining") >= 0);
  }
  CHECK(unauthorized >= kIpPerMin - 1 - kUserPerMin);
  REQUIRE(login.status == 429);
  CHECK(ErrorCode(login) == "RESOURCE_EXHAUSTED");
  CHECK_THAT(ErrorMessage(login), Catch::Contains("per client address"));
  CHECK(IntHeader(login, "retry-after") >= 1);
  CHECK(IntHeader(login, "ratelimit-limit") == kIpPerMin);
  CHECK(IntHeader(login, "ratelimit-remaining") == 0);

  // Unknown routes under /api/ count too (404 or, as the address is spent, 429)...
  HttpResult unknown = client->Get("/api/v1/nothing-here");
  CHECK((unknown.status == 429 || unknown.status == 404));
  CHECK(IntHeader(unknown, "ratelimit-limit") == kIpPerMin);
  // ...but never outside it: probes always answer, without RateLimit headers.
  for (int i = 0; i < 2 * kIpPerMin; ++i) {
    HttpResult health = client->Get("/healthz");
    REQUIRE(health.status == 200);
    CHECK(health.Header("ratelimit-limit").empty());
  }
  HttpResult ready = client->Get("/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.Header("ratelimit-limit").empty());
}
