#include "broadcast_store.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <utility>

#include "broadcast_rules.h"
#include "salesos/core/time.h"

namespace salesos::campaign {
namespace {

constexpr std::string_view kColumns =
    "id, workspace_id, campaign_id, name, status, segment_id, rules, template_id, body, "
    "text_given, wa_template, inline_template, integration_id, platform, schedule_at_ms, "
    "rate_per_second, attribution_window_hours, total, queued, sent, delivered, read_count, "
    "failed, replied, cancelled, opted_out, resolved, resolve_token, started_at, completed_at, "
    "created_by, created_at, updated_at, error";

constexpr std::string_view kRecipientColumns =
    "id, broadcast_id, workspace_id, integration_id, contact_id, name, address, status, text, "
    "params, platform_message_id, message_id, conversation_id, error, attempts, next_attempt_ms, "
    "last_attempt_ms, sent_at, delivered_at, read_at, replied_at";

std::string Select(std::string_view where) {
  return "SELECT " + std::string(kColumns) + " FROM broadcasts WHERE " + std::string(where);
}

std::string SelectRecipients(std::string_view where) {
  return "SELECT " + std::string(kRecipientColumns) + " FROM broadcast_recipients WHERE " +
         std::string(where);
}

template <typename M>
Result<std::string> ToJson(const M& m) {
  std::string json;
  auto st = google::protobuf::util::MessageToJsonString(m, &json);
  if (!st.ok()) {
    return Internal("cannot write JSON: " + std::string(st.message()));
  }
  return json;
}

template <typename M>
Status FromJson(const std::string& json, M* m) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto st = google::protobuf::util::JsonStringToMessage(json, m, options);
  return st.ok() ? OkStatus()
                 : Internal("stored JSON does not parse: " + std::string(st.message()));
}

Result<BroadcastRecord> FromRow(const store::Row& r) {
  BroadcastRecord b;
  b.id = r.GetText(0);
  b.workspace_id = r.GetText(1);
  b.campaign_id = r.GetText(2);
  b.name = r.GetText(3);
  b.status = r.GetText(4);
  b.segment_id = r.GetText(5);
  SALESOS_RETURN_IF_ERROR(FromJson(r.GetText(6), &b.rules));
  b.template_id = r.GetText(7);
  b.body = r.GetText(8);
  b.text_given = r.GetText(9);
  std::string wa = r.GetText(10);
  if (!wa.empty()) {
    v1::WhatsAppTemplate t;
    SALESOS_RETURN_IF_ERROR(FromJson(wa, &t));
    b.wa_template = std::move(t);
  }
  b.inline_template = r.GetBool(11);
  b.integration_id = r.GetText(12);
  b.platform = r.GetText(13);
  b.schedule_at_ms = r.GetInt(14);
  b.rate_per_second = static_cast<int32_t>(r.GetInt(15));
  b.attribution_window_hours = static_cast<int32_t>(r.GetInt(16));
  b.total = r.GetInt(17);
  b.queued = r.GetInt(18);
  b.sent = r.GetInt(19);
  b.delivered = r.GetInt(20);
  b.read = r.GetInt(21);
  b.failed = r.GetInt(22);
  b.replied = r.GetInt(23);
  b.cancelled = r.GetInt(24);
  b.opted_out = r.GetInt(25);
  b.resolved = r.GetBool(26);
  b.resolve_token = r.GetText(27);
  b.started_at = r.GetText(28);
  b.completed_at = r.GetText(29);
  b.created_by = r.GetText(30);
  b.created_at = r.GetText(31);
  b.updated_at = r.GetText(32);
  b.error = r.GetText(33);
  return b;
}

RecipientRecord RecipientFromRow(const store::Row& r) {
  RecipientRecord x;
  x.id = r.GetText(0);
  x.broadcast_id = r.GetText(1);
  x.workspace_id = r.GetText(2);
  x.integration_id = r.GetText(3);
  x.contact_id = r.GetText(4);
  x.name = r.GetText(5);
  x.address = r.GetText(6);
  x.status = r.GetText(7);
  x.text = r.GetText(8);
  x.params = r.GetText(9);
  x.platform_message_id = r.GetText(10);
  x.message_id = r.GetText(11);
  x.conversation_id = r.GetText(12);
  x.error = r.GetText(13);
  x.attempts = static_cast<int32_t>(r.GetInt(14));
  x.next_attempt_ms = r.GetInt(15);
  x.last_attempt_ms = r.GetInt(16);
  x.sent_at = r.GetText(17);
  x.delivered_at = r.GetText(18);
  x.read_at = r.GetText(19);
  x.replied_at = r.GetText(20);
  return x;
}

Result<std::optional<BroadcastRecord>> AtMostOne(Result<store::Rows> rows) {
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<BroadcastRecord>();
  }
  SALESOS_ASSIGN_OR_RETURN(BroadcastRecord b, FromRow(rows->front()));
  return std::optional<BroadcastRecord>(std::move(b));
}

