#include "salesos/rpc/due_loop.h"

#include <algorithm>
#include <chrono>

#include "salesos/core/log.h"
#include "salesos/core/time.h"

namespace salesos::rpc {
namespace {

// How long to wait when the next item is due but could not be claimed.
constexpr int64_t kBlockedWaitMs = 50;

}  // namespace

DueLoop::DueLoop(DueLoopOptions options, NextDue next_due, ClaimDue claim_due)
    : options_(std::move(options)),
      next_due_(std::move(next_due)),
      claim_due_(std::move(claim_due)) {}

DueLoop::~DueLoop() { Stop(); }

void DueLoop::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) {
    return;
  }
  stop_ = false;
  pool_ = std::make_unique<rpc::WorkPool>(options_.concurrency);
  thread_ = std::thread([this] { Run(); });
}

void DueLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  if (pool_) {
    pool_->Shutdown();  // the items already claimed finish
    pool_.reset();
  }
}

void DueLoop::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void DueLoop::NotifyDue(int64_t due_ms) {
  {
    std::lock_guard lock(mu_);
    if (wakes_at_ms_ != 0 && due_ms >= wakes_at_ms_) {
      return;  // it looks again by then
    }
    notified_ = true;
  }
  cv_.notify_all();
}

void DueLoop::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    notified_ = false;
    wakes_at_ms_ = 0;  // awake: whatever is due now is seen by this look
    const int free = options_.concurrency - running_;
    lock.unlock();
    int64_t wait_ms = options_.max_idle_ms;
    if (free > 0) {
      const int64_t now = NowUnixMillis();
      auto tasks = claim_due_(now, free);
      if (!tasks.ok()) {
        log::Warn("due work not read",
                  {{"loop", options_.name}, {"error", tasks.status().message()}});
        wait_ms = options_.error_backoff_ms;
      } else if (!tasks->empty()) {
        {
          std::lock_guard count(mu_);
          running_ += static_cast<int>(tasks->size());
        }
        for (auto& task : *tasks) {
          pool_->Post([this, task = std::move(task)] {
            task();
            {
              std::lock_guard count(mu_);
              --running_;
              notified_ = true;
            }
            cv_.notify_all();
          });
        }
        lock.lock();
        continue;  // more may be due already
      } else {
        auto next = next_due_();
        if (!next.ok()) {
          wait_ms = options_.error_backoff_ms;
        } else if (*next > 0) {
          // Due already yet not claimable (queued behind a leased item): the item's end wakes us.
          const int64_t until = *next - NowUnixMillis();
          wait_ms = std::min<int64_t>(until > 0 ? until : kBlockedWaitMs, options_.max_idle_ms);
        }
      }
    }
    lock.lock();
    if (!notified_) {
      wakes_at_ms_ = NowUnixMillis() + wait_ms;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stop_ || notified_; });
  }
}

}  // namespace salesos::rpc
