#include "ai_turns.h"

#include <boost/json.hpp>

#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"

namespace salesos::conversation {
namespace {

namespace aiv1 = ai_orchestration::v1;

// GenerateReply's bounds (ai_orchestration.proto): messages and characters per message.
constexpr int64_t kHistoryMessages = 50;
constexpr size_t kMaxTurnChars = 4000;
// Objections kept on the conversation, newest last, each cut to this many bytes.
constexpr size_t kMaxObjections = 10;
constexpr size_t kMaxObjectionBytes = 280;

// The first `max_chars` code points of UTF-8 text.
std::string CutUtf8(const std::string& text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) {
        return text.substr(0, i);
      }
      ++chars;
    }
  }
  return text;
}

// Cut to at most `max_bytes`, never inside a UTF-8 sequence.
std::string CutUtf8Bytes(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return text;
  }
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

boost::json::array ParseArray(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  return !ec && v.is_array() ? v.as_array() : boost::json::array();
}

std::string NextAction(const aiv1::GenerateReplyResponse& r) {
  if (r.handoff().required()) {
    return "agent: " + r.handoff().reason();
  }
  if (r.suggested_status() == "ready_to_buy") {
    return "close the sale";
  }
  if (r.suggested_status() == "qualified") {
    return "send an offer";
  }
  return "keep qualifying";
}

}  // namespace

AiTurnController::AiTurnController(store::Store& db, AiReplier replier, Notifier& notifier,
                                   AiTurnOptions options)
    : store_(db),
      replier_(std::move(replier)),
      notifier_(notifier),
      options_(std::move(options)),
      loop_(
          rpc::DueLoopOptions{"ai-turns", options_.concurrency, options_.max_idle_ms},
          [this] { return store_.NextAiTurnMs(); },
          [this](int64_t now_ms, int max) { return Claim(now_ms, max); }) {}

AiTurnController::~AiTurnController() { loop_.Stop(); }

Result<std::vector<std::function<void()>>> AiTurnController::Claim(int64_t now_ms, int max) {
  // Fair per workspace, as the outbox: one turn of every workspace with work first, round-robin.
  SALESOS_ASSIGN_OR_RETURN(auto due, store_.DueAiTurns(now_ms, max, last_workspace_));
  std::vector<std::function<void()>> tasks;
  for (const auto& turn : due) {
    if (turn.workspace_turn) {
      last_workspace_ = turn.workspace_id;
    }
    SALESOS_ASSIGN_OR_RETURN(bool mine, store_.ClaimAiTurn(turn, now_ms, options_.lease_ms));
    if (mine) {
      tasks.push_back([this, turn] { Run(turn); });
    }
  }
  return tasks;
}

