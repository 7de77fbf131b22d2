#include "salesos/redis/subscriber.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <random>

#include "connection.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "url.h"

namespace salesos::redis {
namespace {

constexpr int kPollMs = 500;
constexpr int kInitialBackoffMs = 100;
constexpr int kMaxBackoffMs = 5000;

// Somewhere in [ms/2, ms], so subscribers that lost the same server do not reconnect in lockstep.
int Jittered(int ms) {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<int>(ms / 2, ms)(rng);
}

std::string Str(const redisReply* r) { return std::string(r->str, r->len); }

}  // namespace

// The connection of one Serve, and what it is waiting for.
struct Subscriber::Conn {
  internal::ContextPtr ctx;
  internal::Endpoint endpoint;
  int unconfirmed = 0;   // subscriptions sent and not yet confirmed
  bool healthy = false;  // all subscriptions were confirmed at least once
};

Subscriber::Subscriber(std::string url, RedisOptions options)
    : url_(std::move(url)), options_(options) {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
    wake_read_fd_ = fds[0];
    wake_write_fd_ = fds[1];
  } else {
    // Without the pipe the loop still wakes every kPollMs; only promptness suffers.
    log::Warn("redis subscriber: pipe2 failed, wake-ups fall back to polling");
  }
}

Subscriber::~Subscriber() {
  Stop();
  if (wake_read_fd_ >= 0) {
    ::close(wake_read_fd_);
    ::close(wake_write_fd_);
  }
}

void Subscriber::Subscribe(std::vector<std::string> channels) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : channels) {
      if (channels_.insert(c).second) {
        new_channels_.push_back(std::move(c));
        connected_ = false;
      }
    }
  }
  Wake();
}

void Subscriber::PSubscribe(std::vector<std::string> patterns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& p : patterns) {
      if (patterns_.insert(p).second) {
        new_patterns_.push_back(std::move(p));
        connected_ = false;
      }
    }
  }
  Wake();
}

void Subscriber::Start(Handler handler) {
  if (thread_.joinable()) {
    log::Warn("redis subscriber: Start called while running; ignored");
    return;
  }
  handler_ = std::move(handler);
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Subscriber::Stop() {
  stop_ = true;
  Wake();
  if (thread_.joinable() && thread_.get_id() == std::this_thread::get_id()) {
    // Called from the handler: the loop ends when the handler returns; the destructor joins.
    return;
  }
  if (thread_.joinable()) {
    thread_.join();
  }
  connected_ = false;
}

void Subscriber::Wake() {
  if (wake_write_fd_ >= 0) {
    char byte = 1;
    // A full pipe already holds a wake-up; nothing is lost when this write fails.
    [[maybe_unused]] ssize_t n = ::write(wake_write_fd_, &byte, 1);
  }
}

void Subscriber::Pause(int ms) {
  int64_t deadline = MonotonicMillis() + ms;
  while (!stop_) {
    int64_t left = deadline - MonotonicMillis();
    if (left <= 0) {
      return;
    }
    if (wake_read_fd_ < 0) {
      // No pipe: sleep in short steps so Stop is still noticed.
      ::usleep(static_cast<useconds_t>(std::min<int64_t>(left, 50)) * 1000);
      continue;
    }
    pollfd p{wake_read_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) > 0) {
      // Drained so the next poll blocks again; a Subscribe wake-up needs no action here, since
      // every subscription is sent on connect.
      char buf[64];
      while (::read(wake_read_fd_, buf, sizeof buf) > 0) {
      }
    }
  }
}

