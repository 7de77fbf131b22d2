#include "campaign_store.h"

#include <google/protobuf/util/json_util.h>

namespace salesos::campaign {
namespace {

constexpr std::string_view kColumns =
    "id, workspace_id, name, status, target_platform, product, price_minor, currency, chat_flow, "
    "target_audience, outreach_message, referral_ids, messages_sent, responses, conversions, "
    "revenue_minor, created_at, updated_at, activated_at, completed_at";

std::string SelectFrom(std::string_view where) {
  return "SELECT " + std::string(kColumns) + " FROM campaigns WHERE " + std::string(where);
}

Result<std::string> ToJson(const google::protobuf::Message& message) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json).ok()) {
    return Internal("campaigns: cannot encode " + message.GetTypeName() + " as JSON");
  }
  return json;
}

Status FromJson(const std::string& json, google::protobuf::Message* message,
                const std::string& id) {
  if (!google::protobuf::util::JsonStringToMessage(json, message).ok()) {
    return Internal("campaigns: a JSON column of " + id + " does not parse as " +
                    message->GetTypeName());
  }
  return OkStatus();
}

// The referral ids as stored: a Campaign holding only them.
Result<std::string> ReferralsToJson(const std::vector<std::string>& ids) {
  v1::Campaign holder;
  for (const auto& id : ids) {
    holder.add_referral_ids(id);
  }
  return ToJson(holder);
}

Result<CampaignRecord> FromRow(const store::Row& r) {
  CampaignRecord rec;
  rec.id = r.GetText(0);
  rec.workspace_id = r.GetText(1);
  rec.name = r.GetText(2);
  rec.status = r.GetText(3);
  rec.target_platform = r.GetText(4);
  SALESOS_RETURN_IF_ERROR(FromJson(r.GetText(5), &rec.product, rec.id));
  rec.price_minor = r.GetInt(6);
  rec.currency = r.GetText(7);
  SALESOS_RETURN_IF_ERROR(FromJson(r.GetText(8), &rec.chat_flow, rec.id));
  SALESOS_RETURN_IF_ERROR(FromJson(r.GetText(9), &rec.target_audience, rec.id));
  rec.outreach_message = r.GetText(10);
  v1::Campaign referrals;
  SALESOS_RETURN_IF_ERROR(FromJson(r.GetText(11), &referrals, rec.id));
  rec.referral_ids.assign(referrals.referral_ids().begin(), referrals.referral_ids().end());
  rec.messages_sent = r.GetInt(12);
  rec.responses = r.GetInt(13);
  rec.conversions = r.GetInt(14);
  rec.revenue_minor = r.GetInt(15);
  rec.created_at = r.GetText(16);
  rec.updated_at = r.GetText(17);
  rec.activated_at = r.GetText(18);
  rec.completed_at = r.GetText(19);
  return rec;
}

Result<std::optional<CampaignRecord>> AtMostOne(Result<store::Rows> rows) {
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<CampaignRecord>();
  }
  SALESOS_ASSIGN_OR_RETURN(CampaignRecord rec, FromRow(rows->front()));
  return std::optional<CampaignRecord>(std::move(rec));
}

// The product without what has columns of its own, so the two cannot disagree.
v1::Product ProductContent(const v1::Product& product) {
  v1::Product p = product;
  p.clear_price();
  p.clear_currency();
  return p;
}

// Makes campaign_referrals list exactly `rec`'s referral ids.
Status ReplaceReferrals(store::Executor& tx, const CampaignRecord& rec) {
  auto n = tx.Exec("DELETE FROM campaign_referrals WHERE campaign_id = $1", {rec.id});
  if (!n.ok()) {
    return n.status();
  }
  for (const auto& referral : rec.referral_ids) {
    // The same id twice in one campaign is one route.
    auto exists = tx.Query(
        "SELECT 1 FROM campaign_referrals WHERE workspace_id = $1 AND referral_id = $2 AND "
        "campaign_id = $3",
        {rec.workspace_id, referral, rec.id});
    if (!exists.ok()) {
      return exists.status();
    }
    if (!exists->empty()) {
      continue;
    }
    auto ins = tx.Exec(
        "INSERT INTO campaign_referrals (workspace_id, referral_id, campaign_id) VALUES ($1, $2, "
        "$3)",
        {rec.workspace_id, referral, rec.id});
    if (!ins.ok()) {
      return ins.status();
    }
  }
  return OkStatus();
}

