#include "outbox.h"

#include <algorithm>
#include <boost/json.hpp>

#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"

namespace salesos::conversation {
namespace {

constexpr int64_t kPairRateLimit = 131056;  // WhatsApp: retry after 4^n seconds
constexpr int64_t kInvalidToken = 190;

// The stored `outbound` JSON onto the message to send.
void ApplyOutbound(const std::string& text, OutboundMessage& out) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) {
    return;
  }
  const auto& o = v.as_object();
  if (const auto* quick = o.if_contains("quickReplies"); quick && quick->is_array()) {
    for (const auto& q : quick->as_array()) {
      if (q.is_string()) {
        out.quick_replies.emplace_back(q.as_string());
      }
    }
  }
  if (const auto* t = o.if_contains("template"); t && t->is_object()) {
    const auto& tpl = t->as_object();
    if (const auto* name = tpl.if_contains("name"); name && name->is_string()) {
      out.template_name = std::string(name->as_string());
    }
    if (const auto* lang = tpl.if_contains("language"); lang && lang->is_string()) {
      out.template_language = std::string(lang->as_string());
    }
    if (const auto* params = tpl.if_contains("parameters"); params && params->is_array()) {
      for (const auto& p : params->as_array()) {
        if (p.is_string()) {
          out.template_parameters.emplace_back(p.as_string());
        }
      }
    }
  }
}

int64_t ParseMillis(const std::string& rfc3339) { return ParseRfc3339Millis(rfc3339).value_or(0); }

}  // namespace

Outbox::Outbox(store::Store& db, const GraphClient& graph, ChannelCredentials& credentials,
               Notifier& notifier, OutboxOptions options)
    : store_(db),
      graph_(graph),
      credentials_(credentials),
      notifier_(notifier),
      options_(std::move(options)),
      loop_(
          rpc::DueLoopOptions{"outbox", options_.concurrency, options_.max_idle_ms},
          [this] { return store_.NextSendMs(); },
          [this](int64_t now_ms, int max) { return Claim(now_ms, max); }) {}

Outbox::~Outbox() { loop_.Stop(); }

Result<std::vector<std::function<void()>>> Outbox::Claim(int64_t now_ms, int max) {
  // Fair per workspace: each claim starts with one message of every workspace with work, in
  // round-robin order, so a broadcast's backlog cannot hold another workspace's replies back.
  SALESOS_ASSIGN_OR_RETURN(auto due, store_.DueSends(now_ms, max, last_workspace_));
  std::vector<std::function<void()>> tasks;
  for (auto& item : due) {
    if (item.workspace_turn) {
      last_workspace_ = item.message.workspace_id;
    }
    SALESOS_ASSIGN_OR_RETURN(bool mine, store_.ClaimSend(item.message.workspace_id, item.message.id,
                                                         now_ms, options_.lease_ms));
    if (mine) {
      item.message.send_attempts += 1;
      tasks.push_back([this, item = std::move(item)] { Send(item); });
    }
  }
  return tasks;
}

int64_t Outbox::RetryDelayMs(int attempt, int64_t error_code) const {
  int64_t delay = options_.retry_base_ms;
  for (int i = 1; i < attempt && delay < options_.retry_max_ms; ++i) {
    delay *= 2;
  }
  if (error_code == kPairRateLimit) {
    int64_t pair = 1000;  // 4^(attempt-1) s: 1 s, 4 s, 16 s, ...
    for (int i = 1; i < attempt && pair < options_.retry_max_ms; ++i) {
      pair *= 4;
    }
    delay = std::max(delay, pair);
  }
  return std::min(delay, options_.retry_max_ms);
}

void Outbox::Send(const OutboxItem& item) {
  const MessageRecord& m = item.message;
  const int attempt = static_cast<int>(m.send_attempts);
  SendOutcome outcome;
  GraphSendResult result;
  auto access = credentials_.Get(item.integration_id);
  if (!access.ok()) {
    // The channel was disconnected (NOT_FOUND) — final; auth unreachable — try again.
    result.retryable = access.status().code() != Code::kNotFound;
    result.error = "channel credentials: " + access.status().message();
  } else {
    OutboundMessage out;
    out.platform = item.platform;
    out.recipient_id = item.recipient_id;
    out.text = m.content;
    out.metadata = std::string(kOwnMetadataPrefix) + m.id;
    ApplyOutbound(m.outbound, out);
    result = graph_.Send(*access, out);
    if (!result.sent && result.error_code == kInvalidToken) {
      credentials_.Forget(item.integration_id);
    }
  }
  if (result.sent) {
    outcome.kind = SendOutcome::Kind::kSent;
    outcome.platform_message_id = result.message_id;
  } else if (result.retryable && attempt < options_.max_attempts) {
    outcome.kind = SendOutcome::Kind::kRetry;
    outcome.next_attempt_ms =
        NowUnixMillis() + std::max(RetryDelayMs(attempt, result.error_code), result.retry_after_ms);
    outcome.error = result.error;
  } else {
    outcome.kind = SendOutcome::Kind::kFailed;
    outcome.error = result.error.empty() ? "not sent" : result.error;
  }
  auto after = store_.FinishSend(m.workspace_id, m.id, outcome);
  if (!after.ok()) {
    // The lease runs out and the message is tried again (Meta may then get it twice).
    log::Warn("send outcome not stored",
              {{"messageId", m.id}, {"error", after.status().message()}});
    return;
  }
  if (outcome.kind == SendOutcome::Kind::kRetry) {
    log::Info("send failed, will retry",
              {{"messageId", m.id}, {"attempt", std::to_string(attempt)}, {"error", result.error}});
    loop_.Notify();
    return;
  }
  auto conversation = store_.GetConversation(m.workspace_id, m.conversation_id);
  const std::string campaign_id =
      conversation.ok() && conversation->has_value() ? (*conversation)->campaign_id : "";
  Publish(item, *after, campaign_id);
}

void Outbox::Publish(const OutboxItem& item, const MessageRecord& after,
                     const std::string& campaign_id) {
  notifier_.MessageUpdated(after);
  if (after.delivery_status == "failed") {
    log::Warn("message not sent", {{"messageId", after.id}, {"error", after.error}});
    events::v1::MessageFailed failed;
    failed.set_workspace_id(after.workspace_id);
    failed.set_conversation_id(after.conversation_id);
    failed.set_message_id(after.id);
    failed.set_campaign_id(campaign_id);
    failed.set_platform(item.platform);
    failed.set_sender(after.sender);
    failed.set_error(after.error);
    failed.set_attempts(static_cast<int32_t>(item.message.send_attempts));
    notifier_.Event("message.failed", after.workspace_id, failed);
    return;
  }
  events::v1::MessageSent sent;
  sent.set_workspace_id(after.workspace_id);
  sent.set_conversation_id(after.conversation_id);
  sent.set_message_id(after.id);
  sent.set_campaign_id(campaign_id);
  sent.set_platform(item.platform);
  sent.set_sender(after.sender);
  sent.set_platform_message_id(after.platform_message_id);
  sent.set_attempts(static_cast<int32_t>(item.message.send_attempts));
  sent.set_queued_at_ms(ParseMillis(after.created_at));
  sent.set_sent_at_ms(NowUnixMillis());
  notifier_.Event("message.sent", after.workspace_id, sent);
}

}  // namespace salesos::conversation
