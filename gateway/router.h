#pragma once

// Router: the HTTP routes of the public API, built at start-up from the (salesos.api.http) option
// of every rpc of every upstream service's proto file. Immutable after Build, so shared freely
// between threads.

#include <google/protobuf/descriptor.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salesos/api/access.pb.h"
#include "salesos/core/status.h"

namespace salesos::gateway {

struct Route {
  std::string http_method;   // "GET", "POST", ...
  std::string path_template; // "/api/v1/campaigns/{id}"
  std::vector<std::string> segments;  // "api", "v1", "campaigns", "{id}"
  std::string body;          // "*" or ""
  bool allow_anonymous = false;      // access.anonymous()
  api::AccessRule access;            // who may call it (the gateway fails fast on it)
  std::string upstream;      // "auth": which service answers
  std::string grpc_method;   // "/salesos.auth.v1.AuthService/Login"
  const google::protobuf::MethodDescriptor* method = nullptr;
};

using PathParams = std::vector<std::pair<std::string, std::string>>;  // field name → value

struct Match {
  const Route* route = nullptr;
  PathParams params;
  bool method_mismatch = false;  // a route has this path, but not with this method (405)
};

class Router {
 public:
  // Adds the routes of every service in the proto file of `upstream` ("salesos/<upstream>/v1/
  // <upstream>.proto"). kInvalidArgument for a conflicting or malformed route, naming the rpc.
  Status AddUpstream(const std::string& upstream);
  Match Find(std::string_view http_method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Percent-decoding of one path segment or query component ('+' is a space only in queries).
// false when an escape is malformed.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

// A query string (without '?') as decoded name → value pairs, in order; empty pairs are skipped
// and a name without '=' has an empty value. kInvalidArgument when an escape is malformed.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
Result<QueryParams> DecodeQuery(std::string_view query);

}  // namespace salesos::gateway
