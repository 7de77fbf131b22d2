#pragma once

// Transcoder: JSON ⇄ proto with protobuf's JSON mapping (lowerCamelCase names; proto names are
// accepted too), plus path variables and query parameters filled into the request message, and
// raw bodies (uploads) and answers (downloads) as salesos.api.HttpBody.
// Unknown fields are rejected with INVALID_ARGUMENT naming the field. Pure and thread-safe.

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "router.h"
#include "salesos/core/status.h"

namespace salesos::gateway {

// Fills `out` (of the route's input type) from the body (when the route takes one), the query
// string (without '?') and the path parameters, in that order, so the path wins. The body is the
// JSON of the whole message (`body: "*"`) or of the field the route names; an upload route
// (route.raw_body) puts it, unparsed, in that salesos.api.HttpBody field's `content`, and
// `content_type` (the request's Content-Type, as sent) in its `content_type`: what the content
// is, and whether its type will do, is the service's to judge. An empty upload is INVALID_ARGUMENT
// naming the field; a Content-Type that is not UTF-8 is INVALID_ARGUMENT naming "Content-Type".
Status BuildRequest(const Route& route, const PathParams& params, std::string_view query,
                    std::string_view body, google::protobuf::Message* out,
                    std::string_view content_type = {});

// The JSON of a response: lowerCamelCase, every field present (zeros and empty lists included).
std::string ToJson(const google::protobuf::Message& message);

// The HTTP body of a successful call and the headers that describe it.
struct HttpAnswer {
  std::string content_type;
  std::string content_disposition;  // empty unless the answer is a download
  std::string body;
};

// A salesos.api.HttpBody (http_body.proto) is the file it holds: its content as the body, its
// content type (application/octet-stream when empty or not a valid header value) and an
// attachment disposition with its filename. Any other message is its JSON (ToJson).
HttpAnswer ToHttpAnswer(const google::protobuf::Message& message);

// The Content-Disposition of a download named `filename` (RFC 6266): `attachment` alone for an
// empty name, else `attachment; filename="..."` with control characters dropped, path separators
// made '_' and '"' escaped. A name that is not plain ASCII (or holds '"') also gets
// `filename*=UTF-8''<percent-encoded name>` (RFC 8187), which clients prefer; its ASCII
// `filename` fallback has one '_' per non-ASCII character.
std::string AttachmentDisposition(std::string_view filename);

// Sets one scalar (or repeated scalar, appended) field from its text form: numbers, booleans
// (true/false/1/0), enums by name or number, strings (UTF-8 only), bytes (base64). `label` names
// it in errors.
Status SetFieldFromText(google::protobuf::Message* msg, const google::protobuf::FieldDescriptor* f,
                        std::string_view text, std::string_view label);

}  // namespace salesos::gateway
