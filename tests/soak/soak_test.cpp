// The fault-injection soak (issue 13, docs/soak.md). Signed webhooks for many customers arrive at
// a steady rate through the gateway while a fault plan runs: SIGKILL and a start again, one at a
// time, of webhook_ingest, conversation, ai_orchestration, analytics, campaign, auth and the
// gateway; a crash of Redis (SIGKILL, AOF on) and a start again; on PostgreSQL a crash of the
// database server (pg_ctl restart -m immediate). The driver retries whatever was not
// acknowledged, as Meta does. After a bounded settle time:
//   - every acknowledged customer message is stored exactly once, in its customer's one
//     conversation, and counted unread;
//   - every AI reply reached the Graph server exactly once, and nothing else did;
//   - analytics counts exactly those messages, replies and conversations;
//   - every process still runs: none needed a hand to reconnect to Redis or the database;
//   - a WebSocket client that connected before the faults still gets live events after them.
// The report (markdown: the plan, each fault's time to recover, the counts) goes to
// SALESOS_SOAK_REPORT or build/test-artifacts/soak/. `./salesos soak` runs it long.
//
// Settings (environment): SALESOS_SOAK_MESSAGES (default 1,200), SALESOS_SOAK_RATE (messages a
// second, default 40), SALESOS_SOAK_CUSTOMERS (default messages / 12, at least 20),
// SALESOS_SOAK_REPORT (a file path).
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "salesos/core/ids.h"
#include "support/api.h"
#include "support/fake_chat_completions.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/meta_traffic.h"
#include "support/postgres_cluster.h"
#include "support/suite.h"
#include "support/ws_client.h"

using namespace salesos::testing;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoll(v) : fallback;
}

int64_t Ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

struct SoakConfig {
  int64_t messages = 1200;
  int64_t rate = 40;
  int64_t customers = 100;
  std::string engine;  // "SQLite" | "PostgreSQL"
  std::string report_path;
};

SoakConfig Config(const std::string& engine) {
  SoakConfig c;
  c.messages = std::max<int64_t>(EnvInt("SALESOS_SOAK_MESSAGES", 1200), 100);
  c.rate = std::max<int64_t>(EnvInt("SALESOS_SOAK_RATE", 40), 1);
  c.customers = std::max<int64_t>(EnvInt("SALESOS_SOAK_CUSTOMERS", c.messages / 12), 20);
  c.engine = engine;
  const char* report = std::getenv("SALESOS_SOAK_REPORT");
  c.report_path = report && *report
                      ? std::string(report)
                      : std::string(SALESOS_ARTIFACTS_DIR) + "/soak/soak-" +
                            (engine == "SQLite" ? "sqlite" : "postgresql") + ".md";
  return c;
}

struct FaultResult {
  std::string fault;
  int64_t at_ms = 0;             // since the first delivery
  int64_t ready_ms = 0;          // from the fault until it serves again (/readyz 200)
  int64_t flowing_ms = -1;       // from the fault until new webhooks are acknowledged again
  int64_t acked_during = 0;      // acknowledged from the fault until flowing
  int64_t unavailable = 0;       // 503 + Retry-After answers from the fault until flowing
  int64_t connection_errors = 0; // refused or cut connections in that time
  int64_t other_5xx = 0;
};

// The Redis and PostgreSQL faults are not processes of the suite; the rest are.
struct Fault {
  std::string name;
  std::function<void()> inject;  // returns once the suite serves again
};

std::string MachineLine() {
  utsname u{};
  uname(&u);
  std::ostringstream out;
  out << std::thread::hardware_concurrency() << " cores, " << u.sysname << " " << u.release << " "
      << u.machine;
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      out << ", " << line.substr(line.find(':') + 2);
      break;
    }
  }
  return out.str();
}

json::object Dashboard(HttpClient& http, const Account& owner) {
  HttpResult r = Send(http, "GET", "/api/v1/analytics/dashboard", owner.token);
  if (r.status != 200) {
    return {};
  }
  return Json(r).as_object();
}

