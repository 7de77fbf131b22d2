#pragma once

// Suite: the whole of SalesOS for a test, as real processes: a private redis-server, the six
// services and the gateway, each on a port it picked itself (port 0, reported through a port
// file), with a data dir of the test's own. The constructor returns once /readyz answers 200;
// the destructor kills whatever still runs.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace salesos::testing {

struct SuiteOptions {
  std::string database_url;  // empty: SQLite files in the data dir
  // KEY=value for every process. Without SALESOS_GRAPH_API_BASE the Send APIs point at a closed
  // local port (no test reaches the internet).
  std::vector<std::string> extra_env;
};

class Suite {
 public:
  static const std::vector<std::string>& ServiceNames();

  explicit Suite(SuiteOptions options = {});
  ~Suite();

  const std::string& gateway_addr() const { return gateway_addr_; }
  const std::string& data_dir() const { return dir_.path(); }
  RedisServer& redis() { return redis_; }
  // A new client on the gateway.
  std::unique_ptr<HttpClient> Client() const { return std::make_unique<HttpClient>(gateway_addr_); }
  // The process of a service ("auth", ...) or "gateway".
  Process& process(const std::string& name) { return *processes_.at(name); }
  std::vector<std::string> ProcessNames() const;
  const std::string& service_addr(const std::string& name) const { return addrs_.at(name); }
  // Kills a service with SIGKILL (no drain, nothing flushed: a crash) and starts it again with the
  // same arguments; returns once it serves again.
  void Restart(const std::string& name);

 private:
  std::unique_ptr<Process> StartBinary(const std::string& name, std::vector<std::string> args);
  std::string WaitPortFile(const std::string& name, const std::string& file);

  SuiteOptions options_;
  TempDir dir_;
  RedisServer redis_;
  std::map<std::string, std::unique_ptr<Process>> processes_;
  std::map<std::string, std::string> addrs_;
  std::map<std::string, std::vector<std::string>> args_;
  std::string gateway_addr_;
};

}  // namespace salesos::testing
