// Metrics and traces of the whole suite, with real processes: every process serves /metrics
// (--metrics-addr 127.0.0.1:0, its address written beside its port file as
// <instance>.metrics.port), the series of the calls made show up with sane values, and one
// traceparent sent with a signed webhook is in the log lines of the gateway, webhook_ingest,
// conversation, ai_orchestration and analytics (--access-log on: one line per call and entry).
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/api.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/suite.h"
#include "support/ws_client.h"

using namespace salesos::testing;

namespace {

constexpr auto kWait = std::chrono::seconds(20);
constexpr int kWaitMs = 20000;

// series ("name{labels}") → value, from one scrape.
using Scrape = std::map<std::string, double>;

Scrape ScrapeMetrics(const std::string& addr, std::string* text = nullptr) {
  HttpClient http(addr);
  HttpResult r = http.Get("/metrics");
  REQUIRE(r.status == 200);
  REQUIRE(r.Header("content-type").starts_with("text/plain; version=0.0.4"));
  Scrape out;
  std::istringstream in(r.body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    size_t sp = line.rfind(' ');
    REQUIRE(sp != std::string::npos);
    std::string value = line.substr(sp + 1);
    out[line.substr(0, sp)] = value == "+Inf" ? 1e308 : std::stod(value);
  }
  if (text != nullptr) {
    *text = r.body;
  }
  return out;
}

// The metrics address of an instance ("auth", "gateway"), once written.
std::string MetricsAddr(Suite& suite, const std::string& instance) {
  std::string path = suite.data_dir() + "/" + instance + ".metrics.port";
  std::string addr;
  WaitFor(
      [&] {
        addr = ReadFile(path);
        return !addr.empty() && addr.back() == '\n';
      },
      kWait);
  REQUIRE(!addr.empty());
  addr.pop_back();
  return addr;
}

double Value(const Scrape& s, const std::string& series) {
  auto it = s.find(series);
  return it == s.end() ? -1 : it->second;
}

// Every histogram's buckets are cumulative (never decreasing with le) and its +Inf bucket is its
// count.
void CheckHistograms(const Scrape& s, const std::string& instance) {
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;  // series → (le, n)
  for (const auto& [series, value] : s) {
    size_t b = series.find("_bucket{");
    if (b == std::string::npos) {
      continue;
    }
    size_t le = series.find("le=\"", b);
    REQUIRE(le != std::string::npos);
    std::string bound = series.substr(le + 4, series.find('"', le + 4) - le - 4);
    std::string key = series.substr(0, b) + "|" + series.substr(b + 8, le - b - 8);
    buckets[key].emplace_back(bound == "+Inf" ? 1e308 : std::stod(bound), value);
  }
  REQUIRE(!buckets.empty());
  for (auto& [key, list] : buckets) {
    std::sort(list.begin(), list.end());
    INFO(instance << " " << key);
    for (size_t i = 1; i < list.size(); ++i) {
      CHECK(list[i].second >= list[i - 1].second);
    }
    CHECK(list.back().first == 1e308);
    std::string name = key.substr(0, key.find('|'));
    std::string labels = key.substr(key.find('|') + 1);
    if (!labels.empty() && labels.back() == ',') {
      labels.pop_back();
    }
    std::string count = name + "_count" + (labels.empty() ? "" : "{" + labels + "}");
    CHECK(Value(s, count) == list.back().second);
  }
}

std::string Grpc(const std::string& service, const std::string& method, const std::string& code) {
  return "salesos_grpc_server_handled_total{grpc_service=\"" + service + "\",grpc_method=\"" +
         method + "\",grpc_code=\"" + code + "\"}";
}

std::string StreamSeries(const std::string& name, const std::string& stream,
                         const std::string& group) {
  return name + "{stream=\"" + stream + "\",group=\"" + group + "\"}";
}

}  // namespace

