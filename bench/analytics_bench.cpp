// salesos-bench-analytics: the two analytics measures of issue 7 (bench/README.md, "Analytics").
//
//   - events folded per second: --events realistic EventEnvelopes of one workspace (conversations:
//     conversation.started, customers' messages, AI replies and the messages they sent, lead
//     scores, some conversions) are XADDed to the suite's salesos:events by rpc::EventPublisher
//     while salesos-analytics is paused (SIGSTOP), so the stream holds the whole batch; then the
//     clock runs from SIGCONT until the consumer group `analytics` has delivered and acknowledged
//     every entry (XINFO GROUPS: last-delivered-id at the batch's last id, nothing pending).
//     --runs times, a new workspace each run, after a small warm-up batch.
//   - dashboard query latency over a year of hourly rollups: --campaigns campaigns (created and
//     activated by campaign events) each with activity in every UTC hour of the --days days before
//     today, fed through the same consumer as events (one conversation a campaign a day: it starts
//     at 00:xx, then a customer message in each odd hour and an AI reply in each even one; every
//     tenth converts), so the rollups table holds days × 24 × campaigns rows of one workspace.
//     Once folded and checked against the expected totals, --clients closed-loop HTTP clients
//     (keep-alive, through the gateway with the owner's token) GET the year's dashboard, the
//     dashboard of one campaign, and the year's daily time series, --requests each per run,
//     --runs times after a warm-up.
//
// Starts the whole suite (a private Redis, the six services, the gateway; the processes the
// integration tests run) with the gateway's rate limits raised out of the way (the limiter still
// decides every request). Prints a Markdown report; with --write it replaces the marked section of
// bench/RESULTS.md. Every wait is bounded; a failed request or a wrong total fails the bench.

#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/events.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/suite.h"

namespace {

namespace json = boost::json;
namespace ev = salesos::events::v1;
using salesos::bench::Fixed;
using salesos::bench::Median;
using salesos::bench::Percentile;
using namespace salesos::testing;
using Clock = std::chrono::steady_clock;

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr const char* kPlatforms[] = {"facebook", "instagram", "whatsapp"};
constexpr const char* kGroup = "analytics";
// The fill waits for the consumer when it is this far behind, so the stream (trimmed at about
// rpc::kEventsStreamMaxLen entries) never drops an entry that was not folded yet.
constexpr int64_t kMaxFillLag = 200'000;

struct Options {
  int events = 50'000;
  int runs = 3;
  int campaigns = 100;
  int days = 365;
  int clients = 2;
  int requests = 40;
  std::string results;  // --write: the file whose marked section the report replaces
};

// Thrown by Fail and caught in main, so that unwinding stops the suite's processes.
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(const std::string& what) { throw BenchFailure(what); }

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// "1700000000000-3" as (ms, seq), to compare stream ids.
std::pair<int64_t, int64_t> StreamId(const std::string& id) {
  const size_t dash = id.find('-');
  return {std::atoll(id.substr(0, dash).c_str()),
          dash == std::string::npos ? 0 : std::atoll(id.substr(dash + 1).c_str())};
}

// The state of a consumer group of salesos:events (XINFO GROUPS).
struct GroupState {
  int64_t pending = 0;
  std::string last_delivered_id;
  int64_t lag = -1;  // entries not delivered yet (-1: Redis cannot tell)
};

GroupState Group(salesos::redis::Client& redis, const std::string& group) {
  auto reply = redis.Command({"XINFO", "GROUPS", salesos::rpc::kEventsStream});
  if (!reply.ok()) {
    Fail("XINFO GROUPS: " + reply.status().message());
  }
  for (const auto& g : reply->elements) {
    GroupState state;
    std::string name;
    for (size_t i = 0; i + 1 < g.elements.size(); i += 2) {
      const std::string& field = g.elements[i].str;
      const auto& value = g.elements[i + 1];
      if (field == "name") {
        name = value.str;
      } else if (field == "pending") {
        state.pending = value.integer;
      } else if (field == "last-delivered-id") {
        state.last_delivered_id = value.str;
      } else if (field == "lag") {
        state.lag = value.IsNil() ? -1 : value.integer;
      }
    }
    if (name == group) {
      return state;
    }
  }
  Fail("salesos:events has no consumer group " + group);
}

// The id of the stream's last entry; "0-0" while it has none.
std::string LastStreamId(salesos::redis::Client& redis) {
  auto reply = redis.Command({"XREVRANGE", salesos::rpc::kEventsStream, "+", "-", "COUNT", "1"});
  if (!reply.ok()) {
    Fail("cannot read the last entry of salesos:events: " + reply.status().message());
  }
  if (reply->elements.empty() || reply->elements[0].elements.empty()) {
    return "0-0";
  }
  return reply->elements[0].elements[0].str;
}

// Waits (bounded) until the group has delivered everything up to `last_id` and acknowledged it.
bool WaitFolded(salesos::redis::Client& redis, const std::string& last_id,
                std::chrono::milliseconds bound) {
  const auto last = StreamId(last_id);
  return WaitFor(
      [&] {
        GroupState g = Group(redis, kGroup);
        return g.pending == 0 && StreamId(g.last_delivered_id) >= last;
      },
      bound);
}

// Writes events as the services do, counting them.
class Events {
 public:
  Events(salesos::redis::ClientPtr redis, std::string workspace_id)
      : publisher_(std::move(redis), "bench"), workspace_id_(std::move(workspace_id)) {}

