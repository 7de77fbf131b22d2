// The workspace end to end: members and roles, two workspaces kept apart, onboarding and its
// event, export and deletion; all seven processes and a real Redis, over HTTP.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "salesos/core/ids.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

HttpResult CreateMember(HttpClient& client, const std::string& token, const std::string& email,
                        const std::string& role, const std::string& password = kTestPassword) {
  return client.Post(
      "/api/v1/workspace/members",
      json::serialize(json::object{
          {"email", email}, {"name", "Member " + role}, {"role", role}, {"password", password}}),
      token);
}

HttpResult PatchRole(HttpClient& client, const std::string& token, const std::string& id,
                     const std::string& role) {
  return Send(client, "PATCH", "/api/v1/workspace/members/" + id, token,
              json::serialize(json::object{{"role", role}}));
}

HttpResult DeleteMember(HttpClient& client, const std::string& token, const std::string& id) {
  return Send(client, "DELETE", "/api/v1/workspace/members/" + id, token);
}

// Every member id of the caller's workspace, following the pages.
std::vector<std::string> MemberIds(HttpClient& client, const std::string& token,
                                   int page_size = 2) {
  std::vector<std::string> ids;
  std::string page_token;
  for (int pages = 0; pages < 20; ++pages) {
    HttpResult r = client.Get("/api/v1/workspace/members?pageSize=" + std::to_string(page_size) +
                                  (page_token.empty() ? "" : "&pageToken=" + page_token),
                              token);
    REQUIRE(r.status == 200);
    auto body = Json(r);
    CHECK(body.at("members").as_array().size() <= static_cast<size_t>(page_size));
    for (const auto& m : body.at("members").as_array()) {
      ids.push_back(Str(m.at("id")));
    }
    page_token = Str(body.at("nextPageToken"));
    if (page_token.empty()) {
      return ids;
    }
  }
  FAIL("the member list never ended");
  return ids;
}

