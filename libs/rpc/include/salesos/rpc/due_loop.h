#pragma once

// DueLoop: the scheduler behind conversation's AI turns, outbox, imports and greetings, and
// webhook_ingest's outgoing deliveries. The database is the only
// record of what is due (so a crash loses nothing); the loop sleeps until the next due time it
// reads there, or until Notify (new work), or at most max_idle_ms (work added by another replica),
// then runs what is due. Work runs on a pool of its own, at most `concurrency` items at a time; a
// finished item wakes the loop. Items are claimed by a lease in the database before they run, so
// several replicas (or a restarted one) never run one item twice at once.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/rpc/work_pool.h"

namespace salesos::rpc {

struct DueLoopOptions {
  std::string name;  // for the log: "ai-turns", "outbox"
  int concurrency = 4;
  int max_idle_ms = 1000;
  int error_backoff_ms = 500;  // after the database failed to answer
};

class DueLoop {
 public:
  // next_due_ms(): Unix ms of the next due item, 0 for none. claim_due(now_ms, max): claims up to
  // `max` due items and returns them as tasks to run (each called once, on the pool).
  using NextDue = std::function<Result<int64_t>()>;
  using ClaimDue =
      std::function<Result<std::vector<std::function<void()>>>(int64_t now_ms, int max)>;

  DueLoop(DueLoopOptions options, NextDue next_due, ClaimDue claim_due);
  ~DueLoop();
  DueLoop(const DueLoop&) = delete;
  DueLoop& operator=(const DueLoop&) = delete;

  void Start();
  // Stops claiming, lets running items finish, joins. Idempotent.
  void Stop();
  // Something may be due sooner than the loop thinks.
  void Notify();
  // Something is due at `due_ms` (Unix ms): wakes the loop only when that is before the time it
  // will look again anyway, so a stream of items due later costs no extra look each.
  void NotifyDue(int64_t due_ms);

 private:
  void Run();

  DueLoopOptions options_;
  NextDue next_due_;
  ClaimDue claim_due_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;  // guarded by mu_
  int64_t wakes_at_ms_ = 0;  // guarded by mu_: Unix ms the loop looks again (0: now, it is awake)
  int running_ = 0;        // guarded by mu_
  bool stop_ = false;      // guarded by mu_
  std::unique_ptr<rpc::WorkPool> pool_;
  std::thread thread_;
};

}  // namespace salesos::rpc
