#include "support/redis_server.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace salesos::testing {
namespace {

// True when the socket answers "+PONG" to an inline PING.
bool Pings(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char ping[] = "PING\r\n";
    if (::write(fd, ping, sizeof ping - 1) == sizeof ping - 1) {
      char buf[16] = {};
      ssize_t n = ::read(fd, buf, sizeof buf - 1);
      ok = n >= 5 && std::strncmp(buf, "+PONG", 5) == 0;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

RedisServer::RedisServer() : socket_(dir_.File("redis.sock")) { Start(); }

RedisServer::~RedisServer() {
  if (process_) {
    process_->Signal(SIGKILL);
    process_->Wait(std::chrono::seconds(5));
  }
}

void RedisServer::Start() {
  process_ = std::make_unique<Process>(
      std::vector<std::string>{"redis-server", "--port", "0", "--unixsocket", socket_,
                               "--unixsocketperm", "700", "--dir", dir_.path(), "--appendonly",
                               "yes", "--save", "", "--daemonize", "no"},
      dir_.File("redis.log"));
  if (!WaitFor([this] { return Pings(socket_) || !process_->Running(); },
               std::chrono::seconds(10)) ||
      !process_->Running()) {
    throw std::runtime_error("redis-server did not start:\n" + process_->LogTail());
  }
}

void RedisServer::Restart() {
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(5));
  ::unlink(socket_.c_str());
  Start();
}

}  // namespace salesos::testing
