#include "broadcast_service.h"

#include <google/protobuf/util/json_util.h>

#include <utility>
#include <vector>

#include "broadcast_rules.h"
#include "campaign_rules.h"
#include "salesos/rpc/json.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/paging.h"
#include "salesos/rpc/status_mapping.h"
#include "salesos/segments/catalogue.h"
#include "salesos/templates/template_renderer.h"

namespace salesos::campaign {
namespace {

using conversation::v1::ResolveAudienceForServiceRequest;
using conversation::v1::ResolveAudienceForServiceResponse;
using conversation::v1::SendToContactForServiceRequest;
using conversation::v1::SendToContactForServiceResponse;

constexpr char kNotFound[] = "broadcast not found";
constexpr char kCampaignNotFound[] = "campaign not found";
constexpr char kIntegrationNotFound[] = "integration not found";
constexpr std::string_view kPageKind = "b1";
constexpr std::string_view kRecipientPageKind = "br1";

Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("broadcasts belong to a workspace; this token has none");
  }
  return OkStatus();
}

std::string PlatformName(const std::string& platform) {
  return platform == "facebook" ? "Messenger" : platform == "instagram" ? "Instagram" : "WhatsApp";
}

// As segment_service: custom fields are judged by conversation, which knows their declarations.
Status ValidateRulesHere(const common::v1::SegmentRule& rule) {
  common::v1::SegmentRule copy = rule;
  std::vector<common::v1::SegmentRule*> pending = {&copy};
  while (!pending.empty()) {
    common::v1::SegmentRule* node = pending.back();
    pending.pop_back();
    if (node->field().rfind(segments::kCustomFieldsPrefix, 0) == 0) {
      node->set_operator_("exists");
      node->mutable_value()->set_bool_value(true);
    }
    for (auto& child : *node->mutable_conditions()) {
      pending.push_back(&child);
    }
  }
  return segments::ValidateSegmentRule(copy, "rules");
}

Status ValidateText(const std::string& text) {
  long length = templates::Utf8CodePoints(text);
  if (length < 0) {
    return FieldError("text", "is not valid UTF-8");
  }
  if (length < 1 || static_cast<size_t>(length) > kMaxBroadcastTextLength) {
    return FieldError("text", "must be 1 to 4000 characters");
  }
  if (HasControlCharacters(text, true)) {
    return FieldError("text", "must not contain control characters other than line breaks");
  }
  auto vars = templates::TemplateVariables(text);
  if (!vars.ok()) {
    std::string why(vars.status().message());
    if (why.rfind("body: ", 0) == 0) {
      why = why.substr(6);
    }
    return FieldError("text", why);
  }
  return OkStatus();
}

// Header parameters have no place in SendToContactForService's TemplateMessage (body parameters
// only), so a broadcast refuses them rather than dropping them.
Status RequireNoHeaderParameters(const v1::WhatsAppTemplate& t, const std::string& path) {
  for (int i = 0; i < t.components_size(); ++i) {
    if (t.components(i).type() == "header" && t.components(i).parameters_size() > 0) {
      return FieldError(path + ".components[" + std::to_string(i) + "].parameters",
                        "header parameters cannot be sent in a broadcast yet; use a template "
                        "whose header has none");
    }
  }
  return OkStatus();
}

}  // namespace

void FillBroadcast(const BroadcastRecord& b, v1::Broadcast* out) {
  out->set_id(b.id);
  out->set_campaign_id(b.campaign_id);
  out->set_name(b.name);
  out->set_status(b.status);
  out->set_segment_id(b.segment_id);
  *out->mutable_rules() = b.rules;
  out->set_template_id(b.template_id);
  out->set_text(b.text_given);
  if (b.inline_template && b.wa_template.has_value()) {
    *out->mutable_template_() = *b.wa_template;
  }
  out->set_integration_id(b.integration_id);
  out->set_platform(b.platform);
  out->set_schedule_at(FormatRfc3339Millis(b.schedule_at_ms));
  out->set_rate_per_second(b.rate_per_second);
  out->set_total(static_cast<int32_t>(b.total));
  out->set_queued(static_cast<int32_t>(b.queued));
  out->set_sent(static_cast<int32_t>(b.sent));
  out->set_delivered(static_cast<int32_t>(b.delivered));
  out->set_read(static_cast<int32_t>(b.read));
  out->set_failed(static_cast<int32_t>(b.failed));
  out->set_replied(static_cast<int32_t>(b.replied));
  out->set_cancelled(static_cast<int32_t>(b.cancelled));
  out->set_opted_out(static_cast<int32_t>(b.opted_out));
  out->set_attribution_window_hours(b.attribution_window_hours);
  out->set_started_at(b.started_at);
  out->set_completed_at(b.completed_at);
  out->set_created_by(b.created_by);
  out->set_created_at(b.created_at);
  out->set_updated_at(b.updated_at);
  out->set_error(b.error);
}

