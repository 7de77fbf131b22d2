#pragma once

// Outbox: sends the business's stored messages (sender "ai" or "agent", delivery_status
// "pending") through the platform's Send API (graph_client.h), oldest first within a conversation.
//
// Each message is leased before its attempt, so one replica sends it at a time and a crashed one's
// messages are taken over when the lease ends. Outcomes:
//   accepted → "sent" with the platform's message id (message.sent; screens: message.updated);
//   a retryable error (protocols.md §5.4: rate limits, temporary failures, timeouts) → tried again
//     after 1 s, 2 s, 4 s ... (capped at 5 min; WhatsApp's pair limit 131056 at least 4^n s), up
//     to max_attempts;
//   a permanent error, or the last attempt failing → "failed" with the error kept on the message
//     (message.failed).
// An invalid-token answer (190) also drops the channel's cached credentials.
// Exactly-once is not possible against the Send API (it has no idempotency key): a crash between
// Meta accepting a message and the "sent" commit sends it again when the lease ends. The window is
// the few milliseconds of that commit.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "conversation_peers.h"
#include "conversation_store.h"
#include "salesos/rpc/due_loop.h"
#include "graph_client.h"
#include "notifier.h"

namespace salesos::conversation {

struct OutboxOptions {
  int max_attempts = 6;
  int64_t retry_base_ms = 1000;
  int64_t retry_max_ms = 5 * 60'000;
  int64_t lease_ms = 60'000;  // longer than a Send API call's deadline
  int concurrency = 8;
  int max_idle_ms = 1000;
};

class Outbox {
 public:
  // `graph` and `credentials` must outlive the outbox.
  Outbox(store::Store& db, const GraphClient& graph, ChannelCredentials& credentials,
         Notifier& notifier, OutboxOptions options);
  ~Outbox();

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  void Notify() { loop_.Notify(); }

  // One attempt of a claimed message (public for tests).
  void Send(const OutboxItem& item);

  // The delay before attempt `attempt + 1` after `attempt` failed with `error_code`.
  int64_t RetryDelayMs(int attempt, int64_t error_code) const;

 private:
  Result<std::vector<std::function<void()>>> Claim(int64_t now_ms, int max);
  void Publish(const OutboxItem& item, const MessageRecord& after, const std::string& campaign_id);

  ConversationStore store_;
  const GraphClient& graph_;
  ChannelCredentials& credentials_;
  Notifier& notifier_;
  OutboxOptions options_;
  // The round-robin cursor of the claims (conversation_store.h): the workspace whose turn was
  // last taken. Only the loop's thread claims, so only it touches this.
  std::string last_workspace_;
  rpc::DueLoop loop_;
};

}  // namespace salesos::conversation
