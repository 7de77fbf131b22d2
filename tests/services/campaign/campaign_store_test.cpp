// CampaignStore against both engines: every check runs as "sqlite: ..." and "postgresql: ...".

#include "campaign_store.h"

#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "campaign_lib_migrations.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/databases.h"

namespace salesos::campaign {
namespace {

using testing::Unwrap;

using google::protobuf::util::MessageDifferencer;

CampaignRecord MakeCampaign(const std::string& workspace_id, const std::string& name) {
  CampaignRecord r;
  r.id = NewUuidV7();
  r.workspace_id = workspace_id;
  r.name = name;
  r.status = "draft";
  r.target_platform = "all";
  r.product.set_name("Desk lamp");
  r.product.set_description("Warm light, \"quoted\" and ünïcode");
  r.product.add_images("https://example.com/a.jpg");
  r.product.add_features("dimmable");
  r.price_minor = 4999;
  r.currency = "USD";
  r.chat_flow.set_greeting("Hi!");
  r.chat_flow.add_qualification_questions("Which room?");
  auto* o = r.chat_flow.add_objection_handling();
  o->set_objection("too expensive");
  o->set_response("ten years of light");
  r.target_audience.mutable_demographics()->set_age_range("25-40");
  r.target_audience.mutable_demographics()->add_location("Paris");
  r.target_audience.set_persona("reads at night");
  r.outreach_message = "New lamps!";
  r.created_at = FormatRfc3339Millis(NowUnixMillis());
  r.updated_at = r.created_at;
  return r;
}

void CheckSame(const CampaignRecord& a, const CampaignRecord& b) {
  CHECK(a.id == b.id);
  CHECK(a.workspace_id == b.workspace_id);
  CHECK(a.name == b.name);
  CHECK(a.status == b.status);
  CHECK(a.target_platform == b.target_platform);
  CHECK(MessageDifferencer::Equals(a.product, b.product));
  CHECK(a.price_minor == b.price_minor);
  CHECK(a.currency == b.currency);
  CHECK(MessageDifferencer::Equals(a.chat_flow, b.chat_flow));
  CHECK(MessageDifferencer::Equals(a.target_audience, b.target_audience));
  CHECK(a.outreach_message == b.outreach_message);
  CHECK(a.referral_ids == b.referral_ids);
  CHECK(a.messages_sent == b.messages_sent);
  CHECK(a.revenue_minor == b.revenue_minor);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
  CHECK(a.activated_at == b.activated_at);
  CHECK(a.completed_at == b.completed_at);
}

void CheckCreateThenRead(store::Store& db) {
  CampaignStore store(db);
  std::string ws = NewUuidV7();
  CampaignRecord rec = MakeCampaign(ws, "Spring");
  rec.referral_ids = {"ad_123", "link-spring"};
  REQUIRE_OK(store.Create(rec));
  auto got = Unwrap(store.Get(ws, rec.id));
  REQUIRE(got.has_value());
  CheckSame(*got, rec);
  // Another workspace does not see it.
  CHECK_FALSE(Unwrap(store.Get(NewUuidV7(), rec.id)).has_value());
}

void CheckPagingAcross250(store::Store& db) {
  CampaignStore store(db);
  std::string ws = NewUuidV7();
  std::vector<std::string> ids;
  for (int i = 0; i < 250; ++i) {
    CampaignRecord rec = MakeCampaign(ws, "Campaign " + std::to_string(i));
    REQUIRE_OK(store.Create(rec));
    ids.push_back(rec.id);
  }
  // Noise in another workspace.
  REQUIRE_OK(store.Create(MakeCampaign(NewUuidV7(), "Campaign other")));
  std::vector<std::string> newest_first(ids.rbegin(), ids.rend());

  std::vector<std::string> seen;
  std::string before;
  int pages = 0;
  while (true) {
    // As the service does: one more than the page tells whether another follows.
    auto page = Unwrap(store.List(ws, {}, before, 101));
    ++pages;
    bool more = page.size() > 100;
    if (more) {
      page.resize(100);
    }
    for (const auto& rec : page) {
      seen.push_back(rec.id);
    }
    if (!more) {
      break;
    }
    before = page.back().id;
  }
  CHECK(pages == 3);
  CHECK(seen == newest_first);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 250);
}

void CheckFilters(store::Store& db) {
  CampaignStore store(db);
  std::string ws = NewUuidV7();
  CampaignRecord a = MakeCampaign(ws, "Spring LAMPS");
  CampaignRecord b = MakeCampaign(ws, "Summer fans");
  b.target_platform = "whatsapp";
  CampaignRecord c = MakeCampaign(ws, "100% off_lamps");
  c.status = "active";
  for (const auto& r : {a, b, c}) {
    REQUIRE_OK(store.Create(r));
  }
  auto names = [&](const CampaignFilter& f) {
    std::vector<std::string> out;
    for (const auto& r : Unwrap(store.List(ws, f, "", 10))) {
      out.push_back(r.name);
    }
    return out;
  };
  CHECK(names({"", "", "lamps"}) == std::vector<std::string>{"100% off_lamps", "Spring LAMPS"});
  CHECK(names({"", "", "LaMp"}) == std::vector<std::string>{"100% off_lamps", "Spring LAMPS"});
  // LIKE's wildcards match themselves only.
  CHECK(names({"", "", "0% o"}) == std::vector<std::string>{"100% off_lamps"});
  CHECK(names({"", "", "f_l"}) == std::vector<std::string>{"100% off_lamps"});
  CHECK(names({"", "", "_"}) == std::vector<std::string>{"100% off_lamps"});
  CHECK(names({"active", "", ""}) == std::vector<std::string>{"100% off_lamps"});
  CHECK(names({"", "whatsapp", ""}) == std::vector<std::string>{"Summer fans"});
  CHECK(names({"draft", "all", "spring"}) == std::vector<std::string>{"Spring LAMPS"});
  CHECK(names({"paused", "", ""}).empty());
}

void CheckOptimisticUpdate(store::Store& db) {
  CampaignStore store(db);
  std::string ws = NewUuidV7();
  CampaignRecord rec = MakeCampaign(ws, "Spring");
  rec.referral_ids = {"ad_1"};
  REQUIRE_OK(store.Create(rec));
  CampaignRecord changed = rec;
  changed.name = "Spring sale";
  changed.price_minor = 1000;
  changed.currency = "JPY";
  changed.referral_ids = {"ad_2"};
  changed.updated_at = "2099-01-01T00:00:00.000Z";
  CHECK(Unwrap(store.UpdateContent(changed, rec.updated_at)));
  auto got = Unwrap(store.Get(ws, rec.id));
  REQUIRE(got.has_value());
  CheckSame(*got, changed);
  // A writer that read the old version misses.
  CHECK_FALSE(Unwrap(store.UpdateContent(changed, rec.updated_at)));
  // Another workspace misses too.
  CampaignRecord stranger = changed;
  stranger.workspace_id = NewUuidV7();
  CHECK_FALSE(Unwrap(store.UpdateContent(stranger, changed.updated_at)));
}

void CheckStatusAndDelete(store::Store& db) {
  CampaignStore store(db);
  std::string ws = NewUuidV7();
  CampaignRecord rec = MakeCampaign(ws, "Spring");
  REQUIRE_OK(store.Create(rec));
  CampaignRecord active = rec;
  active.status = "active";
  active.activated_at = "2030-01-01T00:00:00.000Z";
  CHECK(Unwrap(store.UpdateStatus(active, "draft")));
  // The same move again finds it no longer a draft.
  CHECK_FALSE(Unwrap(store.UpdateStatus(active, "draft")));
  CHECK_FALSE(Unwrap(store.DeleteDraft(ws, rec.id)));
  CHECK(Unwrap(store.Get(ws, rec.id)).has_value());

  CampaignRecord draft = MakeCampaign(ws, "Draft");
  draft.referral_ids = {"ad_x"};
  REQUIRE_OK(store.Create(draft));
  CHECK_FALSE(Unwrap(store.DeleteDraft(NewUuidV7(), draft.id)));
  CHECK(Unwrap(store.DeleteDraft(ws, draft.id)));
  CHECK_FALSE(Unwrap(store.Get(ws, draft.id)).has_value());
  CHECK_FALSE(Unwrap(store.DeleteDraft(ws, draft.id)));
}

void CheckStatsAreIdempotent(store::Store& db) {
  CampaignStore store(db);
  std::string ws = NewUuidV7();
  CampaignRecord rec = MakeCampaign(ws, "Spring");
  REQUIRE_OK(store.Create(rec));
  StatsDelta d{3, 2, 1, 4999};
  std::string now = FormatRfc3339Millis(NowUnixMillis());
  CHECK(Unwrap(store.RecordStats(ws, rec.id, "evt-1", d, now)));
  CHECK_FALSE(Unwrap(store.RecordStats(ws, rec.id, "evt-1", d, now)));
  CHECK(Unwrap(store.RecordStats(ws, rec.id, "evt-2", d, now)));
  auto got = Unwrap(store.Get(ws, rec.id));
  REQUIRE(got.has_value());
  CHECK(got->messages_sent == 6);
  CHECK(got->responses == 4);
  CHECK(got->conversions == 2);
  CHECK(got->revenue_minor == 9998);
  // An unknown campaign (or another workspace's) is not found, and its event is not kept.
  auto missing = store.RecordStats(NewUuidV7(), rec.id, "evt-3", d, now);
  CHECK(missing.status().code() == Code::kNotFound);
  CHECK(Unwrap(store.RecordStats(ws, rec.id, "evt-3", d, now)));
}

void CheckResolve(store::Store& db) {
  CampaignStore store(db);
  std::string ws = NewUuidV7();
  CHECK_FALSE(Unwrap(store.FindLatestActive(ws, "facebook")).has_value());

  auto activate = [&](CampaignRecord rec, const std::string& at) {
    REQUIRE_OK(store.Create(rec));
    rec.status = "active";
    rec.activated_at = at;
    REQUIRE(Unwrap(store.UpdateStatus(rec, "draft")));
    return rec;
  };
  CampaignRecord all = MakeCampaign(ws, "All");
  all = activate(all, "2030-01-01T00:00:00.000Z");
  CampaignRecord ig = MakeCampaign(ws, "Instagram");
  ig.target_platform = "instagram";
  ig = activate(ig, "2030-01-02T00:00:00.000Z");
  CampaignRecord ad = MakeCampaign(ws, "Ad");
  ad.target_platform = "whatsapp";
  ad.referral_ids = {"ad_777"};
  ad = activate(ad, "2029-01-01T00:00:00.000Z");
  CampaignRecord draft = MakeCampaign(ws, "Draft with the ad");
  draft.referral_ids = {"ad_888"};
  REQUIRE_OK(store.Create(draft));

  CHECK(Unwrap(store.FindLatestActive(ws, "instagram"))->id == ig.id);
  CHECK(Unwrap(store.FindLatestActive(ws, "facebook"))->id == all.id);
  CHECK(Unwrap(store.FindLatestActive(ws, "whatsapp"))->id == all.id);
  CHECK(Unwrap(store.FindActiveByReferral(ws, "ad_777"))->id == ad.id);
  // Exact match only; drafts do not route; other workspaces do not see it.
  CHECK_FALSE(Unwrap(store.FindActiveByReferral(ws, "ad_77")).has_value());
  CHECK_FALSE(Unwrap(store.FindActiveByReferral(ws, "AD_777")).has_value());
  CHECK_FALSE(Unwrap(store.FindActiveByReferral(ws, "ad_888")).has_value());
  CHECK_FALSE(Unwrap(store.FindActiveByReferral(NewUuidV7(), "ad_777")).has_value());
  CHECK_FALSE(Unwrap(store.FindLatestActive(NewUuidV7(), "facebook")).has_value());
}

#define BOTH_ENGINES(name, check) \
  SALESOS_TEST_BOTH_ENGINES(name, "[campaign][store]", campaign_lib_migrations(), "campaign", check)

BOTH_ENGINES("a campaign reads back exactly as created, in its workspace only", CheckCreateThenRead)
BOTH_ENGINES("250 campaigns page by 100 newest first, each exactly once", CheckPagingAcross250)
BOTH_ENGINES("lists filter by status, platform and name case-insensitively", CheckFilters)
BOTH_ENGINES("an update writes only over the version it read", CheckOptimisticUpdate)
BOTH_ENGINES("status moves and deletes check the state they start from", CheckStatusAndDelete)
BOTH_ENGINES("stats add once per event id", CheckStatsAreIdempotent)
BOTH_ENGINES("resolve prefers an exact referral, then the latest active for the platform",
             CheckResolve)

}  // namespace
}  // namespace salesos::campaign
