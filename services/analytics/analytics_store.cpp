#include "analytics_store.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "reply_timeline.h"
#include "report.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/crypto/encoding.h"

namespace salesos::analytics {
namespace {

using Kind = Fact::Kind;
using store::Executor;
using store::Params;

// The rollups upsert: every counter added to what the row holds.
const std::string& UpsertRollupSql() {
  static const std::string sql = [] {
    std::string columns, values, updates;
    for (int i = 0; i < kCounterCount; ++i) {
      const std::string c = kCounterColumns[i];
      columns += ", " + c;
      values += ", $" + std::to_string(i + 5);
      updates += std::string(i ? ", " : "") + c + " = rollups." + c + " + excluded." + c;
    }
    return "INSERT INTO rollups (workspace_id, hour, campaign_id, platform" + columns +
           ") VALUES ($1, $2, $3, $4" + values +
           ") ON CONFLICT (workspace_id, hour, campaign_id, platform) DO UPDATE SET " + updates;
  }();
  return sql;
}

// What analytics keeps of a conversation (the conversations table).
struct Conversation {
  std::string workspace_id;
  std::string id;
  std::string campaign_id;
  std::string platform;
  int64_t started_hour = 0;
  std::string status;
  int64_t status_ms = 0;
  std::string status_event_id;
  int64_t customer_messages = 0;
  // The funnel flags, each counted once, at the start hour, by its cohort counter.
  bool engaged = false, lead = false, qualified = false, converted = false, replied = false,
       handed_off = false;
};

constexpr char kConversationColumns[] =
    "workspace_id, conversation_id, campaign_id, platform, started_hour, status, status_ms, "
    "status_event_id, customer_messages, engaged, lead, qualified, converted, replied, handed_off";

Conversation ConversationFrom(const store::Row& r) {
  Conversation c;
  c.workspace_id = r.GetText(0);
  c.id = r.GetText(1);
  c.campaign_id = r.GetText(2);
  c.platform = r.GetText(3);
  c.started_hour = r.GetInt(4);
  c.status = r.GetText(5);
  c.status_ms = r.GetInt(6);
  c.status_event_id = r.GetText(7);
  c.customer_messages = r.GetInt(8);
  c.engaged = r.GetBool(9);
  c.lead = r.GetBool(10);
  c.qualified = r.GetBool(11);
  c.converted = r.GetBool(12);
  c.replied = r.GetBool(13);
  c.handed_off = r.GetBool(14);
  return c;
}

Params ConversationParams(const Conversation& c) {
  auto b = [](bool v) { return store::Value{int64_t{v ? 1 : 0}}; };
  return {c.workspace_id, c.id,           c.campaign_id,     c.platform,          c.started_hour,
          c.status,       c.status_ms,    c.status_event_id, c.customer_messages, b(c.engaged),
          b(c.lead),      b(c.qualified), b(c.converted),    b(c.replied),        b(c.handed_off)};
}

// One fold's changes, gathered and written at the end of its transaction.
class Folder {
 public:
  explicit Folder(Executor& tx) : tx_(tx) {}

  Status Apply(const Fact& f) {
    switch (f.kind) {
      case Kind::kConversationStarted:
        return Started(f);
      case Kind::kCampaignChanged:
        return CampaignChanged(f);
      case Kind::kIgnored:
        return OkStatus();
      default:
        break;
    }
    SALESOS_ASSIGN_OR_RETURN(Conversation * c, Find(f.workspace_id, f.conversation_id));
    if (c == nullptr) {
      return Defer(f);
    }
    return OnConversation(*c, f);
  }

