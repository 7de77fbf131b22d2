#include "occasions.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>

#include "contact_rules.h"
#include "contact_store.h"
#include "conversation_store.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"

namespace salesos::conversation {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// "MM-DD" and "HH:MM" ("09:00" when empty); false when either does not parse.
bool Parse(const v1::ImportantDate& d, int& month, int& day, int& minutes) {
  const std::string& date = d.date();
  const std::string time = d.send_time().empty() ? "09:00" : d.send_time();
  auto two = [](const std::string& s, size_t at, int& out) {
    if (at + 2 > s.size() || s[at] < '0' || s[at] > '9' || s[at + 1] < '0' || s[at + 1] > '9') {
      return false;
    }
    out = (s[at] - '0') * 10 + (s[at + 1] - '0');
    return true;
  };
  int hh = 0;
  int mm = 0;
  if (date.size() != 5 || date[2] != '-' || !two(date, 0, month) || !two(date, 3, day) ||
      time.size() != 5 || time[2] != ':' || !two(time, 0, hh) || !two(time, 3, mm)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hh > 23 || mm > 59) {
    return false;
  }
  minutes = hh * 60 + mm;
  return true;
}

// The local day (days since the epoch) of the date in `year`; 02-29 is 02-28 in other years.
std::optional<int64_t> LocalDay(const v1::ImportantDate& d, int64_t year, int& minutes) {
  int month = 0;
  int day = 0;
  if (!Parse(d, month, day, minutes)) {
    return std::nullopt;
  }
  if (month == 2 && day == 29 && !IsLeap(year)) {
    day = 28;
  }
  return DaysFromCivil(year, month, day);
}

std::string OccasionKey(const std::string& contact_id, const std::string& date_id, int64_t year) {
  return "occasion:" + contact_id + ":" + date_id + ":" + std::to_string(year);
}

}  // namespace

std::optional<int64_t> OccasionAtMs(const v1::ImportantDate& date, const TimeZone& zone,
                                    int64_t year) {
  int minutes = 0;
  auto day = LocalDay(date, year, minutes);
  if (!day.has_value()) {
    return std::nullopt;
  }
  return zone.FromLocal(*day * 86400 + int64_t{minutes} * 60) * 1000;
}

std::optional<int64_t> OccasionLatestMs(const v1::ImportantDate& date, const TimeZone& zone,
                                        int64_t year) {
  int minutes = 0;
  auto day = LocalDay(date, year, minutes);
  if (!day.has_value()) {
    return std::nullopt;
  }
  const int64_t at = zone.FromLocal(*day * 86400 + int64_t{minutes} * 60) * 1000;
  const int64_t day_end = zone.FromLocal((*day + 1) * 86400) * 1000;
  return std::min(at + kOccasionGraceMs, day_end);
}

std::optional<NextOccasion> NextOccasionSend(const v1::ImportantDate& date, const TimeZone& zone,
                                             int64_t now_ms,
                                             const std::function<bool(int64_t year)>& done,
                                             bool sent_before) {
  if (date.opt_out() || date.template_id().empty()) {
    return std::nullopt;
  }
  auto try_year = [&](int64_t y) -> std::optional<NextOccasion> {
    if (done(y)) {
      return std::nullopt;
    }
    auto latest = OccasionLatestMs(date, zone, y);
    auto at = OccasionAtMs(date, zone, y);
    if (!latest.has_value() || !at.has_value() || *latest <= now_ms) {
      return std::nullopt;
    }
    return NextOccasion{y, *at};
  };
  if (!date.repeat_annually()) {
    if (date.year() > 0) {
      return try_year(date.year());
    }
    if (sent_before) {
      return std::nullopt;
    }
  }
  const int64_t local_year =
      CivilFromDays(FloorDiv(zone.ToLocal(FloorDiv(now_ms, 1000)), 86400)).year;
  for (int64_t y = local_year - 1; y <= local_year + 2; ++y) {
    if (auto next = try_year(y); next.has_value()) {
      return next;
    }
  }
  return std::nullopt;
}

