#include "campaign_service.h"

#include "salesos/rpc/paging.h"

#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"

namespace salesos::campaign {
namespace {

constexpr char kNotFound[] = "campaign not found";
constexpr char kChangedMeanwhile[] =
    "the campaign was changed by someone else meanwhile; read it again and retry";
constexpr size_t kMaxQueryLength = 200;
constexpr size_t kMaxEventIdLength = 200;

// Campaigns belong to a workspace; a service token has none, and uses the *ForService rpcs.
Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("campaigns belong to a workspace; this token has none");
  }
  return OkStatus();
}

std::string Now() { return FormatRfc3339Millis(NowUnixMillis()); }

// A time after `previous`: updated_at is the version optimistic writes compare, so two writes
// in one millisecond (or after the clock stepped back) must still get different ones.
std::string After(const std::string& previous) {
  int64_t ms = NowUnixMillis();
  std::string t = FormatRfc3339Millis(ms);
  // Bounded: a clock far behind the stored time gets a time after it rather than a long loop.
  for (int i = 0; t <= previous && i < 100000; ++i) {
    t = FormatRfc3339Millis(++ms);
  }
  return t;
}

// The writable content of a validated campaign into `rec`.
Status SetContent(const v1::Campaign& c, CampaignRecord* rec) {
  SALESOS_RETURN_IF_ERROR(ValidateCampaign(c));
  SALESOS_ASSIGN_OR_RETURN(rec->currency, NormalizeCurrency(c.product().currency()));
  SALESOS_ASSIGN_OR_RETURN(rec->price_minor, PriceToMinor(c.product().price(), rec->currency));
  rec->name = c.name();
  rec->target_platform = c.target_platform().empty() ? kDefaultPlatform : c.target_platform();
  rec->product = c.product();
  rec->product.clear_price();
  rec->product.clear_currency();
  rec->chat_flow = c.chat_flow();
  rec->target_audience = c.target_audience();
  rec->outreach_message = c.outreach_message();
  rec->referral_ids.assign(c.referral_ids().begin(), c.referral_ids().end());
  return OkStatus();
}

constexpr char kIfMatch[] = "If-Match";
constexpr char kIfMatchForm[] =
    "must be the ETag of the version you read (its updatedAt in double quotes, as GET answers it "
    "in the ETag header) or *";

// The If-Match of a call (several entries are one list, as several header lines are).
std::optional<std::string> IfMatchOf(const grpc::CallbackServerContext* ctx) {
  std::optional<std::string> out;
  auto [begin, end] = ctx->client_metadata().equal_range("if-match");
  for (auto it = begin; it != end; ++it) {
    std::string value(it->second.data(), it->second.size());
    out = out.has_value() ? *out + ", " + value : value;
  }
  return out;
}

// Sends the ETag of the campaign a successful call answers.
Status WithEtag(grpc::CallbackServerContext* ctx, Status st, const v1::Campaign& campaign) {
  if (st.ok()) {
    ctx->AddInitialMetadata("etag", CampaignEtag(campaign));
  }
  return st;
}

}  // namespace

std::string CampaignEtag(const v1::Campaign& campaign) {
  return "\"" + campaign.updated_at() + "\"";
}

Result<std::optional<std::string>> ExpectedVersion(const std::optional<std::string>& if_match,
                                                   const std::string& expected_update_time) {
  if (!if_match.has_value()) {
    if (expected_update_time.empty()) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(expected_update_time);
  }
  std::string_view v = *if_match;
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  std::optional<std::string> version;
  if (v != "*") {
    if (v.starts_with("W/")) {
      return FieldError(kIfMatch, "must be a strong ETag: a weak one (W/\"...\") never matches");
    }
    if (v.size() < 2 || v.front() != '"' || v.back() != '"') {
      return FieldError(kIfMatch, kIfMatchForm);
    }
    v = v.substr(1, v.size() - 2);
    for (unsigned char c : v) {
      // A quote inside: a list of tags, where an update names the one version it replaces.
      if (c == '"') {
        return FieldError(kIfMatch, "must be one ETag or *, not a list");
      }
      // etagc (RFC 9110 §8.8.3) without obs-text.
      if (c < 0x21 || c > 0x7e) {
        return FieldError(kIfMatch, kIfMatchForm);
      }
    }
    version = std::string(v);
  }
  if (!expected_update_time.empty() && version != expected_update_time) {
    return FieldError(kIfMatch,
                      "names another version than expectedUpdateTime; send one of them, or both "
                      "alike");
  }
  return version;
}

