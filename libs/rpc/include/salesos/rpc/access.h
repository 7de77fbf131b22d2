#pragma once

// Access rules: the (salesos.api.access) option of each rpc, applied to a verified caller. The
// interceptor of every service decides each call with these; the gateway reads the same rules.

#include <string_view>

#include "salesos/api/access.pb.h"
#include "salesos/core/status.h"
#include "salesos/rpc/caller.h"

namespace salesos::rpc {

// The rule of a method named as gRPC names it ("/salesos.auth.v1.AuthService/Login"). Methods
// outside our contracts (health, reflection) are anonymous. Thread-safe, cached.
const api::AccessRule& AccessRuleFor(std::string_view grpc_method);

// The decision for one call: `caller` is the token's verification (or UNAUTHENTICATED when there
// was none). Anonymous rules let anyone through (with the caller when its token was valid);
// service_only rules only service tokens; others a user whose role ranks at least min_role
// (viewer when unset) — service tokens pass, being SalesOS itself.
Result<Caller> Decide(const api::AccessRule& rule, Result<Caller> caller);

}  // namespace salesos::rpc
