#pragma once

// Important dates (docs/crm.md "Important dates"): each contact's ImportantDate with a template and
// not opted out gets its greeting at send_time, in its time zone, on its date, over the contact's
// channel (the integration of its most recent conversation), once per (contact, date id, year).
//
// Which dates: repeat_annually → every year; not repeating with a year → that year only; not
// repeating without a year → once, on the next occurrence. 02-29 falls on 02-28 in other years.
// Late sends: a greeting whose send time passed (downtime, or a date added after the time) still
// goes out within 12 hours of the send time and on the same local date; later it is recorded as
// skipped ("missed") and the next year's is scheduled.
//
// The tables (migrations/005_outreach.sql): contact_occasions holds each date's next send
// (next_send_ms, indexed), recomputed in the transaction that writes the contact's dates (create,
// update, import: ContactStore) and after each send; occasion_sends holds what happened each year,
// its primary key (contact, date id, year) the once-a-year guard. The date's lastSentAt and
// nextSendAt are kept in contacts.important_dates for reads. The scheduler (Occasions) claims due
// rows with a lease (DueLoop), renders the template through campaign and sends with
// Outreach::SendToContact under the idempotency key "occasion:<contact>:<date id>:<year>", so a
// crash or restart at the send minute never sends twice.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conversation_peers.h"
#include "salesos/rpc/due_loop.h"
#include "outreach.h"
#include "salesos/conversation/v1/conversation.pb.h"
#include "salesos/core/status.h"
#include "salesos/core/time_zone.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

// How long after the send time a greeting may still go out (same local date only).
inline constexpr int64_t kOccasionGraceMs = 12LL * 3600 * 1000;

// The greeting's instant in `year` (Unix ms): date at send_time in `zone`; nullopt for a date or
// time that does not parse.
std::optional<int64_t> OccasionAtMs(const v1::ImportantDate& date, const TimeZone& zone,
                                    int64_t year);
// The last instant the greeting of `year` may go out: the earlier of send time + 12 h and the end
// of that local date.
std::optional<int64_t> OccasionLatestMs(const v1::ImportantDate& date, const TimeZone& zone,
                                        int64_t year);

struct NextOccasion {
  int64_t year = 0;
  int64_t at_ms = 0;  // may be before now (a late send still allowed)
};
// The next greeting to send at `now_ms`: the earliest year not `done` whose latest instant is still
// ahead. `sent_before`: a greeting of this date went out in some year (ends a one-off without a
// year). nullopt: none (opted out, no template, a past or done one-off).
std::optional<NextOccasion> NextOccasionSend(const v1::ImportantDate& date, const TimeZone& zone,
                                             int64_t now_ms,
                                             const std::function<bool(int64_t year)>& done,
                                             bool sent_before);

// Recomputes a contact's occasions in the transaction `tx` that writes its dates: `dates_json`
// (contacts.important_dates) gets each date's lastSentAt / nextSendAt, and
// WriteContactOccasions (after the contact row exists) replaces its contact_occasions rows.
struct OccasionPlan {
  struct Row {
    std::string date_id;
    int64_t year = 0;
    int64_t next_send_ms = 0;
  };
  std::vector<Row> rows;
};
Result<OccasionPlan> PlanContactOccasions(store::Executor& tx, const std::string& workspace_id,
                                          const std::string& contact_id, std::string& dates_json,
                                          bool contact_opted_out, int64_t now_ms);
Status WriteContactOccasions(store::Executor& tx, const std::string& workspace_id,
                             const std::string& contact_id, const OccasionPlan& plan);

// The greeting of a template for a contact: conversation_peers.h GreetingsOf in the service.
using GreetingSource = GreetingRenderer;

struct OccasionsOptions {
  int64_t lease_ms = 60'000;
  int concurrency = 4;
  int max_idle_ms = 1000;
  int64_t retry_ms = 60'000;  // a render or send that may work later is tried again after this
};

class Occasions {
 public:
  // `outreach` must outlive it.
  Occasions(store::Store& db, Outreach& outreach, GreetingSource greetings,
            OccasionsOptions options = {});
  ~Occasions();

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  void Notify() { loop_.Notify(); }

  struct Due {
    std::string workspace_id;
    std::string contact_id;
    std::string date_id;
    int64_t year = 0;
  };
  // One claimed greeting (public for tests): sent, recorded, rescheduled.
  void Run(const Due& due);
  // Recomputes one contact's occasions now (after a send, or for tests).
  Status Resync(const std::string& workspace_id, const std::string& contact_id);

 private:
  Result<std::vector<std::function<void()>>> Claim(int64_t now_ms, int max);
  Status Handle(const Due& due);
  // occasion_sends gets (due, status, reason, message id); then the contact is resynced.
  Status Record(const Due& due, const std::string& status, const std::string& reason,
                const std::string& message_id);
  // Due again at `at_ms` (a try that may work later), lease dropped.
  Status Retry(const Due& due, int64_t at_ms);

  store::Store& db_;
  Outreach& outreach_;
  GreetingSource greetings_;
  OccasionsOptions options_;
  rpc::DueLoop loop_;
};

}  // namespace salesos::conversation