int64_t Count(const json::value& v) {
  // int64 counts are JSON strings (protobuf's JSON mapping), or numbers.
  if (v.is_string()) {
    return std::stoll(std::string(v.as_string()));
  }
  return v.is_int64() ? v.as_int64() : static_cast<int64_t>(v.to_number<double>());
}

void RunSoak(const SoakConfig& config, PostgresCluster* postgres) {
  FakeGraphApi graph;
  // The workspace's AI is an OpenAI-compatible endpoint (a local stand-in), so every batch of a
  // customer's messages gets a reply: the builtin engine would hand most conversations to a
  // person after two turns.
  FakeChatCompletions llm("sk-soak-7c1e");
  std::vector<std::string> env = StrainEnv(graph);
  env.push_back("SALESOS_ALLOW_PRIVATE_EGRESS=1");
  SuiteOptions options = MetaSuiteOptions(env);
  if (postgres != nullptr) {
    postgres->CreateDatabase("salesos_soak");
    options.database_url = postgres->Url("salesos_soak");
  }
  Suite suite(options);
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http, "Soak Supplies");
  HttpResult ai = Send(http, "PUT", "/api/v1/ai/settings", owner.token,
                       json::object{{"provider", "openai-compatible"},
                                    {"baseUrl", llm.base_url()},
                                    {"model", "soak-model"},
                                    {"apiKey", "sk-soak-7c1e"},
                                    {"timeoutMs", 5000}});
  INFO(ai.body);
  REQUIRE(ai.status == 200);
  auto customers = MakeCustomers(http, graph, owner, static_cast<int>(config.customers / 2));
  std::vector<const Customer*> order;
  for (const auto& [id, c] : customers) {
    order.push_back(&c);
  }

  // The plan: each fault once, spread over the sending time.
  std::vector<Fault> plan;
  for (const std::string name : {"webhook_ingest", "conversation", "ai_orchestration",
                                 "analytics", "campaign", "auth", "gateway"}) {
    plan.push_back({"SIGKILL " + name, [&suite, name] { suite.Restart(name); }});
  }
  plan.push_back({"Redis crash (SIGKILL, AOF on)", [&suite] {
                    suite.redis().Restart();
                    HttpClient probe(suite.gateway_addr());
                    REQUIRE(WaitFor([&] {
                      try {
                        return probe.Get("/readyz").status == 200;
                      } catch (const std::exception&) {
                        return false;
                      }
                    }, seconds(60)));
                  }});
  if (postgres != nullptr) {
    plan.push_back({"PostgreSQL crash (restart -m immediate)", [&suite, postgres] {
                      postgres->CrashRestart();
                      HttpClient probe(suite.gateway_addr());
                      REQUIRE(WaitFor([&] {
                        try {
                          return probe.Get("/readyz").status == 200;
                        } catch (const std::exception&) {
                          return false;
                        }
                      }, seconds(60)));
                    }});
  }

  Tally tally;
  std::mutex mu;
  std::map<std::string, std::string> acked;  // mid → customer
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> failed{0};
  const auto start = Clock::now();
  auto acked_count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return static_cast<int64_t>(acked.size());
  };
  std::vector<std::thread> senders;
  for (int t = 0; t < 8; ++t) {
    senders.emplace_back([&] {
      MetaSender sender(suite.gateway_addr(), tally);
      for (int64_t i = next++; i < config.messages; i = next++) {
        // The pace of a steady stream: message i leaves at start + i / rate.
        std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1'000'000 / config.rate));
        const Customer& c = *order[static_cast<size_t>(i) % order.size()];
        const std::string mid = "m_soak-" + std::to_string(i) + "-" + salesos::RandomHex(6);
        if (!sender.Deliver(CustomerTextBody(c, mid, "Do you ship to Lisbon? (" +
                                                         std::to_string(i) + ")"),
                            Clock::now() + seconds(180))) {
          failed++;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        acked[mid] = c.id;
      }
    });
  }

  // Each fault at its slot; the next only once the previous one's recovery was measured.
  const auto sending = std::chrono::microseconds(config.messages * 1'000'000 / config.rate);
  std::vector<FaultResult> results;
  for (size_t k = 0; k < plan.size(); ++k) {
    std::this_thread::sleep_until(start + sending * static_cast<int64_t>(k + 1) /
                                              static_cast<int64_t>(plan.size() + 1));
    FaultResult r;
    r.fault = plan[k].name;
    const int64_t unavailable = tally.unavailable, errors = tally.connection_errors,
                  other = tally.other_5xx, before = acked_count();
    const auto at = Clock::now();
    r.at_ms = Ms(at - start);
    plan[k].inject();
    const auto ready = Clock::now();
    r.ready_ms = Ms(ready - at);
    // Flowing again: webhooks acknowledged after it serves again (unless sending is over).
    const int64_t at_ready = acked_count();
    const bool flowing = WaitFor(
        [&] {
          return acked_count() >= std::min(at_ready + 3, config.messages) ||
                 acked_count() + failed.load() >= config.messages;
        },
        seconds(90));
    INFO(r.fault << ": no webhook acknowledged within 90 s of it serving again");
    CHECK(flowing);
    r.flowing_ms = Ms(Clock::now() - at);
    r.acked_during = acked_count() - before;
    r.unavailable = tally.unavailable - unavailable;
    r.connection_errors = tally.connection_errors - errors;
    r.other_5xx = tally.other_5xx - other;
    std::cout << "soak: " << r.fault << " at " << r.at_ms << " ms: serving again after "
              << r.ready_ms << " ms, webhooks acknowledged again after " << r.flowing_ms << " ms\n"
              << std::flush;
    results.push_back(r);
  }
  for (auto& t : senders) {
    t.join();
  }
  const auto sent = Clock::now();
  CHECK(failed.load() == 0);
  std::map<std::string, std::string> all;
  {
    std::lock_guard<std::mutex> lock(mu);
    all = acked;
  }
  CHECK(static_cast<int64_t>(all.size()) == config.messages);

  // Every process the plan left running still runs: nothing needed a hand after its fault.
  std::string dead;
  for (const auto& name : suite.ProcessNames()) {
    if (!suite.process(name).Running()) {
      dead += name + ":\n" + suite.process(name).LogTail(20);
    }
  }
  INFO("processes that died on their own:\n" << dead);
  CHECK(dead.empty());

  DeliveryCheck check =
      ExpectEveryMessageOnceAndEveryReplyOnce(http, owner, graph, all, seconds(180));

  // Analytics folded exactly those: messages received, AI replies sent, conversations started.
  json::object metrics;
  const bool counted = WaitFor(
      [&] {
        json::object d = Dashboard(http, owner);
        if (!d.contains("metrics")) {
          return false;
        }
        metrics = d.at("metrics").as_object();
        return Count(metrics.at("messagesReceived")) == static_cast<int64_t>(all.size()) &&
               Count(metrics.at("messagesSent").at("ai")) ==
                   static_cast<int64_t>(check.ai_replies) &&
               Count(metrics.at("conversationsStarted")) ==
                   static_cast<int64_t>(check.conversations);
      },
      seconds(60));
  INFO("dashboard metrics: " << json::serialize(metrics));
  CHECK(counted);

  // Live events still flow after the Redis crash (the gateway's subscription came back by
  // itself): a dashboard tab opened now hears about one more message.
  WsConnectResult tab = WsClient::ConnectAddr(suite.gateway_addr(), "/ws", "bearer, " + owner.token);
  REQUIRE(tab.ok());
  const std::string final_mid = "m_soak-final-" + salesos::RandomHex(6);
  {
    MetaSender sender(suite.gateway_addr(), tally);
    REQUIRE(sender.Deliver(CustomerTextBody(*order.front(), final_mid, "One last question"),
                           Clock::now() + seconds(30)));
  }
  const bool live = tab.client
                        ->ReadUntil([&](const std::string& frame) {
                          return frame.find(final_mid) != std::string::npos;
                        }, 30'000)
                        .has_value();
  CHECK(live);

  // The report.
  std::ostringstream report;
  report << "# Soak: " << config.engine << "\n\n"
         << "- machine: " << MachineLine() << "\n"
         << "- plan: " << config.messages << " signed webhooks from " << customers.size()
         << " customers (Messenger and Instagram) at " << config.rate << "/s, " << plan.size()
         << " faults, one at a time, spread over the " << Ms(sending) / 1000 << " s of sending\n"
         << "- driver: 8 senders; anything but 200 is posted again 25 ms later, as Meta retries\n"
         << "- AI: the workspace's OpenAI-compatible endpoint (a local stand-in), "
         << llm.requests().size() << " chat completions asked\n\n"
         << "| fault | at (s) | serving again (ms) | webhooks acknowledged again (ms) | 503 + Retry-After | connection errors | other 5xx |\n"
         << "|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : results) {
    report << "| " << r.fault << " | " << std::fixed << std::setprecision(1) << r.at_ms / 1000.0
           << " | " << r.ready_ms << " | " << r.flowing_ms << " | " << r.unavailable << " | "
           << r.connection_errors << " | " << r.other_5xx << " |\n";
  }
  auto dashboard_count = [&](const char* key) {
    return metrics.contains(key) ? std::to_string(Count(metrics.at(key))) : std::string("?");
  };
  report << "\n| count | value |\n|---|---:|\n"
         << "| webhooks acknowledged | " << all.size() << " |\n"
         << "| deliveries posted (with retries) | " << tally.posts << " |\n"
         << "| deliveries not acknowledged within 180 s | " << failed.load() << " |\n"
         << "| customer messages stored | " << check.customer_messages << " |\n"
         << "| acknowledged messages missing (lost) | " << check.missing_messages << " |\n"
         << "| messages stored twice or more (duplicated) | " << check.duplicated_messages << " |\n"
         << "| conversations | " << check.conversations << " |\n"
         << "| AI replies stored | " << check.ai_replies << " |\n"
         << "| Send API calls | " << check.send_api_calls << " |\n"
         << "| AI replies sent more than once | " << check.duplicated_sends << " |\n"
         << "| AI replies never sent | " << check.unsent_replies << " |\n"
         << "| analytics messagesReceived | " << dashboard_count("messagesReceived") << " |\n"
         << "| analytics conversationsStarted | " << dashboard_count("conversationsStarted") << " |\n"
         << "| analytics messagesSent.ai | "
         << (metrics.contains("messagesSent")
                 ? std::to_string(Count(metrics.at("messagesSent").at("ai")))
                 : std::string("?"))
         << " |\n"
         << "| processes that died on their own | " << (dead.empty() ? "none" : "some") << " |\n"
         << "| live event after the faults | " << (live ? "received" : "missing") << " |\n"
         << "\nSending took " << Ms(sent - start) / 1000.0 << " s; everything was answered and "
         << "counted " << check.settle.count() << " ms after the last acknowledgement.\n";
  std::filesystem::create_directories(std::filesystem::path(config.report_path).parent_path());
  std::ofstream(config.report_path) << report.str();
  std::cout << report.str() << "(report: " << config.report_path << ")\n";
  INFO("odd answers:\n" << tally.OddAnswers());
  CHECK(check.missing_messages == 0);
  CHECK(check.duplicated_messages == 0);
  CHECK(check.duplicated_sends == 0);
  CHECK(check.unsent_replies == 0);
}

}  // namespace

TEST_CASE("soak: every fault of the plan on SQLite loses and duplicates nothing", "[soak]") {
  RunSoak(Config("SQLite"), nullptr);
}

TEST_CASE("soak: every fault of the plan on PostgreSQL, with a database crash, loses and "
          "duplicates nothing",
          "[soak][postgres]") {
  PostgresCluster postgres;
  RunSoak(Config("PostgreSQL"), &postgres);
}
