// AutomationServiceImpl without gRPC (the Do* methods) on both engines: validation naming the
// field at fault, the scopes of the rule tree (event fields for event rules, contact fields only
// for schedule.daily), the limits, partial updates, isolation between workspaces, assign_agent
// checked against the members, and executions listed newest first with paging.
#include "automation_service.h"

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <string>

#include "automation_store.h"
#include "conversation_lib_migrations.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/rpc/work_pool.h"
#include "support/databases.h"

namespace salesos::conversation {
namespace {

using testing::Unwrap;

template <typename M>
M Json(const std::string& json) {
  M m;
  auto st = google::protobuf::util::JsonStringToMessage(json, &m);
  INFO(json);
  REQUIRE(st.ok());
  return m;
}

rpc::Caller As(const std::string& ws) {
  rpc::Caller c;
  c.user_id = NewUuidV7();
  c.workspace_id = ws;
  c.role = "admin";
  c.token_type = "access";
  return c;
}

std::string Violation(const Status& st) {
  INFO(st.ToString());
  REQUIRE(st.code() == Code::kInvalidArgument);
  REQUIRE_FALSE(st.violations().empty());
  return st.violations().front().field;
}

const std::string kMember = "0190f3a0-0000-7000-8000-000000000001";

struct Fixture {
  explicit Fixture(store::Store& db)
      : db(db), service(db, pool, [](const std::string&, const std::string& user) {
          return user == kMember ? OkStatus() : NotFound("no such member");
        }) {}

  Status Create(const std::string& json, v1::Automation* out = nullptr) {
    v1::Automation ignored;
    return service.DoCreateAutomation(admin, Json<v1::Automation>(json),
                                      out != nullptr ? out : &ignored);
  }

  store::Store& db;
  rpc::WorkPool pool{1};
  AutomationServiceImpl service;
  std::string ws = NewUuidV7();
  rpc::Caller admin = As(ws);
};

const char kTagRule[] = R"({"name": "Tag", "event": "message.received", "isActive": true,
    "actions": [{"type": "add_tag", "tag": "VIP"}]})";

void CheckValidation(store::Store& db) {
  Fixture f(db);
  v1::Automation made;
  REQUIRE_OK(f.Create(kTagRule, &made));
  CHECK(made.actions(0).tag() == "vip");
  CHECK(made.created_by() == f.admin.user_id);
  CHECK_FALSE(made.has_conditions());

  CHECK(Violation(f.Create(R"({"event": "message.received", "actions": [{"type": "handoff"}]})")) ==
        "name");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "message.sent",
      "actions": [{"type": "handoff"}]})")) == "event");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "lead.scored", "actions": []})")) ==
        "actions");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "lead.scored",
      "actions": [{"type": "handoff"}, {"type": "add_tag", "tag": " "}]})")) == "actions[1].tag");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "lead.scored",
      "actions": [{"type": "set_status", "status": "converted"}]})")) == "actions[0].status");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "lead.scored",
      "actions": [{"type": "set_journey_stage", "journeyStage": "done"}]})")) ==
        "actions[0].journeyStage");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "lead.scored",
      "actions": [{"type": "webhook"}]})")) == "actions[0].webhookId");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "lead.scored",
      "actions": [{"type": "dance"}]})")) == "actions[0].type");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "lead.scored",
      "actions": [{"type": "assign_agent", "agentId": "0190f3a0-0000-7000-8000-0000000000ff"}]})")) ==
        "actions[0].agentId");
  REQUIRE_OK(f.Create(R"({"name": "x", "event": "lead.scored",
      "actions": [{"type": "assign_agent", "agentId": ")" + kMember + R"("}]})"));
  CHECK(Violation(f.Create(R"({"name": "x", "event": "lead.scored", "priority": 1001,
      "actions": [{"type": "handoff"}]})")) == "priority");
  std::string many = R"({"name": "x", "event": "lead.scored", "actions": [)";
  for (int i = 0; i < 21; ++i) {
    many += std::string(i ? "," : "") + R"({"type": "handoff"})";
  }
  CHECK(Violation(f.Create(many + "]}")) == "actions");

  // Event fields for event rules; schedule.daily runs in SQL over contacts only.
  REQUIRE_OK(f.Create(R"({"name": "x", "event": "message.received",
      "conditions": {"op": "and", "conditions": [
        {"field": "message.text", "operator": "contains", "value": "price"}]},
      "actions": [{"type": "handoff"}]})"));
  CHECK(Violation(f.Create(R"({"name": "x", "event": "message.received",
      "conditions": {"op": "and", "conditions": [
        {"field": "message.text", "operator": "gt", "value": 1}]},
      "actions": [{"type": "handoff"}]})")) == "conditions.conditions[0].operator");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "schedule.daily",
      "schedule": {"time": "09:00"},
      "conditions": {"op": "and", "conditions": [
        {"field": "message.text", "operator": "contains", "value": "price"}]},
      "actions": [{"type": "add_tag", "tag": "a"}]})")) == "conditions.conditions[0].field");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "schedule.daily",
      "actions": [{"type": "add_tag", "tag": "a"}]})")) == "schedule.time");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "schedule.daily",
      "schedule": {"time": "09:00", "timezone": "Mars/Olympus"},
      "actions": [{"type": "add_tag", "tag": "a"}]})")) == "schedule.timezone");
  CHECK(Violation(f.Create(R"({"name": "x", "event": "lead.scored",
      "schedule": {"time": "09:00"}, "actions": [{"type": "handoff"}]})")) == "schedule");
  v1::Automation daily;
  REQUIRE_OK(f.Create(R"({"name": "x", "event": "schedule.daily", "schedule": {"time": "23:59"},
      "actions": [{"type": "add_tag", "tag": "a"}]})", &daily));
  CHECK(daily.schedule().timezone() == "UTC");
}

