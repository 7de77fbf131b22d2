#include "segment_service.h"

#include <utility>
#include <vector>

#include "campaign_rules.h"
#include "campaign_service.h"
#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/paging.h"
#include "salesos/rpc/status_mapping.h"
#include "salesos/segments/catalogue.h"

namespace salesos::campaign {
namespace {

using conversation::v1::EvaluateSegmentForServiceRequest;
using conversation::v1::EvaluateSegmentForServiceResponse;

constexpr char kNotFound[] = "segment not found";
constexpr char kChangedMeanwhile[] =
    "the segment was changed by someone else meanwhile; read it again and retry";
constexpr size_t kMaxQueryLength = 200;

// Segments belong to a workspace; a service token has none, and uses GetSegmentForService.
Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("segments belong to a workspace; this token has none");
  }
  return OkStatus();
}

Status ValidateName(std::string_view name) {
  long length = Utf8Length(name);
  if (length < 0) {
    return FieldError("name", "is not valid UTF-8");
  }
  if (length < 1 || static_cast<size_t>(length) > kMaxSegmentNameLength) {
    return FieldError("name", "must be 1 to 200 characters");
  }
  if (name.find_first_not_of(" \t") == std::string_view::npos) {
    return FieldError("name", "must not be blank");
  }
  if (HasControlCharacters(name, false)) {
    return FieldError("name", "must not contain control characters");
  }
  return OkStatus();
}

Status ValidateDescription(std::string_view description) {
  long length = Utf8Length(description);
  if (length < 0) {
    return FieldError("description", "is not valid UTF-8");
  }
  if (static_cast<size_t>(length) > kMaxSegmentDescriptionLength) {
    return FieldError("description", "must be at most 2000 characters");
  }
  if (HasControlCharacters(description, true)) {
    return FieldError("description", "must not contain control characters other than line breaks");
  }
  return OkStatus();
}

// The version an answer of one segment carries (the gateway's ETag header).
Status WithEtag(grpc::CallbackServerContext* ctx, Status st, const v1::Segment& segment) {
  if (st.ok()) {
    ctx->AddInitialMetadata("etag", "\"" + segment.updated_at() + "\"");
  }
  return st;
}

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

// The tree as campaign can check it without the workspace's custom field declarations (which
// conversation holds): each custom field condition's operator and value stand in as `exists:
// true`, which any declared type takes, so only its key, the shape, the depth and the size of the
// tree and every catalogue field are judged here. Conversation then judges the custom fields
// against their declared types.
common::v1::SegmentRule WithoutCustomFieldTests(const common::v1::SegmentRule& rule) {
  common::v1::SegmentRule out = rule;
  std::vector<common::v1::SegmentRule*> pending = {&out};
  // Bounded by the tree's size; a tree too deep to check is refused by the validator anyway.
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
  return out;
}

// What campaign checks before asking conversation: everything but custom fields' operators and
// values, with the same paths ValidateSegmentRule names.
Status ValidateHere(const common::v1::SegmentRule& rules) {
  return segments::ValidateSegmentRule(WithoutCustomFieldTests(rules), "rules");
}

}  // namespace

void FillSegment(const SegmentRecord& rec, v1::Segment* out) {
  out->set_id(rec.id);
  out->set_name(rec.name);
  out->set_description(rec.description);
  *out->mutable_rules() = rec.rules;
  out->set_explanation(segments::ExplainSegmentRule(rec.rules));
  out->set_created_by(rec.created_by);
  out->set_created_at(rec.created_at);
  out->set_updated_at(rec.updated_at);
}

SegmentEvaluator ConversationSegmentEvaluator(std::shared_ptr<grpc::Channel> conversation_channel,
                                              rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<conversation::v1::ConversationService::Stub> stub =
      conversation::v1::ConversationService::NewStub(std::move(conversation_channel));
  return [stub, &tokens, timeout_ms](const EvaluateSegmentForServiceRequest& req)
             -> Result<EvaluateSegmentForServiceResponse> {
    grpc::ClientContext ctx;
    SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens, timeout_ms));
    EvaluateSegmentForServiceResponse resp;
    grpc::Status st = stub->EvaluateSegmentForService(&ctx, req, &resp);
    if (!st.ok()) {
      return rpc::FromGrpc(st);
    }
    return resp;
  };
}