std::string Now(int64_t now_ms) { return FormatRfc3339Millis(now_ms); }

// Completes the broadcast when nothing of it is left to send; whether it did.
Result<bool> CompleteIfDone(store::Executor& tx, const std::string& broadcast_id, int64_t now_ms) {
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n, tx.Exec("UPDATE broadcasts SET status = 'completed', completed_at = $2, "
                         "updated_at = $2 WHERE id = $1 AND status = 'running' AND resolved = 1 "
                         "AND queued = 0",
                         {broadcast_id, Now(now_ms)}));
  return n > 0;
}

// Inserts `rows` with `status`, skipping contacts already there; how many were inserted.
Result<int64_t> InsertRecipients(store::Executor& tx, const std::vector<RecipientRecord>& rows) {
  std::vector<store::Params> values;
  values.reserve(rows.size());
  for (const RecipientRecord& r : rows) {
    values.push_back({r.id, r.broadcast_id, r.workspace_id, r.integration_id, r.contact_id, r.name,
                      r.address, r.status, r.text, r.params, r.error});
  }
  return store::InsertRows(
      tx,
      "INSERT INTO broadcast_recipients (id, broadcast_id, workspace_id, "
      "integration_id, contact_id, name, address, status, text, params, error)",
      values, " ON CONFLICT (broadcast_id, contact_id) DO NOTHING");
}

// The broadcast's status inside a transaction ("" when gone).
Result<std::string> StatusOf(store::Executor& tx, const std::string& broadcast_id) {
  SALESOS_ASSIGN_OR_RETURN(auto rows,
                           tx.Query("SELECT status FROM broadcasts WHERE id = $1", {broadcast_id}));
  return rows.empty() ? std::string() : rows.front().GetText(0);
}

}  // namespace

Status BroadcastStore::Create(const BroadcastRecord& b, int64_t max_unfinished) {
  SALESOS_ASSIGN_OR_RETURN(std::string rules, ToJson(b.rules));
  std::string wa;
  if (b.wa_template.has_value()) {
    SALESOS_ASSIGN_OR_RETURN(wa, ToJson(*b.wa_template));
  }
  auto n = db_.Exec(
      "INSERT INTO broadcasts (id, workspace_id, campaign_id, name, status, segment_id, rules, "
      "template_id, body, text_given, wa_template, inline_template, integration_id, platform, "
      "schedule_at_ms, rate_per_second, attribution_window_hours, created_by, created_at, "
      "updated_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
      "$17, $18, $19, $20 WHERE (SELECT COUNT(*) FROM broadcasts WHERE workspace_id = $2 AND "
      "status IN ('scheduled', 'running', 'paused')) < $21",
      {b.id,
       b.workspace_id,
       b.campaign_id,
       b.name,
       b.status,
       b.segment_id,
       rules,
       b.template_id,
       b.body,
       b.text_given,
       wa,
       static_cast<int64_t>(b.inline_template ? 1 : 0),
       b.integration_id,
       b.platform,
       b.schedule_at_ms,
       static_cast<int64_t>(b.rate_per_second),
       static_cast<int64_t>(b.attribution_window_hours),
       b.created_by,
       b.created_at,
       b.updated_at,
       max_unfinished});
  if (!n.ok()) {
    return n.status();
  }
  if (*n == 0) {
    return ResourceExhausted("a workspace has at most " + std::to_string(max_unfinished) +
                             " unfinished broadcasts; wait for one to complete or cancel one");
  }
  return OkStatus();
}

