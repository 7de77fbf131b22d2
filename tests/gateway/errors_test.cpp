#include "errors.h"
#include "gateway.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace salesos;

TEST_CASE("each status code maps to the HTTP status of the design", "[gateway][errors]") {
  CHECK(gateway::HttpStatusFor(Code::kInvalidArgument) == 400);
  CHECK(gateway::HttpStatusFor(Code::kUnauthenticated) == 401);
  CHECK(gateway::HttpStatusFor(Code::kPermissionDenied) == 403);
  CHECK(gateway::HttpStatusFor(Code::kNotFound) == 404);
  CHECK(gateway::HttpStatusFor(Code::kAlreadyExists) == 409);
  CHECK(gateway::HttpStatusFor(Code::kAborted) == 409);
  CHECK(gateway::HttpStatusFor(Code::kFailedPrecondition) == 412);
  CHECK(gateway::HttpStatusFor(Code::kResourceExhausted) == 429);
  CHECK(gateway::HttpStatusFor(Code::kUnavailable) == 503);
  CHECK(gateway::HttpStatusFor(Code::kDeadlineExceeded) == 504);
  CHECK(gateway::HttpStatusFor(Code::kInternal) == 500);
}

TEST_CASE("the error body is valid JSON with code, message, details and request id",
          "[gateway][errors]") {
  Status st = FieldError("email", "is not a \"valid\" address");
  auto v = boost::json::parse(gateway::ErrorJson(st, "req-1"));
  const auto& e = v.at("error");
  CHECK(e.at("code").as_string() == "INVALID_ARGUMENT");
  CHECK(e.at("requestId").as_string() == "req-1");
  CHECK(e.at("details").as_array().size() == 1);
  CHECK(e.at("details").at(0).at("field").as_string() == "email");
}

TEST_CASE("an unavailable service answers 503 with Retry-After so clients and Meta come back",
          "[gateway][errors]") {
  auto res = gateway::Gateway::Error(11, true, Unavailable("conversation is restarting"), "r1");
  CHECK(res.result_int() == 503);
  CHECK(res[boost::beast::http::field::retry_after] == "1");
  // A status that names its own wait keeps it; other errors carry none.
  auto limited = gateway::Gateway::Error(11, true, Unavailable("busy").WithRetryAfter(7), "r2");
  CHECK(limited[boost::beast::http::field::retry_after] == "7");
  auto bad = gateway::Gateway::Error(11, true, InvalidArgument("no"), "r3");
  CHECK(bad[boost::beast::http::field::retry_after].empty());
}
