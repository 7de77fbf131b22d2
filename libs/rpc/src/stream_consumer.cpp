#include "salesos/rpc/stream_consumer.h"

#include <unistd.h>

#include <chrono>

#include "salesos/core/log.h"
#include "salesos/core/time.h"

namespace salesos::rpc {
std::string HostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) {
    host[0] = '\0';
  }
  return host;
}

namespace {

std::string DefaultConsumerName(const std::string& group) {
  return group + "-" + HostName() + "-" + std::to_string(getpid());
}

}  // namespace

StreamConsumer::StreamConsumer(redis::ClientPtr redis, StreamConsumerOptions options,
                               Handler handler)
    : redis_(std::move(redis)), options_(std::move(options)), handler_(std::move(handler)) {
  if (options_.consumer.empty()) {
    options_.consumer = DefaultConsumerName(options_.group);
  }
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

bool StreamConsumer::HandleAll(const std::vector<redis::StreamEntry>& entries) {
  std::vector<std::string> ack;
  bool all = true;
  for (const auto& entry : entries) {
    if (stop_) {
      all = false;
      break;
    }
    Status st = entry.fields.empty() ? OkStatus() : handler_(entry);
    if (st.ok()) {
      ack.push_back(entry.id);
      attempts_.erase(entry.id);
      handled_++;
      continue;
    }
    int tries = ++attempts_[entry.id];
    if (tries >= options_.max_attempts) {
      log::Error("giving up on a stream entry",
                 {{"stream", options_.stream}, {"group", options_.group}, {"entry", entry.id},
                  {"attempts", static_cast<int64_t>(tries)}, {"error", st.message()}});
      ack.push_back(entry.id);
      attempts_.erase(entry.id);
      dropped_++;
    } else {
      log::Warn("stream entry failed; it stays pending",
                {{"stream", options_.stream}, {"entry", entry.id},
                 {"attempt", static_cast<int64_t>(tries)}, {"error", st.message()}});
      all = false;
    }
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