Result<std::optional<BroadcastRecord>> BroadcastStore::Get(const std::string& workspace_id,
                                                           const std::string& id) {
  return AtMostOne(db_.Query(Select("workspace_id = $1 AND id = $2"), {workspace_id, id}));
}

Result<std::optional<BroadcastRecord>> BroadcastStore::GetById(const std::string& id) {
  return AtMostOne(db_.Query(Select("id = $1"), {id}));
}

Result<std::vector<BroadcastRecord>> BroadcastStore::List(const std::string& workspace_id,
                                                          const std::string& campaign_id,
                                                          const std::string& before_id,
                                                          int64_t limit) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query(Select("workspace_id = $1 AND campaign_id = $2 AND ($3 = '' OR id < "
                                  "$3) ORDER BY id DESC LIMIT $4"),
                           {workspace_id, campaign_id, before_id, limit}));
  std::vector<BroadcastRecord> out;
  for (const auto& r : rows) {
    SALESOS_ASSIGN_OR_RETURN(BroadcastRecord b, FromRow(r));
    out.push_back(std::move(b));
  }
  return out;
}

Result<std::optional<BroadcastRecord>> BroadcastStore::ChangeStatus(
    const std::string& workspace_id, const std::string& id, const std::vector<std::string>& from,
    const std::string& to, int64_t now_ms) {
  std::optional<BroadcastRecord> after;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        auto current,
        AtMostOne(tx.Query(Select("workspace_id = $1 AND id = $2"), {workspace_id, id})));
    if (!current.has_value()) {
      return OkStatus();
    }
    if (std::find(from.begin(), from.end(), current->status) == from.end()) {
      return FailedPrecondition(
          "the broadcast is " + current->status + "; only a broadcast that is " +
          [&] {
            std::string s;
            for (size_t i = 0; i < from.size(); ++i) {
              s += (i == 0 ? "" : i + 1 == from.size() ? " or " : ", ") + from[i];
            }
            return s;
          }() +
          " can become " + to);
    }
    std::string status = to;
    if (to == kBroadcastRunning && current->schedule_at_ms > now_ms &&
        current->started_at.empty()) {
      status = kBroadcastScheduled;  // resumed before its time
    }
    SALESOS_RETURN_IF_ERROR(
        tx.Exec("UPDATE broadcasts SET status = $1, updated_at = $2, lease_until_ms = "
                "CASE WHEN $1 = 'cancelled' THEN 0 ELSE lease_until_ms END WHERE id = $3",
                {status, Now(now_ms), id})
            .status());
    if (to == kBroadcastCancelled) {
      SALESOS_ASSIGN_OR_RETURN(int64_t n,
                               tx.Exec("UPDATE broadcast_recipients SET status = 'cancelled' WHERE "
                                       "broadcast_id = $1 AND status = 'queued'",
                                       {id}));
      SALESOS_RETURN_IF_ERROR(tx.Exec("UPDATE broadcasts SET queued = queued - $1, cancelled = "
                                      "cancelled + $1, completed_at = $2 WHERE id = $3",
                                      {n, Now(now_ms), id})
                                  .status());
    }
    if (status == kBroadcastRunning) {
      SALESOS_RETURN_IF_ERROR(CompleteIfDone(tx, id, now_ms).status());
    }
    SALESOS_ASSIGN_OR_RETURN(after, AtMostOne(tx.Query(Select("id = $1"), {id})));
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return after;
}

Result<std::optional<BroadcastRecord>> BroadcastStore::ClaimResolution(const std::string& owner,
                                                                       int64_t now_ms,
                                                                       int64_t lease_ms,
                                                                       bool* started) {
  *started = false;
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT id, status FROM broadcasts WHERE ((status = 'scheduled' AND "
                "schedule_at_ms <= $1) OR (status IN ('running', 'paused') AND resolved = 0)) AND "
                "lease_until_ms < $1 ORDER BY schedule_at_ms, id LIMIT 1",
                {now_ms}));
  if (rows.empty()) {
    return std::optional<BroadcastRecord>();
  }
  std::string id = rows.front().GetText(0);
  bool was_scheduled = rows.front().GetText(1) == kBroadcastScheduled;
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n,
      db_.Exec("UPDATE broadcasts SET lease_owner = $1, lease_until_ms = $2, status = CASE WHEN "
               "status = 'scheduled' THEN 'running' ELSE status END, started_at = CASE WHEN "
               "started_at = '' THEN $3 ELSE started_at END, updated_at = $3 WHERE id = $4 AND "
               "lease_until_ms < $5 AND status IN ('scheduled', 'running', 'paused')",
               {owner, now_ms + lease_ms, Now(now_ms), id, now_ms}));
  if (n == 0) {
    return std::optional<BroadcastRecord>();  // another replica was faster
  }
  *started = was_scheduled;
  return AtMostOne(db_.Query(Select("id = $1"), {id}));
}

