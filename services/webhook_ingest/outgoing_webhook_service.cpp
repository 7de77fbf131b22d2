#include "outgoing_webhook_service.h"

#include <utility>
#include <vector>

#include "outgoing_deliverer.h"
#include "outgoing_rules.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/crypto/encoding.h"
#include "salesos/rpc/paging.h"

namespace salesos::webhook_ingest {
namespace {

constexpr char kWebhookNotFound[] = "webhook not found";
constexpr char kDeliveryNotFound[] = "delivery not found";
constexpr std::string_view kWebhookPageKind = "wh1";
constexpr std::string_view kDeliveryPageKind = "wd1";

Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("webhooks belong to a workspace; this token has none");
  }
  return OkStatus();
}

// Ids are UUIDs; anything else cannot name a webhook of this workspace.
Status RequireId(const std::string& id, const char* field, const char* not_found) {
  if (id.empty()) {
    return FieldError(field, "is required");
  }
  return IsUuid(id) ? OkStatus() : NotFound(not_found);
}

Status ValidateDescription(const std::string& text) {
  long code_points = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      return FieldError("description", "must not contain control characters");
    }
    code_points += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  if (static_cast<size_t>(code_points) > kMaxWebhookDescriptionLength) {
    return FieldError("description", "must be at most 500 characters");
  }
  return OkStatus();
}

std::string Rfc3339OrEmpty(int64_t ms) { return ms > 0 ? FormatRfc3339Millis(ms) : ""; }

void FillWebhook(const WebhookRecord& rec, v1::Webhook* out) {
  out->set_id(rec.id);
  out->set_url(rec.url);
  out->mutable_events()->Assign(rec.events.begin(), rec.events.end());
  out->set_secret_hint(rec.secret_hint);
  out->set_is_active(true);
  out->set_created_at(rec.created_at);
  out->set_created_by(rec.created_by);
  out->set_description(rec.description);
}

}  // namespace

void FillDelivery(const DeliveryRecord& rec, v1::WebhookDelivery* out) {
  out->set_id(rec.id);
  out->set_webhook_id(rec.webhook_id);
  out->set_event_id(rec.event_id);
  out->set_event_type(rec.event_type);
  out->set_status(rec.status);
  out->set_attempts(rec.attempts);
  out->set_last_http_status(rec.last_http_status);
  out->set_last_error(rec.last_error);
  if (rec.status == kDeliveryPending) {
    out->set_next_attempt_at(Rfc3339OrEmpty(rec.next_attempt_ms));
  }
  out->set_created_at(Rfc3339OrEmpty(rec.created_ms));
  out->set_delivered_at(Rfc3339OrEmpty(rec.delivered_ms));
  out->set_duration_ms(rec.duration_ms);
  out->set_redelivery_of(rec.redelivery_of);
}

Status OutgoingWebhookServiceImpl::DoCreate(const rpc::Caller& caller, const v1::Webhook& req,
                                            v1::Webhook* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  if (req.url().empty()) {
    return FieldError("url", "is required");
  }
  http::EgressUrlRules rules;
  rules.allow_private = options_.allow_private;
  rules.allow = options_.allow;
  rules.https_only_unless_private = true;
  rules.max_length = kMaxWebhookUrlLength;
  rules.dns_timeout = options_.dns_timeout;
  SALESOS_RETURN_IF_ERROR(http::CheckEgressUrl(req.url(), "url", rules).status());
  SALESOS_ASSIGN_OR_RETURN(
      auto events,
      ValidateEventTypes(std::vector<std::string>(req.events().begin(), req.events().end())));
  SALESOS_ASSIGN_OR_RETURN(std::string secret, ResolveSecret(req.secret()));
  SALESOS_RETURN_IF_ERROR(ValidateDescription(req.description()));

  WebhookRecord rec;
  rec.id = NewUuidV7(clock_.NowMillis());
  rec.workspace_id = caller.workspace_id;
  rec.url = req.url();
  rec.events = std::move(events);
  rec.secret_sealed =
      crypto::Base64Encode(data_key_.Seal(secret, SecretAad(rec.workspace_id, rec.id)));
  rec.secret_hint = SecretHint(secret);
  rec.description = req.description();
  rec.created_by = caller.user_id;
  rec.created_at = FormatRfc3339(clock_.NowSeconds());
  SALESOS_RETURN_IF_ERROR(store_.CreateWebhook(rec, kMaxWebhooksPerWorkspace));
  log::Info("outgoing webhook created",
            {{"workspaceId", rec.workspace_id}, {"webhookId", rec.id}, {"by", caller.user_id}});
  FillWebhook(rec, resp);
  resp->set_secret(secret);  // this once
  return OkStatus();
}

