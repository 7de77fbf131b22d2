#include "router.h"

#include <catch2/catch.hpp>

#include "salesos/conflicting/v1/conflicting.pb.h"

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

TEST_CASE("a literal segment beats a variable whatever the order the routes were declared in",
          "[gateway][router]") {
  Router r;
  REQUIRE(r.AddUpstream("routing").ok());
  // GetItem ({id}) is declared before ExportItems (export).
  auto m = r.Find("GET", "/api/v1/items/export");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->grpc_method == "/salesos.routing.v1.RoutingService/ExportItems");
  CHECK(m.params.empty());
  m = r.Find("GET", "/api/v1/items/it-42");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->grpc_method == "/salesos.routing.v1.RoutingService/GetItem");
  REQUIRE(m.params.size() == 1);
  CHECK(m.params[0] == std::make_pair(std::string("id"), std::string("it-42")));
  // Deeper down too: notes/latest over notes/{note_id}.
  m = r.Find("GET", "/api/v1/items/it-42/notes/latest");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->grpc_method == "/salesos.routing.v1.RoutingService/GetLatestNote");
  REQUIRE(m.params.size() == 1);
  CHECK(m.params[0].second == "it-42");
  m = r.Find("GET", "/api/v1/items/it-42/notes/n7");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->grpc_method == "/salesos.routing.v1.RoutingService/GetNote");
  REQUIRE(m.params.size() == 2);
  CHECK(m.params[1] == std::make_pair(std::string("note_id"), std::string("n7")));
}

TEST_CASE("the leftmost segment where two routes differ decides which is more specific",
          "[gateway][router]") {
  Router r;
  REQUIRE(r.AddUpstream("routing").ok());
  // /api/v1/items/{id} and /api/v1/{collection}/export both match /api/v1/items/export; so does
  // /api/v1/items/export itself, which wins. Against {collection}/export, items/{id} wins for
  // any collection named items, and {collection}/export takes the others.
  auto m = r.Find("GET", "/api/v1/orders/export");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->grpc_method == "/salesos.routing.v1.RoutingService/GetAnyExport");
  CHECK(m.params[0].second == "orders");
  m = r.Find("GET", "/api/v1/items/export");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->grpc_method == "/salesos.routing.v1.RoutingService/ExportItems");
}

TEST_CASE("a path matched only by routes of other methods is still a method mismatch",
          "[gateway][router]") {
  Router r;
  REQUIRE(r.AddUpstream("routing").ok());
  auto m = r.Find("DELETE", "/api/v1/items/export");
  CHECK(m.route == nullptr);
  CHECK(m.method_mismatch);
  // POST has a literal route elsewhere but none for this path.
  m = r.Find("POST", "/api/v1/items/it-42");
  CHECK(m.route == nullptr);
  CHECK(m.method_mismatch);
  m = r.Find("POST", "/api/v1/items/import");
  REQUIRE(m.route != nullptr);
  CHECK_FALSE(m.method_mismatch);
}

TEST_CASE("two routes differing only in their variables' names are a conflict",
          "[gateway][router]") {
  // Linked in (a static library's object nothing else uses is left out, and its descriptors
  // with it).
  REQUIRE(salesos::conflicting::v1::GetByKeyRequest::descriptor() != nullptr);
  Router r;
  REQUIRE(r.AddUpstream("testing").ok());
  auto st = r.AddUpstream("conflicting");
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("GET /api/v1/things/{key}"));
  CHECK_THAT(st.message(), Catch::Contains("already served"));
}

TEST_CASE("a body naming an HttpBody field makes an upload route, another message field a JSON one",
          "[gateway][router]") {
  Router r;
  REQUIRE(r.AddUpstream("routing").ok());
  auto m = r.Find("POST", "/api/v1/items/import");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->body == "file");
  CHECK(m.route->raw_body);
  REQUIRE(m.route->body_field != nullptr);
  CHECK(m.route->body_field->name() == "file");
  m = r.Find("POST", "/api/v1/items/it-1/notes");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->body == "note");
  CHECK_FALSE(m.route->raw_body);
  REQUIRE(m.route->body_field != nullptr);
  // "*" and no body name no field.
  Router t;
  REQUIRE(t.AddUpstream("testing").ok());
  m = t.Find("PATCH", "/api/v1/things/x");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->body_field == nullptr);
  CHECK_FALSE(m.route->raw_body);
}
