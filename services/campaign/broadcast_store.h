#pragma once

// BroadcastStore: broadcasts, their recipients (the send queue) and the integrations' sender
// leases, on libs/store (one code path for SQLite and PostgreSQL). Every change of a recipient is
// one transaction with the counters of its broadcast, so the counters always add up. A broadcast
// that has nothing left queued or sending (and is fully resolved) is completed by the same
// transaction that took its last recipient out of the queue. Queries of the API filter on the
// workspace id; the sender's and the resolver's act on ids they claimed. Thread-safe as the Store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salesos/campaign/v1/campaign.pb.h"
#include "salesos/common/v1/segment.pb.h"
#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::campaign {

struct BroadcastRecord {
  std::string id;
  std::string workspace_id;
  std::string campaign_id;
  std::string name;
  std::string status;
  std::string segment_id;
  common::v1::SegmentRule rules;
  std::string template_id;
  std::string body;        // rendered per recipient as text ("" when a WhatsApp template is sent)
  std::string text_given;  // the request's text, as the API shows it
  std::optional<v1::WhatsAppTemplate> wa_template;  // what is sent on WhatsApp, when set
  bool inline_template = false;                     // wa_template came with the request
  std::string integration_id;
  std::string platform;
  int64_t schedule_at_ms = 0;
  int32_t rate_per_second = 0;
  int32_t attribution_window_hours = 0;
  int64_t total = 0, queued = 0, sent = 0, delivered = 0, read = 0, failed = 0, replied = 0,
          cancelled = 0, opted_out = 0;
  bool resolved = false;
  std::string resolve_token;
  std::string started_at;
  std::string completed_at;
  std::string created_by;
  std::string created_at;
  std::string updated_at;
  std::string error;
};

struct RecipientRecord {
  std::string id;
  std::string broadcast_id;
  std::string workspace_id;
  std::string integration_id;
  std::string contact_id;
  std::string name;
  std::string address;
  std::string status;
  std::string text;
  std::string params;  // EncodeParams
  std::string platform_message_id;
  std::string message_id;
  std::string conversation_id;
  std::string error;
  int32_t attempts = 0;
  int64_t next_attempt_ms = 0;
  int64_t last_attempt_ms = 0;
  std::string sent_at;
  std::string delivered_at;
  std::string read_at;
  std::string replied_at;
};

// What a transition did to its broadcast.
struct RecipientMove {
  bool applied = false;    // the recipient was in the expected state and moved
  bool completed = false;  // the broadcast became completed by it
};

class BroadcastStore {
 public:
  explicit BroadcastStore(store::Store& db) : db_(db) {}

  // Inserts the broadcast unless the workspace has `max_unfinished` scheduled, running or paused
  // ones (kResourceExhausted).
  Status Create(const BroadcastRecord& rec, int64_t max_unfinished);
  Result<std::optional<BroadcastRecord>> Get(const std::string& workspace_id,
                                             const std::string& id);
  // The campaign's broadcasts, newest first, ids below before_id ("" from the newest).
  Result<std::vector<BroadcastRecord>> List(const std::string& workspace_id,
                                            const std::string& campaign_id,
                                            const std::string& before_id, int64_t limit);

  // Pause / resume / cancel: moves `id` from one of `from` to `to` (cancel also cancels the
  // queued recipients, and resume completes a broadcast with nothing left). The broadcast after
  // it; nullopt when the workspace has no such broadcast; kFailedPrecondition naming the status
  // when it is in none of `from`.
  Result<std::optional<BroadcastRecord>> ChangeStatus(const std::string& workspace_id,
                                                      const std::string& id,
                                                      const std::vector<std::string>& from,
                                                      const std::string& to, int64_t now_ms);

