#include "hiredis_client.h"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "salesos/metrics/metrics.h"

namespace salesos::redis {
namespace internal {
namespace {

// An idle connection should have nothing to read: readable means the server closed it (restart,
// idle timeout) or sent something we never asked for. Either way it is unusable, and finding out
// now, before sending, keeps a non-idempotent command from being lost in a dead socket.
bool Stale(const redisContext* c) {
  pollfd p{c->fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

// salesos_redis_errors_total{command,kind}: kind "transport" (no connection, a timeout, a broken
// socket: the command's fate is unknown) or "reply" (Redis answered with an error). The command
// label is the command name, upper-cased (a bounded set: the code's own commands).
void CountError(const std::vector<std::string>& args, const char* kind) {
  static auto& errors = metrics::DefaultRegistry().AddCounter(
      "salesos_redis_errors_total",
      "Redis commands that failed, by command and kind (transport: no connection, a timeout or "
      "a broken socket; reply: Redis answered with an error).",
      {"command", "kind"});
  std::string command = args.empty() ? "" : args[0].substr(0, 24);
  for (char& c : command) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  errors.WithLabels({command, kind}).Inc();
}

}  // namespace

HiredisClient::HiredisClient(Endpoint endpoint, RedisOptions options)
    : endpoint_(std::move(endpoint)), options_(options) {}

Result<Reply> HiredisClient::Command(const std::vector<std::string>& args) {
  return Run(args, options_.command_timeout_ms, /*raw=*/false);
}

Result<Reply> HiredisClient::CommandRaw(const std::vector<std::string>& args) {
  return Run(args, options_.command_timeout_ms, /*raw=*/true);
}

Result<Reply> HiredisClient::BlockingCommand(const std::vector<std::string>& args, int block_ms) {
  return Run(args, std::max(block_ms, 0) + options_.command_timeout_ms, /*raw=*/false);
}

Result<Reply> HiredisClient::Run(const std::vector<std::string>& args, int timeout_ms, bool raw) {
  if (args.empty()) {
    return InvalidArgument("redis: empty command");
  }
  Result<std::unique_ptr<Conn>> acquired = Acquire();
  if (!acquired.ok()) {
    CountError(args, "transport");
    return acquired.status();
  }
  std::unique_ptr<Conn> conn = std::move(acquired).value();
  redisContext* c = conn->ctx.get();
  if (conn->timeout_ms != timeout_ms) {
    if (!SetTimeout(c, timeout_ms)) {
      Release(std::move(conn), /*broken=*/true);
      CountError(args, "transport");
      return Unavailable("redis: cannot set socket timeouts on " + endpoint_.Describe());
    }
    conn->timeout_ms = timeout_ms;
  }

  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr r;
  {
    SigpipeGuard guard;
    r.reset(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  }
  if (!r) {
    // Whether the server ran the command is unknown, and so is the connection's state: close it,
    // and leave any retry to the caller, who knows whether the command is idempotent.
    Status status = TransportError(c, endpoint_, timeout_ms);
    Release(std::move(conn), /*broken=*/true);
    CountError(args, "transport");
    return status;
  }
  Release(std::move(conn), /*broken=*/false);
  Reply reply = ToReply(r.get());
  if (!raw && reply.type == Reply::Type::kError) {
    CountError(args, "reply");
    return Internal(std::move(reply.str));
  }
  return reply;
}

Result<std::unique_ptr<HiredisClient::Conn>> HiredisClient::Acquire() {
  std::unique_ptr<Conn> conn;
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.command_timeout_ms);
    if (!freed_.wait_until(lock, deadline, [this] {
          return !idle_.empty() || slots_in_use_ < options_.pool_size;
        })) {
      return Unavailable("redis: no free connection to " + endpoint_.Describe() + " within " +
                         std::to_string(options_.command_timeout_ms) + " ms (pool of " +
                         std::to_string(options_.pool_size) + ")");
    }
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++slots_in_use_;
    }
  }
  // Connecting happens outside the lock, holding the slot, so a slow connect does not stall callers
  // who could use an idle connection.
  if (conn && !Stale(conn->ctx.get())) {
    return conn;
  }
  Result<ContextPtr> ctx = OpenContext(endpoint_, options_);
  if (!ctx.ok()) {
    Release(nullptr, /*broken=*/true);
    return ctx.status();
  }
  if (!conn) {
    conn = std::make_unique<Conn>();
  }
  conn->ctx = std::move(ctx).value();
  conn->timeout_ms = options_.command_timeout_ms;
  return conn;
}

void HiredisClient::Release(std::unique_ptr<Conn> conn, bool broken) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (broken) {
      --slots_in_use_;
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  freed_.notify_one();
  // A broken connection is closed here, outside the lock.
}

}  // namespace internal

Result<ClientPtr> Connect(std::string_view url, const RedisOptions& options) {
  if (options.pool_size <= 0) {
    return InvalidArgument("redis: pool_size must be > 0");
  }
  if (options.connect_timeout_ms <= 0 || options.command_timeout_ms <= 0) {
    return InvalidArgument("redis: connect_timeout_ms and command_timeout_ms must be > 0");
  }
  SALESOS_ASSIGN_OR_RETURN(internal::Endpoint endpoint, internal::ParseUrl(url));
  return ClientPtr(std::make_shared<internal::HiredisClient>(std::move(endpoint), options));
}

}  // namespace salesos::redis
