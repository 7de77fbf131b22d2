#pragma once

#include <grpcpp/support/status.h>

#include "salesos/core/status.h"

namespace salesos::rpc {

// salesos::Status → grpc::Status; field violations travel serialized as
// salesos.common.v1.ErrorDetails in error_details. Internal messages are replaced by a generic
// one (the original is logged), so no SQL or stack text reaches a client.
grpc::Status ToGrpc(const Status& status);
// grpc::Status → salesos::Status, violations included.
Status FromGrpc(const grpc::Status& status);

}  // namespace salesos::rpc
