// Broadcasts through the real suite (issue 9's must-show): 10,000 contacts imported by CSV, a
// WhatsApp broadcast with an approved template at 200 messages a second to a local Graph API
// server. Shown: the observed send rate over a steady stretch never exceeds the configured one
// by more than 5%; a burst of 130429 refusals is absorbed (every recipient still sent); campaign
// killed with SIGKILL mid-broadcast and restarted finishes the rest; nobody gets two messages
// (counted at Graph); signed WhatsApp status webhooks move the delivered and read counters. Also
// the refusals at creation (free text outside the 24-hour window).
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "salesos/core/time.h"
#include "support/api.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kContacts = 10000;
constexpr int kRate = 200;

HttpResult PostCsv(HttpClient& client, const std::string& path, const std::string& token,
                   const std::string& csv) {
  std::string request = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                        "Authorization: Bearer " + token + "\r\nContent-Type: text/csv\r\n" +
                        "Content-Length: " + std::to_string(csv.size()) + "\r\n\r\n" + csv;
  std::string raw = client.Raw(request);
  HttpResult r;
  size_t space = raw.find(' ');
  if (space != std::string::npos) {
    r.status = std::atoi(raw.c_str() + space + 1);
  }
  size_t end = raw.find("\r\n\r\n");
  if (end != std::string::npos) {
    r.body = raw.substr(end + 4);
  }
  return r;
}

int64_t N(const json::value& v, const char* key) {
  const auto* o = v.as_object().if_contains(key);
  return o == nullptr ? 0 : o->to_number<int64_t>();
}

