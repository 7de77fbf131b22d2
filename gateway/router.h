#pragma once

// Router: the HTTP routes of the public API, built at start-up from the (salesos.api.http) option
// of every rpc of every upstream service's proto file. Immutable after Build, so shared freely
// between threads.
//
// Precedence: when several routes match a path, the most specific wins whatever the order they
// were declared in: compared segment by segment from the left, at the first segment where they
// differ a literal beats a variable (`GET /api/v1/contacts/export` wins over
// `GET /api/v1/contacts/{id}` for /api/v1/contacts/export, and {id} takes every other id). Two
// routes of one method whose paths differ only in their variables' names are a conflict.
//
// Bodies: `body: "*"` is the request message as JSON; `body: "<field>"` names a message field of
// the request: when it is a salesos.api.HttpBody (api/http_body.proto) the route is an upload and
// the raw request body goes, unparsed, to its `content` with the request's Content-Type in
// `content_type`; any other message field is filled from the JSON body. Path and query parameters
// fill the other fields either way.

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
  std::string body;                   // "*", "" or the name of the field the body fills
  // The field `body` names (nullptr for "*" and ""), and whether it is a salesos.api.HttpBody
  // that takes the raw body (an upload, with its own size limit in http_session).
  const google::protobuf::FieldDescriptor* body_field = nullptr;
  bool raw_body = false;
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
  // The most specific route of `http_method` matching `path` (without the query), with its path
  // parameters decoded; method_mismatch when only routes of other methods match it.
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
