// salesos-bench-segments: segment preview latency over a workspace of --contacts contacts (the CRM
// issue's target: POST /api/v1/segments/preview ≤ 100 ms p99 over 100,000 contacts on SQLite).
//
// Starts the whole suite (a private Redis, the six services, the gateway, SQLite; the processes the
// integration tests run) with the gateway's rate limits raised out of the way, registers a
// business, declares two custom fields (tier: enum, spend: number) and loads --contacts contacts
// with varied cities, countries, languages, journey stages, tags and custom values through the
// contacts import (POST /api/v1/contacts/import, CSV files under the gateway's 1 MiB body limit,
// each job polled at GET /api/v1/jobs/{id} until it is done). The data is generated from a fixed
// seed, so the bench knows how many contacts each tree must match and checks every answer.
//
// Then, for each tree, --runs runs of --requests sequential requests (one client, keep-alive)
// after a warm-up, and for each request its latency:
//   - preview: POST /api/v1/segments/preview through the gateway (token check, rate limiter, JSON,
//     campaign, which validates the tree and asks conversation for count + 20 contacts);
//   - count, sample, count + sample: conversation's EvaluateSegmentForService called directly over
//     gRPC with a service token, counting only, fetching 20 contacts only, and both (what campaign
//     asks for a preview), so the report shows where a preview's time goes.
// The report gives the median over the runs of each run's p50 and p99. Prints Markdown; with
// --write it replaces the marked section of bench/RESULTS.md. Every wait is bounded; a failed
// request or a wrong count fails the bench.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_report.h"
#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/service_token.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/suite.h"

