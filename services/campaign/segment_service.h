#pragma once

// SegmentServiceImpl: the gRPC adapter of segments (saved audiences as rule trees,
// docs/segments.md). The definitions live here (segment_store); the contacts live in
// conversation, which evaluates trees in SQL where they are, so counts, previews and the contacts
// of a segment are asked of it (a SegmentEvaluator).
//
// Each handler runs on the work pool after the call's access decision (rpc::Handle: the rpc's
// (salesos.api.access) rule: viewers read and preview, agents and up write, services only for
// GetSegmentForService), so the Do* methods only see callers the contract lets in. They are
// public so tests can drive the logic without gRPC. Segments belong to the caller's workspace;
// other workspaces' ids are answered 404.
//
// Every tree that is saved or previewed is checked twice before anything else happens: its shape
// and the catalogue here (libs/segments ValidateSegmentRule, a 400 without a remote call; custom
// fields only by their key, since their declared types live in conversation), then by the
// evaluator, which knows the workspace's declared custom fields (its 400s, naming paths under
// "rules", are passed on unchanged). A tree is never stored unchecked: when the evaluator cannot
// be asked, a create or an update of the rules answers UNAVAILABLE and writes nothing.

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "salesos/campaign/v1/campaign.grpc.pb.h"
#include "salesos/conversation/v1/conversation.pb.h"
#include "salesos/core/time.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/service_token.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"
#include "segment_store.h"

namespace salesos::campaign {

inline constexpr size_t kMaxSegmentNameLength = 200;
inline constexpr size_t kMaxSegmentDescriptionLength = 2000;
inline constexpr int64_t kMaxSegmentsPerWorkspace = 500;
// Contacts in a preview's sample.
inline constexpr int32_t kPreviewSampleSize = 20;

// Evaluates a rule tree over a workspace's contacts (conversation's EvaluateSegmentForService:
// with count, total_count; then up to page_size contacts ordered by id from page_token on).
// Errors as conversation answers them: kInvalidArgument with violations under "rules" (e.g. a
// custom field the workspace does not declare) or naming the page token; kUnavailable (or
// another code) when it cannot be asked. Called from the work pool's threads, so it must be
// thread-safe; it may block (bounded by its own deadline).
using SegmentEvaluator = std::function<Result<conversation::v1::EvaluateSegmentForServiceResponse>(
    const conversation::v1::EvaluateSegmentForServiceRequest& request)>;

// A SegmentEvaluator asking conversation's ConversationService.EvaluateSegmentForService (a
// service-only rpc) with this service's token, each call bounded by timeout_ms. `tokens` must
// outlive it.
SegmentEvaluator ConversationSegmentEvaluator(std::shared_ptr<grpc::Channel> conversation_channel,
                                              rpc::ServiceTokenSource& tokens,
                                              int timeout_ms = 5000);

class SegmentServiceImpl final : public v1::SegmentService::CallbackService {
 public:
  // `clock` gives createdAt/updatedAt; tests pass a fixed one.
  SegmentServiceImpl(store::Store& db, rpc::WorkPool& pool, SegmentEvaluator evaluate,
                     const Clock& clock = SystemClock())
      : store_(db), pool_(pool), evaluate_(std::move(evaluate)), clock_(clock) {}

  grpc::ServerUnaryReactor* CreateSegment(grpc::CallbackServerContext* ctx, const v1::Segment* req,
                                          v1::Segment* resp) override;
  grpc::ServerUnaryReactor* ListSegments(grpc::CallbackServerContext* ctx,
                                         const v1::ListSegmentsRequest* req,
                                         v1::ListSegmentsResponse* resp) override;
  grpc::ServerUnaryReactor* GetSegment(grpc::CallbackServerContext* ctx,
                                       const v1::GetSegmentRequest* req,
                                       v1::Segment* resp) override;
  grpc::ServerUnaryReactor* UpdateSegment(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateSegmentRequest* req,
                                          v1::Segment* resp) override;
  grpc::ServerUnaryReactor* DeleteSegment(grpc::CallbackServerContext* ctx,
                                          const v1::DeleteSegmentRequest* req,
                                          v1::DeleteSegmentResponse* resp) override;
  grpc::ServerUnaryReactor* PreviewSegment(grpc::CallbackServerContext* ctx,
                                           const v1::PreviewSegmentRequest* req,
                                           v1::PreviewSegmentResponse* resp) override;
  grpc::ServerUnaryReactor* ListSegmentContacts(grpc::CallbackServerContext* ctx,
                                                const v1::ListSegmentContactsRequest* req,
                                                v1::ListSegmentContactsResponse* resp) override;
  grpc::ServerUnaryReactor* GetSegmentForService(grpc::CallbackServerContext* ctx,
                                                 const v1::GetSegmentForServiceRequest* req,
                                                 v1::Segment* resp) override;

  Status DoCreate(const rpc::Caller& caller, const v1::Segment& req, v1::Segment* resp);
  Status DoList(const rpc::Caller& caller, const v1::ListSegmentsRequest& req,
                v1::ListSegmentsResponse* resp);
  Status DoGet(const rpc::Caller& caller, const std::string& id, v1::Segment* resp);
  // `if_match`: the If-Match header's value, when the call carried one (campaign_service.h
  // ExpectedVersion says what it takes).
  Status DoUpdate(const rpc::Caller& caller, const v1::UpdateSegmentRequest& req, v1::Segment* resp,
                  const std::optional<std::string>& if_match = std::nullopt);
  Status DoDelete(const rpc::Caller& caller, const std::string& id);
  Status DoPreview(const rpc::Caller& caller, const v1::PreviewSegmentRequest& req,
                   v1::PreviewSegmentResponse* resp);
  Status DoListContacts(const rpc::Caller& caller, const v1::ListSegmentContactsRequest& req,
                        v1::ListSegmentContactsResponse* resp);
  Status DoGetForService(const v1::GetSegmentForServiceRequest& req, v1::Segment* resp);

 private:
  // The evaluator's answer, its failures as this service answers them (`what` says what could not
  // be done, for the 503's message).
  Result<conversation::v1::EvaluateSegmentForServiceResponse> Evaluate(
      const std::string& workspace_id, const common::v1::SegmentRule& rules, int32_t page_size,
      const std::string& page_token, const std::string& what);
  // The tree checked here and then by the evaluator (custom fields), without fetching contacts.
  Status CheckRules(const std::string& workspace_id, const common::v1::SegmentRule& rules,
                    const std::string& what);
  // A time after `previous` (updated_at is the version updates compare).
  std::string After(const std::string& previous) const;

  SegmentStore store_;
  rpc::WorkPool& pool_;
  SegmentEvaluator evaluate_;
  const Clock& clock_;
};

// The API view of a stored segment, with its explanation.
void FillSegment(const SegmentRecord& rec, v1::Segment* out);

// The kind of the segment list's page tokens (rpc/paging.h).
inline constexpr std::string_view kSegmentPageKind = "s1";

}  // namespace salesos::campaign
