#include "salesos/rpc/status_mapping.h"

#include "salesos/common/v1/common.pb.h"
#include "salesos/core/log.h"

namespace salesos::rpc {

grpc::Status ToGrpc(const Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  auto code = static_cast<grpc::StatusCode>(status.code());
  if (status.code() == Code::kInternal || status.code() == Code::kUnknown ||
      status.code() == Code::kDataLoss) {
    log::Error("internal error", {{"error", status.message()}});
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error; see the service log");
  }
  if (status.violations().empty() && status.retry_after_seconds() <= 0) {
    return grpc::Status(code, status.message());
  }
  common::v1::ErrorDetails details;
  details.set_retry_after_seconds(status.retry_after_seconds());
  for (const auto& v : status.violations()) {
    auto* fv = details.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
  }
  return grpc::Status(code, status.message(), details.SerializeAsString());
}

Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) {
    return OkStatus();
  }
  std::vector<FieldViolation> violations;
  int retry_after = 0;
  if (!status.error_details().empty()) {
    common::v1::ErrorDetails details;
    if (details.ParseFromString(status.error_details())) {
      for (const auto& fv : details.field_violations()) {
        violations.push_back({fv.field(), fv.description()});
      }
      retry_after = details.retry_after_seconds();
    }
  }
  Status out(static_cast<Code>(status.error_code()), status.error_message(), std::move(violations));
  return retry_after > 0 ? std::move(out).WithRetryAfter(retry_after) : out;
}

}  // namespace salesos::rpc