SALESOS_TEST_BOTH_ENGINES("automations are validated naming the field at fault",
                          "[conversation][automation]", conversation_lib_migrations(),
                          "automation_service", CheckValidation)

void CheckCrudAndIsolation(store::Store& db) {
  Fixture f(db);
  v1::Automation made;
  REQUIRE_OK(f.Create(kTagRule, &made));
  // Partial update: only what is present changes.
  v1::UpdateAutomationRequest update;
  update.set_id(made.id());
  update.mutable_automation()->set_name("Renamed");
  update.mutable_automation()->set_priority(7);
  v1::Automation updated;
  REQUIRE_OK(f.service.DoUpdateAutomation(f.admin, update, &updated));
  CHECK(updated.name() == "Renamed");
  CHECK(updated.priority() == 7);
  CHECK(updated.is_active());
  CHECK(updated.actions_size() == 1);
  // A body of only {"isActive": false} pauses; so does the mask, whatever else the body holds.
  v1::UpdateAutomationRequest off;
  off.set_id(made.id());
  REQUIRE_OK(f.service.DoUpdateAutomation(f.admin, off, &updated));
  CHECK_FALSE(updated.is_active());
  CHECK(updated.name() == "Renamed");
  CHECK(updated.priority() == 7);
  v1::UpdateAutomationRequest on;
  on.set_id(made.id());
  on.mutable_automation()->set_is_active(true);
  REQUIRE_OK(f.service.DoUpdateAutomation(f.admin, on, &updated));
  CHECK(updated.is_active());
  off.mutable_automation()->set_name("Paused");
  off.add_update_mask("isActive");
  REQUIRE_OK(f.service.DoUpdateAutomation(f.admin, off, &updated));
  CHECK_FALSE(updated.is_active());
  CHECK(updated.name() == "Renamed");  // not in the mask
  off.clear_update_mask();
  off.add_update_mask("owner");
  CHECK(Violation(f.service.DoUpdateAutomation(f.admin, off, &updated)) == "updateMask");

  // Another workspace sees nothing of it.
  rpc::Caller stranger = As(NewUuidV7());
  v1::GetAutomationRequest get;
  get.set_id(made.id());
  v1::Automation got;
  CHECK(f.service.DoGetAutomation(stranger, get, &got).code() == Code::kNotFound);
  v1::DeleteAutomationRequest del;
  del.set_id(made.id());
  CHECK(f.service.DoDeleteAutomation(stranger, del).code() == Code::kNotFound);
  v1::ListAutomationsResponse list;
  REQUIRE_OK(f.service.DoListAutomations(stranger, {}, &list));
  CHECK(list.automations().empty());

  // Listing pages, filtered by event.
  for (int i = 0; i < 3; ++i) {
    REQUIRE_OK(f.Create(R"({"name": "L", "event": "lead.scored",
        "actions": [{"type": "handoff"}]})"));
  }
  v1::ListAutomationsRequest page;
  page.set_event("lead.scored");
  page.set_page_size(2);
  REQUIRE_OK(f.service.DoListAutomations(f.admin, page, &list));
  CHECK(list.automations_size() == 2);
  REQUIRE_FALSE(list.next_page_token().empty());
  page.set_page_token(list.next_page_token());
  v1::ListAutomationsResponse rest;
  REQUIRE_OK(f.service.DoListAutomations(f.admin, page, &rest));
  CHECK(rest.automations_size() == 1);
  CHECK(rest.next_page_token().empty());

  REQUIRE_OK(f.service.DoDeleteAutomation(f.admin, del));
  CHECK(f.service.DoGetAutomation(f.admin, get, &got).code() == Code::kNotFound);
}

