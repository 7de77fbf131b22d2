#include "conversation_store.h"

#include <algorithm>
#include <utility>

#include "salesos/core/ids.h"

namespace salesos::conversation {
namespace {

constexpr std::string_view kContactColumns =
    "id, workspace_id, platform, platform_user_id, first_name, last_name, full_name, email, phone, "
    "created_at";
constexpr std::string_view kConversationColumns =
    "id, workspace_id, contact_id, campaign_id, platform, integration_id, status, handler, "
    "assigned_agent_id, lead_score, unread_count, last_message_at, created_at, updated_at";
constexpr std::string_view kMessageColumns =
    "id, workspace_id, conversation_id, sender, content, type, attachments, platform_message_id, "
    "delivery_status, error, platform_timestamp_ms, created_at";

// The open statuses: a new message joins such a conversation instead of opening another.
constexpr std::string_view kOpen = "status IN ('active', 'qualified')";

// delivery_status as a rank, in SQL, so "forward only" is one UPDATE.
constexpr std::string_view kRank =
    "(CASE delivery_status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 "
    "WHEN 'failed' THEN 4 ELSE 0 END)";

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

// "Ada Lovelace" → first "Ada", last "Lovelace"; one word is a first name.
std::pair<std::string, std::string> SplitName(const std::string& full) {
  size_t space = full.find(' ');
  if (space == std::string::npos) {
    return {full, ""};
  }
  return {full.substr(0, space), full.substr(space + 1)};
}

Result<ContactRecord> UpsertContact(store::Executor& tx, const InboundMessage& in, bool& created) {
  SALESOS_ASSIGN_OR_RETURN(
      auto existing,
      AtMostOne(tx.Query(Select(kContactColumns, "contacts",
                                "workspace_id = $1 AND platform = $2 AND platform_user_id = $3"),
                         {in.workspace_id, in.platform, in.platform_user_id}),
                ContactFromRow));
  if (existing.has_value()) {
    if (!in.contact_name.empty() && existing->full_name != in.contact_name) {
      auto [first, last] = SplitName(in.contact_name);
      auto n = tx.Exec(
          "UPDATE contacts SET full_name = $3, first_name = $4, last_name = $5 "
          "WHERE workspace_id = $1 AND id = $2",
          {in.workspace_id, existing->id, in.contact_name, first, last});
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
  SALESOS_RETURN_IF_ERROR(
      Insert(tx, "contacts", kContactColumns,
             {c.id, c.workspace_id, c.platform, c.platform_user_id, c.first_name, c.last_name,
              c.full_name, c.email, c.phone, c.created_at}));
  created = true;
  return c;
}

Result<ConversationRecord> FindOrOpenConversation(store::Executor& tx, const InboundMessage& in,
                                                  const ContactRecord& contact, bool& started) {
  SALESOS_ASSIGN_OR_RETURN(
      auto open,
      AtMostOne(
          tx.Query(Select(kConversationColumns, "conversations",
                          "workspace_id = $1 AND contact_id = $2 AND platform = $3 AND " +
                              std::string(kOpen) + " ORDER BY created_at DESC, id DESC LIMIT 1"),
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
  SALESOS_RETURN_IF_ERROR(
      Insert(tx, "conversations", kConversationColumns,
             {c.id, c.workspace_id, c.contact_id, c.campaign_id, c.platform, c.integration_id,
              c.status, c.handler, c.assigned_agent_id, c.lead_score, c.unread_count,
              c.last_message_at, c.created_at, c.updated_at}));
  started = true;
  return c;
}

}  // namespace

Result<InboundOutcome> ConversationStore::AppendInbound(const InboundMessage& in) {
  InboundOutcome out;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
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
                             FindOrOpenConversation(tx, in, out.contact, out.conversation_started));
    MessageRecord m = in.message;
    m.id = NewUuidV7();
    m.workspace_id = in.workspace_id;
    m.conversation_id = out.conversation.id;
    m.created_at = in.now;
    SALESOS_RETURN_IF_ERROR(
        Insert(tx, "messages", kMessageColumns,
               {m.id, m.workspace_id, m.conversation_id, m.sender, m.content, m.type, m.attachments,
                TextOrNull(m.platform_message_id), m.delivery_status, m.error,
                m.platform_timestamp_ms, m.created_at}));
    out.message = m;
    // A business message from Meta's own inbox (an echo) means a person answered there.
    const bool customer = m.sender == "customer";
    const int64_t unread = customer ? 1 : 0;
    const std::string handler = customer ? out.conversation.handler : "agent";
    auto n = tx.Exec(
        "UPDATE conversations SET unread_count = unread_count + $3, last_message_at = $4, "
        "updated_at = $4, handler = $5 WHERE workspace_id = $1 AND id = $2",
        {in.workspace_id, out.conversation.id, unread, in.now, handler});
    if (!n.ok()) {
      return n.status();
    }
    out.conversation.unread_count += unread;
    out.conversation.last_message_at = in.now;
    out.conversation.updated_at = in.now;
    out.conversation.handler = handler;
    return OkStatus();
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
                                                       const std::string& status) {
  if (Rank(status) == 0 || status == "failed") {
    return int64_t{0};
  }
  return db_.Exec(
      "UPDATE messages SET delivery_status = $5 WHERE workspace_id = $1 AND sender IN ('ai', "
      "'agent') AND platform_timestamp_ms <= $4 AND " +
          std::string(kRank) +
          " < $6 AND "
          "conversation_id IN (SELECT v.id FROM conversations v JOIN contacts c ON c.id = "
          "v.contact_id "
          "WHERE v.workspace_id = $1 AND c.workspace_id = $1 AND c.platform = $2 AND "
          "c.platform_user_id = $3)",
      {workspace_id, platform, platform_user_id, watermark_ms, status, Rank(status)});
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

Result<std::vector<ConversationRecord>> ConversationStore::ListConversations(
    const std::string& workspace_id, const ConversationFilter& f, const std::string& after_id,
    int64_t limit) {
  // An empty filter value matches everything; the cursor is the (last_message_at, id) of the
  // previous page's last conversation, looked up again in this workspace.
  std::string where =
      "workspace_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR handler = $3) AND "
      "($4 = '' OR campaign_id = $4) AND ($5 = '' OR platform = $5) AND ($6 = '' OR "
      "last_message_at < (SELECT p.last_message_at FROM conversations p WHERE p.workspace_id = $1 "
      "AND p.id = $6) OR (last_message_at = (SELECT p.last_message_at FROM conversations p WHERE "
      "p.workspace_id = $1 AND p.id = $6) AND id < $6)) "
      "ORDER BY last_message_at DESC, id DESC LIMIT $7";
  return All(
      db_.Query(Select(kConversationColumns, "conversations", where),
                {workspace_id, f.status, f.handler, f.campaign_id, f.platform, after_id, limit}),
      ConversationFromRow);
}

Result<std::vector<MessageRecord>> ConversationStore::ListMessages(
    const std::string& workspace_id, const std::string& conversation_id,
    const std::string& after_id, int64_t limit) {
  return All(db_.Query(Select(kMessageColumns, "messages",
                              "workspace_id = $1 AND conversation_id = $2 AND id > $3 "
                              "ORDER BY id LIMIT $4"),
                       {workspace_id, conversation_id, after_id, limit}),
             MessageFromRow);
}

Result<std::vector<MessageRecord>> ConversationStore::LatestMessages(
    const std::string& workspace_id, const std::string& conversation_id, int64_t limit) {
  SALESOS_ASSIGN_OR_RETURN(
      auto newest_first,
      All(db_.Query(Select(kMessageColumns, "messages",
                           "workspace_id = $1 AND conversation_id = $2 ORDER BY id DESC LIMIT $3"),
                    {workspace_id, conversation_id, limit}),
          MessageFromRow));
  std::reverse(newest_first.begin(), newest_first.end());
  return newest_first;
}

}  // namespace salesos::conversation