Result<OccasionPlan> PlanContactOccasions(store::Executor& tx, const std::string& workspace_id,
                                          const std::string& contact_id, std::string& dates_json,
                                          bool contact_opted_out, int64_t now_ms) {
  google::protobuf::RepeatedPtrField<v1::ImportantDate> dates;
  ImportantDatesFromJson(dates_json, &dates);
  OccasionPlan plan;
  if (dates.empty()) {
    return plan;
  }
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, tx.Query("SELECT date_id, year, status, sent_at FROM occasion_sends WHERE "
                          "workspace_id = $1 AND contact_id = $2",
                          {workspace_id, contact_id}));
  std::set<std::pair<std::string, int64_t>> done;
  std::map<std::string, std::string> last_sent;
  for (const auto& r : rows) {
    done.insert({r.GetText(0), r.GetInt(1)});
    if (r.GetText(2) == "sent") {
      std::string& last = last_sent[r.GetText(0)];
      last = std::max(last, r.GetText(3));
    }
  }
  boost::system::error_code ec;
  auto json = boost::json::parse(dates_json, ec);
  if (ec || !json.is_array()) {
    return plan;
  }
  auto& array = json.as_array();
  for (int i = 0; i < dates.size() && static_cast<size_t>(i) < array.size(); ++i) {
    const auto& d = dates[i];
    if (!array[i].is_object()) {
      continue;
    }
    auto& out = array[i].as_object();
    out.erase("lastSentAt");
    out.erase("nextSendAt");
    if (auto it = last_sent.find(d.id()); it != last_sent.end()) {
      out["lastSentAt"] = it->second;
    }
    if (contact_opted_out || d.id().empty()) {
      continue;
    }
    auto zone = TimeZone::Load(d.timezone().empty() ? "UTC" : d.timezone());
    if (!zone.ok()) {
      continue;
    }
    auto next = NextOccasionSend(
        d, **zone, now_ms, [&](int64_t y) { return done.count({d.id(), y}) > 0; },
        last_sent.count(d.id()) > 0);
    if (next.has_value()) {
      out["nextSendAt"] = FormatRfc3339Millis(next->at_ms);
      plan.rows.push_back({d.id(), next->year, next->at_ms});
    }
  }
  dates_json = boost::json::serialize(json);
  return plan;
}

Status WriteContactOccasions(store::Executor& tx, const std::string& workspace_id,
                             const std::string& contact_id, const OccasionPlan& plan) {
  SALESOS_RETURN_IF_ERROR(tx.Exec("DELETE FROM contact_occasions WHERE workspace_id = $1 AND "
                                  "contact_id = $2",
                                  {workspace_id, contact_id})
                              .status());
  for (const auto& row : plan.rows) {
    SALESOS_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO contact_occasions (workspace_id, contact_id, date_id, year, "
                "next_send_ms) VALUES ($1, $2, $3, $4, $5)",
                {workspace_id, contact_id, row.date_id, row.year, row.next_send_ms})
            .status());
  }
  return OkStatus();
}

Occasions::Occasions(store::Store& db, Outreach& outreach, GreetingSource greetings,
                     OccasionsOptions options)
    : db_(db),
      outreach_(outreach),
      greetings_(std::move(greetings)),
      options_(options),
      loop_(
          rpc::DueLoopOptions{"occasions", options_.concurrency, options_.max_idle_ms},
          [this]() -> Result<int64_t> {
            SALESOS_ASSIGN_OR_RETURN(
                auto rows, db_.Query("SELECT MIN(CASE WHEN lease_until_ms > next_send_ms THEN "
                                     "lease_until_ms ELSE next_send_ms END) FROM "
                                     "contact_occasions"));
            return rows.empty() ? int64_t{0} : rows.front().GetInt(0);
          },
          [this](int64_t now_ms, int max) { return Claim(now_ms, max); }) {}

Occasions::~Occasions() { loop_.Stop(); }