// Polls until `done` holds (bounded); whether it did.
bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds bound) {
  auto until = SteadyClock::now() + bound;
  while (SteadyClock::now() < until) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

json::value GetBroadcast(HttpClient& http, const Account& owner, const std::string& id) {
  HttpResult r = Send(http, "GET", "/api/v1/broadcasts/" + id, owner.token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return Json(r);
}

// The workspace's contacts: "Name<i>" with WhatsApp numbers 4477009<i>, imported by CSV.
void ImportContacts(HttpClient& http, const Account& owner, int n) {
  std::string csv = "First Name,Phone\r\n";
  for (int i = 0; i < n; ++i) {
    csv += "Name" + std::to_string(i) + ",+4477009" + std::to_string(10000 + i) + "\r\n";
  }
  HttpResult queued = PostCsv(http, "/api/v1/contacts/import", owner.token, csv);
  INFO(queued.body.substr(0, 500));
  REQUIRE(queued.status == 200);
  std::string job_id = Str(Json(queued).at("id"));
  json::value job;
  bool done = WaitUntil(
      [&] {
        HttpResult r = http.Get("/api/v1/jobs/" + job_id, owner.token);
        if (r.status != 200) {
          return false;
        }
        job = Json(r);
        return Str(job.at("status")) == "succeeded" || Str(job.at("status")) == "failed";
      },
      std::chrono::seconds(120));
  INFO(json::serialize(job).substr(0, 1000));
  REQUIRE(done);
  REQUIRE(Str(job.at("status")) == "succeeded");
  REQUIRE(N(job, "created") == n);
}

json::object Template() {
  return json::object{
      {"name", "winter_sale"},
      {"language", "en_US"},
      {"components", json::array{json::object{
                         {"type", "body"}, {"parameters", json::array{"{{contact.firstName}}"}}}}}};
}

json::object Everyone() {
  return json::object{
      {"op", "and"},
      {"conditions",
       json::array{json::object{{"field", "phone"}, {"operator", "exists"}, {"value", true}}}}};
}

}  // namespace

TEST_CASE(
    "broadcasts: ten thousand recipients keep the rate, absorb 130429, survive SIGKILL and "
    "nobody gets two",
    "[integration][broadcast]") {
  FakeGraphApi graph;
  Suite suite(MetaSuiteOptions(
      {"SALESOS_GRAPH_API_BASE=" + graph.base_url(), "SALESOS_BROADCAST_LEASE_MS=2000",
       "SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"}));
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http, "Winter Shop");
  const std::string phone_number_id = NewMetaId();
  const std::string token = "EAAbroadcast" + phone_number_id;
  graph.AcceptToken(phone_number_id, token);
  std::string integration_id = ConnectChannel(http, owner, "whatsapp", phone_number_id, token);
  ImportContacts(http, owner, kContacts);
  HttpResult campaign =
      Send(http, "POST", "/api/v1/campaigns", owner.token, json::object{{"name", "Winter sale"}});
  REQUIRE(campaign.status == 200);
  const std::string campaign_id = Str(Json(campaign).at("id"));
  const std::string path = "/api/v1/campaigns/" + campaign_id + "/broadcasts";

  // Free text cannot reach contacts outside the window (none of them ever wrote).
  HttpResult text = Send(http, "POST", path, owner.token,
                         json::object{{"rules", Everyone()},
                                      {"text", "Hi {{contact.firstName}}"},
                                      {"integrationId", integration_id}});
  INFO(text.body);
  CHECK(text.status == 412);
  CHECK(ErrorMessage(text).find("10000 contacts") != std::string::npos);
  CHECK(ErrorMessage(text).find("approved WhatsApp template") != std::string::npos);
  CHECK(graph.request_count() == 0);

  HttpResult created = Send(http, "POST", path, owner.token,
                            json::object{{"name", "Winter blast"},
                                         {"rules", Everyone()},
                                         {"template", Template()},
                                         {"integrationId", integration_id},
                                         {"ratePerSecond", kRate}});
  INFO(created.body);
  REQUIRE(created.status == 200);
  const std::string id = Str(Json(created).at("id"));

  // The steady part: sample Graph's request count against time from 1,000 to 3,000 sends.
  std::vector<std::pair<SteadyClock::time_point, size_t>> samples;
  REQUIRE(graph.WaitForRequests(1000, 60000));
  while (true) {
    size_t n = graph.request_count();
    samples.emplace_back(SteadyClock::now(), n);
    if (n >= 3000) {
      break;
    }
    REQUIRE(samples.size() < 2000);  // bounded: 100 s at 50 ms
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  double seconds =
      std::chrono::duration<double>(samples.back().first - samples.front().first).count();
  double observed = static_cast<double>(samples.back().second - samples.front().second) / seconds;
  WARN("observed send rate " << observed << "/s at " << kRate << "/s configured");
  // Never faster than asked (Meta's throughput limits): the throttle's promise. How close it
  // gets from below is a speed figure, measured by salesos-bench-broadcast (bench/RESULTS.md),
  // not asserted here: with other tests sharing two cores and one disk it varies (on PostgreSQL,
  // where each send commits three times, 91/s beside the import test, 197/s alone). That it
  // keeps sending is shown by every recipient being sent within the bound below.
  CHECK(observed <= kRate * 1.05);

  // A burst of throughput refusals: absorbed.
  constexpr int kRefused = 3;
  graph.FailNext(kRefused, 400, 130429, "(#130429) Rate limit hit");
  REQUIRE(graph.WaitForRequests(5000, 60000));

  // The campaign process dies mid-broadcast and comes back.
  suite.Restart("campaign");
  json::value done;
  bool completed = WaitUntil(
      [&] {
        done = GetBroadcast(http, owner, id);
        return Str(done.at("status")) == "completed";
      },
      std::chrono::seconds(120));
  INFO(json::serialize(done));
  REQUIRE(completed);
  CHECK(N(done, "total") == kContacts);
  CHECK(N(done, "sent") == kContacts);
  CHECK(N(done, "failed") == 0);
  CHECK(N(done, "queued") == 0);

  // The status changes (created, started, completed) went to salesos:events.
  CHECK(CountEvents(suite, "broadcast.updated", owner.workspace_id) >= 3);

  // Nobody got two messages: each number once, plus the refused tries made again.
  auto requests = graph.Requests();
  std::map<std::string, int> per_recipient;
  for (const auto& r : requests) {
    CHECK(r.type == "template");
    per_recipient[r.recipient] += 1;
  }
  CHECK(per_recipient.size() == static_cast<size_t>(kContacts));
  CHECK(requests.size() == static_cast<size_t>(kContacts + kRefused));
  int twice = 0;
  for (const auto& [to, n] : per_recipient) {
    twice += n > 1 ? 1 : 0;
  }
  CHECK(twice <= kRefused);  // only refused ones were tried again

  // Receipts: WhatsApp statuses for some messages move the counters.
  HttpResult page =
      Send(http, "GET", "/api/v1/broadcasts/" + id + "/recipients?pageSize=20", owner.token);
  REQUIRE(page.status == 200);
  auto recipients = Json(page).at("recipients").as_array();
  REQUIRE(recipients.size() == 20);
  const int64_t now = salesos::NowUnixMillis();
  for (size_t i = 0; i < 20; ++i) {
    const auto& r = recipients[i];
    std::string wamid = Str(r.at("platformMessageId"));
    std::string wa_id = Str(r.at("address"));
    REQUIRE(!wamid.empty());
    CHECK(PostMetaWebhook(
              http, WhatsAppStatusBody(phone_number_id, wamid, wa_id, "delivered", now + 1000))
              .status == 200);
    if (i < 8) {
      CHECK(PostMetaWebhook(http,
                            WhatsAppStatusBody(phone_number_id, wamid, wa_id, "read", now + 2000))
                .status == 200);
    }
  }
  bool counted = WaitUntil(
      [&] {
        done = GetBroadcast(http, owner, id);
        return N(done, "delivered") == 20 && N(done, "read") == 8;
      },
      std::chrono::seconds(30));
  INFO(json::serialize(done));
  CHECK(counted);
  HttpResult read =
      Send(http, "GET", "/api/v1/broadcasts/" + id + "/recipients?status=read", owner.token);
  REQUIRE(read.status == 200);
  CHECK(Json(read).at("recipients").as_array().size() == 8);
}
