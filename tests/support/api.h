#pragma once

// The SalesOS API as integration tests use it through the gateway: JSON in and out, accounts
// (register, add a member and sign it in), error bodies, the shared service secret of a Suite
// and the events its services published. One place for what every integration test needs, so each file keeps only its own story.
// Functions that check what they depend on do so with Catch2's REQUIRE.

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/suite.h"

namespace salesos::testing {

inline constexpr char kTestPassword[] = "correct horse battery";

// The body parsed as JSON (the body is shown when it is not JSON).
boost::json::value Json(const HttpResult& r);
std::string Str(const boost::json::value& v);
// The strings of a JSON array.
std::vector<std::string> Strings(const boost::json::value& v);

// error.code, error.message, and the field of each error.details entry (ErrorField: the first).
std::string ErrorCode(const HttpResult& r);
std::string ErrorMessage(const HttpResult& r);
std::vector<std::string> ErrorFields(const HttpResult& r);
std::string ErrorField(const HttpResult& r);

// "<tag>-<random>@example.com"
std::string UniqueEmail(const std::string& tag);

struct Account {
  std::string email;
  std::string token;  // the access token
  std::string user_id;
  std::string workspace_id;
  std::string refresh_token;  // of the session `token` belongs to
};

// Registers a new owner (password kTestPassword) with a new workspace called `business_name`.
Account Register(HttpClient& client, const std::string& business_name = "Test Business");
// Creates a member of owner's workspace with `role` and signs it in (checking it got that role
// in that workspace).
Account AddMember(HttpClient& client, const Account& owner, const std::string& role);
// POST /api/v1/auth/login, whatever it answers.
HttpResult Login(HttpClient& client, const std::string& email,
                 const std::string& password = kTestPassword);
// The account of `email` in a 200 answer of register or login.
Account FromAuthResponse(const std::string& email, const HttpResult& r);

// A request with the bearer token (none when empty).
HttpResult Send(HttpClient& client, const std::string& method, const std::string& path,
                const std::string& token, const std::string& body = "");
HttpResult Send(HttpClient& client, const std::string& method, const std::string& path,
                const std::string& token, const boost::json::value& body);
// A literal body is sent as written (not as a JSON string).
inline HttpResult Send(HttpClient& client, const std::string& method, const std::string& path,
                       const std::string& token, const char* body) {
  return Send(client, method, path, token, std::string(body));
}

// The service secret the suite's services share (for calling service-only rpcs in tests).
std::string SharedSecret(const Suite& suite);

// The types of the salesos:events entries of a workspace that start with `type_prefix`, in
// stream order; CountEvents: how many have exactly `type`.
std::vector<std::string> EventTypes(Suite& suite, const std::string& workspace_id,
                                    const std::string& type_prefix = "");
int CountEvents(Suite& suite, const std::string& type, const std::string& workspace_id);

}  // namespace salesos::testing
