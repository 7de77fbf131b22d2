#pragma once

// Notifier: what conversation tells the rest of the system after a change is committed.
//   - Screens: realtime events on salesos:rt:{workspace} (rpc::PublishRealtime):
//     "conversation.created" / "conversation.updated" with the conversation as GET
//     /api/v1/conversations/{id} shows it, "message.created" / "message.updated" with the message.
//   - Domain events on salesos:events (rpc::EventPublisher), for analytics.
// Both come after the commit and are best effort: a failure is logged and the stored change stands
// (a screen refetches; analytics loses freshness, not messages). Thread-safe.

#include <google/protobuf/message_lite.h>

#include <string>

#include "conversation_store.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/events.h"

namespace salesos::conversation {

class Notifier {
 public:
  // Either may be null (tests that do not look at them).
  Notifier(ConversationStore& store, redis::ClientPtr redis, rpc::EventPublisher* events)
      : store_(store), redis_(std::move(redis)), events_(events) {}

  void ConversationCreated(const ConversationRecord& c) { Conversation("conversation.created", c); }
  void ConversationUpdated(const ConversationRecord& c) { Conversation("conversation.updated", c); }
  void MessageCreated(const MessageRecord& m) { Message("message.created", m); }
  void MessageUpdated(const MessageRecord& m) { Message("message.updated", m); }
  // A change of a conversation (ConversationStore::Mutate): its new messages and the conversation
  // to screens, and the domain events it amounts to: conversation.handoff (handed to agents),
  // conversation.status_changed, lead.scored, each `by` change.by.
  void Changed(const Change& change);

  // A domain event.
  void Event(const std::string& type, const std::string& workspace_id,
             const google::protobuf::MessageLite& payload);

 private:
  void Conversation(const std::string& type, const ConversationRecord& c);
  void Message(const std::string& type, const MessageRecord& m);

  ConversationStore& store_;
  redis::ClientPtr redis_;
  rpc::EventPublisher* events_;
};

}  // namespace salesos::conversation
