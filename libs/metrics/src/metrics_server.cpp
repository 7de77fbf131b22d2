#include "salesos/metrics/metrics_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "salesos/core/config.h"
#include "salesos/core/log.h"

namespace salesos::metrics {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SendAll(int fd, const std::string& data, int timeout_ms) {
  size_t off = 0;
  int64_t deadline = NowMs() + timeout_ms;
  while (off < data.size()) {
    int64_t left = deadline - NowMs();
    pollfd p{fd, POLLOUT, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      return;
    }
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    off += static_cast<size_t>(n);
  }
}

std::string Answer(int status, const char* reason, std::string_view content_type,
                   const std::string& body, bool head, std::string_view extra_headers = {}) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out += extra_headers;
  out += "Connection: close\r\n\r\n";
  if (!head) {
    out += body;
  }
  return out;
}

}  // namespace

MetricsServer::MetricsServer(Registry& registry, MetricsServerOptions options)
    : registry_(registry), options_(options) {}

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start(const std::string& addr) {
  SALESOS_ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(addr, "metrics address"));
  std::string host = hp.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string port = std::to_string(hp.port);
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
      rc != 0) {
    return InvalidArgument("metrics address " + addr + ": " + gai_strerror(rc));
  }
  int fd = -1;
  std::string error = "no address";
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 16) != 0) {
      error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) {
    return Unavailable("cannot listen on metrics address " + addr + ": " + error);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6
                    ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (::pipe2(wake_fds_, O_CLOEXEC) != 0) {
    ::close(fd);
    return Unavailable("metrics server: cannot make a pipe");
  }
  listen_fd_ = fd;
  address_ = hp.host + ":" + std::to_string(port_);
  thread_ = std::thread([this] { Run(); });
  log::Info("metrics listening", {{"addr", address_}});
  return OkStatus();
}

void MetricsServer::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  char c = 'x';
  [[maybe_unused]] ssize_t n = ::write(wake_fds_[1], &c, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_fds_[0]);
  ::close(wake_fds_[1]);
  listen_fd_ = -1;
}

void MetricsServer::Run() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    if (fds[0].revents & POLLIN) {
      int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        Serve(client);
        // Done writing: the client reads to the end, then both sides close.
        ::shutdown(client, SHUT_WR);
        ::close(client);
      }
    }
  }
}

void MetricsServer::Serve(int fd) {
  std::string head;
  int64_t deadline = NowMs() + options_.read_timeout_ms;
  char buf[2048];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > options_.max_request_bytes) {
      SendAll(fd,
              Answer(431, "Request Header Fields Too Large", "text/plain; charset=utf-8",
                     "request head too large\n", false),
              options_.read_timeout_ms);
      return;
    }
    int64_t left = deadline - NowMs();
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    if (left <= 0 || ::poll(p, 2, static_cast<int>(left)) <= 0 || p[1].revents != 0) {
      return;  // too slow, or stopping
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return;
    }
    head.append(buf, static_cast<size_t>(n));
  }
  if (head.find("\r\n\r\n") > options_.max_request_bytes) {
    SendAll(fd,
            Answer(431, "Request Header Fields Too Large", "text/plain; charset=utf-8",
                   "request head too large\n", false),
            options_.read_timeout_ms);
    return;
  }
  // Request line: METHOD SP target SP version.
  std::string_view line(head.data(), head.find("\r\n"));
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    SendAll(fd, Answer(400, "Bad Request", "text/plain; charset=utf-8", "bad request\n", false),
            options_.read_timeout_ms);
    return;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view path = target.substr(0, target.find('?'));
  bool head_only = method == "HEAD";
  std::string answer;
  if (path != "/metrics") {
    answer = Answer(404, "Not Found", "text/plain; charset=utf-8",
                    "not found: metrics are at /metrics\n", head_only);
  } else if (method != "GET" && !head_only) {
    answer = Answer(405, "Method Not Allowed", "text/plain; charset=utf-8",
                    "use GET /metrics\n", false, "Allow: GET, HEAD\r\n");
  } else {
    answer = Answer(200, "OK", kContentType, registry_.Serialize(), head_only);
  }
  SendAll(fd, answer, options_.read_timeout_ms);
}

}  // namespace salesos::metrics
