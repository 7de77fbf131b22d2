#include "conversation_store.h"

#include <algorithm>
#include <utility>

#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/money.h"
#include "salesos/core/time.h"

namespace salesos::conversation {
namespace {

constexpr std::string_view kContactColumns =
    "id, workspace_id, platform, platform_user_id, first_name, last_name, full_name, email, phone, "
    "created_at";
constexpr std::string_view kConversationColumns =
    "id, workspace_id, contact_id, campaign_id, platform, integration_id, status, handler, "
    "assigned_agent_id, lead_score, unread_count, last_message_at, created_at, updated_at, "
    "intent, ai_summary, qualification_answers, objections, next_action, handoff_reason, "
    "converted_at, order_value_minor, currency, order_details, last_customer_message_ms, "
    "ai_due_ms, ai_lease_until_ms, ai_attempts, ai_traceparent";
constexpr std::string_view kMessageColumns =
    "id, workspace_id, conversation_id, sender, content, type, attachments, platform_message_id, "
    "delivery_status, error, platform_timestamp_ms, created_at, outbound, send_attempts, "
    "next_attempt_ms, idempotency_key, broadcast_id, broadcast_recipient_id, origin";
// A conversation's messages in order: platform time, then id (arrival).
constexpr std::string_view kMessageOrder = "platform_timestamp_ms, id";

// The platform's 24-hour messaging window (conversation_views.h kMessagingWindowMs).
constexpr int64_t kMessagingWindow = 24LL * 3600 * 1000;

// The open statuses: a new message joins such a conversation instead of opening another.
constexpr std::string_view kOpen = "status IN ('active', 'qualified')";

// delivery_status as a rank, in SQL, so "forward only" is one UPDATE.
constexpr std::string_view kRank =
    "(CASE delivery_status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 "
    "WHEN 'failed' THEN 4 ELSE 0 END)";

// What is still to do, word for word the WHERE of the partial indexes of migration 008 (both
// engines use a partial index only when the query's WHERE implies the index's); {a} is the
// table's alias.
constexpr std::string_view kAiTurnPending = "{a}.ai_due_ms > 0 AND {a}.handler = 'ai'";
constexpr std::string_view kSendPending =
    "{a}.delivery_status = 'pending' AND {a}.idempotency_key IS NULL";

// The order of DueAiTurns' and DueSends' picks (s.pass: 0 a workspace's turn, 1 the rest; $3
// the cursor): the workspaces' turns round-robin, the workspaces after the cursor first, then
// from the start; the rest as they come (each query's due time follows).
constexpr std::string_view kRoundRobinOrder =
    "s.pass, (CASE WHEN s.pass = 0 AND {a}.workspace_id <= $3 THEN 1 ELSE 0 END), (CASE WHEN "
    "s.pass = 0 THEN {a}.workspace_id ELSE '' END)";

// SQLite plans without statistics (nothing runs ANALYZE), and then prefers an index with an
// equality on its first column (messages_outbox on delivery_status, messages_by_idempotency_key on
// workspace_id and "idempotency_key IS NULL") to the partial indexes, walking every pending or
// every message of a workspace. The fair claims name their index there; PostgreSQL picks it.
std::string IndexedBy(const store::Store& db, std::string_view index) {
  return db.Engine() == "sqlite" ? " INDEXED BY " + std::string(index) : std::string();
}

// A workspace's oldest due item, in the fair claims: "{a}.workspace_id = ws.id" written as a
// range, with the workspace first in the ORDER BY. With an equality PostgreSQL drops the
// workspace from the sort order and, reckoning the workspace holds 1/(number of workspaces) of the
// rows, may walk the due-time index (conversations_ai_due) through another workspace's whole
// backlog; as a range only the partial index gives the order, so it descends that one.
constexpr std::string_view kThisWorkspace =
    "{a}.workspace_id >= ws.id AND {a}.workspace_id <= ws.id";

// kSendPending in a form no index can use for "idempotency_key IS NULL", for the parts of
// DueSends that must not use messages_outbox_by_workspace or messages_by_idempotency_key: without
// statistics (a fresh table, a bulk load) PostgreSQL reckons "workspace_id = x AND
// idempotency_key IS NULL" one row and walks a whole workspace's messages for each check. "<> 0"
// rather than "= 1": PostgreSQL guesses an inequality on an expression true for nearly every
// row, an equality for almost none, and with that guess the LIMIT of the oldest part would
// rather sort every due message than walk messages_outbox in order.
constexpr std::string_view kSendPendingFilter =
    "{a}.delivery_status = 'pending' AND (CASE WHEN {a}.idempotency_key IS NULL THEN 1 ELSE 0 "
    "END) <> 0";

// kAiTurnPending for the oldest part of DueAiTurns, which must walk conversations_ai_due rather
// than the partial index (see kSendPendingFilter).
constexpr std::string_view kAiTurnPendingFilter =
    "{a}.ai_due_ms > 0 AND (CASE WHEN {a}.handler = 'ai' THEN 1 ELSE 0 END) <> 0";

std::string WithAlias(std::string_view condition, std::string_view alias) {
  std::string out(condition);
  for (size_t at; (at = out.find("{a}")) != std::string::npos;) {
    out.replace(at, 3, alias);
  }
  return out;
}

int64_t Rank(const std::string& status) {
  if (status == "sent") {
    return 1;
  }
  if (status == "delivered") {
    return 2;
  }
  if (status == "read") {
    return 3;
  }
  return status == "failed" ? 4 : 0;
}

std::string Select(std::string_view columns, std::string_view table, std::string_view where) {
  return "SELECT " + std::string(columns) + " FROM " + std::string(table) + " WHERE " +
         std::string(where);
}

ContactRecord ContactFromRow(const store::Row& r) {
  return ContactRecord{r.GetText(0), r.GetText(1), r.GetText(2), r.GetText(3), r.GetText(4),
                       r.GetText(5), r.GetText(6), r.GetText(7), r.GetText(8), r.GetText(9)};
}

ConversationRecord ConversationFromRow(const store::Row& r) {
  ConversationRecord c;
  c.id = r.GetText(0);
  c.workspace_id = r.GetText(1);
  c.contact_id = r.GetText(2);
  c.campaign_id = r.GetText(3);
  c.platform = r.GetText(4);
  c.integration_id = r.GetText(5);
  c.status = r.GetText(6);
  c.handler = r.GetText(7);
  c.assigned_agent_id = r.GetText(8);
  c.lead_score = r.GetInt(9);
  c.unread_count = r.GetInt(10);
  c.last_message_at = r.GetText(11);
  c.created_at = r.GetText(12);
  c.updated_at = r.GetText(13);
  c.intent = r.GetText(14);
  c.ai_summary = r.GetText(15);
  c.qualification_answers = r.GetText(16);
  c.objections = r.GetText(17);
  c.next_action = r.GetText(18);
  c.handoff_reason = r.GetText(19);
  c.converted_at = r.GetText(20);
  c.order_value_minor = r.GetInt(21);
  c.currency = r.GetText(22);
  c.order_details = r.GetText(23);
  c.last_customer_message_ms = r.GetInt(24);
  c.ai_due_ms = r.GetInt(25);
  c.ai_lease_until_ms = r.GetInt(26);
  c.ai_attempts = r.GetInt(27);
  c.ai_traceparent = r.GetText(28);
  return c;
}

MessageRecord MessageFromRow(const store::Row& r) {
  MessageRecord m;
  m.id = r.GetText(0);
  m.workspace_id = r.GetText(1);
  m.conversation_id = r.GetText(2);
  m.sender = r.GetText(3);
  m.content = r.GetText(4);
  m.type = r.GetText(5);
  m.attachments = r.GetText(6);
  m.platform_message_id = r.GetText(7);
  m.delivery_status = r.GetText(8);
  m.error = r.GetText(9);
  m.platform_timestamp_ms = r.GetInt(10);
  m.created_at = r.GetText(11);
  m.outbound = r.GetText(12);
  m.send_attempts = r.GetInt(13);
  m.next_attempt_ms = r.GetInt(14);
  m.idempotency_key = r.GetText(15);
  m.broadcast_id = r.GetText(16);
  m.broadcast_recipient_id = r.GetText(17);
  m.origin = r.GetText(18);
  return m;
}

template <typename T>
Result<std::optional<T>> AtMostOne(Result<store::Rows> rows, T (*from_row)(const store::Row&)) {
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<T>();
  }
  return std::optional<T>(from_row(rows->front()));
}

template <typename T>
Result<std::vector<T>> All(Result<store::Rows> rows, T (*from_row)(const store::Row&)) {
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<T> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    out.push_back(from_row(r));
  }
  return out;
}