  Status Flush() {
    for (const auto& [key, counters] : deltas_) {
      if (counters.Zero()) {
        continue;
      }
      Params p{workspace_id_, key.hour, key.campaign_id, key.platform};
      for (int64_t v : counters.v) {
        p.emplace_back(v);
      }
      SALESOS_RETURN_IF_ERROR(tx_.Exec(UpsertRollupSql(), p).status());
    }
    for (const auto& [slot, money] : revenue_) {
      const auto& [key, currency] = slot;
      SALESOS_RETURN_IF_ERROR(
          tx_.Exec("INSERT INTO revenue_rollups (workspace_id, hour, campaign_id, platform, "
                   "currency, amount_minor, orders) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                   "ON CONFLICT (workspace_id, hour, campaign_id, platform, currency) DO UPDATE "
                   "SET amount_minor = revenue_rollups.amount_minor + excluded.amount_minor, "
                   "orders = revenue_rollups.orders + excluded.orders",
                   {workspace_id_, key.hour, key.campaign_id, key.platform, currency,
                    money.amount_minor, money.orders})
              .status());
    }
    for (const auto& [id, c] : conversations_) {
      if (!c.has_value()) {
        continue;
      }
      Params p = ConversationParams(*c);
      p.erase(p.begin() + 2, p.begin() + 5);  // campaign, platform and start never change
      SALESOS_RETURN_IF_ERROR(
          tx_.Exec("UPDATE conversations SET status = $3, status_ms = $4, status_event_id = $5, "
                   "customer_messages = $6, engaged = $7, lead = $8, qualified = $9, "
                   "converted = $10, replied = $11, handed_off = $12 "
                   "WHERE workspace_id = $1 AND conversation_id = $2",
                   p)
              .status());
    }
    return OkStatus();
  }

  std::set<std::string> ChangedMetrics() const {
    std::set<std::string> out = extra_metrics_;
    for (const auto& [key, counters] : deltas_) {
      for (int i = 0; i < kCounterCount; ++i) {
        if (counters.v[i] != 0) {
          for (auto& m : MetricsOf(static_cast<Counter>(i))) {
            out.insert(std::move(m));
          }
        }
      }
    }
    return out;
  }

 private:
  void Add(const RollupKey& key, Counter counter, int64_t n) { deltas_[key][counter] += n; }
  RollupKey EventKey(const Conversation& c, int64_t at_ms) const {
    return {HourOf(at_ms), c.campaign_id, c.platform};
  }
  RollupKey CohortKey(const Conversation& c) const {
    return {c.started_hour, c.campaign_id, c.platform};
  }
  // Sets a funnel flag once, counting it at the conversation's start hour.
  void Flag(Conversation& c, bool Conversation::*flag, Counter counter) {
    if (!(c.*flag)) {
      c.*flag = true;
      Add(CohortKey(c), counter, 1);
    }
  }
  // Each funnel step counts the conversations that reached it or a later one.
  void Qualify(Conversation& c) {
    Flag(c, &Conversation::qualified, kQualified);
    Flag(c, &Conversation::lead, kLeads);
    Flag(c, &Conversation::engaged, kEngaged);
  }
  // The latest status by (time, event id) wins, whatever order the changes arrive in.
  void SetStatus(Conversation& c, const std::string& status, const Fact& f) {
    if (std::tie(f.at_ms, f.event_id) > std::tie(c.status_ms, c.status_event_id)) {
      if (status != c.status) {
        extra_metrics_.insert("activeConversations");
      }
      c.status = status;
      c.status_ms = f.at_ms;
      c.status_event_id = f.event_id;
    }
  }

  Result<Conversation*> Find(const std::string& workspace_id, const std::string& id) {
    workspace_id_ = workspace_id;
    auto it = conversations_.find(id);
    if (it == conversations_.end()) {
      SALESOS_ASSIGN_OR_RETURN(
          auto rows,
          tx_.Query(std::string("SELECT ") + kConversationColumns +
                        " FROM conversations WHERE workspace_id = $1 AND conversation_id = $2",
                    {workspace_id, id}));
      std::optional<Conversation> c;
      if (!rows.empty()) {
        c = ConversationFrom(rows.front());
      }
      it = conversations_.emplace(id, std::move(c)).first;
    }
    return it->second.has_value() ? &*it->second : nullptr;
  }

