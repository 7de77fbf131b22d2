#pragma once

#include <memory>
#include <string>

#include "support/process.h"
#include "support/temp_dir.h"

namespace salesos::testing {

// A real redis-server of the test's own, listening only on a unix socket in a temp dir (no port to
// race for), with the append-only file on. Started by the constructor, which returns once it
// answers PING; killed by the destructor.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  // "unix:///tmp/.../redis.sock"
  std::string url() const { return "unix://" + socket_; }
  const std::string& socket_path() const { return socket_; }
  // Kills and starts it again on the same socket and data (AOF kept).
  void Restart();

 private:
  void Start();
  TempDir dir_;
  std::string socket_;
  std::unique_ptr<Process> process_;
};

}  // namespace salesos::testing