store::Value TextOrNull(const std::string& v) {
  return v.empty() ? store::Value(store::Null{}) : store::Value(v);
}

// INSERT INTO table (columns) VALUES ($1..$n), n the number of values.
Status Insert(store::Executor& tx, std::string_view table, std::string_view columns,
              const store::Params& values) {
  std::string placeholders;
  for (size_t i = 1; i <= values.size(); ++i) {
    placeholders += (i == 1 ? "$" : ", $") + std::to_string(i);
  }
  auto n = tx.Exec("INSERT INTO " + std::string(table) + " (" + std::string(columns) +
                       ") VALUES (" + placeholders + ")",
                   values);
  return n.ok() ? OkStatus() : n.status();
}

store::Params ConversationValues(const ConversationRecord& c) {
  return {c.id,
          c.workspace_id,
          c.contact_id,
          c.campaign_id,
          c.platform,
          c.integration_id,
          c.status,
          c.handler,
          c.assigned_agent_id,
          c.lead_score,
          c.unread_count,
          c.last_message_at,
          c.created_at,
          c.updated_at,
          c.intent,
          c.ai_summary,
          c.qualification_answers,
          c.objections,
          c.next_action,
          c.handoff_reason,
          c.converted_at,
          c.order_value_minor,
          c.currency,
          c.order_details,
          c.last_customer_message_ms,
          c.ai_due_ms,
          c.ai_lease_until_ms,
          c.ai_attempts,
          c.ai_traceparent};
}

