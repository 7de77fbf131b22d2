#include "salesos/http/client.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/local_http_server.h"

namespace salesos::http {
namespace {

namespace net = boost::asio;
using testing::ClosedPort;
using testing::LocalHttpServer;
using tcp = net::ip::tcp;

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

// A server that echoes what it got: method, target, a header, the body; and remembers requests.
struct EchoServer {
  std::mutex mu;
  std::vector<LocalHttpServer::Request> seen;
  std::atomic<bool> hold{false};
  std::string body_override;
  LocalHttpServer server{
      [this](const LocalHttpServer::Request& req) -> std::optional<LocalHttpServer::Response> {
        {
          std::lock_guard lock(mu);
          seen.push_back(req);
        }
        if (hold) {
          return std::nullopt;
        }
        auto res = LocalHttpServer::Reply(req, 201,
                                          body_override.empty()
                                              ? std::string(req.method_string()) + " " +
                                                    std::string(req.target()) + " " + req.body()
                                              : body_override,
                                          "text/plain");
        res.set("X-Echo-Token", std::string(req["X-Token"]));
        return res;
      }};

  std::string url(const std::string& target) const { return server.origin() + target; }
};

HttpRequest Post(std::string url, std::string body = "{}", int timeout_ms = 2000) {
  HttpRequest req;
  req.url = std::move(url);
  req.body = std::move(body);
  req.timeout_ms = timeout_ms;
  return req;
}

TEST_CASE("a request gets its answer with status, headers and body", "[http]") {
  EchoServer echo;
  HttpClient client;
  HttpRequest req = Post(echo.url("/v1/things?a=1&b=x%20y"), R"({"k":"v"})");
  req.headers = {{"X-Token", "t-123"}, {"Content-Type", "application/json"}};
  auto res = client.Send(req);
  REQUIRE(res.ok());
  CHECK(res->status == 201);
  CHECK(res->body == R"(POST /v1/things?a=1&b=x%20y {"k":"v"})");
  CHECK(res->Header("x-echo-token") == "t-123");
  CHECK(res->Header("CONTENT-TYPE") == "text/plain");
  CHECK(res->Header("x-missing").empty());
  CHECK(res->cut_off.empty());

  std::lock_guard lock(echo.mu);
  REQUIRE(echo.seen.size() == 1);
  const auto& got = echo.seen[0];
  CHECK(got["Host"] == "127.0.0.1:" + std::to_string(echo.server.port()));
  CHECK(got["Content-Type"] == "application/json");
  CHECK(got["User-Agent"] == "salesos/1.0");
  CHECK(got["Connection"] == "close");
  CHECK(got["Content-Length"] == "9");
}

TEST_CASE("a 4xx or 5xx is an answer, not an error", "[http]") {
  LocalHttpServer server([](const LocalHttpServer::Request& req) {
    return LocalHttpServer::Reply(req, 503, R"({"error":"busy"})");
  });
  HttpClient client;
  auto res = client.Send(Post(server.origin() + "/x"));
  REQUIRE(res.ok());
  CHECK(res->status == 503);
  CHECK(res->body == R"({"error":"busy"})");
}

TEST_CASE("a held answer times out within the deadline", "[http]") {
  EchoServer echo;
  echo.hold = true;
  HttpClient client;
  auto start = std::chrono::steady_clock::now();
  auto res = client.Send(Post(echo.url("/slow"), "{}", 300));
  int64_t elapsed = ElapsedMs(start);
  REQUIRE_FALSE(res.ok());
  CHECK(res.status().code() == Code::kDeadlineExceeded);
  CHECK(res.status().message() == "no answer within 300 ms");
  CHECK(elapsed >= 290);
  CHECK(elapsed < 300 + 500);
}

TEST_CASE("a body over the cap is OutOfRange", "[http]") {
  EchoServer echo;
  echo.body_override = std::string(5000, 'a');
  HttpClientOptions options;
  options.max_response_bytes = 4096;
  HttpClient small(options);
  auto res = small.Send(Post(echo.url("/big")));
  REQUIRE_FALSE(res.ok());
  CHECK(res.status().code() == Code::kOutOfRange);
  CHECK_THAT(res.status().message(), Catch::Contains("larger than 4096 bytes"));

  options.max_response_bytes = 5000;
  HttpClient roomy(options);
  auto fits = roomy.Send(Post(echo.url("/big")));
  REQUIRE(fits.ok());
  CHECK(fits->body.size() == 5000);
}

TEST_CASE("a closed port is Unavailable at once", "[http]") {
  HttpClient client;
  auto start = std::chrono::steady_clock::now();
  uint16_t port = ClosedPort();
  auto res = client.Send(Post("http://127.0.0.1:" + std::to_string(port) + "/x"));
  REQUIRE_FALSE(res.ok());
  CHECK(res.status().code() == Code::kUnavailable);
  CHECK(res.status().message() ==
        "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  CHECK(ElapsedMs(start) < 1000);
}

TEST_CASE("a peer that does not speak HTTP is DataLoss", "[http]") {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  std::thread peer([&] {
    boost::system::error_code ec;
    tcp::socket socket(ioc);
    acceptor.accept(socket, ec);
    char buf[1024];
    socket.read_some(net::buffer(buf), ec);
    net::write(socket, net::buffer(std::string("SSH-2.0-OpenSSH_9.2\r\n")), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  });
  HttpClient client;
  auto res = client.Send(Post("http://127.0.0.1:" + std::to_string(port) + "/x"));
  peer.join();
  REQUIRE_FALSE(res.ok());
  CHECK(res.status().code() == Code::kDataLoss);
  CHECK_THAT(res.status().message(), Catch::StartsWith("no valid HTTP answer from 127.0.0.1:"));
}

TEST_CASE("malformed URLs and requests are refused before sending", "[http]") {
  HttpClient client;
  for (const char* url : {"", "not a url", "ftp://example.com/x", "http://", "http://user:pw@h/x",
                          "http://example.com:0/x", "http://example.com:70000/x",
                          "http://exa mple.com/x", "/relative/path"}) {
    INFO(url);
    auto res = client.Send(Post(url));
    REQUIRE_FALSE(res.ok());
    CHECK(res.status().code() == Code::kInvalidArgument);
  }
  EchoServer echo;
  HttpRequest smuggled = Post(echo.url("/x"));
  smuggled.headers = {{"X-Token", "a\r\nX-Evil: 1"}};
  auto refused = client.Send(smuggled);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kInvalidArgument);
  CHECK(refused.status().message().find("X-Evil") == std::string::npos);

  HttpRequest bad_method = Post(echo.url("/x"));
  bad_method.method = "BREW";
  CHECK(client.Send(bad_method).status().code() == Code::kInvalidArgument);
  HttpRequest no_time = Post(echo.url("/x"), "{}", 0);
  CHECK(client.Send(no_time).status().code() == Code::kInvalidArgument);
  std::lock_guard lock(echo.mu);
  CHECK(echo.seen.empty());
}

TEST_CASE("ParseUrl takes a URL apart", "[http]") {
  auto u = ParseUrl("HTTPS://Graph.Facebook.COM./v21.0/me/messages?access_token=a%2Bb#frag");
  REQUIRE(u.ok());
  CHECK(u->scheme == "https");
  CHECK(u->https());
  CHECK(u->host == "graph.facebook.com");
  CHECK_FALSE(u->host_is_ip);
  CHECK(u->port == 443);
  CHECK(u->target == "/v21.0/me/messages?access_token=a%2Bb");
  CHECK(u->HostHeader() == "graph.facebook.com");

  auto v6 = ParseUrl("http://[::1]:8080");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->host_is_ip);
  CHECK(v6->target == "/");
  CHECK(v6->HostHeader() == "[::1]:8080");

  auto bad = ParseUrl("http://example.com:99999/x?access_token=secret");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("secret") == std::string::npos);
}

TEST_CASE("the resolve hook chooses the addresses and may refuse", "[http]") {
  EchoServer echo;
  HttpClient client;
  // The URL names a host that does not exist; the hook sends the call to the echo server.
  std::string seen_host;
  auto to_echo = [&](const Url& url, std::chrono::milliseconds timeout) -> Result<Endpoints> {
    seen_host = url.host;
    CHECK(timeout.count() > 0);
    CHECK(timeout.count() <= 2000);
    return Endpoints{tcp::endpoint(net::ip::make_address("127.0.0.1"), echo.server.port())};
  };
  auto res =
      client.Send(Post("http://api.invalid:" + std::to_string(echo.server.port()) + "/y"), to_echo);
  REQUIRE(res.ok());
  CHECK(seen_host == "api.invalid");
  CHECK(res->body == "POST /y {}");

  auto refuse = [](const Url&, std::chrono::milliseconds) -> Result<Endpoints> {
    return PermissionDenied("private address");
  };
  auto refused = client.Send(Post(echo.url("/z")), refuse);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kPermissionDenied);
  CHECK(refused.status().message() == "private address");
  std::lock_guard lock(echo.mu);
  CHECK(echo.seen.size() == 1);
}

TEST_CASE("Resolve answers IP literals without DNS", "[http]") {
  auto url = ParseUrl("http://127.0.0.1:8081/");
  REQUIRE(url.ok());
  auto endpoints = Resolve(*url, std::chrono::milliseconds(100));
  REQUIRE(endpoints.ok());
  REQUIRE(endpoints->size() == 1);
  CHECK(endpoints->at(0).port() == 8081);
  CHECK(endpoints->at(0).address().to_string() == "127.0.0.1");
}

TEST_CASE("one client serves concurrent requests", "[http]") {
  EchoServer echo;
  HttpClient client;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (auto res = client.Send(Post(echo.url("/c"))); res.ok() && res->status == 201) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(ok == 20);
}

}  // namespace
}  // namespace salesos::http