Result<std::vector<std::function<void()>>> Occasions::Claim(int64_t now_ms, int max) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT workspace_id, contact_id, date_id, year FROM contact_occasions "
                           "WHERE next_send_ms <= $1 AND lease_until_ms < $1 ORDER BY "
                           "next_send_ms LIMIT $2",
                           {now_ms, int64_t{max}}));
  std::vector<std::function<void()>> tasks;
  for (const auto& r : rows) {
    Due due{r.GetText(0), r.GetText(1), r.GetText(2), r.GetInt(3)};
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n, db_.Exec("UPDATE contact_occasions SET lease_until_ms = $4 WHERE contact_id = "
                            "$1 AND date_id = $2 AND year = $3 AND lease_until_ms < $5 AND "
                            "next_send_ms <= $5",
                            {due.contact_id, due.date_id, due.year, now_ms + options_.lease_ms,
                             now_ms}));
    if (n == 1) {
      tasks.push_back([this, due] { Run(due); });
    }
  }
  return tasks;
}

void Occasions::Run(const Due& due) {
  Status st = Handle(due);
  if (!st.ok()) {
    log::Warn("occasion greeting not handled, will retry",
              {{"contactId", due.contact_id}, {"dateId", due.date_id}, {"error", st.message()}});
    (void)Retry(due, NowUnixMillis() + options_.retry_ms);
  }
}

Status Occasions::Handle(const Due& due) {
  const int64_t now = NowUnixMillis();
  SALESOS_ASSIGN_OR_RETURN(auto contact,
                           ContactStore(db_).GetContact(due.workspace_id, due.contact_id));
  if (!contact.has_value()) {
    return OkStatus();  // deleted: its rows went with it
  }
  google::protobuf::RepeatedPtrField<v1::ImportantDate> dates;
  ImportantDatesFromJson(contact->important_dates, &dates);
  const v1::ImportantDate* date = nullptr;
  for (const auto& d : dates) {
    if (d.id() == due.date_id) {
      date = &d;
    }
  }
  if (date == nullptr || contact->opted_out || date->opt_out() || date->template_id().empty()) {
    return Resync(due.workspace_id, due.contact_id);  // changed since it was scheduled
  }
  SALESOS_ASSIGN_OR_RETURN(
      auto handled, db_.Query("SELECT status FROM occasion_sends WHERE contact_id = $1 AND "
                              "date_id = $2 AND year = $3",
                              {due.contact_id, due.date_id, due.year}));
  if (!handled.empty()) {
    return Resync(due.workspace_id, due.contact_id);
  }
  SALESOS_ASSIGN_OR_RETURN(auto zone,
                           TimeZone::Load(date->timezone().empty() ? "UTC" : date->timezone()));
  auto latest = OccasionLatestMs(*date, *zone, due.year);
  if (!latest.has_value() || now > *latest) {
    return Record(due, "skipped",
                  "missed: more than 12 hours after the send time or past the date", "");
  }
  SALESOS_ASSIGN_OR_RETURN(
      auto channel,
      db_.Query("SELECT integration_id, platform, campaign_id FROM conversations WHERE "
                "workspace_id = $1 AND contact_id = $2 AND integration_id <> '' ORDER BY "
                "last_message_at DESC, id DESC LIMIT 1",
                {due.workspace_id, due.contact_id}));
  if (channel.empty()) {
    return Record(due, "skipped", "the contact has no conversation to send on", "");
  }
  const std::string integration = channel.front().GetText(0);
  const std::string platform = channel.front().GetText(1);
  const std::string campaign_id = channel.front().GetText(2);
  const std::string occasion = date->label().empty() ? date->type() : date->label();
  auto greeting =
      greetings_(due.workspace_id, date->template_id(), due.contact_id, campaign_id, occasion);
  if (!greeting.ok()) {
    const Code code = greeting.status().code();
    if ((code == Code::kUnavailable || code == Code::kDeadlineExceeded) &&
        now + options_.retry_ms < *latest) {
      return Retry(due, now + options_.retry_ms);
    }
    return Record(due, "skipped", "template not rendered: " + greeting.status().message(), "");
  }
  v1::SendToContactForServiceRequest req;
  req.set_workspace_id(due.workspace_id);
  req.set_contact_id(due.contact_id);
  req.set_integration_id(integration);
  req.set_campaign_id(campaign_id);
  req.set_idempotency_key(OccasionKey(due.contact_id, due.date_id, due.year));
  req.set_origin("occasion");
  req.set_text(greeting->text);
  if (platform == "whatsapp" && greeting->whatsapp.has_value()) {
    SALESOS_ASSIGN_OR_RETURN(int64_t window, ConversationStore(db_).ContactWindowExpiresMs(
                                                 due.workspace_id, due.contact_id, platform));
    if (now >= window) {
      // Outside the window only the approved template goes out (campaign rendered its
      // parameters); the text stays the message's content in the inbox.
      *req.mutable_template_() = *greeting->whatsapp;
    }
  }
  v1::SendToContactForServiceResponse resp;
  Status st = outreach_.SendToContact(req, &resp);
  if (!st.ok()) {
    const Code code = st.code();
    if (code == Code::kFailedPrecondition || code == Code::kNotFound ||
        code == Code::kInvalidArgument) {
      return Record(due, "skipped", st.message(), "");
    }
    return st;  // tried again after retry_ms
  }
  if (resp.sent()) {
    return Record(due, "sent", "", resp.message_id());
  }
  if (resp.retryable()) {
    const int64_t at = now + std::max<int64_t>(resp.retry_after_ms(), 1000);
    if (at < *latest) {
      return Retry(due, at);
    }
  }
  return Record(due, "failed", resp.error(), resp.message_id());
}

