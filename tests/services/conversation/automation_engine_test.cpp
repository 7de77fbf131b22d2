// AutomationEngine against both engines and a real Redis: a rule runs once per event (a
// redelivery changes nothing) and its actions go through the service's own paths (tags, status,
// assignment, hand-off, messages to the outbox); conditions over the contact, the conversation and
// the message; the depth guard on a chain the actions' own events make (fed back from the real
// stream, which carries depth + 1 and the automation id); and the daily schedule: once per local
// day at its time in its zone, over the contacts its conditions match in SQL.
#include "automation_engine.h"

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "automation_service.h"
#include "contact_service.h"
#include "conversation_lib_migrations.h"
#include "conversation_service.h"
#include "notifier.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/work_pool.h"
#include "support/databases.h"
#include "support/redis_server.h"

namespace salesos::conversation {
namespace {

using testing::Unwrap;

v1::Automation AutomationJson(const std::string& json) {
  v1::Automation a;
  auto st = google::protobuf::util::JsonStringToMessage(json, &a);
  INFO(json);
  REQUIRE(st.ok());
  return a;
}

struct Fixture {
  explicit Fixture(store::Store& db) : db(db) {
    redis::RedisOptions options;
    options.connect_timeout_ms = 500;
    options.command_timeout_ms = 500;
    redis = Unwrap(redis::Connect(server.url(), options));
    events = std::make_unique<rpc::EventPublisher>(redis, "conversation");
    notifier = std::make_unique<Notifier>(conversations, redis, events.get());
    ConversationDeps deps;
    deps.notifier = notifier.get();
    deps.wake_outbox = [this] { ++outbox_wakes; };
    service = std::make_unique<ConversationServiceImpl>(db, pool, deps);
    contacts = std::make_unique<ContactServiceImpl>(db, pool);
    automations = std::make_unique<AutomationServiceImpl>(db, pool);
    AutomationEngineDeps engine_deps;
    engine_deps.conversations = service.get();
    engine_deps.contacts = contacts.get();
    engine_deps.notifier = notifier.get();
    engine_deps.events = events.get();
    engine_deps.wake_outbox = [this] { ++outbox_wakes; };
    engine_deps.now_ms = [this] { return now_ms != 0 ? now_ms : NowUnixMillis(); };
    engine = std::make_unique<AutomationEngine>(db, engine_deps);
    admin.user_id = NewUuidV7();
    admin.workspace_id = ws;
    admin.role = "admin";
    admin.token_type = "access";
  }

  v1::Automation Create(const std::string& json) {
    v1::Automation out;
    Status st = automations->DoCreateAutomation(admin, AutomationJson(json), &out);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return out;
  }

  // A customer's message (a new conversation for a new sender): the outcome.
  InboundOutcome Customer(const std::string& psid, const std::string& text) {
    InboundMessage in;
    in.workspace_id = ws;
    in.platform = "whatsapp";
    in.integration_id = "integration-1";
    in.campaign_id = "campaign-1";
    in.platform_user_id = psid;
    in.contact_name = "Ada Lovelace";
    in.message.sender = "customer";
    in.message.content = text;
    in.message.platform_message_id = "m." + NewUuidV7();
    in.message.platform_timestamp_ms = NowUnixMillis();
    in.now = FormatRfc3339Millis(NowUnixMillis());
    return Unwrap(conversations.AppendInbound(in));
  }

  events::v1::EventEnvelope Envelope(const std::string& type,
                                     const google::protobuf::MessageLite& payload, int depth = 0) {
    events::v1::EventEnvelope e;
    e.set_id(NewUuidV7());
    e.set_type(type);
    e.set_workspace_id(ws);
    e.set_payload(payload.SerializeAsString());
    e.set_automation_depth(depth);
    return e;
  }

  events::v1::EventEnvelope Received(const InboundOutcome& o) {
    events::v1::MessageReceived p;
    p.set_workspace_id(ws);
    p.set_conversation_id(o.conversation.id);
    p.set_message_id(o.message.id);
    p.set_contact_id(o.contact.id);
    p.set_sender("customer");
    return Envelope("message.received", p);
  }

  std::vector<v1::AutomationExecution> Executions(const std::string& automation_id) {
    v1::ListAutomationExecutionsRequest req;
    req.set_id(automation_id);
    v1::ListAutomationExecutionsResponse resp;
    REQUIRE_OK(automations->DoListAutomationExecutions(admin, req, &resp));
    return {resp.executions().begin(), resp.executions().end()};
  }

