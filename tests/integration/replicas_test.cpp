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
#include "support/postgres.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;

// What a Meta-like sender saw: every answer, by kind.
struct Tally {
  std::atomic<int64_t> posts{0};
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> unavailable{0};  // 503 with Retry-After: retried
  std::atomic<int64_t> other_5xx{0};    // any other 5xx (or a 503 without Retry-After)
  std::atomic<int64_t> other{0};        // any other answer that is not 200
  std::atomic<int64_t> connection_errors{0};
  std::mutex mu;
  std::vector<std::string> odd;  // the first few answers that should not happen

  void Odd(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    if (odd.size() < 10) {
      odd.push_back(what);
    }
  }

  // No answer but 200 and 503-with-Retry-After (both retried), each odd one shown.
  void CheckOnlyRetryableAnswers() {
    std::string shown;
    for (const auto& o : odd) {
      shown += o + "\n";
    }
    INFO("answers that should not happen:\n" << shown);
    CHECK(other_5xx.load() == 0);
    CHECK(other.load() == 0);
  }
};

// Posts a signed delivery until it is acknowledged with 200, as Meta does: any other answer and
// any connection error is tried again, a little later.
class MetaSender {
 public:
  MetaSender(std::string addr, Tally& tally) : addr_(std::move(addr)), tally_(tally) {}

  bool Deliver(const std::string& body, Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      tally_.posts++;
      if (!http_) {
        http_ = std::make_unique<HttpClient>(addr_);
      }
      HttpResult r;
      try {
        r = PostMetaWebhook(*http_, body);
      } catch (const std::exception& e) {
        tally_.connection_errors++;
        http_.reset();
        Backoff();
        continue;
      }
      if (r.status == 200) {
        tally_.acked++;
        return true;
      }
      if (r.status == 503 && !r.Header("retry-after").empty()) {
        tally_.unavailable++;
      } else if (r.status >= 500) {
        tally_.other_5xx++;
        tally_.Odd(std::to_string(r.status) + " " + r.body);
      } else {
        tally_.other++;
        tally_.Odd(std::to_string(r.status) + " " + r.body);
      }
      if (r.Header("connection") == "close") {
        http_.reset();
      }
      Backoff();
    }
    return false;
  }

 private:
  // Meta's retries are spaced; this one's pace is not a wait for anything.
  static void Backoff() { std::this_thread::sleep_for(std::chrono::milliseconds(25)); }

  std::string addr_;
  Tally& tally_;
  std::unique_ptr<HttpClient> http_;
};

struct Customer {
  std::string platform;     // facebook | instagram
  std::string external_id;  // the Page or IG account
  std::string id;           // PSID / IGSID
};

std::string Body(const Customer& c, const std::string& mid, const std::string& text) {
  const int64_t now = salesos::NowUnixMillis();
  return c.platform == "facebook" ? MessengerTextBody(c.external_id, c.id, mid, text, now)
                                  : InstagramTextBody(c.external_id, c.id, mid, text, now);
}

// The conversations of `owner` (at most 100).
json::array Conversations(HttpClient& http, const Account& owner) {
  HttpResult r = Send(http, "GET", "/api/v1/conversations?pageSize=100", owner.token);
  if (r.status != 200) {
    return {};
  }
  return Json(r).at("conversations").as_array();
}

json::array Messages(HttpClient& http, const Account& owner, const std::string& conversation_id) {
  HttpResult r = Send(http, "GET",
                      "/api/v1/conversations/" + conversation_id + "/messages?pageSize=100",
                      owner.token);
  REQUIRE(r.status == 200);
  return Json(r).at("messages").as_array();
}

// Whether the AI is done with a conversation: its newest message is the AI's, sent; or the AI
// handed it to a person for a reason of the conversation's own (the builtin engine does after two
// turns it could not answer with confidence), never because the AI service was unreachable.
bool Settled(const json::value& c) {
  const auto& last = c.at("lastMessage");
  if (Str(last.at("sender")) == "ai") {
    return Str(last.at("deliveryStatus")) == "sent";
  }
  return Str(c.at("handler")) == "agent" && Str(c.at("handoffReason")) != "ai_unavailable";
}

