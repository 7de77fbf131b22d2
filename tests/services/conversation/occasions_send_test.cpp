// The important-date scheduler (occasions.h) on a real store with the local Graph server: a date
// whose send time just passed in Asia/Tokyo and one in America/New_York each go out once, one later
// today does not; the contact shows lastSentAt / nextSendAt; a scheduler restarted after a crash
// between the send and its record sends nothing twice (the idempotency key answers).
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "contact_store.h"
#include "contact_views.h"
#include "conversation_lib_migrations.h"
#include "occasions.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/databases.h"
#include "support/fake_graph_api.h"

namespace salesos::conversation {
namespace {

using testing::FakeGraphApi;
using testing::Unwrap;

constexpr char kPage[] = "1020304050";
constexpr char kToken[] = "EAAtoken-occasions";

// "MM-DD" and "HH:MM" of `ms` in `zone`.
std::pair<std::string, std::string> LocalDateTime(int64_t ms, const std::string& zone) {
  auto tz = Unwrap(TimeZone::Load(zone));
  const int64_t local = tz->ToLocal(FloorDiv(ms, 1000));
  const auto civil = CivilFromDays(FloorDiv(local, 86400));
  const int64_t minutes = (local - FloorDiv(local, 86400) * 86400) / 60;
  char date[8];
  char time[8];
  std::snprintf(date, sizeof date, "%02d-%02d", civil.month, civil.day);
  std::snprintf(time, sizeof time, "%02d:%02d", static_cast<int>(minutes / 60),
                static_cast<int>(minutes % 60));
  return {date, time};
}

struct Fixture {
  store::Store& db;
  FakeGraphApi graph;
  std::unique_ptr<GraphClient> client = [this] {
    GraphClientOptions options;
    options.timeout_ms = 2000;
    return Unwrap(GraphClient::Create(graph.base_url(), options));
  }();
  std::string ws = NewUuidV7();
  ChannelCredentials credentials{[this](const std::string&) -> Result<ChannelAccess> {
    return ChannelAccess{"facebook", kPage, kToken, ws};
  }};
  ConversationStore store{db};
  Notifier notifier{store, nullptr, nullptr};
  Outbox outbox{db, *client, credentials, notifier, OutboxOptions{}};
  Outreach outreach{db, outbox, credentials, notifier, 30'000};
  std::atomic<int> renders{0};
  GreetingSource greetings = [this](const std::string&, const std::string& template_id,
                                    const std::string&, const std::string&,
                                    const std::string& occasion) -> Result<RenderedGreeting> {
    ++renders;
    RenderedGreeting g;
    g.text = "Happy " + occasion + " from " + template_id;
    return g;
  };

  explicit Fixture(store::Store& d) : db(d) { graph.AcceptToken(kPage, kToken); }

  // A Messenger contact who wrote a minute ago, with one important date in `zone`.
  std::string Contact(const std::string& psid, const std::string& zone, int64_t send_ms) {
    InboundMessage in;
    in.workspace_id = ws;
    in.platform = "facebook";
    in.integration_id = "integration-1";
    in.platform_user_id = psid;
    in.contact_name = "Ada " + psid;
    in.message.sender = "customer";
    in.message.content = "Hi";
    in.message.platform_message_id = "m_" + RandomHex(6);
    in.message.platform_timestamp_ms = NowUnixMillis() - 60'000;
    in.now = FormatRfc3339Millis(NowUnixMillis());
    const std::string id = Unwrap(store.AppendInbound(in)).contact.id;
    auto [date, time] = LocalDateTime(send_ms, zone);
    const std::string dates = R"([{"id":"d1","type":"birthday","label":"","date":")" + date +
                              R"(","year":0,"sendTime":")" + time + R"(","timezone":")" + zone +
                              R"(","templateId":"t1","repeatAnnually":true,"optOut":false}])";
    ContactStore contacts(db);
    auto decls = Unwrap(contacts.FieldDecls(ws));
    Unwrap(contacts.UpdateContact(ws, id, decls, [&](ContactRow& c) {
      c.important_dates = dates;
      return OkStatus();
    }));
    return id;
  }

  int64_t Sends(const std::string& status) {
    auto rows = Unwrap(db.Query(
        "SELECT COUNT(*) FROM occasion_sends WHERE workspace_id = $1 AND status = $2",
        {ws, status}));
    return rows.front().GetInt(0);
  }

  // Waits (bounded) until `n` greetings are recorded as sent.
  bool WaitForSent(int64_t n) {
    for (int i = 0; i < 500; ++i) {
      if (Sends("sent") >= n) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

void SendsOncePerYear(store::Store& db) {
  Fixture f(db);
  // The send minute just began (under a minute ago) in each zone; one more is later today.
  const int64_t now = NowUnixMillis();
  const std::string tokyo = f.Contact("7700000000000101", "Asia/Tokyo", now);
  const std::string new_york = f.Contact("7700000000000102", "America/New_York", now);
  const std::string later = f.Contact("7700000000000103", "Europe/Paris", now + 3 * 3600'000);
  auto scheduled = Unwrap(db.Query(
      "SELECT contact_id, next_send_ms FROM contact_occasions WHERE workspace_id = $1", {f.ws}));
  REQUIRE(scheduled.size() == 3);
  for (const auto& r : scheduled) {
    CHECK(r.GetInt(1) <= (r.GetText(0) == later ? now + 3 * 3600'000 : now));
    CHECK(r.GetInt(1) > now - 60'000);
  }

  {
    Occasions occasions(db, f.outreach, f.greetings);
    occasions.Start();
    REQUIRE(f.WaitForSent(2));
    occasions.Stop();
  }
  CHECK(f.graph.request_count() == 2);
  CHECK(f.Sends("sent") == 2);
  for (const auto& request : f.graph.Requests()) {
    CHECK(request.text == "Happy birthday from t1");
  }
  // The contact shows when it went out and when it goes next (next year), the later one only
  // its next send.
  ContactStore contacts(db);
  auto sent = Unwrap(contacts.GetContact(f.ws, tokyo));
  REQUIRE(sent.has_value());
  v1::Contact view;
  FillContact(*sent, &view);
  REQUIRE(view.important_dates_size() == 1);
  CHECK(ParseRfc3339Millis(view.important_dates(0).last_sent_at()).value_or(0) >= now - 60'000);
  CHECK(ParseRfc3339Millis(view.important_dates(0).next_send_at()).value_or(0) >
        now + 300LL * 24 * 3600'000);
  auto row = Unwrap(db.Query("SELECT year, next_send_ms FROM contact_occasions WHERE contact_id = $1",
                             {tokyo}));
  REQUIRE(row.size() == 1);
  CHECK(row.front().GetInt(1) > now + 300LL * 24 * 3600'000);
  auto pending = Unwrap(contacts.GetContact(f.ws, later));
  REQUIRE(pending.has_value());
  v1::Contact pending_view;
  FillContact(*pending, &pending_view);
  REQUIRE(pending_view.important_dates_size() == 1);
  CHECK(pending_view.important_dates(0).last_sent_at().empty());
  CHECK_FALSE(pending_view.important_dates(0).next_send_at().empty());

  // A crash after the send but before its record: the record is gone, the greeting due again.
  // A restarted scheduler sends nothing twice: the idempotency key answers the first send.
  const int64_t year = Unwrap(db.Query("SELECT year FROM occasion_sends WHERE contact_id = $1",
                                       {new_york}))
                           .front()
                           .GetInt(0);
  REQUIRE_OK(db.Exec("DELETE FROM occasion_sends WHERE contact_id = $1", {new_york}).status());
  REQUIRE_OK(db.Exec("UPDATE contact_occasions SET year = $2, next_send_ms = $3 WHERE "
                     "contact_id = $1",
                     {new_york, year, now})
                 .status());
  {
    Occasions restarted(db, f.outreach, f.greetings);
    restarted.Start();
    REQUIRE(f.WaitForSent(2));
    restarted.Stop();
  }
  CHECK(f.graph.request_count() == 2);
  auto messages = Unwrap(db.Query(
      "SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND origin = 'occasion'", {f.ws}));
  CHECK(messages.front().GetInt(0) == 2);
}

SALESOS_TEST_BOTH_ENGINES("important dates are greeted once at their send time in two zones and a "
                          "restart does not send twice",
                          "[conversation][occasions]", conversation_lib_migrations(),
                          "occasions_send", SendsOncePerYear)

}  // namespace
}  // namespace salesos::conversation
