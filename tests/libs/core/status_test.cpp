// Status, Result<T> and the early-return macros.

#include "salesos/core/status.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace salesos {
namespace {

TEST_CASE("a default status is ok and prints OK", "[core][status]") {
  Status st;
  CHECK(st.ok());
  CHECK(st.code() == Code::kOk);
  CHECK(st.message().empty());
  CHECK(st.violations().empty());
  CHECK(st.ToString() == "OK");
  CHECK(OkStatus().ok());
}

TEST_CASE("status helpers set the code and message", "[core][status]") {
  CHECK(InvalidArgument("x").code() == Code::kInvalidArgument);
  CHECK(NotFound("x").code() == Code::kNotFound);
  CHECK(AlreadyExists("x").code() == Code::kAlreadyExists);
  CHECK(PermissionDenied("x").code() == Code::kPermissionDenied);
  CHECK(Unauthenticated("x").code() == Code::kUnauthenticated);
  CHECK(FailedPrecondition("x").code() == Code::kFailedPrecondition);
  CHECK(ResourceExhausted("x").code() == Code::kResourceExhausted);
  CHECK(Unavailable("x").code() == Code::kUnavailable);
  CHECK(Internal("x").code() == Code::kInternal);
  Status st = NotFound("campaign 42 not found");
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "campaign 42 not found");
  CHECK(st.ToString() == "NOT_FOUND: campaign 42 not found");
}

TEST_CASE("status codes are numbered and named as grpc's", "[core][status]") {
  CHECK(static_cast<int>(Code::kInvalidArgument) == 3);
  CHECK(static_cast<int>(Code::kNotFound) == 5);
  CHECK(static_cast<int>(Code::kInternal) == 13);
  CHECK(static_cast<int>(Code::kUnavailable) == 14);
  CHECK(static_cast<int>(Code::kUnauthenticated) == 16);
  CHECK(std::string(CodeName(Code::kOk)) == "OK");
  CHECK(std::string(CodeName(Code::kInvalidArgument)) == "INVALID_ARGUMENT");
  CHECK(std::string(CodeName(Code::kFailedPrecondition)) == "FAILED_PRECONDITION");
  CHECK(std::string(CodeName(Code::kUnauthenticated)) == "UNAUTHENTICATED");
  CHECK(std::string(CodeName(static_cast<Code>(99))) == "UNKNOWN");
}

TEST_CASE("field error carries the field and description as a violation", "[core][status]") {
  Status st = FieldError("user.email", "is required");
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message() == "user.email: is required");
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "user.email");
  CHECK(st.violations()[0].description == "is required");
}

TEST_CASE("result holds either a value or a failed status", "[core][status]") {
  Result<int> good = 7;
  CHECK(good.ok());
  CHECK(static_cast<bool>(good));
  CHECK(*good == 7);
  CHECK(good.value() == 7);
  CHECK(good.status().ok());

  Result<int> bad = NotFound("nothing here");
  CHECK_FALSE(bad.ok());
  CHECK_FALSE(static_cast<bool>(bad));
  CHECK(bad.status().code() == Code::kNotFound);
  CHECK(bad.status().message() == "nothing here");

  Result<std::string> text = std::string("abc");
  CHECK(text->size() == 3);
  std::string moved = std::move(text).value();
  CHECK(moved == "abc");
}

TEST_CASE("result holds move-only values", "[core][status]") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  REQUIRE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  REQUIRE(p);
  CHECK(*p == 5);
}

// Helpers for the macros: each records how far it got.
Status Step(bool succeed, int* reached) {
  ++*reached;
  return succeed ? OkStatus() : FailedPrecondition("step failed");
}

Status TwoSteps(bool first, bool second, int* reached) {
  SALESOS_RETURN_IF_ERROR(Step(first, reached));
  SALESOS_RETURN_IF_ERROR(Step(second, reached));
  *reached += 100;
  return OkStatus();
}

Result<int> Parse(const std::string& s) {
  if (s.empty()) {
    return InvalidArgument("empty");
  }
  return static_cast<int>(s.size());
}

Result<std::unique_ptr<int>> MakePtr(bool succeed) {
  if (!succeed) {
    return Unavailable("no pointer today");
  }
  return std::make_unique<int>(11);
}

Result<int> SumOfLengths(const std::string& a, const std::string& b, int* reached) {
  SALESOS_ASSIGN_OR_RETURN(int x, Parse(a));
  ++*reached;
  SALESOS_ASSIGN_OR_RETURN(int y, Parse(b));
  ++*reached;
  return x + y;
}

Status UsePtr(bool succeed, int* out) {
  SALESOS_ASSIGN_OR_RETURN(std::unique_ptr<int> p, MakePtr(succeed));
  *out = *p;
  return OkStatus();
}

TEST_CASE("return if error returns the first failure and runs nothing after it", "[core][status]") {
  int reached = 0;
  CHECK(TwoSteps(true, true, &reached).ok());
  CHECK(reached == 102);

  reached = 0;
  Status st = TwoSteps(false, true, &reached);
  CHECK(st.code() == Code::kFailedPrecondition);
  CHECK(st.message() == "step failed");
  CHECK(reached == 1);

  reached = 0;
  CHECK(TwoSteps(true, false, &reached).code() == Code::kFailedPrecondition);
  CHECK(reached == 2);
}

TEST_CASE("assign or return binds the value or returns the status", "[core][status]") {
  int reached = 0;
  auto sum = SumOfLengths("ab", "cde", &reached);
  REQUIRE(sum.ok());
  CHECK(*sum == 5);
  CHECK(reached == 2);

  reached = 0;
  auto first_bad = SumOfLengths("", "cde", &reached);
  CHECK(first_bad.status().code() == Code::kInvalidArgument);
  CHECK(first_bad.status().message() == "empty");
  CHECK(reached == 0);

  reached = 0;
  auto second_bad = SumOfLengths("ab", "", &reached);
  CHECK(second_bad.status().code() == Code::kInvalidArgument);
  CHECK(reached == 1);

  int out = 0;
  CHECK(UsePtr(true, &out).ok());
  CHECK(out == 11);
  out = 0;
  Status st = UsePtr(false, &out);
  CHECK(st.code() == Code::kUnavailable);
  CHECK(st.message() == "no pointer today");
  CHECK(out == 0);
}

}  // namespace
}  // namespace salesos
