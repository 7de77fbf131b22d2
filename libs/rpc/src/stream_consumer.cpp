#include "salesos/rpc/stream_consumer.h"

#include <unistd.h>

#include <chrono>
#include <mutex>
#include <set>

#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/rpc/server.h"

namespace salesos::rpc {
std::string HostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) {
    host[0] = '\0';
  }
  return host;
}

std::string StableConsumerName(const std::string& prefix, const std::string& listen_addr) {
  std::string name = prefix + "-" + HostName() + "-" + listen_addr;
  if (listen_addr.size() >= 2 && listen_addr.compare(listen_addr.size() - 2, 2, ":0") == 0) {
    name += "-" + std::to_string(getpid());
  }
  return name;
}

namespace {

std::string DefaultConsumerName(const std::string& group) {
  return group + "-" + HostName() + "-" + std::to_string(getpid());
}

metrics::Counter& EntriesCounter(const char* name, const char* help,
                                 const StreamConsumerOptions& o) {
  return metrics::DefaultRegistry()
      .AddCounter(name, help, {"stream", "group"})
      .WithLabels({o.stream, o.group});
}

// The group's lag and pending count from XINFO GROUPS, asked at most once a second so that
// scrapes stay cheap whoever scrapes how often.
class GroupStats {
 public:
  GroupStats(redis::ClientPtr redis, std::string stream, std::string group)
      : redis_(std::move(redis)), stream_(std::move(stream)), group_(std::move(group)) {}

  std::vector<metrics::Sample> Lag() { return Refresh().lag; }
  std::vector<metrics::Sample> Pending() { return Refresh().pending; }

 private:
  struct Cached {
    std::vector<metrics::Sample> lag;
    std::vector<metrics::Sample> pending;
  };

  const Cached& Refresh() {
    std::lock_guard lock(mu_);
    int64_t now = MonotonicMillis();
    if (now - read_at_ms_ < kCacheMs) {
      return cached_;
    }
    read_at_ms_ = now;
    cached_ = {};
    auto reply = redis_->Command({"XINFO", "GROUPS", stream_});
    if (!reply.ok() || reply->type != redis::Reply::Type::kArray) {
      return cached_;  // no stream yet, or Redis away: no samples rather than wrong ones
    }
    for (const redis::Reply& g : reply->elements) {
      if (g.type != redis::Reply::Type::kArray) {
        continue;
      }
      const redis::Reply* name = nullptr;
      const redis::Reply* lag = nullptr;
      const redis::Reply* pending = nullptr;
      for (size_t i = 0; i + 1 < g.elements.size(); i += 2) {
        const std::string& key = g.elements[i].str;
        if (key == "name") {
          name = &g.elements[i + 1];
        } else if (key == "lag") {
          lag = &g.elements[i + 1];
        } else if (key == "pending") {
          pending = &g.elements[i + 1];
        }
      }
      if (name == nullptr || name->str != group_) {
        continue;
      }
      if (lag != nullptr && lag->type == redis::Reply::Type::kInteger) {
        cached_.lag.push_back({{stream_, group_}, static_cast<double>(lag->integer)});
      }
      if (pending != nullptr && pending->type == redis::Reply::Type::kInteger) {
        cached_.pending.push_back({{stream_, group_}, static_cast<double>(pending->integer)});
      }
    }
    return cached_;
  }

  static constexpr int64_t kCacheMs = 1000;
  redis::ClientPtr redis_;
  std::string stream_;
  std::string group_;
  std::mutex mu_;
  int64_t read_at_ms_ = -kCacheMs;
  Cached cached_;
};

std::mutex g_reported_mu;
std::set<std::pair<std::string, std::string>>& Reported() {
  static auto* reported = new std::set<std::pair<std::string, std::string>>();
  return *reported;
}

}  // namespace

// One pair of collectors per stream and group in the process, however many consumers it runs:
// the first consumer's; when it is destroyed the next consumer made reports again.
class StreamConsumer::GroupStatsRegistration {
 public:
  GroupStatsRegistration(const redis::ClientPtr& redis, const StreamConsumerOptions& o)
      : key_(o.stream, o.group) {
    {
      std::lock_guard lock(g_reported_mu);
      owner_ = Reported().insert(key_).second;
    }
    if (!owner_) {
      return;
    }
    auto stats = std::make_shared<GroupStats>(redis, o.stream, o.group);
    auto& registry = metrics::DefaultRegistry();
    lag_ = registry.AddCollector(
        "salesos_stream_group_lag",
        "Entries of the stream not yet delivered to the consumer group (XINFO GROUPS lag).",
        metrics::Kind::kGauge, {"stream", "group"}, [stats] { return stats->Lag(); });
    pending_ = registry.AddCollector(
        "salesos_stream_group_pending",
        "Entries of the stream delivered to the consumer group and not acknowledged yet.",
        metrics::Kind::kGauge, {"stream", "group"}, [stats] { return stats->Pending(); });
  }
  ~GroupStatsRegistration() {
    if (owner_) {
      lag_.Reset();
      pending_.Reset();
      std::lock_guard lock(g_reported_mu);
      Reported().erase(key_);
    }
  }

