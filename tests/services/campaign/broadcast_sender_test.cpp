// Broadcasts end to end inside one process: BroadcastServiceImpl creating them (the 24-hour rule,
// the limits) and BroadcastEngine resolving and sending them on SQLite, against an in-process
// stand-in for conversation that keeps contacts in memory, pages them by id, and deduplicates
// sends on their idempotency key as SendToContactForService promises (a repeated key answers the
// first send's outcome). "Graph" below is what the stand-in actually sent.

#include "broadcast_sender.h"

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broadcast_service.h"
#include "campaign_lib_migrations.h"
#include "campaign_store.h"
#include "salesos/core/ids.h"
#include "support/databases.h"
#include "template_service.h"

namespace salesos::campaign {
namespace {

using conversation::v1::ResolveAudienceForServiceRequest;
using conversation::v1::ResolveAudienceForServiceResponse;
using conversation::v1::SendToContactForServiceRequest;
using conversation::v1::SendToContactForServiceResponse;
using testing::Unwrap;

constexpr char kWorkspace[] = "ws-broadcasts";

struct FakeContact {
  std::string id;
  std::string first_name;
  std::string address;
  bool window_open = true;
  bool opted_out = false;
};

class FakeConversation {
 public:
  explicit FakeConversation(int n) {
    for (int i = 0; i < n; ++i) {
      FakeContact c;
      c.id = "c-" + std::to_string(100000 + i);
      c.first_name = i % 5 == 0 ? "" : "Name" + std::to_string(i);
      c.address = std::to_string(447700000000 + i);
      contacts.push_back(c);
    }
  }

  Result<ResolveAudienceForServiceResponse> Resolve(const ResolveAudienceForServiceRequest& req) {
    std::lock_guard lock(mu);
    ResolveAudienceForServiceResponse resp;
    if (req.count()) {
      for (const auto& c : contacts) {
        resp.set_total_count(resp.total_count() + 1);
        if (c.opted_out) {
          resp.set_opted_out_count(resp.opted_out_count() + 1);
        } else if (c.address.empty()) {
          resp.set_unreachable_count(resp.unreachable_count() + 1);
        } else if (!c.window_open) {
          resp.set_outside_window_count(resp.outside_window_count() + 1);
        }
      }
    }
    int added = 0;
    for (const auto& c : contacts) {
      if (added >= req.page_size()) {
        break;
      }
      if (c.id <= req.page_token()) {
        continue;
      }
      auto* m = resp.add_members();
      m->set_contact_id(c.id);
      m->set_first_name(c.first_name);
      m->set_address(c.address);
      m->set_window_open(c.window_open);
      m->set_opted_out(c.opted_out);
      ++added;
    }
    if (added == req.page_size() && req.page_size() > 0 &&
        resp.members(added - 1).contact_id() != contacts.back().id) {
      resp.set_next_page_token(resp.members(added - 1).contact_id());
    }
    return resp;
  }

  Result<SendToContactForServiceResponse> Send(const SendToContactForServiceRequest& req) {
    std::lock_guard lock(mu);
    ++calls;
    auto done = by_key.find(req.idempotency_key());
    if (done != by_key.end()) {
      return done->second;
    }
    if (!scripted.empty()) {
      auto answer = scripted.front();
      scripted.pop_front();
      return answer;
    }
    SendToContactForServiceResponse ok;
    ok.set_sent(true);
    ok.set_platform_message_id("wamid." + std::to_string(++graph_sends));
    ok.set_message_id("m-" + req.idempotency_key());
    ok.set_conversation_id("conv-" + req.contact_id());
    by_key[req.idempotency_key()] = ok;
    per_contact[req.contact_id()] += 1;
    texts[req.contact_id()] = req.has_template_() ? req.template_().name() : req.text();
    return ok;
  }

  void FailNext(int n, int64_t code, bool retryable) {
    std::lock_guard lock(mu);
    for (int i = 0; i < n; ++i) {
      SendToContactForServiceResponse r;
      r.set_sent(false);
      r.set_retryable(retryable);
      r.set_error_code(code);
      r.set_error("scripted");
      scripted.push_back(r);
    }
  }