Status OutgoingWebhookServiceImpl::DoList(const rpc::Caller& caller,
                                          const v1::ListWebhooksRequest& req,
                                          v1::ListWebhooksResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kWebhookPageKind, req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(auto records,
                           store_.ListWebhooks(caller.workspace_id, after, page_size + 1));
  const std::string next = rpc::TakePage(records, page_size, kWebhookPageKind);
  for (const auto& rec : records) {
    FillWebhook(rec, resp->add_webhooks());
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status OutgoingWebhookServiceImpl::DoGet(const rpc::Caller& caller,
                                         const v1::GetWebhookRequest& req, v1::Webhook* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kWebhookNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.GetWebhook(caller.workspace_id, req.id()));
  if (!rec.has_value()) {
    return NotFound(kWebhookNotFound);
  }
  FillWebhook(*rec, resp);
  return OkStatus();
}

Status OutgoingWebhookServiceImpl::DoDelete(const rpc::Caller& caller,
                                            const v1::DeleteWebhookRequest& req) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kWebhookNotFound));
  SALESOS_ASSIGN_OR_RETURN(bool existed, store_.DeleteWebhook(caller.workspace_id, req.id()));
  if (!existed) {
    return NotFound(kWebhookNotFound);
  }
  log::Info("outgoing webhook deleted",
            {{"workspaceId", caller.workspace_id}, {"webhookId", req.id()}, {"by", caller.user_id}});
  return OkStatus();
}

Status OutgoingWebhookServiceImpl::DoListDeliveries(const rpc::Caller& caller,
                                                    const v1::ListWebhookDeliveriesRequest& req,
                                                    v1::ListWebhookDeliveriesResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kWebhookNotFound));
  const std::string& status = req.status();
  if (!status.empty() && status != kDeliveryPending && status != kDeliverySucceeded &&
      status != kDeliveryFailed) {
    return FieldError("status", "must be pending, succeeded or failed");
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string before,
                           rpc::DecodePageToken(kDeliveryPageKind, req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(auto hook, store_.GetWebhook(caller.workspace_id, req.id()));
  if (!hook.has_value()) {
    return NotFound(kWebhookNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(
      auto records,
      store_.ListDeliveries(caller.workspace_id, req.id(), status, before, page_size + 1));
  const std::string next = rpc::TakePage(records, page_size, kDeliveryPageKind);
  for (const auto& rec : records) {
    FillDelivery(rec, resp->add_deliveries());
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status OutgoingWebhookServiceImpl::DoRedeliver(const rpc::Caller& caller,
                                               const v1::RedeliverWebhookDeliveryRequest& req,
                                               v1::WebhookDelivery* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.webhook_id(), "webhookId", kWebhookNotFound));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kDeliveryNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto original,
                           store_.GetDelivery(caller.workspace_id, req.webhook_id(), req.id()));
  if (!original.has_value()) {
    return NotFound(kDeliveryNotFound);
  }
  const int64_t now = clock_.NowMillis();
  DeliveryRecord rec;
  rec.id = NewUuidV7(now);
  rec.workspace_id = original->workspace_id;
  rec.webhook_id = original->webhook_id;
  rec.event_id = original->event_id;
  rec.event_type = original->event_type;
  rec.body = original->body;
  rec.next_attempt_ms = now;
  rec.created_ms = now;
  rec.redelivery_of = original->id;
  SALESOS_RETURN_IF_ERROR(store_.Enqueue(rec).status());
  log::Info("outgoing webhook redelivery", {{"workspaceId", caller.workspace_id},
                                            {"deliveryId", rec.id},
                                            {"redeliveryOf", original->id},
                                            {"by", caller.user_id}});
  if (notify_) {
    notify_();
  }
  FillDelivery(rec, resp);
  return OkStatus();
}

grpc::ServerUnaryReactor* OutgoingWebhookServiceImpl::CreateWebhook(
    grpc::CallbackServerContext* ctx, const v1::Webhook* req, v1::Webhook* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoCreate(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* OutgoingWebhookServiceImpl::ListWebhooks(
    grpc::CallbackServerContext* ctx, const v1::ListWebhooksRequest* req,
    v1::ListWebhooksResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoList(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* OutgoingWebhookServiceImpl::GetWebhook(
    grpc::CallbackServerContext* ctx, const v1::GetWebhookRequest* req, v1::Webhook* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoGet(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* OutgoingWebhookServiceImpl::DeleteWebhook(
    grpc::CallbackServerContext* ctx, const v1::DeleteWebhookRequest* req,
    v1::DeleteWebhookResponse* /*resp*/) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoDelete(caller, *req);
  });
}

grpc::ServerUnaryReactor* OutgoingWebhookServiceImpl::ListWebhookDeliveries(
    grpc::CallbackServerContext* ctx, const v1::ListWebhookDeliveriesRequest* req,
    v1::ListWebhookDeliveriesResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoListDeliveries(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* OutgoingWebhookServiceImpl::RedeliverWebhookDelivery(
    grpc::CallbackServerContext* ctx, const v1::RedeliverWebhookDeliveryRequest* req,
    v1::WebhookDelivery* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoRedeliver(caller, *req, resp);
  });
}

}  // namespace salesos::webhook_ingest
