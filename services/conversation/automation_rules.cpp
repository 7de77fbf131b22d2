#include "automation_rules.h"

#include <google/protobuf/util/json_util.h>

#include <boost/json.hpp>

#include "contact_rules.h"
#include "salesos/core/ids.h"
#include "salesos/core/time_zone.h"
#include "salesos/segments/catalogue.h"

namespace salesos::conversation {
namespace {

constexpr std::string_view kEvents[] = {"message.received",           "conversation.created",
                                        "conversation.status_changed", "lead.scored",
                                        "contact.created",             "schedule.daily"};

bool HasControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

// A tree is present when it has a group or a condition at its root.
bool HasTree(const common::v1::SegmentRule& r) {
  return !r.op().empty() || r.conditions_size() > 0 || !r.field().empty() ||
         !r.operator_().empty() || r.has_value() || r.not_();
}

Status ValidateAction(v1::AutomationAction* a, const std::string& path) {
  const std::string& type = a->type();
  if (type.empty()) {
    return FieldError(path + ".type", "is required");
  }
  if (type == "send_message") {
    if (a->text().empty() && a->template_id().empty()) {
      return FieldError(path + ".text", "is required (or templateId)");
    }
    if (!a->text().empty() && (!IsUtf8Text(a->text()) || Utf8Chars(a->text()) > kMaxAutomationTextChars ||
                               a->text().find_first_not_of(" \t\r\n") == std::string::npos)) {
      return FieldError(path + ".text", "must be 1 to 4,096 characters, not blank");
    }
    if (!a->template_id().empty() && !IsUuid(a->template_id())) {
      return FieldError(path + ".templateId", "must be a template id");
    }
    return OkStatus();
  }
  if (type == "add_tag" || type == "remove_tag") {
    SALESOS_ASSIGN_OR_RETURN(std::string tag, NormalizeTag(a->tag(), path + ".tag"));
    a->set_tag(tag);
    return OkStatus();
  }
  if (type == "assign_agent") {
    if (!a->agent_id().empty() && !IsUuid(a->agent_id())) {
      return FieldError(path + ".agentId", "must be a member's user id, or empty to unassign");
    }
    return OkStatus();
  }
  if (type == "handoff") {
    if (Utf8Chars(a->reason()) > 200 || HasControl(a->reason())) {
      return FieldError(path + ".reason", "must be at most 200 characters");
    }
    return OkStatus();
  }
  if (type == "set_status") {
    const std::string& s = a->status();
    if (s != "active" && s != "qualified" && s != "closed" && s != "archived") {
      return FieldError(path + ".status", "must be one of active, qualified, closed, archived");
    }
    return OkStatus();
  }
  if (type == "set_journey_stage") {
    if (!IsJourneyStage(a->journey_stage())) {
      return FieldError(path + ".journeyStage",
                        "must be one of awareness, interest, consideration, purchase, retention");
    }
    return OkStatus();
  }
  if (type == "webhook") {
    if (a->webhook_id().empty() || a->webhook_id().size() > 64 || HasControl(a->webhook_id())) {
      return FieldError(path + ".webhookId", "is required: an outgoing webhook's id");
    }
    return OkStatus();
  }
  return FieldError(path + ".type",
                    "must be one of send_message, add_tag, remove_tag, assign_agent, handoff, "
                    "set_status, set_journey_stage, webhook");
}

std::string Json(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

}  // namespace

bool IsAutomationEvent(std::string_view event) {
  for (auto e : kEvents) {
    if (e == event) {
      return true;
    }
  }
  return false;
}

int ScheduleMinutes(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') {
    return -1;
  }
  for (size_t i : {0, 1, 3, 4}) {
    if (s[i] < '0' || s[i] > '9') {
      return -1;
    }
  }
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) {
    return -1;
  }
  return h * 60 + m;
}

Status ValidateAutomation(v1::Automation* a, const segments::CustomFieldDecls& custom) {
  if (a->name().empty() || !IsUtf8Text(a->name()) || Utf8Chars(a->name()) > 200 ||
      HasControl(a->name()) || a->name().find_first_not_of(' ') == std::string::npos) {
    return FieldError("name", "must be 1 to 200 characters, not blank");
  }
  if (a->event().empty()) {
    return FieldError("event", "is required");
  }
  if (!IsAutomationEvent(a->event())) {
    return FieldError("event",
                      "must be one of message.received, conversation.created, "
                      "conversation.status_changed, lead.scored, contact.created, schedule.daily");
  }
  const bool daily = a->event() == "schedule.daily";
  if (a->has_conditions() && HasTree(a->conditions())) {
    SALESOS_RETURN_IF_ERROR(segments::ValidateSegmentRule(
        a->conditions(), "conditions", &custom,
        daily ? segments::RuleScope::kSegment : segments::RuleScope::kAutomation));
  } else {
    a->clear_conditions();
  }
  if (a->actions_size() == 0 || a->actions_size() > kMaxAutomationActions) {
    return FieldError("actions", "must hold 1 to 20 actions");
  }
  for (int i = 0; i < a->actions_size(); ++i) {
    SALESOS_RETURN_IF_ERROR(
        ValidateAction(a->mutable_actions(i), "actions[" + std::to_string(i) + "]"));
  }
  if (a->priority() < -kMaxAutomationPriority || a->priority() > kMaxAutomationPriority) {
    return FieldError("priority", "must be -1000 to 1000");
  }
  if (daily) {
    if (ScheduleMinutes(a->schedule().time()) < 0) {
      return FieldError("schedule.time", "is required for schedule.daily: HH:MM, 00:00 to 23:59");
    }
    if (a->schedule().timezone().empty()) {
      a->mutable_schedule()->set_timezone("UTC");
    }
    if (!TimeZoneExists(a->schedule().timezone())) {
      return FieldError("schedule.timezone", "must be an IANA time zone, e.g. Europe/Paris");
    }
  } else if (a->has_schedule() &&
             (!a->schedule().time().empty() || !a->schedule().timezone().empty())) {
    return FieldError("schedule", "is only for event schedule.daily");
  }
  return OkStatus();
}