  // Every envelope on salesos:events after the entry `after` ("-" from the start); `after`
  // moves on.
  std::vector<events::v1::EventEnvelope> StreamSince(std::string& after) {
    auto reply = Unwrap(redis->Command({"XRANGE", rpc::kEventsStream,
                                        after == "-" ? "-" : "(" + after, "+"}));
    std::vector<events::v1::EventEnvelope> out;
    for (const auto& entry : reply.elements) {
      after = entry.elements[0].str;
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "envelope") {
          events::v1::EventEnvelope e;
          REQUIRE(e.ParseFromString(fields[i + 1].str));
          out.push_back(std::move(e));
        }
      }
    }
    return out;
  }

  store::Store& db;
  testing::RedisServer server;
  redis::ClientPtr redis;
  std::unique_ptr<rpc::EventPublisher> events;
  ConversationStore conversations{db};
  ContactStore contact_store{db};
  std::unique_ptr<Notifier> notifier;
  rpc::WorkPool pool{2};
  std::unique_ptr<ConversationServiceImpl> service;
  std::unique_ptr<ContactServiceImpl> contacts;
  std::unique_ptr<AutomationServiceImpl> automations;
  std::unique_ptr<AutomationEngine> engine;
  std::string ws = NewUuidV7();
  rpc::Caller admin;
  int outbox_wakes = 0;
  int64_t now_ms = 0;  // 0: the system clock
};

void CheckMessageRuleRunsOncePerEvent(store::Store& db) {
  Fixture f(db);
  const std::string agent = NewUuidV7();
  auto rule = f.Create(R"({"name": "Price questions", "event": "message.received",
      "isActive": true,
      "conditions": {"op": "and", "conditions": [
        {"field": "message.text", "operator": "contains", "value": "price"},
        {"field": "conversation.platform", "operator": "eq", "value": "whatsapp"},
        {"field": "tags", "operator": "not_contains", "value": "blocked"}]},
      "actions": [{"type": "add_tag", "tag": " Price-Asked "},
                  {"type": "assign_agent", "agentId": ")" + agent + R"("},
                  {"type": "set_journey_stage", "journeyStage": "consideration"},
                  {"type": "send_message", "text": "Hi {{contact.firstName}}, an agent is on it."}]})");
  auto o = f.Customer("3361234", "What is the PRICE?");
  auto envelope = f.Received(o);
  REQUIRE_OK(f.engine->HandleEnvelope(envelope));
  REQUIRE_OK(f.engine->HandleEnvelope(envelope));  // redelivered: runs nothing again

  auto runs = f.Executions(rule.id());
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status() == "succeeded");
  CHECK(runs[0].event_id() == envelope.id());
  CHECK(runs[0].event() == "message.received");
  CHECK(runs[0].contact_id() == o.contact.id);
  CHECK(runs[0].conversation_id() == o.conversation.id);
  CHECK(runs[0].depth() == 0);
  CHECK(runs[0].result().find("add_tag price-asked: done") != std::string::npos);
  CHECK(runs[0].error().empty());

  auto contact = Unwrap(f.contact_store.GetContact(f.ws, o.contact.id));
  REQUIRE(contact.has_value());
  CHECK(contact->tags == std::vector<std::string>{"price-asked"});
  CHECK(contact->journey_stage == "consideration");
  auto conv = Unwrap(f.conversations.GetConversation(f.ws, o.conversation.id));
  REQUIRE(conv.has_value());
  CHECK(conv->assigned_agent_id == agent);
  auto messages = Unwrap(f.conversations.LatestMessages(f.ws, o.conversation.id, 10));
  REQUIRE(messages.size() == 2);
  CHECK(messages.back().sender == "agent");
  CHECK(messages.back().delivery_status == "pending");
  CHECK(messages.back().content == "Hi Ada, an agent is on it.");
  CHECK(f.outbox_wakes == 1);

  v1::Automation shown;
  v1::GetAutomationRequest get;
  get.set_id(rule.id());
  REQUIRE_OK(f.automations->DoGetAutomation(f.admin, get, &shown));
  CHECK(shown.execution_count() == 1);
  CHECK_FALSE(shown.last_executed_at().empty());

  // A message that does not match is not an execution; an agent's echo is not a trigger.
  auto other = f.Customer("3369999", "hello there");
  REQUIRE_OK(f.engine->HandleEnvelope(f.Received(other)));
  CHECK(f.Executions(rule.id()).size() == 1);
  // An event from before the rule existed (a lagging stream) is not the rule's.
  auto late = f.Received(f.Customer("3367777", "price?"));
  late.set_occurred_at("2020-01-01T00:00:00.000Z");
  REQUIRE_OK(f.engine->HandleEnvelope(late));
  CHECK(f.Executions(rule.id()).size() == 1);
  late.set_occurred_at(FormatRfc3339Millis(NowUnixMillis()));
  REQUIRE_OK(f.engine->HandleEnvelope(late));
  CHECK(f.Executions(rule.id()).size() == 2);
}

