#pragma once

// StreamConsumer: one consumer of a Redis Streams consumer group (DESIGN §1), on a thread of its
// own. It creates the group (from the stream's start, so nothing written before the first start is
// missed), then loops:
//   1. its own pending entries (read but not acknowledged, e.g. before a restart) first;
//   2. new entries, blocking at most block_ms;
//   3. every claim_every_ms, entries other consumers of the group left pending for claim_idle_ms
//      (a crashed replica's), taken over with XAUTOCLAIM.
// Each entry goes to the handler; an ok Status acknowledges it (XACK). A failed entry stays
// pending and is retried on a later pass, after retry_backoff_ms; after max_attempts failures it is
// logged with its error and acknowledged, so one poisoned entry cannot stall the group. Handlers
// must therefore be idempotent (dedupe on the event id where an effect must happen once).
// Redis being down is logged and retried with the same backoff; the loop never spins.
//
// Stop() (or the destructor) ends the loop after the call in progress: at most block_ms plus the
// handler's time.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"

namespace salesos::rpc {

// The machine's host name ("" when unknown), e.g. for consumer names that survive a restart.
std::string HostName();

struct StreamConsumerOptions {
  std::string stream;    // "salesos:events"
  std::string group;     // the consuming service, "ai_orchestration"
  std::string consumer;  // unique in the group; empty: <group>-<hostname>-<pid>
  int batch = 32;
  int block_ms = 1000;
  int64_t claim_idle_ms = 60'000;
  int64_t claim_every_ms = 10'000;
  int max_attempts = 5;
  int retry_backoff_ms = 1000;
};

class StreamConsumer {
 public:
  using Handler = std::function<Status(const redis::StreamEntry& entry)>;

  StreamConsumer(redis::ClientPtr redis, StreamConsumerOptions options, Handler handler);
  ~StreamConsumer();
  StreamConsumer(const StreamConsumer&) = delete;
  StreamConsumer& operator=(const StreamConsumer&) = delete;

  void Start();
  void Stop();

  // Entries handled successfully and acknowledged, and entries given up on (for tests and metrics).
  int64_t handled() const { return handled_.load(); }
  int64_t dropped() const { return dropped_.load(); }

 private:
  void Run();
  // Handles `entries`; true when every one was acknowledged.
  bool HandleAll(const std::vector<redis::StreamEntry>& entries);
  void Pause(int ms);

  redis::ClientPtr redis_;
  StreamConsumerOptions options_;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> handled_{0};
  std::atomic<int64_t> dropped_{0};
  std::mutex mu_;
  std::condition_variable wake_;  // Stop() interrupts a backoff pause
  std::map<std::string, int> attempts_;  // pending entry id → failed attempts (loop thread only)
  std::thread thread_;
};

}  // namespace salesos::rpc