void MembersAndRoles(Suite& suite) {
  auto client = suite.Client();
  Account owner = Register(*client, "Olive's Oils");

  // The owner creates an agent and a viewer; both sign in with the role they were given.
  std::string agent_email = UniqueEmail("agent");
  HttpResult created = CreateMember(*client, owner.token, agent_email, "agent");
  REQUIRE(created.status == 200);
  auto member = Json(created);
  CHECK(Str(member.at("email")) == agent_email);
  CHECK(Str(member.at("role")) == "agent");
  CHECK_FALSE(Str(member.at("id")).empty());
  CHECK_FALSE(Str(member.at("createdAt")).empty());
  CHECK(created.body.find("password") == std::string::npos);
  HttpResult agent_login = Login(*client, agent_email);
  REQUIRE(agent_login.status == 200);
  Account agent = FromAuthResponse(agent_email, agent_login);
  CHECK(agent.user_id == Str(member.at("id")));
  CHECK(Str(Json(agent_login).at("user").at("role")) == "agent");
  Account viewer = AddMember(*client, owner, "viewer");

  // Bad input names the field; a taken email in another letter case is 409.
  HttpResult bad_role = CreateMember(*client, owner.token, UniqueEmail("x"), "boss");
  CHECK(bad_role.status == 400);
  CHECK(ErrorField(bad_role) == "role");
  CHECK_THAT(Str(Json(bad_role).at("error").at("message")),
             Catch::Contains("owner, admin, agent, viewer"));
  HttpResult bad_email = CreateMember(*client, owner.token, "not-an-email", "agent");
  CHECK(bad_email.status == 400);
  CHECK(ErrorField(bad_email) == "email");
  HttpResult short_password =
      CreateMember(*client, owner.token, UniqueEmail("x"), "agent", "short");
  CHECK(short_password.status == 400);
  CHECK(ErrorField(short_password) == "password");
  std::string upper = agent_email;
  for (auto& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  HttpResult taken = CreateMember(*client, owner.token, upper, "viewer");
  CHECK(taken.status == 409);
  CHECK(ErrorCode(taken) == "ALREADY_EXISTS");

  // Roles: agents and viewers cannot manage members, any member lists them; an admin cannot
  // make owners.
  CHECK(CreateMember(*client, agent.token, UniqueEmail("x"), "viewer").status == 403);
  CHECK(CreateMember(*client, viewer.token, UniqueEmail("x"), "viewer").status == 403);
  Account admin = AddMember(*client, owner, "admin");
  HttpResult admin_makes_owner = CreateMember(*client, admin.token, UniqueEmail("x"), "owner");
  CHECK(admin_makes_owner.status == 403);
  CHECK(ErrorCode(admin_makes_owner) == "PERMISSION_DENIED");
  CHECK(PatchRole(*client, admin.token, agent.user_id, "owner").status == 403);
  CHECK(PatchRole(*client, admin.token, owner.user_id, "admin").status == 403);

  // The list: four members, in id order, over pages of two; page sizes past 200 are refused.
  std::vector<std::string> ids = MemberIds(*client, viewer.token);
  std::vector<std::string> expected{owner.user_id, agent.user_id, viewer.user_id, admin.user_id};
  std::sort(expected.begin(), expected.end());
  CHECK(ids == expected);
  CHECK(MemberIds(*client, owner.token, 200) == expected);
  HttpResult too_big = client->Get("/api/v1/workspace/members?pageSize=201", owner.token);
  CHECK(too_big.status == 400);
  CHECK(ErrorField(too_big) == "pageSize");
  HttpResult bad_token = client->Get("/api/v1/workspace/members?pageToken=garbage", owner.token);
  CHECK(bad_token.status == 400);
  CHECK(ErrorField(bad_token) == "pageToken");
  HttpResult all = client->Get("/api/v1/workspace/members", owner.token);
  REQUIRE(all.status == 200);
  CHECK(Str(Json(all).at("nextPageToken")).empty());
  CHECK(all.body.find("password") == std::string::npos);

  // A role change: the viewer becomes an agent (its next login says so).
  HttpResult promoted = PatchRole(*client, owner.token, viewer.user_id, "agent");
  REQUIRE(promoted.status == 200);
  CHECK(Str(Json(promoted).at("role")) == "agent");
  HttpResult relogin = Login(*client, viewer.email);
  REQUIRE(relogin.status == 200);
  CHECK(Str(Json(relogin).at("user").at("role")) == "agent");
  HttpResult unknown_role = PatchRole(*client, owner.token, viewer.user_id, "chief");
  CHECK(unknown_role.status == 400);
  CHECK(ErrorField(unknown_role) == "role");
  CHECK(PatchRole(*client, owner.token, salesos::NewUuidV7(), "agent").status == 404);

  // A demoted admin's old token no longer manages members: its session ended (401), or its
  // current role is checked (403).
  REQUIRE(PatchRole(*client, owner.token, admin.user_id, "agent").status == 200);
  int stale = CreateMember(*client, admin.token, UniqueEmail("x"), "viewer").status;
  CHECK((stale == 401 || stale == 403));

  // The last owner can be neither demoted nor removed, not even by themself.
  HttpResult demote_last = PatchRole(*client, owner.token, owner.user_id, "admin");
  CHECK(demote_last.status == 412);
  CHECK(ErrorCode(demote_last) == "FAILED_PRECONDITION");
  CHECK_THAT(Str(Json(demote_last).at("error").at("message")), Catch::Contains("last owner"));
  HttpResult remove_last = DeleteMember(*client, owner.token, owner.user_id);
  CHECK(remove_last.status == 412);
  CHECK(ErrorCode(remove_last) == "FAILED_PRECONDITION");
  CHECK(client->Get("/api/v1/auth/me", owner.token).status == 200);

  // Removing a member ends its account: no login, and its token is refused.
  REQUIRE(DeleteMember(*client, owner.token, agent.user_id).status == 200);
  CHECK(Login(*client, agent.email).status == 401);
  CHECK(client->Get("/api/v1/auth/me", agent.token).status == 401);
  CHECK(DeleteMember(*client, owner.token, agent.user_id).status == 404);

  // Ownership moves: the former viewer (now agent) becomes owner, the owner an admin.
  HttpResult transfer =
      client->Post("/api/v1/workspace/transfer-ownership",
                   json::serialize(json::object{{"userId", viewer.user_id}}), owner.token);
  REQUIRE(transfer.status == 200);
  HttpResult new_owner = Login(*client, viewer.email);
  REQUIRE(new_owner.status == 200);
  CHECK(Str(Json(new_owner).at("user").at("role")) == "owner");
  HttpResult old_owner = Login(*client, owner.email);
  REQUIRE(old_owner.status == 200);
  CHECK(Str(Json(old_owner).at("user").at("role")) == "admin");
  // The old owner's token of before is no owner's any more.
  int exported = client->Get("/api/v1/workspace/export", owner.token).status;
  CHECK((exported == 401 || exported == 403));

  // A member (not the last owner) may remove themself.
  Account former_owner = FromAuthResponse(owner.email, old_owner);
  REQUIRE(DeleteMember(*client, former_owner.token, former_owner.user_id).status == 200);
  CHECK(Login(*client, owner.email).status == 401);
  std::string new_owner_token = Str(Json(new_owner).at("accessToken"));
  std::vector<std::string> left = MemberIds(*client, new_owner_token);
  std::vector<std::string> expected_left{viewer.user_id, admin.user_id};
  std::sort(expected_left.begin(), expected_left.end());
  CHECK(left == expected_left);
}

}  // namespace