// Waits (up to `bound`) until every customer has one conversation the AI is done with (Settled)
// and every acknowledged message is counted unread, then checks, through the API and the Graph server's record, that
//   - each conversation holds exactly the acknowledged messages of one customer, each once, and
//     counts them all unread;
//   - the AI answered every batch of customer messages once: never two AI replies in a row;
//   - each AI message went to the Send API exactly once, and nothing else did.
// Returns the number of AI replies.
size_t ExpectEveryMessageOnceAndEveryReplyOnce(HttpClient& http, const Account& owner,
                                               const FakeGraphApi& graph,
                                               const std::map<std::string, Customer>& customers,
                                               const std::map<std::string, std::string>& acked,
                                               std::chrono::seconds bound) {
  // acked: platform message id → customer id
  std::map<std::string, std::set<std::string>> expected;  // customer id → mids
  for (const auto& [mid, customer] : acked) {
    expected[customer].insert(mid);
  }
  json::array list;
  bool settled = WaitFor(
      [&] {
        list = Conversations(http, owner);
        if (list.size() != expected.size()) {
          return false;
        }
        // Every acknowledged message counted (nobody reads them here), so none is still on its
        // way: a conversation the AI had answered may yet get a message the stream holds.
        int64_t unread = 0;
        for (const auto& c : list) {
          if (!Settled(c)) {
            return false;
          }
          unread += c.at("unreadCount").as_int64();
        }
        return unread >= static_cast<int64_t>(acked.size());
      },
      bound);
  std::string unsettled;
  for (const auto& c : list) {
    if (!Settled(c)) {
      unsettled += json::serialize(c) + "\n";
    }
  }
  INFO(list.size() << " conversations for " << expected.size() << " customers; not answered:\n"
                   << unsettled);
  CHECK(settled);
  REQUIRE(list.size() == expected.size());

  std::map<std::string, int> sends;  // AI message id → Send API calls carrying it
  size_t unmarked = 0;
  for (const auto& r : graph.Requests()) {
    auto body = json::parse(r.body).as_object();
    std::string metadata = Str(body.at("message").at("metadata"));
    if (metadata.rfind("salesos:", 0) == 0) {
      sends[metadata.substr(8)] += 1;
    } else {
      ++unmarked;
    }
  }
  CHECK(unmarked == 0);

  std::set<std::string> seen_customers;
  std::set<std::string> ai_ids;
  for (const auto& c : list) {
    const std::string conversation_id = Str(c.at("id"));
    json::array messages = Messages(http, owner, conversation_id);
    INFO("conversation " << conversation_id << ": " << json::serialize(messages));
    std::map<std::string, int> mids;
    std::string customer;
    bool last_was_ai = false;
    size_t customer_messages = 0;
    for (const auto& m : messages) {
      const std::string sender = Str(m.at("sender"));
      if (sender == "customer") {
        const std::string mid = Str(m.at("platformMessageId"));
        mids[mid] += 1;
        auto owner_of = acked.find(mid);
        REQUIRE(owner_of != acked.end());
        CHECK((customer.empty() || customer == owner_of->second));
        customer = owner_of->second;
        last_was_ai = false;
        ++customer_messages;
      } else {
        CHECK(sender == "ai");
        CHECK(Str(m.at("deliveryStatus")) == "sent");
        CHECK_FALSE(last_was_ai);  // one reply per batch, never two
        last_was_ai = true;
        ai_ids.insert(Str(m.at("id")));
        CHECK(sends[Str(m.at("id"))] == 1);
      }
    }
    REQUIRE_FALSE(customer.empty());
    CHECK(seen_customers.insert(customer).second);  // one conversation per customer
    std::set<std::string> stored;
    for (const auto& [mid, n] : mids) {
      CHECK(n == 1);
      stored.insert(mid);
    }
    CHECK(stored == expected[customer]);
    CHECK(c.at("unreadCount").as_int64() == static_cast<int64_t>(customer_messages));
  }
  // Every Send API call carried an AI message of these conversations.
  for (const auto& [id, n] : sends) {
    INFO("sent: " << id);
    CHECK(ai_ids.count(id) == 1);
  }
  (void)customers;
  return ai_ids.size();
}

std::string Token() { return "EAA" + salesos::RandomHex(16) + "abcd"; }

// Connects a Page and an Instagram account of `owner` and makes `per_channel` customers on each.
std::map<std::string, Customer> Customers(HttpClient& http, FakeGraphApi& graph,
                                          const Account& owner, int per_channel) {
  std::map<std::string, Customer> out;
  for (const std::string platform : {"facebook", "instagram"}) {
    const std::string external = NewMetaId();
    const std::string token = Token();
    ConnectChannel(http, owner, platform, external, token);
    graph.AcceptToken(platform == "instagram" ? "me" : external, token);
    for (int i = 0; i < per_channel; ++i) {
      Customer c{platform, external, NewMetaId()};
      out[c.id] = c;
    }
  }
  return out;
}

std::vector<std::string> MetaEnv(const FakeGraphApi& graph) {
  return {"SALESOS_GRAPH_API_BASE=" + graph.base_url(), "SALESOS_AI_DEBOUNCE_MS=300",
          "SALESOS_WORK_LEASE_MS=4000", "SALESOS_DRAIN_TIMEOUT_MS=3000",
          // The driver posts as fast as Meta would; limits are not the story.
          "SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"};
}

}  // namespace

TEST_CASE("replicas: two of every service on one PostgreSQL database store each message once and "
          "answer each batch once",
          "[integration][replicas][postgres][e2e]") {
  ScratchDatabase database(PostgresUrlOrSkip(), "salesos_replicas");
  FakeGraphApi graph;
  SuiteOptions options = MetaSuiteOptions(MetaEnv(graph));
  options.database_url = database.url();
  options.replicas = 2;
  Suite suite(options);
  REQUIRE(suite.Instances("conversation").size() == 2);
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http, "Lumi Lamps");
  constexpr int kPerChannel = 16;
  constexpr int kMessagesEach = 3;
  auto customers = Customers(http, graph, owner, kPerChannel);

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
      queue.push_back({id, mid, Body(c, mid, "Thank you so much!")});
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
  size_t replies = ExpectEveryMessageOnceAndEveryReplyOnce(http, owner, graph, customers, acked,
                                                           std::chrono::seconds(45));
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
  SuiteOptions options = MetaSuiteOptions(MetaEnv(graph));
  options.replicas = replicas;
  options.database_url = database_url;
  Suite suite(options);
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http, "Lumi Lamps");
  auto customers = Customers(http, graph, owner, 10);
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
        if (!sender.Deliver(Body(c, mid, "Thank you so much!"),
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
  std::map<std::string, Customer> written;
  for (const auto& [mid, id] : all) {
    written[id] = customers.at(id);
  }
  size_t replies = ExpectEveryMessageOnceAndEveryReplyOnce(http, owner, graph, written, all,
                                                           std::chrono::seconds(45));
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
