// salesos-bench-ai: the built-in GenerateReply benchmark (bench/README.md, "AI replies").
//
// Starts the whole suite (a private Redis, the six services, the gateway; the same processes the
// integration tests run), registers a business, gives it a business profile whose documents make
// a knowledge base of about 50 chunks plus a campaign, waits for ai_orchestration to train, then
// calls ai_orchestration.GenerateReply over gRPC (a Unix socket, with a service token, as
// conversation will) from --clients threads for --duration seconds, --runs times. Each request is
// a short conversation ending with one of a fixed rotation of customer questions (price, product,
// shipping from the knowledge base, objection, greeting, hand-off; five languages). It also times
// the engine alone in-process (BuiltinEngine::Reply over the same index shape) to show what the
// rpc, the campaign/profile cache and the ai_runs insert add.
//
// Prints a Markdown report; with --write it replaces the marked AI section of bench/RESULTS.md.

#include <grpcpp/grpcpp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "bm25_index.h"
#include "builtin_engine.h"
#include "chunker.h"
#include "salesos/ai_orchestration/v1/ai_orchestration.grpc.pb.h"
#include "salesos/crypto/encoding.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/service_token.h"
#include "support/process.h"
#include "support/suite.h"

namespace {

namespace json = boost::json;
using salesos::bench::Fixed;
using salesos::bench::Machine;
using salesos::bench::Median;
using salesos::bench::Percentile;
using salesos::bench::WriteMarkedSection;
using salesos::testing::HttpClient;
using salesos::testing::HttpResult;
using salesos::testing::Suite;
using Clock = std::chrono::steady_clock;

struct Options {
  int clients = 4;
  int duration_s = 10;
  int runs = 3;
  int documents = 9;
  bool write = false;
  std::string results;
};

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << "salesos-bench-ai: " << what << "\n";
  std::exit(1);
}

json::value Parse(const HttpResult& r, const std::string& what) {
  if (r.status != 200) {
    Fail(what + " answered " + std::to_string(r.status) + ": " + r.body);
  }
  return json::parse(r.body);
}

// A paragraph of about 60 words on `topic`, distinct per index so BM25 has real work to do.
std::string Paragraph(const std::string& topic, int i) {
  std::ostringstream out;
  out << "Section " << i << " about " << topic << ". Our " << topic
      << " policy covers orders placed online and in our Lyon showroom. Customers often ask how "
      << topic << " works for large orders, for gifts and for business accounts; the answer "
      << "depends on the size of the order, the destination and the season. Variant " << i * 7
      << " applies from March to October, and the team answers within one business day.";
  return out.str();
}

std::vector<std::string> kQuestions = {
    "How much does the Aurora lamp cost?",
    "Does it have a USB-C charging port?",
    "How long does shipping take to Paris?",
    "Hmm, that's too expensive for me",
    "Hello!",
    "¿Cuánto cuesta la lámpara?",
    "Quels sont les délais de livraison ?",
    "Wie viel kostet die Lampe?",
    "Quanto custa a luminária?",
    "Can I talk to a real person?",
    "What is your return policy for business accounts?",
    "I want to buy it, how do I order?",
};