  std::mutex mu;
  std::vector<FakeContact> contacts;
  std::map<std::string, SendToContactForServiceResponse> by_key;
  std::map<std::string, int> per_contact;  // Graph sends
  std::map<std::string, std::string> texts;
  std::deque<SendToContactForServiceResponse> scripted;
  int calls = 0;
  int graph_sends = 0;
};

BroadcastPeers PeersOf(FakeConversation& fake, const std::string& platform = "whatsapp") {
  BroadcastPeers peers;
  peers.resolve_audience = [&fake](const ResolveAudienceForServiceRequest& r) {
    return fake.Resolve(r);
  };
  peers.send = [&fake](const SendToContactForServiceRequest& r) { return fake.Send(r); };
  peers.integration = [platform](const std::string& id) -> Result<IntegrationInfo> {
    if (id == "int-mine") {
      return IntegrationInfo{kWorkspace, platform};
    }
    if (id == "int-theirs") {
      return IntegrationInfo{"ws-other", platform};
    }
    return NotFound("no such integration");
  };
  return peers;
}

// The adapter's handlers are not called here (the Do* methods are), so one idle pool serves all.
rpc::WorkPool& Pool() {
  static rpc::WorkPool pool(1);
  return pool;
}

rpc::Caller Agent() {
  rpc::Caller c;
  c.user_id = "user-1";
  c.workspace_id = kWorkspace;
  c.role = "agent";
  return c;
}

std::string MakeCampaign(store::Store& db) {
  CampaignStore campaigns(db);
  CampaignRecord rec;
  rec.id = NewUuidV7();
  rec.workspace_id = kWorkspace;
  rec.name = "Winter sale";
  rec.status = "draft";
  rec.target_platform = "all";
  rec.currency = "USD";
  rec.created_at = "2026-11-21T06:30:00Z";
  rec.updated_at = rec.created_at;
  REQUIRE_OK(campaigns.Create(rec));
  return rec.id;
}

v1::CreateBroadcastRequest TextBroadcast(const std::string& campaign_id, int rate = 1000) {
  v1::CreateBroadcastRequest req;
  req.set_campaign_id(campaign_id);
  auto* cond = req.mutable_rules()->add_conditions();
  cond->set_field("phone");
  cond->set_operator_("exists");
  cond->mutable_value()->set_bool_value(true);
  req.mutable_rules()->set_op("and");
  req.set_text("Hi {{contact.firstName}}, {{campaign.name}} starts now");
  req.set_integration_id("int-mine");
  req.set_rate_per_second(rate);
  return req;
}

BroadcastEngineOptions FastOptions(const std::string& owner) {
  BroadcastEngineOptions o;
  o.owner = owner;
  o.lease_ms = 1500;
  o.concurrency = 4;
  o.max_idle_ms = 50;
  return o;
}

// Waits (bounded) until the broadcast is in `status`; the record then.
BroadcastRecord WaitForStatus(store::Store& db, const std::string& id, const std::string& status,
                              int timeout_ms = 20000) {
  BroadcastStore store(db);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::optional<BroadcastRecord> b;
  while (std::chrono::steady_clock::now() < deadline) {
    b = Unwrap(store.GetById(id));
    if (b.has_value() && b->status == status) {
      return *b;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  INFO("status " << (b ? b->status : "none") << " queued " << (b ? b->queued : -1));
  FAIL("the broadcast did not become " << status);
  return *b;
}

TEST_CASE("a broadcast sends each contact of its audience once and completes",
          "[campaign][broadcast]") {
  testing::SqliteDatabase db(campaign_lib_migrations());
  FakeConversation fake(60);
  fake.contacts[1].opted_out = true;
  fake.contacts[2].opted_out = true;
  fake.contacts[3].address = "";
  std::vector<std::pair<std::string, bool>> told;
  std::mutex told_mu;
  BroadcastEngine engine(db.store(), PeersOf(fake), FastOptions("one"),
                         [&](const BroadcastRecord& b, bool status_changed) {
                           std::lock_guard lock(told_mu);
                           told.emplace_back(b.status, status_changed);
                         });
  BroadcastServiceImpl service(db.store(), Pool(), PeersOf(fake), &engine, 1000);
  std::string campaign_id = MakeCampaign(db.store());
  v1::Broadcast created;
  REQUIRE_OK(service.DoCreate(Agent(), TextBroadcast(campaign_id), &created));
  CHECK(created.status() == "scheduled");
  CHECK(created.platform() == "whatsapp");
  engine.Start();
  BroadcastRecord done = WaitForStatus(db.store(), created.id(), kBroadcastCompleted);
  engine.Stop();
  CHECK(done.total == 58);
  CHECK(done.opted_out == 2);
  CHECK(done.failed == 1);  // no address
  CHECK(done.sent == 57);
  CHECK(done.queued == 0);
  CHECK(fake.graph_sends == 57);
  for (const auto& [contact, n] : fake.per_contact) {
    CHECK(n == 1);
  }
  CHECK(fake.texts["c-100004"] == "Hi Name4, Winter sale starts now");
  CHECK(fake.texts["c-100005"] == "Hi there, Winter sale starts now");  // the fallback
  BroadcastStore store(db.store());
  auto failed = Unwrap(store.ListRecipients(created.id(), "failed", "", 10));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].error.find("unreachable") == 0);
  // Told of creation, start and completion as status changes.
  std::lock_guard lock(told_mu);
  std::vector<std::string> statuses;
  for (auto& [status, changed] : told) {
    if (changed) {
      statuses.push_back(status);
    }
  }
  CHECK(statuses == std::vector<std::string>{"scheduled", "running", "completed"});
}

TEST_CASE("rate-limit answers pause the integration and every recipient is still sent",
          "[campaign][broadcast]") {
  testing::SqliteDatabase db(campaign_lib_migrations());
  FakeConversation fake(30);
  fake.FailNext(3, 130429, true);  // a burst of throughput refusals
  BroadcastEngine engine(db.store(), PeersOf(fake), FastOptions("one"), nullptr);
  BroadcastServiceImpl service(db.store(), Pool(), PeersOf(fake), &engine, 1000);
  v1::Broadcast created;
  REQUIRE_OK(service.DoCreate(Agent(), TextBroadcast(MakeCampaign(db.store())), &created));
  auto start = std::chrono::steady_clock::now();
  engine.Start();
  BroadcastRecord done = WaitForStatus(db.store(), created.id(), kBroadcastCompleted);
  auto took = std::chrono::steady_clock::now() - start;
  engine.Stop();
  CHECK(done.sent == 30);
  CHECK(done.failed == 0);
  CHECK(fake.graph_sends == 30);
  CHECK(fake.calls == 33);
  // At least one pause of the integration (1 s) happened.
  CHECK(took >= std::chrono::milliseconds(1000));
}

TEST_CASE("a final refusal fails only that recipient, with the platform's reason",
          "[campaign][broadcast]") {
  testing::SqliteDatabase db(campaign_lib_migrations());
  FakeConversation fake(5);
  fake.FailNext(1, 131026, false);
  BroadcastEngine engine(db.store(), PeersOf(fake), FastOptions("one"), nullptr);
  BroadcastServiceImpl service(db.store(), Pool(), PeersOf(fake), &engine, 1000);
  v1::Broadcast created;
  REQUIRE_OK(service.DoCreate(Agent(), TextBroadcast(MakeCampaign(db.store())), &created));
  engine.Start();
  BroadcastRecord done = WaitForStatus(db.store(), created.id(), kBroadcastCompleted);
  engine.Stop();
  CHECK(done.sent == 4);
  CHECK(done.failed == 1);
  auto failed = Unwrap(BroadcastStore(db.store()).ListRecipients(created.id(), "failed", "", 10));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].error == "131026 scripted");
}