SALESOS_TEST_BOTH_ENGINES("a message rule runs once per event through the service's own actions",
                          "[conversation][automation]", conversation_lib_migrations(),
                          "automation_engine", CheckMessageRuleRunsOncePerEvent)

void CheckFailedActionStopsTheRest(store::Store& db) {
  Fixture f(db);
  auto rule = f.Create(R"({"name": "Greet new contacts", "event": "contact.created",
      "isActive": true,
      "actions": [{"type": "add_tag", "tag": "new"},
                  {"type": "send_message", "text": "Welcome"},
                  {"type": "add_tag", "tag": "never"}]})");
  v1::Contact made;
  REQUIRE_OK(f.contacts->DoCreateContact(f.admin, [] {
    v1::Contact c;
    c.set_first_name("Grace");
    c.set_email("grace@example.com");
    return c;
  }(), &made));
  events::v1::ContactCreated p;
  p.set_workspace_id(f.ws);
  p.set_contact_id(made.id());
  p.set_source("manual");
  REQUIRE_OK(f.engine->HandleEnvelope(f.Envelope("contact.created", p)));
  auto runs = f.Executions(rule.id());
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status() == "failed");
  CHECK(runs[0].error() == "send_message: no conversation");
  CHECK(runs[0].result() == "add_tag new: done\nsend_message: failed");
  auto contact = Unwrap(f.contact_store.GetContact(f.ws, made.id()));
  CHECK(contact->tags == std::vector<std::string>{"new"});  // the one before stays done
}

SALESOS_TEST_BOTH_ENGINES("a failed action ends the run and keeps what the ones before did",
                          "[conversation][automation]", conversation_lib_migrations(),
                          "automation_engine", CheckFailedActionStopsTheRest)

void CheckDepthGuard(store::Store& db) {
  Fixture f(db);
  // Two rules that flip each other's status: an endless chain without the guard.
  auto to_active = f.Create(R"({"name": "Back to active", "event": "conversation.status_changed",
      "isActive": true, "conditions": {"op": "and", "conditions": [
        {"field": "conversation.status", "operator": "eq", "value": "qualified"}]},
      "actions": [{"type": "set_status", "status": "active"}]})");
  auto to_qualified = f.Create(R"({"name": "Requalify", "event": "conversation.status_changed",
      "isActive": true, "conditions": {"op": "and", "conditions": [
        {"field": "conversation.status", "operator": "eq", "value": "active"},
        {"field": "event.previousStatus", "operator": "eq", "value": "qualified"}]},
      "actions": [{"type": "set_status", "status": "qualified"}]})");
  auto o = f.Customer("3361111", "hi");
  std::string cursor = "-";
  f.StreamSince(cursor);  // nothing before the person's change counts
  v1::SetConversationStatusRequest set;
  set.set_id(o.conversation.id);
  set.set_status("qualified");
  v1::Conversation out;
  REQUIRE_OK(f.service->DoSetConversationStatus(f.admin, set, &out));

  // Feed the stream back into the engine, as the consumer does, until nothing new comes.
  std::vector<events::v1::EventEnvelope> changes;
  for (int round = 0; round < 10; ++round) {
    auto batch = f.StreamSince(cursor);
    if (batch.empty()) {
      break;
    }
    for (const auto& e : batch) {
      if (e.type() == "conversation.status_changed") {
        changes.push_back(e);
      }
      REQUIRE_OK(f.engine->HandleEnvelope(e));
    }
  }
  // qualified (person, 0) → active (1) → qualified (2) → active (3): the chain stops there.
  REQUIRE(changes.size() == 4);
  for (int d = 0; d < 4; ++d) {
    CHECK(changes[d].automation_depth() == d);
  }
  CHECK(changes[0].caused_by_automation_id().empty());
  CHECK(changes[1].caused_by_automation_id() == to_active.id());
  CHECK(changes[2].caused_by_automation_id() == to_qualified.id());
  CHECK(changes[3].caused_by_automation_id() == to_active.id());

  auto active_runs = f.Executions(to_active.id());
  REQUIRE(active_runs.size() == 2);  // newest first: depth 2, then 0
  CHECK(active_runs[0].depth() == 2);
  CHECK(active_runs[1].depth() == 0);
  auto qualified_runs = f.Executions(to_qualified.id());
  REQUIRE(qualified_runs.size() == 2);
  CHECK(qualified_runs[0].status() == "skipped");
  CHECK(qualified_runs[0].error() == "depth limit");
  CHECK(qualified_runs[0].depth() == 3);
  CHECK(qualified_runs[1].status() == "succeeded");
  CHECK(qualified_runs[1].depth() == 1);
  auto conv = Unwrap(f.conversations.GetConversation(f.ws, o.conversation.id));
  CHECK(conv->status == "active");
  // An event published outside any automation has depth 0 again.
  events::v1::ContactCreated p;
  REQUIRE(Unwrap(f.events->Publish("contact.created", f.ws, p)).size() > 0);
  auto last = f.StreamSince(cursor);
  REQUIRE(last.size() == 1);
  CHECK(last[0].automation_depth() == 0);
}