  Status Defer(const Fact& f) {
    return tx_
        .Exec(
            "INSERT INTO deferred_events (workspace_id, conversation_id, event_id, at_ms, "
            "envelope) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            {f.workspace_id, f.conversation_id, f.event_id, f.at_ms,
             crypto::Base64Encode(f.envelope)})
        .status();
  }

  Status Started(const Fact& f) {
    SALESOS_ASSIGN_OR_RETURN(Conversation * existing, Find(f.workspace_id, f.conversation_id));
    if (existing != nullptr) {
      return OkStatus();  // a second start of the same conversation changes nothing
    }
    Conversation c;
    c.workspace_id = f.workspace_id;
    c.id = f.conversation_id;
    c.campaign_id = f.campaign_id;
    c.platform = f.platform;
    c.started_hour = HourOf(f.at_ms);
    c.status = "active";
    c.status_ms = f.at_ms;
    c.status_event_id = f.event_id;
    SALESOS_RETURN_IF_ERROR(tx_.Exec(std::string("INSERT INTO conversations (") +
                                         kConversationColumns +
                                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                                         "$11, $12, $13, $14, $15)",
                                     ConversationParams(c))
                                .status());
    extra_metrics_.insert("activeConversations");
    Add(CohortKey(c), kConversationsStarted, 1);
    const std::string id = c.id;
    conversations_[id] = std::move(c);
    Conversation& kept = *conversations_[id];
    // What arrived before the start, in time order.
    SALESOS_ASSIGN_OR_RETURN(auto rows,
                             tx_.Query("SELECT envelope, event_id, at_ms FROM deferred_events "
                                       "WHERE workspace_id = $1 AND conversation_id = $2",
                                       {f.workspace_id, f.conversation_id}));
    std::vector<Fact> waiting;
    for (const auto& r : rows) {
      auto bytes = crypto::Base64Decode(r.GetText(0));
      auto fact = bytes.ok() ? DecodeEnvelope(*bytes) : Result<Fact>(bytes.status());
      if (!fact.ok()) {
        log::Warn("deferred event dropped",
                  {{"eventId", r.GetText(1)}, {"error", fact.status().message()}});
        continue;
      }
      waiting.push_back(std::move(*fact));
    }
    std::sort(waiting.begin(), waiting.end(), [](const Fact& a, const Fact& b) {
      return std::tie(a.at_ms, a.event_id) < std::tie(b.at_ms, b.event_id);
    });
    for (const auto& w : waiting) {
      SALESOS_RETURN_IF_ERROR(OnConversation(kept, w));
    }
    if (!rows.empty()) {
      SALESOS_RETURN_IF_ERROR(
          tx_.Exec("DELETE FROM deferred_events WHERE workspace_id = $1 AND conversation_id = $2",
                   {f.workspace_id, f.conversation_id})
              .status());
    }
    return OkStatus();
  }