Result<int64_t> BroadcastStore::NextScheduledMs() {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT MIN(schedule_at_ms) FROM broadcasts WHERE status = 'scheduled'"));
  return rows.empty() || rows.front().IsNull(0) ? 0 : rows.front().GetInt(0);
}

Result<RecipientMove> BroadcastStore::AddRecipients(
    const std::string& broadcast_id, const std::string& owner,
    const std::vector<RecipientRecord>& queued, const std::vector<RecipientRecord>& failed,
    int64_t opted_out, const std::string& next_token, bool last, int64_t now_ms, int64_t lease_ms) {
  RecipientMove out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    // The lease is taken again in the same statement that proves it is still ours.
    SALESOS_ASSIGN_OR_RETURN(int64_t held,
                             tx.Exec("UPDATE broadcasts SET lease_until_ms = $1 WHERE id = $2 AND "
                                     "lease_owner = $3 AND lease_until_ms >= $4",
                                     {now_ms + lease_ms, broadcast_id, owner, now_ms}));
    if (held == 0) {
      return Aborted("the broadcast's resolution lease was lost");
    }
    SALESOS_ASSIGN_OR_RETURN(std::string status, StatusOf(tx, broadcast_id));
    if (status == kBroadcastCancelled) {
      SALESOS_RETURN_IF_ERROR(
          tx.Exec("UPDATE broadcasts SET resolved = 1, lease_until_ms = 0 WHERE id = $1",
                  {broadcast_id})
              .status());
      out.applied = true;
      return OkStatus();
    }
    SALESOS_ASSIGN_OR_RETURN(int64_t nq, InsertRecipients(tx, queued));
    SALESOS_ASSIGN_OR_RETURN(int64_t nf, InsertRecipients(tx, failed));
    SALESOS_RETURN_IF_ERROR(
        tx.Exec("UPDATE broadcasts SET total = total + $1, queued = queued + $2, failed = failed "
                "+ $3, opted_out = opted_out + $4, resolve_token = $5, resolved = $6, "
                "lease_until_ms = CASE WHEN $6 = 1 THEN 0 ELSE lease_until_ms END, updated_at = "
                "$7 WHERE id = $8",
                {nq + nf, nq, nf, opted_out, next_token, static_cast<int64_t>(last ? 1 : 0),
                 Now(now_ms), broadcast_id})
            .status());
    out.applied = true;
    if (last) {
      SALESOS_ASSIGN_OR_RETURN(out.completed, CompleteIfDone(tx, broadcast_id, now_ms));
    }
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return out;
}

Result<RecipientMove> BroadcastStore::FailResolution(const std::string& broadcast_id,
                                                     const std::string& owner,
                                                     const std::string& error, int64_t now_ms) {
  RecipientMove out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n, tx.Exec("UPDATE broadcasts SET resolved = 1, error = $1, lease_until_ms = 0, "
                           "updated_at = $2 WHERE id = $3 AND lease_owner = $4",
                           {error, Now(now_ms), broadcast_id, owner}));
    out.applied = n > 0;
    if (out.applied) {
      SALESOS_ASSIGN_OR_RETURN(out.completed, CompleteIfDone(tx, broadcast_id, now_ms));
    }
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return out;
}

Result<bool> BroadcastStore::AcquireIntegrationLease(const std::string& integration_id,
                                                     const std::string& owner, int64_t now_ms,
                                                     int64_t lease_ms) {
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n,
      db_.Exec("INSERT INTO broadcast_integration_leases (integration_id, owner, until_ms) VALUES "
               "($1, $2, $3) ON CONFLICT (integration_id) DO UPDATE SET owner = excluded.owner, "
               "until_ms = excluded.until_ms WHERE broadcast_integration_leases.owner = "
               "excluded.owner OR broadcast_integration_leases.until_ms < $4",
               {integration_id, owner, now_ms + lease_ms, now_ms}));
  return n > 0;
}