void FillRecipient(const RecipientRecord& r, v1::BroadcastRecipient* out) {
  out->set_id(r.id);
  out->set_contact_id(r.contact_id);
  out->set_name(r.name);
  out->set_address(r.address);
  out->set_status(r.status);
  out->set_platform_message_id(r.platform_message_id);
  out->set_message_id(r.message_id);
  out->set_conversation_id(r.conversation_id);
  out->set_error(r.error);
  out->set_attempts(r.attempts);
  out->set_sent_at(r.sent_at);
  out->set_delivered_at(r.delivered_at);
  out->set_read_at(r.read_at);
  out->set_replied_at(r.replied_at);
}

std::string BroadcastJson(const BroadcastRecord& rec) {
  v1::Broadcast b;
  FillBroadcast(rec, &b);
  return rpc::MessageToJson(b);
}

decltype(BroadcastPeers::resolve_audience) ConversationAudience(
    std::shared_ptr<grpc::Channel> channel, rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<conversation::v1::ConversationService::Stub> stub =
      conversation::v1::ConversationService::NewStub(std::move(channel));
  return [stub, &tokens, timeout_ms](const ResolveAudienceForServiceRequest& req)
             -> Result<ResolveAudienceForServiceResponse> {
    grpc::ClientContext ctx;
    SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens, timeout_ms));
    ResolveAudienceForServiceResponse resp;
    grpc::Status st = stub->ResolveAudienceForService(&ctx, req, &resp);
    if (!st.ok()) {
      return rpc::FromGrpc(st);
    }
    return resp;
  };
}

decltype(BroadcastPeers::send) ConversationSends(std::shared_ptr<grpc::Channel> channel,
                                                 rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<conversation::v1::ConversationService::Stub> stub =
      conversation::v1::ConversationService::NewStub(std::move(channel));
  return [stub, &tokens, timeout_ms](
             const SendToContactForServiceRequest& req) -> Result<SendToContactForServiceResponse> {
    grpc::ClientContext ctx;
    SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens, timeout_ms));
    SendToContactForServiceResponse resp;
    grpc::Status st = stub->SendToContactForService(&ctx, req, &resp);
    if (!st.ok()) {
      return rpc::FromGrpc(st);
    }
    return resp;
  };
}

decltype(BroadcastPeers::integration) AuthIntegrations(std::shared_ptr<grpc::Channel> channel,
                                                       rpc::ServiceTokenSource& tokens,
                                                       int timeout_ms) {
  std::shared_ptr<auth::v1::ChannelService::Stub> stub =
      auth::v1::ChannelService::NewStub(std::move(channel));
  return [stub, &tokens, timeout_ms](const std::string& integration_id) -> Result<IntegrationInfo> {
    grpc::ClientContext ctx;
    SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens, timeout_ms));
    auth::v1::GetChannelCredentialsRequest req;
    req.set_integration_id(integration_id);
    auth::v1::ChannelCredentials resp;
    grpc::Status st = stub->GetChannelCredentials(&ctx, req, &resp);
    if (!st.ok()) {
      return rpc::FromGrpc(st);
    }
    return IntegrationInfo{resp.workspace_id(), resp.platform()};
  };
}

