#pragma once

// BroadcastEngine: the background half of broadcasts (docs/broadcasts.md). The database is the
// only record of the work, so a crash loses nothing:
//   - resolution: a broadcast that is due is claimed by a lease on its row, its audience asked of
//     conversation page by page (ResolveAudienceForService, 5,000 a page) and each page written
//     with the page token of the next in one transaction, so a restart resumes after the last
//     page written and a contact is never queued twice (unique (broadcast, contact));
//   - sending: one IntegrationSender an integration with running broadcasts, in the replica that
//     holds the integration's lease (broadcast_integration_leases), so two replicas never send
//     for one integration. It paces sends with one token bucket at the lowest rate of the
//     integration's running broadcasts, keeps up to `concurrency` sends in flight, never sends to
//     a contact twice within 6 s, and moves each recipient queued → sending → sent | failed, or
//     back to queued for a retry (DecideRetry). A sender that takes over an integration puts the
//     recipients its predecessor left "sending" back in the queue; they are sent again with the
//     same idempotency key (the recipient id), which conversation answers with the first send's
//     outcome, so nobody gets a message twice.
// Progress goes to `notify`: every status change at once, other changes at most once a second a
// broadcast. Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "broadcast_rules.h"
#include "broadcast_store.h"
#include "campaign_store.h"
#include "salesos/conversation/v1/conversation.pb.h"
#include "salesos/core/status.h"
#include "salesos/core/time.h"
#include "salesos/store/store.h"

namespace salesos::campaign {

// What an integration is (auth owns integrations).
struct IntegrationInfo {
  std::string workspace_id;
  std::string platform;  // "facebook" | "instagram" | "whatsapp"
};

// The peers broadcasts need, behind functions so tests run without them. Each is called from
// several threads and must be thread-safe, bounded by its own deadline.
struct BroadcastPeers {
  // conversation's ResolveAudienceForService.
  std::function<Result<conversation::v1::ResolveAudienceForServiceResponse>(
      const conversation::v1::ResolveAudienceForServiceRequest&)>
      resolve_audience;
  // conversation's SendToContactForService.
  std::function<Result<conversation::v1::SendToContactForServiceResponse>(
      const conversation::v1::SendToContactForServiceRequest&)>
      send;
  // auth's view of an integration; NOT_FOUND when there is none.
  std::function<Result<IntegrationInfo>(const std::string& integration_id)> integration;
  // business.name of a workspace ("" when unknown); optional.
  std::function<Result<std::string>(const std::string& workspace_id)> business_name;
};

struct BroadcastEngineOptions {
  std::string owner;         // unique per process: leases are held in its name
  int64_t lease_ms = 30000;  // resolution and integration leases
  int concurrency = 16;      // sends in flight per integration
  int32_t resolve_page_size = 5000;
  int max_idle_ms = 500;  // the loop looks for new work at least this often
};

// Told of changes: `record` is the broadcast after it; `status_changed` for a new status.
using BroadcastListener = std::function<void(const BroadcastRecord& record, bool status_changed)>;

class BroadcastEngine {
 public:
  BroadcastEngine(store::Store& db, BroadcastPeers peers, BroadcastEngineOptions options,
                  BroadcastListener listener, const Clock& clock = SystemClock());
  ~BroadcastEngine();
  BroadcastEngine(const BroadcastEngine&) = delete;
  BroadcastEngine& operator=(const BroadcastEngine&) = delete;

  void Start();
  // Stops every loop and sender after the sends in flight; leases are released. Idempotent.
  void Stop();
  // Something changed (a broadcast created, resumed, new recipients): look now.
  void Notify();
  // A broadcast was paused or cancelled: senders put back what they claimed and not yet sent.
  void Withdraw();
  // A broadcast changed (counters or status): tell the listener (throttled unless a status).
  void Changed(const std::string& broadcast_id, bool status_changed);

  // Resolves the audience of one due broadcast, if any, to the end; whether there was one.
  // Used by the loop; public for tests and the bench.
  Result<bool> ResolveOnce();

  // Sends made (ok or not), for tests.
  int64_t sends() const { return sends_.load(); }

 private:
  class IntegrationSender;
  void Run();
  void RunNotifier();
  void Tick();
  Status Resolve(BroadcastRecord b);

  BroadcastStore store_;
  CampaignStore campaigns_;  // campaign.name and product.* for rendering
  BroadcastPeers peers_;
  BroadcastEngineOptions options_;
  BroadcastListener listener_;
  const Clock& clock_;
  std::atomic<int64_t> sends_{0};
  std::atomic<uint64_t> flush_gen_{0};  // Withdraw() calls so far

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool notified_ = false;
  std::map<std::string, std::unique_ptr<IntegrationSender>> senders_;  // loop thread only
  // Throttled progress: broadcast → when it was last told (ms), and those changed since.
  std::map<std::string, int64_t> last_told_;
  std::set<std::string> dirty_;
  std::thread loop_;
  std::thread notifier_;
};

}  // namespace salesos::campaign