Result<EvaluateSegmentForServiceResponse> SegmentServiceImpl::Evaluate(
    const std::string& workspace_id, const common::v1::SegmentRule& rules, int32_t page_size,
    const std::string& page_token, const std::string& what) {
  if (!evaluate_) {
    return Unavailable(what + " needs the contacts, which cannot be reached from here");
  }
  EvaluateSegmentForServiceRequest req;
  req.set_workspace_id(workspace_id);
  *req.mutable_rules() = rules;
  req.set_count(true);
  req.set_page_size(page_size);
  req.set_page_token(page_token);
  auto answer = evaluate_(req);
  if (answer.ok()) {
    return answer;
  }
  const Status& st = answer.status();
  // A tree (or page token) conversation refuses is the client's to fix: its violations name the
  // paths, under "rules" as here.
  if (st.code() == Code::kInvalidArgument) {
    return st;
  }
  log::Warn(
      "segment evaluation failed",
      {{"workspaceId", workspace_id}, {"code", CodeName(st.code())}, {"error", st.message()}});
  std::string why = st.code() == Code::kDeadlineExceeded
                        ? "the contacts did not answer in time"
                        : "the contacts cannot be reached right now";
  return Unavailable(what + ": " + why + " (conversation service); try again in a moment")
      .WithRetryAfter(5);
}

Status SegmentServiceImpl::CheckRules(const std::string& workspace_id,
                                      const common::v1::SegmentRule& rules,
                                      const std::string& what) {
  SALESOS_RETURN_IF_ERROR(ValidateHere(rules));
  auto checked = Evaluate(workspace_id, rules, 0, "", what);
  return checked.ok() ? OkStatus() : checked.status();
}

std::string SegmentServiceImpl::After(const std::string& previous) const {
  int64_t ms = clock_.NowMillis();
  std::string t = FormatRfc3339Millis(ms);
  // Bounded: a clock far behind the stored time gets a time after it rather than a long loop.
  for (int i = 0; t <= previous && i < 100000; ++i) {
    t = FormatRfc3339Millis(++ms);
  }
  return t;
}

Status SegmentServiceImpl::DoCreate(const rpc::Caller& caller, const v1::Segment& req,
                                    v1::Segment* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(ValidateName(req.name()));
  SALESOS_RETURN_IF_ERROR(ValidateDescription(req.description()));
  if (!req.has_rules()) {
    return FieldError("rules", "is required: a group {\"op\": \"and\", \"conditions\": [...]}");
  }
  SALESOS_RETURN_IF_ERROR(
      CheckRules(caller.workspace_id, req.rules(), "the segment was not saved"));
  SegmentRecord rec;
  rec.id = NewUuidV7(clock_.NowMillis());
  rec.workspace_id = caller.workspace_id;
  rec.name = req.name();
  rec.description = req.description();
  rec.rules = req.rules();
  rec.created_by = caller.user_id;
  rec.created_at = FormatRfc3339Millis(clock_.NowMillis());
  rec.updated_at = rec.created_at;
  SALESOS_RETURN_IF_ERROR(store_.Create(rec, kMaxSegmentsPerWorkspace));
  log::Info("segment created",
            {{"workspaceId", rec.workspace_id}, {"segmentId", rec.id}, {"by", caller.user_id}});
  FillSegment(rec, resp);
  return OkStatus();
}