TEST_CASE(
    "a restarted sender sends what its predecessor left sending with the same key, "
    "nobody twice",
    "[campaign][broadcast]") {
  testing::SqliteDatabase db(campaign_lib_migrations());
  FakeConversation fake(40);
  BroadcastStore store(db.store());
  std::string id;
  {
    // The first process: resolves, claims ten recipients, hands five of them to the platform,
    // then dies (its lease simply runs out).
    BroadcastEngine first(db.store(), PeersOf(fake), FastOptions("dead"), nullptr);
    BroadcastServiceImpl service(db.store(), Pool(), PeersOf(fake), nullptr, 1000);
    v1::Broadcast created;
    REQUIRE_OK(service.DoCreate(Agent(), TextBroadcast(MakeCampaign(db.store())), &created));
    id = created.id();
    REQUIRE(Unwrap(first.ResolveOnce()));
    const int64_t now = NowUnixMillis();
    REQUIRE(Unwrap(store.AcquireIntegrationLease("int-mine", "dead", now - 5000, 1000)));
    auto due = Unwrap(store.Due("int-mine", now, 10));
    REQUIRE(due.size() == 10);
    std::vector<std::string> ids;
    for (auto& r : due) {
      ids.push_back(r.id);
    }
    REQUIRE_OK(store.MarkSending(ids, now - 10000));
    for (int i = 0; i < 5; ++i) {
      SendToContactForServiceRequest req;
      req.set_contact_id(due[i].contact_id);
      req.set_idempotency_key(due[i].id);
      REQUIRE(fake.Send(req)->sent());
    }
  }
  REQUIRE(fake.graph_sends == 5);
  BroadcastEngine second(db.store(), PeersOf(fake), FastOptions("alive"), nullptr);
  second.Start();
  BroadcastRecord done = WaitForStatus(db.store(), id, kBroadcastCompleted);
  second.Stop();
  CHECK(done.sent == 40);
  CHECK(fake.graph_sends == 40);
  for (const auto& [contact, n] : fake.per_contact) {
    INFO(contact);
    CHECK(n == 1);
  }
  // The five already sent were asked again with their key and answered the first outcome.
  CHECK(fake.calls == 45);
}

