#pragma once

// CampaignStore: the campaigns table and its companions (campaign_referrals,
// processed_stats_events) on libs/store; one code path for SQLite and PostgreSQL. Every query a
// workspace's user can reach filters on the workspace id, so another workspace's campaign is
// simply not found. Writes that depend on what was read (status changes, updates, deletes) carry
// that state in their WHERE, so a concurrent change makes them miss instead of overwrite.
// Thread-safe as the Store under it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salesos/campaign/v1/campaign.pb.h"
#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::campaign {

struct CampaignRecord {
  std::string id;
  std::string workspace_id;
  std::string name;
  std::string status;
  std::string target_platform;
  v1::Product product;  // price and currency are kept in the two fields below
  int64_t price_minor = 0;
  std::string currency;
  v1::ChatFlow chat_flow;
  v1::TargetAudience target_audience;
  std::string outreach_message;
  std::vector<std::string> referral_ids;
  int64_t messages_sent = 0;
  int64_t responses = 0;
  int64_t conversions = 0;
  int64_t revenue_minor = 0;
  std::string created_at;
  std::string updated_at;
  std::string activated_at;
  std::string completed_at;
};

struct CampaignFilter {
  std::string status;           // "" for any
  std::string target_platform;  // "" for any
  std::string name_contains;    // "" for any; case-insensitive (ASCII)
};

struct StatsDelta {
  int64_t messages_sent = 0;
  int64_t responses = 0;
  int64_t conversions = 0;
  int64_t revenue_minor = 0;
};

class CampaignStore {
 public:
  explicit CampaignStore(store::Store& db) : db_(db) {}

  Status Create(const CampaignRecord& record);
  Result<std::optional<CampaignRecord>> Get(const std::string& workspace_id, const std::string& id);
  // Up to `limit` campaigns of the workspace matching `filter`, newest first (id descending),
  // with ids below `before_id` ("" from the newest).
  Result<std::vector<CampaignRecord>> List(const std::string& workspace_id,
                                           const CampaignFilter& filter,
                                           const std::string& before_id, int64_t limit);
  // Replaces the content (name, platform, product, price, chat flow, audience, outreach message,
  // referrals) and updated_at of `record`, when the stored row still has `expected_updated_at`.
  // false when it does not (changed meanwhile, or gone).
  Result<bool> UpdateContent(const CampaignRecord& record, const std::string& expected_updated_at);
  // Moves the campaign from `from` to record.status with its times, when it is still in `from`.
  // false when it is not (changed meanwhile, or gone).
  Result<bool> UpdateStatus(const CampaignRecord& record, const std::string& from);
  // Removes the campaign when it is still a draft; false when it is not (or gone).
  Result<bool> DeleteDraft(const std::string& workspace_id, const std::string& id);
  // Adds `delta` once per (workspace, event_id): true when added, false when the event was
  // counted before. kNotFound when the workspace has no such campaign (nothing is recorded).
  Result<bool> RecordStats(const std::string& workspace_id, const std::string& campaign_id,
                           const std::string& event_id, const StatsDelta& delta,
                           const std::string& now);

  // The most recently activated active campaign of the workspace listing `referral_id`.
  Result<std::optional<CampaignRecord>> FindActiveByReferral(const std::string& workspace_id,
                                                             const std::string& referral_id);
  // The most recently activated active campaign targeting `platform` or "all".
  Result<std::optional<CampaignRecord>> FindLatestActive(const std::string& workspace_id,
                                                         const std::string& platform);

 private:
  store::Store& db_;
};

}  // namespace salesos::campaign
