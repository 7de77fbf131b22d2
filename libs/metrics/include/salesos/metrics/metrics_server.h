#pragma once

// MetricsServer: the HTTP endpoint Prometheus scrapes. GET (or HEAD) /metrics answers the
// registry in the text format 0.0.4 (Content-Type: text/plain; version=0.0.4); another method on
// /metrics is 405, any other path 404, a request head larger than max_request_bytes 431, and a
// client that has not sent its head within read_timeout_ms is closed. One connection at a time on
// a thread of its own (scrapes are a few a minute), each answered and closed. Stop() (or the
// destructor) closes the socket and joins the thread. Thread-safe.

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>

#include "salesos/core/status.h"
#include "salesos/metrics/metrics.h"

namespace salesos::metrics {

struct MetricsServerOptions {
  int read_timeout_ms = 5000;
  size_t max_request_bytes = 8192;
};

class MetricsServer {
 public:
  explicit MetricsServer(Registry& registry, MetricsServerOptions options = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Listens on `addr` ("host:port"; port 0 picks a free one) and starts serving. kInvalidArgument
  // for a malformed address, kUnavailable when it cannot be bound.
  Status Start(const std::string& addr);
  void Stop();
  // "host:port" as bound (the port chosen for port 0); empty before Start.
  const std::string& address() const { return address_; }
  int port() const { return port_; }

 private:
  void Run();
  void Serve(int fd);

  Registry& registry_;
  MetricsServerOptions options_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  int port_ = 0;
  std::string address_;
  std::thread thread_;
};

}  // namespace salesos::metrics