void AiTurnController::Run(const DueTurn& turn) {
  // Under the trace of what made the turn due: GenerateReply and the send carry it on.
  log::ScopedLogContext log_ctx("", turn.traceparent);
  auto conversation = store_.GetConversation(turn.workspace_id, turn.conversation_id);
  auto history = store_.LatestMessages(turn.workspace_id, turn.conversation_id, kHistoryMessages);
  if (!conversation.ok() || !history.ok()) {
    // The database is away: the lease runs out and the turn is taken up again.
    log::Warn("ai turn not read", {{"conversationId", turn.conversation_id}});
    return;
  }
  if (!conversation->has_value()) {
    return;
  }
  const ConversationRecord& c = **conversation;
  aiv1::GenerateReplyRequest req;
  req.set_workspace_id(c.workspace_id);
  req.set_campaign_id(c.campaign_id);
  req.set_conversation_id(c.id);
  int64_t last_customer_ms = 0;
  std::string last_customer_text;
  int64_t customer_messages = 0;
  for (const auto& m : *history) {
    if (m.sender == "system" || m.content.empty()) {
      continue;
    }
    auto* t = req.add_messages();
    t->set_sender(m.sender);
    t->set_content(CutUtf8(m.content, kMaxTurnChars));
    t->set_sent_at(m.created_at);
    if (m.sender == "customer") {
      last_customer_ms = m.platform_timestamp_ms;
      last_customer_text = m.content;
      ++customer_messages;
    }
  }
  if (req.messages().empty() || req.messages().rbegin()->sender() != "customer") {
    // Nothing to answer (the last word is the business's): the turn is over.
    (void)store_.Mutate(c.workspace_id, c.id, [&](ConversationRecord& now, auto&) -> Status {
      if (now.ai_due_ms == turn.due_ms) {
        now.ai_due_ms = 0;
        now.ai_lease_until_ms = 0;
      }
      return OkStatus();
    });
    return;
  }
  auto contact = store_.GetContact(c.workspace_id, c.contact_id);
  if (contact.ok() && contact->has_value()) {
    req.mutable_contact()->set_name((*contact)->full_name);
    req.mutable_contact()->set_first_seen_at((*contact)->created_at);
  }
  req.mutable_contact()->set_message_count(customer_messages);
  for (const auto& v : ParseArray(c.qualification_answers)) {
    if (!v.is_object()) {
      continue;
    }
    auto* a = req.add_answers();
    const auto& o = v.as_object();
    if (const auto* i = o.if_contains("questionIndex"); i && i->is_int64()) {
      a->set_question_index(static_cast<int32_t>(i->as_int64()));
    }
    if (const auto* q = o.if_contains("question"); q && q->is_string()) {
      a->set_question(std::string(q->as_string()));
    }
    if (const auto* t = o.if_contains("answer"); t && t->is_string()) {
      a->set_answer(std::string(t->as_string()));
    }
  }

  auto answer = replier_(req);
  if (!answer.ok()) {
    Failed(turn, c, answer.status());
    return;
  }
  const aiv1::GenerateReplyResponse& r = *answer;
  const int64_t now_ms = NowUnixMillis();
  const std::string now = FormatRfc3339Millis(now_ms);
  auto change = store_.Mutate(
      c.workspace_id, c.id, [&](ConversationRecord& v, std::vector<MessageRecord>& add) -> Status {
        if (v.ai_due_ms != turn.due_ms || v.handler != "ai") {
          return Aborted("a newer message or an agent took over");
        }
        std::vector<std::string> parts = SplitForPlatform(v.platform, r.reply().text());
        for (size_t i = 0; i < parts.size(); ++i) {
          MessageRecord m;
          m.sender = "ai";
          m.content = parts[i];
          m.delivery_status = "pending";
          m.platform_timestamp_ms = now_ms + static_cast<int64_t>(i);  // keeps the parts' order
          m.next_attempt_ms = now_ms;
          m.created_at = now;
          if (i + 1 == parts.size() && r.reply().quick_replies_size() > 0) {
            boost::json::array quick;
            for (const auto& q : r.reply().quick_replies()) {
              quick.push_back(boost::json::string(q));
            }
            m.outbound = boost::json::serialize(boost::json::object{{"quickReplies", quick}});
          }
          add.push_back(std::move(m));
        }
        v.intent = r.intent();
        v.lead_score = r.lead_score().score();
        v.next_action = NextAction(r);
        if (r.has_recorded_answer() && !r.recorded_answer().answer().empty()) {
          auto answers = ParseArray(v.qualification_answers);
          boost::json::array kept;
          for (auto& a : answers) {
            const auto* i = a.is_object() ? a.as_object().if_contains("questionIndex") : nullptr;
            if (i == nullptr || !i->is_int64() ||
                i->as_int64() != r.recorded_answer().question_index()) {
              kept.push_back(std::move(a));
            }
          }
          kept.push_back(
              boost::json::object{{"questionIndex", r.recorded_answer().question_index()},
                                  {"question", r.recorded_answer().question()},
                                  {"answer", r.recorded_answer().answer()}});
          v.qualification_answers = boost::json::serialize(kept);
        }
        if (r.intent() == "objection" && !last_customer_text.empty()) {
          auto objections = ParseArray(v.objections);
          objections.push_back(
              boost::json::string(CutUtf8Bytes(last_customer_text, kMaxObjectionBytes)));
          while (objections.size() > kMaxObjections) {
            objections.erase(objections.begin());
          }
          v.objections = boost::json::serialize(objections);
        }
        if (v.status == "active" &&
            (r.suggested_status() == "qualified" || r.suggested_status() == "ready_to_buy")) {
          v.status = "qualified";
        }
        if (r.handoff().required()) {
          v.handler = "agent";
          v.handoff_reason = r.handoff().reason();
        }
        v.ai_due_ms = 0;
        v.ai_lease_until_ms = 0;
        v.ai_attempts = 0;
        if (!add.empty()) {
          v.last_message_at = now;
        }
        v.updated_at = now;
        return OkStatus();
      });
  if (!change.ok()) {
    if (change.status().code() != Code::kAborted) {
      log::Warn("ai reply not stored",
                {{"conversationId", c.id}, {"error", change.status().message()}});
    }
    (void)store_.RetryAiTurn(turn, turn.due_ms);  // drops the lease; a newer turn stays due
    return;
  }
  if (!change->added.empty() && options_.on_reply) {
    options_.on_reply();
  }
  change->by = "ai";
  notifier_.Changed(*change);
  const ConversationRecord& after = change->after;
  events::v1::AiReplied replied;
  replied.set_workspace_id(after.workspace_id);
  replied.set_conversation_id(after.id);
  replied.set_campaign_id(after.campaign_id);
  replied.set_message_id(change->added.empty() ? "" : change->added.front().id);
  replied.set_provider(r.provider());
  replied.set_model(r.model());
  replied.set_latency_ms(r.latency_ms());
  replied.set_intent(r.intent());
  replied.set_fallback_reason(r.fallback_reason());
  replied.set_run_id(r.run_id());
  replied.set_response_ms(last_customer_ms > 0 ? now_ms - last_customer_ms : 0);
  replied.set_handoff(r.handoff().required());
  notifier_.Event("ai.replied", after.workspace_id, replied);
  if (after.handler == "agent") {
    Summarize(after);
  }
}

