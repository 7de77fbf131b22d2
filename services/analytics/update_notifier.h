#pragma once

// Live dashboards: after events are folded, `analytics.updated` goes to the workspace's real-time
// channel (rpc::PublishRealtime), at most once a second per workspace, naming the metrics that
// changed since the last one.
//
// UpdateCoalescer is the rule, with time passed in (tests drive it without waiting):
// a workspace marked when its last publish is a second old or more is due at once; marks within
// the second wait for the second to end and go out together. UpdateNotifier runs it on a thread of
// its own and publishes through a function; Mark never blocks on Redis. Both are thread-safe.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace salesos::analytics {

inline constexpr int64_t kUpdateIntervalMs = 1000;

class UpdateCoalescer {
 public:
  struct Update {
    std::string workspace_id;
    std::set<std::string> metrics;
  };

  void Mark(const std::string& workspace_id, const std::set<std::string>& metrics, int64_t now_ms);
  // The updates due at `now_ms` (each workspace once), now counted as published.
  std::vector<Update> TakeDue(int64_t now_ms);
  // When the next update is due; -1 when nothing waits.
  int64_t NextDueMs() const;

 private:
  struct Pending {
    std::set<std::string> metrics;
    int64_t due_ms = 0;
  };
  std::map<std::string, Pending> pending_;
  std::map<std::string, int64_t> last_published_ms_;
};

// The data of an analytics.updated event: {"metrics": [...]}.
std::string UpdateData(const std::set<std::string>& metrics);

class UpdateNotifier {
 public:
  // publish(workspace_id, data_json); called on the notifier's thread.
  using Publish = std::function<void(const std::string& workspace_id, const std::string& data)>;

  explicit UpdateNotifier(Publish publish);
  ~UpdateNotifier();  // Stop()
  UpdateNotifier(const UpdateNotifier&) = delete;
  UpdateNotifier& operator=(const UpdateNotifier&) = delete;

  void Start();
  void Mark(const std::string& workspace_id, const std::set<std::string>& metrics);
  // Publishes what is pending at once (the last second's changes are not lost) and joins.
  void Stop();

 private:
  void Run();

  Publish publish_;
  std::mutex mu_;
  std::condition_variable wake_;
  UpdateCoalescer coalescer_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace salesos::analytics
