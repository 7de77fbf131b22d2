// Important dates end to end (docs/crm.md "Important dates"): all seven processes, a real Redis
// and a local server that speaks the Graph Send API. WhatsApp customers who last wrote two days
// ago (outside the 24-hour window) get their greeting at its send time in their own time zone —
// the approved WhatsApp template, its parameters rendered by campaign — exactly once; one whose
// time is later today and an opted-out date get nothing; the contact shows lastSentAt and next
// year's nextSendAt. Then conversation is killed (SIGKILL) at the send minute with a greeting in
// flight at Graph: after the restart the ones already sent are not sent again and the one in
// flight goes out once. Every time comes from the real clock: each date is "today" in its zone
// with a send time that began less than a minute ago, so nothing waits for a wall-clock minute.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/core/time_zone.h"
#include "support/api.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

constexpr auto kWait = std::chrono::seconds(20);
constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 24 * 3600'000LL;

int64_t Now() { return salesos::NowUnixMillis(); }

// A moment as a contact's zone reads it.
struct Local {
  int64_t year = 0;
  std::string date;  // "MM-DD"
  std::string time;  // "HH:MM"
  int minute_of_day = 0;
};

Local LocalAt(int64_t ms, const std::string& zone) {
  auto tz = salesos::TimeZone::Load(zone);
  REQUIRE(tz.ok());
  const int64_t local = (*tz)->ToLocal(salesos::FloorDiv(ms, 1000));
  const int64_t day = salesos::FloorDiv(local, 86400);
  const auto civil = salesos::CivilFromDays(day);
  const int minutes = static_cast<int>((local - day * 86400) / 60);
  char date[16];
  char time[16];
  std::snprintf(date, sizeof date, "%02d-%02d", civil.month, civil.day);
  std::snprintf(time, sizeof time, "%02d:%02d", minutes / 60, minutes % 60);
  return {civil.year, date, time, minutes};
}

// `zone`, or `instead` when `zone`'s day ends within 5 minutes: a greeting may be late only until
// its local date ends, so a date that is "today" needs a few minutes of it left.
std::string ZoneWithTimeLeft(const std::string& zone, const std::string& instead, int64_t now) {
  return LocalAt(now, zone).minute_of_day < 24 * 60 - 5 ? zone : instead;
}

struct Occasions {
  Occasions() {
    SuiteOptions options = MetaSuiteOptions(
        {"SALESOS_GRAPH_API_BASE=" + graph.base_url(),
         // Work a killed process held is taken over after 4 s (its leases), not the default 30.
         "SALESOS_WORK_LEASE_MS=4000",
         // The test polls the API while it waits; limits are not the story.
         "SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"});
    suite = std::make_unique<Suite>(options);
    client = suite->Client();
  }

  FakeGraphApi graph;
  std::unique_ptr<Suite> suite;
  std::unique_ptr<HttpClient> client;
  std::string phone_number_id = NewMetaId();
  std::string token = "EAA" + salesos::RandomHex(16) + "occ";
};

struct Customer {
  std::string wa_id;
  std::string first_name;
  std::string contact_id;
};

// A WhatsApp customer who last wrote two days ago: a contact with a conversation on the
// integration, its 24-hour window closed.
Customer WroteTwoDaysAgo(Occasions& o, const Account& owner, const std::string& first_name) {
  Customer c{NewMetaId(), first_name, ""};
  const std::string name = first_name + " Occasion";
  REQUIRE(PostMetaWebhook(*o.client, WhatsAppTextBody(o.phone_number_id, c.wa_id, name,
                                                      "wamid." + salesos::RandomHex(10),
                                                      "Thanks for the lamp!", Now() - 2 * kDayMs))
              .status == 200);
  REQUIRE(WaitFor(
      [&] {
        HttpResult r = Send(*o.client, "GET", "/api/v1/contacts?q=" + first_name, owner.token);
        if (r.status != 200 || Json(r).at("contacts").as_array().empty()) {
          return false;
        }
        c.contact_id = Str(Json(r).at("contacts").at(0).at("id"));
        return true;
      },
      kWait));
  return c;
}

