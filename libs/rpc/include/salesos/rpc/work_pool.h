#pragma once

// WorkPool: the threads a service's handlers run on. gRPC's callback threads must not block, and
// handlers do (SQL, password hashing), so each handler is posted here and finishes its reactor
// from here. Thread-safe.

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "salesos/core/log.h"
#include "salesos/core/status.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/status_mapping.h"

namespace salesos::rpc {

class WorkPool {
 public:
  explicit WorkPool(int threads);
  ~WorkPool();  // runs what is queued, then joins
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void Post(std::function<void()> task);
  // Stops taking work, finishes what is queued and joins the threads.
  void Shutdown();

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Runs `handler` (returning salesos::Status) on `pool` with the call's request and trace ids in
// the log context, and finishes the call with its status. The usual body of a callback handler:
//   return rpc::Handle(ctx, pool_, [=] { return logic_.Register(*req, resp); });
template <typename Handler>
grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx, WorkPool& pool,
                                 Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  pool.Post([ctx, reactor, handler = std::move(handler)]() mutable {
    // A call cancelled while queued (client gone, deadline passed, server past its drain time)
    // has already been answered: running it would do work nobody waits for, with effects (an
    // account created) its client was told did not happen, and hold up Shutdown.
    if (ctx->IsCancelled()) {
      reactor->Finish(grpc::Status::CANCELLED);
      return;
    }
    log::ScopedLogContext log_ctx(RequestIdOf(ctx), TraceIdOf(ctx));
    Status st = handler();
    reactor->Finish(ToGrpc(st));
  });
  return reactor;
}

// As Handle, but the caller must present a valid token first (UNAUTHENTICATED otherwise).
template <typename Handler>
grpc::ServerUnaryReactor* HandleAuthenticated(grpc::CallbackServerContext* ctx, WorkPool& pool,
                                              Handler handler) {
  return Handle(ctx, pool, [ctx, handler = std::move(handler)]() mutable -> Status {
    auto caller = CallerOf(ctx);
    if (!caller.ok()) {
      return caller.status();
    }
    return handler(*caller);
  });
}

}  // namespace salesos::rpc