struct RunResult {
  double replies_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& name) -> std::string {
      if (a.rfind(name + "=", 0) == 0) {
        return a.substr(name.size() + 1);
      }
      if (a == name && i + 1 < argc) {
        return argv[++i];
      }
      Fail(name + " needs a value");
    };
    if (a.rfind("--clients", 0) == 0) {
      o.clients = std::stoi(value("--clients"));
    } else if (a.rfind("--duration", 0) == 0) {
      o.duration_s = std::stoi(value("--duration"));
    } else if (a.rfind("--runs", 0) == 0) {
      o.runs = std::stoi(value("--runs"));
    } else if (a.rfind("--documents", 0) == 0) {
      o.documents = std::stoi(value("--documents"));
    } else if (a.rfind("--write", 0) == 0) {
      o.write = true;
      o.results = value("--write");
    } else {
      std::cerr << "usage: salesos-bench-ai [--clients N] [--duration S] [--runs N] "
                   "[--documents N] [--write bench/RESULTS.md]\n";
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }
  if (o.clients < 1 || o.duration_s < 1 || o.runs < 1 || o.documents < 0) {
    Fail("--clients, --duration and --runs must be at least 1");
  }

  salesos::bench::UseBinariesNextTo(argv[0]);
  std::cerr << "starting the suite...\n";
  Suite suite;
  HttpClient http(suite.gateway_addr());
  json::value reg =
      Parse(http.Post("/api/v1/auth/register",
                      json::serialize(json::object{{"email", "bench-ai@example.com"},
                                                   {"password", "correct horse battery"},
                                                   {"name", "Bench"},
                                                   {"businessName", "Lumen Lamps"}})),
            "register");
  std::string token = std::string(reg.at("accessToken").as_string());
  std::string workspace = std::string(reg.at("workspace").at("id").as_string());

  json::array documents;
  const char* topics[] = {"shipping",          "returns",    "warranty", "payment",
                          "business accounts", "gift cards", "showroom", "installation"};
  for (int d = 0; d < o.documents; ++d) {
    std::string topic = topics[d % 8];
    std::string text;
    for (int p = 0; p < 5; ++p) {
      text += Paragraph(topic, d * 5 + p) + "\n\n";
    }
    documents.push_back(
        json::object{{"name", "FAQ " + std::to_string(d + 1) + ": " + topic}, {"content", text}});
  }
  Parse(http.Request(
            "PUT", "/api/v1/onboarding",
            json::serialize(json::object{{"businessInfo",
                                          {{"businessName", "Lumen Lamps"},
                                           {"description", "Lumen designs LED desk lamps in Lyon."},
                                           {"documents", documents}}}}),
            HttpClient::BearerHeaders(token)),
        "onboarding");
  json::value campaign = Parse(
      http.Post("/api/v1/campaigns",
                json::serialize(json::object{
                    {"name", "Desk lamps"},
                    {"product",
                     {{"name", "Aurora desk lamp"},
                      {"description", "A dimmable LED desk lamp."},
                      {"price", 49.99},
                      {"currency", "USD"},
                      {"features", json::array{"Three brightness levels", "USB-C charging port"}}}},
                    {"chatFlow",
                     {{"greeting", "Hi! Looking for a desk lamp?"},
                      {"qualificationQuestions", json::array{"Which room is it for?"}},
                      {"objectionHandling",
                       json::array{json::object{{"objection", "too expensive"},
                                                {"response", "It lasts 50,000 hours."}}}},
                      {"closingMessage", "Here is your order link."}}}}),
                token),
      "create campaign");
  std::string campaign_id = std::string(campaign.at("id").as_string());
  Parse(http.Post("/api/v1/ai/train", "{}", token), "train");
  json::value status = Parse(http.Get("/api/v1/ai/status", token), "status");
  int64_t chunks = status.at("chunks").as_int64();
  std::cerr << "knowledge base: " << chunks << " chunks\n";

  std::string secret_text = salesos::testing::ReadFile(suite.data_dir() + "/service.secret");
  while (!secret_text.empty() && std::isspace(static_cast<unsigned char>(secret_text.back()))) {
    secret_text.pop_back();
  }
  auto secret = salesos::crypto::Base64Decode(secret_text);
  if (!secret.ok()) {
    Fail("cannot read the service secret");
  }
  salesos::rpc::ServiceTokenSource tokens(salesos::rpc::MakeChannel(suite.service_addr("auth")),
                                          "conversation", *secret);
  auto authz = tokens.Authorization();
  if (!authz.ok()) {
    Fail("no service token: " + authz.status().message());
  }
  auto channel = salesos::rpc::MakeChannel(suite.service_addr("ai_orchestration"));
  auto stub = salesos::ai_orchestration::v1::AiOrchestrationService::NewStub(channel);

  auto request_for = [&](size_t i) {
    salesos::ai_orchestration::v1::GenerateReplyRequest req;
    req.set_workspace_id(workspace);
    req.set_campaign_id(campaign_id);
    req.set_conversation_id("bench-" + std::to_string(i % 64));
    auto* m1 = req.add_messages();
    m1->set_sender("customer");
    m1->set_content("Hi there");
    auto* m2 = req.add_messages();
    m2->set_sender("ai");
    m2->set_content("Hi! Looking for a desk lamp?");
    auto* m3 = req.add_messages();
    m3->set_sender("customer");
    m3->set_content(kQuestions[i % kQuestions.size()]);
    return req;
  };

  // The engine alone, single thread: the floor under the rpc figure.
  std::vector<double> engine_us;
  {
    salesos::ai::BusinessProfile profile;
    profile.business_name = "Lumen Lamps";
    for (const auto& d : documents) {
      profile.documents.push_back(
          {std::string(d.at("name").as_string()), "", std::string(d.at("content").as_string())});
    }
    salesos::ai::CampaignFacts facts;
    facts.id = campaign_id;
    facts.product_name = "Aurora desk lamp";
    facts.has_price = true;
    facts.price_minor = 4999;
    facts.currency = "USD";
    facts.features = {"Three brightness levels", "USB-C charging port"};
    facts.greeting = "Hi! Looking for a desk lamp?";
    facts.qualification_questions = {"Which room is it for?"};
    facts.objections = {{"too expensive", "It lasts 50,000 hours."}};
    salesos::ai::BuiltinEngine engine;
    auto docs = salesos::ai::ChunkDocuments(workspace,
                                            salesos::ai::BuildKnowledgeDocuments(profile, {facts}));
    auto index = std::make_shared<const salesos::ai::Bm25Index>(std::move(docs.chunks));
    auto searcher = salesos::ai::ForCampaign(index, campaign_id);
    for (int i = 0; i < 20000; ++i) {
      salesos::ai::ReplyInput in;
      in.workspace_id = workspace;
      in.campaign = facts;
      in.messages = {{"customer", "Hi there", 0},
                     {"ai", "Hi! Looking for a desk lamp?", 0},
                     {"customer", kQuestions[static_cast<size_t>(i) % kQuestions.size()], 0}};
      in.knowledge = searcher.get();
      auto t0 = Clock::now();
      auto out = engine.Reply(in);
      engine_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      if (out.text.empty()) {
        Fail("the engine gave an empty reply");
      }
    }
  }
  double engine_p50 = Percentile(engine_us, 0.50);
  double engine_p99 = Percentile(engine_us, 0.99);

  // Warm-up, then the measured runs over gRPC.
  std::vector<RunResult> results;
  for (int run = -1; run < o.runs; ++run) {
    std::atomic<bool> stop{false};
    std::vector<std::vector<double>> lat(static_cast<size_t>(o.clients));
    std::atomic<int64_t> errors{0};
    std::vector<std::thread> threads;
    auto start = Clock::now();
    for (int c = 0; c < o.clients; ++c) {
      threads.emplace_back([&, c] {
        size_t i = static_cast<size_t>(c) * 1000;
        while (!stop) {
          auto req = request_for(i++);
          salesos::ai_orchestration::v1::GenerateReplyResponse resp;
          grpc::ClientContext ctx;
          salesos::rpc::PrepareContext(ctx, 5000, {*authz, "", ""});
          auto t0 = Clock::now();
          grpc::Status st = stub->GenerateReply(&ctx, req, &resp);
          double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
          if (!st.ok() || resp.reply().text().empty()) {
            errors++;
            continue;
          }
          lat[static_cast<size_t>(c)].push_back(ms);
        }
      });
    }
    int seconds = run < 0 ? 2 : o.duration_s;
    salesos::testing::WaitFor([] { return false; }, std::chrono::seconds(seconds));
    stop = true;
    for (auto& t : threads) {
      t.join();
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (run < 0) {
      continue;
    }
    std::vector<double> all;
    for (auto& l : lat) {
      all.insert(all.end(), l.begin(), l.end());
    }
    RunResult r;
    r.replies_per_s = static_cast<double>(all.size()) / elapsed;
    r.p50_ms = Percentile(all, 0.50);
    r.p99_ms = Percentile(all, 0.99);
    r.errors = errors;
    if (r.errors > 0) {
      Fail("run " + std::to_string(run + 1) + " had " + std::to_string(r.errors) + " errors");
    }
    std::cerr << "run " << run + 1 << ": " << Fixed(r.replies_per_s, 0) << " replies/s, p50 "
              << Fixed(r.p50_ms, 2) << " ms, p99 " << Fixed(r.p99_ms, 2) << " ms\n";
    results.push_back(r);
  }

  std::vector<double> rps, p50, p99;
  std::string per_run;
  for (const auto& r : results) {
    rps.push_back(r.replies_per_s);
    p50.push_back(r.p50_ms);
    p99.push_back(r.p99_ms);
    per_run += (per_run.empty() ? "" : " / ") + Fixed(r.replies_per_s, 0);
  }
  std::ostringstream md;
  md << "Built-in `GenerateReply` over gRPC (Unix socket, service token), knowledge base of "
     << chunks << " chunks (" << o.documents << " FAQ documents, the profile and one campaign), "
     << o.clients << " concurrent clients in the bench process, " << o.duration_s << " s a run, "
     << o.runs
     << " runs after a 2 s warm-up; each reply also reads the workspace's settings and writes its "
        "ai_runs row (SQLite).\n\n"
     << "| benchmark | median replies/s | median p50 | median p99 | replies/s per run |\n"
     << "|---|---|---|---|---|\n"
     << "| GenerateReply (rpc, built-in) | " << Fixed(Median(rps), 0) << " | "
     << Fixed(Median(p50), 2) << " ms | " << Fixed(Median(p99), 2) << " ms | " << per_run << " |\n"
     << "| BuiltinEngine::Reply alone (1 thread, 20,000 calls) | "
     << Fixed(1e6 / (std::accumulate(engine_us.begin(), engine_us.end(), 0.0) /
                     static_cast<double>(engine_us.size())),
              0)
     << " | " << Fixed(engine_p50 / 1000, 3) << " ms | " << Fixed(engine_p99 / 1000, 3)
     << " ms | |\n\n"
     << "Machine: " << Machine() << "; the suite, its Redis and the bench client share it.\n";
  std::cout << md.str();

  if (o.write) {
    if (!WriteMarkedSection(o.results, "salesos-bench-ai", "## AI replies (salesos-bench-ai)",
                            md.str())) {
      Fail("cannot write " + o.results);
    }
    std::cerr << "wrote " << o.results << "\n";
  }
  return 0;
}