TEST_CASE("members: an owner adds members who sign in, roles change and the last owner stays",
          "[integration][workspace]") {
  Suite suite;
  MembersAndRoles(suite);
}

TEST_CASE("two workspaces: the members of one are 404 from the other", "[integration][workspace]") {
  Suite suite;
  auto client = suite.Client();
  Account a = Register(*client, "A Corp");
  Account b = Register(*client, "B Corp");
  Account a_agent = AddMember(*client, a, "agent");

  for (const std::string& id : {a_agent.user_id, a.user_id}) {
    INFO(id);
    HttpResult patch = PatchRole(*client, b.token, id, "viewer");
    CHECK(patch.status == 404);
    CHECK(ErrorCode(patch) == "NOT_FOUND");
    CHECK(DeleteMember(*client, b.token, id).status == 404);
    CHECK(client
              ->Post("/api/v1/workspace/transfer-ownership",
                     json::serialize(json::object{{"userId", id}}), b.token)
              .status == 404);
  }
  // B's list holds B's owner only; A's members are untouched.
  CHECK(MemberIds(*client, b.token) == std::vector<std::string>{b.user_id});
  CHECK(MemberIds(*client, a.token).size() == 2);
  HttpResult still = Login(*client, a_agent.email);
  REQUIRE(still.status == 200);
  CHECK(Str(Json(still).at("user").at("role")) == "agent");
  // B's onboarding and export show nothing of A.
  REQUIRE(Send(*client, "PUT", "/api/v1/onboarding", a.token,
               R"({"businessInfo":{"businessName":"A Corp","description":"A's secret sauce"}})")
              .status == 200);
  HttpResult b_onboarding = client->Get("/api/v1/onboarding", b.token);
  REQUIRE(b_onboarding.status == 200);
  CHECK(b_onboarding.body.find("secret sauce") == std::string::npos);
  HttpResult b_export = client->Get("/api/v1/workspace/export", b.token);
  REQUIRE(b_export.status == 200);
  CHECK(b_export.body.find(a_agent.email) == std::string::npos);
  CHECK(b_export.body.find("secret sauce") == std::string::npos);
}

TEST_CASE("onboarding: put then get, the event is on the stream, limits answer 400",
          "[integration][workspace]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Olive's Oils");
  Account viewer = AddMember(*client, owner, "viewer");

  HttpResult before = client->Get("/api/v1/onboarding", owner.token);
  REQUIRE(before.status == 200);
  CHECK_FALSE(Json(before).at("onboardingCompleted").as_bool());
  CHECK(Str(Json(before).at("businessInfo").at("businessName")).empty());
  CHECK(CountEvents(suite, "workspace.profile_updated", owner.workspace_id) == 0);

  json::object info{
      {"businessName", "Olive's Oils"},
      {"ownerName", "Olive"},
      {"industry", "Food"},
      {"description", "Cold-pressed olive oil from Crete.\nShips in 2 days."},
      {"website", "https://olive.example.com"},
      {"phone", "+30 (210) 555-0100"},
      {"documents", json::array{json::object{{"name", "Prices"},
                                             {"url", "https://olive.example.com/p"},
                                             {"content", "1 l: 12 EUR"}},
                                json::object{{"name", "FAQ"}, {"content", "Organic? Yes."}}}}};
  std::string body = json::serialize(json::object{{"businessInfo", info}});
  HttpResult put = Send(*client, "PUT", "/api/v1/onboarding", owner.token, body);
  REQUIRE(put.status == 200);
  CHECK(Json(put).at("onboardingCompleted").as_bool());
  CHECK_FALSE(Str(Json(put).at("updatedAt")).empty());

  HttpResult got = client->Get("/api/v1/onboarding", owner.token);
  REQUIRE(got.status == 200);
  auto g = Json(got);
  CHECK(g.at("onboardingCompleted").as_bool());
  CHECK(Str(g.at("updatedAt")) == Str(Json(put).at("updatedAt")));
  CHECK(Str(g.at("businessInfo").at("businessName")) == "Olive's Oils");
  CHECK(Str(g.at("businessInfo").at("description")) == Str(info.at("description")));
  CHECK(Str(g.at("businessInfo").at("phone")) == "+30 (210) 555-0100");
  REQUIRE(g.at("businessInfo").at("documents").as_array().size() == 2);
  CHECK(Str(g.at("businessInfo").at("documents").at(0).at("url")) == "https://olive.example.com/p");
  CHECK(Str(g.at("businessInfo").at("documents").at(1).at("content")) == "Organic? Yes.");
  // The flag is the caller's own: the viewer has not done its onboarding, and may not set the
  // profile, but reads it.
  HttpResult viewer_get = client->Get("/api/v1/onboarding", viewer.token);
  REQUIRE(viewer_get.status == 200);
  CHECK_FALSE(Json(viewer_get).at("onboardingCompleted").as_bool());
  CHECK(Str(Json(viewer_get).at("businessInfo").at("industry")) == "Food");
  CHECK(Send(*client, "PUT", "/api/v1/onboarding", viewer.token, body).status == 403);
  HttpResult me = client->Get("/api/v1/auth/me", owner.token);
  REQUIRE(me.status == 200);
  CHECK(Json(me).at("user").at("onboardingCompleted").as_bool());

  // The AI hears of it.
  CHECK(CountEvents(suite, "workspace.profile_updated", owner.workspace_id) == 1);

  // Limits: 400 naming the field's path; nothing changes.
  json::object long_description = info;
  long_description["description"] = std::string(5001, 'a');
  HttpResult too_long = Send(*client, "PUT", "/api/v1/onboarding", owner.token,
                             json::serialize(json::object{{"businessInfo", long_description}}));
  CHECK(too_long.status == 400);
  CHECK(ErrorCode(too_long) == "INVALID_ARGUMENT");
  CHECK(ErrorField(too_long) == "businessInfo.description");
  json::object long_document = info;
  long_document["documents"] =
      json::array{json::object{{"name", "a"}}, json::object{{"name", "b"}},
                  json::object{{"name", "c"}, {"content", std::string(100001, 'x')}}};
  HttpResult too_long_doc = Send(*client, "PUT", "/api/v1/onboarding", owner.token,
                                 json::serialize(json::object{{"businessInfo", long_document}}));
  CHECK(too_long_doc.status == 400);
  CHECK(ErrorField(too_long_doc) == "businessInfo.documents[2].content");
  json::object bad_site = info;
  bad_site["website"] = "ftp://olive.example.com";
  HttpResult bad_website = Send(*client, "PUT", "/api/v1/onboarding", owner.token,
                                json::serialize(json::object{{"businessInfo", bad_site}}));
  CHECK(bad_website.status == 400);
  CHECK(ErrorField(bad_website) == "businessInfo.website");
  HttpResult missing = Send(*client, "PUT", "/api/v1/onboarding", owner.token, "{}");
  CHECK(missing.status == 400);
  CHECK(ErrorField(missing) == "businessInfo");
  HttpResult after = client->Get("/api/v1/onboarding", owner.token);
  CHECK(Str(Json(after).at("businessInfo").at("description")) == Str(info.at("description")));
  CHECK(CountEvents(suite, "workspace.profile_updated", owner.workspace_id) == 1);
}