void FillCampaign(const CampaignRecord& rec, v1::Campaign* out) {
  out->set_id(rec.id);
  out->set_name(rec.name);
  out->set_status(rec.status);
  out->set_target_platform(rec.target_platform);
  *out->mutable_product() = rec.product;
  out->mutable_product()->set_price(MinorToMajor(rec.price_minor, rec.currency));
  out->mutable_product()->set_currency(rec.currency);
  *out->mutable_chat_flow() = rec.chat_flow;
  *out->mutable_target_audience() = rec.target_audience;
  out->set_outreach_message(rec.outreach_message);
  auto* stats = out->mutable_stats();
  stats->set_messages_sent(rec.messages_sent);
  stats->set_responses(rec.responses);
  stats->set_conversions(rec.conversions);
  stats->set_revenue(MinorToMajor(rec.revenue_minor, rec.currency));
  out->set_created_at(rec.created_at);
  out->set_updated_at(rec.updated_at);
  out->set_activated_at(rec.activated_at);
  out->set_completed_at(rec.completed_at);
  for (const auto& referral : rec.referral_ids) {
    out->add_referral_ids(referral);
  }
}

void CampaignServiceImpl::PublishChanged(const CampaignRecord& rec, const std::string& change) {
  events::v1::CampaignChanged event;
  event.set_workspace_id(rec.workspace_id);
  event.set_campaign_id(rec.id);
  event.set_name(rec.name);
  event.set_status(rec.status);
  event.set_target_platform(rec.target_platform);
  // The change is committed before the event is written, and a failed write does not fail the
  // call: answering an error for a change that happened would invite a retry that then fails
  // (409 on a second activate, 404 on a second delete). Consumers re-read campaigns through
  // GetCampaignForService when they need them, so a lost event costs freshness, not correctness.
  auto published = events_.Publish("campaign." + change, rec.workspace_id, event);
  if (!published.ok()) {
    log::Warn(
        "campaign changed but its event was not published",
        {{"campaignId", rec.id}, {"change", change}, {"error", published.status().message()}});
  }
}

Status CampaignServiceImpl::DoCreate(const rpc::Caller& caller, const v1::Campaign& req,
                                     v1::Campaign* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  CampaignRecord rec;
  SALESOS_RETURN_IF_ERROR(SetContent(req, &rec));
  rec.id = NewUuidV7();
  rec.workspace_id = caller.workspace_id;
  rec.status = kDraft;
  rec.created_at = Now();
  rec.updated_at = rec.created_at;
  SALESOS_RETURN_IF_ERROR(store_.Create(rec));
  log::Info("campaign created",
            {{"workspaceId", rec.workspace_id}, {"campaignId", rec.id}, {"by", caller.user_id}});
  PublishChanged(rec, "created");
  FillCampaign(rec, resp);
  return OkStatus();
}

Status CampaignServiceImpl::DoList(const rpc::Caller& caller, const v1::ListCampaignsRequest& req,
                                   v1::ListCampaignsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string before, rpc::DecodePageToken(kCampaignPageKind, req.page_token()));
  if (!req.status().empty() && !IsKnownStatus(req.status())) {
    return FieldError("status", "must be draft, active, paused or completed");
  }
  if (!req.target_platform().empty() && !IsTargetPlatform(req.target_platform())) {
    return FieldError("targetPlatform", "must be facebook, instagram, whatsapp or all");
  }
  long q_length = Utf8Length(req.q());
  if (q_length < 0 || static_cast<size_t>(q_length) > kMaxQueryLength ||
      req.q().find('\0') != std::string::npos) {
    return FieldError("q", "must be at most 200 characters of text");
  }
  CampaignFilter filter{req.status(), req.target_platform(), req.q()};
  return ListPage(caller.workspace_id, filter, before, page_size, resp);
}