Status SegmentServiceImpl::DoList(const rpc::Caller& caller, const v1::ListSegmentsRequest& req,
                                  v1::ListSegmentsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string before,
                           rpc::DecodePageToken(kSegmentPageKind, req.page_token()));
  long q_length = Utf8Length(req.q());
  if (q_length < 0 || static_cast<size_t>(q_length) > kMaxQueryLength ||
      req.q().find('\0') != std::string::npos) {
    return FieldError("q", "must be at most 200 characters of text");
  }
  // One more than asked tells whether another page follows without a count query.
  SALESOS_ASSIGN_OR_RETURN(auto records,
                           store_.List(caller.workspace_id, req.q(), before, page_size + 1));
  const std::string next = rpc::TakePage(records, page_size, kSegmentPageKind);
  for (const auto& rec : records) {
    FillSegment(rec, resp->add_segments());
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status SegmentServiceImpl::DoGet(const rpc::Caller& caller, const std::string& id,
                                 v1::Segment* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(id, "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(caller.workspace_id, id));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  FillSegment(*rec, resp);
  return OkStatus();
}

Status SegmentServiceImpl::DoUpdate(const rpc::Caller& caller, const v1::UpdateSegmentRequest& req,
                                    v1::Segment* resp, const std::optional<std::string>& if_match) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(std::optional<std::string> expected,
                           ExpectedVersion(if_match, req.expected_update_time()));
  const v1::Segment& patch = req.segment();
  // What changes: the paths of the mask, or else what the patch holds (proto3 strings cannot tell
  // absent from empty, and a name cannot be empty, so empty means "leave it").
  bool set_name = false, set_description = false, set_rules = false;
  if (req.update_mask().empty()) {
    set_name = !patch.name().empty();
    set_description = !patch.description().empty();
    set_rules = patch.has_rules();
  } else {
    for (const std::string& path : req.update_mask()) {
      if (path == "name") {
        set_name = true;
      } else if (path == "description") {
        set_description = true;
      } else if (path == "rules") {
        set_rules = true;
      } else if (path == "id" || path == "explanation" || path == "createdBy" ||
                 path == "created_by" || path == "createdAt" || path == "created_at" ||
                 path == "updatedAt" || path == "updated_at") {
        return FieldError("updateMask", "\"" + path + "\" is not writable");
      } else {
        return FieldError("updateMask",
                          "unknown path \"" + path + "\"; a segment has name, description, rules");
      }
    }
  }
  if (set_name) {
    SALESOS_RETURN_IF_ERROR(ValidateName(patch.name()));
  }
  if (set_description) {
    SALESOS_RETURN_IF_ERROR(ValidateDescription(patch.description()));
  }
  if (set_rules && !patch.has_rules()) {
    return FieldError("rules", "is required: a segment cannot be without rules");
  }
  SALESOS_ASSIGN_OR_RETURN(auto current, store_.Get(caller.workspace_id, req.id()));
  if (!current.has_value()) {
    return NotFound(kNotFound);
  }
  if (expected.has_value() && *expected != current->updated_at) {
    return Aborted("the segment was changed at " + current->updated_at +
                   ", after the version you read; read it again and retry");
  }
  if (!set_name && !set_description && !set_rules) {
    // Nothing to change: answer what is there, without a write.
    FillSegment(*current, resp);
    return OkStatus();
  }
  if (set_rules) {
    SALESOS_RETURN_IF_ERROR(
        CheckRules(caller.workspace_id, patch.rules(), "the segment was not changed"));
  }
  SegmentRecord rec = *current;
  if (set_name) {
    rec.name = patch.name();
  }
  if (set_description) {
    rec.description = patch.description();
  }
  if (set_rules) {
    rec.rules = patch.rules();
  }
  rec.updated_at = After(current->updated_at);
  // Compared against what was read just now, also without an expected version: two concurrent
  // patches of different fields must not undo each other.
  SALESOS_ASSIGN_OR_RETURN(bool written, store_.Update(rec, current->updated_at));
  if (!written) {
    return Aborted(kChangedMeanwhile);
  }
  log::Info("segment updated",
            {{"workspaceId", rec.workspace_id}, {"segmentId", rec.id}, {"by", caller.user_id}});
  FillSegment(rec, resp);
  return OkStatus();
}

Status SegmentServiceImpl::DoDelete(const rpc::Caller& caller, const std::string& id) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(id, "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(bool deleted, store_.Delete(caller.workspace_id, id));
  if (!deleted) {
    return NotFound(kNotFound);
  }
  log::Info("segment deleted",
            {{"workspaceId", caller.workspace_id}, {"segmentId", id}, {"by", caller.user_id}});
  return OkStatus();
}

Status SegmentServiceImpl::DoPreview(const rpc::Caller& caller,
                                     const v1::PreviewSegmentRequest& req,
                                     v1::PreviewSegmentResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  if (!req.has_rules()) {
    return FieldError("rules", "is required: a group {\"op\": \"and\", \"conditions\": [...]}");
  }
  SALESOS_RETURN_IF_ERROR(ValidateHere(req.rules()));
  SALESOS_ASSIGN_OR_RETURN(auto answer,
                           Evaluate(caller.workspace_id, req.rules(), kPreviewSampleSize, "",
                                    "the segment cannot be previewed"));
  resp->set_count(answer.total_count());
  resp->mutable_sample()->Swap(answer.mutable_contacts());
  return OkStatus();
}

Status SegmentServiceImpl::DoListContacts(const rpc::Caller& caller,
                                          const v1::ListSegmentContactsRequest& req,
                                          v1::ListSegmentContactsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(caller.workspace_id, req.id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  // The page token is conversation's own (opaque here): it pages the contacts by id.
  SALESOS_ASSIGN_OR_RETURN(auto answer,
                           Evaluate(caller.workspace_id, rec->rules, page_size, req.page_token(),
                                    "the segment's contacts cannot be listed"));
  resp->mutable_contacts()->Swap(answer.mutable_contacts());
  resp->set_next_page_token(answer.next_page_token());
  resp->set_total_count(answer.total_count());
  return OkStatus();
}

Status SegmentServiceImpl::DoGetForService(const v1::GetSegmentForServiceRequest& req,
                                           v1::Segment* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_RETURN_IF_ERROR(RequireId(req.segment_id(), "segmentId", kNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.Get(req.workspace_id(), req.segment_id()));
  if (!rec.has_value()) {
    return NotFound(kNotFound);
  }
  FillSegment(*rec, resp);
  return OkStatus();
}

grpc::ServerUnaryReactor* SegmentServiceImpl::CreateSegment(grpc::CallbackServerContext* ctx,
                                                            const v1::Segment* req,
                                                            v1::Segment* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoCreate(caller, *req, resp), *resp);
  });
}

