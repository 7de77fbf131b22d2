#include "outgoing_store.h"

#include <sstream>

namespace salesos::webhook_ingest {
namespace {

constexpr char kWebhookColumns[] =
    "id, workspace_id, url, events, secret_sealed, secret_hint, description, created_by, "
    "created_at";
constexpr char kDeliveryColumns[] =
    "id, workspace_id, webhook_id, event_id, event_type, body, status, attempts, next_attempt_ms, "
    "lease_until_ms, first_attempt_ms, last_http_status, last_error, duration_ms, created_ms, "
    "delivered_ms, redelivery_of";

WebhookRecord ToWebhook(const store::Row& r) {
  WebhookRecord w;
  w.id = r.GetText(0);
  w.workspace_id = r.GetText(1);
  w.url = r.GetText(2);
  w.events = SplitEvents(r.GetText(3));
  w.secret_sealed = r.GetText(4);
  w.secret_hint = r.GetText(5);
  w.description = r.GetText(6);
  w.created_by = r.GetText(7);
  w.created_at = r.GetText(8);
  return w;
}

DeliveryRecord ToDelivery(const store::Row& r) {
  DeliveryRecord d;
  d.id = r.GetText(0);
  d.workspace_id = r.GetText(1);
  d.webhook_id = r.GetText(2);
  d.event_id = r.GetText(3);
  d.event_type = r.GetText(4);
  d.body = r.GetText(5);
  d.status = r.GetText(6);
  d.attempts = static_cast<int>(r.GetInt(7));
  d.next_attempt_ms = r.GetInt(8);
  d.lease_until_ms = r.GetInt(9);
  d.first_attempt_ms = r.GetInt(10);
  d.last_http_status = static_cast<int>(r.GetInt(11));
  d.last_error = r.GetText(12);
  d.duration_ms = static_cast<int>(r.GetInt(13));
  d.created_ms = r.GetInt(14);
  d.delivered_ms = r.GetInt(15);
  d.redelivery_of = r.GetText(16);
  return d;
}

std::vector<DeliveryRecord> ToDeliveries(const store::Rows& rows) {
  std::vector<DeliveryRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(ToDelivery(r));
  }
  return out;
}

}  // namespace

std::string JoinEvents(const std::vector<std::string>& events) {
  std::string out = " ";
  for (const auto& e : events) {
    out += e + " ";
  }
  return out;
}

std::vector<std::string> SplitEvents(const std::string& column) {
  std::vector<std::string> out;
  std::istringstream in(column);
  std::string e;
  while (in >> e) {
    out.push_back(e);
  }
  return out;
}

Status OutgoingStore::CreateWebhook(const WebhookRecord& rec, int max_per_workspace) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        auto rows,
        tx.Query("SELECT COUNT(*) FROM outgoing_webhooks WHERE workspace_id = $1", {rec.workspace_id}));
    if (!rows.empty() && rows[0].GetInt(0) >= max_per_workspace) {
      return ResourceExhausted("a workspace has at most " + std::to_string(max_per_workspace) +
                               " webhooks; delete one first");
    }
    return tx
        .Exec(std::string("INSERT INTO outgoing_webhooks (") + kWebhookColumns +
                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
              {rec.id, rec.workspace_id, rec.url, JoinEvents(rec.events), rec.secret_sealed,
               rec.secret_hint, rec.description, rec.created_by, rec.created_at})
        .status();
  });
}

Result<std::vector<WebhookRecord>> OutgoingStore::ListWebhooks(const std::string& workspace_id,
                                                               const std::string& after_id,
                                                               int limit) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kWebhookColumns +
                               " FROM outgoing_webhooks WHERE workspace_id = $1 AND id > $2 "
                               "ORDER BY id LIMIT $3",
                           {workspace_id, after_id, int64_t{limit}}));
  std::vector<WebhookRecord> out;
  for (const auto& r : rows) {
    out.push_back(ToWebhook(r));
  }
  return out;
}

Result<std::optional<WebhookRecord>> OutgoingStore::GetWebhook(const std::string& workspace_id,
                                                               const std::string& id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kWebhookColumns +
                               " FROM outgoing_webhooks WHERE workspace_id = $1 AND id = $2",
                           {workspace_id, id}));
  if (rows.empty()) {
    return std::optional<WebhookRecord>();
  }
  return std::optional<WebhookRecord>(ToWebhook(rows[0]));
}

Result<bool> OutgoingStore::DeleteWebhook(const std::string& workspace_id, const std::string& id) {
  bool existed = false;
  SALESOS_RETURN_IF_ERROR(db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n, tx.Exec("DELETE FROM outgoing_webhooks WHERE workspace_id = $1 AND id = $2",
                           {workspace_id, id}));
    existed = n > 0;
    return tx
        .Exec("DELETE FROM outgoing_deliveries WHERE workspace_id = $1 AND webhook_id = $2",
              {workspace_id, id})
        .status();
  }));
  return existed;
}