Result<AutomationRow> RowOfAutomation(const v1::Automation& a) {
  AutomationRow row;
  row.id = a.id();
  row.name = a.name();
  row.event = a.event();
  row.conditions = a.has_conditions() ? Json(a.conditions()) : "";
  boost::json::array actions;
  for (const auto& action : a.actions()) {
    actions.push_back(boost::json::parse(Json(action)));
  }
  row.actions = boost::json::serialize(actions);
  row.is_active = a.is_active();
  row.priority = a.priority();
  row.schedule_time = a.schedule().time();
  row.schedule_timezone = a.schedule().timezone();
  row.created_by = a.created_by();
  row.created_at = a.created_at();
  row.updated_at = a.updated_at();
  return row;
}

Result<bool> ConditionsOf(const AutomationRow& row, common::v1::SegmentRule* out) {
  if (row.conditions.empty()) {
    return false;
  }
  if (!google::protobuf::util::JsonStringToMessage(row.conditions, out).ok()) {
    return Internal("stored automation conditions do not parse");
  }
  return true;
}

Status ActionsOf(const AutomationRow& row,
                 google::protobuf::RepeatedPtrField<v1::AutomationAction>* out) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(row.actions, ec);
  if (ec || !parsed.is_array()) {
    return Internal("stored automation actions do not parse");
  }
  for (const auto& item : parsed.as_array()) {
    if (!google::protobuf::util::JsonStringToMessage(boost::json::serialize(item), out->Add())
             .ok()) {
      return Internal("stored automation action does not parse");
    }
  }
  return OkStatus();
}

Status FillAutomation(const AutomationRow& row, v1::Automation* out) {
  out->set_id(row.id);
  out->set_name(row.name);
  out->set_event(row.event);
  SALESOS_ASSIGN_OR_RETURN(bool has, ConditionsOf(row, out->mutable_conditions()));
  if (!has) {
    out->clear_conditions();
  }
  SALESOS_RETURN_IF_ERROR(ActionsOf(row, out->mutable_actions()));
  out->set_is_active(row.is_active);
  out->set_priority(static_cast<int32_t>(row.priority));
  if (!row.schedule_time.empty()) {
    out->mutable_schedule()->set_time(row.schedule_time);
    out->mutable_schedule()->set_timezone(row.schedule_timezone);
  }
  out->set_created_by(row.created_by);
  out->set_created_at(row.created_at);
  out->set_updated_at(row.updated_at);
  out->set_execution_count(row.execution_count);
  out->set_last_executed_at(row.last_executed_at);
  return OkStatus();
}

void FillExecution(const ExecutionRow& row, v1::AutomationExecution* out) {
  out->set_id(row.id);
  out->set_automation_id(row.automation_id);
  // A schedule.daily run's key is "schedule:<date>"; it has no triggering event.
  out->set_event_id(row.event_id.rfind("schedule:", 0) == 0 ? "" : row.event_id);
  out->set_event(row.event);
  out->set_contact_id(row.contact_id);
  out->set_conversation_id(row.conversation_id);
  out->set_status(row.status);
  out->set_result(row.result);
  out->set_error(row.error);
  out->set_execution_time_ms(static_cast<int32_t>(row.execution_time_ms));
  out->set_depth(static_cast<int32_t>(row.depth));
  out->set_started_at(row.started_at);
}

}  // namespace salesos::conversation

namespace salesos::conversation {

Result<LocalMoment> LocalMomentIn(std::string_view zone, int64_t now_ms) {
  SALESOS_ASSIGN_OR_RETURN(auto tz, TimeZone::Load(zone.empty() ? "UTC" : zone, "timezone"));
  int64_t seconds = now_ms / 1000 - (now_ms % 1000 < 0 ? 1 : 0);
  int64_t local = tz->ToLocal(seconds);
  int64_t days = local / 86400 - (local % 86400 < 0 ? 1 : 0);
  LocalMoment m;
  m.date = segments::DateFromDays(days);
  m.minute = static_cast<int>((local - days * 86400) / 60);
  return m;
}

}  // namespace salesos::conversation