// UPDATE conversations SET <every column but the keys> = $n ... WHERE workspace_id = $2 AND id =
// $1.
Status WriteConversation(store::Executor& tx, const ConversationRecord& c) {
  static const std::string sql = [] {
    std::string cols(kConversationColumns);
    std::string set;
    size_t index = 0;
    size_t start = 0;
    while (start <= cols.size()) {
      size_t comma = cols.find(',', start);
      std::string name =
          cols.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      name.erase(0, name.find_first_not_of(' '));
      ++index;
      if (name != "id" && name != "workspace_id") {
        set += (set.empty() ? "" : ", ") + name + " = $" + std::to_string(index);
      }
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
    return "UPDATE conversations SET " + set + " WHERE id = $1 AND workspace_id = $2";
  }();
  auto n = tx.Exec(sql, ConversationValues(c));
  return n.ok() ? OkStatus() : n.status();
}

// "Ada Lovelace" → first "Ada", last "Lovelace"; one word is a first name.
std::pair<std::string, std::string> SplitName(const std::string& full) {
  size_t space = full.find(' ');
  if (space == std::string::npos) {
    return {full, ""};
  }
  return {full.substr(0, space), full.substr(space + 1)};
}

// The column of the platform's user id ("whatsapp" → whatsapp_id).
std::string PlatformIdColumn(const std::string& platform) {
  if (platform == "facebook") {
    return "facebook_id";
  }
  return platform == "instagram" ? "instagram_id" : "whatsapp_id";
}

// The contact's id on the conversation's platform `v.platform`, in SQL over aliases v and k.
constexpr std::string_view kRecipientId =
    "(CASE v.platform WHEN 'facebook' THEN k.facebook_id WHEN 'instagram' THEN k.instagram_id "
    "ELSE k.whatsapp_id END)";

// Finds the contact by the platform's id column; a WhatsApp sender no contact has yet joins the
// contact whose phone is +<wa_id> (made by hand or imported). Otherwise a new chat contact.
Result<ContactRecord> UpsertContact(store::Executor& tx, const InboundMessage& in, bool& created) {
  const std::string column = PlatformIdColumn(in.platform);
  SALESOS_ASSIGN_OR_RETURN(
      auto existing,
      AtMostOne(tx.Query(Select(kContactColumns, "contacts",
                                "workspace_id = $1 AND " + column + " = $2"),
                         {in.workspace_id, in.platform_user_id}),
                ContactFromRow));
  if (!existing.has_value() && in.platform == "whatsapp" && !in.platform_user_id.empty()) {
    SALESOS_ASSIGN_OR_RETURN(
        existing,
        AtMostOne(tx.Query(Select(kContactColumns, "contacts",
                                  "workspace_id = $1 AND phone = $2 AND whatsapp_id IS NULL "
                                  "ORDER BY id LIMIT 1"),
                           {in.workspace_id, "+" + in.platform_user_id}),
                  ContactFromRow));
    if (existing.has_value()) {
      auto n = tx.Exec(
          "UPDATE contacts SET whatsapp_id = $3, updated_at = $4 WHERE workspace_id = $1 AND "
          "id = $2",
          {in.workspace_id, existing->id, in.platform_user_id, in.now});
      if (!n.ok()) {
        return n.status();
      }
    }
  }
  if (existing.has_value()) {
    // The platform's profile name only renames a contact the platform made; a name a person
    // entered (or imported) stays, and only an empty one is filled in.
    const bool chat_made = existing->platform == in.platform;
    if (!in.contact_name.empty() && existing->full_name != in.contact_name &&
        (chat_made || existing->full_name.empty())) {
      auto [first, last] = SplitName(in.contact_name);
      if (!chat_made && (!existing->first_name.empty() || !existing->last_name.empty())) {
        first = existing->first_name;
        last = existing->last_name;
      }
      auto n = tx.Exec(
          "UPDATE contacts SET full_name = $3, first_name = $4, last_name = $5, updated_at = $6 "
          "WHERE workspace_id = $1 AND id = $2",
          {in.workspace_id, existing->id, in.contact_name, first, last, in.now});
      if (!n.ok()) {
        return n.status();
      }
      existing->full_name = in.contact_name;
      existing->first_name = first;
      existing->last_name = last;
    }
    return *existing;
  }
  ContactRecord c;
  c.id = NewUuidV7();
  c.workspace_id = in.workspace_id;
  c.platform = in.platform;
  c.platform_user_id = in.platform_user_id;
  c.full_name = in.contact_name;
  std::tie(c.first_name, c.last_name) = SplitName(in.contact_name);
  c.created_at = in.now;
  // A WhatsApp id is the number: the contact's phone in E.164.
  if (in.platform == "whatsapp" && in.platform_user_id.size() >= 8 &&
      in.platform_user_id.size() <= 15 &&
      in.platform_user_id.find_first_not_of("0123456789") == std::string::npos) {
    c.phone = "+" + in.platform_user_id;
  }
  const int64_t created_ms = ParseRfc3339Millis(in.now).value_or(NowUnixMillis());
  auto n = tx.Exec("INSERT INTO contacts (" + std::string(kContactColumns) + ", " + column +
                       ", source, created_ms, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                       "$8, $9, $10, $11, 'chat', $12, $10)",
                   {c.id, c.workspace_id, c.platform, c.platform_user_id, c.first_name,
                    c.last_name, c.full_name, c.email, c.phone, c.created_at, c.platform_user_id,
                    created_ms});
  if (!n.ok()) {
    return n.status();
  }
  created = true;
  return c;
}

// Keeps the contact's copy of its conversations current, in the transaction that changed one:
// the latest conversation's status and lead score, and when it last had a message.
Status SyncContact(store::Executor& tx, const ConversationRecord& c) {
  const int64_t last_ms = ParseRfc3339Millis(c.last_message_at).value_or(0);
  static const std::string latest =
      "FROM conversations v WHERE v.workspace_id = $1 AND v.contact_id = $2 ORDER BY "
      "v.last_message_at DESC, v.id DESC LIMIT 1";
  auto n = tx.Exec("UPDATE contacts SET status = COALESCE((SELECT v.status " + latest +
                       "), ''), lead_score = COALESCE((SELECT v.lead_score " + latest +
                       "), 0), last_message_ms = (CASE WHEN last_message_ms < $3 THEN $3 ELSE "
                       "last_message_ms END) WHERE workspace_id = $1 AND id = $2",
                   {c.workspace_id, c.contact_id, last_ms});
  return n.ok() ? OkStatus() : n.status();
}

// `for_update`: " FOR UPDATE" on PostgreSQL (the open conversation is read and written back whole,
// so a concurrent Mutate must not slip in between), "" on SQLite (whose transactions are serial).
Result<ConversationRecord> FindOrOpenConversation(store::Executor& tx, const InboundMessage& in,
                                                  const ContactRecord& contact, bool& started,
                                                  const std::string& for_update) {
  SALESOS_ASSIGN_OR_RETURN(
      auto open,
      AtMostOne(
          tx.Query(Select(kConversationColumns, "conversations",
                          "workspace_id = $1 AND contact_id = $2 AND platform = $3 AND " +
                              std::string(kOpen) + " ORDER BY created_at DESC, id DESC LIMIT 1" +
                              for_update),
                   {in.workspace_id, contact.id, in.platform}),
          ConversationFromRow));
  if (open.has_value()) {
    return *open;
  }
  ConversationRecord c;
  c.id = NewUuidV7();
  c.workspace_id = in.workspace_id;
  c.contact_id = contact.id;
  c.campaign_id = in.campaign_id;
  c.platform = in.platform;
  c.integration_id = in.integration_id;
  c.last_message_at = in.now;
  c.created_at = in.now;
  c.updated_at = in.now;
  SALESOS_RETURN_IF_ERROR(Insert(tx, "conversations", kConversationColumns, ConversationValues(c)));
  started = true;
  return c;
}