void Subscriber::Run() {
  Result<internal::Endpoint> endpoint = internal::ParseUrl(url_);
  if (!endpoint.ok()) {
    log::Error("redis subscriber: bad url, not connecting",
               {{"error", endpoint.status().message()}});
    return;
  }
  int backoff_ms = kInitialBackoffMs;
  bool failing = false;
  while (!stop_) {
    Result<internal::ContextPtr> ctx = internal::OpenContext(*endpoint, options_);
    if (ctx.ok()) {
      if (failing) {
        log::Info("redis subscriber: connected", {{"endpoint", endpoint->Describe()}});
        failing = false;
      }
      Conn conn{std::move(ctx).value(), *endpoint};
      Status status = Serve(conn);
      connected_ = false;
      if (stop_) {
        break;
      }
      if (conn.healthy) {
        backoff_ms = kInitialBackoffMs;
      }
      log::Warn("redis subscriber: connection lost, reconnecting",
                {{"endpoint", endpoint->Describe()}, {"error", status.message()}});
    } else if (!failing) {
      // Once per outage, not once per attempt.
      log::Warn("redis subscriber: cannot connect, retrying with backoff",
                {{"error", ctx.status().message()}});
      failing = true;
    }
    Pause(Jittered(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
  }
}

namespace {

void Append(redisContext* c, const char* command, const std::vector<std::string>& names,
            int* unconfirmed) {
  if (names.empty()) {
    return;
  }
  std::vector<const char*> argv = {command};
  std::vector<size_t> lens = {std::char_traits<char>::length(command)};
  for (const auto& n : names) {
    argv.push_back(n.data());
    lens.push_back(n.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data());
  // Redis confirms each channel or pattern with a reply of its own.
  *unconfirmed += static_cast<int>(names.size());
}

// Delivers a message or pmessage; counts subscription confirmations.
void Handle(const Subscriber::Handler& handler, const redisReply* r, int* unconfirmed) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
      r->element[0]->type != REDIS_REPLY_STRING) {
    return;
  }
  std::string kind = Str(r->element[0]);
  if (kind == "subscribe" || kind == "psubscribe") {
    if (*unconfirmed > 0) {
      --*unconfirmed;
    }
    return;
  }
  std::string channel;
  std::string message;
  if (kind == "message" && r->elements == 3) {
    channel = Str(r->element[1]);
    message = Str(r->element[2]);
  } else if (kind == "pmessage" && r->elements == 4) {
    channel = Str(r->element[2]);
    message = Str(r->element[3]);
  } else {
    return;
  }
  try {
    handler(channel, message);
  } catch (const std::exception& e) {
    log::Error("redis subscriber: handler threw", {{"channel", channel}, {"error", e.what()}});
  } catch (...) {
    log::Error("redis subscriber: handler threw", {{"channel", channel}});
  }
}

}  // namespace

Status Subscriber::Serve(Conn& conn) {
  redisContext* c = conn.ctx.get();
  const int timeout_ms = options_.command_timeout_ms;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Append(c, "SUBSCRIBE", std::vector<std::string>(channels_.begin(), channels_.end()),
           &conn.unconfirmed);
    Append(c, "PSUBSCRIBE", std::vector<std::string>(patterns_.begin(), patterns_.end()),
           &conn.unconfirmed);
    new_channels_.clear();
    new_patterns_.clear();
  }
  while (!stop_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      Append(c, "SUBSCRIBE", new_channels_, &conn.unconfirmed);
      Append(c, "PSUBSCRIBE", new_patterns_, &conn.unconfirmed);
      new_channels_.clear();
      new_patterns_.clear();
    }
    {
      internal::SigpipeGuard guard;
      int done = 0;
      while (done == 0) {
        if (redisBufferWrite(c, &done) != REDIS_OK) {
          return internal::TransportError(c, conn.endpoint, timeout_ms);
        }
      }
    }
    // Every complete reply already read, before waiting for more.
    while (true) {
      void* raw = nullptr;
      if (redisReaderGetReply(c->reader, &raw) != REDIS_OK) {
        return Unavailable("redis: protocol error from " + conn.endpoint.Describe() + ": " +
                           c->reader->errstr);
      }
      if (raw == nullptr) {
        break;
      }
      internal::ReplyPtr reply(static_cast<redisReply*>(raw));
      Handle(handler_, reply.get(), &conn.unconfirmed);
      if (stop_) {
        return OkStatus();
      }
    }
    {
      // Under the lock so that a Subscribe racing with this cannot be reported as confirmed.
      std::lock_guard<std::mutex> lock(mu_);
      connected_ = conn.unconfirmed == 0 && new_channels_.empty() && new_patterns_.empty();
    }
    if (conn.unconfirmed == 0) {
      conn.healthy = true;
    }

    pollfd fds[2] = {{c->fd, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    int n = ::poll(fds, wake_read_fd_ >= 0 ? 2 : 1, kPollMs);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Unavailable(std::string("redis subscriber: poll: ") + std::strerror(errno));
    }
    if (wake_read_fd_ >= 0 && fds[1].revents != 0) {
      char buf[64];
      while (::read(wake_read_fd_, buf, sizeof buf) > 0) {
      }
    }
    if (fds[0].revents != 0) {
      // Readable, closed or failed: one read, which hiredis reports as an error for the last two.
      if (redisBufferRead(c) != REDIS_OK) {
        return internal::TransportError(c, conn.endpoint, timeout_ms);
      }
    }
  }
  return OkStatus();
}

}  // namespace salesos::redis
