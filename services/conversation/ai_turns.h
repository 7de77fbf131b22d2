#pragma once

// AiTurnController: the AI's side of a conversation (DESIGN §5 step 4-5).
//
// A customer's message to an AI-handled conversation makes its turn due `debounce` later (stored
// with the message, conversations.ai_due_ms); another message in the meantime moves it on, so a
// burst is answered once. When the turn is due the controller takes its lease, asks
// ai_orchestration's GenerateReply with the latest 50 messages, and applies the answer in one
// transaction — only if no newer customer message arrived meanwhile (that one's turn answers the
// whole burst) and nobody took the conversation from the AI:
//   the AI's message(s) stored as "pending" for the outbox (split at the platform's text limit),
//   intent, lead score, qualification answers and objections updated, status moved to
//   "qualified" when the AI says so, and on hand-off the conversation given to agents.
// Then the outbox is woken, screens and analytics told (ai.replied, lead.scored,
// conversation.status_changed, conversation.handoff); after a hand-off the conversation's summary
// (ai_orchestration's SummarizeForService) is kept as aiContext.summary for the agents.
// A failed GenerateReply is tried again (2 s, then 4 s); after max_attempts the conversation is
// handed to agents with reason "ai_unavailable" so the customer is not left unanswered.
// A crash at any point leaves the turn due in the database; the lease expires and it runs again.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "conversation_peers.h"
#include "conversation_store.h"
#include "salesos/rpc/due_loop.h"
#include "notifier.h"

namespace salesos::conversation {

struct AiTurnOptions {
  int64_t lease_ms = 60'000;  // longer than GenerateReply's deadline
  int max_attempts = 3;
  int64_t retry_base_ms = 2000;
  int concurrency = 4;
  int max_idle_ms = 1000;
  std::function<void()> on_reply;  // wakes the outbox; may be empty
  // Kept as aiContext.summary when the AI hands a conversation to agents; may be empty.
  Summarizer summarize;
};

class AiTurnController {
 public:
  AiTurnController(store::Store& db, AiReplier replier, Notifier& notifier, AiTurnOptions options);
  ~AiTurnController();

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // A turn was made due (or moved).
  void Notify() { loop_.Notify(); }
  // A turn falls due at `due_ms` (Unix ms): wakes the loop only if it would look later than that.
  void NotifyDue(int64_t due_ms) { loop_.NotifyDue(due_ms); }

  // Runs one claimed turn (public for tests).
  void Run(const DueTurn& turn);

 private:
  Result<std::vector<std::function<void()>>> Claim(int64_t now_ms, int max);
  // After a hand-off: the conversation's summary for the agents who take it over.
  void Summarize(const ConversationRecord& c);
  // GenerateReply failed: again later, or to agents after the last attempt.
  void Failed(const DueTurn& turn, const ConversationRecord& c, const Status& error);

  ConversationStore store_;
  AiReplier replier_;
  Notifier& notifier_;
  AiTurnOptions options_;
  // The round-robin cursor of the claims (conversation_store.h): the workspace whose turn was
  // last taken. Only the loop's thread claims, so only it touches this.
  std::string last_workspace_;
  rpc::DueLoop loop_;
};

}  // namespace salesos::conversation
