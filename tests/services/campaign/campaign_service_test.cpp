// CampaignServiceImpl's versions without gRPC: the ETag of a campaign, the If-Match header read
// as the version an update replaces (with expectedUpdateTime), and DoUpdate honouring it, on
// SQLite. Events go to a Redis that is not there (a publish failure does not fail a change).

#include "campaign_service.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "campaign_lib_migrations.h"
#include "salesos/core/ids.h"
#include "support/databases.h"

namespace salesos::campaign {
namespace {

using Version = std::optional<std::string>;

constexpr char kTime[] = "2026-11-21T06:30:00.123Z";

Version Expect(const Version& if_match, const std::string& expected_update_time = "") {
  auto r = ExpectedVersion(if_match, expected_update_time);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

std::string RefusedField(const Version& if_match, const std::string& expected_update_time = "") {
  auto r = ExpectedVersion(if_match, expected_update_time);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  REQUIRE(r.status().violations().size() == 1);
  return r.status().violations().front().field;
}

TEST_CASE("If-Match names the updatedAt in quotes, or any version with *",
          "[campaign][service][versions]") {
  const std::string tag = std::string("\"") + kTime + "\"";
  CHECK(Expect(std::nullopt) == std::nullopt);
  CHECK(Expect(std::nullopt, kTime) == Version(kTime));
  CHECK(Expect(tag) == Version(kTime));
  CHECK(Expect(" \t" + tag + " ") == Version(kTime));
  CHECK(Expect("*") == std::nullopt);
  CHECK(Expect(" * ") == std::nullopt);
  // Well-formed but no campaign's: a version that will not match (409), not a 400.
  CHECK(Expect("\"\"") == Version(""));
  CHECK(Expect("\"made-up\"") == Version("made-up"));
  // The header and the field may both come when they say the same.
  CHECK(Expect(tag, kTime) == Version(kTime));
}

TEST_CASE("a malformed If-Match, or one that contradicts expectedUpdateTime, is 400 naming it",
          "[campaign][service][versions]") {
  const std::string tag = std::string("\"") + kTime + "\"";
  for (const std::string& bad :
       std::vector<std::string>{"", " ", "garbage", kTime, "\"unclosed", "unopened\"", "\"",
                                "W/\"" + std::string(kTime) + "\"", tag + ", \"other\"",
                                "\"with space\"", "**", "\"caf\xc3\xa9\""}) {
    INFO("If-Match: [" << bad << "]");
    CHECK(RefusedField(bad) == "If-Match");
  }
  CHECK(RefusedField(tag, "2026-11-21T06:30:00.124Z") == "If-Match");
  CHECK(RefusedField("*", kTime) == "If-Match");
}

TEST_CASE("the ETag of a campaign is its updatedAt in double quotes",
          "[campaign][service][versions]") {
  v1::Campaign c;
  c.set_updated_at(kTime);
  CHECK(CampaignEtag(c) == std::string("\"") + kTime + "\"");
  // Whatever ETag a campaign has, If-Match reads it back as that version.
  CHECK(Expect(CampaignEtag(c)) == Version(kTime));
}

struct Fixture {
  testing::SqliteDatabase db{campaign_lib_migrations()};
  redis::ClientPtr nowhere = *redis::Connect("redis://127.0.0.1:1");
  rpc::EventPublisher events{nowhere, "campaign"};
  rpc::WorkPool pool{1};
  CampaignServiceImpl service{db.store(), events, pool};
  rpc::Caller admin = MakeAdmin();

  static rpc::Caller MakeAdmin() {
    rpc::Caller c;
    c.user_id = NewUuidV7();
    c.workspace_id = NewUuidV7();
    c.role = "admin";
    c.token_type = "access";
    return c;
  }

  v1::Campaign Create() {
    v1::Campaign req;
    req.set_name("Spring lamps");
    v1::Campaign resp;
    Status st = service.DoCreate(admin, req, &resp);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return resp;
  }

  Status Rename(const std::string& id, const std::string& name, const Version& if_match,
                v1::Campaign* resp, const std::string& expected_update_time = "") {
    v1::UpdateCampaignRequest req;
    req.set_id(id);
    req.mutable_campaign()->set_name(name);
    req.set_expected_update_time(expected_update_time);
    return service.DoUpdate(admin, req, resp, if_match);
  }
};

TEST_CASE("an update with If-Match writes only over the version it names",
          "[campaign][service][versions]") {
  Fixture f;
  v1::Campaign created = f.Create();
  const std::string first = CampaignEtag(created);

  v1::Campaign renamed;
  Status st = f.Rename(created.id(), "Summer lamps", first, &renamed);
  INFO(st.ToString());
  REQUIRE(st.ok());
  CHECK(renamed.name() == "Summer lamps");
  CHECK(CampaignEtag(renamed) != first);

  // The ETag read before that write is stale now: 409, nothing written.
  v1::Campaign resp;
  CHECK(f.Rename(created.id(), "Autumn lamps", first, &resp).code() == Code::kAborted);
  CHECK(f.Rename(created.id(), "Autumn lamps", Version("\"made-up\""), &resp).code() ==
        Code::kAborted);
  v1::Campaign now;
  REQUIRE(f.service.DoGet(f.admin, created.id(), &now).ok());
  CHECK(now.name() == "Summer lamps");
  CHECK(CampaignEtag(now) == CampaignEtag(renamed));

  // *: any version of a campaign that exists.
  REQUIRE(f.Rename(created.id(), "Any lamps", Version("*"), &resp).ok());
  CHECK(resp.name() == "Any lamps");
  CHECK(f.Rename(NewUuidV7(), "Nobody's", Version("*"), &resp).code() == Code::kNotFound);

  // Malformed, or disagreeing with expectedUpdateTime: 400 before anything is read or written.
  Status garbage = f.Rename(created.id(), "Bad lamps", Version("garbage"), &resp);
  CHECK(garbage.code() == Code::kInvalidArgument);
  REQUIRE(garbage.violations().size() == 1);
  CHECK(garbage.violations().front().field == "If-Match");
  CHECK(
      f.Rename(created.id(), "Bad lamps", CampaignEtag(resp), &resp, created.updated_at()).code() ==
      Code::kInvalidArgument);
  // Agreeing, both are fine.
  v1::Campaign last = resp;
  REQUIRE(f.Rename(created.id(), "Last lamps", CampaignEtag(last), &resp, last.updated_at()).ok());
  REQUIRE(f.service.DoGet(f.admin, created.id(), &now).ok());
  CHECK(now.name() == "Last lamps");
}

}  // namespace
}  // namespace salesos::campaign
