// The role matrix, generated from the one permission table (the (salesos.api.access) option of
// every rpc): for each HTTP route and each workspace role, the roles the rule allows get through
// (whatever else the call then says), the others get 403. A new route is covered by being added.
#include <google/protobuf/descriptor.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "route_table.h"
#include "salesos/api/access.pb.h"
#include "salesos/api/http.pb.h"
#include "salesos/core/ids.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;

namespace {

struct RouteCase {
  std::string method, path, rpc;
  int min_rank = 1;
};

std::vector<RouteCase> ProtectedRoutes() {
  std::vector<RouteCase> out;
  for (const HttpRoute& route : HttpRoutes()) {
    if (route.anonymous) {
      continue;
    }
    RouteCase c;
    c.rpc = route.rpc;
    c.min_rank = route.min_role == salesos::api::ROLE_UNSPECIFIED ? 1 : route.min_role;
    c.method = route.method;
    c.path = route.path;
    // Path variables get an id that exists nowhere: allowed roles then hear 404 or 400.
    for (size_t open = c.path.find('{'); open != std::string::npos; open = c.path.find('{')) {
      c.path.replace(open, c.path.find('}', open) - open + 1, salesos::NewUuidV7());
    }
    out.push_back(c);
  }
  // Ending one's own sessions goes last, or the role's later calls would be refused for that.
  std::stable_partition(out.begin(), out.end(),
                        [](const RouteCase& c) { return c.path != "/api/v1/auth/logout-all"; });
  return out;
}

}  // namespace

TEST_CASE("every protected route admits exactly the roles its access rule names",
          "[integration][roles]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Matrix " + salesos::RandomHex(4));
  std::map<std::string, std::string> tokens;
  tokens["owner"] = owner.token;
  for (const std::string role : {"admin", "agent", "viewer"}) {
    tokens[role] = AddMember(*client, owner, role).token;
  }

  const std::vector<std::pair<std::string, int>> roles = {
      {"viewer", 1}, {"agent", 2}, {"admin", 3}, {"owner", 4}};
  auto routes = ProtectedRoutes();
  REQUIRE(routes.size() >= 10);
  for (const auto& route : routes) {
    for (const auto& [role, rank] : roles) {
      const bool body = route.method != "GET" && route.method != "DELETE";
      HttpResult r = client->Request(route.method, route.path, body ? "{}" : "",
                                     HttpClient::BearerHeaders(tokens[role]));
      INFO(route.method << " " << route.path << " (" << route.rpc << ") as " << role << ": "
                        << r.status << " " << r.body);
      if (rank < route.min_rank) {
        CHECK(r.status == 403);
      } else {
        CHECK(r.status != 403);
        CHECK(r.status != 401);
      }
    }
  }
}

namespace {

// The table docs/roles.md must hold, built from the same option.
std::string ExpectedRolesTable() {
  std::string out = "| route | rpc | viewer | agent | admin | owner |\n|---|---|---|---|---|---|\n";
  for (const auto& upstream : Suite::ServiceNames()) {
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
        "salesos/" + upstream + "/v1/" + upstream + ".proto");
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        const auto* method = file->service(s)->method(m);
        const auto& access = method->options().GetExtension(salesos::api::access);
        std::string route = "(internal)";
        if (method->options().HasExtension(salesos::api::http)) {
          const auto& h = method->options().GetExtension(salesos::api::http);
          route = !h.get().empty() ? "GET " + h.get()
                  : !h.post().empty() ? "POST " + h.post()
                  : !h.put().empty() ? "PUT " + h.put()
                  : !h.patch().empty() ? "PATCH " + h.patch()
                  : "DELETE " + h.delete_();
        }
        out += "| `" + route + "` | " + method->service()->name() + "." + method->name() + " |";
        if (access.anonymous()) {
          out += " anyone | anyone | anyone | anyone |\n";
          continue;
        }
        if (access.service_only()) {
          out += " services only | | | |\n";
          continue;
        }
        int min = access.min_role() == salesos::api::ROLE_UNSPECIFIED ? 1 : access.min_role();
        for (int rank = 1; rank <= 4; ++rank) {
          out += rank >= min ? " yes |" : " — |";
        }
        out += "\n";
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("docs/roles.md shows the permission table the protos define", "[integration][roles]") {
  std::string doc = ReadFile(std::string(SALESOS_SOURCE_DIR) + "/docs/roles.md");
  const std::string begin = "<!-- BEGIN generated from (salesos.api.access) -->\n";
  const std::string end = "<!-- END generated -->";
  auto b = doc.find(begin);
  auto e = doc.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  std::string table = doc.substr(b + begin.size(), e - b - begin.size());
  std::string expected = ExpectedRolesTable();
  if (const char* update = std::getenv("SALESOS_UPDATE_DOCS"); update && std::string(update) == "1") {
    std::ofstream(std::string(SALESOS_SOURCE_DIR) + "/docs/roles.md")
        << doc.substr(0, b + begin.size()) << expected << doc.substr(e);
    return;
  }
  INFO("docs/roles.md is stale: run this test with SALESOS_UPDATE_DOCS=1 to rewrite its table");
  CHECK(table == expected);
}
