#pragma once

// AnalyticsStore: the rollups of analytics (migrations/002_rollups.sql) on libs/store, one code
// path for SQLite and PostgreSQL.
//
// Fold is idempotent and order-independent: an event's id goes into processed_events in the same
// transaction as its effect, so a replay changes nothing; events of a conversation wait in
// deferred_events until its conversation.started arrives (they are attributed to its campaign,
// platform and start hour); response times come from the conversation's timeline in time order;
// the funnel flags are set once; statuses keep the latest by (time, event id). So any order of the
// same events gives the same rows (docs/analytics.md).
//
// Thread-safe as the Store is: Fold runs on the event consumer's thread, queries on the work pool.
// Replicas may fold at once: on PostgreSQL the folds of one conversation take turns (a transaction
// advisory lock), so none misses another's deferred events or overwrites its state.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analytics_events.h"
#include "rollups.h"
#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::analytics {

struct FoldResult {
  bool applied = false;           // false: a duplicate, ignored, or deferred
  std::set<std::string> metrics;  // the metric names whose numbers may have changed
};

// Which rows a query sums: the workspace's hours in [from_hour, to_hour) (Unix seconds, UTC hour
// starts), optionally one campaign and one platform.
struct RollupQuery {
  std::string workspace_id;
  int64_t from_hour = 0;
  int64_t to_hour = 0;
  std::string campaign_id;  // "" all
  std::string platform;     // "" all
  bool by_slice = false;    // also group by campaign and platform (else those keys are "")
};

struct CampaignInfo {
  std::string id;
  std::string name;
  std::string status;  // "deleted" for a deleted one
  std::string target_platform;
};

class AnalyticsStore {
 public:
  explicit AnalyticsStore(store::Store& db) : db_(db) {}

  // Folds one decoded event (see the header comment). A store failure is returned as it is (the
  // consumer retries the entry).
  Result<FoldResult> Fold(const Fact& fact);

  // The summed rows of `q`, by hour (and campaign and platform when by_slice), in key order;
  // hours without rows are left out.
  Result<std::vector<RollupRow>> Sum(const RollupQuery& q);
  // Conversations open now (active or qualified), optionally of one campaign and platform.
  Result<int64_t> OpenConversations(const std::string& workspace_id, const std::string& campaign_id,
                                    const std::string& platform);
  // Every campaign the workspace had (deleted ones too).
  Result<std::vector<CampaignInfo>> Campaigns(const std::string& workspace_id);
  // One campaign, or nullopt when the workspace never had it: neither a campaign event nor a
  // conversation names it.
  Result<std::optional<CampaignInfo>> FindCampaign(const std::string& workspace_id,
                                                   const std::string& campaign_id);

 private:
  store::Store& db_;
};

}  // namespace salesos::analytics