grpc::ServerUnaryReactor* SegmentServiceImpl::ListSegments(grpc::CallbackServerContext* ctx,
                                                           const v1::ListSegmentsRequest* req,
                                                           v1::ListSegmentsResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoList(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* SegmentServiceImpl::GetSegment(grpc::CallbackServerContext* ctx,
                                                         const v1::GetSegmentRequest* req,
                                                         v1::Segment* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoGet(caller, req->id(), resp), *resp);
  });
}

grpc::ServerUnaryReactor* SegmentServiceImpl::UpdateSegment(grpc::CallbackServerContext* ctx,
                                                            const v1::UpdateSegmentRequest* req,
                                                            v1::Segment* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return WithEtag(ctx, DoUpdate(caller, *req, resp, IfMatchOf(ctx)), *resp);
  });
}

grpc::ServerUnaryReactor* SegmentServiceImpl::DeleteSegment(grpc::CallbackServerContext* ctx,
                                                            const v1::DeleteSegmentRequest* req,
                                                            v1::DeleteSegmentResponse* /*resp*/) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoDelete(caller, req->id());
  });
}

grpc::ServerUnaryReactor* SegmentServiceImpl::PreviewSegment(grpc::CallbackServerContext* ctx,
                                                             const v1::PreviewSegmentRequest* req,
                                                             v1::PreviewSegmentResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoPreview(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* SegmentServiceImpl::ListSegmentContacts(
    grpc::CallbackServerContext* ctx, const v1::ListSegmentContactsRequest* req,
    v1::ListSegmentContactsResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoListContacts(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* SegmentServiceImpl::GetSegmentForService(
    grpc::CallbackServerContext* ctx, const v1::GetSegmentForServiceRequest* req,
    v1::Segment* resp) {
  return rpc::Handle(
      ctx, pool_, [=, this](const rpc::Caller&) -> Status { return DoGetForService(*req, resp); });
}

}  // namespace salesos::campaign