TEST_CASE("observability: every process serves metrics and a webhook's traceparent reaches every "
          "process's log lines",
          "[observability]") {
  FakeGraphApi graph;
  Suite suite(MetaSuiteOptions({"SALESOS_METRICS_ADDR=127.0.0.1:0", "SALESOS_ACCESS_LOG=true",
                                "SALESOS_GRAPH_API_BASE=" + graph.base_url(),
                                "SALESOS_AI_DEBOUNCE_MS=150", "SALESOS_RATE_LIMIT_IP_PER_MIN=0",
                                "SALESOS_RATE_LIMIT_USER_PER_MIN=0"}));
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http, "Observed Co");

  // Two live clients on the realtime feed.
  std::vector<std::unique_ptr<WsClient>> sockets;
  for (int i = 0; i < 2; ++i) {
    auto connected =
        WsClient::ConnectAddr(suite.gateway_addr(), "/ws?access_token=" + owner.token);
    REQUIRE(connected.ok());
    REQUIRE(connected.client
                ->ReadUntil([](const std::string& t) { return t.find("\"ready\"") != std::string::npos; },
                            kWaitMs)
                .has_value());
    sockets.push_back(std::move(connected.client));
  }

  // A signed Messenger message, sent with a traceparent of our own.
  std::string page = NewMetaId();
  std::string token = "EAA" + salesos::RandomHex(16) + "abcd";
  ConnectChannel(http, owner, "facebook", page, token);
  graph.AcceptToken(page, token);
  const std::string trace_id = salesos::RandomHex(16);
  const std::string traceparent = "00-" + trace_id + "-" + salesos::RandomHex(8) + "-01";
  std::string body = MessengerTextBody(page, NewMetaId(), "m_" + salesos::RandomHex(8),
                                       "Hi, how much is it?", salesos::NowUnixMillis());
  HttpResult delivered = http.Request(
      "POST", "/webhooks/meta", body,
      {{"Content-Type", "application/json"},
       {"X-Hub-Signature-256", MetaSignature(body)},
       {"traceparent", traceparent}});
  REQUIRE(delivered.status == 200);
  CHECK(http.Get("/api/v1/no/such/route").status == 404);

  SECTION("the trace is in the log lines of every process on the message's way") {
    for (const std::string instance :
         {"gateway", "webhook_ingest", "conversation", "ai_orchestration", "analytics"}) {
      INFO(instance);
      std::string log_path = suite.process(instance).log_path();
      bool found = WaitFor(
          [&] {
            return ReadFile(log_path).find("\"traceId\":\"" + trace_id + "\"") !=
                   std::string::npos;
          },
          kWait);
      CHECK(found);
    }
    // The gateway's access-log line of the delivery carries it.
    std::string gateway_log = ReadFile(suite.process("gateway").log_path());
    size_t at = gateway_log.find("\"traceId\":\"" + trace_id + "\"");
    REQUIRE(at != std::string::npos);
    size_t line_start = gateway_log.rfind('\n', at) + 1;
    std::string line = gateway_log.substr(line_start, gateway_log.find('\n', at) - line_start);
    CHECK(line.find("\"msg\":\"http\"") != std::string::npos);
    CHECK(line.find("\"path\":\"/webhooks/meta\"") != std::string::npos);
    // The AI turn runs later, from conversation's table, and still under the message's trace:
    // ai_orchestration's line of the GenerateReply call carries it.
    std::string ai_log_path = suite.process("ai_orchestration").log_path();
    CHECK(WaitFor(
        [&] {
          std::string ai_log = ReadFile(ai_log_path);
          for (size_t at = ai_log.find("\"traceId\":\"" + trace_id + "\"");
               at != std::string::npos;
               at = ai_log.find("\"traceId\":\"" + trace_id + "\"", at + 1)) {
            size_t start = ai_log.rfind('\n', at) + 1;
            if (ai_log.substr(start, ai_log.find('\n', at) - start).find("GenerateReply") !=
                std::string::npos) {
              return true;
            }
          }
          return false;
        },
        kWait));
  }

  SECTION("every process serves its metrics with the series of what it did") {
    // conversation handled the message (the stream is read to its end).
    std::string conversation_addr = MetricsAddr(suite, "conversation");
    REQUIRE(WaitFor(
        [&] {
          return Value(ScrapeMetrics(conversation_addr),
                       StreamSeries("salesos_stream_entries_handled_total", "salesos:inbound",
                                    "conversation")) >= 1;
        },
        kWait));

    for (const auto& instance : suite.ProcessNames()) {
      INFO(instance);
      std::string addr = MetricsAddr(suite, instance);
      std::string text;
      Scrape s = ScrapeMetrics(addr, &text);
      CHECK(Value(s, "process_resident_memory_bytes") > 0);
      CHECK(Value(s, "process_open_fds") > 0);
      CHECK(Value(s, "process_cpu_seconds_total") >= 0);
      CHECK(Value(s, "process_start_time_seconds") > 1.6e9);
      std::string service = instance.substr(0, instance.find('.'));
      CHECK(Value(s, "salesos_service_info{service=\"" + service + "\"}") == 1);
      CHECK(text.find("# TYPE salesos_") != std::string::npos);
      CheckHistograms(s, instance);
      // Anything but GET /metrics is refused.
      CHECK(HttpClient(addr).Get("/").status == 404);
    }

    Scrape auth = ScrapeMetrics(MetricsAddr(suite, "auth"));
    CHECK(Value(auth, Grpc("salesos.auth.v1.AuthService", "Register", "OK")) >= 1);
    CHECK(Value(auth, "salesos_grpc_server_handling_seconds_count{grpc_service=\"salesos.auth.v1."
                      "AuthService\",grpc_method=\"Register\"}") >= 1);

    Scrape ingest = ScrapeMetrics(MetricsAddr(suite, "webhook_ingest"));
    CHECK(Value(ingest, Grpc("salesos.webhook_ingest.v1.WebhookIngestService", "IngestMetaWebhook",
                             "OK")) == 1);

    Scrape conversation = ScrapeMetrics(conversation_addr);
    CHECK(Value(conversation, StreamSeries("salesos_stream_group_lag", "salesos:inbound",
                                           "conversation")) >= 0);
    CHECK(Value(conversation, StreamSeries("salesos_stream_group_pending", "salesos:inbound",
                                           "conversation")) >= 0);
    CHECK(Value(conversation, StreamSeries("salesos_stream_entries_failed_total",
                                           "salesos:inbound", "conversation")) == 0);

    Scrape analytics = ScrapeMetrics(MetricsAddr(suite, "analytics"));
    CHECK(Value(analytics, StreamSeries("salesos_stream_group_lag", "salesos:events",
                                        "analytics")) >= 0);
    CHECK(Value(analytics, StreamSeries("salesos_stream_group_pending", "salesos:events",
                                        "analytics")) >= 0);

    std::string gateway_addr = MetricsAddr(suite, "gateway");
    Scrape gw = ScrapeMetrics(gateway_addr);
    CHECK(Value(gw, "salesos_http_requests_total{route=\"/webhooks/meta\",method=\"POST\",code="
                    "\"200\",class=\"2xx\"}") == 1);
    CHECK(Value(gw, "salesos_http_requests_total{route=\"/api/v1/auth/register\",method=\"POST\","
                    "code=\"200\",class=\"2xx\"}") == 1);
    CHECK(Value(gw, "salesos_http_requests_total{route=\"unmatched\",method=\"GET\",code=\"404\","
                    "class=\"4xx\"}") == 1);
    CHECK(Value(gw, "salesos_http_request_duration_seconds_count{route=\"/webhooks/meta\",method="
                    "\"POST\"}") == 1);
    CHECK(Value(gw, "salesos_http_requests_in_flight") == 0);
    CHECK(Value(gw, "salesos_websocket_connections") == 2);
    // The message reached both screens.
    CHECK(Value(gw, "salesos_websocket_messages_sent_total") >= 2);
    CHECK(Value(gw, "salesos_websocket_messages_dropped_total") == 0);

    // One client leaves: the gauge follows.
    sockets.pop_back();
    CHECK(WaitFor(
        [&] { return Value(ScrapeMetrics(gateway_addr), "salesos_websocket_connections") == 1; },
        kWait));
  }
}
