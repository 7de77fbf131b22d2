#pragma once

// What HiredisClient and Subscriber share: opening an authenticated connection, converting
// replies, and writing to a socket without dying of SIGPIPE.

#include <hiredis/hiredis.h>
#include <signal.h>

#include <memory>
#include <string>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"
#include "url.h"

namespace salesos::redis::internal {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Connects (bounded by connect_timeout_ms), sets the socket timeouts to command_timeout_ms, and
// sends AUTH and SELECT when the endpoint asks for them. kUnavailable "redis: ..." on failure.
Result<ContextPtr> OpenContext(const Endpoint& endpoint, const RedisOptions& options);

// Sets the socket's send and receive timeouts.
bool SetTimeout(redisContext* c, int timeout_ms);

// kUnavailable "redis: <what hiredis reports>" for a context whose err is set; names a timeout as
// one, since hiredis only says "Resource temporarily unavailable".
Status TransportError(const redisContext* c, const Endpoint& endpoint, int timeout_ms);

Reply ToReply(const redisReply* r);

// hiredis writes with write(2), so a write to a connection the server closed raises SIGPIPE, whose
// default action kills the process. Rather than change the process-wide disposition behind the
// application's back, block SIGPIPE on this thread for the duration of the I/O and discard one that
// the I/O raised.
class SigpipeGuard {
 public:
  SigpipeGuard();
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

}  // namespace salesos::redis::internal