Status InsertMessage(store::Executor& tx, const MessageRecord& m) {
  return Insert(
      tx, "messages", kMessageColumns,
      {m.id, m.workspace_id, m.conversation_id, m.sender, m.content, m.type, m.attachments,
       TextOrNull(m.platform_message_id), m.delivery_status, m.error, m.platform_timestamp_ms,
       m.created_at, m.outbound, m.send_attempts, m.next_attempt_ms,
       TextOrNull(m.idempotency_key), m.broadcast_id, m.broadcast_recipient_id, m.origin});
}

}  // namespace

Result<InboundOutcome> ConversationStore::AppendInbound(const InboundMessage& in) {
  InboundOutcome out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    if (db_.Engine() == "postgresql") {
      // One customer's messages one at a time, also across replicas: two transactions must not
      // both find no contact (or no open conversation) and make one each. SQLite's transactions
      // are serial already.
      SALESOS_RETURN_IF_ERROR(
          tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                  {"inbound:" + in.workspace_id + ":" + in.platform + ":" + in.platform_user_id})
              .status());
    }
    const std::string& pmid = in.message.platform_message_id;
    if (!pmid.empty()) {
      SALESOS_ASSIGN_OR_RETURN(
          auto seen, AtMostOne(tx.Query(Select(kMessageColumns, "messages",
                                               "workspace_id = $1 AND platform_message_id = $2"),
                                        {in.workspace_id, pmid}),
                               MessageFromRow));
      if (seen.has_value()) {
        out.duplicate = true;
        out.message = *seen;
        return OkStatus();
      }
    }
    SALESOS_ASSIGN_OR_RETURN(out.contact, UpsertContact(tx, in, out.contact_created));
    SALESOS_ASSIGN_OR_RETURN(out.conversation,
                             FindOrOpenConversation(tx, in, out.contact, out.conversation_started,
                                                    ForUpdate()));
    MessageRecord m = in.message;
    m.id = NewUuidV7();
    m.workspace_id = in.workspace_id;
    m.conversation_id = out.conversation.id;
    m.created_at = in.now;
    SALESOS_RETURN_IF_ERROR(InsertMessage(tx, m));
    out.message = m;
    auto& c = out.conversation;
    if (m.sender == "customer") {
      c.unread_count += 1;
      c.last_customer_message_ms = std::max(c.last_customer_message_ms, m.platform_timestamp_ms);
      // The burst's end moves with each message; the AI answers once it is over.
      if (c.handler == "ai" && in.ai_due_ms > 0) {
        c.ai_due_ms = in.ai_due_ms;
        c.ai_attempts = 0;
        c.ai_traceparent = log::CurrentTraceparent();  // the burst's latest message's trace
      }
    } else {
      // A business message from Meta's own inbox (an echo) means a person answered there: the AI
      // stays quiet from now on.
      c.handler = "agent";
      c.ai_due_ms = 0;
    }
    c.last_message_at = in.now;
    c.updated_at = in.now;
    SALESOS_RETURN_IF_ERROR(WriteConversation(tx, c));
    return SyncContact(tx, c);
  });
  if (!st.ok()) {
    return st;
  }
  return out;
}

Result<int64_t> ConversationStore::AdvanceDelivery(const std::string& workspace_id,
                                                   const std::string& platform_message_id,
                                                   const std::string& status,
                                                   const std::string& error) {
  if (platform_message_id.empty() || Rank(status) == 0) {
    return int64_t{0};
  }
  return db_.Exec(
      "UPDATE messages SET delivery_status = $3, error = $4 WHERE workspace_id = $1 "
      "AND platform_message_id = $2 AND " +
          std::string(kRank) + " < $5",
      {workspace_id, platform_message_id, status, status == "failed" ? error : "", Rank(status)});
}

Result<int64_t> ConversationStore::AdvanceDeliveryUpTo(const std::string& workspace_id,
                                                       const std::string& platform,
                                                       const std::string& platform_user_id,
                                                       int64_t watermark_ms,
                                                       const std::string& status,
                                                       std::vector<MessageRecord>* broadcast_moved) {
  if (Rank(status) == 0 || status == "failed") {
    return int64_t{0};
  }
  const std::string where =
      "workspace_id = $1 AND sender IN ('ai', 'agent', 'system') AND delivery_status <> 'pending' "
      "AND platform_timestamp_ms <= $4 AND " +
      std::string(kRank) +
      " < $6 AND conversation_id IN (SELECT v.id FROM conversations v JOIN contacts c ON c.id = "
      "v.contact_id WHERE v.workspace_id = $1 AND c.workspace_id = $1 AND v.platform = $2 AND "
      "c." + PlatformIdColumn(platform) + " = $3)";
  const store::Params params = {workspace_id, platform, platform_user_id,
                                watermark_ms, status,   Rank(status)};
  if (broadcast_moved == nullptr) {
    return db_.Exec("UPDATE messages SET delivery_status = $5 WHERE " + where, params);
  }
  int64_t changed = 0;
  std::vector<std::string> ids;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    ids.clear();
    // $5 is not used by the SELECT; a (status = $5 OR TRUE) keeps every placeholder bound.
    SALESOS_ASSIGN_OR_RETURN(
        auto rows, tx.Query("SELECT id FROM messages WHERE " + where +
                                " AND broadcast_recipient_id <> '' AND ($5 = '' OR 1 = 1)",
                            params));
    for (const auto& r : rows) {
      ids.push_back(r.GetText(0));
    }
    SALESOS_ASSIGN_OR_RETURN(changed,
                             tx.Exec("UPDATE messages SET delivery_status = $5 WHERE " + where,
                                     params));
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  for (const auto& id : ids) {
    SALESOS_ASSIGN_OR_RETURN(auto m, GetMessage(workspace_id, id));
    if (m.has_value()) {
      broadcast_moved->push_back(std::move(*m));
    }
  }
  return changed;
}