  // --- resolution ---
  // Claims one broadcast whose audience is due to be resolved (scheduled and due, or running or
  // paused and not resolved yet) and whose resolution lease is free, for `owner` until
  // now + lease_ms; a scheduled one becomes running. `started` tells whether it did.
  Result<std::optional<BroadcastRecord>> ClaimResolution(const std::string& owner, int64_t now_ms,
                                                         int64_t lease_ms, bool* started);
  // When the next scheduled broadcast is due (0: none).
  Result<int64_t> NextScheduledMs();
  // One resolved page, in one transaction, if `owner` still holds the resolution lease (else
  // kAborted): `queued` and `failed` recipients inserted (a contact already there is skipped),
  // opted_out added, the next page token kept, the lease extended, and when `last` the broadcast
  // marked resolved (and completed when nothing is queued). A cancelled broadcast takes no more
  // recipients (marked resolved). Batched multi-row inserts.
  Result<RecipientMove> AddRecipients(const std::string& broadcast_id, const std::string& owner,
                                      const std::vector<RecipientRecord>& queued,
                                      const std::vector<RecipientRecord>& failed, int64_t opted_out,
                                      const std::string& next_token, bool last, int64_t now_ms,
                                      int64_t lease_ms);
  // A broadcast whose audience cannot be resolved: resolved with `error`, completed when nothing
  // is queued.
  Result<RecipientMove> FailResolution(const std::string& broadcast_id, const std::string& owner,
                                       const std::string& error, int64_t now_ms);

  // --- sending ---
  // Takes or renews the integration's sender lease for `owner`; false when another owner holds
  // an unexpired one.
  Result<bool> AcquireIntegrationLease(const std::string& integration_id, const std::string& owner,
                                       int64_t now_ms, int64_t lease_ms);
  Status ReleaseIntegrationLease(const std::string& integration_id, const std::string& owner);
  // Integrations with running broadcasts, each with the lowest rate among them.
  Result<std::vector<std::pair<std::string, int32_t>>> ActiveIntegrations();
  // Recipients left "sending" on the integration by a sender that is gone back to "queued" (the
  // caller just took over the integration's lease); how many.
  Result<int64_t> RequeueOrphans(const std::string& integration_id);
  // Contacts of the integration tried after since_ms, with when they were last tried.
  Result<std::vector<std::pair<std::string, int64_t>>> RecentContacts(
      const std::string& integration_id, int64_t since_ms);
  // Up to `limit` queued recipients of running broadcasts on the integration, due at now_ms, in
  // due then id order.
  Result<std::vector<RecipientRecord>> Due(const std::string& integration_id, int64_t now_ms,
                                           int64_t limit);
  // When the integration's next queued recipient of a running broadcast is due (0: none).
  Result<int64_t> NextDueMs(const std::string& integration_id);
  // queued → sending (attempts + 1, last_attempt_ms = now) for these ids.
  Status MarkSending(const std::vector<std::string>& ids, int64_t now_ms);
  // A queued recipient waits until `until_ms` (the per-contact gap).
  Status Defer(const std::string& id, int64_t until_ms);
  // sending → sent / failed / queued (again at next_attempt_ms; cancelled when its broadcast was
  // cancelled meanwhile).
  Result<RecipientMove> MarkSent(const RecipientRecord& r, const std::string& platform_message_id,
                                 const std::string& message_id, const std::string& conversation_id,
                                 int64_t now_ms);
  Result<RecipientMove> MarkFailed(const RecipientRecord& r, const std::string& error,
                                   int64_t now_ms);
  Result<RecipientMove> Requeue(const RecipientRecord& r, int64_t next_attempt_ms,
                                const std::string& error, int64_t now_ms);
  // Queued recipients of cancelled broadcasts (put back by a sender that was taken over) become
  // cancelled.
  Status SweepCancelled();

  // --- receipts ---
  // Moves the recipient forward to "delivered" | "read" | "failed" (only from sent or delivered;
  // failed only from sent or delivered, un-counting sent); applied=false when it changes
  // nothing.
  Result<RecipientMove> ApplyReceipt(const std::string& workspace_id,
                                     const std::string& broadcast_id,
                                     const std::string& recipient_id, const std::string& status,
                                     const std::string& error, int64_t at_ms, int64_t now_ms);
  // Counts a reply once per recipient when at_ms falls within the attribution window after the
  // send.
  Result<RecipientMove> ApplyReply(const std::string& workspace_id, const std::string& broadcast_id,
                                   const std::string& recipient_id, int64_t at_ms, int64_t now_ms);

  // The broadcast's recipients in id order after after_id; status "" for any, "replied" for those
  // that replied.
  Result<std::vector<RecipientRecord>> ListRecipients(const std::string& broadcast_id,
                                                      const std::string& status,
                                                      const std::string& after_id, int64_t limit);
  // A broadcast by id alone (the sender's and the notifier's view).
  Result<std::optional<BroadcastRecord>> GetById(const std::string& id);

 private:
  store::Store& db_;
};

}  // namespace salesos::campaign
