#pragma once

// Transcoder: JSON ⇄ proto with protobuf's JSON mapping (lowerCamelCase names; proto names are
// accepted too), plus path variables and query parameters filled into the request message.
// Unknown fields are rejected with INVALID_ARGUMENT naming the field. Pure and thread-safe.

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "router.h"
#include "salesos/core/status.h"

namespace salesos::gateway {

// Fills `out` (of the route's input type) from the JSON body (when the route takes one), the
// query string (without '?') and the path parameters, in that order, so the path wins.
Status BuildRequest(const Route& route, const PathParams& params, std::string_view query,
                    std::string_view body, google::protobuf::Message* out);

// The JSON of a response: lowerCamelCase, every field present (zeros and empty lists included).
std::string ToJson(const google::protobuf::Message& message);

// Sets one scalar (or repeated scalar, appended) field from its text form: numbers, booleans
// (true/false/1/0), enums by name or number, strings, bytes (base64). `label` names it in errors.
Status SetFieldFromText(google::protobuf::Message* msg, const google::protobuf::FieldDescriptor* f,
                        std::string_view text, std::string_view label);

}  // namespace salesos::gateway
