#include "salesos/http/egress.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "support/local_http_server.h"

namespace salesos::http {
namespace {

namespace ip = boost::asio::ip;
using std::chrono::milliseconds;
using testing::LocalHttpServer;

TEST_CASE("the egress guard refuses private, loopback, link-local and reserved addresses",
          "[http][egress]") {
  for (const char* a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::",
                        "fc00::1", "fd12::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1",
                        "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a00:1::1"}) {
    INFO(a);
    CHECK(IsPrivateAddress(ip::make_address(a)));
  }
  for (const char* a : {"8.8.8.8", "203.0.113.7", "172.32.0.1", "2606:4700:4700::1111",
                        "::ffff:8.8.8.8", "2002:808:808::1"}) {
    INFO(a);
    CHECK_FALSE(IsPrivateAddress(ip::make_address(a)));
  }
}

TEST_CASE("a URL resolving to a private address is refused unless private egress is allowed",
          "[http][egress]") {
  for (const char* text : {"http://127.0.0.1:8080/x", "https://localhost/x", "http://[::1]/x",
                           "http://2130706433/x", "http://169.254.169.254/latest"}) {
    INFO(text);
    auto url = ParseUrl(text);
    REQUIRE(url.ok());
    auto refused = ResolveEgress(*url, false, milliseconds(2000));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == Code::kPermissionDenied);
    CHECK(refused.status().message().find("private") != std::string::npos);
    auto allowed = ResolveEgress(*url, true, milliseconds(2000));
    REQUIRE(allowed.ok());
    CHECK((*allowed)[0].port() == url->port);
  }
  auto public_ip = ParseUrl("https://203.0.113.7:8443/x");
  REQUIRE(public_ip.ok());
  auto endpoints = ResolveEgress(*public_ip, false, milliseconds(1000));
  REQUIRE(endpoints.ok());
  REQUIRE(endpoints->size() == 1);
  CHECK((*endpoints)[0].address().to_string() == "203.0.113.7");
  CHECK((*endpoints)[0].port() == 8443);
}

TEST_CASE("the client with the egress resolver never connects to a refused address",
          "[http][egress]") {
  std::atomic<int> hits{0};
  LocalHttpServer server([&hits](const LocalHttpServer::Request& req) {
    ++hits;
    return std::optional<LocalHttpServer::Response>(LocalHttpServer::Reply(req, 204, ""));
  });
  HttpClient client;
  HttpRequest req;
  req.url = server.origin() + "/hook";
  req.body = "{}";
  auto refused = client.Send(req, EgressResolver(false));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kPermissionDenied);
  CHECK(hits.load() == 0);
  auto allowed = client.Send(req, EgressResolver(true));
  REQUIRE(allowed.ok());
  CHECK(allowed->status == 204);
  CHECK(hits.load() == 1);
}

TEST_CASE("saving a URL names its field for bad syntax, plain http or a private host",
          "[http][egress]") {
  EgressUrlRules rules;
  rules.https_only_unless_private = true;
  rules.max_length = 100;
  for (const std::string& text :
       {std::string("ftp://example.com/"), std::string("https://u:p@example.com/"),
        std::string("http://203.0.113.7/"), std::string("https://10.0.0.5/"),
        std::string("https://example.com/") + std::string(100, 'a')}) {
    INFO(text);
    auto st = CheckEgressUrl(text, "url", rules);
    REQUIRE_FALSE(st.ok());
    CHECK(st.status().code() == Code::kInvalidArgument);
    REQUIRE(st.status().violations().size() == 1);
    CHECK(st.status().violations()[0].field == "url");
  }
  CHECK(CheckEgressUrl("https://203.0.113.7/in", "url", rules).ok());
  // A name that does not resolve now is accepted; the request-time check decides then.
  CHECK(CheckEgressUrl("https://no-such-host.invalid/in", "url", rules).ok());
  rules.allow_private = true;
  CHECK(CheckEgressUrl("http://127.0.0.1:8080/in", "url", rules).ok());
}

}  // namespace
}  // namespace salesos::http