// Gives the contact one important date; the answer's date as stored.
json::object SetDate(Occasions& o, const Account& owner, const Customer& c, json::object date) {
  HttpResult r = Send(*o.client, "PATCH", "/api/v1/contacts/" + c.contact_id, owner.token,
                      json::value{{"contact", {{"importantDates", json::array{std::move(date)}}}}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  return Json(r).at("importantDates").at(0).as_object();
}

// A date of `type` that is today in `zone`, greeted at `at_ms`'s minute there.
json::object DateAt(const std::string& type, const std::string& label, const std::string& zone,
                    int64_t at_ms, const std::string& template_id, bool opt_out = false) {
  const Local local = LocalAt(at_ms, zone);
  return json::object{{"type", type},           {"label", label},   {"date", local.date},
                      {"sendTime", local.time}, {"timezone", zone}, {"templateId", template_id},
                      {"repeatAnnually", true}, {"optOut", opt_out}};
}

json::object ImportantDate(Occasions& o, const Account& owner, const Customer& c) {
  HttpResult r = Send(*o.client, "GET", "/api/v1/contacts/" + c.contact_id, owner.token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return Json(r).at("importantDates").at(0).as_object();
}

std::string Field(const json::object& o, const char* name) {
  auto it = o.find(name);
  return it == o.end() ? std::string() : Str(it->value());
}

// The template messages Graph received, for the customer ("" for everyone's). Only templates
// count: a greeting outside the window is one, and the AI's answers to the customers' (old)
// messages are text, not this story.
std::vector<FakeGraphApi::Request> Greetings(const FakeGraphApi& graph, const std::string& wa_id) {
  std::vector<FakeGraphApi::Request> out;
  for (auto& r : graph.Requests()) {
    if (r.type == "template" && (wa_id.empty() || r.recipient == "+" + wa_id)) {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<FakeGraphApi::Request> Greetings(const FakeGraphApi& graph, const Customer& c) {
  return Greetings(graph, c.wa_id);
}

// The template a WhatsApp request carried: name, language and its body parameters.
struct SentTemplate {
  std::string name;
  std::string language;
  std::vector<std::string> parameters;
};

SentTemplate TemplateOf(const FakeGraphApi::Request& r) {
  INFO(r.body);
  REQUIRE(r.type == "template");
  const auto body = json::parse(r.body).as_object();
  const auto& t = body.at("template").as_object();
  SentTemplate out{Str(t.at("name")), Str(t.at("language").at("code")), {}};
  if (auto it = t.find("components"); it != t.end()) {
    for (const auto& component : it->value().as_array()) {
      if (Str(component.at("type")) != "body") {
        continue;
      }
      for (const auto& p : component.at("parameters").as_array()) {
        out.parameters.push_back(Str(p.at("text")));
      }
    }
  }
  return out;
}

// The business's messages in the customer's conversations (the greetings, as the inbox shows
// them).
json::array SystemMessages(Occasions& o, const Account& owner, const Customer& c) {
  HttpResult list =
      Send(*o.client, "GET", "/api/v1/conversations?platform=whatsapp&pageSize=200", owner.token);
  REQUIRE(list.status == 200);
  json::array out;
  const json::value conversations = Json(list);
  for (const auto& conv : conversations.at("conversations").as_array()) {
    if (Str(conv.at("contactId")) != c.contact_id) {
      continue;
    }
    HttpResult messages = Send(
        *o.client, "GET", "/api/v1/conversations/" + Str(conv.at("id")) + "/messages", owner.token);
    REQUIRE(messages.status == 200);
    const json::value page = Json(messages);
    for (const auto& m : page.at("messages").as_array()) {
      if (Str(m.at("sender")) == "system") {
        out.push_back(m);
      }
    }
  }
  return out;
}

// The greeting's next send is the same date and time in the zone, next year.
void CheckNextYear(const json::object& date, const std::string& zone, int64_t greeted_ms) {
  INFO(json::serialize(date));
  auto next = salesos::ParseRfc3339Millis(Field(date, "nextSendAt"));
  REQUIRE(next.has_value());
  const Local then = LocalAt(greeted_ms, zone);
  const Local local = LocalAt(*next, zone);
  CHECK(local.year == then.year + 1);
  CHECK(local.date == Str(date.at("date")));
  CHECK(local.time == Str(date.at("sendTime")));
}

// The whole story, on the suite's database (SQLite files, or PostgreSQL in the e2e run).
void GreetsAcrossZonesAndSurvivesARestart() {
  Occasions o;
  Account owner = Register(*o.client, "Lumi Lamps");
  ConnectChannel(*o.client, owner, "whatsapp", o.phone_number_id, o.token);
  o.graph.AcceptToken(o.phone_number_id, o.token);

  // An occasion template whose WhatsApp twin takes the same variables as parameters.
  HttpResult created =
      Send(*o.client, "POST", "/api/v1/templates", owner.token,
           json::value{{"name", "Happy day"},
                       {"category", "occasion"},
                       {"body", "Happy {{occasion.name}}, {{contact.firstName}}! 🎉"},
                       {"whatsapp",
                        {{"name", "occasion_greeting"},
                         {"language", "en_US"},
                         {"components", json::array{json::object{
                                            {"type", "body"},
                                            {"parameters", json::array{"{{contact.firstName}}",
                                                                       "{{occasion.name}}"}}}}}}}});
  INFO(created.body);
  REQUIRE(created.status == 200);
  const std::string template_id = Str(Json(created).at("id"));

  Customer aiko = WroteTwoDaysAgo(o, owner, "Aiko");
  Customer noah = WroteTwoDaysAgo(o, owner, "Noah");
  Customer lena = WroteTwoDaysAgo(o, owner, "Lena");
  Customer omar = WroteTwoDaysAgo(o, owner, "Omar");
  Customer emma = WroteTwoDaysAgo(o, owner, "Emma");

  // Today in Tokyo and in New York, the send minute begun less than a minute ago: due now.
  const int64_t now = Now();
  const std::string tokyo = ZoneWithTimeLeft("Asia/Tokyo", "Asia/Kolkata", now);
  const std::string new_york = ZoneWithTimeLeft("America/New_York", "Europe/London", now);
  SetDate(o, owner, aiko, DateAt("birthday", "Birthday", tokyo, now, template_id));
  SetDate(o, owner, noah, DateAt("anniversary", "", new_york, now, template_id));
  // Later today: the first zone where an hour from now is still today.
  std::string later_zone;
  for (const char* zone : {"Europe/Paris", "America/Los_Angeles", "Pacific/Auckland",
                           "Asia/Kolkata", "America/Sao_Paulo"}) {
    if (LocalAt(now, zone).minute_of_day < 22 * 60) {
      later_zone = zone;
      break;
    }
  }
  REQUIRE_FALSE(later_zone.empty());
  const int64_t later_ms = now + 3600'000;
  json::object later =
      SetDate(o, owner, lena, DateAt("birthday", "Birthday", later_zone, later_ms, template_id));
  // Due now too, but the date is opted out.
  json::object opted_out =
      SetDate(o, owner, omar, DateAt("birthday", "Birthday", tokyo, now, template_id, true));
  CHECK(Field(opted_out, "nextSendAt").empty());

  // Aiko and Noah get their greeting: the approved template (outside the window), its
  // parameters rendered for each.
  REQUIRE(WaitFor(
      [&] {
        return !Field(ImportantDate(o, owner, aiko), "lastSentAt").empty() &&
               !Field(ImportantDate(o, owner, noah), "lastSentAt").empty();
      },
      kWait));
  const int64_t greeted = Now();
  struct Expected {
    const Customer* customer;
    std::string occasion;
    std::string zone;
  };
  for (const auto& e :
       std::vector<Expected>{{&aiko, "Birthday", tokyo}, {&noah, "anniversary", new_york}}) {
    INFO(e.customer->first_name);
    auto sent = Greetings(o.graph, *e.customer);
    REQUIRE(sent.size() == 1);
    CHECK(sent.front().id == o.phone_number_id);
    CHECK(sent.front().authorization == "Bearer " + o.token);
    const SentTemplate t = TemplateOf(sent.front());
    CHECK(t.name == "occasion_greeting");
    CHECK(t.language == "en_US");
    CHECK(t.parameters == std::vector<std::string>{e.customer->first_name, e.occasion});
    // The inbox shows the greeting once, as the template's text rendered for the contact.
    json::array greetings = SystemMessages(o, owner, *e.customer);
    REQUIRE(greetings.size() == 1);
    CHECK(Str(greetings.at(0).at("content")) ==
          "Happy " + e.occasion + ", " + e.customer->first_name + "! 🎉");
    CHECK(Str(greetings.at(0).at("deliveryStatus")) == "sent");
    json::object date = ImportantDate(o, owner, *e.customer);
    auto last = salesos::ParseRfc3339Millis(Field(date, "lastSentAt"));
    REQUIRE(last.has_value());
    CHECK(*last >= now - kMinuteMs);
    CHECK(*last <= greeted);
    CheckNextYear(date, e.zone, now);
  }
  // Lena's is later today: nothing sent, next send at her time today; Omar's opted-out date
  // nothing at all.
  CHECK(Greetings(o.graph, lena).empty());
  json::object lena_date = ImportantDate(o, owner, lena);
  CHECK(Field(lena_date, "lastSentAt").empty());
  CHECK(salesos::ParseRfc3339Millis(Field(lena_date, "nextSendAt")) ==
        salesos::FloorDiv(later_ms, kMinuteMs) * kMinuteMs);
  CHECK(Str(later.at("nextSendAt")) == Field(lena_date, "nextSendAt"));
  CHECK(Greetings(o.graph, omar).empty());
  json::object omar_date = ImportantDate(o, owner, omar);
  CHECK(Field(omar_date, "lastSentAt").empty());
  CHECK(Field(omar_date, "nextSendAt").empty());
  CHECK(Greetings(o.graph, "").size() == 2);

  // The restart at the send minute: Emma's greeting is due now and in flight — Graph holds it —
  // when conversation is killed. Aiko's and Noah's (sent this minute) must not go again.
  o.graph.Hold(true);
  const int64_t restart_minute = Now();
  const std::string emma_zone = ZoneWithTimeLeft("America/New_York", "Europe/London", Now());
  SetDate(o, owner, emma, DateAt("birthday", "Birthday", emma_zone, restart_minute, template_id));
  REQUIRE(WaitFor([&] { return Greetings(o.graph, emma).size() == 1; }, kWait));
  o.graph.Hold(false);  // what comes after the kill is answered
  o.suite->Restart("conversation");
  o.graph.ReleaseHeld();  // the held request's client is gone: it was never answered

  // The restarted service takes Emma's greeting over once its lease ends and sends it once more
  // (the first attempt's outcome was never known); nothing else goes out.
  REQUIRE(
      WaitFor([&] { return !Field(ImportantDate(o, owner, emma), "lastSentAt").empty(); }, kWait));
  auto emma_sent = Greetings(o.graph, emma);
  REQUIRE(emma_sent.size() == 2);
  CHECK(TemplateOf(emma_sent.back()).parameters == std::vector<std::string>{"Emma", "Birthday"});
  json::array emma_greetings = SystemMessages(o, owner, emma);
  REQUIRE(emma_greetings.size() == 1);
  CHECK(Str(emma_greetings.at(0).at("deliveryStatus")) == "sent");
  CheckNextYear(ImportantDate(o, owner, emma), emma_zone, restart_minute);
  // The restarted scheduler has run (Emma's went out through it): Aiko and Noah still have
  // one greeting each, Lena and Omar none.
  CHECK(Greetings(o.graph, aiko).size() == 1);
  CHECK(Greetings(o.graph, noah).size() == 1);
  CHECK(SystemMessages(o, owner, aiko).size() == 1);
  CHECK(SystemMessages(o, owner, noah).size() == 1);
  CHECK(Greetings(o.graph, lena).empty());
  CHECK(Greetings(o.graph, omar).empty());
  CHECK(Greetings(o.graph, "").size() == 4);
  CHECK(Field(ImportantDate(o, owner, omar), "nextSendAt").empty());
  CHECK(salesos::ParseRfc3339Millis(Field(ImportantDate(o, owner, lena), "nextSendAt")) ==
        salesos::FloorDiv(later_ms, kMinuteMs) * kMinuteMs);
}

}  // namespace

TEST_CASE(
    "occasions: important dates are greeted at their send time in two zones, once, and a "
    "restart at the send minute sends nothing twice",
    "[integration][occasions]") {
  GreetsAcrossZonesAndSurvivesARestart();
}