Status BroadcastServiceImpl::DoCreate(const rpc::Caller& caller,
                                      const v1::CreateBroadcastRequest& req, v1::Broadcast* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.campaign_id(), "campaignId", kCampaignNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto campaign, campaigns_.Get(caller.workspace_id, req.campaign_id()));
  if (!campaign.has_value()) {
    return NotFound(kCampaignNotFound);
  }
  const int64_t now = clock_.NowMillis();
  BroadcastRecord b;
  b.name = req.name();
  long name_length = templates::Utf8CodePoints(b.name);
  if (name_length < 0 || static_cast<size_t>(name_length) > kMaxBroadcastNameLength ||
      HasControlCharacters(b.name, false)) {
    return FieldError("name", "must be at most 200 characters of text");
  }
  if (b.name.find_first_not_of(" \t") == std::string::npos) {
    b.name = "Broadcast " + FormatRfc3339(now / 1000).substr(0, 16);
  }
  int audiences = (req.segment_id().empty() ? 0 : 1) + (req.has_rules() ? 1 : 0);
  if (audiences != 1) {
    return FieldError("segmentId", "give exactly one audience: segmentId or rules");
  }
  int messages = (req.template_id().empty() ? 0 : 1) + (req.text().empty() ? 0 : 1) +
                 (req.has_template_() ? 1 : 0);
  if (messages != 1) {
    return FieldError("templateId", "give exactly one message: templateId, text or template");
  }
  if (req.integration_id().empty()) {
    return FieldError("integrationId", "is required: the channel the broadcast goes out on");
  }
  if (req.rate_per_second() < 0 || req.rate_per_second() > max_rate_) {
    return FieldError("ratePerSecond", "must be 1 to " + std::to_string(max_rate_) +
                                           " (this installation's --broadcast-max-rate)");
  }
  if (req.attribution_window_hours() < 0 || req.attribution_window_hours() > kMaxAttributionHours) {
    return FieldError("attributionWindowHours", "must be 1 to 720");
  }
  b.schedule_at_ms = now;
  if (!req.schedule_at().empty()) {
    auto at = ParseRfc3339Millis(req.schedule_at());
    if (!at.has_value()) {
      return FieldError("scheduleAt", "must be an RFC 3339 time, e.g. 2026-12-01T09:00:00Z");
    }
    if (*at > now + kMaxScheduleAheadMs) {
      return FieldError("scheduleAt", "must be at most 90 days ahead");
    }
    b.schedule_at_ms = std::max(*at, now);
  }
  // The message, before any remote call.
  if (!req.text().empty()) {
    SALESOS_RETURN_IF_ERROR(ValidateText(req.text()));
  }
  if (req.has_template_()) {
    SALESOS_RETURN_IF_ERROR(ValidateWhatsAppTemplate(req.template_(), "template"));
    SALESOS_RETURN_IF_ERROR(RequireNoHeaderParameters(req.template_(), "template"));
  }
  if (req.has_rules()) {
    SALESOS_RETURN_IF_ERROR(ValidateRulesHere(req.rules()));
  }
  // The integration: auth knows its workspace and platform.
  if (!peers_.integration) {
    return Unavailable("integrations cannot be read from here");
  }
  auto integration = peers_.integration(req.integration_id());
  if (!integration.ok()) {
    Code c = integration.status().code();
    if (c == Code::kNotFound || c == Code::kInvalidArgument) {
      return NotFound(kIntegrationNotFound);
    }
    return Unavailable("the integration cannot be read right now (auth service); try again")
        .WithRetryAfter(5);
  }
  if (integration->workspace_id != caller.workspace_id) {
    return NotFound(kIntegrationNotFound);
  }
  b.platform = integration->platform;
  if (req.has_template_() && b.platform != "whatsapp") {
    return FieldError("template",
                      "a WhatsApp template is sent on WhatsApp only; this integration "
                      "is " +
                          PlatformName(b.platform));
  }
  // The message's text and template.
  if (!req.template_id().empty()) {
    SALESOS_RETURN_IF_ERROR(RequireId(req.template_id(), "templateId", "template not found"));
    SALESOS_ASSIGN_OR_RETURN(auto tpl, templates_.Get(caller.workspace_id, req.template_id()));
    if (!tpl.has_value()) {
      return NotFound("template not found");
    }
    b.template_id = tpl->id;
    b.body = tpl->body;
    if (b.platform == "whatsapp" && tpl->whatsapp.has_value()) {
      SALESOS_RETURN_IF_ERROR(RequireNoHeaderParameters(*tpl->whatsapp, "template.whatsapp"));
      b.wa_template = tpl->whatsapp;
      b.body.clear();
    }
  } else if (!req.text().empty()) {
    b.body = req.text();
    b.text_given = req.text();
  } else {
    b.wa_template = req.template_();
    b.inline_template = true;
  }
  // The audience.
  if (!req.segment_id().empty()) {
    SALESOS_RETURN_IF_ERROR(RequireId(req.segment_id(), "segmentId", "segment not found"));
    SALESOS_ASSIGN_OR_RETURN(auto segment, segments_.Get(caller.workspace_id, req.segment_id()));
    if (!segment.has_value()) {
      return NotFound("segment not found");
    }
    b.segment_id = segment->id;
    b.rules = segment->rules;
  } else {
    b.rules = req.rules();
  }
  // Can the channel carry it to everyone? Conversation counts the audience.
  if (!peers_.resolve_audience) {
    return Unavailable("the audience cannot be counted from here");
  }
  ResolveAudienceForServiceRequest count;
  count.set_workspace_id(caller.workspace_id);
  *count.mutable_rules() = b.rules;
  count.set_platform(b.platform);
  count.set_count(true);
  auto counted = peers_.resolve_audience(count);
  if (!counted.ok()) {
    if (counted.status().code() == Code::kInvalidArgument) {
      return counted.status();
    }
    log::Warn("broadcast audience not counted",
              {{"workspaceId", caller.workspace_id}, {"error", counted.status().message()}});
    return Unavailable(
               "the broadcast was not created: the contacts cannot be reached right now "
               "(conversation service); try again in a moment")
        .WithRetryAfter(5);
  }
  int32_t outside = counted->outside_window_count();
  if (outside > 0 && b.platform != "whatsapp") {
    return FailedPrecondition(
        std::to_string(outside) + " contact" +
        (outside == 1 ? " of the audience is" : "s of the audience are") + " outside " +
        PlatformName(b.platform) +
        "'s 24-hour window (they have not written in the last 24 hours), and " +
        PlatformName(b.platform) +
        " takes messages only inside it; narrow the audience (e.g. lastMessageAt within 24 hours)");
  }
  if (outside > 0 && b.platform == "whatsapp" && !b.wa_template.has_value()) {
    return FailedPrecondition(
        std::to_string(outside) + " contact" +
        (outside == 1 ? " of the audience is" : "s of the audience are") +
        " outside WhatsApp's 24-hour window, where WhatsApp takes only approved templates; use an "
        "approved WhatsApp template (template, or a templateId whose template has one)");
  }
  b.id = NewUuidV7(now);
  b.workspace_id = caller.workspace_id;
  b.campaign_id = campaign->id;
  b.status = kBroadcastScheduled;
  b.integration_id = req.integration_id();
  b.rate_per_second =
      req.rate_per_second() > 0 ? req.rate_per_second() : DefaultRatePerSecond(b.platform);
  b.rate_per_second = std::min(b.rate_per_second, max_rate_);
  b.attribution_window_hours = req.attribution_window_hours() > 0 ? req.attribution_window_hours()
                                                                  : kDefaultAttributionHours;
  b.created_by = caller.user_id;
  b.created_at = FormatRfc3339Millis(now);
  b.updated_at = b.created_at;
  SALESOS_RETURN_IF_ERROR(store_.Create(b, kMaxUnfinishedBroadcasts));
  log::Info("broadcast created",
            {{"workspaceId", b.workspace_id}, {"broadcastId", b.id}, {"by", caller.user_id}});
  if (engine_ != nullptr) {
    engine_->Changed(b.id, true);
    engine_->Notify();
  }
  FillBroadcast(b, resp);
  return OkStatus();
}

