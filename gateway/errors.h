#pragma once

// The gateway's answers to errors: the HTTP status of each code (DESIGN §4) and the JSON body
// {"error":{"code":"...","message":"...","details":[{"field":"...","description":"..."}],"requestId":"..."}}

#include <string>

#include "salesos/core/status.h"

namespace salesos::gateway {

unsigned HttpStatusFor(Code code);
std::string ErrorJson(const Status& status, const std::string& request_id);

}  // namespace salesos::gateway
