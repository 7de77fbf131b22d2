#include "automation_service.h"

#include "automation_rules.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/rpc/paging.h"
#include <algorithm>

namespace salesos::conversation {
namespace {

constexpr char kAutomationNotFound[] = "automation not found";
constexpr std::string_view kAutomationPageKind = "au1";
constexpr std::string_view kExecutionPageKind = "ax1";

Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("automations belong to a workspace; this token has none");
  }
  return OkStatus();
}

Status RequireAutomationId(const std::string& id) {
  if (id.empty()) {
    return FieldError("id", "is required");
  }
  return IsUuid(id) ? OkStatus() : NotFound(kAutomationNotFound);
}

}  // namespace

Status AutomationServiceImpl::Check(const rpc::Caller& caller, v1::Automation* a) {
  SALESOS_ASSIGN_OR_RETURN(auto decls, contacts_.FieldDecls(caller.workspace_id));
  SALESOS_RETURN_IF_ERROR(ValidateAutomation(a, decls));
  for (int i = 0; i < a->actions_size(); ++i) {
    const auto& action = a->actions(i);
    if (action.type() != "assign_agent" || action.agent_id().empty() || !members_) {
      continue;
    }
    Status member = members_(caller.workspace_id, action.agent_id());
    if (member.code() == Code::kNotFound) {
      return FieldError("actions[" + std::to_string(i) + "].agentId",
                        "is not a member of this workspace");
    }
    if (!member.ok()) {
      return Unavailable("members cannot be checked right now (auth): " + member.message());
    }
  }
  return OkStatus();
}

Status AutomationServiceImpl::SkipToday(const AutomationRow& row) {
  if (row.event != "schedule.daily") {
    return OkStatus();
  }
  SALESOS_ASSIGN_OR_RETURN(auto now, LocalMomentIn(row.schedule_timezone, NowUnixMillis()));
  if (now.minute < ScheduleMinutes(row.schedule_time)) {
    return OkStatus();
  }
  SALESOS_ASSIGN_OR_RETURN(std::string last, store_.LastScheduledDate(row.id));
  if (last >= now.date) {
    return OkStatus();
  }
  return store_.MarkScheduled(row.workspace_id, row.id, now.date,
                              FormatRfc3339Millis(NowUnixMillis()));
}

Status AutomationServiceImpl::DoCreateAutomation(const rpc::Caller& caller,
                                                 const v1::Automation& req, v1::Automation* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  v1::Automation a = req;
  SALESOS_RETURN_IF_ERROR(Check(caller, &a));
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  a.set_id(NewUuidV7());
  a.set_created_by(caller.user_id);
  a.set_created_at(now);
  a.set_updated_at(now);
  SALESOS_ASSIGN_OR_RETURN(AutomationRow row, RowOfAutomation(a));
  row.workspace_id = caller.workspace_id;
  SALESOS_RETURN_IF_ERROR(store_.Create(row, kMaxAutomationsPerWorkspace));
  SALESOS_RETURN_IF_ERROR(SkipToday(row));
  return FillAutomation(row, resp);
}

