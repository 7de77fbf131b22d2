#include "notifier.h"

#include "conversation_views.h"
#include "salesos/core/log.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/realtime.h"

namespace salesos::conversation {

void Notifier::Event(const std::string& type, const std::string& workspace_id,
                     const google::protobuf::MessageLite& payload) {
  if (events_ == nullptr) {
    return;
  }
  auto published = events_->Publish(type, workspace_id, payload);
  if (!published.ok()) {
    log::Warn(
        "domain event not published",
        {{"type", type}, {"workspaceId", workspace_id}, {"error", published.status().message()}});
  }
}

void Notifier::Changed(const Change& change) {
  for (const auto& m : change.added) {
    MessageCreated(m);
  }
  ConversationUpdated(change.after);
  const auto& before = change.before;
  const auto& after = change.after;
  if (after.handler == "agent" && before.handler != "agent") {
    events::v1::ConversationHandoff handoff;
    handoff.set_workspace_id(after.workspace_id);
    handoff.set_conversation_id(after.id);
    handoff.set_campaign_id(after.campaign_id);
    handoff.set_reason(after.handoff_reason);
    handoff.set_by(change.by);
    Event("conversation.handoff", after.workspace_id, handoff);
    log::Info("conversation handed to agents",
              {{"conversationId", after.id}, {"reason", after.handoff_reason}, {"by", change.by}});
  }
  if (after.status != before.status) {
    events::v1::ConversationStatusChanged changed;
    changed.set_workspace_id(after.workspace_id);
    changed.set_conversation_id(after.id);
    changed.set_campaign_id(after.campaign_id);
    changed.set_from(before.status);
    changed.set_to(after.status);
    changed.set_changed_by(change.by);
    Event("conversation.status_changed", after.workspace_id, changed);
  }
  if (after.lead_score != before.lead_score) {
    events::v1::LeadScored scored;
    scored.set_workspace_id(after.workspace_id);
    scored.set_conversation_id(after.id);
    scored.set_contact_id(after.contact_id);
    scored.set_campaign_id(after.campaign_id);
    scored.set_score(static_cast<int32_t>(after.lead_score));
    scored.set_previous_score(static_cast<int32_t>(before.lead_score));
    Event("lead.scored", after.workspace_id, scored);
  }
}

void Notifier::Conversation(const std::string& type, const ConversationRecord& c) {
  if (!redis_) {
    return;
  }
  v1::Conversation view;
  FillConversation(c, &view);
  auto last = store_.LatestMessages(c.workspace_id, c.id, 1);
  if (last.ok() && !last->empty()) {
    FillMessage(last->front(), view.mutable_last_message());
  }
  (void)rpc::PublishRealtime(*redis_, {type, c.workspace_id, c.id, ToJson(view)});
}

void Notifier::Message(const std::string& type, const MessageRecord& m) {
  if (!redis_) {
    return;
  }
  v1::Message view;
  FillMessage(m, &view);
  (void)rpc::PublishRealtime(*redis_, {type, m.workspace_id, m.conversation_id, ToJson(view)});
}

}  // namespace salesos::conversation