Status BroadcastStore::ReleaseIntegrationLease(const std::string& integration_id,
                                               const std::string& owner) {
  return db_
      .Exec("DELETE FROM broadcast_integration_leases WHERE integration_id = $1 AND owner = $2",
            {integration_id, owner})
      .status();
}

Result<std::vector<std::pair<std::string, int32_t>>> BroadcastStore::ActiveIntegrations() {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT integration_id, MIN(rate_per_second) FROM broadcasts WHERE "
                           "status = 'running' GROUP BY integration_id"));
  std::vector<std::pair<std::string, int32_t>> out;
  for (const auto& r : rows) {
    out.emplace_back(r.GetText(0), static_cast<int32_t>(r.GetInt(1)));
  }
  return out;
}

Result<int64_t> BroadcastStore::RequeueOrphans(const std::string& integration_id) {
  return db_.Exec(
      "UPDATE broadcast_recipients SET status = 'queued' WHERE integration_id = $1 AND status = "
      "'sending'",
      {integration_id});
}

Result<std::vector<std::pair<std::string, int64_t>>> BroadcastStore::RecentContacts(
    const std::string& integration_id, int64_t since_ms) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT contact_id, MAX(last_attempt_ms) FROM broadcast_recipients "
                           "WHERE integration_id = $1 AND last_attempt_ms > $2 GROUP BY contact_id",
                           {integration_id, since_ms}));
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& r : rows) {
    out.emplace_back(r.GetText(0), r.GetInt(1));
  }
  return out;
}

Result<std::vector<RecipientRecord>> BroadcastStore::Due(const std::string& integration_id,
                                                         int64_t now_ms, int64_t limit) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT r.id, r.broadcast_id, r.workspace_id, r.integration_id, r.contact_id, "
                "r.name, r.address, r.status, r.text, r.params, r.platform_message_id, "
                "r.message_id, r.conversation_id, r.error, r.attempts, r.next_attempt_ms, "
                "r.last_attempt_ms, r.sent_at, r.delivered_at, r.read_at, r.replied_at FROM "
                "broadcast_recipients r JOIN broadcasts b ON b.id = r.broadcast_id WHERE "
                "r.integration_id = $1 AND r.status = 'queued' AND r.next_attempt_ms <= $2 AND "
                "b.status = 'running' ORDER BY r.next_attempt_ms, r.id LIMIT $3",
                {integration_id, now_ms, limit}));
  std::vector<RecipientRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(RecipientFromRow(r));
  }
  return out;
}

Result<int64_t> BroadcastStore::NextDueMs(const std::string& integration_id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT MIN(r.next_attempt_ms) FROM broadcast_recipients r JOIN "
                           "broadcasts b ON b.id = r.broadcast_id WHERE r.integration_id = $1 AND "
                           "r.status = 'queued' AND b.status = 'running'",
                           {integration_id}));
  return rows.empty() || rows.front().IsNull(0) ? 0 : rows.front().GetInt(0);
}

Status BroadcastStore::MarkSending(const std::vector<std::string>& ids, int64_t now_ms) {
  if (ids.empty()) {
    return OkStatus();
  }
  std::string sql =
      "UPDATE broadcast_recipients SET status = 'sending', attempts = attempts + 1, "
      "last_attempt_ms = $1 WHERE status = 'queued' AND id IN (";
  store::Params params = {now_ms};
  for (size_t i = 0; i < ids.size(); ++i) {
    sql += (i == 0 ? "$" : ", $") + std::to_string(i + 2);
    params.push_back(ids[i]);
  }
  sql += ")";
  return db_.Exec(sql, params).status();
}

Status BroadcastStore::Defer(const std::string& id, int64_t until_ms) {
  return db_
      .Exec(
          "UPDATE broadcast_recipients SET next_attempt_ms = $1 WHERE id = $2 AND status = "
          "'queued'",
          {until_ms, id})
      .status();
}

