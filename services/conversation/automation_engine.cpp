#include "automation_engine.h"

#include <chrono>
#include <map>

#include "automation_rules.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/segments/evaluate.h"
#include "salesos/segments/sql.h"
#include "salesos/templates/template_renderer.h"

namespace salesos::conversation {
namespace {

constexpr int64_t kDailyPage = 500;

segments::ContactFacts FactsOf(const ContactRow& c) {
  segments::ContactFacts f;
  f.first_name = c.first_name;
  f.last_name = c.last_name;
  f.full_name = c.full_name;
  f.email = c.email;
  f.phone = c.phone;
  f.title = c.title;
  f.city = c.city;
  f.country = c.country;
  f.language = c.language;
  f.account_id = c.account_id;
  f.owner_id = c.owner_id;
  f.source = c.source;
  f.journey_stage = c.journey_stage;
  f.status = c.status;
  f.on_facebook = !c.facebook_id.empty();
  f.on_instagram = !c.instagram_id.empty();
  f.on_whatsapp = !c.whatsapp_id.empty();
  f.lead_score = static_cast<double>(c.lead_score);
  f.total_spent = c.total_spent;
  f.orders_count = static_cast<double>(c.orders_count);
  f.visit_count = static_cast<double>(c.visit_count);
  f.created_ms = c.created_ms;
  f.last_message_ms = c.last_message_ms;
  f.last_order_ms = c.last_order_ms;
  f.last_visit_ms = c.last_visit_ms;
  f.opted_out = c.opted_out;
  f.tags = c.tags;
  for (const auto& [key, value] : c.custom) {
    f.custom.emplace(key, value);
  }
  return f;
}

// The member-like identity automation actions act as: events say who changed what.
rpc::Caller AutomationCaller(const AutomationRow& a) {
  rpc::Caller caller;
  caller.user_id = "automation:" + a.id;
  caller.workspace_id = a.workspace_id;
  caller.role = "admin";
  caller.token_type = "automation";
  return caller;
}

std::string Trim(const std::string& s, size_t max) { return s.size() > max ? s.substr(0, max) : s; }

}  // namespace

AutomationEngine::AutomationEngine(store::Store& db, AutomationEngineDeps deps)
    : db_(db), store_(db), contacts_(db), conversations_(db), deps_(std::move(deps)) {}

AutomationEngine::~AutomationEngine() { Stop(); }

int64_t AutomationEngine::Now() const { return deps_.now_ms ? deps_.now_ms() : NowUnixMillis(); }

Status AutomationEngine::Handle(const redis::StreamEntry& entry) {
  const std::string* raw = entry.Field("envelope");
  if (raw == nullptr) {
    return OkStatus();
  }
  events::v1::EventEnvelope envelope;
  if (!envelope.ParseFromString(*raw)) {
    log::Warn("automation: event envelope does not parse", {{"entry", entry.id}});
    return OkStatus();
  }
  return HandleEnvelope(envelope);
}

Status AutomationEngine::HandleEnvelope(const events::v1::EventEnvelope& envelope) {
  AutomationTrigger t;
  t.event_id = envelope.id();
  t.workspace_id = envelope.workspace_id();
  t.depth = envelope.automation_depth();
  t.occurred_at = envelope.occurred_at();
  const std::string& type = envelope.type();
  if (type == "message.received") {
    events::v1::MessageReceived p;
    if (!p.ParseFromString(envelope.payload()) || p.sender() != "customer") {
      return OkStatus();
    }
    t.event = "message.received";
    t.contact_id = p.contact_id();
    t.conversation_id = p.conversation_id();
    t.message_id = p.message_id();
  } else if (type == "conversation.started") {
    events::v1::ConversationStarted p;
    if (!p.ParseFromString(envelope.payload())) {
      return OkStatus();
    }
    t.event = "conversation.created";
    t.contact_id = p.contact_id();
    t.conversation_id = p.conversation_id();
  } else if (type == "conversation.status_changed") {
    events::v1::ConversationStatusChanged p;
    if (!p.ParseFromString(envelope.payload())) {
      return OkStatus();
    }
    t.event = "conversation.status_changed";
    t.conversation_id = p.conversation_id();
    t.previous_status = p.from();
    t.status_to = p.to();
  } else if (type == "lead.scored") {
    events::v1::LeadScored p;
    if (!p.ParseFromString(envelope.payload())) {
      return OkStatus();
    }
    t.event = "lead.scored";
    t.contact_id = p.contact_id();
    t.conversation_id = p.conversation_id();
  } else if (type == "contact.created") {
    events::v1::ContactCreated p;
    if (!p.ParseFromString(envelope.payload())) {
      return OkStatus();
    }
    t.event = "contact.created";
    t.contact_id = p.contact_id();
  } else {
    return OkStatus();
  }
  if (t.workspace_id.empty()) {
    return OkStatus();
  }
  return Run(t);
}

Status AutomationEngine::Run(const AutomationTrigger& trigger) {
  SALESOS_ASSIGN_OR_RETURN(auto automations, store_.Active(trigger.workspace_id, trigger.event));
  if (automations.empty()) {
    return OkStatus();
  }
  AutomationTrigger t = trigger;
  segments::AutomationFacts facts;
  if (!t.conversation_id.empty()) {
    SALESOS_ASSIGN_OR_RETURN(auto conv,
                             conversations_.GetConversation(t.workspace_id, t.conversation_id));
    if (!conv) {
      return OkStatus();  // deleted since
    }
    if (t.contact_id.empty()) {
      t.contact_id = conv->contact_id;
    }
    segments::ConversationFacts c;
    // A status change is judged by the status it made, not by a later one.
    c.status = t.status_to.empty() ? conv->status : t.status_to;
    c.handler = conv->handler;
    c.platform = conv->platform;
    c.campaign_id = conv->campaign_id;
    c.lead_score = static_cast<double>(conv->lead_score);
    facts.conversation = c;
  }
  if (!t.message_id.empty()) {
    SALESOS_ASSIGN_OR_RETURN(auto msg, conversations_.GetMessage(t.workspace_id, t.message_id));
    if (msg) {
      facts.message = segments::MessageFacts{msg->content, msg->type, msg->sender};
    }
  }
  facts.previous_status = t.previous_status;
  SALESOS_ASSIGN_OR_RETURN(auto decls, contacts_.FieldDecls(t.workspace_id));
  bool reload = true;
  for (const auto& a : automations) {
    // An event from before the automation existed (a lagging or replayed stream) is not its.
    if (!t.occurred_at.empty() && a.created_at > t.occurred_at) {
      continue;
    }
    if (reload && !t.contact_id.empty()) {
      // Each automation sees what the ones before it did to the contact.
      SALESOS_ASSIGN_OR_RETURN(auto contact,
                               contacts_.GetContact(t.workspace_id, t.contact_id, &decls));
      if (!contact) {
        return OkStatus();
      }
      facts.contact = FactsOf(*contact);
      reload = false;
    }
    common::v1::SegmentRule rule;
    auto has = ConditionsOf(a, &rule);
    if (!has.ok()) {
      log::Warn("automation: stored conditions unreadable", {{"automationId", a.id}});
      continue;
    }
    if (*has && !segments::MatchesSegmentRule(rule, facts, decls, Now())) {
      continue;
    }
    SALESOS_RETURN_IF_ERROR(Execute(a, t, t.depth >= kMaxAutomationDepth));
    reload = true;
  }
  return OkStatus();
}

Status AutomationEngine::Execute(const AutomationRow& a, const AutomationTrigger& t,
                                 bool skipped_by_depth) {
  const int64_t started_ms = Now();
  const int64_t started_mono = MonotonicMillis();
  ExecutionRow e;
  e.id = NewUuidV7();
  e.workspace_id = a.workspace_id;
  e.automation_id = a.id;
  e.event_id = t.event_id;
  e.event = t.event;
  e.contact_id = t.contact_id;
  e.conversation_id = t.conversation_id;
  e.status = skipped_by_depth ? "skipped" : "running";
  e.error = skipped_by_depth ? "depth limit" : "";
  e.depth = t.depth;
  e.started_at = FormatRfc3339Millis(started_ms);
  e.started_ms = started_ms;
  SALESOS_ASSIGN_OR_RETURN(bool claimed, store_.ClaimExecution(e));
  if (!claimed) {
    return OkStatus();  // this automation already ran for this event and contact
  }
  if (skipped_by_depth) {
    log::Info("automation skipped: depth limit",
              {{"automationId", a.id}, {"eventId", t.event_id}, {"depth", t.depth}});
    return store_.FinishExecution(e);
  }
  Outcome outcome = RunActions(a, t);
  e.status = outcome.ok ? "succeeded" : "failed";
  e.result = Trim(outcome.result, 4000);
  e.error = Trim(outcome.error, 1000);
  e.execution_time_ms = MonotonicMillis() - started_mono;
  Status finished = store_.FinishExecution(e);
  if (!finished.ok()) {
    log::Warn("automation execution not recorded",
              {{"automationId", a.id}, {"executionId", e.id}, {"error", finished.message()}});
  }
  return OkStatus();  // the actions are done: a retry must not run them again
}

AutomationEngine::Outcome AutomationEngine::RunActions(const AutomationRow& a,
                                                       const AutomationTrigger& t) {
  Outcome out;
  google::protobuf::RepeatedPtrField<v1::AutomationAction> actions;
  if (Status st = ActionsOf(a, &actions); !st.ok()) {
    out.ok = false;
    out.error = st.message();
    return out;
  }
  // Whatever the actions publish is caused by this automation, one step deeper.
  rpc::EventCause cause(t.depth + 1, a.id);
  const rpc::Caller caller = AutomationCaller(a);
  for (const auto& action : actions) {
    const std::string& type = action.type();
    std::string line = type;
    Status st = OkStatus();
    auto need_conversation = [&]() -> Status {
      return t.conversation_id.empty() ? FailedPrecondition("no conversation") : OkStatus();
    };
    if (type == "set_status") {
      line += " " + action.status();
      st = need_conversation();
      if (st.ok()) {
        v1::SetConversationStatusRequest req;
        req.set_id(t.conversation_id);
        req.set_status(action.status());
        v1::Conversation conv;
        st = deps_.conversations->DoSetConversationStatus(caller, req, &conv);
      }
    } else if (type == "handoff") {
      st = need_conversation();
      if (st.ok()) {
        v1::HandoffConversationRequest req;
        req.set_id(t.conversation_id);
        req.set_reason(action.reason().empty() ? "automation" : action.reason());
        v1::Conversation conv;
        st = deps_.conversations->DoHandoffConversation(caller, req, &conv);
      }
    } else if (type == "assign_agent") {
      line += " " + (action.agent_id().empty() ? std::string("(none)") : action.agent_id());
      st = need_conversation();
      if (st.ok()) {
        v1::AssignConversationRequest req;
        req.set_id(t.conversation_id);
        req.set_agent_id(action.agent_id());
        v1::Conversation conv;
        st = deps_.conversations->DoAssignConversation(caller, req, &conv);
      }
    } else if (type == "add_tag" || type == "remove_tag" || type == "set_journey_stage") {
      line += " " + (type == "set_journey_stage" ? action.journey_stage() : action.tag());
      if (t.contact_id.empty()) {
        st = FailedPrecondition("no contact");
      } else {
        v1::UpdateContactRequest req;
        req.set_id(t.contact_id);
        if (type == "add_tag") {
          req.add_add_tags(action.tag());
        } else if (type == "remove_tag") {
          req.add_remove_tags(action.tag());
        } else {
          req.mutable_contact()->set_journey_stage(action.journey_stage());
          req.add_update_mask("journeyStage");
        }
        v1::Contact contact;
        st = deps_.contacts->DoUpdateContact(caller, req, &contact);
      }
    } else if (type == "send_message") {
      st = need_conversation();
      std::string text = action.text();
      if (st.ok() && !action.template_id().empty()) {
        // A saved template: campaign renders it for the contact, as for greetings.
        if (!deps_.render_template) {
          st = FailedPrecondition("templates cannot be rendered here; write the text");
        } else {
          auto rendered =
              deps_.render_template(t.workspace_id, action.template_id(), t.contact_id, "", "");
          if (rendered.ok()) {
            text = rendered->text;
          } else {
            st = rendered.status();
          }
        }
      }
      if (st.ok() && action.template_id().empty()) {
        auto contact = contacts_.GetContact(t.workspace_id, t.contact_id);
        std::map<std::string, std::string> values;
        if (contact.ok() && contact->has_value()) {
          const ContactRow& c = **contact;
          values = {{"contact.firstName", c.first_name}, {"contact.lastName", c.last_name},
                    {"contact.fullName", c.full_name},   {"contact.email", c.email},
                    {"contact.phone", c.phone}};
        }
        auto rendered = templates::RenderTemplateBody(
            text, values, templates::DateOfUnixSeconds(Now() / 1000));
        if (rendered.ok()) {
          text = rendered->text;
        } else {
          st = rendered.status();
        }
      }
      if (st.ok()) {
        const int64_t now_ms = Now();
        const std::string now = FormatRfc3339Millis(now_ms);
        auto change = conversations_.Mutate(
            t.workspace_id, t.conversation_id,
            [&](ConversationRecord& c, std::vector<MessageRecord>& add) -> Status {
              if (c.last_customer_message_ms == 0 ||
                  now_ms >= c.last_customer_message_ms + 24LL * 3600 * 1000) {
                return FailedPrecondition(
                    "the 24-hour messaging window is closed: free text cannot be sent");
              }
              MessageRecord m;
              m.sender = "agent";
              m.content = text;
              m.type = "text";
              m.delivery_status = "pending";
              m.platform_timestamp_ms = now_ms;
              m.next_attempt_ms = now_ms;
              m.created_at = now;
              add.push_back(std::move(m));
              c.last_message_at = now;
              c.updated_at = now;
              return OkStatus();
            });
        if (change.ok()) {
          change->by = caller.user_id;
          if (deps_.wake_outbox) {
            deps_.wake_outbox();
          }
          if (deps_.notifier != nullptr) {
            deps_.notifier->Changed(*change);
          }
        } else {
          st = change.status();
        }
      }
    } else if (type == "webhook") {
      line += " " + action.webhook_id();
      if (deps_.events == nullptr) {
        st = Unavailable("events cannot be published");
      } else {
        events::v1::AutomationWebhook hook;
        hook.set_workspace_id(t.workspace_id);
        hook.set_webhook_id(action.webhook_id());
        hook.set_automation_id(a.id);
        hook.set_trigger_event_id(t.event_id.rfind("schedule:", 0) == 0 ? "" : t.event_id);
        hook.set_trigger_event(t.event);
        hook.set_contact_id(t.contact_id);
        hook.set_conversation_id(t.conversation_id);
        st = deps_.events->Publish("automation.webhook", t.workspace_id, hook).status();
      }
    } else {
      st = InvalidArgument("unknown action type");
    }
    if (!st.ok()) {
      out.ok = false;
      out.error = line + ": " + st.message();
      out.result += line + ": failed";
      return out;
    }
    out.result += line + ": done\n";
  }
  if (!out.result.empty()) {
    out.result.pop_back();
  }
  return out;
}

Status AutomationEngine::RunSchedules() {
  const int64_t now_ms = Now();
  SALESOS_ASSIGN_OR_RETURN(auto daily, store_.ActiveDaily());
  for (const auto& a : daily) {
    auto moment = LocalMomentIn(a.schedule_timezone, now_ms);
    const int at = ScheduleMinutes(a.schedule_time);
    if (!moment.ok() || at < 0 || moment->minute < at) {
      continue;
    }
    SALESOS_ASSIGN_OR_RETURN(std::string last, store_.LastScheduledDate(a.id));
    if (last >= moment->date) {
      continue;
    }
    Status ran = RunDaily(a, moment->date);
    if (!ran.ok()) {
      log::Warn("automation: daily run failed",
                {{"automationId", a.id}, {"error", ran.message()}});
      continue;  // tried again on the next pass
    }
    SALESOS_RETURN_IF_ERROR(
        store_.MarkScheduled(a.workspace_id, a.id, moment->date, FormatRfc3339Millis(now_ms)));
  }
  (void)store_.PruneExecutions(now_ms - kExecutionRetentionMs);
  return OkStatus();
}

Status AutomationEngine::RunDaily(const AutomationRow& a, const std::string& local_date) {
  SALESOS_ASSIGN_OR_RETURN(auto decls, contacts_.FieldDecls(a.workspace_id));
  std::string where = "1 = 1";
  store::Params params;
  common::v1::SegmentRule rule;
  SALESOS_ASSIGN_OR_RETURN(bool has, ConditionsOf(a, &rule));
  if (has) {
    auto compiled = segments::CompileSegmentRule(rule, decls, segments::DialectOf(db_.Engine()),
                                                 Now(), ContactStore::kPageRuleFirstParam, 1);
    if (!compiled.ok()) {
      // A custom field it names was deleted: nothing to run today.
      log::Warn("automation: daily conditions no longer apply",
                {{"automationId", a.id}, {"error", compiled.status().message()}});
      return OkStatus();
    }
    where = std::move(compiled->where);
    params = std::move(compiled->params);
  }
  AutomationTrigger t;
  t.event_id = "schedule:" + local_date;
  t.event = "schedule.daily";
  t.workspace_id = a.workspace_id;
  std::string after;
  int64_t done = 0;
  while (done < kMaxDailyContacts) {
    const int64_t page = std::min(kDailyPage, kMaxDailyContacts - done);
    SALESOS_ASSIGN_OR_RETURN(auto rows,
                             contacts_.PageMatching(a.workspace_id, where, params, after, page));
    for (const auto& c : rows) {
      t.contact_id = c.id;
      SALESOS_RETURN_IF_ERROR(Execute(a, t, false));
    }
    done += static_cast<int64_t>(rows.size());
    if (rows.size() < static_cast<size_t>(page)) {
      break;
    }
    after = rows.back().id;
  }
  log::Info("automation daily run",
            {{"automationId", a.id}, {"date", local_date}, {"contacts", done}});
  return OkStatus();
}

void AutomationEngine::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) {
    return;
  }
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void AutomationEngine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void AutomationEngine::Loop() {
  for (;;) {
    Status st = RunSchedules();
    if (!st.ok()) {
      log::Warn("automation: schedule pass failed", {{"error", st.message()}});
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(deps_.schedule_every_ms),
                     [this] { return stop_; })) {
      return;
    }
  }
}

}  // namespace salesos::conversation