Status OutgoingStore::DeleteWorkspace(const std::string& workspace_id) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM outgoing_deliveries WHERE workspace_id = $1", {workspace_id})
            .status());
    return tx.Exec("DELETE FROM outgoing_webhooks WHERE workspace_id = $1", {workspace_id})
        .status();
  });
}

Result<bool> OutgoingStore::Enqueue(const DeliveryRecord& rec) {
  store::Value redelivery_of =
      rec.redelivery_of.empty() ? store::Value(store::Null{}) : store::Value(rec.redelivery_of);
  // ON CONFLICT DO NOTHING (both engines): the partial unique index on (webhook_id, event_id)
  // makes a second delivery of one event a no-op without aborting a surrounding transaction.
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n,
      db_.Exec(std::string("INSERT INTO outgoing_deliveries (") + kDeliveryColumns +
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
                   "$16, $17) ON CONFLICT DO NOTHING",
               {rec.id, rec.workspace_id, rec.webhook_id, rec.event_id, rec.event_type, rec.body,
                rec.status, int64_t{rec.attempts}, rec.next_attempt_ms, rec.lease_until_ms,
                rec.first_attempt_ms, int64_t{rec.last_http_status}, rec.last_error,
                int64_t{rec.duration_ms}, rec.created_ms, rec.delivered_ms, redelivery_of}));
  return n > 0;
}

Result<std::vector<DeliveryRecord>> OutgoingStore::ListDeliveries(const std::string& workspace_id,
                                                                  const std::string& webhook_id,
                                                                  const std::string& status,
                                                                  const std::string& before_id,
                                                                  int limit) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kDeliveryColumns +
                    " FROM outgoing_deliveries WHERE workspace_id = $1 AND webhook_id = $2 AND "
                    "($3 = '' OR status = $3) AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5",
                {workspace_id, webhook_id, status, before_id, int64_t{limit}}));
  return ToDeliveries(rows);
}

Result<std::optional<DeliveryRecord>> OutgoingStore::GetDelivery(const std::string& workspace_id,
                                                                 const std::string& webhook_id,
                                                                 const std::string& id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kDeliveryColumns +
                               " FROM outgoing_deliveries WHERE workspace_id = $1 AND "
                               "webhook_id = $2 AND id = $3",
                           {workspace_id, webhook_id, id}));
  if (rows.empty()) {
    return std::optional<DeliveryRecord>();
  }
  return std::optional<DeliveryRecord>(ToDelivery(rows[0]));
}

Result<std::vector<DeliveryRecord>> OutgoingStore::DueDeliveries(int64_t now_ms, int limit) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kDeliveryColumns +
                               " FROM outgoing_deliveries WHERE status = 'pending' AND "
                               "next_attempt_ms <= $1 AND lease_until_ms < $1 "
                               "ORDER BY next_attempt_ms, id LIMIT $2",
                           {now_ms, int64_t{limit}}));
  return ToDeliveries(rows);
}

Result<int64_t> OutgoingStore::NextDueMs() {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT MIN(CASE WHEN lease_until_ms > next_attempt_ms THEN "
                           "lease_until_ms ELSE next_attempt_ms END) FROM outgoing_deliveries "
                           "WHERE status = 'pending'"));
  return rows.empty() ? 0 : rows[0].GetInt(0);
}

Result<bool> OutgoingStore::Claim(const std::string& id, int64_t now_ms, int64_t lease_until_ms) {
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n, db_.Exec("UPDATE outgoing_deliveries SET lease_until_ms = $2 WHERE id = $1 AND "
                          "status = 'pending' AND next_attempt_ms <= $3 AND lease_until_ms < $3",
                          {id, lease_until_ms, now_ms}));
  return n == 1;
}

Result<bool> OutgoingStore::RecordAttempt(const std::string& id, int64_t lease_until_ms,
                                          const AttemptOutcome& o) {
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n,
      db_.Exec("UPDATE outgoing_deliveries SET status = $3, attempts = attempts + 1, "
               "next_attempt_ms = $4, first_attempt_ms = $5, last_http_status = $6, "
               "last_error = $7, duration_ms = $8, delivered_ms = $9, lease_until_ms = 0 "
               "WHERE id = $1 AND lease_until_ms = $2 AND status = 'pending'",
               {id, lease_until_ms, o.status, o.next_attempt_ms, o.first_attempt_ms,
                int64_t{o.last_http_status}, o.last_error, int64_t{o.duration_ms},
                o.delivered_ms}));
  return n == 1;
}

Result<int64_t> OutgoingStore::PurgeFinishedBefore(int64_t cutoff_ms) {
  return db_.Exec(
      "DELETE FROM outgoing_deliveries WHERE status <> 'pending' AND created_ms < $1",
      {cutoff_ms});
}

}  // namespace salesos::webhook_ingest
