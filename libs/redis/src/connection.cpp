#include "connection.h"

#include <pthread.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

namespace salesos::redis::internal {
namespace {

timeval ToTimeval(int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

// Runs a command during the handshake; the error text of a failure, empty on success.
std::string Handshake(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr reply;
  {
    SigpipeGuard guard;
    reply.reset(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  }
  if (!reply) {
    return c->errstr;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return std::string(reply->str, reply->len);
  }
  return "";
}

}  // namespace

bool SetTimeout(redisContext* c, int timeout_ms) {
  return redisSetTimeout(c, ToTimeval(timeout_ms)) == REDIS_OK;
}

Result<ContextPtr> OpenContext(const Endpoint& endpoint, const RedisOptions& options) {
  timeval connect_timeout = ToTimeval(options.connect_timeout_ms);
  ContextPtr c(endpoint.socket_path.empty()
                   ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, connect_timeout)
                   : redisConnectUnixWithTimeout(endpoint.socket_path.c_str(), connect_timeout));
  if (!c) {
    return Unavailable("redis: cannot allocate a connection to " + endpoint.Describe());
  }
  if (c->err != 0) {
    return Unavailable("redis: connect to " + endpoint.Describe() + ": " + c->errstr);
  }
  if (!SetTimeout(c.get(), options.command_timeout_ms)) {
    return Unavailable("redis: cannot set socket timeouts on " + endpoint.Describe());
  }
  if (endpoint.socket_path.empty()) {
    // Finds a peer that vanished without a FIN (host gone, network partition) on idle connections.
    redisEnableKeepAlive(c.get());
  }
  if (!endpoint.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!endpoint.user.empty()) {
      auth.push_back(endpoint.user);
    }
    auth.push_back(endpoint.password);
    if (std::string err = Handshake(c.get(), auth); !err.empty()) {
      return Unavailable("redis: AUTH on " + endpoint.Describe() + " failed: " + err);
    }
  }
  if (endpoint.db != 0) {
    if (std::string err = Handshake(c.get(), {"SELECT", std::to_string(endpoint.db)});
        !err.empty()) {
      return Unavailable("redis: SELECT " + std::to_string(endpoint.db) + " on " +
                         endpoint.Describe() + " failed: " + err);
    }
  }
  return c;
}

Status TransportError(const redisContext* c, const Endpoint& endpoint, int timeout_ms) {
  std::string what = c->errstr;
  if (c->err == REDIS_ERR_IO &&
      (what == std::strerror(EAGAIN) || what == std::strerror(ETIMEDOUT))) {
    what = "no reply within " + std::to_string(timeout_ms) + " ms";
  }
  return Unavailable("redis: " + endpoint.Describe() + ": " + what);
}

Reply ToReply(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        out.elements.push_back(ToReply(r->element[i]));
      }
      break;
    default:
      out.type = Reply::Type::kNil;
      break;
  }
  return out;
}

SigpipeGuard::SigpipeGuard() {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask_);
  sigset_t pending;
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
}

SigpipeGuard::~SigpipeGuard() {
  if (!was_pending_) {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      timespec no_wait{};
      sigtimedwait(&pipe_only, nullptr, &no_wait);
    }
  }
  if (sigismember(&old_mask_, SIGPIPE) != 1) {
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
}

}  // namespace salesos::redis::internal
