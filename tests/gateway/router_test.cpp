#include "router.h"

#include <catch2/catch.hpp>

using salesos::gateway::PercentDecode;
using salesos::gateway::Router;

TEST_CASE("routes are built from the http options of every rpc of a contract", "[gateway][router]") {
  Router r;
  REQUIRE(r.AddUpstream("testing").ok());
  CHECK(r.routes().size() == 3);  // the rpc without the option is not exposed
  auto m = r.Find("GET", "/api/v1/things");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->allow_anonymous);
  CHECK(m.route->grpc_method == "/salesos.testing.v1.TestingService/ListThings");
  m = r.Find("GET", "/api/v1/things/x1");
  REQUIRE(m.route != nullptr);
  CHECK_FALSE(m.route->allow_anonymous);
  REQUIRE(m.params.size() == 1);
  CHECK(m.params[0].first == "id");
  CHECK(m.params[0].second == "x1");
}

TEST_CASE("the auth contract yields its public routes", "[gateway][router]") {
  Router r;
  REQUIRE(r.AddUpstream("auth").ok());
  auto m = r.Find("POST", "/api/v1/auth/register");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->allow_anonymous);
  CHECK(m.route->body == "*");
  m = r.Find("GET", "/api/v1/auth/me");
  REQUIRE(m.route != nullptr);
  CHECK_FALSE(m.route->allow_anonymous);
  CHECK(r.Find("GET", "/.well-known/jwks.json").route != nullptr);
}

TEST_CASE("a known path with another method is a method mismatch, an unknown one is not",
          "[gateway][router]") {
  Router r;
  REQUIRE(r.AddUpstream("testing").ok());
  auto m = r.Find("DELETE", "/api/v1/things/x1");
  CHECK(m.route == nullptr);
  CHECK(m.method_mismatch);
  m = r.Find("GET", "/api/v1/nothing");
  CHECK(m.route == nullptr);
  CHECK_FALSE(m.method_mismatch);
}

TEST_CASE("adding the same contract twice is a route conflict", "[gateway][router]") {
  Router r;
  REQUIRE(r.AddUpstream("testing").ok());
  auto st = r.AddUpstream("testing");
  CHECK_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("already served"));
}

TEST_CASE("an upstream without a contract is refused", "[gateway][router]") {
  Router r;
  CHECK_FALSE(r.AddUpstream("nosuchservice").ok());
}

TEST_CASE("percent-decoding rejects truncated and non-hex escapes", "[gateway][router]") {
  std::string out;
  CHECK(PercentDecode("a%2Fb", false, &out));
  CHECK(out == "a/b");
  CHECK_FALSE(PercentDecode("a%2", false, &out));
  CHECK_FALSE(PercentDecode("a%", false, &out));
  CHECK_FALSE(PercentDecode("%g1", false, &out));
  CHECK(PercentDecode("a+b", true, &out));
  CHECK(out == "a b");
}