  Status OnConversation(Conversation& c, const Fact& f) {
    switch (f.kind) {
      case Kind::kCustomerMessage:
        Add(EventKey(c, f.at_ms), kMessagesReceived, 1);
        if (++c.customer_messages >= 2) {
          Flag(c, &Conversation::engaged, kEngaged);
        }
        return Timeline(c, f, 'c');
      case Kind::kReply:
        Add(EventKey(c, f.at_ms), f.sender == "ai" ? kMessagesSentAi : kMessagesSentAgent, 1);
        return Timeline(c, f, 'r');
      case Kind::kFailedDelivery:
        Add(EventKey(c, f.at_ms), kFailedDeliveries, 1);
        return OkStatus();
      case Kind::kAiReplied:
        Add(EventKey(c, f.at_ms), kAiReplies, 1);
        Add(EventKey(c, f.at_ms), kAiFallbacks, f.fallback ? 1 : 0);
        return OkStatus();
      case Kind::kLeadScored:
        if (f.score > 0) {
          Flag(c, &Conversation::lead, kLeads);
        }
        return OkStatus();
      case Kind::kStatusChanged:
        if (f.status == "qualified") {
          Qualify(c);
        }
        SetStatus(c, f.status, f);
        return OkStatus();
      case Kind::kHandoff:
        if (f.by == "ai") {
          Flag(c, &Conversation::handed_off, kHandedOff);
        }
        return OkStatus();
      case Kind::kConversion:
        if (c.converted) {
          return OkStatus();  // a conversation converts once
        }
        Flag(c, &Conversation::converted, kConverted);
        Qualify(c);
        SetStatus(c, "converted", f);
        Add(EventKey(c, f.at_ms), kConversions, 1);
        {
          Money& m = revenue_[{EventKey(c, f.at_ms), f.currency}];
          m.amount_minor += f.order_value_minor;
          m.orders += 1;
        }
        extra_metrics_.insert("revenue");
        extra_metrics_.insert("avgOrderValue");
        return OkStatus();
      default:
        return OkStatus();
    }
  }