Result<RecipientMove> BroadcastStore::MarkSent(const RecipientRecord& r,
                                               const std::string& platform_message_id,
                                               const std::string& message_id,
                                               const std::string& conversation_id, int64_t now_ms) {
  RecipientMove out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n,
        tx.Exec("UPDATE broadcast_recipients SET status = 'sent', platform_message_id "
                "= $1, message_id = $2, conversation_id = $3, sent_at = $4, sent_at_ms "
                "= $5, error = '' WHERE id = $6 AND status = 'sending'",
                {platform_message_id, message_id, conversation_id, Now(now_ms), now_ms, r.id}));
    if (n == 0) {
      return OkStatus();
    }
    out.applied = true;
    SALESOS_RETURN_IF_ERROR(tx.Exec("UPDATE broadcasts SET queued = queued - 1, sent = sent + 1, "
                                    "updated_at = $1 WHERE id = $2",
                                    {Now(now_ms), r.broadcast_id})
                                .status());
    SALESOS_ASSIGN_OR_RETURN(out.completed, CompleteIfDone(tx, r.broadcast_id, now_ms));
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return out;
}

Result<RecipientMove> BroadcastStore::MarkFailed(const RecipientRecord& r, const std::string& error,
                                                 int64_t now_ms) {
  RecipientMove out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n, tx.Exec("UPDATE broadcast_recipients SET status = 'failed', error = $1 WHERE "
                           "id = $2 AND status = 'sending'",
                           {error, r.id}));
    if (n == 0) {
      return OkStatus();
    }
    out.applied = true;
    SALESOS_RETURN_IF_ERROR(tx.Exec("UPDATE broadcasts SET queued = queued - 1, failed = failed + "
                                    "1, updated_at = $1 WHERE id = $2",
                                    {Now(now_ms), r.broadcast_id})
                                .status());
    SALESOS_ASSIGN_OR_RETURN(out.completed, CompleteIfDone(tx, r.broadcast_id, now_ms));
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return out;
}

Result<RecipientMove> BroadcastStore::Requeue(const RecipientRecord& r, int64_t next_attempt_ms,
                                              const std::string& error, int64_t now_ms) {
  RecipientMove out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(std::string status, StatusOf(tx, r.broadcast_id));
    bool cancel = status == kBroadcastCancelled;
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n, tx.Exec("UPDATE broadcast_recipients SET status = $1, next_attempt_ms = $2, "
                           "error = $3 WHERE id = $4 AND status = 'sending'",
                           {std::string(cancel ? kBroadcastCancelled : "queued"), next_attempt_ms,
                            error, r.id}));
    out.applied = n > 0;
    if (out.applied && cancel) {
      SALESOS_RETURN_IF_ERROR(tx.Exec("UPDATE broadcasts SET queued = queued - 1, cancelled = "
                                      "cancelled + 1, updated_at = $1 WHERE id = $2",
                                      {Now(now_ms), r.broadcast_id})
                                  .status());
    }
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return out;
}

Status BroadcastStore::SweepCancelled() {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT id FROM broadcasts WHERE status = 'cancelled' AND queued > 0"));
  for (const auto& row : rows) {
    std::string id = row.GetText(0);
    SALESOS_RETURN_IF_ERROR(db_.InTransaction([&](store::Executor& tx) -> Status {
      SALESOS_ASSIGN_OR_RETURN(int64_t n,
                               tx.Exec("UPDATE broadcast_recipients SET status = 'cancelled' WHERE "
                                       "broadcast_id = $1 AND status = 'queued'",
                                       {id}));
      return tx
          .Exec(
              "UPDATE broadcasts SET queued = queued - $1, cancelled = cancelled + $1 WHERE id = "
              "$2",
              {n, id})
          .status();
    }));
  }
  return OkStatus();
}