// "%", "_" and the escape character itself match literally in LIKE ... ESCAPE '!'.
std::string LikeContains(const std::string& text) {
  std::string out = "%";
  for (char c : text) {
    char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower == '%' || lower == '_' || lower == '!') {
      out.push_back('!');
    }
    out.push_back(lower);
  }
  out.push_back('%');
  return out;
}

}  // namespace

Status CampaignStore::Create(const CampaignRecord& rec) {
  SALESOS_ASSIGN_OR_RETURN(std::string product, ToJson(ProductContent(rec.product)));
  SALESOS_ASSIGN_OR_RETURN(std::string chat_flow, ToJson(rec.chat_flow));
  SALESOS_ASSIGN_OR_RETURN(std::string audience, ToJson(rec.target_audience));
  SALESOS_ASSIGN_OR_RETURN(std::string referrals, ReferralsToJson(rec.referral_ids));
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    auto n = tx.Exec(
        "INSERT INTO campaigns (" + std::string(kColumns) +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
            "$18, $19, $20)",
        {rec.id,
         rec.workspace_id,
         rec.name,
         rec.status,
         rec.target_platform,
         product,
         rec.price_minor,
         rec.currency,
         chat_flow,
         audience,
         rec.outreach_message,
         referrals,
         rec.messages_sent,
         rec.responses,
         rec.conversions,
         rec.revenue_minor,
         rec.created_at,
         rec.updated_at,
         rec.activated_at,
         rec.completed_at});
    if (!n.ok()) {
      return n.status();
    }
    return ReplaceReferrals(tx, rec);
  });
}

Result<std::optional<CampaignRecord>> CampaignStore::Get(const std::string& workspace_id,
                                                         const std::string& id) {
  return AtMostOne(db_.Query(SelectFrom("workspace_id = $1 AND id = $2"), {workspace_id, id}));
}

Result<std::vector<CampaignRecord>> CampaignStore::List(const std::string& workspace_id,
                                                        const CampaignFilter& filter,
                                                        const std::string& before_id,
                                                        int64_t limit) {
  // One statement for every combination of filters: an empty parameter turns its filter off.
  auto rows = db_.Query(
      SelectFrom("workspace_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR "
                 "target_platform = $3) AND ($4 = '' OR LOWER(name) LIKE $5 ESCAPE '!') AND "
                 "($6 = '' OR id < $6) ORDER BY id DESC LIMIT $7"),
      {workspace_id, filter.status, filter.target_platform, filter.name_contains,
       LikeContains(filter.name_contains), before_id, limit});
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<CampaignRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    SALESOS_ASSIGN_OR_RETURN(CampaignRecord rec, FromRow(r));
    out.push_back(std::move(rec));
  }
  return out;
}

Result<bool> CampaignStore::UpdateContent(const CampaignRecord& rec,
                                          const std::string& expected_updated_at) {
  SALESOS_ASSIGN_OR_RETURN(std::string product, ToJson(ProductContent(rec.product)));
  SALESOS_ASSIGN_OR_RETURN(std::string chat_flow, ToJson(rec.chat_flow));
  SALESOS_ASSIGN_OR_RETURN(std::string audience, ToJson(rec.target_audience));
  SALESOS_ASSIGN_OR_RETURN(std::string referrals, ReferralsToJson(rec.referral_ids));
  bool updated = false;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    auto n = tx.Exec(
        "UPDATE campaigns SET name = $1, target_platform = $2, product = $3, price_minor = $4, "
        "currency = $5, chat_flow = $6, target_audience = $7, outreach_message = $8, "
        "referral_ids = $9, updated_at = $10 WHERE workspace_id = $11 AND id = $12 AND "
        "updated_at = $13",
        {rec.name, rec.target_platform, product, rec.price_minor, rec.currency, chat_flow, audience,
         rec.outreach_message, referrals, rec.updated_at, rec.workspace_id, rec.id,
         expected_updated_at});
    if (!n.ok()) {
      return n.status();
    }
    if (*n == 0) {
      return OkStatus();
    }
    updated = true;
    return ReplaceReferrals(tx, rec);
  });
  if (!st.ok()) {
    return st;
  }
  return updated;
}

