// ResolveAudienceForService (outreach.h) on a real store: the matching contacts as recipients of
// one platform (address, window, opt-out), the counts for the creation-time checks, paging in
// contact id order, and a bad request refused.
#include <algorithm>
#include <chrono>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "contact_store.h"
#include "conversation_lib_migrations.h"
#include "conversation_store.h"
#include "outreach.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/databases.h"

namespace salesos::conversation {
namespace {

using testing::Unwrap;

common::v1::SegmentRule CityIs(const std::string& city) {
  common::v1::SegmentRule rule;
  rule.set_op("and");
  auto* c = rule.add_conditions();
  c->set_field("city");
  c->set_operator_("eq");
  c->mutable_value()->set_string_value(city);
  return rule;
}

std::string ChatContact(store::Store& db, const std::string& ws, const std::string& psid,
                        int64_t last_message_ms) {
  InboundMessage in;
  in.workspace_id = ws;
  in.platform = "facebook";
  in.integration_id = "integration-1";
  in.platform_user_id = psid;
  in.contact_name = "Chat Person";
  in.message.sender = "customer";
  in.message.content = "Hi";
  in.message.platform_message_id = "m_" + RandomHex(6);
  in.message.platform_timestamp_ms = last_message_ms;
  in.now = FormatRfc3339Millis(NowUnixMillis());
  return Unwrap(ConversationStore(db).AppendInbound(in)).contact.id;
}

std::string ManualContact(store::Store& db, const std::string& ws, const std::string& phone,
                          bool opted_out) {
  ContactRow c;
  c.id = NewUuidV7();
  c.workspace_id = ws;
  c.platform_user_id = c.id;
  c.first_name = "Ada";
  c.last_name = "Lovelace";
  c.full_name = "Ada Lovelace";
  c.phone = phone;
  c.opted_out = opted_out;
  c.created_at = FormatRfc3339Millis(NowUnixMillis());
  c.updated_at = c.created_at;
  c.created_ms = NowUnixMillis();
  REQUIRE_OK(ContactStore(db).CreateContact(c));
  return c.id;
}

void ResolvesRecipients(store::Store& db) {
  const std::string ws = NewUuidV7();
  const int64_t now = NowUnixMillis();
  const std::string chat = ChatContact(db, ws, "7700000000000009", now - 3600'000);
  const std::string stale = ChatContact(db, ws, "7700000000000010", now - 30 * 3600'000LL);
  const std::string phone = ManualContact(db, ws, "+33612345678", false);
  const std::string opted_out = ManualContact(db, ws, "+33611111111", true);
  const std::string elsewhere = ManualContact(db, ws, "+33622222222", false);
  REQUIRE_OK(db.Exec("UPDATE contacts SET city = 'Paris' WHERE workspace_id = $1 AND id <> $2",
                     {ws, elsewhere})
                 .status());
  // Another workspace's Paris contact is never part of it.
  const std::string foreign = ManualContact(db, NewUuidV7(), "+33633333333", false);
  REQUIRE_OK(db.Exec("UPDATE contacts SET city = 'Paris' WHERE id = $1", {foreign}).status());

  v1::ResolveAudienceForServiceRequest req;
  req.set_workspace_id(ws);
  *req.mutable_rules() = CityIs("paris");
  req.set_platform("whatsapp");
  req.set_count(true);
  req.set_page_size(5000);
  v1::ResolveAudienceForServiceResponse wa;
  REQUIRE_OK(ResolveAudience(db, req, &wa));
  CHECK(wa.total_count() == 4);
  CHECK(wa.opted_out_count() == 1);
  CHECK(wa.unreachable_count() == 2);     // the two chat contacts have no phone
  CHECK(wa.outside_window_count() == 3);  // nobody wrote on WhatsApp
  REQUIRE(wa.members_size() == 4);
  CHECK(wa.next_page_token().empty());
  std::vector<std::string> ids;
  for (const auto& m : wa.members()) {
    ids.push_back(m.contact_id());
    CHECK_FALSE(m.window_open());
    if (m.contact_id() == phone) {
      CHECK(m.address() == "33612345678");
      CHECK(m.full_name() == "Ada Lovelace");
      CHECK(m.phone() == "+33612345678");
      CHECK_FALSE(m.opted_out());
    } else if (m.contact_id() == opted_out) {
      CHECK(m.opted_out());
    } else {
      CHECK(m.address().empty());
    }
  }
  CHECK(std::is_sorted(ids.begin(), ids.end()));

  req.set_platform("facebook");
  v1::ResolveAudienceForServiceResponse fb;
  REQUIRE_OK(ResolveAudience(db, req, &fb));
  CHECK(fb.total_count() == 4);
  CHECK(fb.unreachable_count() == 1);     // the hand-made one (the other opted out)
  CHECK(fb.outside_window_count() == 2);  // the hand-made one and the 30-hour-old chat
  for (const auto& m : fb.members()) {
    CHECK(m.window_open() == (m.contact_id() == chat));
    if (m.contact_id() == chat) {
      CHECK(m.address() == "7700000000000009");
    } else if (m.contact_id() == stale) {
      CHECK(m.address() == "7700000000000010");
    }
  }

  // Pages of one, in id order, end with an empty token.
  req.set_count(false);
  req.set_page_size(1);
  std::vector<std::string> paged;
  for (int i = 0; i < 10; ++i) {
    v1::ResolveAudienceForServiceResponse page;
    REQUIRE_OK(ResolveAudience(db, req, &page));
    CHECK(page.total_count() == 0);  // not asked
    for (const auto& m : page.members()) {
      paged.push_back(m.contact_id());
    }
    if (page.next_page_token().empty()) {
      break;
    }
    req.set_page_token(page.next_page_token());
  }
  CHECK(paged == ids);

  req.set_page_token("");
  req.set_page_size(5001);
  v1::ResolveAudienceForServiceResponse none;
  CHECK(ResolveAudience(db, req, &none).code() == Code::kInvalidArgument);
  req.set_page_size(10);
  req.set_platform("telegram");
  CHECK(ResolveAudience(db, req, &none).code() == Code::kInvalidArgument);
  req.set_platform("whatsapp");
  req.mutable_rules()->mutable_conditions(0)->set_field("shoeSize");
  CHECK(ResolveAudience(db, req, &none).code() == Code::kInvalidArgument);
}

SALESOS_TEST_BOTH_ENGINES("an audience resolves to recipients with their address, window and "
                          "opt-out, counted and paged in contact id order",
                          "[conversation][outreach]", conversation_lib_migrations(),
                          "outreach_audience", ResolvesRecipients)

}  // namespace
}  // namespace salesos::conversation

namespace salesos::conversation {
namespace {

// Not run by default ([.]): 100,000 contacts resolved in pages of 5,000, timed, for
// bench/RESULTS.md-style numbers (`conversation_test "[outreach-bench]"`).
TEST_CASE("an audience of 100000 contacts resolves in pages of 5000", "[.][outreach-bench]") {
  testing::SqliteDatabase sqlite(conversation_lib_migrations());
  store::Store& db = sqlite.store();
  const std::string ws = NewUuidV7();
  REQUIRE_OK(db.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                     "100000) INSERT INTO contacts (id, workspace_id, platform, platform_user_id, "
                     "phone, city, created_at) SELECT printf('%08d-0000-7000-8000-000000000000', "
                     "i), $1, '', printf('p%d', i), printf('+3361%07d', i), 'Paris', "
                     "'2026-01-01T00:00:00Z' FROM n",
                     {ws})
                 .status());
  v1::ResolveAudienceForServiceRequest req;
  req.set_workspace_id(ws);
  *req.mutable_rules() = CityIs("paris");
  req.set_platform("whatsapp");
  req.set_count(true);
  req.set_page_size(kMaxAudiencePage);
  const auto start = std::chrono::steady_clock::now();
  int64_t members = 0;
  for (int page = 0; page < 100; ++page) {
    v1::ResolveAudienceForServiceResponse resp;
    REQUIRE_OK(ResolveAudience(db, req, &resp));
    members += resp.members_size();
    req.set_count(false);
    if (resp.next_page_token().empty()) {
      break;
    }
    req.set_page_token(resp.next_page_token());
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  WARN("100000 recipients resolved in " << ms << " ms");
  CHECK(members == 100000);
}

}  // namespace
}  // namespace salesos::conversation
