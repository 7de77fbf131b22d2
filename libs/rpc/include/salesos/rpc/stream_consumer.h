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
//
// Traces: an entry with a "traceparent" field (EventPublisher writes one) is handled with it in
// the thread's log context, so the handler's log lines, calls and events carry it on.
//
// Metrics (metrics::DefaultRegistry(), labels stream and group):
//   salesos_stream_entries_handled_total    entries handled and acknowledged
//   salesos_stream_entries_failed_total     handler failures (the entry stays pending; retried)
//   salesos_stream_entries_dropped_total    entries given up on after max_attempts
//   salesos_stream_entries_reclaimed_total  entries taken over from idle consumers (XAUTOCLAIM)
//   salesos_stream_group_lag                entries not yet delivered to the group (XINFO GROUPS
//                                           lag; absent while Redis cannot tell)
//   salesos_stream_group_pending            entries delivered and not acknowledged
// The last two are read at scrape time, at most once per second per stream and group.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "salesos/core/status.h"
#include "salesos/metrics/metrics.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/redis/redis.h"

namespace salesos::rpc {

// The machine's host name ("" when unknown), e.g. for consumer names that survive a restart.
std::string HostName();

// "<prefix>-<host>-<listen address>": the consumer name of a service's consumer. It survives a
// restart with the same arguments (same pod, same machine), so the new process takes up at once
// what its predecessor read and did not acknowledge, instead of after the group's claim_idle_ms;
// replicas on one machine listen on different addresses, so each is a consumer of its own (two
// processes sharing a name would take each other's pending entries). A port-0 address differs at
// every start, so the process id is added then.
std::string StableConsumerName(const std::string& prefix, const std::string& listen_addr);

struct StreamConsumerOptions {
  std::string stream;    // "salesos:events"
  std::string group;     // the consuming service, "ai_orchestration"
  std::string consumer;  // unique in the group; empty: <group>-<hostname>-<pid>
  // After Stop, the batch in hand is still handled for up to this long (entries left unhandled
  // stay pending under this consumer's name until it or another consumer takes them up).
  int finish_batch_ms = 3000;
  int batch = 32;
  int block_ms = 1000;
  int64_t claim_idle_ms = 60'000;
  int64_t claim_every_ms = 10'000;
  int max_attempts = 5;
  int retry_backoff_ms = 1000;
  // Entries of a batch handled at once, on threads of this consumer. With more than 1, `key`
  // orders them: entries with the same key are handled one after another in stream order
  // (a customer's messages), entries with different keys in parallel; a batch is acknowledged
  // once every one of its entries is done. Without a key every entry is its own.
  int concurrency = 1;
  std::function<std::string(const redis::StreamEntry& entry)> key;
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
  // The handler's answer for one entry (with its log context and access log); nullopt when the
  // stop's bound for finishing the batch has passed (not handled).
  std::optional<Status> HandleOne(const redis::StreamEntry& entry);
  // Every entry's answer, in the order of `entries`: one after another, or in lanes by key on
  // the pool when options.concurrency > 1.
  std::vector<std::optional<Status>> RunBatch(const std::vector<redis::StreamEntry>& entries);
  void Pause(int ms);

  redis::ClientPtr redis_;
  StreamConsumerOptions options_;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> stop_at_ms_{0};  // when Stop was called (MonotonicMillis)
  std::atomic<int64_t> handled_{0};
  std::atomic<int64_t> dropped_{0};
  std::mutex mu_;
  std::condition_variable wake_;  // Stop() interrupts a backoff pause
  std::map<std::string, int> attempts_;  // pending entry id → failed attempts (loop thread only)
  metrics::Counter& handled_total_;
  metrics::Counter& failed_total_;
  metrics::Counter& dropped_total_;
  metrics::Counter& reclaimed_total_;
  class GroupStatsRegistration;
  std::unique_ptr<GroupStatsRegistration> group_stats_;  // lag and pending
  std::unique_ptr<WorkPool> pool_;  // options.concurrency > 1
  std::thread thread_;
};

}  // namespace salesos::rpc
