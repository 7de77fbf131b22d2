#pragma once

// WorkPool: the threads a service's handlers run on. gRPC's callback threads must not block, and
// handlers do (SQL, password hashing), so each handler is posted here and finishes its reactor
// from here. Thread-safe.

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
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
  // From now on, calls still queued are answered UNAVAILABLE instead of run (the server's drain
  // time is up and it has answered them already).
  void Abandon() { abandoned_.store(true); }
  bool abandoned() const { return abandoned_.load(); }
  // Stops taking work, finishes what is queued and joins the threads.
  void Shutdown();

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::atomic<bool> abandoned_{false};
  std::vector<std::thread> threads_;
};

// The usual body of a callback handler:
//   return rpc::Handle(ctx, pool_, [=](const rpc::Caller& caller) { return logic_.Do(caller, *req, resp); });
// Answers with the access decision of the call (the method's (salesos.api.access) rule applied to
// its verified token: UNAUTHENTICATED or PERMISSION_DENIED) without running `handler`; otherwise
// runs `handler` on `pool` with the call's request and trace ids in the log context and finishes
// the call with its status. For anonymous rpcs the caller is empty unless a valid token came along.
template <typename Handler>
grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx, WorkPool& pool,
                                 Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Result<Caller> caller = CallerOf(ctx);
  if (!caller.ok()) {
    reactor->Finish(ToGrpc(caller.status()));
    return reactor;
  }
  pool.Post([ctx, reactor, &pool, caller = std::move(*caller),
             handler = std::move(handler)]() mutable {
    // A call cancelled while queued (client gone, deadline passed, server past its drain time)
    // has already been answered: running it would do work nobody waits for, with effects (an
    // account created) its client was told did not happen, and hold up Shutdown.
    if (ctx->IsCancelled() || pool.abandoned()) {
      reactor->Finish(grpc::Status::CANCELLED);
      return;
    }
    // The whole traceparent, so calls and events made by the handler carry it on.
    std::string traceparent = TraceparentOf(ctx);
    log::ScopedLogContext log_ctx(RequestIdOf(ctx),
                                  traceparent.empty() ? TraceIdOf(ctx) : std::move(traceparent));
    Status st = handler(static_cast<const Caller&>(caller));
    reactor->Finish(ToGrpc(st));
  });
  return reactor;
}

}  // namespace salesos::rpc