SALESOS_TEST_BOTH_ENGINES("a chain of automations stops at depth 3 with a skipped execution",
                          "[conversation][automation]", conversation_lib_migrations(),
                          "automation_engine", CheckDepthGuard)

void CheckDailySchedule(store::Store& db) {
  Fixture f(db);
  for (const auto& [name, city] : std::vector<std::pair<std::string, std::string>>{
           {"Ana", "Lyon"}, {"Ben", "Lyon"}, {"Cy", "Paris"}}) {
    v1::Contact c;
    c.set_first_name(name);
    c.set_city(city);
    v1::Contact made;
    REQUIRE_OK(f.contacts->DoCreateContact(f.admin, c, &made));
  }
  // Two days from now at 00:00 UTC; Asia/Kolkata is UTC+5:30 all year, so 09:00 there is
  // 03:30 UTC.
  const int64_t kDay = 86'400'000, kMinute = 60'000;
  const int64_t base = (NowUnixMillis() / kDay + 2) * kDay;
  f.now_ms = base;
  auto rule = f.Create(R"({"name": "Lyon morning", "event": "schedule.daily", "isActive": true,
      "schedule": {"time": "09:00", "timezone": "Asia/Kolkata"},
      "conditions": {"op": "and", "conditions": [
        {"field": "city", "operator": "eq", "value": "lyon"}]},
      "actions": [{"type": "add_tag", "tag": "morning"}]})");
  f.now_ms = base + 3 * 60 * kMinute + 29 * kMinute;  // 08:59 there
  REQUIRE_OK(f.engine->RunSchedules());
  CHECK(f.Executions(rule.id()).empty());
  f.now_ms = base + 3 * 60 * kMinute + 30 * kMinute;  // 09:00
  REQUIRE_OK(f.engine->RunSchedules());
  auto runs = f.Executions(rule.id());
  REQUIRE(runs.size() == 2);
  for (const auto& r : runs) {
    CHECK(r.status() == "succeeded");
    CHECK(r.event() == "schedule.daily");
    CHECK(r.event_id().empty());
    auto contact = Unwrap(f.contact_store.GetContact(f.ws, r.contact_id()));
    CHECK(contact->city == "Lyon");
    CHECK(contact->tags == std::vector<std::string>{"morning"});
  }
  f.now_ms = base + 18 * 60 * kMinute + 29 * kMinute;  // 23:59 there: the same local day
  REQUIRE_OK(f.engine->RunSchedules());
  CHECK(f.Executions(rule.id()).size() == 2);
  f.now_ms = base + kDay + 4 * 60 * kMinute;  // the next day, after 09:00
  REQUIRE_OK(f.engine->RunSchedules());
  CHECK(f.Executions(rule.id()).size() == 4);
}

SALESOS_TEST_BOTH_ENGINES("a daily automation runs once a local day over the contacts it matches",
                          "[conversation][automation]", conversation_lib_migrations(),
                          "automation_engine", CheckDailySchedule)

}  // namespace
}  // namespace salesos::conversation