Status CampaignServiceImpl::DoListForService(const v1::ListCampaignsForServiceRequest& req,
                                             v1::ListCampaignsResponse* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string before,
                           rpc::DecodePageToken(kCampaignPageKind, req.page_token()));
  return ListPage(req.workspace_id(), CampaignFilter{}, before, page_size, resp);
}

Status CampaignServiceImpl::ListPage(const std::string& workspace_id, const CampaignFilter& filter,
                                     const std::string& before, int32_t page_size,
                                     v1::ListCampaignsResponse* resp) {
  // One more than asked tells whether another page follows without a count query.
  SALESOS_ASSIGN_OR_RETURN(auto records, store_.List(workspace_id, filter, before, page_size + 1));
  const std::string next = rpc::TakePage(records, page_size, kCampaignPageKind);
  for (const auto& rec : records) {
    FillCampaign(rec, resp->add_campaigns());
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status CampaignServiceImpl::DoGet(const rpc::Caller& caller, const std::string& id,
                                  v1::Campaign* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(id, "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(caller.workspace_id, id));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  FillCampaign(*rec, resp);
  return OkStatus();
}

Status CampaignServiceImpl::DoUpdate(const rpc::Caller& caller,
                                     const v1::UpdateCampaignRequest& req, v1::Campaign* resp,
                                     const std::optional<std::string>& if_match) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(std::optional<std::string> expected,
                           ExpectedVersion(if_match, req.expected_update_time()));
  SALESOS_ASSIGN_OR_RETURN(auto current, store_.Get(caller.workspace_id, req.id()));
  if (!current.has_value()) {
    return NotFound(kNotFound);
  }
  if (expected.has_value() && *expected != current->updated_at) {
    return Status(Code::kAborted, "the campaign was changed at " + current->updated_at +
                                      ", after the version you read; read it again and retry");
  }
  v1::Campaign stored;
  FillCampaign(*current, &stored);
  std::vector<std::string> mask(req.update_mask().begin(), req.update_mask().end());
  SALESOS_ASSIGN_OR_RETURN(v1::Campaign updated, ApplyUpdate(stored, req.campaign(), mask));
  CampaignRecord rec = *current;
  SALESOS_RETURN_IF_ERROR(SetContent(updated, &rec));
  rec.updated_at = After(current->updated_at);
  // Compared against what was read just now, also without an expected version: two
  // concurrent patches of different fields must not undo each other.
  SALESOS_ASSIGN_OR_RETURN(bool written, store_.UpdateContent(rec, current->updated_at));
  if (!written) {
    return Status(Code::kAborted, kChangedMeanwhile);
  }
  log::Info("campaign updated",
            {{"workspaceId", rec.workspace_id}, {"campaignId", rec.id}, {"by", caller.user_id}});
  PublishChanged(rec, "updated");
  FillCampaign(rec, resp);
  return OkStatus();
}

Status CampaignServiceImpl::DoDelete(const rpc::Caller& caller, const std::string& id) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(id, "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto current, store_.Get(caller.workspace_id, id));
  if (!current.has_value()) {
    return NotFound(kNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(std::string next, Transition(current->status, Action::kDelete));
  (void)next;
  SALESOS_ASSIGN_OR_RETURN(bool deleted, store_.DeleteDraft(caller.workspace_id, id));
  if (!deleted) {
    return Status(Code::kAborted, kChangedMeanwhile);
  }
  log::Info("campaign deleted",
            {{"workspaceId", current->workspace_id}, {"campaignId", id}, {"by", caller.user_id}});
  current->status = kDeleted;
  PublishChanged(*current, "deleted");
  return OkStatus();
}

Status CampaignServiceImpl::DoLifecycle(const rpc::Caller& caller, const std::string& id,
                                        Action action, v1::Campaign* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(id, "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto current, store_.Get(caller.workspace_id, id));
  if (!current.has_value()) {
    return NotFound(kNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(std::string next, Transition(current->status, action));
  if (action == Action::kActivate) {
    v1::Campaign view;
    FillCampaign(*current, &view);
    SALESOS_RETURN_IF_ERROR(CheckReadyToActivate(view));
  }
  CampaignRecord rec = *current;
  rec.status = next;
  rec.updated_at = After(current->updated_at);
  if (action == Action::kActivate) {
    // Every activation, resuming included: "most recently activated" picks the campaign a new
    // conversation lands in.
    rec.activated_at = rec.updated_at;
  } else if (action == Action::kComplete) {
    rec.completed_at = rec.updated_at;
  }
  SALESOS_ASSIGN_OR_RETURN(bool written, store_.UpdateStatus(rec, current->status));
  if (!written) {
    return Status(Code::kAborted, kChangedMeanwhile);
  }
  std::string change = action == Action::kActivate ? "activated"
                       : action == Action::kPause  ? "paused"
                                                   : "completed";
  log::Info("campaign " + change,
            {{"workspaceId", rec.workspace_id}, {"campaignId", rec.id}, {"by", caller.user_id}});
  PublishChanged(rec, change);
  FillCampaign(rec, resp);
  return OkStatus();
}

Status CampaignServiceImpl::DoDuplicate(const rpc::Caller& caller, const std::string& id,
                                        v1::Campaign* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(id, "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto source, store_.Get(caller.workspace_id, id));
  if (!source.has_value()) {
    return NotFound(kNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(std::string status, Transition(source->status, Action::kDuplicate));
  CampaignRecord rec = *source;
  rec.id = NewUuidV7();
  rec.name = CopyName(source->name);
  rec.status = status;
  rec.messages_sent = rec.responses = rec.conversions = rec.revenue_minor = 0;
  rec.created_at = Now();
  rec.updated_at = rec.created_at;
  rec.activated_at.clear();
  rec.completed_at.clear();
  SALESOS_RETURN_IF_ERROR(store_.Create(rec));
  log::Info("campaign duplicated", {{"workspaceId", rec.workspace_id},
                                    {"campaignId", rec.id},
                                    {"from", source->id},
                                    {"by", caller.user_id}});
  PublishChanged(rec, "created");
  FillCampaign(rec, resp);
  return OkStatus();
}

Status CampaignServiceImpl::DoResolve(const v1::ResolveCampaignForChannelRequest& req,
                                      v1::ResolveCampaignForChannelResponse* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  if (!IsChannelPlatform(req.platform())) {
    return FieldError("platform", "must be facebook, instagram or whatsapp");
  }
  std::optional<CampaignRecord> found;
  if (!req.referral().empty()) {
    SALESOS_ASSIGN_OR_RETURN(found,
                             store_.FindActiveByReferral(req.workspace_id(), req.referral()));
  }
  if (!found.has_value()) {
    SALESOS_ASSIGN_OR_RETURN(found, store_.FindLatestActive(req.workspace_id(), req.platform()));
  }
  resp->set_found(found.has_value());
  if (found.has_value()) {
    FillCampaign(*found, resp->mutable_campaign());
  }
  return OkStatus();
}

Status CampaignServiceImpl::DoGetForService(const v1::GetCampaignForServiceRequest& req,
                                            v1::Campaign* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(req.workspace_id(), req.id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  FillCampaign(*rec, resp);
  return OkStatus();
}

Status CampaignServiceImpl::DoRecordStats(const v1::RecordCampaignStatsRequest& req) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_RETURN_IF_ERROR(RequireId(req.campaign_id(), "campaignId", kNotFound));
  if (req.event_id().empty() || req.event_id().size() > kMaxEventIdLength) {
    return FieldError("eventId", "is required (at most 200 characters)");
  }
  if (req.messages_sent() < 0 || req.responses() < 0 || req.conversions() < 0 ||
      req.revenue_minor() < 0) {
    return InvalidArgument("stats only grow: counters and revenue must not be negative");
  }
  StatsDelta delta{req.messages_sent(), req.responses(), req.conversions(), req.revenue_minor()};
  SALESOS_ASSIGN_OR_RETURN(bool added, store_.RecordStats(req.workspace_id(), req.campaign_id(),
                                                          req.event_id(), delta, Now()));
  if (!added) {
    log::Debug("campaign stats event seen before", {{"eventId", req.event_id()}});
  }
  return OkStatus();
}

grpc::ServerUnaryReactor* CampaignServiceImpl::CreateCampaign(grpc::CallbackServerContext* ctx,
                                                              const v1::Campaign* req,
                                                              v1::Campaign* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoCreate(caller, *req, resp), *resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::ListCampaigns(grpc::CallbackServerContext* ctx,
                                                             const v1::ListCampaignsRequest* req,
                                                             v1::ListCampaignsResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoList(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::GetCampaign(grpc::CallbackServerContext* ctx,
                                                           const v1::GetCampaignRequest* req,
                                                           v1::Campaign* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoGet(caller, req->id(), resp), *resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::UpdateCampaign(grpc::CallbackServerContext* ctx,
                                                              const v1::UpdateCampaignRequest* req,
                                                              v1::Campaign* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoUpdate(caller, *req, resp, IfMatchOf(ctx)), *resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::DeleteCampaign(
    grpc::CallbackServerContext* ctx, const v1::DeleteCampaignRequest* req,
    v1::DeleteCampaignResponse* /*resp*/) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoDelete(caller, req->id());
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::ActivateCampaign(
    grpc::CallbackServerContext* ctx, const v1::CampaignActionRequest* req, v1::Campaign* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoLifecycle(caller, req->id(), Action::kActivate, resp), *resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::PauseCampaign(grpc::CallbackServerContext* ctx,
                                                             const v1::CampaignActionRequest* req,
                                                             v1::Campaign* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoLifecycle(caller, req->id(), Action::kPause, resp), *resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::CompleteCampaign(
    grpc::CallbackServerContext* ctx, const v1::CampaignActionRequest* req, v1::Campaign* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoLifecycle(caller, req->id(), Action::kComplete, resp), *resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::DuplicateCampaign(
    grpc::CallbackServerContext* ctx, const v1::CampaignActionRequest* req, v1::Campaign* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoDuplicate(caller, req->id(), resp), *resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::ResolveCampaignForChannel(
    grpc::CallbackServerContext* ctx, const v1::ResolveCampaignForChannelRequest* req,
    v1::ResolveCampaignForChannelResponse* resp) {
  return rpc::Handle(ctx, pool_,
                     [=, this](const rpc::Caller&) -> Status { return DoResolve(*req, resp); });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::GetCampaignForService(
    grpc::CallbackServerContext* ctx, const v1::GetCampaignForServiceRequest* req,
    v1::Campaign* resp) {
  return rpc::Handle(
      ctx, pool_, [=, this](const rpc::Caller&) -> Status { return DoGetForService(*req, resp); });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::ListCampaignsForService(
    grpc::CallbackServerContext* ctx, const v1::ListCampaignsForServiceRequest* req,
    v1::ListCampaignsResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller&) -> Status {
    return DoListForService(*req, resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::RecordCampaignStats(
    grpc::CallbackServerContext* ctx, const v1::RecordCampaignStatsRequest* req,
    v1::RecordCampaignStatsResponse* /*resp*/) {
  return rpc::Handle(ctx, pool_,
                     [=, this](const rpc::Caller&) -> Status { return DoRecordStats(*req); });
}

}  // namespace salesos::campaign