void AiTurnController::Summarize(const ConversationRecord& c) {
  if (!options_.summarize) {
    return;
  }
  auto summary = options_.summarize(c.workspace_id, c.id);
  if (!summary.ok()) {
    log::Warn("hand-off summary not made", {{"conversationId", c.id},
                                            {"error", summary.status().message()}});
    return;
  }
  auto change = store_.Mutate(c.workspace_id, c.id, [&](ConversationRecord& v, auto&) {
    v.ai_summary = *summary;
    return OkStatus();
  });
  if (change.ok()) {
    change->by = "ai";
    notifier_.Changed(*change);
  }
}

void AiTurnController::Failed(const DueTurn& turn, const ConversationRecord& c,
                              const Status& error) {
  const int attempt = static_cast<int>(c.ai_attempts) + 1;
  log::Warn(
      "ai reply failed",
      {{"conversationId", c.id}, {"attempt", std::to_string(attempt)}, {"error", error.message()}});
  if (attempt < options_.max_attempts) {
    (void)store_.RetryAiTurn(turn, NowUnixMillis() + options_.retry_base_ms * attempt);
    return;
  }
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  auto change = store_.Mutate(c.workspace_id, c.id, [&](ConversationRecord& v, auto&) -> Status {
    if (v.ai_due_ms != turn.due_ms || v.handler != "ai") {
      return Aborted("a newer message or an agent took over");
    }
    v.handler = "agent";
    v.handoff_reason = "ai_unavailable";
    v.next_action = "agent: ai_unavailable";
    v.ai_due_ms = 0;
    v.ai_lease_until_ms = 0;
    v.ai_attempts = 0;
    v.updated_at = now;
    return OkStatus();
  });
  if (!change.ok()) {
    (void)store_.RetryAiTurn(turn, turn.due_ms);
    return;
  }
  change->by = "ai";
  notifier_.Changed(*change);
  Summarize(change->after);
}

}  // namespace salesos::conversation