Status BroadcastServiceImpl::DoList(const rpc::Caller& caller, const v1::ListBroadcastsRequest& req,
                                    v1::ListBroadcastsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.campaign_id(), "campaignId", kCampaignNotFound));
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string before, rpc::DecodePageToken(kPageKind, req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(auto campaign, campaigns_.Get(caller.workspace_id, req.campaign_id()));
  if (!campaign.has_value()) {
    return NotFound(kCampaignNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(
      auto records, store_.List(caller.workspace_id, req.campaign_id(), before, page_size + 1));
  const std::string next = rpc::TakePage(records, page_size, kPageKind);
  for (const auto& rec : records) {
    FillBroadcast(rec, resp->add_broadcasts());
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status BroadcastServiceImpl::DoGet(const rpc::Caller& caller, const std::string& id,
                                   v1::Broadcast* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(id, "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(caller.workspace_id, id));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  FillBroadcast(*rec, resp);
  return OkStatus();
}

Status BroadcastServiceImpl::DoAction(const rpc::Caller& caller, const std::string& id,
                                      const std::string& action, v1::Broadcast* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(id, "id", kNotFound));
  std::vector<std::string> from;
  std::string to;
  if (action == "pause") {
    from = {kBroadcastRunning, kBroadcastScheduled};
    to = kBroadcastPaused;
  } else if (action == "resume") {
    from = {kBroadcastPaused};
    to = kBroadcastRunning;
  } else {
    from = {kBroadcastScheduled, kBroadcastRunning, kBroadcastPaused};
    to = kBroadcastCancelled;
  }
  SALESOS_ASSIGN_OR_RETURN(
      auto rec, store_.ChangeStatus(caller.workspace_id, id, from, to, clock_.NowMillis()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  log::Info("broadcast " + rec->status,
            {{"workspaceId", caller.workspace_id}, {"broadcastId", id}, {"by", caller.user_id}});
  if (engine_ != nullptr) {
    if (to == kBroadcastRunning) {
      engine_->Notify();
    } else {
      engine_->Withdraw();
    }
    engine_->Changed(id, true);
  }
  FillBroadcast(*rec, resp);
  return OkStatus();
}

Status BroadcastServiceImpl::DoListRecipients(const rpc::Caller& caller,
                                              const v1::ListBroadcastRecipientsRequest& req,
                                              v1::ListBroadcastRecipientsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kNotFound));
  static const std::vector<std::string> kStatuses = {
      "", "queued", "sending", "sent", "delivered", "read", "failed", "cancelled", "replied"};
  if (std::find(kStatuses.begin(), kStatuses.end(), req.status()) == kStatuses.end()) {
    return FieldError("status",
                      "must be queued, sending, sent, delivered, read, failed, "
                      "cancelled or replied");
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kRecipientPageKind, req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(caller.workspace_id, req.id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(auto records,
                           store_.ListRecipients(req.id(), req.status(), after, page_size + 1));
  const std::string next = rpc::TakePage(records, page_size, kRecipientPageKind);
  for (const auto& r : records) {
    FillRecipient(r, resp->add_recipients());
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status HandleBroadcastEvent(store::Store& db, BroadcastEngine* engine,
                            const redis::StreamEntry& entry, const Clock& clock) {
  const std::string* type = entry.Field("type");
  if (type == nullptr || (*type != "broadcast.receipt" && *type != "broadcast.reply")) {
    return OkStatus();
  }
  const std::string* raw = entry.Field("envelope");
  events::v1::EventEnvelope envelope;
  if (raw == nullptr || !envelope.ParseFromString(*raw)) {
    log::Warn("broadcast event without a readable envelope; skipped", {{"entryId", entry.id}});
    return OkStatus();
  }
  BroadcastStore store(db);
  Result<RecipientMove> moved = RecipientMove{};
  std::string broadcast_id;
  if (envelope.type() == "broadcast.receipt") {
    events::v1::BroadcastReceipt r;
    if (!r.ParseFromString(envelope.payload())) {
      return OkStatus();
    }
    broadcast_id = r.broadcast_id();
    moved = store.ApplyReceipt(r.workspace_id(), r.broadcast_id(), r.recipient_id(), r.status(),
                               r.error(), r.at_ms() > 0 ? r.at_ms() : clock.NowMillis(),
                               clock.NowMillis());
  } else {
    events::v1::BroadcastReply r;
    if (!r.ParseFromString(envelope.payload())) {
      return OkStatus();
    }
    broadcast_id = r.broadcast_id();
    moved = store.ApplyReply(r.workspace_id(), r.broadcast_id(), r.recipient_id(),
                             r.at_ms() > 0 ? r.at_ms() : clock.NowMillis(), clock.NowMillis());
  }
  if (!moved.ok()) {
    return moved.status();  // stays pending; retried
  }
  if (moved->applied && engine != nullptr) {
    engine->Changed(broadcast_id, false);
  }
  return OkStatus();
}

grpc::ServerUnaryReactor* BroadcastServiceImpl::CreateBroadcast(
    grpc::CallbackServerContext* ctx, const v1::CreateBroadcastRequest* req, v1::Broadcast* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoCreate(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* BroadcastServiceImpl::ListBroadcasts(grpc::CallbackServerContext* ctx,
                                                               const v1::ListBroadcastsRequest* req,
                                                               v1::ListBroadcastsResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoList(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* BroadcastServiceImpl::GetBroadcast(grpc::CallbackServerContext* ctx,
                                                             const v1::GetBroadcastRequest* req,
                                                             v1::Broadcast* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoGet(caller, req->id(), resp);
  });
}

grpc::ServerUnaryReactor* BroadcastServiceImpl::PauseBroadcast(
    grpc::CallbackServerContext* ctx, const v1::BroadcastActionRequest* req, v1::Broadcast* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoAction(caller, req->id(), "pause", resp);
  });
}

grpc::ServerUnaryReactor* BroadcastServiceImpl::ResumeBroadcast(
    grpc::CallbackServerContext* ctx, const v1::BroadcastActionRequest* req, v1::Broadcast* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoAction(caller, req->id(), "resume", resp);
  });
}

grpc::ServerUnaryReactor* BroadcastServiceImpl::CancelBroadcast(
    grpc::CallbackServerContext* ctx, const v1::BroadcastActionRequest* req, v1::Broadcast* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoAction(caller, req->id(), "cancel", resp);
  });
}

grpc::ServerUnaryReactor* BroadcastServiceImpl::ListBroadcastRecipients(
    grpc::CallbackServerContext* ctx, const v1::ListBroadcastRecipientsRequest* req,
    v1::ListBroadcastRecipientsResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoListRecipients(caller, *req, resp);
  });
}

}  // namespace salesos::campaign
