#include "errors.h"

#include "salesos/core/log.h"

namespace salesos::gateway {

unsigned HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kOutOfRange: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists: return 409;
    case Code::kAborted: return 409;
    case Code::kFailedPrecondition: return 412;
    case Code::kResourceExhausted: return 429;
    case Code::kCancelled: return 499;
    case Code::kUnimplemented: return 501;
    case Code::kUnavailable: return 503;
    case Code::kDeadlineExceeded: return 504;
    case Code::kUnknown:
    case Code::kInternal:
    case Code::kDataLoss: return 500;
  }
  return 500;
}

std::string ErrorJson(const Status& status, const std::string& request_id) {
  std::string out = "{\"error\":{\"code\":\"";
  out += CodeName(status.code());
  out += "\",\"message\":\"";
  log::AppendJsonEscaped(out, status.message());
  out += "\",\"details\":[";
  bool first = true;
  for (const auto& v : status.violations()) {
    out += first ? "" : ",";
    first = false;
    out += "{\"field\":\"";
    log::AppendJsonEscaped(out, v.field);
    out += "\",\"description\":\"";
    log::AppendJsonEscaped(out, v.description);
    out += "\"}";
  }
  out += "],\"requestId\":\"";
  log::AppendJsonEscaped(out, request_id);
  out += "\"}}";
  return out;
}

}  // namespace salesos::gateway
