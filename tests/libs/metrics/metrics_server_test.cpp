// MetricsServer over real sockets: GET /metrics, the error answers, the limits, Stop.

#include "salesos/metrics/metrics_server.h"

#include <catch2/catch.hpp>
#include <string>

#include "support/http_client.h"

namespace salesos::metrics {
namespace {

using testing::HttpClient;

TEST_CASE("the metrics server answers GET /metrics with the registry", "[metrics]") {
  Registry r;
  r.AddCounter("salesos_served_total", "Served.", {"x"}).WithLabels({"y"}).Inc(5);
  MetricsServer server(r);
  REQUIRE(server.Start("127.0.0.1:0").ok());
  REQUIRE(server.port() > 0);
  CHECK(server.address() == "127.0.0.1:" + std::to_string(server.port()));
  HttpClient http(server.address());
  auto res = http.Get("/metrics");
  CHECK(res.status == 200);
  CHECK(res.Header("content-type").starts_with("text/plain; version=0.0.4"));
  CHECK(res.body.find("salesos_served_total{x=\"y\"} 5\n") != std::string::npos);
  // Each scrape sees the current values.
  r.AddCounter("salesos_served_total", "Served.", {"x"}).WithLabels({"y"}).Inc();
  HttpClient again(server.address());
  CHECK(again.Get("/metrics?x=1").body.find("salesos_served_total{x=\"y\"} 6\n") !=
        std::string::npos);
}

TEST_CASE("the metrics server answers 404 elsewhere and 405 for other methods", "[metrics]") {
  Registry r;
  MetricsServer server(r);
  REQUIRE(server.Start("127.0.0.1:0").ok());
  CHECK(HttpClient(server.address()).Get("/").status == 404);
  CHECK(HttpClient(server.address()).Get("/metricsx").status == 404);
  auto post = HttpClient(server.address()).Post("/metrics", "{}");
  CHECK(post.status == 405);
  CHECK(post.Header("allow") == "GET, HEAD");
}

TEST_CASE("the metrics server refuses an oversized request head and survives garbage",
          "[metrics]") {
  Registry r;
  r.AddGauge("salesos_alive", "Alive.").Get().Set(1);
  MetricsServerOptions options;
  options.max_request_bytes = 1024;
  options.read_timeout_ms = 300;
  MetricsServer server(r, options);
  REQUIRE(server.Start("127.0.0.1:0").ok());
  std::string big = "GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(4096, 'a') + "\r\n\r\n";
  CHECK(HttpClient(server.address()).Raw(big).starts_with("HTTP/1.1 431"));
  CHECK(HttpClient(server.address()).Raw("nonsense\r\n\r\n").starts_with("HTTP/1.1 400"));
  // A client that never finishes its head is closed after the read timeout (Raw returns once the
  // server closes, with nothing written).
  CHECK(HttpClient(server.address()).Raw("GET /metrics HTTP/1.1\r\n").empty());
  CHECK(HttpClient(server.address()).Get("/metrics").body.find("salesos_alive 1") !=
        std::string::npos);
}

TEST_CASE("the metrics server reports a bad address and stops cleanly", "[metrics]") {
  Registry r;
  MetricsServer bad(r);
  CHECK(bad.Start("not-an-address").code() == Code::kInvalidArgument);
  MetricsServer server(r);
  REQUIRE(server.Start("127.0.0.1:0").ok());
  MetricsServer taken(r);
  CHECK(taken.Start(server.address()).code() == Code::kUnavailable);
  std::string addr = server.address();
  server.Stop();
  server.Stop();  // twice is fine
  HttpClient http(addr);
  CHECK_THROWS(http.Get("/metrics"));
}

}  // namespace
}  // namespace salesos::metrics