  void Publish(const std::string& type, const google::protobuf::MessageLite& payload) {
    auto id = publisher_.Publish(type, workspace_id_, payload);
    if (!id.ok()) {
      Fail("XADD " + type + ": " + id.status().message());
    }
    ++count_;
  }
  const std::string& workspace_id() const { return workspace_id_; }
  int64_t count() const { return count_; }

 private:
  salesos::rpc::EventPublisher publisher_;
  std::string workspace_id_;
  int64_t count_ = 0;
};

void PublishCampaign(Events& events, const std::string& campaign_id, const std::string& name,
                     const std::string& platform) {
  ev::CampaignChanged c;
  c.set_workspace_id(events.workspace_id());
  c.set_campaign_id(campaign_id);
  c.set_name(name);
  c.set_target_platform(platform);
  c.set_status("draft");
  events.Publish("campaign.created", c);
  c.set_status("active");
  events.Publish("campaign.activated", c);
}

// The events of one conversation, each with the ids they share.
struct Conversation {
  std::string workspace_id;
  std::string campaign_id;
  std::string platform;
  std::string conversation_id = salesos::NewUuidV7();
  std::string contact_id = salesos::NewUuidV7();

  void Started(Events& events, int64_t at_ms) const {
    auto p = Ids<ev::ConversationStarted>();
    p.set_contact_id(contact_id);
    p.set_platform(platform);
    p.set_started_at(salesos::FormatRfc3339Millis(at_ms));
    events.Publish("conversation.started", p);
  }
  void CustomerMessage(Events& events, int64_t at_ms) const {
    auto p = Ids<ev::MessageReceived>();
    p.set_message_id(salesos::NewUuidV7());
    p.set_contact_id(contact_id);
    p.set_platform(platform);
    p.set_sender("customer");
    p.set_type("text");
    p.set_platform_timestamp_ms(at_ms - 150);
    p.set_received_at_ms(at_ms);
    events.Publish("message.received", p);
  }
  void AiMessageSent(Events& events, int64_t at_ms) const {
    auto p = Ids<ev::MessageSent>();
    p.set_message_id(salesos::NewUuidV7());
    p.set_platform(platform);
    p.set_sender("ai");
    p.set_platform_message_id("m_" + salesos::RandomHex(8));
    p.set_attempts(1);
    p.set_queued_at_ms(at_ms - 80);
    p.set_sent_at_ms(at_ms);
    events.Publish("message.sent", p);
  }
  void AiReplied(Events& events, int64_t response_ms, bool fallback) const {
    auto p = Ids<ev::AiReplied>();
    p.set_message_id(salesos::NewUuidV7());
    p.set_provider(fallback ? "builtin" : "openai-compatible");
    p.set_model(fallback ? "builtin" : "gpt-4o-mini");
    p.set_latency_ms(420);
    p.set_intent("pricing");
    p.set_fallback_reason(fallback ? "timeout" : "");
    p.set_run_id(salesos::NewUuidV7());
    p.set_response_ms(response_ms);
    events.Publish("ai.replied", p);
  }
  void LeadScored(Events& events, int score) const {
    auto p = Ids<ev::LeadScored>();
    p.set_contact_id(contact_id);
    p.set_score(score);
    events.Publish("lead.scored", p);
  }
  void Converted(Events& events, int64_t at_ms, int64_t order_value_minor) const {
    auto p = Ids<ev::ConversionRecorded>();
    p.set_contact_id(contact_id);
    p.set_order_value_minor(order_value_minor);
    p.set_currency("USD");
    p.set_recorded_by(salesos::NewUuidV7());
    p.set_converted_at(salesos::FormatRfc3339Millis(at_ms));
    events.Publish("conversion.recorded", p);
  }

