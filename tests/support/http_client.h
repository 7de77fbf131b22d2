#pragma once

// A small synchronous HTTP/1.1 client for tests (Boost.Beast), one keep-alive connection.

#include <map>
#include <string>

namespace salesos::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  // addr: "127.0.0.1:8080"
  explicit HttpClient(std::string addr);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});
  HttpResult Get(const std::string& target, const std::string& bearer = "") {
    return Request("GET", target, "", BearerHeaders(bearer));
  }
  HttpResult Post(const std::string& target, const std::string& json, const std::string& bearer = "") {
    return Request("POST", target, json, BearerHeaders(bearer));
  }
  // Sends raw bytes on a fresh connection and returns what comes back until the server closes
  // or 5 s pass (for malformed or oversized requests).
  std::string Raw(const std::string& bytes);

  static std::map<std::string, std::string> BearerHeaders(const std::string& bearer);

 private:
  struct Impl;
  Impl* impl_;
  std::string addr_;
};

}  // namespace salesos::testing