Result<DirectSendStart> ConversationStore::BeginDirectSend(const DirectSend& in) {
  DirectSendStart out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    if (!in.message.idempotency_key.empty()) {
      SALESOS_ASSIGN_OR_RETURN(
          auto seen, AtMostOne(tx.Query(Select(kMessageColumns, "messages",
                                               "workspace_id = $1 AND idempotency_key = $2"),
                                        {in.workspace_id, in.message.idempotency_key}),
                               MessageFromRow));
      if (seen.has_value()) {
        out.existing = true;
        out.message = *seen;
        SALESOS_ASSIGN_OR_RETURN(
            auto conversation,
            AtMostOne(tx.Query(Select(kConversationColumns, "conversations",
                                      "workspace_id = $1 AND id = $2"),
                               {in.workspace_id, seen->conversation_id}),
                      ConversationFromRow));
        if (conversation.has_value()) {
          out.conversation = *conversation;
        }
        return OkStatus();
      }
    }
    // The conversation an inbound message of this contact would join (FindOrOpenConversation),
    // so the customer's answer lands in the conversation of the send.
    InboundMessage where;
    where.workspace_id = in.workspace_id;
    where.platform = in.platform;
    where.integration_id = in.integration_id;
    where.campaign_id = in.campaign_id;
    where.now = FormatRfc3339Millis(in.now_ms);
    ContactRecord contact;
    contact.id = in.contact_id;
    SALESOS_ASSIGN_OR_RETURN(out.conversation,
                             FindOrOpenConversation(tx, where, contact, out.conversation_started,
                                                    ForUpdate()));
    MessageRecord m = in.message;
    m.id = NewUuidV7();
    m.workspace_id = in.workspace_id;
    m.conversation_id = out.conversation.id;
    m.delivery_status = "pending";
    m.platform_timestamp_ms = in.now_ms;
    m.next_attempt_ms = in.now_ms;
    m.send_attempts = 1;
    m.created_at = where.now;
    SALESOS_RETURN_IF_ERROR(InsertMessage(tx, m));
    SALESOS_RETURN_IF_ERROR(tx.Exec("UPDATE messages SET send_lease_until_ms = $3 WHERE "
                                    "workspace_id = $1 AND id = $2",
                                    {m.workspace_id, m.id, in.now_ms + in.lease_ms})
                                .status());
    out.message = m;
    auto& c = out.conversation;
    c.last_message_at = where.now;
    c.updated_at = where.now;
    SALESOS_RETURN_IF_ERROR(WriteConversation(tx, c));
    return SyncContact(tx, c);
  });
  if (!st.ok()) {
    return st;
  }
  return out;
}

Result<std::optional<MessageRecord>> ConversationStore::GetMessageByIdempotencyKey(
    const std::string& workspace_id, const std::string& key) {
  return AtMostOne(db_.Query(Select(kMessageColumns, "messages",
                                    "workspace_id = $1 AND idempotency_key = $2"),
                             {workspace_id, key}),
                   MessageFromRow);
}

Result<int64_t> ConversationStore::ContactWindowExpiresMs(const std::string& workspace_id,
                                                          const std::string& contact_id,
                                                          const std::string& platform) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT MAX(last_customer_message_ms) FROM conversations WHERE "
                           "workspace_id = $1 AND contact_id = $2 AND platform = $3",
                           {workspace_id, contact_id, platform}));
  const int64_t last = rows.empty() ? 0 : rows.front().GetInt(0);
  return last > 0 ? last + kMessagingWindow : int64_t{0};
}

Result<std::optional<MessageRecord>> ConversationStore::LatestBusinessMessage(
    const std::string& workspace_id, const std::string& conversation_id, int64_t since_ms) {
  return AtMostOne(
      db_.Query(Select(kMessageColumns, "messages",
                       "workspace_id = $1 AND conversation_id = $2 AND sender IN ('ai', 'agent', "
                       "'system') AND platform_timestamp_ms >= $3 ORDER BY platform_timestamp_ms "
                       "DESC, id DESC LIMIT 1"),
                {workspace_id, conversation_id, since_ms}),
      MessageFromRow);
}

Result<std::optional<ContactRecord>> ConversationStore::GetContact(const std::string& workspace_id,
                                                                   const std::string& id) {
  return AtMostOne(db_.Query(Select(kContactColumns, "contacts", "workspace_id = $1 AND id = $2"),
                             {workspace_id, id}),
                   ContactFromRow);
}

Result<std::optional<ConversationRecord>> ConversationStore::GetConversation(
    const std::string& workspace_id, const std::string& id) {
  return AtMostOne(
      db_.Query(Select(kConversationColumns, "conversations", "workspace_id = $1 AND id = $2"),
                {workspace_id, id}),
      ConversationFromRow);
}

Result<bool> ConversationStore::HasOpenConversation(const std::string& workspace_id,
                                                    const std::string& platform,
                                                    const std::string& platform_user_id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT 1 FROM conversations v JOIN contacts k ON k.id = v.contact_id "
                           "WHERE k.workspace_id = $1 AND k." + PlatformIdColumn(platform) +
                               " = $3 AND v.workspace_id = $1 AND v.platform = $2 AND v." +
                               std::string(kOpen) + " LIMIT 1",
                           {workspace_id, platform, platform_user_id}));
  return !rows.empty();
}

Result<bool> ConversationStore::HasOtherOpen(const std::string& workspace_id,
                                             const std::string& conversation_id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT 1 FROM conversations o JOIN conversations c ON c.workspace_id = "
                "o.workspace_id AND c.contact_id = o.contact_id AND c.platform = o.platform WHERE "
                "c.workspace_id = $1 AND c.id = $2 AND o.id <> c.id AND o.status IN ('active', "
                "'qualified') LIMIT 1",
                {workspace_id, conversation_id}));
  return !rows.empty();
}