Status AutomationServiceImpl::DoListAutomations(const rpc::Caller& caller,
                                                const v1::ListAutomationsRequest& req,
                                                v1::ListAutomationsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  if (!req.event().empty() && !IsAutomationEvent(req.event())) {
    return FieldError("event", "is not an automation event");
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kAutomationPageKind, req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(auto rows,
                           store_.List(caller.workspace_id, req.event(), after, page_size + 1));
  const std::string next = rpc::TakePage(rows, page_size, kAutomationPageKind);
  for (const auto& row : rows) {
    SALESOS_RETURN_IF_ERROR(FillAutomation(row, resp->add_automations()));
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status AutomationServiceImpl::DoGetAutomation(const rpc::Caller& caller,
                                              const v1::GetAutomationRequest& req,
                                              v1::Automation* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireAutomationId(req.id()));
  SALESOS_ASSIGN_OR_RETURN(auto row, store_.Get(caller.workspace_id, req.id()));
  if (!row) {
    return NotFound(kAutomationNotFound);
  }
  return FillAutomation(*row, resp);
}

Status AutomationServiceImpl::DoUpdateAutomation(const rpc::Caller& caller,
                                                 const v1::UpdateAutomationRequest& req,
                                                 v1::Automation* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireAutomationId(req.id()));
  SALESOS_ASSIGN_OR_RETURN(auto row, store_.Get(caller.workspace_id, req.id()));
  if (!row) {
    return NotFound(kAutomationNotFound);
  }
  v1::Automation a;
  SALESOS_RETURN_IF_ERROR(FillAutomation(*row, &a));
  const v1::Automation& in = req.automation();
  static const std::vector<std::string> kPaths = {"name",     "event",    "conditions", "actions",
                                                  "isActive", "priority", "schedule"};
  std::vector<std::string> paths;
  if (req.update_mask_size() > 0) {
    for (const auto& p : req.update_mask()) {
      std::string path = p == "is_active" ? "isActive" : p;
      if (std::find(kPaths.begin(), kPaths.end(), path) == kPaths.end()) {
        return FieldError("updateMask",
                          "paths are name, event, conditions, actions, isActive, priority, "
                          "schedule; not \"" + p.substr(0, 64) + "\"");
      }
      paths.push_back(path);
    }
  } else {
    // A partial object: what is present replaces. Without field presence in proto3, a scalar at
    // its default (isActive false, priority 0) cannot be told from an absent one, so it counts
    // only when it is all the body says ({"isActive": false} pauses); else use updateMask.
    if (!in.name().empty()) paths.push_back("name");
    if (!in.event().empty()) paths.push_back("event");
    if (in.has_conditions()) paths.push_back("conditions");
    if (in.actions_size() > 0) paths.push_back("actions");
    if (in.priority() != 0) paths.push_back("priority");
    if (in.has_schedule()) paths.push_back("schedule");
    if (in.is_active()) paths.push_back("isActive");
    if (paths.empty()) {
      paths = {"isActive"};
    }
  }
  for (const auto& p : paths) {
    if (p == "name") {
      a.set_name(in.name());
    } else if (p == "event") {
      a.set_event(in.event());
    } else if (p == "conditions") {
      *a.mutable_conditions() = in.conditions();
    } else if (p == "actions") {
      *a.mutable_actions() = in.actions();
    } else if (p == "isActive") {
      a.set_is_active(in.is_active());
    } else if (p == "priority") {
      a.set_priority(in.priority());
    } else if (p == "schedule") {
      *a.mutable_schedule() = in.schedule();
    }
  }
  if (a.event() != "schedule.daily" && std::find(paths.begin(), paths.end(), "event") != paths.end() &&
      std::find(paths.begin(), paths.end(), "schedule") == paths.end()) {
    a.clear_schedule();  // moving off schedule.daily drops the schedule
  }
  SALESOS_RETURN_IF_ERROR(Check(caller, &a));
  a.set_updated_at(FormatRfc3339Millis(NowUnixMillis()));
  SALESOS_ASSIGN_OR_RETURN(AutomationRow updated, RowOfAutomation(a));
  updated.workspace_id = caller.workspace_id;
  updated.execution_count = row->execution_count;
  updated.last_executed_at = row->last_executed_at;
  SALESOS_ASSIGN_OR_RETURN(bool found, store_.Update(updated));
  if (!found) {
    return NotFound(kAutomationNotFound);
  }
  if (updated.schedule_time != row->schedule_time ||
      updated.schedule_timezone != row->schedule_timezone || updated.event != row->event) {
    SALESOS_RETURN_IF_ERROR(SkipToday(updated));
  }
  return FillAutomation(updated, resp);
}

Status AutomationServiceImpl::DoDeleteAutomation(const rpc::Caller& caller,
                                                 const v1::DeleteAutomationRequest& req) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireAutomationId(req.id()));
  SALESOS_ASSIGN_OR_RETURN(bool removed, store_.Delete(caller.workspace_id, req.id()));
  return removed ? OkStatus() : NotFound(kAutomationNotFound);
}

Status AutomationServiceImpl::DoListAutomationExecutions(
    const rpc::Caller& caller, const v1::ListAutomationExecutionsRequest& req,
    v1::ListAutomationExecutionsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireAutomationId(req.id()));
  const std::string& status = req.status();
  if (!status.empty() && status != "running" && status != "succeeded" && status != "failed" &&
      status != "skipped") {
    return FieldError("status", "must be one of running, succeeded, failed, skipped");
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string before,
                           rpc::DecodePageToken(kExecutionPageKind, req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(auto automation, store_.Get(caller.workspace_id, req.id()));
  if (!automation) {
    return NotFound(kAutomationNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(auto rows, store_.ListExecutions(caller.workspace_id, req.id(), status,
                                                            before, page_size + 1));
  const std::string next = rpc::TakePage(rows, page_size, kExecutionPageKind);
  for (const auto& row : rows) {
    FillExecution(row, resp->add_executions());
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

#define SALESOS_AUTOMATION_RPC(Method, Request, Response, Call)                               \
  grpc::ServerUnaryReactor* AutomationServiceImpl::Method(grpc::CallbackServerContext* ctx,   \
                                                          const Request* req, Response* resp) { \
    return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {           \
      (void)req;                                                                              \
      (void)resp;                                                                             \
      return Call;                                                                            \
    });                                                                                       \
  }

SALESOS_AUTOMATION_RPC(CreateAutomation, v1::Automation, v1::Automation,
                       DoCreateAutomation(caller, *req, resp))
SALESOS_AUTOMATION_RPC(ListAutomations, v1::ListAutomationsRequest, v1::ListAutomationsResponse,
                       DoListAutomations(caller, *req, resp))
SALESOS_AUTOMATION_RPC(GetAutomation, v1::GetAutomationRequest, v1::Automation,
                       DoGetAutomation(caller, *req, resp))
SALESOS_AUTOMATION_RPC(UpdateAutomation, v1::UpdateAutomationRequest, v1::Automation,
                       DoUpdateAutomation(caller, *req, resp))
SALESOS_AUTOMATION_RPC(DeleteAutomation, v1::DeleteAutomationRequest,
                       v1::DeleteAutomationResponse, DoDeleteAutomation(caller, *req))
SALESOS_AUTOMATION_RPC(ListAutomationExecutions, v1::ListAutomationExecutionsRequest,
                       v1::ListAutomationExecutionsResponse,
                       DoListAutomationExecutions(caller, *req, resp))

#undef SALESOS_AUTOMATION_RPC

}  // namespace salesos::conversation