  // Adds the message to the conversation's timeline and moves the response times that changed.
  Status Timeline(Conversation& c, const Fact& f, char kind) {
    SALESOS_RETURN_IF_ERROR(
        tx_.Exec("INSERT INTO conversation_timeline (workspace_id, conversation_id, at_ms, kind, "
                 "event_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                 {c.workspace_id, c.id, f.at_ms, std::string(1, kind), f.event_id})
            .status());
    SALESOS_ASSIGN_OR_RETURN(auto rows,
                             tx_.Query("SELECT at_ms, kind, event_id, wait_ms, first_reply "
                                       "FROM conversation_timeline "
                                       "WHERE workspace_id = $1 AND conversation_id = $2",
                                       {c.workspace_id, c.id}));
    std::vector<TimelineEntry> entries;
    entries.reserve(rows.size());
    for (const auto& r : rows) {
      TimelineEntry e;
      e.at_ms = r.GetInt(0);
      const std::string k = r.GetText(1);
      e.kind = k.empty() ? 'c' : k[0];
      e.event_id = r.GetText(2);
      e.wait_ms = r.GetInt(3);
      e.first = r.GetBool(4);
      entries.push_back(std::move(e));
    }
    std::sort(entries.begin(), entries.end());
    std::vector<TimelineEntry> before = entries;
    ComputeWaits(entries);
    for (size_t i = 0; i < entries.size(); ++i) {
      const TimelineEntry& old_e = before[i];
      const TimelineEntry& new_e = entries[i];
      if (new_e.kind != 'r') {
        continue;
      }
      if (new_e.first) {
        Flag(c, &Conversation::replied, kReplied);
      }
      if (old_e.wait_ms == new_e.wait_ms && old_e.first == new_e.first) {
        continue;
      }
      const RollupKey key = EventKey(c, new_e.at_ms);
      Contribute(key, old_e, -1);
      Contribute(key, new_e, +1);
      SALESOS_RETURN_IF_ERROR(
          tx_.Exec("UPDATE conversation_timeline SET wait_ms = $6, first_reply = $7 "
                   "WHERE workspace_id = $1 AND conversation_id = $2 AND at_ms = $3 "
                   "AND kind = $4 AND event_id = $5",
                   {c.workspace_id, c.id, new_e.at_ms, std::string(1, new_e.kind), new_e.event_id,
                    new_e.wait_ms, int64_t{new_e.first ? 1 : 0}})
              .status());
    }
    return OkStatus();
  }

  void Contribute(const RollupKey& key, const TimelineEntry& e, int sign) {
    if (e.wait_ms < 0) {
      return;
    }
    Add(key, kResponses, sign);
    Add(key, kResponseMsSum, sign * e.wait_ms);
    if (e.first) {
      Add(key, kFirstResponses, sign);
      Add(key, kFirstResponseMsSum, sign * e.wait_ms);
    }
  }

  Status CampaignChanged(const Fact& f) {
    workspace_id_ = f.workspace_id;
    extra_metrics_.insert("totalCampaigns");
    extra_metrics_.insert("activeCampaigns");
    // The newest change by (time, event id) wins, so a late older event does not undo it.
    return tx_
        .Exec(
            "INSERT INTO campaigns (workspace_id, campaign_id, name, status, target_platform, "
            "changed_ms, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (workspace_id, campaign_id) DO UPDATE SET name = excluded.name, "
            "status = excluded.status, target_platform = excluded.target_platform, "
            "changed_ms = excluded.changed_ms, event_id = excluded.event_id "
            "WHERE campaigns.changed_ms < excluded.changed_ms OR "
            "(campaigns.changed_ms = excluded.changed_ms AND campaigns.event_id < "
            "excluded.event_id)",
            {f.workspace_id, f.campaign_id, f.name, f.status, f.target_platform, f.at_ms,
             f.event_id})
        .status();
  }

  Executor& tx_;
  std::string workspace_id_;
  std::map<RollupKey, Counters> deltas_;
  std::map<std::pair<RollupKey, std::string>, Money> revenue_;
  std::map<std::string, std::optional<Conversation>> conversations_;
  std::set<std::string> extra_metrics_;
};

// A stable 64-bit key of a conversation for pg_advisory_xact_lock (FNV-1a).
int64_t LockKey(const std::string& workspace_id, const std::string& conversation_id) {
  uint64_t h = 14695981039346656037ULL;
  for (const std::string* part : {&workspace_id, &conversation_id}) {
    for (unsigned char c : *part) {
      h = (h ^ c) * 1099511628211ULL;
    }
    h = (h ^ 0xff) * 1099511628211ULL;  // separator
  }
  return static_cast<int64_t>(h);
}

std::string RollupWhere(const RollupQuery& q, Params& params) {
  params = {q.workspace_id, q.from_hour, q.to_hour};
  std::string where = " WHERE workspace_id = $1 AND hour >= $2 AND hour < $3";
  if (!q.campaign_id.empty()) {
    params.emplace_back(q.campaign_id);
    where += " AND campaign_id = $" + std::to_string(params.size());
  }
  if (!q.platform.empty()) {
    params.emplace_back(q.platform);
    where += " AND platform = $" + std::to_string(params.size());
  }
  return where;
}

}  // namespace

Result<FoldResult> AnalyticsStore::Fold(const Fact& fact) {
  FoldResult result;
  if (fact.kind == Kind::kIgnored) {
    return result;
  }
  // Replicas fold in parallel: on PostgreSQL the events of one conversation take turns, so none
  // reads its state (or misses its deferred events) while another changes it. SQLite has one
  // writer at a time anyway.
  const bool serialize = db_.Engine() == "postgresql" &&
                         (fact.conversation_scoped() || fact.kind == Kind::kConversationStarted);
  Status st = db_.InTransaction([&](Executor& tx) -> Status {
    if (serialize) {
      SALESOS_RETURN_IF_ERROR(tx.Query("SELECT pg_advisory_xact_lock($1)",
                                       {LockKey(fact.workspace_id, fact.conversation_id)})
                                  .status());
    }
    SALESOS_ASSIGN_OR_RETURN(
        int64_t inserted,
        tx.Exec("INSERT INTO processed_events (event_id, processed_at) VALUES ($1, $2) "
                "ON CONFLICT (event_id) DO NOTHING",
                {fact.event_id, FormatRfc3339Millis(NowUnixMillis())}));
    if (inserted == 0) {
      return OkStatus();  // a replay
    }
    Folder folder(tx);
    SALESOS_RETURN_IF_ERROR(folder.Apply(fact));
    SALESOS_RETURN_IF_ERROR(folder.Flush());
    result.metrics = folder.ChangedMetrics();
    result.applied = !result.metrics.empty();
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return result;
}

Result<std::vector<RollupRow>> AnalyticsStore::Sum(const RollupQuery& q) {
  Params params;
  const std::string where = RollupWhere(q, params);
  const std::string group = q.by_slice ? "hour, campaign_id, platform" : "hour";
  std::string sums;
  for (const char* c : kCounterColumns) {
    sums += std::string(", CAST(SUM(") + c + ") AS BIGINT)";
  }
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT " + group + sums + " FROM rollups" + where + " GROUP BY " + group, params));
  SALESOS_ASSIGN_OR_RETURN(auto money,
                           db_.Query("SELECT " + group +
                                         ", currency, CAST(SUM(amount_minor) AS BIGINT), "
                                         "CAST(SUM(orders) AS BIGINT) FROM revenue_rollups" +
                                         where + " GROUP BY " + group + ", currency",
                                     params));
  const size_t key_columns = q.by_slice ? 3 : 1;
  auto key_of = [&](const store::Row& r) {
    RollupKey k;
    k.hour = r.GetInt(0);
    if (q.by_slice) {
      k.campaign_id = r.GetText(1);
      k.platform = r.GetText(2);
    }
    return k;
  };
  std::map<RollupKey, Totals> merged;
  for (const auto& r : rows) {
    Totals& t = merged[key_of(r)];
    for (int i = 0; i < kCounterCount; ++i) {
      t.counters.v[i] += r.GetInt(key_columns + i);
    }
  }
  for (const auto& r : money) {
    Money& m = merged[key_of(r)].revenue[r.GetText(key_columns)];
    m.amount_minor += r.GetInt(key_columns + 1);
    m.orders += r.GetInt(key_columns + 2);
  }
  std::vector<RollupRow> out;
  out.reserve(merged.size());
  for (auto& [key, totals] : merged) {
    out.push_back({key, std::move(totals)});
  }
  return out;
}

Result<int64_t> AnalyticsStore::OpenConversations(const std::string& workspace_id,
                                                  const std::string& campaign_id,
                                                  const std::string& platform) {
  Params params{workspace_id};
  std::string sql =
      "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND status IN ('active', "
      "'qualified')";
  if (!campaign_id.empty()) {
    params.emplace_back(campaign_id);
    sql += " AND campaign_id = $" + std::to_string(params.size());
  }
  if (!platform.empty()) {
    params.emplace_back(platform);
    sql += " AND platform = $" + std::to_string(params.size());
  }
  SALESOS_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  return rows.empty() ? 0 : rows.front().GetInt(0);
}

Result<std::vector<CampaignInfo>> AnalyticsStore::Campaigns(const std::string& workspace_id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT campaign_id, name, status, target_platform FROM campaigns "
                           "WHERE workspace_id = $1 ORDER BY campaign_id",
                           {workspace_id}));
  std::vector<CampaignInfo> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r.GetText(0), r.GetText(1), r.GetText(2), r.GetText(3)});
  }
  return out;
}

Result<std::optional<CampaignInfo>> AnalyticsStore::FindCampaign(const std::string& workspace_id,
                                                                 const std::string& campaign_id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT campaign_id, name, status, target_platform FROM campaigns "
                           "WHERE workspace_id = $1 AND campaign_id = $2",
                           {workspace_id, campaign_id}));
  if (!rows.empty()) {
    const auto& r = rows.front();
    return std::optional<CampaignInfo>(
        CampaignInfo{r.GetText(0), r.GetText(1), r.GetText(2), r.GetText(3)});
  }
  SALESOS_ASSIGN_OR_RETURN(auto seen,
                           db_.Query("SELECT 1 FROM conversations WHERE workspace_id = $1 AND "
                                     "campaign_id = $2 LIMIT 1",
                                     {workspace_id, campaign_id}));
  if (seen.empty()) {
    return std::optional<CampaignInfo>();
  }
  return std::optional<CampaignInfo>(CampaignInfo{campaign_id, "", "", ""});
}

}  // namespace salesos::analytics