Result<std::vector<ConversationRecord>> ConversationStore::ListConversations(
    const std::string& workspace_id, const ConversationFilter& f, const std::string& after_id,
    int64_t limit) {
  // An empty filter value matches everything; the cursor is the (last_message_at, id) of the
  // previous page's last conversation, looked up again in this workspace.
  // The query is a LIKE pattern with its wildcards escaped, matched case-insensitively (LOWER on
  // both sides: SQLite's LIKE ignores ASCII case only, PostgreSQL's none).
  std::string pattern;
  for (char ch : f.query) {
    if (ch == '%' || ch == '_' || ch == '\\') {
      pattern += '\\';
    }
    pattern += ch;
  }
  pattern = "%" + pattern + "%";
  std::string where =
      "workspace_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR handler = $3) AND "
      "($4 = '' OR campaign_id = $4) AND ($5 = '' OR platform = $5) AND ($6 = '' OR "
      "last_message_at < (SELECT p.last_message_at FROM conversations p WHERE p.workspace_id = $1 "
      "AND p.id = $6) OR (last_message_at = (SELECT p.last_message_at FROM conversations p WHERE "
      "p.workspace_id = $1 AND p.id = $6) AND id < $6)) AND "
      "($8 = '' OR ($8 = 'none' AND assigned_agent_id = '') OR assigned_agent_id = $8) AND "
      "($9 = '%%' OR EXISTS (SELECT 1 FROM contacts k WHERE k.workspace_id = $1 AND "
      "k.id = conversations.contact_id AND (LOWER(k.full_name) LIKE LOWER($9) ESCAPE '\\' OR "
      "LOWER(k.platform_user_id) LIKE LOWER($9) ESCAPE '\\')) OR EXISTS (SELECT 1 FROM messages "
      "g WHERE g.workspace_id = $1 AND g.conversation_id = conversations.id AND "
      "LOWER(g.content) LIKE LOWER($9) ESCAPE '\\')) "
      "ORDER BY last_message_at DESC, id DESC LIMIT $7";
  return All(db_.Query(Select(kConversationColumns, "conversations", where),
                       {workspace_id, f.status, f.handler, f.campaign_id, f.platform, after_id,
                        limit, f.assigned_to, pattern}),
             ConversationFromRow);
}

Result<std::vector<MessageRecord>> ConversationStore::MessagesBefore(
    const std::string& workspace_id, const std::string& conversation_id,
    const std::string& before_id, int64_t limit) {
  // The cursor message's (platform time, id), looked up again in this conversation; a cursor of
  // another conversation matches nothing.
  SALESOS_ASSIGN_OR_RETURN(
      auto newest_first,
      All(db_.Query(
              Select(kMessageColumns, "messages",
                     "workspace_id = $1 AND conversation_id = $2 AND ($3 = '' OR EXISTS (SELECT 1 "
                     "FROM messages b WHERE b.workspace_id = $1 AND b.conversation_id = $2 AND "
                     "b.id = $3 AND (messages.platform_timestamp_ms < b.platform_timestamp_ms OR "
                     "(messages.platform_timestamp_ms = b.platform_timestamp_ms AND messages.id < "
                     "b.id)))) ORDER BY platform_timestamp_ms DESC, id DESC LIMIT $4"),
              {workspace_id, conversation_id, before_id, limit}),
          MessageFromRow));
  std::reverse(newest_first.begin(), newest_first.end());
  return newest_first;
}

Result<std::vector<MessageRecord>> ConversationStore::LatestMessages(
    const std::string& workspace_id, const std::string& conversation_id, int64_t limit) {
  return MessagesBefore(workspace_id, conversation_id, "", limit);
}

Result<std::optional<MessageRecord>> ConversationStore::GetMessage(const std::string& workspace_id,
                                                                   const std::string& id) {
  return AtMostOne(db_.Query(Select(kMessageColumns, "messages", "workspace_id = $1 AND id = $2"),
                             {workspace_id, id}),
                   MessageFromRow);
}

Result<std::optional<MessageRecord>> ConversationStore::GetMessageByPlatformId(
    const std::string& workspace_id, const std::string& platform_message_id) {
  return AtMostOne(db_.Query(Select(kMessageColumns, "messages",
                                    "workspace_id = $1 AND platform_message_id = $2"),
                             {workspace_id, platform_message_id}),
                   MessageFromRow);
}

std::string ConversationStore::ForUpdate() const {
  return db_.Engine() == "postgresql" ? " FOR UPDATE" : "";
}

Result<Change> ConversationStore::Mutate(const std::string& workspace_id,
                                         const std::string& conversation_id, const Mutation& fn) {
  Change change;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        auto current, AtMostOne(tx.Query(Select(kConversationColumns, "conversations",
                                                "workspace_id = $1 AND id = $2" + ForUpdate()),
                                         {workspace_id, conversation_id}),
                                ConversationFromRow));
    if (!current.has_value()) {
      return NotFound("conversation not found");
    }
    change.before = *current;
    change.after = *current;
    std::vector<MessageRecord> add;
    SALESOS_RETURN_IF_ERROR(fn(change.after, add));
    change.after.id = change.before.id;  // the keys are not fn's to change
    change.after.workspace_id = change.before.workspace_id;
    for (auto& m : add) {
      if (m.id.empty()) {
        m.id = NewUuidV7();
      }
      m.workspace_id = workspace_id;
      m.conversation_id = conversation_id;
      if (m.created_at.empty()) {
        m.created_at = change.after.updated_at;
      }
      SALESOS_RETURN_IF_ERROR(InsertMessage(tx, m));
    }
    change.added = std::move(add);
    SALESOS_RETURN_IF_ERROR(WriteConversation(tx, change.after));
    SALESOS_RETURN_IF_ERROR(SyncContact(tx, change.after));
    const auto& after = change.after;
    if (change.before.converted_at.empty() && !after.converted_at.empty()) {
      // A sale: the contact's stats, in the currency's major unit.
      auto n = tx.Exec(
          "UPDATE contacts SET total_spent = total_spent + $3, orders_count = orders_count + 1, "
          "last_order_ms = $4 WHERE workspace_id = $1 AND id = $2",
          {after.workspace_id, after.contact_id,
           MinorToMajor(after.order_value_minor, after.currency),
           ParseRfc3339Millis(after.converted_at).value_or(NowUnixMillis())});
      if (!n.ok()) {
        return n.status();
      }
    }
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return change;
}

