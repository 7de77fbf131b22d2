#pragma once

// AutomationEngine: runs automations (docs/automations.md).
//   - Handle: one entry of salesos:events. For message.received (a customer's), conversation.started
//     (the automations' "conversation.created"), conversation.status_changed, lead.scored and
//     contact.created it loads the workspace's active automations for that event (priority order),
//     builds the facts (contact, conversation, message, previous status) from this service's own
//     tables, evaluates each rule tree (libs/segments, the segments' evaluator) and runs the
//     matching automations' actions in order, on the calling (consumer) thread. Each run is an
//     execution, claimed before the actions run, so a redelivered event runs an automation once.
//     Events the actions publish carry depth + 1 and the automation id (rpc::EventCause); an
//     event of depth kMaxAutomationDepth or more runs nothing: the matching automations record
//     a "skipped" execution ("depth limit").
//   - A daily loop (Start/Stop): at each schedule.daily automation's time in its zone, once per
//     local day, the contacts its conditions match (SQL, at most kMaxDailyContacts) each get the
//     actions; executions pruned after 30 days.
// Actions reuse the service's own paths: set_status, handoff and assign_agent are the agents'
// (ConversationServiceImpl), tags and journey stage the CRM's (ContactServiceImpl), so screens
// and domain events follow as they do for people. Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "automation_store.h"
#include "contact_service.h"
#include "contact_store.h"
#include "conversation_peers.h"
#include "conversation_service.h"
#include "conversation_store.h"
#include "notifier.h"
#include "salesos/core/status.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/events.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

struct AutomationEngineDeps {
  ConversationServiceImpl* conversations = nullptr;  // status, hand-off, assignment (required)
  ContactServiceImpl* contacts = nullptr;            // tags, journey stage (required)
  Notifier* notifier = nullptr;                      // send_message's message to screens; may be null
  rpc::EventPublisher* events = nullptr;             // the webhook action; null: it fails
  std::function<void()> wake_outbox;                 // send_message queued one; may be empty
  GreetingRenderer render_template;  // send_message with templateId (campaign); empty: it fails
  std::function<int64_t()> now_ms;                   // the clock; empty: the system's
  int schedule_every_ms = 15000;                     // how often the daily loop looks
};

// What triggered a run.
struct AutomationTrigger {
  std::string event_id;  // the domain event's id, or "schedule:<local date>"
  std::string event;     // the automation event ("conversation.created", ...)
  std::string workspace_id, contact_id, conversation_id, message_id;
  std::string previous_status;  // conversation.status_changed
  std::string status_to;        // conversation.status_changed: the status after
  std::string occurred_at;      // RFC 3339 UTC; automations made after it do not run ("" any)
  int32_t depth = 0;
};

class AutomationEngine {
 public:
  AutomationEngine(store::Store& db, AutomationEngineDeps deps);
  ~AutomationEngine();
  AutomationEngine(const AutomationEngine&) = delete;
  AutomationEngine& operator=(const AutomationEngine&) = delete;

  // One salesos:events entry; an error leaves it pending (retried), e.g. the database is down.
  Status Handle(const redis::StreamEntry& entry);
  Status HandleEnvelope(const events::v1::EventEnvelope& envelope);
  // The automations of one trigger.
  Status Run(const AutomationTrigger& trigger);
  // One pass of the daily loop at the clock's now: the schedule.daily automations that are due.
  Status RunSchedules();

  void Start();
  void Stop();

 private:
  struct Outcome {
    bool ok = true;
    std::string result, error;
  };
  Outcome RunActions(const AutomationRow& automation, const AutomationTrigger& trigger);
  Status Execute(const AutomationRow& automation, const AutomationTrigger& trigger,
                 bool skipped_by_depth);
  Status RunDaily(const AutomationRow& automation, const std::string& local_date);
  int64_t Now() const;
  void Loop();

  store::Store& db_;
  AutomationStore store_;
  ContactStore contacts_;
  ConversationStore conversations_;
  AutomationEngineDeps deps_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace salesos::conversation
