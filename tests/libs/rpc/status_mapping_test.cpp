// salesos::Status <-> grpc::Status: codes, messages and field violations survive the trip;
// internal errors never reach a client.

#include "salesos/rpc/status_mapping.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace salesos::rpc {
namespace {

TEST_CASE("ok maps to grpc ok and back", "[rpc][status]") {
  grpc::Status g = ToGrpc(OkStatus());
  CHECK(g.ok());
  CHECK(FromGrpc(g).ok());
  CHECK(FromGrpc(grpc::Status::OK).ok());
}

TEST_CASE("field violations survive a round trip through grpc", "[rpc][status]") {
  Status original(
      Code::kInvalidArgument, "2 fields are invalid",
      {{"email", "is not a valid email address"}, {"password", "must be at least 10 characters"}});
  grpc::Status g = ToGrpc(original);
  CHECK(g.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(g.error_message() == "2 fields are invalid");
  CHECK_FALSE(g.error_details().empty());

  Status back = FromGrpc(g);
  CHECK(back.code() == Code::kInvalidArgument);
  CHECK(back.message() == "2 fields are invalid");
  REQUIRE(back.violations().size() == 2);
  CHECK(back.violations()[0].field == "email");
  CHECK(back.violations()[0].description == "is not a valid email address");
  CHECK(back.violations()[1].field == "password");
  CHECK(back.violations()[1].description == "must be at least 10 characters");
}

TEST_CASE("a field error keeps its single violation through grpc", "[rpc][status]") {
  Status back = FromGrpc(ToGrpc(FieldError("user.email", "is required")));
  CHECK(back.code() == Code::kInvalidArgument);
  CHECK(back.message() == "user.email: is required");
  REQUIRE(back.violations().size() == 1);
  CHECK(back.violations()[0].field == "user.email");
}

TEST_CASE("application codes map one to one with their message", "[rpc][status]") {
  const std::vector<Code> codes = {
      Code::kCancelled,         Code::kInvalidArgument,    Code::kDeadlineExceeded,
      Code::kNotFound,          Code::kAlreadyExists,      Code::kPermissionDenied,
      Code::kResourceExhausted, Code::kFailedPrecondition, Code::kAborted,
      Code::kOutOfRange,        Code::kUnimplemented,      Code::kUnavailable,
      Code::kUnauthenticated};
  for (Code code : codes) {
    INFO(CodeName(code));
    Status original(code, std::string("because ") + CodeName(code));
    grpc::Status g = ToGrpc(original);
    CHECK(static_cast<int>(g.error_code()) == static_cast<int>(code));
    CHECK(g.error_message() == original.message());
    CHECK(g.error_details().empty());
    Status back = FromGrpc(g);
    CHECK(back.code() == code);
    CHECK(back.message() == original.message());
    CHECK(back.violations().empty());
  }
}

TEST_CASE("an internal error reaches the client as a generic message", "[rpc][status]") {
  const std::string leak =
      "ERROR: relation \"users\" does not exist; SELECT password_hash FROM users WHERE id = $1";
  for (Code code : {Code::kInternal, Code::kUnknown, Code::kDataLoss}) {
    INFO(CodeName(code));
    grpc::Status g = ToGrpc(Status(code, leak, {{"sql", leak}}));
    CHECK(g.error_code() == grpc::StatusCode::INTERNAL);
    CHECK_FALSE(g.error_message().empty());
    CHECK_THAT(g.error_message(), !Catch::Contains("SELECT"));
    CHECK_THAT(g.error_message(), !Catch::Contains("users"));
    CHECK_THAT(g.error_message(), !Catch::Contains("password_hash"));
    CHECK(g.error_details().empty());
    Status back = FromGrpc(g);
    CHECK(back.code() == Code::kInternal);
    CHECK(back.violations().empty());
  }
}

TEST_CASE("error details that do not parse are ignored", "[rpc][status]") {
  grpc::Status g(grpc::StatusCode::INVALID_ARGUMENT, "bad", std::string("\xff\xff\xff\x01", 4));
  Status back = FromGrpc(g);
  CHECK(back.code() == Code::kInvalidArgument);
  CHECK(back.message() == "bad");
  CHECK(back.violations().empty());
}

}  // namespace
}  // namespace salesos::rpc
