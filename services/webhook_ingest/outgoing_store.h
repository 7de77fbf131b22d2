#pragma once

// OutgoingStore: the SQL of outgoing webhooks (migrations/001_outgoing_webhooks.sql), one code
// path for SQLite and PostgreSQL. Every query of the API filters on the workspace; the deliverer's
// queries (due, claim, record) go by delivery id across workspaces. Thread-safe as the Store is.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::webhook_ingest {

inline constexpr char kDeliveryPending[] = "pending";
inline constexpr char kDeliverySucceeded[] = "succeeded";
inline constexpr char kDeliveryFailed[] = "failed";

struct WebhookRecord {
  std::string id;
  std::string workspace_id;
  std::string url;
  std::vector<std::string> events;
  std::string secret_sealed;  // base64 of the data key's seal
  std::string secret_hint;
  std::string description;
  std::string created_by;
  std::string created_at;  // RFC 3339
};

struct DeliveryRecord {
  std::string id;
  std::string workspace_id;
  std::string webhook_id;
  std::string event_id;
  std::string event_type;
  std::string body;
  std::string status = kDeliveryPending;
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  int64_t lease_until_ms = 0;
  int64_t first_attempt_ms = 0;
  int last_http_status = 0;
  std::string last_error;
  int duration_ms = 0;
  int64_t created_ms = 0;
  int64_t delivered_ms = 0;
  std::string redelivery_of;  // "" for the delivery the event made
};

// What one attempt came to, for RecordAttempt.
struct AttemptOutcome {
  std::string status;          // pending (retry at next_attempt_ms), succeeded or failed
  int64_t next_attempt_ms = 0;
  int64_t first_attempt_ms = 0;
  int last_http_status = 0;
  std::string last_error;
  int duration_ms = 0;
  int64_t delivered_ms = 0;    // succeeded: when
};

class OutgoingStore {
 public:
  explicit OutgoingStore(store::Store& db) : db_(db) {}

  // ResourceExhausted when the workspace has `max_per_workspace` webhooks already.
  Status CreateWebhook(const WebhookRecord& rec, int max_per_workspace);
  // Oldest first, ids after `after_id` ("" from the start), at most `limit`.
  Result<std::vector<WebhookRecord>> ListWebhooks(const std::string& workspace_id,
                                                  const std::string& after_id, int limit);
  Result<std::optional<WebhookRecord>> GetWebhook(const std::string& workspace_id,
                                                  const std::string& id);
  // Whether it existed; its deliveries (pending ones included) go with it.
  Result<bool> DeleteWebhook(const std::string& workspace_id, const std::string& id);
  // Every webhook and delivery of the workspace (workspace.deleted).
  Status DeleteWorkspace(const std::string& workspace_id);

  // Adds a delivery; false (nothing added) when rec.redelivery_of is empty and the webhook has a
  // delivery of rec.event_id already.
  Result<bool> Enqueue(const DeliveryRecord& rec);
  // Newest first, ids before `before_id` ("" from the newest), `status` "" for all.
  Result<std::vector<DeliveryRecord>> ListDeliveries(const std::string& workspace_id,
                                                     const std::string& webhook_id,
                                                     const std::string& status,
                                                     const std::string& before_id, int limit);
  Result<std::optional<DeliveryRecord>> GetDelivery(const std::string& workspace_id,
                                                    const std::string& webhook_id,
                                                    const std::string& id);

  // Pending deliveries due at now_ms whose lease (if any) ran out, soonest first.
  Result<std::vector<DeliveryRecord>> DueDeliveries(int64_t now_ms, int limit);
  // Unix ms of the earliest pending delivery (or its lease's end), 0 for none.
  Result<int64_t> NextDueMs();
  // Takes the delivery until lease_until_ms when it is still pending, due and unleased at now_ms;
  // false when another replica (or an earlier pass) has it.
  Result<bool> Claim(const std::string& id, int64_t now_ms, int64_t lease_until_ms);
  // Records an attempt of a delivery claimed with `lease_until_ms` and lets the lease go; false
  // (nothing written) when the lease was lost meanwhile or the delivery is gone (its webhook was
  // deleted).
  Result<bool> RecordAttempt(const std::string& id, int64_t lease_until_ms,
                             const AttemptOutcome& outcome);
  // Removes finished deliveries created before cutoff_ms; how many.
  Result<int64_t> PurgeFinishedBefore(int64_t cutoff_ms);

 private:
  store::Store& db_;
};

// " a b " form of the events column, and back.
std::string JoinEvents(const std::vector<std::string>& events);
std::vector<std::string> SplitEvents(const std::string& column);

}  // namespace salesos::webhook_ingest
