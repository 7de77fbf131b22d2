// The data manager (docs/data-admin.md) end to end: the real suite, data made through the API
// (accounts, a connected channel, a campaign) and signed webhooks (contacts, conversations,
// messages, then analytics' rollups), read, searched, paged, deleted, exported and cleared through
// /api/v1/admin/*. Also: roles, another workspace's ids, unknown collections, secrets that never
// show, a superadmin's view of every workspace, and health of every part.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/api.h"
#include "support/meta.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

constexpr auto kWait = std::chrono::seconds(20);

struct DataManager {
  std::string superadmin_email = UniqueEmail("root");
  // The AI waits (60 s, the most it may) longer than a test runs: the only messages are the
  // customers'..
  Suite suite{MetaSuiteOptions(
      {"SALESOS_AI_DEBOUNCE_MS=60000", "SALESOS_SUPERADMIN_EMAILS=" + superadmin_email,
       "SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"})};
  std::unique_ptr<HttpClient> client = suite.Client();
  HttpClient& http = *client;
};

json::object Stats(HttpClient& http, const Account& who, const std::string& query = "") {
  HttpResult r = Send(http, "GET", "/api/v1/admin/data/stats" + query, who.token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return Json(r).as_object();
}

// An int64 as the JSON mapping of protobuf writes it: a string of digits.
int64_t Int(const json::value& v) {
  return v.is_string() ? std::stoll(Str(v)) : v.to_number<int64_t>();
}

int64_t Count(const json::object& stats, const std::string& collection) {
  const auto& counts = stats.at("counts").as_object();
  auto it = counts.find(collection);
  return it == counts.end() ? -1 : Int(it->value());
}

json::array List(HttpClient& http, const Account& who, const std::string& collection,
                 const std::string& query = "", std::string* next = nullptr) {
  HttpResult r = Send(http, "GET", "/api/v1/admin/data/" + collection + query, who.token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  if (next != nullptr) {
    *next = Str(Json(r).at("nextPageToken"));
  }
  return Json(r).at("documents").as_array();
}

// Sums a numeric field over a collection's documents.
int64_t Sum(const json::array& docs, const char* field) {
  int64_t n = 0;
  for (const auto& d : docs) {
    n += static_cast<int64_t>(d.at(field).to_number<double>());
  }
  return n;
}

Account RegisterAs(HttpClient& http, const std::string& email, const std::string& business) {
  HttpResult r =
      http.Post("/api/v1/auth/register", json::serialize(json::object{{"email", email},
                                                                      {"password", kTestPassword},
                                                                      {"name", "Root"},
                                                                      {"businessName", business}}));
  INFO(r.body);
  REQUIRE(r.status == 200);
  return FromAuthResponse(email, r);
}

}  // namespace

TEST_CASE(
    "the data manager shows, searches, deletes, exports and clears only the caller's workspace",
    "[integration][data_admin]") {
  DataManager dm;
  HttpClient& http = dm.http;
  Account owner = Register(http, "Acme Data Co");
  Account admin = AddMember(http, owner, "admin");
  Account agent = AddMember(http, owner, "agent");
  Account viewer = AddMember(http, owner, "viewer");
  Account stranger = Register(http, "Other Co");

  std::string page_id = NewMetaId();
  std::string page_token = "EAA" + salesos::RandomHex(16) + "tokn";
  std::string integration_id = ConnectChannel(http, owner, "facebook", page_id, page_token);
  HttpResult campaign =
      Send(http, "POST", "/api/v1/campaigns", admin.token, json::object{{"name", "Spring lamps"}});
  REQUIRE(campaign.status == 200);

  std::string psid_a = NewMetaId(), psid_b = NewMetaId();
  int64_t now = salesos::NowUnixMillis();
  REQUIRE(PostMetaWebhook(
              http, MessengerTextBody(page_id, psid_a, "m-" + NewMetaId(), "hello, lamps?", now))
              .status == 200);
  REQUIRE(PostMetaWebhook(
              http, MessengerTextBody(page_id, psid_b, "m-" + NewMetaId(), "price please", now + 1))
              .status == 200);

  // Conversations, messages and analytics' rollups arrive through the streams. The rollups are
  // read first: the stats read after them count them too (a stats read before could not).
  json::object stats;
  bool arrived = WaitFor(
      [&] {
        json::array rollups = List(http, admin, "analytics");
        if (Sum(rollups, "messagesReceived") != 2 || Sum(rollups, "conversationsStarted") != 2) {
          return false;
        }
        stats = Stats(http, admin);
        return Count(stats, "conversations") == 2 && Count(stats, "messages") == 2;
      },
      kWait);
  INFO(json::serialize(stats));
  REQUIRE(arrived);
  CHECK(Str(stats.at("workspaceId")) == owner.workspace_id);
  CHECK(Count(stats, "users") == 4);
  CHECK(Count(stats, "integrations") == 1);
  CHECK(Count(stats, "campaigns") == 1);
  CHECK(Count(stats, "templates") == 0);
  CHECK(Count(stats, "contacts") == 2);
  CHECK(Count(stats, "analytics") >= 1);
  CHECK(stats.at("unavailable").as_array().empty());

  SECTION("viewers and agents are refused, admins are not") {
    for (const Account* who : {&viewer, &agent}) {
      CHECK(Send(http, "GET", "/api/v1/admin/data/stats", who->token).status == 403);
      CHECK(Send(http, "GET", "/api/v1/admin/data/conversations", who->token).status == 403);
      CHECK(Send(http, "POST", "/api/v1/admin/data/export", who->token, "{}").status == 403);
      CHECK(Send(http, "GET", "/api/v1/admin/health", who->token).status == 403);
    }
    CHECK(Send(http, "GET", "/api/v1/admin/data/conversations", admin.token).status == 200);
  }

  SECTION("lists page by cursor and search by text") {
    std::string next;
    json::array first = List(http, admin, "conversations", "?pageSize=1", &next);
    REQUIRE(first.size() == 1);
    REQUIRE_FALSE(next.empty());
    json::array second = List(http, admin, "conversations", "?pageSize=1&pageToken=" + next, &next);
    REQUIRE(second.size() == 1);
    CHECK(next.empty());
    CHECK(Str(first[0].at("id")) != Str(second[0].at("id")));

    json::array found = List(http, admin, "contacts", "?q=" + psid_b);
    REQUIRE(found.size() == 1);
    CHECK(Str(found[0].at("platformUserId")) == psid_b);
    CHECK(List(http, admin, "messages", "?q=PRICE").size() == 1);
    CHECK(List(http, admin, "messages", "?q=nothing-like-this").empty());
    CHECK(Send(http, "GET", "/api/v1/admin/data/messages?pageSize=201", admin.token).status == 400);
  }

  SECTION("another workspace's ids and unknown collections are not found") {
    std::string conversation_id = Str(List(http, admin, "conversations")[0].at("id"));
    CHECK(Send(http, "GET", "/api/v1/admin/data/conversations/" + conversation_id, admin.token)
              .status == 200);
    for (const char* method : {"GET", "DELETE"}) {
      HttpResult r =
          Send(http, method, "/api/v1/admin/data/conversations/" + conversation_id, stranger.token);
      CHECK(r.status == 404);
    }
    CHECK(Send(http, "GET", "/api/v1/admin/data/integrations/" + integration_id, stranger.token)
              .status == 404);
    CHECK(List(http, stranger, "conversations").empty());
    CHECK(Count(Stats(http, stranger), "conversations") == 0);

    HttpResult unknown = Send(http, "GET", "/api/v1/admin/data/widgets", admin.token);
    CHECK(unknown.status == 404);
    for (const char* name : {"users", "integrations", "campaigns", "conversations", "messages",
                             "contacts", "analytics"}) {
      CHECK(ErrorMessage(unknown).find(name) != std::string::npos);
    }
    CHECK(Send(http, "GET", "/api/v1/admin/data/widgets/x", admin.token).status == 404);
  }

  SECTION("secrets never show: no password hash, no channel token") {
    std::string seen;
    for (const char* collection : {"users", "integrations"}) {
      seen += Send(http, "GET", std::string("/api/v1/admin/data/") + collection, admin.token).body;
    }
    seen +=
        Send(http, "GET", "/api/v1/admin/data/integrations/" + integration_id, admin.token).body;
    HttpResult exported = Send(http, "POST", "/api/v1/admin/data/export", admin.token, "{}");
    REQUIRE(exported.status == 200);
    seen += exported.body;
    CHECK(seen.find(page_token) == std::string::npos);
    CHECK(seen.find("argon2") == std::string::npos);
    CHECK(seen.find("assword") == std::string::npos);
    CHECK(seen.find("sealed") == std::string::npos);
    CHECK(seen.find(owner.email) != std::string::npos);  // the users are there, redacted
    CHECK(seen.find("credentialsHint") != std::string::npos);
  }

  SECTION("a delete removes the document and its dependants, and its owner says so") {
    json::array conversations = List(http, admin, "conversations");
    std::string id = Str(conversations[0].at("id"));
    CHECK(Send(http, "DELETE", "/api/v1/admin/data/conversations/" + id, agent.token).status ==
          403);
    HttpResult deleted =
        Send(http, "DELETE", "/api/v1/admin/data/conversations/" + id, admin.token);
    INFO(deleted.body);
    REQUIRE(deleted.status == 200);
    CHECK(Int(Json(deleted).at("removed")) == 2);  // it and its message
    CHECK(Send(http, "GET", "/api/v1/admin/data/conversations/" + id, admin.token).status == 404);
    CHECK(List(http, admin, "messages", "?q=" + id).empty());
    json::object after = Stats(http, admin);
    CHECK(Count(after, "conversations") == 1);
    CHECK(Count(after, "messages") == 1);
    CHECK(CountEvents(dm.suite, "data.deleted", owner.workspace_id) == 1);

    // Users are members: managed elsewhere.
    HttpResult user =
        Send(http, "DELETE", "/api/v1/admin/data/users/" + viewer.user_id, admin.token);
    CHECK(user.status == 412);
  }

  SECTION("the export is one JSON document of the asked collections") {
    HttpResult r = Send(http, "POST", "/api/v1/admin/data/export", admin.token,
                        json::object{{"collections", json::array{"users", "conversations"}}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    json::object doc = Json(r).as_object();
    const auto& collections = doc.at("collections").as_object();
    CHECK(collections.at("users").as_array().size() == 4);
    CHECK(collections.at("conversations").as_array().size() == 2);
    CHECK_FALSE(collections.contains("messages"));
    CHECK(Int(doc.at("counts").at("users")) == 4);
    CHECK(Send(http, "POST", "/api/v1/admin/data/export", admin.token,
               json::object{{"collections", json::array{"widgets"}}})
              .status == 404);
  }

  SECTION("clear-all: owner only, the exact name, users stay and the rest goes") {
    CHECK(Send(http, "POST", "/api/v1/admin/data/clear-all", admin.token,
               json::object{{"confirm", "Acme Data Co"}})
              .status == 403);
    HttpResult wrong = Send(http, "POST", "/api/v1/admin/data/clear-all", owner.token,
                            json::object{{"confirm", "acme data co"}});
    CHECK(wrong.status == 400);
    CHECK(ErrorField(wrong) == "confirm");
    json::object unchanged = Stats(http, owner);
    CHECK(Count(unchanged, "conversations") == 2);
    CHECK(Count(unchanged, "integrations") == 1);

    HttpResult cleared = Send(http, "POST", "/api/v1/admin/data/clear-all", owner.token,
                              json::object{{"confirm", "Acme Data Co"}});
    INFO(cleared.body);
    REQUIRE(cleared.status == 200);
    CHECK(Int(Json(cleared).at("removed").at("conversations")) == 2);
    json::object after = Stats(http, owner);
    CHECK(Count(after, "users") == 4);
    for (const char* name :
         {"integrations", "campaigns", "conversations", "messages", "contacts", "analytics"}) {
      INFO(name);
      CHECK(Count(after, name) == 0);
    }
    // The other workspace and the caller's own account are untouched.
    CHECK(Send(http, "GET", "/api/v1/auth/me", owner.token).status == 200);
    CHECK(Count(Stats(http, stranger), "users") == 1);
  }
}

TEST_CASE("a superadmin sees every workspace's stats, others only their own",
          "[integration][data_admin]") {
  DataManager dm;
  HttpClient& http = dm.http;
  Account root = RegisterAs(http, dm.superadmin_email, "Platform");
  Account a = Register(http, "Alpha");
  Account b = Register(http, "Beta");
  AddMember(http, b, "agent");

  json::object all = Stats(http, root);
  CHECK(Str(all.at("workspaceId")).empty());
  CHECK(Count(all, "users") == 4);
  json::object of_b = Stats(http, root, "?workspaceId=" + b.workspace_id);
  CHECK(Count(of_b, "users") == 2);
  CHECK(
      Send(http, "GET", "/api/v1/admin/data/stats?workspaceId=" + b.workspace_id, a.token).status ==
      403);
  CHECK(Count(Stats(http, a, "?workspaceId=" + a.workspace_id), "users") == 1);
}

TEST_CASE("admin health lists every service, Redis and each database, and a stopped one as down",
          "[integration][data_admin]") {
  DataManager dm;
  HttpClient& http = dm.http;
  Account owner = Register(http, "Healthy Co");
  auto health = [&] {
    HttpResult r = Send(http, "GET", "/api/v1/admin/health", owner.token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    std::map<std::string, std::string> status;
    json::value body = Json(r);
    for (const auto& c : body.at("components").as_array()) {
      status[Str(c.at("name"))] = Str(c.at("status"));
    }
    return std::make_pair(Str(body.at("status")), status);
  };
  auto [overall, parts] = health();
  CHECK(overall == "ok");
  for (const auto& name : Suite::ServiceNames()) {
    INFO(name);
    CHECK(parts[name] == "ok");
  }
  CHECK(parts["redis"] == "ok");
  for (const char* db : {"auth.database", "campaign.database", "conversation.database",
                         "analytics.database", "ai_orchestration.database"}) {
    INFO(db);
    CHECK(parts[db] == "ok");
  }

  dm.suite.process("campaign").Signal(SIGKILL);
  REQUIRE(dm.suite.process("campaign").Wait(kWait).has_value());
  auto [overall_down, parts_down] = health();
  CHECK(overall_down == "degraded");
  CHECK(parts_down["campaign"].rfind("unavailable", 0) == 0);
  CHECK(parts_down["campaign.database"].rfind("unavailable", 0) == 0);
  CHECK(parts_down["conversation"] == "ok");
  json::object stats = Stats(http, owner);
  CHECK(Strings(stats.at("unavailable")) == std::vector<std::string>{"campaign"});
  CHECK(Count(stats, "campaigns") == -1);
  CHECK(Count(stats, "users") == 1);
}
