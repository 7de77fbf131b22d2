#pragma once

// A PostgreSQL server of the test's own (Debian's postgresql package): initdb in a temp dir, a
// port of its own on 127.0.0.1, trust authentication for the postgres user. For the tests that
// restart or crash the database itself, which the shared cluster of SALESOS_TEST_POSTGRES_URL
// must never see. PostgreSQL refuses to run as root, so as root every command runs as the
// postgres user (runuser). The destructor stops it (immediate) and removes its files.

#include <string>

#include "support/temp_dir.h"

namespace salesos::testing {

class PostgresCluster {
 public:
  // Throws std::runtime_error (with the server's log) when it cannot start.
  PostgresCluster();
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // postgresql://postgres@127.0.0.1:<port>/<database>
  std::string Url(const std::string& database = "postgres") const;
  // CREATE DATABASE name.
  void CreateDatabase(const std::string& name);
  // A crash and a start: `pg_ctl restart -m immediate` (no shutdown checkpoint; the server
  // recovers from its WAL), returning once it accepts connections again. Every client connection
  // is cut.
  void CrashRestart();
  int port() const { return port_; }
  std::string LogTail(size_t lines = 30) const;

 private:
  // Runs `command` (as postgres when root); its exit code.
  int Run(const std::string& command) const;

  TempDir dir_;
  std::string bindir_;
  std::string prefix_;  // "runuser -u postgres -- " when root
  int port_ = 0;
};

}  // namespace salesos::testing
