#include "support/suite.h"

#include <signal.h>

#include <filesystem>
#include <stdexcept>

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
}  // namespace

std::unique_ptr<Process> Suite::StartBinary(const std::string& name,
                                            std::vector<std::string> args) {
  args.insert(args.begin(), BinDir() + "/salesos-" + Dashed(name));
  return std::make_unique<Process>(std::move(args), dir_.File(name + ".log"), options_.extra_env);
}

std::string Suite::WaitPortFile(const std::string& name, const std::string& file) {
  Process& p = *processes_.at(name);
  bool ok =
      WaitFor([&] { return !ReadFile(file).empty() || !p.Running(); }, std::chrono::seconds(30));
  std::string content = ReadFile(file);
  if (!ok || content.empty()) {
    throw std::runtime_error(name + " did not start:\n" + p.LogTail());
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == ' ')) {
    content.pop_back();
  }
  return content;
}

Suite::Suite(SuiteOptions options) : options_(std::move(options)) {
  bool graph_set = false;
  for (const auto& e : options_.extra_env) {
    graph_set = graph_set || e.rfind("SALESOS_GRAPH_API_BASE=", 0) == 0;
  }
  if (!graph_set) {
    options_.extra_env.push_back("SALESOS_GRAPH_API_BASE=http://127.0.0.1:9/v21.0");
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
    addrs_[name] = "unix:" + dir_.File("run/" + name + ".sock");
  }
  // auth first: the others verify tokens with its keys.
  for (const auto& name : ServiceNames()) {
    std::vector<std::string> args = common;
    args.push_back("--listen=" + addrs_.at(name));
    args.push_back("--port-file=" + dir_.File(name + ".port"));
    for (const auto& peer : ServiceNames()) {
      if (peer != name) {
        args.push_back("--" + Dashed(peer) + "-addr=" + addrs_.at(peer));
      }
    }
    args_[name] = args;
    processes_[name] = StartBinary(name, args);
    if (name == "auth") {
      WaitPortFile(name, dir_.File(name + ".port"));
    }
  }
  for (const auto& name : ServiceNames()) {
    if (name != "auth") {
      WaitPortFile(name, dir_.File(name + ".port"));
    }
  }
  std::vector<std::string> gw = {"--http-addr=127.0.0.1:0",
                                 "--port-file=" + dir_.File("gateway.port"),
                                 "--redis-url=" + redis_.url()};
  for (const auto& name : ServiceNames()) {
    gw.push_back("--" + Dashed(name) + "-addr=" + addrs_.at(name));
  }
  processes_["gateway"] = StartBinary("gateway", gw);
  gateway_addr_ = WaitPortFile("gateway", dir_.File("gateway.port"));
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

Suite::~Suite() {
  for (auto& [name, p] : processes_) {
    p->Signal(SIGKILL);
  }
}

void Suite::Restart(const std::string& name) {
  Process& old = *processes_.at(name);
  old.Signal(SIGKILL);
  if (!old.Wait(std::chrono::seconds(10)).has_value()) {
    throw std::runtime_error(name + " did not die on SIGKILL");
  }
  const std::string port_file = dir_.File(name + ".port");
  std::filesystem::remove(port_file);
  processes_[name] = StartBinary(name, args_.at(name));
  WaitPortFile(name, port_file);
}

std::vector<std::string> Suite::ProcessNames() const {
  std::vector<std::string> out;
  for (const auto& [n, p] : processes_) {
    out.push_back(n);
  }
  return out;
}

}  // namespace salesos::testing