Result<std::vector<DueTurn>> ConversationStore::DueAiTurns(int64_t now_ms, int64_t limit,
                                                        const std::string& after_workspace) {
  // One turn of each workspace first (pass 0, round-robin from the cursor), then the oldest
  // overall (pass 1). The workspaces with turns pending are listed by a loose index scan of
  // conversations_ai_due_by_workspace (one index step each) and each one's oldest due turn is one
  // descent of it, so a workspace with a huge backlog costs a claim no more than one with a
  // single turn.
  auto pending = [](std::string_view alias) { return WithAlias(kAiTurnPending, alias); };
  const std::string due_now = " AND c.ai_due_ms <= $1 AND c.ai_lease_until_ms < $1";
  const std::string by_workspace = IndexedBy(db_, "conversations_ai_due_by_workspace");
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(
          "WITH RECURSIVE ws(id) AS (SELECT (SELECT w.workspace_id FROM conversations w" +
              by_workspace + " WHERE " + pending("w") +
              " ORDER BY w.workspace_id, w.ai_due_ms LIMIT 1) UNION ALL SELECT (SELECT "
              "w.workspace_id FROM conversations w" +
              by_workspace + " WHERE " + pending("w") +
              " AND w.workspace_id > ws.id ORDER BY w.workspace_id, w.ai_due_ms LIMIT 1) FROM ws "
              "WHERE ws.id IS NOT NULL), firsts(id) AS (SELECT (SELECT c.id FROM conversations c" +
              by_workspace + " WHERE " + WithAlias(kThisWorkspace, "c") + " AND " +
              pending("c") + due_now +
              " ORDER BY c.workspace_id, c.ai_due_ms, c.id LIMIT 1) FROM ws WHERE ws.id IS NOT "
              "NULL), "
              "oldest(id) AS (SELECT c.id FROM conversations c" +
              IndexedBy(db_, "conversations_ai_due") + " WHERE " +
              WithAlias(kAiTurnPendingFilter, "c") + due_now +
              " ORDER BY c.ai_due_ms LIMIT $2), picked(id, pass) AS (SELECT id, 0 FROM firsts "
              "WHERE id IS NOT NULL UNION ALL SELECT id, 1 FROM oldest) SELECT c.workspace_id, "
              "c.id, c.ai_due_ms, c.ai_traceparent, s.pass FROM (SELECT id, MIN(pass) AS pass "
              "FROM picked GROUP BY id) s JOIN conversations c ON c.id = s.id ORDER BY " +
              WithAlias(kRoundRobinOrder, "c") + ", c.ai_due_ms, c.id LIMIT $2",
          {now_ms, limit, after_workspace}));
  std::vector<DueTurn> out;
  for (const auto& r : rows) {
    out.push_back({r.GetText(0), r.GetText(1), r.GetInt(2), r.GetText(3), r.GetInt(4) == 0});
  }
  return out;
}

Result<int64_t> ConversationStore::NextAiTurnMs() {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT MIN(CASE WHEN ai_lease_until_ms > ai_due_ms THEN "
                           "ai_lease_until_ms ELSE ai_due_ms END) FROM conversations WHERE "
                           "ai_due_ms > 0 AND handler = 'ai'"));
  return rows.empty() ? int64_t{0} : rows.front().GetInt(0);
}

Result<bool> ConversationStore::ClaimAiTurn(const DueTurn& turn, int64_t now_ms, int64_t lease_ms) {
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n,
      db_.Exec("UPDATE conversations SET ai_lease_until_ms = $4 WHERE workspace_id = $1 "
               "AND id = $2 AND ai_due_ms = $3 AND ai_lease_until_ms < $5 AND "
               "handler = 'ai'",
               {turn.workspace_id, turn.conversation_id, turn.due_ms, now_ms + lease_ms, now_ms}));
  return n == 1;
}

Status ConversationStore::RetryAiTurn(const DueTurn& turn, int64_t next_due_ms) {
  auto n = db_.Exec(
      "UPDATE conversations SET ai_due_ms = (CASE WHEN ai_due_ms = $3 THEN $4 ELSE ai_due_ms END), "
      "ai_attempts = ai_attempts + (CASE WHEN ai_due_ms = $3 THEN 1 ELSE 0 END), "
      "ai_lease_until_ms = 0 WHERE workspace_id = $1 AND id = $2",
      {turn.workspace_id, turn.conversation_id, turn.due_ms, next_due_ms});
  return n.ok() ? OkStatus() : n.status();
}