TEST_CASE("two engines on one database never both send for one integration",
          "[campaign][broadcast]") {
  testing::SqliteDatabase db(campaign_lib_migrations());
  FakeConversation fake(50);
  std::mutex mu;
  std::set<std::string> senders;
  auto tagged = [&](const std::string& name) {
    BroadcastPeers peers = PeersOf(fake);
    peers.send = [&, name](const SendToContactForServiceRequest& r) {
      {
        std::lock_guard lock(mu);
        senders.insert(name);
      }
      return fake.Send(r);
    };
    return peers;
  };
  BroadcastEngine a(db.store(), tagged("a"), FastOptions("a"), nullptr);
  BroadcastEngine b(db.store(), tagged("b"), FastOptions("b"), nullptr);
  BroadcastServiceImpl service(db.store(), Pool(), PeersOf(fake), nullptr, 1000);
  v1::Broadcast created;
  REQUIRE_OK(service.DoCreate(Agent(), TextBroadcast(MakeCampaign(db.store()), 200), &created));
  a.Start();
  b.Start();
  BroadcastRecord done = WaitForStatus(db.store(), created.id(), kBroadcastCompleted);
  a.Stop();
  b.Stop();
  CHECK(done.sent == 50);
  CHECK(fake.graph_sends == 50);
  CHECK(senders.size() == 1);
}

TEST_CASE("a template's WhatsApp template is validated, kept, and sent on WhatsApp",
          "[campaign][broadcast]") {
  testing::SqliteDatabase db(campaign_lib_migrations());
  TemplateServiceImpl templates(db.store(), Pool());
  v1::Template req;
  req.set_name("Winter");
  req.set_category("outreach");
  req.set_body("Hi {{contact.firstName}}, our winter sale is on");
  req.mutable_whatsapp()->set_name("Winter-Sale");
  req.mutable_whatsapp()->set_language("en_US");
  v1::Template tpl;
  Status bad = templates.DoCreate(Agent(), req, &tpl);
  CHECK(bad.ToString().find("whatsapp.name") != std::string::npos);
  req.mutable_whatsapp()->set_name("winter_sale");
  auto* body = req.mutable_whatsapp()->add_components();
  body->set_type("body");
  body->add_parameters("{{contact.nickname}}");
  CHECK(templates.DoCreate(Agent(), req, &tpl)
            .ToString()
            .find("whatsapp.components[0].parameters[0]") != std::string::npos);
  body->set_parameters(0, "{{contact.firstName}}");
  REQUIRE_OK(templates.DoCreate(Agent(), req, &tpl));
  v1::GetTemplateRequest get;
  get.set_id(tpl.id());
  v1::Template got;
  REQUIRE_OK(templates.DoGet(Agent(), get, &got));
  CHECK(got.whatsapp().name() == "winter_sale");
  CHECK(got.whatsapp().components(0).parameters(0) == "{{contact.firstName}}");

  // Everyone outside the window: the template's WhatsApp template still reaches them.
  FakeConversation fake(6);
  for (auto& c : fake.contacts) {
    c.window_open = false;
  }
  BroadcastEngine engine(db.store(), PeersOf(fake), FastOptions("one"), nullptr);
  BroadcastServiceImpl service(db.store(), Pool(), PeersOf(fake), &engine, 1000);
  v1::CreateBroadcastRequest create = TextBroadcast(MakeCampaign(db.store()));
  create.clear_text();
  create.set_template_id(tpl.id());
  v1::Broadcast created;
  REQUIRE_OK(service.DoCreate(Agent(), create, &created));
  engine.Start();
  BroadcastRecord done = WaitForStatus(db.store(), created.id(), kBroadcastCompleted);
  engine.Stop();
  // c-100000 and c-100005 have no first name: their only parameter renders "there" (the
  // fallback), so everyone is sent the template.
  CHECK(done.sent == 6);
  CHECK(fake.texts["c-100001"] == "winter_sale");

  // An update with an empty object removes it.
  v1::Template patch;
  patch.set_id(tpl.id());
  patch.mutable_whatsapp();
  v1::Template updated;
  REQUIRE_OK(templates.DoUpdate(Agent(), patch, &updated));
  CHECK_FALSE(updated.has_whatsapp());
  CHECK(updated.body() == req.body());
}