 private:
  template <typename Payload>
  Payload Ids() const {
    Payload p;
    p.set_workspace_id(workspace_id);
    p.set_conversation_id(conversation_id);
    p.set_campaign_id(campaign_id);
    return p;
  }
};

// --- events folded per second ----------------------------------------------------------------

// Publishes at least `n` events of chat conversations in 10 campaigns of a new workspace: each
// conversation is started, has two customer messages each answered by the AI (ai.replied and the
// message.sent), a lead score, and every fifth a conversion. Returns the number published.
int64_t PublishConversations(salesos::redis::ClientPtr redis, int64_t n) {
  Events events(redis, salesos::NewUuidV7());
  std::vector<std::string> campaigns;
  for (int c = 0; c < 10; ++c) {
    campaigns.push_back(salesos::NewUuidV7());
    PublishCampaign(events, campaigns.back(), "Campaign " + std::to_string(c), kPlatforms[c % 3]);
  }
  const int64_t t0 = salesos::NowUnixMillis() - 6 * kHourMs;
  for (int64_t i = 0; events.count() < n; ++i) {
    const Conversation conv{events.workspace_id(), campaigns[i % campaigns.size()],
                            kPlatforms[(i % campaigns.size()) % 3]};
    const int64_t at = t0 + (i * 997) % (6 * kHourMs);
    conv.Started(events, at);
    conv.CustomerMessage(events, at);
    conv.AiReplied(events, 2'400, i % 25 == 0);
    conv.AiMessageSent(events, at + 2'400);
    conv.CustomerMessage(events, at + 60'000);
    conv.AiReplied(events, 3'100, false);
    conv.AiMessageSent(events, at + 63'100);
    conv.LeadScored(events, static_cast<int>(20 + i % 70));
    if (i % 5 == 0) {
      conv.Converted(events, at + 300'000, 4'999 + (i % 7) * 1'000);
    }
  }
  return events.count();
}

struct FoldRun {
  int64_t events = 0;
  double publish_s = 0;  // XADDs while the consumer was paused (not measured)
  double fold_s = 0;
  double rate() const { return static_cast<double>(events) / fold_s; }
};

FoldRun MeasureFolding(Suite& suite, salesos::redis::ClientPtr redis, int64_t n) {
  if (!WaitFolded(*redis, LastStreamId(*redis), std::chrono::seconds(120))) {
    Fail("analytics did not catch up with salesos:events before the run");
  }
  Process& analytics = suite.process("analytics");
  FoldRun run;
  analytics.Signal(SIGSTOP);
  const auto published = Clock::now();
  run.events = PublishConversations(redis, n);
  run.publish_s = SecondsSince(published);
  const std::string last = LastStreamId(*redis);
  const auto start = Clock::now();
  analytics.Signal(SIGCONT);
  if (!WaitFolded(*redis, last, std::chrono::minutes(10))) {
    Fail("analytics did not fold " + std::to_string(run.events) + " events within 10 minutes");
  }
  run.fold_s = SecondsSince(start);
  return run;
}

// --- a year of hourly rollups ------------------------------------------------------------------

struct YearFill {
  int64_t from_ms = 0;  // the first day's midnight, UTC
  int days = 0;
  std::vector<std::string> campaigns;
  int64_t events = 0;
  int64_t conversions = 0;
  double seconds = 0;
};

YearFill FillYear(salesos::redis::ClientPtr redis, const std::string& workspace_id,
                  const Options& o) {
  YearFill fill;
  fill.days = o.days;
  const int64_t today = salesos::NowUnixMillis() / kDayMs * kDayMs;
  fill.from_ms = today - static_cast<int64_t>(o.days) * kDayMs;
  Events events(redis, workspace_id);
  for (int c = 0; c < o.campaigns; ++c) {
    fill.campaigns.push_back(salesos::NewUuidV7());
    PublishCampaign(events, fill.campaigns.back(), "Campaign " + std::to_string(c + 1),
                    kPlatforms[c % 3]);
  }
  const auto start = Clock::now();
  for (int d = 0; d < o.days; ++d) {
    const int64_t day = fill.from_ms + d * kDayMs;
    for (int c = 0; c < o.campaigns; ++c) {
      const Conversation conv{workspace_id, fill.campaigns[c], kPlatforms[c % 3]};
      const int64_t minute = ((d * 31 + c * 7) % 50) * 60'000;
      conv.Started(events, day + minute);
      for (int h = 1; h < 24; ++h) {
        const int64_t at = day + h * kHourMs + minute;
        h % 2 == 1 ? conv.CustomerMessage(events, at) : conv.AiMessageSent(events, at);
      }
      if ((d + c) % 10 == 0) {
        conv.Converted(events, day + 23 * kHourMs + minute + 60'000, 2'500 + c * 100);
        ++fill.conversions;
      }
    }
    // Keep the consumer's backlog bounded (see kMaxFillLag).
    if (!WaitFor([&] { return Group(*redis, kGroup).lag < kMaxFillLag; },
                 std::chrono::minutes(10))) {
      Fail("analytics fell more than " + std::to_string(kMaxFillLag) + " events behind for 10 min");
    }
    if (d % 30 == 29) {
      std::cerr << "  " << d + 1 << " of " << o.days << " days published, "
                << Fixed(static_cast<double>(events.count()) / SecondsSince(start), 0)
                << " events/s so far\n";
    }
  }
  if (!WaitFolded(*redis, LastStreamId(*redis), std::chrono::minutes(20))) {
    Fail("analytics did not fold the year within 20 minutes of its last event");
  }
  fill.seconds = SecondsSince(start);
  fill.events = events.count();
  return fill;
}

// --- queries -----------------------------------------------------------------------------------

struct Query {
  std::string name;
  std::function<std::string(int)> target;  // the i-th request's target
};

struct QueryRun {
  double p50_ms = 0;
  double p99_ms = 0;
  double per_s = 0;
};

QueryRun RunQueries(Suite& suite, const std::string& token, const Query& q, int clients,
                    int requests) {
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::vector<double>> samples(clients);
  std::string failure;
  std::mutex failure_mu;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto failed = [&](const std::string& what) {
        ++failures;
        std::lock_guard lock(failure_mu);
        failure = what;
      };
      try {
        HttpClient http(suite.gateway_addr());
        for (int i = next++; i < requests; i = next++) {
          const auto sent = Clock::now();
          HttpResult r = http.Get(q.target(i), token);
          samples[c].push_back(SecondsSince(sent) * 1000);
          if (r.status != 200) {
            failed(std::to_string(r.status) + " " + r.body.substr(0, 300));
          }
        }
      } catch (const std::exception& e) {
        failed(e.what());  // the connection broke: this client stops
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  const double elapsed = SecondsSince(start);
  if (failures > 0) {
    for (const char* name : {"gateway", "analytics"}) {
      std::cerr << "--- " << name << (suite.process(name).Running() ? "" : " (exited)")
                << ", the end of its log:\n"
                << suite.process(name).LogTail(15);
    }
    Fail(q.name + ": " + std::to_string(failures.load()) + " failed requests, e.g. " + failure);
  }
  std::vector<double> all;
  for (const auto& s : samples) {
    all.insert(all.end(), s.begin(), s.end());
  }
  return {Percentile(all, 0.50), Percentile(all, 0.99), requests / elapsed};
}

json::value GetJson(HttpClient& http, const std::string& target, const std::string& token) {
  HttpResult r = http.Get(target, token);
  if (r.status != 200) {
    Fail("GET " + target + ": " + std::to_string(r.status) + " " + r.body);
  }
  return json::parse(r.body);
}

std::string Count(const json::value& v) { return std::string(v.as_string()); }

// The year's dashboard must show exactly what was folded.
void CheckYear(HttpClient& http, const std::string& token, const std::string& range,
               const YearFill& fill) {
  const int64_t conversations = static_cast<int64_t>(fill.days) * fill.campaigns.size();
  json::value d = GetJson(http, "/api/v1/analytics/dashboard?" + range, token);
  const auto& m = d.at("metrics");
  const std::vector<std::pair<std::string, int64_t>> want = {
      {Count(m.at("conversationsStarted")), conversations},
      {Count(m.at("messagesReceived")), conversations * 12},
      {Count(m.at("messagesSent").at("ai")), conversations * 11},
      {Count(m.at("conversions")), fill.conversions},
      {Count(d.at("totalCampaigns")), static_cast<int64_t>(fill.campaigns.size())},
  };
  for (const auto& [got, expected] : want) {
    if (got != std::to_string(expected)) {
      Fail("the year's dashboard is wrong: " + json::serialize(d));
    }
  }
}

std::string Date(int64_t ms) { return salesos::FormatRfc3339(ms / 1000).substr(0, 10); }

int Main(int argc, char** argv) {
  Options o;
  const int exit_code = salesos::bench::Flags("salesos-bench-analytics")
                            .Int("--events", &o.events)
                            .Int("--runs", &o.runs)
                            .Int("--campaigns", &o.campaigns)
                            .Int("--days", &o.days)
                            .Int("--clients", &o.clients)
                            .Int("--requests", &o.requests)
                            .Parse(argc, argv, &o.results);
  if (exit_code >= 0) {
    return exit_code;
  }
  if (o.days > 3650) {
    Fail("--days must be at most 3650 (a dashboard range spans at most ten years)");
  }

  salesos::bench::UseBinariesNextTo(argv[0]);
  std::cerr << "starting the suite...\n";
  SuiteOptions suite_options;
  suite_options.extra_env = {"SALESOS_RATE_LIMIT_IP_PER_MIN=1000000",
                             "SALESOS_RATE_LIMIT_USER_PER_MIN=1000000"};
  Suite suite(suite_options);
  auto connected = salesos::redis::Connect(suite.redis().url());
  if (!connected.ok()) {
    Fail("redis: " + connected.status().message());
  }
  salesos::redis::ClientPtr redis = *connected;
  auto http = suite.Client();
  std::string token, workspace_id;
  {
    json::object body{{"email", "bench-" + salesos::RandomHex(6) + "@example.com"},
                      {"password", "correct horse battery"},
                      {"name", "Bench Owner"},
                      {"businessName", "Bench Analytics"}};
    HttpResult r = http->Request("POST", "/api/v1/auth/register", json::serialize(body),
                                 {{"Content-Type", "application/json"}});
    if (r.status != 200) {
      Fail("register: " + std::to_string(r.status) + " " + r.body);
    }
    json::value answer = json::parse(r.body);
    token = std::string(answer.at("accessToken").as_string());
    workspace_id = std::string(answer.at("workspace").at("id").as_string());
  }

  // (a) Events folded per second.
  std::cerr << "folding: warm-up, then " << o.runs << " runs of " << o.events << " events\n";
  MeasureFolding(suite, redis, std::min(o.events, 2'000));
  std::vector<FoldRun> folds;
  for (int run = 1; run <= o.runs; ++run) {
    folds.push_back(MeasureFolding(suite, redis, o.events));
    std::cerr << "run " << run << ": " << folds.back().events << " events folded in "
              << Fixed(folds.back().fold_s, 2) << " s: " << Fixed(folds.back().rate(), 0)
              << " events/s (published in " << Fixed(folds.back().publish_s, 2) << " s)\n";
  }

  // (b) A year of hourly rollups, then the dashboard queries.
  std::cerr << "filling " << o.days << " days × 24 hours × " << o.campaigns
            << " campaigns of rollups through salesos:events...\n";
  YearFill fill = FillYear(redis, workspace_id, o);
  std::cerr << "filled: " << fill.events << " events in " << Fixed(fill.seconds, 1) << " s ("
            << Fixed(static_cast<double>(fill.events) / fill.seconds, 0) << " events/s)\n";
  const std::string range =
      "from=" + Date(fill.from_ms) + "&to=" + Date(fill.from_ms + (fill.days - 1) * kDayMs);
  CheckYear(*http, token, range, fill);
  const std::vector<Query> queries = {
      {"dashboard, all campaigns", [&](int) { return "/api/v1/analytics/dashboard?" + range; }},
      {"dashboard, one campaign",
       [&](int i) {
         return "/api/v1/analytics/dashboard?" + range +
                "&campaignId=" + fill.campaigns[i % fill.campaigns.size()];
       }},
      {"time series by day (4 metrics)",
       [&](int) { return "/api/v1/analytics/timeseries?granularity=day&" + range; }},
  };
  std::string table;
  for (const Query& q : queries) {
    RunQueries(suite, token, q, o.clients, std::max(o.clients, o.requests / 5));  // warm-up
    std::vector<double> p50, p99, rates;
    std::string per_run;
    for (int run = 1; run <= o.runs; ++run) {
      QueryRun r = RunQueries(suite, token, q, o.clients, o.requests);
      std::cerr << q.name << ", run " << run << ": p50 " << Fixed(r.p50_ms, 1) << " ms, p99 "
                << Fixed(r.p99_ms, 1) << " ms, " << Fixed(r.per_s, 1) << " requests/s\n";
      p50.push_back(r.p50_ms);
      p99.push_back(r.p99_ms);
      rates.push_back(r.per_s);
      per_run += (per_run.empty() ? "" : " / ") + Fixed(r.p99_ms, 1);
    }
    table += "| " + q.name + " | " + Fixed(Median(p50), 1) + " ms | " + Fixed(Median(p99), 1) +
             " ms | " + Fixed(Median(rates), 1) + " | " + per_run + " |\n";
  }

  std::vector<double> rates;
  std::string fold_runs;
  for (const auto& f : folds) {
    rates.push_back(f.rate());
    fold_runs += (fold_runs.empty() ? "" : " / ") + Fixed(f.rate(), 0);
  }
  const int64_t rows = static_cast<int64_t>(fill.days) * 24 * o.campaigns;
  std::ostringstream md;
  md << "SQLite, Redis on a Unix socket, the whole suite running; " << o.runs
     << " runs of each measure, the median reported.\n\n"
     << "**Folding.** A batch of " << o.events
     << " events of one workspace (conversations in 10 campaigns: `conversation.started`, two "
        "customer `message.received` each answered by `ai.replied` + `message.sent`, "
        "`lead.scored`, every fifth a `conversion.recorded`) XADDed to `salesos:events` while "
        "salesos-analytics is paused, then timed from resuming it until its consumer group has "
        "delivered and acknowledged every entry.\n\n"
     << "| measure | median | per run |\n|---|---|---|\n"
     << "| events folded per second | " << Fixed(Median(rates), 0) << " | " << fold_runs << " |\n\n"
     << "**Dashboard over a year.** " << o.campaigns << " campaigns with activity in every hour of "
     << o.days << " days: " << rows << " hourly rollup rows of one workspace, from " << fill.events
     << " events folded through the same consumer (" << Fixed(fill.seconds, 0) << " s, "
     << Fixed(static_cast<double>(fill.events) / fill.seconds, 0)
     << " events/s with the XADDs running alongside), checked against the dashboard's totals. "
        "Each query asks for all of those days (`"
     << range << "`, UTC) from " << o.clients
     << " closed-loop keep-alive clients through the gateway (token check, rate limiter, gRPC), "
     << o.requests << " requests per run after a warm-up"
     << (o.requests < 100 ? " (so few that p99 is about the slowest of them)" : "") << ".\n\n"
     << "| query | median p50 | median p99 | median requests/s | p99 per run |\n"
     << "|---|---|---|---|---|\n"
     << table << "\nMachine: " << salesos::bench::Machine()
     << "; the suite, its Redis and the bench client share it.\n";
  std::cout << md.str();
  if (!o.results.empty()) {
    if (!salesos::bench::WriteMarkedSection(o.results, "salesos-bench-analytics",
                                            "## Analytics (salesos-bench-analytics)", md.str())) {
      Fail("cannot write " + o.results);
    }
    std::cerr << "wrote " << o.results << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {  // BenchFailure, or a JSON answer that does not parse
    std::cerr << "salesos-bench-analytics: " << e.what() << "\n";
    return 1;
  }
}