SALESOS_TEST_BOTH_ENGINES("automations are updated in part, listed by page and kept per workspace",
                          "[conversation][automation]", conversation_lib_migrations(),
                          "automation_service", CheckCrudAndIsolation)

void CheckLimitAndExecutions(store::Store& db) {
  Fixture f(db);
  AutomationStore store(db);
  // The workspace limit, reached through the store (200 creates are slow on PostgreSQL).
  for (int i = 0; i < 199; ++i) {
    AutomationRow row;
    row.id = NewUuidV7();
    row.workspace_id = f.ws;
    row.name = "n";
    row.event = "lead.scored";
    row.created_at = row.updated_at = "2026-11-21T10:00:00.000Z";
    REQUIRE_OK(store.Create(row, 200));
  }
  v1::Automation last;
  REQUIRE_OK(f.Create(kTagRule, &last));
  CHECK(f.Create(kTagRule).code() == Code::kFailedPrecondition);

  // Executions: claimed once per (automation, event, contact), listed newest first.
  ExecutionRow e;
  e.workspace_id = f.ws;
  e.automation_id = last.id();
  e.event = "message.received";
  e.status = "running";
  e.started_at = "2026-11-21T10:00:00.000Z";
  e.started_ms = NowUnixMillis();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    e.id = NewUuidV7();
    e.event_id = NewUuidV7();
    e.contact_id = "c";
    REQUIRE(Unwrap(store.ClaimExecution(e)));
    e.status = i == 1 ? "failed" : "succeeded";
    REQUIRE_OK(store.FinishExecution(e));
    e.status = "running";
    ids.push_back(e.id);
  }
  e.id = NewUuidV7();
  CHECK_FALSE(Unwrap(store.ClaimExecution(e)));  // the same event and contact again

  v1::ListAutomationExecutionsRequest req;
  req.set_id(last.id());
  req.set_page_size(2);
  v1::ListAutomationExecutionsResponse page;
  REQUIRE_OK(f.service.DoListAutomationExecutions(f.admin, req, &page));
  REQUIRE(page.executions_size() == 2);
  CHECK(page.executions(0).id() == ids[2]);
  CHECK(page.executions(1).id() == ids[1]);
  req.set_page_token(page.next_page_token());
  v1::ListAutomationExecutionsResponse rest;
  REQUIRE_OK(f.service.DoListAutomationExecutions(f.admin, req, &rest));
  REQUIRE(rest.executions_size() == 1);
  CHECK(rest.executions(0).id() == ids[0]);
  CHECK(rest.next_page_token().empty());
  v1::ListAutomationExecutionsRequest failed;
  failed.set_id(last.id());
  failed.set_status("failed");
  v1::ListAutomationExecutionsResponse only;
  REQUIRE_OK(f.service.DoListAutomationExecutions(f.admin, failed, &only));
  REQUIRE(only.executions_size() == 1);
  CHECK(only.executions(0).id() == ids[1]);
  v1::GetAutomationRequest get;
  get.set_id(last.id());
  v1::Automation shown;
  REQUIRE_OK(f.service.DoGetAutomation(f.admin, get, &shown));
  CHECK(shown.execution_count() == 3);

  CHECK(Unwrap(store.PruneExecutions(NowUnixMillis() + 1)) == 3);
}

SALESOS_TEST_BOTH_ENGINES("a workspace holds 200 automations and executions run once and list newest first",
                          "[conversation][automation]", conversation_lib_migrations(),
                          "automation_service", CheckLimitAndExecutions)

}  // namespace
}  // namespace salesos::conversation