Result<RecipientMove> BroadcastStore::ApplyReceipt(const std::string& workspace_id,
                                                   const std::string& broadcast_id,
                                                   const std::string& recipient_id,
                                                   const std::string& status,
                                                   const std::string& error, int64_t at_ms,
                                                   int64_t now_ms) {
  RecipientMove out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(auto rows,
                             tx.Query("SELECT status FROM broadcast_recipients WHERE id = $1 AND "
                                      "broadcast_id = $2 AND workspace_id = $3",
                                      {recipient_id, broadcast_id, workspace_id}));
    if (rows.empty()) {
      return OkStatus();
    }
    std::string current = rows.front().GetText(0);
    std::string at = Now(at_ms);
    std::string counters;
    if (status == "delivered" && current == "sent") {
      SALESOS_RETURN_IF_ERROR(tx.Exec("UPDATE broadcast_recipients SET status = 'delivered', "
                                      "delivered_at = $1 WHERE id = $2",
                                      {at, recipient_id})
                                  .status());
      counters = "delivered = delivered + 1";
    } else if (status == "read" && (current == "sent" || current == "delivered")) {
      SALESOS_RETURN_IF_ERROR(
          tx.Exec("UPDATE broadcast_recipients SET status = 'read', read_at = $1, delivered_at = "
                  "CASE WHEN delivered_at = '' THEN $1 ELSE delivered_at END WHERE id = $2",
                  {at, recipient_id})
              .status());
      counters = current == "sent" ? "delivered = delivered + 1, read_count = read_count + 1"
                                   : "read_count = read_count + 1";
    } else if (status == "failed" && (current == "sent" || current == "delivered")) {
      // The platform took the message and then could not deliver it: it counts as failed, not
      // sent (nor delivered).
      SALESOS_RETURN_IF_ERROR(
          tx.Exec("UPDATE broadcast_recipients SET status = 'failed', error = "
                  "$1 WHERE id = $2",
                  {error.empty() ? std::string("undeliverable") : error, recipient_id})
              .status());
      counters = current == "sent"
                     ? "sent = sent - 1, failed = failed + 1"
                     : "sent = sent - 1, delivered = delivered - 1, failed = failed + 1";
    } else {
      return OkStatus();  // repeated, late or backwards: nothing changes
    }
    out.applied = true;
    return tx
        .Exec("UPDATE broadcasts SET " + counters + ", updated_at = $1 WHERE id = $2",
              {Now(now_ms), broadcast_id})
        .status();
  });
  if (!st.ok()) {
    return st;
  }
  return out;
}

Result<RecipientMove> BroadcastStore::ApplyReply(const std::string& workspace_id,
                                                 const std::string& broadcast_id,
                                                 const std::string& recipient_id, int64_t at_ms,
                                                 int64_t now_ms) {
  RecipientMove out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n,
        tx.Exec("UPDATE broadcast_recipients SET replied_at = $1 WHERE id = $2 AND broadcast_id = "
                "$3 AND workspace_id = $4 AND replied_at = '' AND sent_at_ms > 0 AND $5 >= "
                "sent_at_ms AND $5 - sent_at_ms <= (SELECT attribution_window_hours FROM "
                "broadcasts WHERE id = $3) * 3600000",
                {Now(at_ms), recipient_id, broadcast_id, workspace_id, at_ms}));
    if (n == 0) {
      return OkStatus();
    }
    out.applied = true;
    return tx
        .Exec("UPDATE broadcasts SET replied = replied + 1, updated_at = $1 WHERE id = $2",
              {Now(now_ms), broadcast_id})
        .status();
  });
  if (!st.ok()) {
    return st;
  }
  return out;
}

Result<std::vector<RecipientRecord>> BroadcastStore::ListRecipients(const std::string& broadcast_id,
                                                                    const std::string& status,
                                                                    const std::string& after_id,
                                                                    int64_t limit) {
  Result<store::Rows> rows =
      status.empty()
          ? db_.Query(SelectRecipients("broadcast_id = $1 AND id > $2 ORDER BY id LIMIT $3"),
                      {broadcast_id, after_id, limit})
      : status == "replied"
          ? db_.Query(SelectRecipients("broadcast_id = $1 AND replied_at <> '' AND id > $2 ORDER "
                                       "BY id LIMIT $3"),
                      {broadcast_id, after_id, limit})
          : db_.Query(SelectRecipients(
                          "broadcast_id = $1 AND status = $2 AND id > $3 ORDER BY id LIMIT $4"),
                      {broadcast_id, status, after_id, limit});
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<RecipientRecord> out;
  for (const auto& r : *rows) {
    out.push_back(RecipientFromRow(r));
  }
  return out;
}

}  // namespace salesos::campaign
