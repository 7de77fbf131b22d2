#pragma once

// Suite: the whole of SalesOS for a test, as real processes: a private redis-server, the six
// services and the gateway, each on a port it picked itself (port 0, reported through a port
// file), with a data dir of the test's own. The constructor returns once /readyz answers 200;
// the destructor kills whatever still runs.
//
// Database: SQLite files in the data dir, or `database_url`; with SALESOS_SUITE_DATABASE=postgresql
// (ctest's "postgresql e2e: " run) a suite without a database_url gets a database of its own on
// the cluster of SALESOS_TEST_POSTGRES_URL, dropped by the destructor.
//
// Replicas: a service may run as several processes ("conversation", "conversation.2", ...), each
// on its own Unix socket; every caller (the peers and the gateway) is given a target naming all
// of them ("unix:/a.sock,/b.sock"), which their round_robin channels spread calls over.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "salesos/store/store.h"
#include "support/http_client.h"
#include "support/postgres.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace salesos::testing {

struct SuiteOptions {
  std::string database_url;  // empty: SQLite files in the data dir (or see SALESOS_SUITE_DATABASE)
  // KEY=value for every process. Without SALESOS_GRAPH_API_BASE the Send APIs point at a closed
  // local port (no test reaches the internet).
  std::vector<std::string> extra_env;
  // Processes per service; `replicas_of` overrides it for the services it names.
  int replicas = 1;
  std::map<std::string, int> replicas_of;
};

class Suite {
 public:
  static const std::vector<std::string>& ServiceNames();

  explicit Suite(SuiteOptions options = {});
  ~Suite();

  const std::string& gateway_addr() const { return gateway_addr_; }
  const std::string& data_dir() const { return dir_.path(); }
  // The database every service keeps its schema in ("" when each has a SQLite file).
  const std::string& database_url() const { return options_.database_url; }
  RedisServer& redis() { return redis_; }
  // A connection of the test's own to a service's data, opened as the service opens it: its
  // SQLite file, or its schema of the PostgreSQL database.
  store::StorePtr OpenServiceStore(const std::string& service) const;
  // What a service keeps at rest, as bytes to search for what must not be there: on SQLite its
  // database file with the WAL and journal beside it; on PostgreSQL every row of every table of
  // its schema as text (what a dump would hold). Fails the test when nothing was found to read.
  std::string DataAtRest(const std::string& service) const;
  // A new client on the gateway.
  std::unique_ptr<HttpClient> Client() const { return std::make_unique<HttpClient>(gateway_addr_); }
  // A process by instance name: a service ("auth", the first replica), a further replica
  // ("auth.2"), or "gateway".
  Process& process(const std::string& instance) { return *processes_.at(instance); }
  // Every instance name.
  std::vector<std::string> ProcessNames() const;
  // The instances of a service, first replica first.
  std::vector<std::string> Instances(const std::string& service) const;
  int replicas(const std::string& service) const;
  // The gRPC target of a service: every replica's address.
  const std::string& service_addr(const std::string& name) const { return addrs_.at(name); }
  // Kills an instance with SIGKILL (no drain, nothing flushed: a crash) and starts it again with
  // the same arguments; returns once it serves again and the gateway's /readyz answers 200 (the
  // gateway reaches it again).
  void Restart(const std::string& instance);

  struct Stopped {
    std::optional<int> exit_code;  // nullopt: still running when the bound ran out (then killed)
    std::chrono::milliseconds took{0};
  };
  // SIGTERM, then waits up to `bound` for the exit (SIGKILL after that).
  Stopped Terminate(const std::string& instance, std::chrono::milliseconds bound);
  // Terminate, then the same instance again with the same arguments (the gateway on the same
  // port); returns once it serves and the gateway's /readyz answers 200.
  Stopped GracefulRestart(const std::string& instance, std::chrono::milliseconds bound);

 private:
  std::unique_ptr<Process> StartBinary(const std::string& instance,
                                       const std::vector<std::string>& args);
  std::string WaitPortFile(const std::string& instance, const std::string& file);
  void WaitReady();
  void Start(const std::string& instance);

  SuiteOptions options_;
  TempDir dir_;
  RedisServer redis_;
  std::unique_ptr<ScratchDatabase> database_;
  std::map<std::string, std::unique_ptr<Process>> processes_;
  std::map<std::string, std::string> addrs_;           // service → target
  std::map<std::string, std::string> binary_of_;       // instance → service or "gateway"
  std::map<std::string, std::vector<std::string>> args_;  // instance → arguments
  std::string gateway_addr_;
};

}  // namespace salesos::testing