namespace {

namespace json = boost::json;
namespace conv = salesos::conversation::v1;
using salesos::bench::Fixed;
using salesos::bench::Median;
using salesos::bench::Percentile;
using namespace salesos::testing;
using Clock = std::chrono::steady_clock;

struct Options {
  int contacts = 100'000;
  int runs = 3;
  int requests = 200;
  std::string results;  // --write: the file whose marked section the report replaces
};

// Thrown by Fail and caught in main, so that unwinding stops the suite's processes.
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(const std::string& what) { throw BenchFailure(what); }

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// --- the contacts ------------------------------------------------------------------------------

struct City {
  const char* name;
  const char* country;
  const char* language;
  int weight;  // out of the sum of weights
};

// Skewed like a real customer base: a few big cities, a long tail.
constexpr City kCities[] = {
    {"Paris", "FR", "fr", 12},    {"Lyon", "FR", "fr", 6},       {"Marseille", "FR", "fr", 5},
    {"Berlin", "DE", "de", 8},    {"Munich", "DE", "de", 4},     {"Hamburg", "DE", "de", 3},
    {"Madrid", "ES", "es", 6},    {"Barcelona", "ES", "es", 5},  {"Lisbon", "PT", "pt", 4},
    {"Porto", "PT", "pt", 2},     {"Rome", "IT", "it", 5},       {"Milan", "IT", "it", 5},
    {"London", "GB", "en", 9},    {"Manchester", "GB", "en", 3}, {"Dublin", "IE", "en", 3},
    {"Amsterdam", "NL", "nl", 4}, {"Brussels", "BE", "fr", 3},   {"Geneva", "CH", "fr", 2},
    {"Vienna", "AT", "de", 3},    {"Warsaw", "PL", "pl", 4},     {"Prague", "CZ", "cs", 2},
    {"Lille", "FR", "fr", 2},     {"Nantes", "FR", "fr", 2},     {"Toulouse", "FR", "fr", 2},
};
constexpr const char* kFirstNames[] = {
    "Ana",   "Bruno", "Chloé", "Dev",  "Emma", "Farid", "Giulia",  "Hugo", "Inès", "Jonas",
    "Karim", "Lena",  "Marta", "Noah", "Olga", "Pablo", "Quentin", "Rosa", "Sven", "Tomás"};
constexpr const char* kLastNames[] = {"Martin", "Bernard", "Müller", "García", "Rossi",
                                      "Silva",  "Smith",   "Novak",  "Dubois", "Jansen"};
constexpr const char* kStages[] = {"awareness", "interest", "consideration", "purchase",
                                   "retention"};
constexpr const char* kTiers[] = {"bronze", "silver", "gold"};

struct Contact {
  std::string first, last, email, city, country, language, stage, tier;
  std::vector<std::string> tags;
  int spend = 0;
};

// xorshift64*: the same contacts for the same seed, on every machine.
class Random {
 public:
  explicit Random(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 2685821657736338717ULL;
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  bool Chance(int percent) { return Below(100) < percent; }

 private:
  uint64_t s_;
};

std::vector<Contact> MakeContacts(int n) {
  int total_weight = 0;
  for (const auto& c : kCities) {
    total_weight += c.weight;
  }
  Random rnd(20261121);
  std::vector<Contact> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    Contact c;
    c.first = kFirstNames[rnd.Below(std::size(kFirstNames))];
    c.last = kLastNames[rnd.Below(std::size(kLastNames))];
    c.email = "c" + std::to_string(i) + "@bench.example";
    int pick = rnd.Below(total_weight);
    for (const auto& city : kCities) {
      if (pick < city.weight) {
        c.city = city.name;
        c.country = city.country;
        c.language = city.language;
        break;
      }
      pick -= city.weight;
    }
    c.stage = kStages[rnd.Below(std::size(kStages))];
    // About 15 % vip, 10 % b2b, 40 % newsletter, 20 % returning.
    if (rnd.Chance(15)) c.tags.push_back("vip");
    if (rnd.Chance(10)) c.tags.push_back("b2b");
    if (rnd.Chance(40)) c.tags.push_back("newsletter");
    if (rnd.Chance(20)) c.tags.push_back("returning");
    // Tiers 60/30/10, spending skewed low (most spend little, a few a lot).
    int t = rnd.Below(10);
    c.tier = kTiers[t < 6 ? 0 : t < 9 ? 1 : 2];
    int base = rnd.Below(1000);
    c.spend = base * base / 200;  // 0 .. 4,990
    out.push_back(std::move(c));
  }
  return out;
}

std::string CsvHeader() {
  return "firstName,lastName,email,city,country,language,journeyStage,tags,tier,spend\n";
}

std::string CsvRow(const Contact& c) {
  std::string tags;
  for (const auto& t : c.tags) {
    tags += (tags.empty() ? "" : ";") + t;
  }
  return c.first + "," + c.last + "," + c.email + "," + c.city + "," + c.country + "," +
         c.language + "," + c.stage + "," + tags + "," + c.tier + "," + std::to_string(c.spend) +
         "\n";
}

// --- the API -----------------------------------------------------------------------------------

std::map<std::string, std::string> Headers(const std::string& token,
                                           const std::string& content_type) {
  return {{"Authorization", "Bearer " + token}, {"Content-Type", content_type}};
}

json::value Call(HttpClient& http, const std::string& method, const std::string& target,
                 const std::string& token, const std::string& body = "") {
  HttpResult r = http.Request(method, target, body, Headers(token, "application/json"));
  if (r.status != 200) {
    Fail(method + " " + target + ": " + std::to_string(r.status) + " " + r.body.substr(0, 500));
  }
  return json::parse(r.body);
}

int64_t Int(const json::value& v) {
  return v.is_string() ? std::stoll(std::string(v.as_string())) : v.to_number<int64_t>();
}

// Loads the contacts through the import: CSV files of at most ~900 KB (the gateway takes 1 MiB),
// one job each, polled until it is done. Returns the seconds it took.
double Import(Suite& suite, const std::string& token, const std::vector<Contact>& contacts) {
  HttpClient http(suite.gateway_addr());
  const auto start = Clock::now();
  size_t next = 0;
  int files = 0;
  while (next < contacts.size()) {
    std::string csv = CsvHeader();
    size_t first = next;
    while (next < contacts.size() && csv.size() < 900'000) {
      csv += CsvRow(contacts[next++]);
    }
    HttpResult r = http.Request("POST", "/api/v1/contacts/import", csv, Headers(token, "text/csv"));
    if (r.status != 200) {
      Fail("POST /api/v1/contacts/import (rows " + std::to_string(first + 1) + ".." +
           std::to_string(next) + "): " + std::to_string(r.status) + " " + r.body.substr(0, 500));
    }
    const std::string job = std::string(json::parse(r.body).at("id").as_string());
    ++files;
    json::value state;
    bool done = WaitFor(
        [&] {
          state = Call(http, "GET", "/api/v1/jobs/" + job, token);
          const auto status = state.at("status").as_string();
          return status == "succeeded" || status == "failed";
        },
        std::chrono::minutes(15));
    if (!done) {
      Fail("import job " + job + " not done within 15 minutes: " + json::serialize(state));
    }
    const int64_t created = Int(state.at("created"));
    if (state.at("status").as_string() != "succeeded" ||
        created != static_cast<int64_t>(next - first)) {
      Fail("import job " + job + " did not create every row: " + json::serialize(state));
    }
    std::cerr << "  imported " << next << " of " << contacts.size() << " contacts (" << files
              << " files, " << Fixed(MillisSince(start) / 1000, 1) << " s)\n";
  }
  return MillisSince(start) / 1000;
}

// --- the trees ---------------------------------------------------------------------------------

struct Tree {
  std::string name;
  std::string rules;  // JSON
  std::function<bool(const Contact&)> matches;
  int64_t expected = 0;
};

bool HasTag(const Contact& c, const std::string& tag) {
  return std::find(c.tags.begin(), c.tags.end(), tag) != c.tags.end();
}

std::vector<Tree> Trees() {
  return {
      {"city = Lyon (one eq on a string column)",
       R"({"op":"and","conditions":[{"field":"city","operator":"eq","value":"Lyon"}]})",
       [](const Contact& c) { return c.city == "Lyon"; }},
      {"journeyStage = purchase (one eq on an enum column)",
       R"({"op":"and","conditions":[{"field":"journeyStage","operator":"eq","value":"purchase"}]})",
       [](const Contact& c) { return c.stage == "purchase"; }},
      {"leadScore ≥ 70 (an indexed column; every imported score is 0)",
       R"({"op":"and","conditions":[{"field":"leadScore","operator":"gte","value":70}]})",
       [](const Contact&) { return false; }},
      {"nested OR of 3: Paris, or vip in DE, or tier gold",
       R"({"op":"or","conditions":[
           {"field":"city","operator":"eq","value":"Paris"},
           {"op":"and","conditions":[{"field":"tags","operator":"contains","value":"vip"},
                                      {"field":"country","operator":"eq","value":"DE"}]},
           {"field":"customFields.tier","operator":"eq","value":"gold"}]})",
       [](const Contact& c) {
         return c.city == "Paris" || (HasTag(c, "vip") && c.country == "DE") || c.tier == "gold";
       }},
      {"tags contains vip",
       R"({"op":"and","conditions":[{"field":"tags","operator":"contains","value":"vip"}]})",
       [](const Contact& c) { return HasTag(c, "vip"); }},
      {"custom number: spend ≥ 4000",
       R"({"op":"and","conditions":[{"field":"customFields.spend","operator":"gte","value":4000}]})",
       [](const Contact& c) { return c.spend >= 4000; }},
      {"createdAt within_last_days 30 (matches everyone)",
       R"({"op":"and","conditions":[{"field":"createdAt","operator":"within_last_days","value":30}]})",
       [](const Contact&) { return true; }},
  };
}