TEST_CASE("export has no secrets, and deletion needs the exact name and ends it all",
          "[integration][workspace]") {
  Suite suite;
  auto client = suite.Client();
  Account owner = Register(*client, "Olive's Oils");
  Account agent = AddMember(*client, owner, "agent");
  Account admin = AddMember(*client, owner, "admin");
  Account other = Register(*client, "Other Corp");
  REQUIRE(Send(*client, "PUT", "/api/v1/onboarding", owner.token,
               R"({"businessInfo":{"businessName":"Olive's Oils","industry":"Food"}})")
              .status == 200);

  HttpResult exported = client->Get("/api/v1/workspace/export", owner.token);
  REQUIRE(exported.status == 200);
  auto e = Json(exported);
  CHECK(Str(e.at("workspace").at("id")) == owner.workspace_id);
  CHECK(Str(e.at("workspace").at("name")) == "Olive's Oils");
  CHECK(e.at("members").as_array().size() == 3);
  CHECK(Str(e.at("businessInfo").at("industry")) == "Food");
  CHECK(e.at("integrations").as_array().empty());
  CHECK_FALSE(Str(e.at("exportedAt")).empty());
  CHECK_FALSE(Str(e.at("createdAt")).empty());
  CHECK(exported.body.find(agent.email) != std::string::npos);
  CHECK(exported.body.find("password") == std::string::npos);
  CHECK(exported.body.find("argon2") == std::string::npos);
  CHECK(client->Get("/api/v1/workspace/export", admin.token).status == 403);
  CHECK(client->Get("/api/v1/workspace/export", agent.token).status == 403);

  // Only the owner deletes, and only with the exact name; a wrong one deletes nothing.
  CHECK(Send(*client, "DELETE", "/api/v1/workspace", admin.token, R"({"confirm":"Olive's Oils"})")
            .status == 403);
  for (const char* wrong :
       {R"({"confirm":"olive's oils"})", R"({"confirm":"Olive's Oils "})", R"({})"}) {
    INFO(wrong);
    HttpResult refused = Send(*client, "DELETE", "/api/v1/workspace", owner.token, wrong);
    CHECK(refused.status == 400);
    CHECK(ErrorField(refused) == "confirm");
  }
  CHECK(client->Get("/api/v1/auth/me", owner.token).status == 200);
  CHECK(Login(*client, agent.email).status == 200);
  CHECK(client->Get("/api/v1/workspace/export", owner.token).status == 200);
  CHECK(CountEvents(suite, "workspace.deleted", owner.workspace_id) == 0);

  HttpResult deleted =
      Send(*client, "DELETE", "/api/v1/workspace", owner.token, R"({"confirm":"Olive's Oils"})");
  REQUIRE(deleted.status == 200);
  CHECK(Login(*client, owner.email).status == 401);
  CHECK(Login(*client, agent.email).status == 401);
  CHECK(client->Get("/api/v1/auth/me", owner.token).status == 401);
  CHECK(client->Get("/api/v1/auth/me", agent.token).status == 401);
  CHECK(client->Get("/api/v1/workspace/members", owner.token).status == 401);
  CHECK(CountEvents(suite, "workspace.deleted", owner.workspace_id) == 1);

  // The other workspace lives on, and the freed email signs up again.
  CHECK(client->Get("/api/v1/auth/me", other.token).status == 200);
  CHECK(client->Get("/api/v1/workspace/export", other.token).status == 200);
  CHECK(client
            ->Post("/api/v1/auth/register",
                   json::serialize(json::object{{"email", owner.email},
                                                {"password", kTestPassword},
                                                {"name", "Olive Again"},
                                                {"businessName", "Olive's Oils"}}))
            .status == 200);
}
