#pragma once

// The HTTP routes of the API, read from the one place they are declared: the
// (salesos.api.http) and (salesos.api.access) options of every rpc of the services' protos. The
// matrix tests (roles, tenants) walk it, so a new route is covered by being added.

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

namespace salesos::testing {

struct HttpRoute {
  std::string method;  // GET | POST | PUT | PATCH | DELETE
  std::string path;    // as declared, with {variables}
  std::string rpc;     // the method's full name
  std::string body;    // the rule's body: "", "*" or a field name
  const google::protobuf::Descriptor* input = nullptr;
  bool anonymous = false;
  int min_role = 0;  // salesos.api.Role; 0 when the rule names none
};

// Every rpc with an HTTP rule, service by service in proto order (Catch2 REQUIREs each service's
// proto to be linked in).
std::vector<HttpRoute> HttpRoutes();

}  // namespace salesos::testing