 private:
  std::pair<std::string, std::string> key_;
  bool owner_ = false;
  metrics::CollectorHandle lag_;
  metrics::CollectorHandle pending_;
};

StreamConsumer::StreamConsumer(redis::ClientPtr redis, StreamConsumerOptions options,
                               Handler handler)
    : redis_(std::move(redis)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      handled_total_(EntriesCounter("salesos_stream_entries_handled_total",
                                    "Stream entries handled and acknowledged.", options_)),
      failed_total_(EntriesCounter("salesos_stream_entries_failed_total",
                                   "Stream entries whose handler failed (left pending for a retry).",
                                   options_)),
      dropped_total_(EntriesCounter("salesos_stream_entries_dropped_total",
                                    "Stream entries given up on after their last attempt.",
                                    options_)),
      reclaimed_total_(EntriesCounter("salesos_stream_entries_reclaimed_total",
                                      "Stream entries taken over from idle consumers (XAUTOCLAIM).",
                                      options_)) {
  if (options_.consumer.empty()) {
    options_.consumer = DefaultConsumerName(options_.group);
  }
  if (options_.concurrency > 1) {
    pool_ = std::make_unique<WorkPool>(options_.concurrency);
  }
  group_stats_ = std::make_unique<GroupStatsRegistration>(redis_, options_);
}

StreamConsumer::~StreamConsumer() { Stop(); }

void StreamConsumer::Start() {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { Run(); });
  }
}

void StreamConsumer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      stop_at_ms_ = MonotonicMillis();
    }
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void StreamConsumer::Pause(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
}

std::optional<Status> StreamConsumer::HandleOne(const redis::StreamEntry& entry) {
  // Stopping: finish the batch in hand within a bound, so a graceful restart leaves nothing
  // pending that only a claim after claim_idle_ms would take up.
  if (stop_ && MonotonicMillis() - stop_at_ms_ > options_.finish_batch_ms) {
    return std::nullopt;
  }
  if (entry.fields.empty()) {
    return OkStatus();  // deleted from the stream since: nothing to handle
  }
  const std::string* traceparent = entry.Field("traceparent");
  log::ScopedLogContext log_ctx("", traceparent != nullptr ? *traceparent : "");
  int64_t started = MonotonicMillis();
  Status st = handler_(entry);
  if (AccessLogOn() || log::Enabled(log::Level::kDebug)) {
    const std::string* type = entry.Field("type");
    WriteAccessLog("stream entry",
                   {{"stream", options_.stream}, {"group", options_.group},
                    {"entry", entry.id}, {"type", type != nullptr ? *type : ""},
                    {"ok", st.ok()}, {"durationMs", MonotonicMillis() - started}});
  }
  return st;
}

std::vector<std::optional<Status>> StreamConsumer::RunBatch(
    const std::vector<redis::StreamEntry>& entries) {
  std::vector<std::optional<Status>> out(entries.size());
  if (!pool_ || entries.size() < 2) {
    for (size_t i = 0; i < entries.size(); ++i) {
      out[i] = HandleOne(entries[i]);
    }
    return out;
  }
  // Lanes: the entries of one key in stream order; the lanes run side by side on the pool.
  std::vector<std::vector<size_t>> lanes;
  std::map<std::string, size_t> lane_of;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!options_.key) {
      lanes.push_back({i});
      continue;
    }
    auto [it, added] = lane_of.emplace(options_.key(entries[i]), lanes.size());
    if (added) {
      lanes.emplace_back();
    }
    lanes[it->second].push_back(i);
  }
  std::mutex mu;
  std::condition_variable done;
  size_t left = lanes.size();
  for (const auto& lane : lanes) {
    pool_->Post([&, lane] {
      for (size_t i : lane) {
        out[i] = HandleOne(entries[i]);
      }
      std::lock_guard lock(mu);
      if (--left == 0) {
        done.notify_one();
      }
    });
  }
  std::unique_lock lock(mu);
  done.wait(lock, [&] { return left == 0; });
  return out;
}

