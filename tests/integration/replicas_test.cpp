// Production shapes of the main flow (issue 10), with real processes, Redis and a local Graph
// server: two replicas of every service on one PostgreSQL database, and a rolling restart (SIGTERM,
// drain, start again) of every service and then the gateway while signed webhooks keep coming.
// Either way every acknowledged customer message is stored exactly once and every AI reply reaches
// the Send API exactly once.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/redis/redis.h"
#include "support/api.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/meta_traffic.h"
#include "support/postgres.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

TEST_CASE("replicas: two of every service on one PostgreSQL database store each message once and "
          "answer each batch once",
          "[integration][replicas][postgres][e2e]") {
  ScratchDatabase database(PostgresUrlOrSkip(), "salesos_replicas");
  FakeGraphApi graph;
  SuiteOptions options = MetaSuiteOptions(StrainEnv(graph));
  options.database_url = database.url();
  options.replicas = 2;
  Suite suite(options);
  REQUIRE(suite.Instances("conversation").size() == 2);
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http, "Lumi Lamps");
  constexpr int kPerChannel = 16;
  constexpr int kMessagesEach = 3;
  auto customers = MakeCustomers(http, graph, owner, kPerChannel);

  // Every customer's messages next to each other in the queue, so the senders post one
  // customer's messages at the same time (to both webhook_ingest replicas, read by both
  // conversation replicas): the first ones race to make the contact and the conversation.
  struct Delivery {
    std::string customer;
    std::string mid;
    std::string body;
  };
  std::vector<Delivery> queue;
  for (const auto& [id, c] : customers) {
    for (int k = 0; k < kMessagesEach; ++k) {
      std::string mid = "m_rep-" + std::to_string(k) + "-" + salesos::RandomHex(6);
      queue.push_back({id, mid, CustomerTextBody(c, mid, "Thank you so much!")});
    }
  }
  Tally tally;
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(30);
  std::vector<std::thread> senders;
  for (int t = 0; t < 6; ++t) {
    senders.emplace_back([&] {
      MetaSender sender(suite.gateway_addr(), tally);
      for (size_t i = next++; i < queue.size(); i = next++) {
        if (!sender.Deliver(queue[i].body, deadline)) {
          failed++;
        }
      }
    });
  }
  for (auto& t : senders) {
    t.join();
  }
  const auto posted = Clock::now();
  REQUIRE(failed.load() == 0);
  std::map<std::string, std::string> acked;
  for (const auto& d : queue) {
    acked[d.mid] = d.customer;
  }
  size_t replies = ExpectEveryMessageOnceAndEveryReplyOnce(http, owner, graph, acked,
                                                           std::chrono::seconds(45))
                     .ai_replies;
  const auto done = Clock::now();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::cout << "replicas: " << queue.size() << " webhooks for " << customers.size()
            << " customers posted in " << ms(posted - start) << " ms (" << tally.posts
            << " posts, " << tally.unavailable << " 503s), all answered " << ms(done - start)
            << " ms after the first; " << replies << " AI replies, "
            << graph.request_count() << " Send API calls\n";
  tally.CheckOnlyRetryableAnswers();

  // Both conversation replicas read salesos:inbound, each as a consumer of its own.
  auto redis = salesos::redis::Connect(suite.redis().url());
  REQUIRE(redis.ok());
  auto consumers = (*redis)->Command({"XINFO", "CONSUMERS", "salesos:inbound", "conversation"});
  REQUIRE(consumers.ok());
  std::set<std::string> names;
  for (const auto& consumer : consumers->elements) {
    for (size_t i = 0; i + 1 < consumer.elements.size(); i += 2) {
      if (consumer.elements[i].str == "name") {
        names.insert(consumer.elements[i + 1].str);
      }
    }
  }
  CHECK(names.size() == 2);
}

namespace {

// Signed webhooks at a steady pace while every service and then the gateway are restarted
// gracefully, one at a time; see the test cases below.
void RollingRestart(int replicas, const std::string& database_url = "") {
  FakeGraphApi graph;
  SuiteOptions options = MetaSuiteOptions(StrainEnv(graph));
  options.replicas = replicas;
  options.database_url = database_url;
  Suite suite(options);
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http, "Lumi Lamps");
  auto customers = MakeCustomers(http, graph, owner, 10);
  std::vector<std::string> ids;
  for (const auto& [id, c] : customers) {
    ids.push_back(id);
  }