Result<std::vector<OutboxItem>> ConversationStore::DueSends(int64_t now_ms, int64_t limit,
                                                         const std::string& after_workspace) {
  std::string columns;
  for (std::string_view rest = kMessageColumns; !rest.empty();) {
    size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    while (!name.empty() && name.front() == ' ') {
      name.remove_prefix(1);
    }
    columns += (columns.empty() ? "m." : ", m.") + std::string(name);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  // As DueAiTurns: one message of each workspace first (pass 0, round-robin from the cursor),
  // then the oldest overall (pass 1), the workspaces listed by a loose index scan of
  // messages_outbox_by_workspace. Due: pending, not leased, and the oldest pending message of its
  // conversation.
  auto pending = [](std::string_view alias) { return WithAlias(kSendPending, alias); };
  // `m_pending`: the partial index's predicate word for word (the ws and firsts parts use that
  // index) or kSendPendingFilter (the oldest part, which must not).
  auto due = [this](const std::string& m_pending) {
    return m_pending +
           " AND m.next_attempt_ms <= $1 AND m.send_lease_until_ms < $1 AND NOT EXISTS (SELECT 1 "
           "FROM messages p" +
           IndexedBy(db_, "messages_by_time") +
           " WHERE p.workspace_id = m.workspace_id AND p.conversation_id = m.conversation_id "
           "AND " +
           WithAlias(kSendPendingFilter, "p") +
           " AND (p.platform_timestamp_ms < m.platform_timestamp_ms OR (p.platform_timestamp_ms "
           "= m.platform_timestamp_ms AND p.id < m.id)))";
  };
  const std::string by_workspace = IndexedBy(db_, "messages_outbox_by_workspace");
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(
          "WITH RECURSIVE ws(id) AS (SELECT (SELECT w.workspace_id FROM messages w" +
              by_workspace + " WHERE " + pending("w") +
              " ORDER BY w.workspace_id, w.next_attempt_ms LIMIT 1) UNION ALL SELECT (SELECT "
              "w.workspace_id FROM messages w" +
              by_workspace + " WHERE " + pending("w") +
              " AND w.workspace_id > ws.id ORDER BY w.workspace_id, w.next_attempt_ms LIMIT 1) "
              "FROM ws WHERE ws.id "
              "IS NOT NULL), firsts(id) AS (SELECT (SELECT m.id FROM messages m" +
              by_workspace + " WHERE " + WithAlias(kThisWorkspace, "m") + " AND " +
              due(pending("m")) +
              " ORDER BY m.workspace_id, m.next_attempt_ms, m.id LIMIT 1) FROM ws WHERE ws.id IS "
              "NOT NULL), "
              "oldest(id) AS (SELECT m.id FROM messages m" +
              IndexedBy(db_, "messages_outbox") + " WHERE " +
              due(WithAlias(kSendPendingFilter, "m")) +
              " ORDER BY m.next_attempt_ms LIMIT $2), picked(id, pass) AS (SELECT id, 0 FROM "
              "firsts WHERE id IS NOT NULL UNION ALL SELECT id, 1 FROM oldest) SELECT " +
              columns + ", v.platform, v.integration_id, " + std::string(kRecipientId) +
              ", s.pass FROM (SELECT id, MIN(pass) AS pass FROM picked GROUP BY id) s JOIN "
              "messages m ON m.id = s.id JOIN conversations v ON v.id = m.conversation_id JOIN "
              "contacts k ON k.id = v.contact_id ORDER BY " +
              WithAlias(kRoundRobinOrder, "m") + ", m.next_attempt_ms, m.id LIMIT $2",
          {now_ms, limit, after_workspace}));
  std::vector<OutboxItem> out;
  for (const auto& r : rows) {
    OutboxItem item;
    item.message = MessageFromRow(r);
    item.platform = r.GetText(19);
    item.integration_id = r.GetText(20);
    item.recipient_id = r.GetText(21);
    item.workspace_turn = r.GetInt(22) == 0;
    out.push_back(std::move(item));
  }
  return out;
}

Result<int64_t> ConversationStore::NextSendMs() {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT MIN(CASE WHEN send_lease_until_ms > next_attempt_ms THEN "
                           "send_lease_until_ms ELSE next_attempt_ms END) FROM messages WHERE "
                           "delivery_status = 'pending' AND idempotency_key IS NULL"));
  return rows.empty() ? int64_t{0} : rows.front().GetInt(0);
}

Result<bool> ConversationStore::ClaimSend(const std::string& workspace_id,
                                          const std::string& message_id, int64_t now_ms,
                                          int64_t lease_ms) {
  SALESOS_ASSIGN_OR_RETURN(int64_t n,
                           db_.Exec("UPDATE messages SET send_lease_until_ms = $3, send_attempts = "
                                    "send_attempts + 1 WHERE workspace_id = $1 AND id = $2 AND "
                                    "delivery_status = 'pending' AND send_lease_until_ms < $4",
                                    {workspace_id, message_id, now_ms + lease_ms, now_ms}));
  return n == 1;
}

Result<MessageRecord> ConversationStore::FinishSend(const std::string& workspace_id,
                                                    const std::string& message_id,
                                                    const SendOutcome& outcome) {
  Result<int64_t> n = int64_t{0};
  switch (outcome.kind) {
    case SendOutcome::Kind::kSent:
      n = db_.Exec(
          "UPDATE messages SET delivery_status = 'sent', platform_message_id = $3, error = '', "
          "send_lease_until_ms = 0 WHERE workspace_id = $1 AND id = $2 AND delivery_status = "
          "'pending'",
          {workspace_id, message_id, TextOrNull(outcome.platform_message_id)});
      break;
    case SendOutcome::Kind::kRetry:
      n = db_.Exec(
          "UPDATE messages SET next_attempt_ms = $3, error = $4, send_lease_until_ms = 0 WHERE "
          "workspace_id = $1 AND id = $2 AND delivery_status = 'pending'",
          {workspace_id, message_id, outcome.next_attempt_ms, outcome.error});
      break;
    case SendOutcome::Kind::kFailed:
      n = db_.Exec(
          "UPDATE messages SET delivery_status = 'failed', error = $3, send_lease_until_ms = 0 "
          "WHERE workspace_id = $1 AND id = $2 AND delivery_status = 'pending'",
          {workspace_id, message_id, outcome.error});
      break;
  }
  if (!n.ok()) {
    return n.status();
  }
  SALESOS_ASSIGN_OR_RETURN(auto message, GetMessage(workspace_id, message_id));
  if (!message.has_value()) {
    return NotFound("message not found");
  }
  return *message;
}

}  // namespace salesos::conversation
