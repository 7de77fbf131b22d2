#include "support/api.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"
#include "salesos/redis/redis.h"

namespace salesos::testing {

namespace json = boost::json;

json::value Json(const HttpResult& r) {
  INFO("status " << r.status << ", body: " << r.body);
  json::error_code ec;
  json::value v = json::parse(r.body, ec);
  REQUIRE_FALSE(ec);
  return v;
}

std::string Str(const json::value& v) { return std::string(v.as_string()); }

std::vector<std::string> Strings(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) {
    out.push_back(Str(s));
  }
  return out;
}

std::string ErrorCode(const HttpResult& r) { return Str(Json(r).at("error").at("code")); }

std::string ErrorMessage(const HttpResult& r) { return Str(Json(r).at("error").at("message")); }

std::vector<std::string> ErrorFields(const HttpResult& r) {
  std::vector<std::string> out;
  json::value body = Json(r);
  for (const auto& d : body.at("error").at("details").as_array()) {
    out.push_back(Str(d.at("field")));
  }
  return out;
}

std::string ErrorField(const HttpResult& r) {
  return Str(Json(r).at("error").at("details").at(0).at("field"));
}

std::string UniqueEmail(const std::string& tag) {
  return tag + "-" + RandomHex(4) + "@example.com";
}

Account FromAuthResponse(const std::string& email, const HttpResult& r) {
  json::value body = Json(r);
  return Account{email, Str(body.at("accessToken")), Str(body.at("user").at("id")),
                 Str(body.at("workspace").at("id")), Str(body.at("refreshToken"))};
}

HttpResult Login(HttpClient& client, const std::string& email, const std::string& password) {
  return client.Post("/api/v1/auth/login",
                     json::serialize(json::object{{"email", email}, {"password", password}}));
}

Account Register(HttpClient& client, const std::string& business_name) {
  std::string email = UniqueEmail("owner");
  HttpResult r = client.Post("/api/v1/auth/register",
                             json::serialize(json::object{{"email", email},
                                                          {"password", kTestPassword},
                                                          {"name", "Olive Owner"},
                                                          {"businessName", business_name}}));
  INFO(r.body);
  REQUIRE(r.status == 200);
  return FromAuthResponse(email, r);
}

Account AddMember(HttpClient& client, const Account& owner, const std::string& role) {
  std::string email = UniqueEmail(role);
  HttpResult created = Send(client, "POST", "/api/v1/workspace/members", owner.token,
                            json::object{{"email", email},
                                         {"name", "Member " + role},
                                         {"role", role},
                                         {"password", kTestPassword}});
  INFO(created.body);
  REQUIRE(created.status == 200);
  HttpResult login = Login(client, email);
  INFO(login.body);
  REQUIRE(login.status == 200);
  CHECK(Str(Json(login).at("user").at("role")) == role);
  CHECK(Str(Json(login).at("workspace").at("id")) == owner.workspace_id);
  return FromAuthResponse(email, login);
}

HttpResult Send(HttpClient& client, const std::string& method, const std::string& path,
                const std::string& token, const std::string& body) {
  return client.Request(method, path, body, HttpClient::BearerHeaders(token));
}

HttpResult Send(HttpClient& client, const std::string& method, const std::string& path,
                const std::string& token, const json::value& body) {
  return Send(client, method, path, token, json::serialize(body));
}

std::string SharedSecret(const Suite& suite) {
  std::string text = ReadFile(suite.data_dir() + "/service.secret");
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  auto secret = crypto::Base64Decode(text);
  REQUIRE(secret.ok());
  return *secret;
}

std::vector<std::string> EventTypes(Suite& suite, const std::string& workspace_id,
                                    const std::string& type_prefix) {
  auto redis = redis::Connect(suite.redis().url());
  REQUIRE(redis.ok());
  auto reply = (*redis)->Command({"XRANGE", "salesos:events", "-", "+"});
  INFO(reply.status().ToString());
  REQUIRE(reply.ok());
  std::vector<std::string> out;
  for (const auto& entry : reply->elements) {
    REQUIRE(entry.elements.size() == 2);
    const auto& fields = entry.elements[1].elements;
    std::string type, workspace;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "type") {
        type = fields[i + 1].str;
      } else if (fields[i].str == "workspace") {
        workspace = fields[i + 1].str;
      }
    }
    if (workspace == workspace_id && type.starts_with(type_prefix)) {
      out.push_back(type);
    }
  }
  return out;
}

int CountEvents(Suite& suite, const std::string& type, const std::string& workspace_id) {
  auto types = EventTypes(suite, workspace_id, type);
  return static_cast<int>(std::count(types.begin(), types.end(), type));
}

}  // namespace salesos::testing