Status Occasions::Record(const Due& due, const std::string& status, const std::string& reason,
                         const std::string& message_id) {
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  SALESOS_RETURN_IF_ERROR(
      db_.Exec("INSERT INTO occasion_sends (workspace_id, contact_id, date_id, year, status, "
               "reason, message_id, sent_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
               "$8, $9) ON CONFLICT DO NOTHING",
               {due.workspace_id, due.contact_id, due.date_id, due.year, status, reason,
                message_id, status == "sent" ? now : std::string(), now})
          .status());
  if (status != "sent") {
    log::Info("occasion greeting not sent", {{"contactId", due.contact_id},
                                             {"dateId", due.date_id},
                                             {"status", status},
                                             {"reason", reason}});
  }
  return Resync(due.workspace_id, due.contact_id);
}

Status Occasions::Retry(const Due& due, int64_t at_ms) {
  return db_
      .Exec("UPDATE contact_occasions SET next_send_ms = $4, lease_until_ms = 0 WHERE "
            "contact_id = $1 AND date_id = $2 AND year = $3",
            {due.contact_id, due.date_id, due.year, at_ms})
      .status();
}

Status Occasions::Resync(const std::string& workspace_id, const std::string& contact_id) {
  const std::string lock = db_.Engine() == "postgresql" ? " FOR UPDATE" : "";
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        auto rows, tx.Query("SELECT important_dates, opted_out FROM contacts WHERE "
                            "workspace_id = $1 AND id = $2" + lock,
                            {workspace_id, contact_id}));
    if (rows.empty()) {
      return WriteContactOccasions(tx, workspace_id, contact_id, OccasionPlan{});
    }
    std::string dates = rows.front().GetText(0);
    SALESOS_ASSIGN_OR_RETURN(auto plan,
                             PlanContactOccasions(tx, workspace_id, contact_id, dates,
                                                  rows.front().GetInt(1) != 0, NowUnixMillis()));
    SALESOS_RETURN_IF_ERROR(tx.Exec("UPDATE contacts SET important_dates = $3 WHERE "
                                    "workspace_id = $1 AND id = $2",
                                    {workspace_id, contact_id, dates})
                                .status());
    return WriteContactOccasions(tx, workspace_id, contact_id, plan);
  });
}

}  // namespace salesos::conversation