TEST_CASE("creation refuses what the channel cannot carry to the audience",
          "[campaign][broadcast]") {
  testing::SqliteDatabase db(campaign_lib_migrations());
  FakeConversation fake(10);
  fake.contacts[0].window_open = false;
  fake.contacts[4].window_open = false;
  std::string campaign_id = MakeCampaign(db.store());
  v1::Broadcast out;

  SECTION("Messenger outside the 24-hour window, naming how many") {
    BroadcastServiceImpl fb(db.store(), Pool(), PeersOf(fake, "facebook"), nullptr, 1000);
    Status st = fb.DoCreate(Agent(), TextBroadcast(campaign_id, 10), &out);
    CHECK(st.code() == Code::kFailedPrecondition);
    CHECK(st.message().find("2 contacts") != std::string::npos);
    CHECK(st.message().find("24-hour") != std::string::npos);
  }
  SECTION("WhatsApp free text outside the window, pointing at templates") {
    BroadcastServiceImpl wa(db.store(), Pool(), PeersOf(fake), nullptr, 1000);
    Status st = wa.DoCreate(Agent(), TextBroadcast(campaign_id, 10), &out);
    CHECK(st.code() == Code::kFailedPrecondition);
    CHECK(st.message().find("approved WhatsApp template") != std::string::npos);
    // An inline template goes.
    v1::CreateBroadcastRequest req = TextBroadcast(campaign_id, 0);
    req.clear_text();
    req.mutable_template_()->set_name("winter_sale");
    req.mutable_template_()->set_language("en_US");
    auto* body = req.mutable_template_()->add_components();
    body->set_type("body");
    body->add_parameters("{{contact.firstName}}");
    REQUIRE_OK(wa.DoCreate(Agent(), req, &out));
    CHECK(out.rate_per_second() == 80);
    CHECK(out.template_().name() == "winter_sale");
  }
  SECTION("other workspaces' integrations and campaigns are not found") {
    BroadcastServiceImpl wa(db.store(), Pool(), PeersOf(fake), nullptr, 1000);
    v1::CreateBroadcastRequest req = TextBroadcast(campaign_id, 10);
    req.set_integration_id("int-theirs");
    CHECK(wa.DoCreate(Agent(), req, &out).code() == Code::kNotFound);
    req = TextBroadcast(NewUuidV7(), 10);
    CHECK(wa.DoCreate(Agent(), req, &out).code() == Code::kNotFound);
  }
  SECTION("limits: the rate, one audience, one message, the schedule") {
    BroadcastServiceImpl wa(db.store(), Pool(), PeersOf(fake), nullptr, 500);
    fake.contacts[0].window_open = true;
    fake.contacts[4].window_open = true;
    v1::CreateBroadcastRequest req = TextBroadcast(campaign_id, 501);
    CHECK(wa.DoCreate(Agent(), req, &out).ToString().find("ratePerSecond") != std::string::npos);
    req = TextBroadcast(campaign_id, 10);
    req.set_segment_id(NewUuidV7());
    CHECK(wa.DoCreate(Agent(), req, &out).code() == Code::kInvalidArgument);
    req = TextBroadcast(campaign_id, 10);
    req.set_template_id(NewUuidV7());
    CHECK(wa.DoCreate(Agent(), req, &out).code() == Code::kInvalidArgument);
    req = TextBroadcast(campaign_id, 10);
    req.set_schedule_at(FormatRfc3339(NowUnixSeconds() + 91LL * 24 * 3600));
    CHECK(wa.DoCreate(Agent(), req, &out).ToString().find("scheduleAt") != std::string::npos);
    req = TextBroadcast(campaign_id, 10);
    req.set_text("Hi {{contact.shoeSize}}");
    CHECK(wa.DoCreate(Agent(), req, &out).ToString().find("text") != std::string::npos);
    for (int i = 0; i < 20; ++i) {
      REQUIRE_OK(wa.DoCreate(Agent(), TextBroadcast(campaign_id, 10), &out));
    }
    CHECK(wa.DoCreate(Agent(), TextBroadcast(campaign_id, 10), &out).code() ==
          Code::kResourceExhausted);
  }
}

}  // namespace
}  // namespace salesos::campaign
