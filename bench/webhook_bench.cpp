// salesos-bench-webhook: signed Meta webhooks at a set rate through the gateway (bench/README.md,
// "Webhooks"). Measures, per run:
//   - ack latency: from sending a POST /webhooks/meta to its 200 (the signature check, parsing,
//     the channel lookup, the dedupe mark and the XADD to salesos:inbound in webhook_ingest);
//   - webhook → WebSocket latency: from sending the POST to a dashboard's /ws client receiving the
//     customer's message as `message.created` (the stream, conversation's transaction, the
//     realtime publish, the gateway's hub).
//
// Starts the whole suite (a private Redis, the six services, the gateway; the processes the
// integration tests run) with a local Graph API server, registers a business with one Messenger
// page, keeps one WebSocket open, and posts Messenger text messages from --customers customers at
// --rate per second for --duration seconds on --connections keep-alive connections (open loop:
// request i is due at start + i / rate, whatever the earlier ones took), --runs times after a
// warm-up. The AI answers the customers as in production (default debounce, the built-in engine,
// its replies sent to the local Graph server), so its work competes for the same cores.
//
// Prints a Markdown report; with --write it replaces the marked section of bench/RESULTS.md.

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench_report.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/suite.h"
#include "support/ws_client.h"

namespace {

namespace json = boost::json;
using salesos::bench::Fixed;
using salesos::bench::Median;
using salesos::bench::Percentile;
using namespace salesos::testing;
using Clock = std::chrono::steady_clock;

struct Options {
  int rate = 100;
  int duration_s = 10;
  int runs = 3;
  int connections = 8;
  int customers = 500;
  int warmup_s = 2;
  bool write = false;
  std::string results;
};

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << "salesos-bench-webhook: " << what << "\n";
  std::exit(1);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct RunResult {
  double ack_p50_ms = 0;
  double ack_p99_ms = 0;
  double ws_p50_ms = 0;
  double ws_p99_ms = 0;
  double achieved_rate = 0;
  int64_t sent = 0;
  int64_t errors = 0;   // non-200 answers or transport failures
  int64_t missing = 0;  // acknowledged, never seen on the WebSocket
};

// The dashboard's side: every message.created of a customer, by platform message id.
class Watcher {
 public:
  explicit Watcher(std::unique_ptr<WsClient> ws) : ws_(std::move(ws)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Watcher() {
    stop_ = true;
    thread_.join();
  }
  // Expect these ids from now on; seen times go to `seen` (ns, 0 until seen).
  void Expect(const std::vector<std::string>& ids, std::vector<std::atomic<int64_t>>* seen) {
    std::lock_guard lock(mu_);
    index_.clear();
    for (size_t i = 0; i < ids.size(); ++i) {
      index_[ids[i]] = i;
    }
    seen_ = seen;
  }
  bool alive() const { return !ws_->closed(); }

 private:
  void Run() {
    while (!stop_ && !ws_->closed()) {
      auto text = ws_->ReadText(100);
      if (!text) {
        continue;
      }
      const int64_t at = NowNs();
      if (text->find("\"message.created\"") == std::string::npos) {
        continue;
      }
      boost::system::error_code ec;
      auto event = json::parse(*text, ec);
      if (ec || !event.is_object()) {
        continue;
      }
      const auto* data = event.as_object().if_contains("data");
      if (data == nullptr || !data->is_object()) {
        continue;
      }
      const auto* mid = data->as_object().if_contains("platformMessageId");
      if (mid == nullptr || !mid->is_string()) {
        continue;
      }
      std::lock_guard lock(mu_);
      auto it = index_.find(std::string(mid->as_string()));
      if (it != index_.end() && seen_ != nullptr) {
        (*seen_)[it->second].store(at);
      }
    }
  }

  std::unique_ptr<WsClient> ws_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::unordered_map<std::string, size_t> index_;      // guarded by mu_
  std::vector<std::atomic<int64_t>>* seen_ = nullptr;  // guarded by mu_
  std::thread thread_;
};

RunResult Run(const Options& o, const Suite& suite, const std::string& page_id,
              const std::vector<std::string>& customers, Watcher& watcher, int duration_s,
              int run_index) {
  const size_t total = static_cast<size_t>(o.rate) * static_cast<size_t>(duration_s);
  std::vector<std::string> ids(total);
  std::vector<std::string> bodies(total);
  const int64_t wall_ms = salesos::NowUnixMillis();
  for (size_t i = 0; i < total; ++i) {
    ids[i] = "m_bench-" + std::to_string(run_index) + "-" + std::to_string(i) + "-" +
             salesos::RandomHex(4);
    bodies[i] = MessengerTextBody(page_id, customers[i % customers.size()], ids[i],
                                  "Hi, is the desk lamp in stock? (" + std::to_string(i) + ")",
                                  wall_ms + static_cast<int64_t>(i));
  }
  std::vector<std::atomic<int64_t>> sent(total);
  std::vector<std::atomic<int64_t>> acked(total);
  std::vector<std::atomic<int64_t>> seen(total);
  for (size_t i = 0; i < total; ++i) {
    sent[i] = 0;
    acked[i] = 0;
    seen[i] = 0;
  }
  watcher.Expect(ids, &seen);
  std::atomic<size_t> next{0};
  std::atomic<int64_t> errors{0};
  const int64_t start = NowNs() + 50'000'000;  // every connection ready
  const double interval_ns = 1e9 / o.rate;
  std::vector<std::thread> workers;
  for (int c = 0; c < o.connections; ++c) {
    workers.emplace_back([&] {
      HttpClient http(suite.gateway_addr());
      for (;;) {
        size_t i = next.fetch_add(1);
        if (i >= total) {
          return;
        }
        // Open loop: request i is due at start + i × interval (pacing, not synchronisation).
        const int64_t due = start + static_cast<int64_t>(interval_ns * static_cast<double>(i));
        std::this_thread::sleep_until(Clock::time_point(std::chrono::nanoseconds(due)));
        sent[i] = NowNs();
        try {
          HttpResult r = http.Request("POST", "/webhooks/meta", bodies[i],
                                      {{"Content-Type", "application/json"},
                                       {"X-Hub-Signature-256", MetaSignature(bodies[i])}});
          if (r.status == 200) {
            acked[i] = NowNs();
          } else {
            ++errors;
          }
        } catch (const std::exception&) {
          ++errors;
        }
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  const int64_t finished = NowNs();
  // Bounded wait for the dashboard to see the last ones.
  WaitFor(
      [&] {
        for (size_t i = 0; i < total; ++i) {
          if (acked[i] != 0 && seen[i] == 0) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(20));
  watcher.Expect({}, nullptr);

  RunResult r;
  std::vector<double> ack_ms, ws_ms;
  for (size_t i = 0; i < total; ++i) {
    if (acked[i] == 0) {
      continue;
    }
    ack_ms.push_back(static_cast<double>(acked[i] - sent[i]) / 1e6);
    if (seen[i] != 0) {
      ws_ms.push_back(static_cast<double>(seen[i] - sent[i]) / 1e6);
    } else {
      ++r.missing;
    }
  }
  r.sent = static_cast<int64_t>(total);
  r.errors = errors;
  r.ack_p50_ms = Percentile(ack_ms, 0.50);
  r.ack_p99_ms = Percentile(ack_ms, 0.99);
  r.ws_p50_ms = Percentile(ws_ms, 0.50);
  r.ws_p99_ms = Percentile(ws_ms, 0.99);
  r.achieved_rate = static_cast<double>(total) / (static_cast<double>(finished - start) / 1e9);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> int {
      if (i + 1 >= argc) {
        Fail(std::string(name) + " needs a value");
      }
      int v = std::atoi(argv[++i]);
      if (v <= 0) {
        Fail(std::string(name) + " must be a positive number");
      }
      return v;
    };
    if (a == "--rate") {
      o.rate = value("--rate");
    } else if (a == "--duration") {
      o.duration_s = value("--duration");
    } else if (a == "--runs") {
      o.runs = value("--runs");
    } else if (a == "--connections") {
      o.connections = value("--connections");
    } else if (a == "--customers") {
      o.customers = value("--customers");
    } else if (a == "--write" && i + 1 < argc) {
      o.write = true;
      o.results = argv[++i];
    } else {
      std::cerr << "usage: salesos-bench-webhook [--rate N/s] [--duration S] [--runs N] "
                   "[--connections N] [--customers N] [--write bench/RESULTS.md]\n";
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }

  salesos::bench::UseBinariesNextTo(argv[0]);
  std::cerr << "starting the suite...\n";
  FakeGraphApi graph;
  Suite suite{MetaSuiteOptions({"SALESOS_GRAPH_API_BASE=" + graph.base_url()})};
  auto http = suite.Client();
  Account owner;
  {
    // Not support/api.h's Register, which asserts with Catch (tests only).
    json::object body{{"email", "bench-" + salesos::RandomHex(6) + "@example.com"},
                      {"password", "correct horse battery"},
                      {"name", "Bench Owner"},
                      {"businessName", "Bench Lamps"}};
    HttpResult r = http->Request("POST", "/api/v1/auth/register", json::serialize(body),
                                 {{"Content-Type", "application/json"}});
    if (r.status != 200) {
      Fail("register: " + std::to_string(r.status) + " " + r.body);
    }
    owner.token = std::string(json::parse(r.body).at("accessToken").as_string());
  }
  const std::string page_id = NewMetaId();
  const std::string token = "EAA" + salesos::RandomHex(16) + "abcd";
  ConnectChannel(*http, owner, "facebook", page_id, token);
  graph.AcceptToken(page_id, token);
  auto ws = WsClient::ConnectAddr(suite.gateway_addr(), "/ws", "bearer, " + owner.token);
  if (!ws.ok()) {
    Fail("the WebSocket was refused: " + std::to_string(ws.status) + " " + ws.body + ws.error);
  }
  Watcher watcher(std::move(ws.client));
  std::vector<std::string> customers;
  for (int i = 0; i < o.customers; ++i) {
    customers.push_back(NewMetaId());
  }

  std::cerr << "warm-up " << o.warmup_s << " s\n";
  Run(o, suite, page_id, customers, watcher, o.warmup_s, 0);
  std::vector<RunResult> results;
  for (int run = 1; run <= o.runs; ++run) {
    RunResult r = Run(o, suite, page_id, customers, watcher, o.duration_s, run);
    std::cerr << "run " << run << ": " << Fixed(r.achieved_rate, 0) << " webhooks/s, ack p50 "
              << Fixed(r.ack_p50_ms, 2) << " ms p99 " << Fixed(r.ack_p99_ms, 2)
              << " ms; webhook→ws p50 " << Fixed(r.ws_p50_ms, 2) << " ms p99 "
              << Fixed(r.ws_p99_ms, 2) << " ms; errors " << r.errors << ", missing " << r.missing
              << "\n";
    if (r.errors > 0 || r.missing > 0 || !watcher.alive()) {
      Fail("run " + std::to_string(run) + " had errors or lost messages; nothing written");
    }
    results.push_back(r);
  }
  std::vector<double> ack50, ack99, ws50, ws99, rates;
  std::string per_run;
  for (const auto& r : results) {
    ack50.push_back(r.ack_p50_ms);
    ack99.push_back(r.ack_p99_ms);
    ws50.push_back(r.ws_p50_ms);
    ws99.push_back(r.ws_p99_ms);
    rates.push_back(r.achieved_rate);
    per_run +=
        (per_run.empty() ? "" : " / ") + Fixed(r.ack_p99_ms, 2) + " · " + Fixed(r.ws_p99_ms, 2);
  }
  std::ostringstream md;
  md << "Signed Messenger text webhooks POSTed to the gateway's `/webhooks/meta` at " << o.rate
     << " per second (open loop, " << o.connections << " keep-alive connections) from "
     << o.customers << " customers, " << o.duration_s << " s a run, " << o.runs << " runs after a "
     << o.warmup_s
     << " s warm-up; one dashboard WebSocket on `/ws`. The AI answers as in production (1.2 s "
        "debounce, built-in engine, replies sent to a local Graph API server), SQLite, Redis on a "
        "Unix socket.\n\n"
     << "| measure | median p50 | median p99 | target | p99 per run (ack · ws) |\n"
     << "|---|---|---|---|---|\n"
     << "| webhook ack (POST → 200) | " << Fixed(Median(ack50), 2) << " ms | "
     << Fixed(Median(ack99), 2) << " ms | p99 ≤ 5 ms: " << (Median(ack99) <= 5.0 ? "met" : "missed")
     << " | " << per_run << " |\n"
     << "| webhook → WebSocket `message.created` | " << Fixed(Median(ws50), 2) << " ms | "
     << Fixed(Median(ws99), 2) << " ms | — | |\n\n"
     << "Achieved rate " << Fixed(Median(rates), 0) << " webhooks/s; no errors, nothing lost. "
     << "Machine: " << salesos::bench::Machine()
     << "; the suite, its Redis, the Graph server and the bench client share it.\n";
  std::cout << md.str();
  if (o.write) {
    if (!salesos::bench::WriteMarkedSection(o.results, "salesos-bench-webhook",
                                            "## Webhooks (salesos-bench-webhook)", md.str())) {
      Fail("cannot write " + o.results);
    }
    std::cerr << "wrote " << o.results << "\n";
  }
  return 0;
}
