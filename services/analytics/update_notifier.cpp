#include "update_notifier.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>

#include "salesos/core/time.h"

namespace salesos::analytics {

void UpdateCoalescer::Mark(const std::string& workspace_id, const std::set<std::string>& metrics,
                           int64_t now_ms) {
  auto [it, added] = pending_.try_emplace(workspace_id);
  it->second.metrics.insert(metrics.begin(), metrics.end());
  if (added) {
    auto last = last_published_ms_.find(workspace_id);
    it->second.due_ms = last == last_published_ms_.end()
                            ? now_ms
                            : std::max(now_ms, last->second + kUpdateIntervalMs);
  }
}

std::vector<UpdateCoalescer::Update> UpdateCoalescer::TakeDue(int64_t now_ms) {
  std::vector<Update> due;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.due_ms <= now_ms) {
      due.push_back({it->first, std::move(it->second.metrics)});
      last_published_ms_[it->first] = now_ms;
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  // Workspaces quiet for a second need no memory: their next mark is due at once anyway.
  for (auto it = last_published_ms_.begin(); it != last_published_ms_.end();) {
    if (it->second + kUpdateIntervalMs <= now_ms && pending_.count(it->first) == 0) {
      it = last_published_ms_.erase(it);
    } else {
      ++it;
    }
  }
  return due;
}

int64_t UpdateCoalescer::NextDueMs() const {
  int64_t next = -1;
  for (const auto& [ws, p] : pending_) {
    if (next < 0 || p.due_ms < next) {
      next = p.due_ms;
    }
  }
  return next;
}

std::string UpdateData(const std::set<std::string>& metrics) {
  boost::json::array names;
  for (const auto& m : metrics) {
    names.emplace_back(m);
  }
  return boost::json::serialize(boost::json::object{{"metrics", std::move(names)}});
}

UpdateNotifier::UpdateNotifier(Publish publish) : publish_(std::move(publish)) {}

UpdateNotifier::~UpdateNotifier() { Stop(); }

void UpdateNotifier::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!thread_.joinable() && !stop_) {
    thread_ = std::thread([this] { Run(); });
  }
}

void UpdateNotifier::Mark(const std::string& workspace_id, const std::set<std::string>& metrics) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    coalescer_.Mark(workspace_id, metrics, MonotonicMillis());
  }
  wake_.notify_one();
}

void UpdateNotifier::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) {
      return;
    }
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void UpdateNotifier::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const bool stopping = stop_;
    // On stop everything pending goes out now.
    auto due = coalescer_.TakeDue(stopping ? INT64_MAX / 2 : MonotonicMillis());
    if (!due.empty()) {
      lock.unlock();
      for (const auto& u : due) {
        publish_(u.workspace_id, UpdateData(u.metrics));
      }
      lock.lock();
      continue;
    }
    if (stopping) {
      return;
    }
    const int64_t next = coalescer_.NextDueMs();
    if (next < 0) {
      wake_.wait(lock);
    } else {
      wake_.wait_for(lock,
                     std::chrono::milliseconds(std::max<int64_t>(1, next - MonotonicMillis())));
    }
  }
}

}  // namespace salesos::analytics