Result<bool> CampaignStore::UpdateStatus(const CampaignRecord& rec, const std::string& from) {
  auto n = db_.Exec(
      "UPDATE campaigns SET status = $1, activated_at = $2, completed_at = $3, updated_at = $4 "
      "WHERE workspace_id = $5 AND id = $6 AND status = $7",
      {rec.status, rec.activated_at, rec.completed_at, rec.updated_at, rec.workspace_id, rec.id,
       from});
  if (!n.ok()) {
    return n.status();
  }
  return *n > 0;
}

Result<bool> CampaignStore::DeleteDraft(const std::string& workspace_id, const std::string& id) {
  bool deleted = false;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    // Referrals first: SQLite enforces the foreign key only when told to, so do not rely on it.
    auto refs = tx.Exec(
        "DELETE FROM campaign_referrals WHERE campaign_id IN (SELECT id FROM campaigns WHERE "
        "workspace_id = $1 AND id = $2 AND status = 'draft')",
        {workspace_id, id});
    if (!refs.ok()) {
      return refs.status();
    }
    auto n = tx.Exec(
        "DELETE FROM campaigns WHERE workspace_id = $1 AND id = $2 AND status = "
        "'draft'",
        {workspace_id, id});
    if (!n.ok()) {
      return n.status();
    }
    deleted = *n > 0;
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return deleted;
}

Result<bool> CampaignStore::RecordStats(const std::string& workspace_id,
                                        const std::string& campaign_id, const std::string& event_id,
                                        const StatsDelta& d, const std::string& now) {
  bool added = false;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    // ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL a failed
    // statement aborts the whole transaction.
    auto ins = tx.Exec(
        "INSERT INTO processed_stats_events (workspace_id, event_id, campaign_id, processed_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, event_id) DO NOTHING",
        {workspace_id, event_id, campaign_id, now});
    if (!ins.ok()) {
      return ins.status();
    }
    if (*ins == 0) {
      return OkStatus();
    }
    auto n = tx.Exec(
        "UPDATE campaigns SET messages_sent = messages_sent + $1, responses = responses + $2, "
        "conversions = conversions + $3, revenue_minor = revenue_minor + $4 WHERE "
        "workspace_id = $5 AND id = $6",
        {d.messages_sent, d.responses, d.conversions, d.revenue_minor, workspace_id, campaign_id});
    if (!n.ok()) {
      return n.status();
    }
    if (*n == 0) {
      // Rolls the event row back too: a later delivery, once the campaign exists, still counts.
      return NotFound("campaign not found");
    }
    added = true;
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return added;
}

Result<std::optional<CampaignRecord>> CampaignStore::FindActiveByReferral(
    const std::string& workspace_id, const std::string& referral_id) {
  return AtMostOne(db_.Query(
      SelectFrom("workspace_id = $1 AND status = 'active' AND id IN (SELECT campaign_id FROM "
                 "campaign_referrals WHERE workspace_id = $1 AND referral_id = $2) ORDER BY "
                 "activated_at DESC, id DESC LIMIT 1"),
      {workspace_id, referral_id}));
}

Result<std::optional<CampaignRecord>> CampaignStore::FindLatestActive(
    const std::string& workspace_id, const std::string& platform) {
  return AtMostOne(
      db_.Query(SelectFrom("workspace_id = $1 AND status = 'active' AND (target_platform = $2 OR "
                           "target_platform = 'all') ORDER BY activated_at DESC, id DESC LIMIT 1"),
                {workspace_id, platform}));
}

}  // namespace salesos::campaign
