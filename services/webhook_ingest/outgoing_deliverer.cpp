#include "outgoing_deliverer.h"

#include <algorithm>
#include <chrono>

#include "outgoing_rules.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/crypto/encoding.h"
#include "salesos/http/egress.h"

namespace salesos::webhook_ingest {
namespace {

// Finished deliveries older than 30 days are removed at most this often.
constexpr int64_t kPurgeEveryMs = 10 * 60 * 1000;
// Enough for the 20 webhooks a workspace may have, with room for a lowered limit.
constexpr int kWebhooksPerEvent = 1000;

int64_t MonotonicNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The delivery log's last_error for a failed exchange.
std::string AttemptError(const Status& st, int timeout_ms) {
  switch (st.code()) {
    case Code::kDeadlineExceeded:
      return "timeout after " + std::to_string(timeout_ms) + " ms";
    case Code::kPermissionDenied:
      return "refused: " + st.message();
    default:
      return st.message();
  }
}

}  // namespace

std::string SecretAad(const std::string& workspace_id, const std::string& webhook_id) {
  return "outgoing_webhooks.secret/" + workspace_id + "/" + webhook_id;
}

OutgoingDeliverer::OutgoingDeliverer(OutgoingStore& store, const crypto::Aead& data_key,
                                     DelivererOptions options, const Clock& clock,
                                     WebhookSender sender)
    : store_(store), data_key_(data_key), options_(std::move(options)), clock_(clock) {
  http::HttpClientOptions client_options;
  client_options.user_agent = kUserAgent;
  client_options.max_response_bytes = 64 << 10;  // the answer's body is not used
  client_options.extra_ca_pem = options_.extra_ca_pem;
  client_ = std::make_unique<http::HttpClient>(client_options);
  if (sender) {
    sender_ = std::move(sender);
  } else {
    sender_ = [this, resolve = http::EgressResolver({options_.allow_private, options_.allow})](
                  const http::HttpRequest& request) { return client_->Send(request, resolve); };
  }
  rpc::DueLoopOptions loop;
  loop.name = "outgoing-webhooks";
  loop.concurrency = options_.concurrency;
  loop.max_idle_ms = options_.max_idle_ms;
  loop_ = std::make_unique<rpc::DueLoop>(
      loop, [this] { return store_.NextDueMs(); },
      [this](int64_t now_ms, int max) { return ClaimDue(now_ms, max); });
}

OutgoingDeliverer::~OutgoingDeliverer() { Stop(); }

void OutgoingDeliverer::Start() { loop_->Start(); }
void OutgoingDeliverer::Stop() { loop_->Stop(); }
void OutgoingDeliverer::Notify() { loop_->Notify(); }

Status OutgoingDeliverer::HandleEvent(const redis::StreamEntry& entry) {
  const std::string* raw = entry.Field("envelope");
  events::v1::EventEnvelope envelope;
  if (raw == nullptr || !envelope.ParseFromString(*raw)) {
    log::Warn("outgoing webhooks: ignoring an event that cannot be read", {{"entry", entry.id}});
    return OkStatus();
  }
  if (envelope.type() == "workspace.deleted") {
    if (envelope.workspace_id().empty()) {
      return OkStatus();
    }
    return store_.DeleteWorkspace(envelope.workspace_id());
  }
  return Enqueue(envelope).status();
}

Result<int> OutgoingDeliverer::Enqueue(const events::v1::EventEnvelope& envelope) {
  if (envelope.workspace_id().empty() || envelope.id().empty()) {
    return 0;
  }
  std::vector<WebhookRecord> targets;
  if (envelope.type() == kAutomationWebhookType) {
    events::v1::AutomationWebhook action;
    if (!action.ParseFromString(envelope.payload()) || action.webhook_id().empty()) {
      log::Warn("outgoing webhooks: automation.webhook without a webhook id",
                {{"eventId", envelope.id()}});
      return 0;
    }
    SALESOS_ASSIGN_OR_RETURN(auto hook,
                             store_.GetWebhook(envelope.workspace_id(), action.webhook_id()));
    if (!hook.has_value()) {
      log::Info("outgoing webhooks: automation.webhook for a webhook that is gone",
                {{"eventId", envelope.id()}, {"webhookId", action.webhook_id()}});
      return 0;
    }
    targets.push_back(std::move(*hook));
  } else {
    SALESOS_ASSIGN_OR_RETURN(auto hooks,
                             store_.ListWebhooks(envelope.workspace_id(), "", kWebhooksPerEvent));
    for (auto& hook : hooks) {
      if (Subscribes(hook.events, envelope.type())) {
        targets.push_back(std::move(hook));
      }
    }
  }
  if (targets.empty()) {
    return 0;
  }
  const std::string body = EventBody(envelope);
  const int64_t now = clock_.NowMillis();
  int added = 0;
  for (const auto& hook : targets) {
    DeliveryRecord rec;
    rec.id = NewUuidV7(now);
    rec.workspace_id = envelope.workspace_id();
    rec.webhook_id = hook.id;
    rec.event_id = envelope.id();
    rec.event_type = envelope.type();
    rec.body = body;
    rec.next_attempt_ms = now;
    rec.created_ms = now;
    SALESOS_ASSIGN_OR_RETURN(bool fresh, store_.Enqueue(rec));
    added += fresh ? 1 : 0;
  }
  if (added > 0) {
    Notify();
  }
  return added;
}

Result<std::vector<std::function<void()>>> OutgoingDeliverer::ClaimDue(int64_t now_ms, int max) {
  if (now_ms - last_purge_ms_.load() >= kPurgeEveryMs) {
    last_purge_ms_.store(now_ms);
    auto purged = store_.PurgeFinishedBefore(now_ms - kDeliveryLogRetentionMs);
    if (purged.ok() && *purged > 0) {
      log::Info("outgoing webhooks: old deliveries removed", {{"count", std::to_string(*purged)}});
    }
  }
  SALESOS_ASSIGN_OR_RETURN(auto due, store_.DueDeliveries(now_ms, max));
  std::vector<std::function<void()>> tasks;
  for (auto& delivery : due) {
    const int64_t lease = now_ms + options_.lease_ms;
    SALESOS_ASSIGN_OR_RETURN(bool claimed, store_.Claim(delivery.id, now_ms, lease));
    if (!claimed) {
      continue;
    }
    tasks.push_back([this, delivery = std::move(delivery), lease] {
      auto outcome = Attempt(delivery, lease);
      if (!outcome.ok()) {
        log::Warn("outgoing webhooks: attempt not recorded",
                  {{"deliveryId", delivery.id}, {"error", outcome.status().message()}});
      }
    });
  }
  return tasks;
}

Result<AttemptOutcome> OutgoingDeliverer::Attempt(const DeliveryRecord& delivery,
                                                  int64_t lease_until_ms) {
  SALESOS_ASSIGN_OR_RETURN(auto hook, store_.GetWebhook(delivery.workspace_id, delivery.webhook_id));
  if (!hook.has_value()) {
    return NotFound("the webhook of delivery " + delivery.id + " is gone");
  }
  const int64_t started_ms = clock_.NowMillis();
  const int64_t started_mono = MonotonicNowMs();
  AttemptOutcome outcome;
  outcome.first_attempt_ms = delivery.first_attempt_ms > 0 ? delivery.first_attempt_ms : started_ms;

  std::string error;
  auto sealed = crypto::Base64Decode(hook->secret_sealed);
  auto secret = sealed.ok() ? data_key_.Open(*sealed, SecretAad(hook->workspace_id, hook->id))
                            : Result<std::string>(sealed.status());
  if (!secret.ok()) {
    // The data key changed under the row: retried, so fixing the key lets it through.
    error = "the webhook's secret cannot be opened with this data key";
    log::Error("outgoing webhooks: secret cannot be opened",
               {{"webhookId", hook->id}, {"error", secret.status().message()}});
  } else {
    http::HttpRequest request;
    request.method = "POST";
    request.url = hook->url;
    request.timeout_ms = options_.timeout_ms;
    request.body = delivery.body;
    request.headers = {
        {"Content-Type", "application/json"},
        {"User-Agent", kUserAgent},
        {"X-SalesOS-Event-Id", delivery.event_id},
        {"X-SalesOS-Event-Type", delivery.event_type},
        {"X-SalesOS-Delivery-Id", delivery.id},
        {"X-SalesOS-Signature", SignatureHeader(*secret, started_ms / 1000, delivery.body)},
    };
    auto answer = sender_(request);
    if (answer.ok()) {
      outcome.last_http_status = answer->status;
      if (answer->status >= 200 && answer->status < 300) {
        outcome.status = kDeliverySucceeded;
      } else {
        error = "HTTP " + std::to_string(answer->status);
      }
    } else {
      error = AttemptError(answer.status(), options_.timeout_ms);
    }
  }
  const int64_t ended_ms = clock_.NowMillis();
  outcome.duration_ms = static_cast<int>(std::max<int64_t>(0, MonotonicNowMs() - started_mono));
  if (outcome.status == kDeliverySucceeded) {
    outcome.delivered_ms = ended_ms;
  } else {
    outcome.last_error = error;
    auto next = NextAttemptMs(delivery.attempts + 1, outcome.first_attempt_ms, ended_ms,
                              options_.retry_base_ms);
    if (next.has_value()) {
      outcome.status = kDeliveryPending;
      outcome.next_attempt_ms = *next;
    } else {
      outcome.status = kDeliveryFailed;
    }
  }
  SALESOS_ASSIGN_OR_RETURN(bool recorded, store_.RecordAttempt(delivery.id, lease_until_ms, outcome));
  log::Info("outgoing webhook attempt",
            {{"deliveryId", delivery.id},
             {"webhookId", delivery.webhook_id},
             {"eventType", delivery.event_type},
             {"attempt", std::to_string(delivery.attempts + 1)},
             {"status", outcome.status},
             {"httpStatus", std::to_string(outcome.last_http_status)},
             {"error", outcome.last_error},
             {"recorded", recorded ? "true" : "false"}});
  return outcome;
}

}  // namespace salesos::webhook_ingest
