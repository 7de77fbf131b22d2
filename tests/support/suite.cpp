#include "support/suite.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>

#include "salesos/rpc/service_main.h"

namespace salesos::testing {

const std::vector<std::string>& Suite::ServiceNames() {
  static const std::vector<std::string> kNames = {
      "auth", "campaign", "conversation", "webhook_ingest", "ai_orchestration", "analytics"};
  return kNames;
}

namespace {
std::string Dashed(std::string s) {
  for (auto& c : s) {
    c = c == '_' ? '-' : c;
  }
  return s;
}

// "conversation" for the first replica, "conversation.2" for the second...
std::string InstanceName(const std::string& service, int replica) {
  return replica == 0 ? service : service + "." + std::to_string(replica + 1);
}
}  // namespace

std::unique_ptr<Process> Suite::StartBinary(const std::string& instance,
                                            const std::vector<std::string>& args) {
  std::vector<std::string> argv = args;
  argv.insert(argv.begin(), BinDir() + "/salesos-" + Dashed(binary_of_.at(instance)));
  return std::make_unique<Process>(std::move(argv), dir_.File(instance + ".log"),
                                   options_.extra_env);
}

std::string Suite::WaitPortFile(const std::string& instance, const std::string& file) {
  Process& p = *processes_.at(instance);
  bool ok =
      WaitFor([&] { return !ReadFile(file).empty() || !p.Running(); }, std::chrono::seconds(30));
  std::string content = ReadFile(file);
  if (!ok || content.empty()) {
    throw std::runtime_error(instance + " did not start:\n" + p.LogTail());
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == ' ')) {
    content.pop_back();
  }
  return content;
}

int Suite::replicas(const std::string& service) const {
  auto it = options_.replicas_of.find(service);
  return std::max(1, it == options_.replicas_of.end() ? options_.replicas : it->second);
}

std::vector<std::string> Suite::Instances(const std::string& service) const {
  std::vector<std::string> out;
  for (int i = 0; i < replicas(service); ++i) {
    out.push_back(InstanceName(service, i));
  }
  return out;
}

void Suite::Start(const std::string& instance) {
  const std::string port_file = dir_.File(instance + ".port");
  std::filesystem::remove(port_file);
  processes_[instance] = StartBinary(instance, args_.at(instance));
}