  Tally tally;
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::mutex mu;
  std::map<std::string, std::string> acked;  // mid → customer
  constexpr int kSenders = 4;
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      MetaSender sender(suite.gateway_addr(), tally);
      for (size_t n = static_cast<size_t>(t); !stop; n += kSenders) {
        const Customer& c = customers.at(ids[n % ids.size()]);
        std::string mid = "m_roll-" + std::to_string(n) + "-" + salesos::RandomHex(6);
        if (!sender.Deliver(CustomerTextBody(c, mid, "Thank you so much!"),
                            Clock::now() + std::chrono::seconds(30))) {
          failed++;
          continue;
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          acked[mid] = c.id;
        }
        // A steady stream, not a flood: each sender at most 20 deliveries a second.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  auto acked_count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size();
  };
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  const auto start = Clock::now();
  REQUIRE(WaitFor([&] { return acked_count() >= 10; }, std::chrono::seconds(20)));

  // Every instance in turn: SIGTERM, exit 0 within its drain bound (3 s of drain, plus the
  // consumers' stop), started again; the stream must flow again before the next one.
  constexpr auto kBound = std::chrono::milliseconds(3000 + 4000);
  std::vector<std::string> order;
  for (const auto& name : Suite::ServiceNames()) {
    for (const auto& instance : suite.Instances(name)) {
      order.push_back(instance);
    }
  }
  order.push_back("gateway");
  std::ostringstream report;
  int64_t gateway_connection_errors = 0;
  for (const auto& instance : order) {
    const int64_t errors_before = tally.connection_errors;
    const int64_t unavailable_before = tally.unavailable;
    Suite::Stopped stopped = suite.GracefulRestart(instance, kBound);
    INFO(instance << " log:\n" << suite.process(instance).LogTail(15));
    CHECK(stopped.exit_code.value_or(-1) == 0);
    CHECK(stopped.took.count() < kBound.count());
    const size_t before = acked_count();
    CHECK(WaitFor([&] { return acked_count() >= before + 5; }, std::chrono::seconds(20)));
    const int64_t errors = tally.connection_errors - errors_before;
    if (instance == "gateway") {
      gateway_connection_errors = errors;
    } else {
      CHECK(errors == 0);  // the gateway stayed up: every answer was an HTTP answer
    }
    report << "  " << instance << ": exit " << (stopped.exit_code ? *stopped.exit_code : -1)
           << " after " << stopped.took.count() << " ms, "
           << (tally.unavailable - unavailable_before) << " 503s, " << errors
           << " connection errors\n";
  }
  stop = true;
  for (auto& t : senders) {
    t.join();
  }
  const auto posted = Clock::now();
  CHECK(failed.load() == 0);
  std::map<std::string, std::string> all;
  {
    std::lock_guard<std::mutex> lock(mu);
    all = acked;
  }
  size_t replies = ExpectEveryMessageOnceAndEveryReplyOnce(http, owner, graph, all,
                                                           std::chrono::seconds(45))
                     .ai_replies;
  std::cout << "rolling restart (" << replicas << " replica" << (replicas > 1 ? "s" : "")
            << " each): " << all.size() << " webhooks acknowledged in " << ms(posted - start)
            << " ms (" << tally.posts << " posts, " << tally.unavailable
            << " 503s with Retry-After, " << tally.other_5xx << " other 5xx, "
            << gateway_connection_errors << " connection errors during the gateway's restart, "
            << "retried), " << replies << " AI replies, " << graph.request_count()
            << " Send API calls, all answered " << ms(Clock::now() - start) << " ms after the start\n"
            << report.str();
  tally.CheckOnlyRetryableAnswers();
}

}  // namespace

TEST_CASE("rolling restart: SIGTERM of each service and then the gateway loses and duplicates "
          "nothing while webhooks keep coming",
          "[integration][rollout][e2e]") {
  RollingRestart(1);
}

TEST_CASE("rolling restart: two replicas of each service on PostgreSQL, SIGTERM one at a time, lose "
          "and duplicate nothing",
          "[integration][rollout][replicas][postgres]") {
  ScratchDatabase database(PostgresUrlOrSkip(), "salesos_rollout");
  RollingRestart(2, database.url());
}