// --- measuring ---------------------------------------------------------------------------------

struct Percentiles {
  double p50 = 0, p99 = 0;
};

// `n` calls of `one` (which checks its answer), each timed.
Percentiles Time(int n, const std::function<void()>& one) {
  std::vector<double> samples;
  samples.reserve(n);
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    one();
    samples.push_back(MillisSince(start));
  }
  return {Percentile(samples, 0.50), Percentile(samples, 0.99)};
}

// Median over the runs of each run's p50 and p99, after a warm-up of a fifth.
struct Measure {
  std::vector<double> p50, p99;
  std::string Cell() const { return Fixed(Median(p50), 1) + " / " + Fixed(Median(p99), 1); }
};

Measure Repeat(const Options& o, const std::function<void()>& one) {
  Time(std::max(1, o.requests / 5), one);
  Measure m;
  for (int run = 0; run < o.runs; ++run) {
    Percentiles p = Time(o.requests, one);
    m.p50.push_back(p.p50);
    m.p99.push_back(p.p99);
  }
  return m;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The service secret the suite's processes share (as tests/support/api.h reads it).
std::string SharedSecret(const Suite& suite) {
  std::string text = ReadFile(suite.data_dir() + "/service.secret");
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  auto secret = salesos::crypto::Base64Decode(text);
  if (!secret.ok()) {
    Fail("the suite's service secret does not decode: " + secret.status().message());
  }
  return *secret;
}

int Main(int argc, char** argv) {
  Options o;
  const int exit_code = salesos::bench::Flags("salesos-bench-segments")
                            .Int("--contacts", &o.contacts)
                            .Int("--runs", &o.runs)
                            .Int("--requests", &o.requests)
                            .Parse(argc, argv, &o.results);
  if (exit_code >= 0) {
    return exit_code;
  }

  salesos::bench::UseBinariesNextTo(argv[0]);
  std::cerr << "starting the suite...\n";
  SuiteOptions suite_options;
  suite_options.extra_env = {"SALESOS_RATE_LIMIT_IP_PER_MIN=1000000",
                             "SALESOS_RATE_LIMIT_USER_PER_MIN=1000000"};
  Suite suite(suite_options);
  HttpClient http(suite.gateway_addr());
  std::string token, workspace_id;
  {
    json::object body{{"email", "bench-" + salesos::RandomHex(6) + "@example.com"},
                      {"password", "correct horse battery"},
                      {"name", "Bench Owner"},
                      {"businessName", "Bench Segments"}};
    HttpResult r = http.Request("POST", "/api/v1/auth/register", json::serialize(body),
                                {{"Content-Type", "application/json"}});
    if (r.status != 200) {
      Fail("register: " + std::to_string(r.status) + " " + r.body);
    }
    json::value answer = json::parse(r.body);
    token = std::string(answer.at("accessToken").as_string());
    workspace_id = std::string(answer.at("workspace").at("id").as_string());
  }
  Call(http, "POST", "/api/v1/contact-fields", token,
       json::serialize(json::object{{"key", "tier"},
                                    {"label", "Loyalty tier"},
                                    {"type", "enum"},
                                    {"options", json::array{"bronze", "silver", "gold"}}}));
  Call(http, "POST", "/api/v1/contact-fields", token,
       json::serialize(
           json::object{{"key", "spend"}, {"label", "Spent in shop"}, {"type", "number"}}));

  std::cerr << "importing " << o.contacts << " contacts...\n";
  const std::vector<Contact> contacts = MakeContacts(o.contacts);
  const double import_s = Import(suite, token, contacts);

  std::vector<Tree> trees = Trees();
  for (auto& t : trees) {
    t.expected = std::count_if(contacts.begin(), contacts.end(), t.matches);
  }

  // conversation, directly, as campaign calls it.
  salesos::rpc::ServiceTokenSource tokens(salesos::rpc::MakeChannel(suite.service_addr("auth")),
                                          "campaign", SharedSecret(suite));
  auto stub = conv::ConversationService::NewStub(
      salesos::rpc::MakeChannel(suite.service_addr("conversation")));
  auto evaluate = [&](const Tree& t, bool count, int page_size) {
    conv::EvaluateSegmentForServiceRequest req;
    req.set_workspace_id(workspace_id);
    auto parsed = google::protobuf::util::JsonStringToMessage(t.rules, req.mutable_rules());
    if (!parsed.ok()) {
      Fail(t.name + ": the tree does not parse: " + std::string(parsed.message()));
    }
    req.set_count(count);
    req.set_page_size(page_size);
    return [&stub, &tokens, &t, req, count, page_size] {
      grpc::ClientContext ctx;
      auto prepared = salesos::rpc::PrepareServiceCall(ctx, tokens, 10'000);
      if (!prepared.ok()) {
        Fail("service token: " + prepared.message());
      }
      conv::EvaluateSegmentForServiceResponse resp;
      grpc::Status st = stub->EvaluateSegmentForService(&ctx, req, &resp);
      if (!st.ok()) {
        Fail(t.name + ": EvaluateSegmentForService: " + st.error_message());
      }
      if (count && resp.total_count() != t.expected) {
        Fail(t.name + ": conversation counted " + std::to_string(resp.total_count()) +
             ", the data has " + std::to_string(t.expected));
      }
      const int64_t want = std::min<int64_t>(page_size, t.expected);
      if (resp.contacts_size() != want) {
        Fail(t.name + ": " + std::to_string(resp.contacts_size()) + " contacts, not " +
             std::to_string(want));
      }
    };
  };

  std::string table;
  for (const Tree& t : trees) {
    const std::string body = R"({"rules":)" + t.rules + "}";
    auto preview = [&] {
      HttpResult r = http.Request("POST", "/api/v1/segments/preview", body,
                                  Headers(token, "application/json"));
      if (r.status != 200) {
        std::cerr << "--- campaign, the end of its log:\n"
                  << suite.process("campaign").LogTail(10) << "--- conversation:\n"
                  << suite.process("conversation").LogTail(10);
        Fail(t.name + ": preview " + std::to_string(r.status) + " " + r.body.substr(0, 300));
      }
      json::value v = json::parse(r.body);
      if (Int(v.at("count")) != t.expected ||
          static_cast<int64_t>(v.at("sample").as_array().size()) !=
              std::min<int64_t>(20, t.expected)) {
        Fail(t.name + ": preview answered count " + json::serialize(v.at("count")) + " with " +
             std::to_string(v.at("sample").as_array().size()) + " contacts; the data has " +
             std::to_string(t.expected));
      }
    };
    std::cerr << t.name << " (" << t.expected << " contacts)...\n";
    Measure http_m = Repeat(o, preview);
    Measure count_m = Repeat(o, evaluate(t, true, 0));
    Measure sample_m = Repeat(o, evaluate(t, false, 20));
    Measure both_m = Repeat(o, evaluate(t, true, 20));
    const bool met = Median(http_m.p99) <= 100;
    std::cerr << "  preview p50/p99 " << http_m.Cell() << " ms, count " << count_m.Cell()
              << ", sample " << sample_m.Cell() << ", both " << both_m.Cell() << "\n";
    table += "| " + t.name + " | " + std::to_string(t.expected) + " | " + http_m.Cell() + " | " +
             count_m.Cell() + " | " + sample_m.Cell() + " | " + both_m.Cell() + " | " +
             (met ? "met" : "missed") + " |\n";
  }

  std::ostringstream md;
  md << "SQLite, Redis on a Unix socket, the whole suite running. One workspace of " << o.contacts
     << " contacts imported through `POST /api/v1/contacts/import` (CSV files under 1 MiB, "
     << Fixed(import_s, 0)
     << " s in all): 24 cities with a skewed spread, their countries and languages, five "
        "journey stages, tags (vip 15 %, b2b 10 %, newsletter 40 %, returning 20 %) and two "
        "declared custom fields (`tier` enum bronze/silver/gold 60/30/10 %, `spend` number "
        "0..4,990 "
        "skewed low). Every answer is checked against the count the generated data gives.\n\n"
     << "One keep-alive client, requests one after another; " << o.runs << " runs of " << o.requests
     << " requests per column after a warm-up, the median of the runs' p50 / p99 in ms. "
        "**preview**: `POST /api/v1/segments/preview` through the gateway (token check, rate "
        "limiter, campaign's validation, the call to conversation, JSON). **count**, **sample**, "
        "**count + sample**: conversation's `EvaluateSegmentForService` over gRPC with a service "
        "token, counting only, 20 contacts only, and both (what a preview asks).\n\n"
     << "| tree | matches | preview | count | sample | count + sample | preview p99 ≤ 100 ms |\n"
     << "|---|---|---|---|---|---|---|\n"
     << table << "\nMachine: " << salesos::bench::Machine()
     << "; the suite, its Redis and the bench client share it.\n";
  std::cout << md.str();
  if (!o.results.empty()) {
    if (!salesos::bench::WriteMarkedSection(o.results, "salesos-bench-segments",
                                            "## Segments (salesos-bench-segments)", md.str())) {
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
    std::cerr << "salesos-bench-segments: " << e.what() << "\n";
    return 1;
  }
}