void Suite::WaitReady() {
  HttpClient client(gateway_addr_);
  bool ready = WaitFor(
      [&] {
        try {
          return client.Get("/readyz").status == 200;
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(30));
  if (!ready) {
    std::string tails;
    for (auto& [n, p] : processes_) {
      tails += "--- " + n + "\n" + p->LogTail(10);
    }
    throw std::runtime_error("the suite did not become ready:\n" + tails);
  }
}

Suite::Suite(SuiteOptions options) : options_(std::move(options)) {
  bool graph_set = false;
  for (const auto& e : options_.extra_env) {
    graph_set = graph_set || e.rfind("SALESOS_GRAPH_API_BASE=", 0) == 0;
  }
  if (!graph_set) {
    options_.extra_env.push_back("SALESOS_GRAPH_API_BASE=http://127.0.0.1:9/v21.0");
  }
  if (options_.database_url.empty() && SuiteOnPostgres()) {
    const char* cluster = std::getenv("SALESOS_TEST_POSTGRES_URL");
    if (cluster == nullptr || *cluster == '\0') {
      const char* required = std::getenv("SALESOS_REQUIRE_POSTGRES");
      if (required != nullptr && std::string(required) == "1") {
        throw std::runtime_error(
            "SALESOS_SUITE_DATABASE=postgresql needs SALESOS_TEST_POSTGRES_URL (./salesos test "
            "starts a cluster)");
      }
      // Skipped, as every PostgreSQL test is without a cluster (see postgres.h).
      std::cerr << "skipped: SALESOS_TEST_POSTGRES_URL is not set (./salesos test starts a cluster)\n";
      std::exit(4);
    }
    database_ = std::make_unique<ScratchDatabase>(cluster, "salesos_suite");
    options_.database_url = database_->url();
  }
  std::vector<std::string> common = {"--data-dir=" + dir_.path(), "--redis-url=" + redis_.url(),
                                     "--log-level=info"};
  if (!options_.database_url.empty()) {
    common.push_back("--database-url=" + options_.database_url);
  }
  // The services listen on Unix sockets in the test's dir, so every address is known before any
  // of them starts and each is given all of its peers' (the services call each other).
  std::filesystem::create_directories(dir_.File("run"));
  for (const auto& name : ServiceNames()) {
    std::string target;
    for (const auto& instance : Instances(name)) {
      target += (target.empty() ? "unix:" : ",") + dir_.File("run/" + instance + ".sock");
    }
    addrs_[name] = target;
  }
  for (const auto& name : ServiceNames()) {
    for (const auto& instance : Instances(name)) {
      std::vector<std::string> args = common;
      args.push_back("--listen=unix:" + dir_.File("run/" + instance + ".sock"));
      args.push_back("--port-file=" + dir_.File(instance + ".port"));
      for (const auto& peer : ServiceNames()) {
        if (peer != name) {
          args.push_back("--" + Dashed(peer) + "-addr=" + addrs_.at(peer));
        }
      }
      binary_of_[instance] = name;
      args_[instance] = args;
    }
  }
  // auth first: the others verify tokens with its keys (and the first replica of each service
  // migrates its schema before the others start).
  for (const auto& name : ServiceNames()) {
    Start(InstanceName(name, 0));
    if (name == "auth") {
      WaitPortFile(name, dir_.File(name + ".port"));
    }
  }
  for (const auto& name : ServiceNames()) {
    if (name != "auth") {
      WaitPortFile(name, dir_.File(name + ".port"));
    }
  }
  for (const auto& name : ServiceNames()) {
    for (int i = 1; i < replicas(name); ++i) {
      Start(InstanceName(name, i));
    }
  }
  for (const auto& name : ServiceNames()) {
    for (int i = 1; i < replicas(name); ++i) {
      const std::string instance = InstanceName(name, i);
      WaitPortFile(instance, dir_.File(instance + ".port"));
    }
  }
  std::vector<std::string> gw = {"--http-addr=127.0.0.1:0",
                                 "--port-file=" + dir_.File("gateway.port"),
                                 "--redis-url=" + redis_.url()};
  for (const auto& name : ServiceNames()) {
    gw.push_back("--" + Dashed(name) + "-addr=" + addrs_.at(name));
  }
  binary_of_["gateway"] = "gateway";
  args_["gateway"] = gw;
  Start("gateway");
  gateway_addr_ = WaitPortFile("gateway", dir_.File("gateway.port"));
  // Started again, the gateway listens where it did (clients keep their address).
  args_["gateway"][0] = "--http-addr=" + gateway_addr_;
  WaitReady();
}

Suite::~Suite() {
  for (auto& [name, p] : processes_) {
    p->Signal(SIGKILL);
  }
  // Gone before the database is dropped (processes_ is destroyed before database_).
  for (auto& [name, p] : processes_) {
    p->Wait(std::chrono::seconds(5));
  }
}

void Suite::Restart(const std::string& instance) {
  Process& old = *processes_.at(instance);
  old.Signal(SIGKILL);
  if (!old.Wait(std::chrono::seconds(10)).has_value()) {
    throw std::runtime_error(instance + " did not die on SIGKILL");
  }
  Start(instance);
  WaitPortFile(instance, dir_.File(instance + ".port"));
  // Serving again means the gateway reaches it again (its channel may be in reconnect backoff).
  WaitReady();
}

Suite::Stopped Suite::Terminate(const std::string& instance, std::chrono::milliseconds bound) {
  Process& p = *processes_.at(instance);
  const auto start = std::chrono::steady_clock::now();
  p.Signal(SIGTERM);
  Stopped out;
  out.exit_code = p.Wait(bound);
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (!out.exit_code.has_value()) {
    p.Signal(SIGKILL);
    p.Wait(std::chrono::seconds(10));
  }
  return out;
}

Suite::Stopped Suite::GracefulRestart(const std::string& instance,
                                      std::chrono::milliseconds bound) {
  Stopped out = Terminate(instance, bound);
  Start(instance);
  WaitPortFile(instance, dir_.File(instance + ".port"));
  WaitReady();
  return out;
}

store::StorePtr Suite::OpenServiceStore(const std::string& service) const {
  store::StoreOptions options;
  options.schema = service;
  options.pool_size = 1;
  auto opened =
      store::OpenStore(rpc::StoreUrlFor(options_.database_url, dir_.path(), service), options);
  if (!opened.ok()) {
    throw std::runtime_error("cannot open " + service + "'s data: " + opened.status().message());
  }
  return std::move(*opened);
}

std::string Suite::DataAtRest(const std::string& service) const {
  std::string bytes;
  if (options_.database_url.empty()) {
    // The file and what SQLite keeps beside it: a write may still sit in the WAL.
    const std::string file = service + ".db";
    for (const auto& suffix : {"", "-wal", "-shm", "-journal"}) {
      std::ifstream in(dir_.File(file + suffix), std::ios::binary);
      bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (bytes.empty()) {
      throw std::runtime_error("no database file for " + service + " in " + dir_.path());
    }
    return bytes;
  }
  store::StorePtr db = OpenServiceStore(service);
  auto tables = db->Query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND "
      "table_type = 'BASE TABLE' ORDER BY table_name",
      {service});
  if (!tables.ok() || tables->empty()) {
    throw std::runtime_error("no tables in the " + service + " schema");
  }
  for (const auto& t : *tables) {
    auto rows = db->Query("SELECT x::text FROM \"" + service + "\".\"" + t.GetText(0) + "\" x");
    if (!rows.ok()) {
      throw std::runtime_error("cannot read " + service + "." + t.GetText(0) + ": " +
                               rows.status().message());
    }
    for (const auto& r : *rows) {
      bytes += r.GetText(0);
      bytes += '\n';
    }
  }
  return bytes;
}

std::vector<std::string> Suite::ProcessNames() const {
  std::vector<std::string> out;
  for (const auto& [n, p] : processes_) {
    out.push_back(n);
  }
  return out;
}

}  // namespace salesos::testing