bool StreamConsumer::HandleAll(const std::vector<redis::StreamEntry>& entries) {
  std::vector<std::string> ack;
  bool all = true;
  std::vector<std::optional<Status>> outcomes = RunBatch(entries);
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    if (!outcomes[i].has_value()) {
      all = false;  // not handled (stopping): stays pending for this consumer's next start
      continue;
    }
    const Status& st = *outcomes[i];
    if (st.ok()) {
      ack.push_back(entry.id);
      attempts_.erase(entry.id);
      handled_++;
      handled_total_.Inc();
      continue;
    }
    failed_total_.Inc();
    int tries = ++attempts_[entry.id];
    if (tries >= options_.max_attempts) {
      log::Error("giving up on a stream entry",
                 {{"stream", options_.stream}, {"group", options_.group}, {"entry", entry.id},
                  {"attempts", static_cast<int64_t>(tries)}, {"error", st.message()}});
      ack.push_back(entry.id);
      attempts_.erase(entry.id);
      dropped_++;
      dropped_total_.Inc();
    } else {
      log::Warn("stream entry failed; it stays pending",
                {{"stream", options_.stream}, {"entry", entry.id},
                 {"attempt", static_cast<int64_t>(tries)}, {"error", st.message()}});
      all = false;
    }
  }
  if (ack.empty()) {
    return all;
  }
  auto acked = redis_->XAck(options_.stream, options_.group, ack);
  if (!acked.ok()) {
    log::Warn("cannot acknowledge stream entries",
              {{"stream", options_.stream}, {"error", acked.status().message()}});
    return false;
  }
  return all;
}

void StreamConsumer::Run() {
  log::Info("stream consumer started", {{"stream", options_.stream},
                                        {"group", options_.group},
                                        {"consumer", options_.consumer}});
  bool group_ready = false;
  bool check_pending = true;
  int64_t next_claim_ms = 0;
  while (!stop_) {
    if (!group_ready) {
      Status st = redis_->XGroupCreate(options_.stream, options_.group, "0");
      if (!st.ok()) {
        log::Warn("cannot create the consumer group",
                  {{"stream", options_.stream}, {"error", st.message()}});
        Pause(options_.retry_backoff_ms);
        continue;
      }
      group_ready = true;
    }
    // 1. Our own pending entries, until none are left or one keeps failing.
    if (check_pending) {
      auto pending = redis_->XReadGroup(options_.group, options_.consumer, options_.stream,
                                        options_.batch, 0, "0");
      if (!pending.ok()) {
        log::Warn("cannot read pending entries",
                  {{"stream", options_.stream}, {"error", pending.status().message()}});
        Pause(options_.retry_backoff_ms);
        continue;
      }
      if (pending->empty()) {
        check_pending = false;
      } else if (!HandleAll(*pending)) {
        Pause(options_.retry_backoff_ms);
      }
      continue;
    }
    // 3. Entries a crashed consumer left behind.
    int64_t now = NowUnixMillis();
    if (now >= next_claim_ms) {
      next_claim_ms = now + options_.claim_every_ms;
      std::string start = "0-0";
      for (int round = 0; round < 100 && !stop_; ++round) {
        auto claimed = redis_->XAutoClaim(options_.stream, options_.group, options_.consumer,
                                          options_.claim_idle_ms, start, options_.batch);
        if (!claimed.ok()) {
          log::Warn("cannot claim idle entries",
                    {{"stream", options_.stream}, {"error", claimed.status().message()}});
          break;
        }
        if (!claimed->entries.empty()) {
          reclaimed_total_.Inc(claimed->entries.size());
          log::Info("claimed idle stream entries",
                    {{"stream", options_.stream},
                     {"count", static_cast<int64_t>(claimed->entries.size())}});
          if (!HandleAll(claimed->entries)) {
            check_pending = true;
          }
        }
        start = claimed->next_start;
        if (start == "0-0") {
          break;
        }
      }
    }
    // 2. New entries.
    auto fresh = redis_->XReadGroup(options_.group, options_.consumer, options_.stream,
                                    options_.batch, options_.block_ms, ">");
    if (!fresh.ok()) {
      log::Warn("cannot read the stream",
                {{"stream", options_.stream}, {"error", fresh.status().message()}});
      // The group may be gone (the stream was deleted): create it again.
      group_ready = false;
      Pause(options_.retry_backoff_ms);
      continue;
    }
    if (!HandleAll(*fresh)) {
      check_pending = true;
      Pause(options_.retry_backoff_ms);
    }
  }
  log::Info("stream consumer stopped", {{"stream", options_.stream}, {"group", options_.group}});
}

}  // namespace salesos::rpc
