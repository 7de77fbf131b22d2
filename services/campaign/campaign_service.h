#pragma once

// CampaignServiceImpl: the gRPC adapter of campaigns. Rules (lifecycle, limits, prices) live in
// campaign_rules, the SQL in campaign_store.
//
// Each handler runs on the work pool after the call's access decision (rpc::Handle: the rpc's
// (salesos.api.access) rule: viewers and agents read, admins and owners write, services only for
// the internal rpcs), so the Do* methods only see callers the contract lets in. They are public
// so tests can drive the logic without gRPC. Every change is committed before its
// campaign.<change> event is published on salesos:events.
//
// Versions: a campaign's updatedAt moves on every write and is its version. Every public answer
// of one campaign sends it as `etag` initial metadata (the gateway's ETag header), and
// UpdateCampaign takes the version to replace from expectedUpdateTime or the `if-match` metadata
// (the gateway's If-Match header).

#include <optional>
#include <string>

#include "campaign_rules.h"
#include "campaign_store.h"
#include "salesos/campaign/v1/campaign.grpc.pb.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"

namespace salesos::campaign {

class CampaignServiceImpl final : public v1::CampaignService::CallbackService {
 public:
  CampaignServiceImpl(store::Store& db, rpc::EventPublisher& events, rpc::WorkPool& pool)
      : store_(db), events_(events), pool_(pool) {}

  grpc::ServerUnaryReactor* CreateCampaign(grpc::CallbackServerContext* ctx,
                                           const v1::Campaign* req, v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* ListCampaigns(grpc::CallbackServerContext* ctx,
                                          const v1::ListCampaignsRequest* req,
                                          v1::ListCampaignsResponse* resp) override;
  grpc::ServerUnaryReactor* GetCampaign(grpc::CallbackServerContext* ctx,
                                        const v1::GetCampaignRequest* req,
                                        v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* UpdateCampaign(grpc::CallbackServerContext* ctx,
                                           const v1::UpdateCampaignRequest* req,
                                           v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* DeleteCampaign(grpc::CallbackServerContext* ctx,
                                           const v1::DeleteCampaignRequest* req,
                                           v1::DeleteCampaignResponse* resp) override;
  grpc::ServerUnaryReactor* ActivateCampaign(grpc::CallbackServerContext* ctx,
                                             const v1::CampaignActionRequest* req,
                                             v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* PauseCampaign(grpc::CallbackServerContext* ctx,
                                          const v1::CampaignActionRequest* req,
                                          v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* CompleteCampaign(grpc::CallbackServerContext* ctx,
                                             const v1::CampaignActionRequest* req,
                                             v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* DuplicateCampaign(grpc::CallbackServerContext* ctx,
                                              const v1::CampaignActionRequest* req,
                                              v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* ResolveCampaignForChannel(
      grpc::CallbackServerContext* ctx, const v1::ResolveCampaignForChannelRequest* req,
      v1::ResolveCampaignForChannelResponse* resp) override;
  grpc::ServerUnaryReactor* GetCampaignForService(grpc::CallbackServerContext* ctx,
                                                  const v1::GetCampaignForServiceRequest* req,
                                                  v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* ListCampaignsForService(grpc::CallbackServerContext* ctx,
                                                    const v1::ListCampaignsForServiceRequest* req,
                                                    v1::ListCampaignsResponse* resp) override;
  grpc::ServerUnaryReactor* RecordCampaignStats(grpc::CallbackServerContext* ctx,
                                                const v1::RecordCampaignStatsRequest* req,
                                                v1::RecordCampaignStatsResponse* resp) override;

  Status DoCreate(const rpc::Caller& caller, const v1::Campaign& req, v1::Campaign* resp);
  Status DoList(const rpc::Caller& caller, const v1::ListCampaignsRequest& req,
                v1::ListCampaignsResponse* resp);
  Status DoGet(const rpc::Caller& caller, const std::string& id, v1::Campaign* resp);
  // `if_match`: the If-Match header's value, when the call carried one (see ExpectedVersion).
  Status DoUpdate(const rpc::Caller& caller, const v1::UpdateCampaignRequest& req,
                  v1::Campaign* resp, const std::optional<std::string>& if_match = std::nullopt);
  Status DoDelete(const rpc::Caller& caller, const std::string& id);
  // Activate, pause or complete.
  Status DoLifecycle(const rpc::Caller& caller, const std::string& id, Action action,
                     v1::Campaign* resp);
  Status DoDuplicate(const rpc::Caller& caller, const std::string& id, v1::Campaign* resp);
  Status DoResolve(const v1::ResolveCampaignForChannelRequest& req,
                   v1::ResolveCampaignForChannelResponse* resp);
  Status DoGetForService(const v1::GetCampaignForServiceRequest& req, v1::Campaign* resp);
  Status DoListForService(const v1::ListCampaignsForServiceRequest& req,
                          v1::ListCampaignsResponse* resp);
  Status DoRecordStats(const v1::RecordCampaignStatsRequest& req);

 private:
  Status ListPage(const std::string& workspace_id, const CampaignFilter& filter,
                  const std::string& before, int32_t page_size, v1::ListCampaignsResponse* resp);
  void PublishChanged(const CampaignRecord& rec, const std::string& change);

  CampaignStore store_;
  rpc::EventPublisher& events_;
  rpc::WorkPool& pool_;
};

// The API view of a stored campaign: price and revenue in major units of its currency.
void FillCampaign(const CampaignRecord& rec, v1::Campaign* out);

// The ETag of a campaign: its updatedAt in double quotes, a strong entity tag (RFC 9110 §8.8.3).
std::string CampaignEtag(const v1::Campaign& campaign);

// The version an update must find, from an If-Match header (nullopt when there was none) and
// expectedUpdateTime (empty when not given): an updatedAt, or nullopt when any version will do
// (neither given, or `If-Match: *`). If-Match is one strong ETag ("<updatedAt>") or `*`; anything
// else, or an If-Match naming another version than expectedUpdateTime, is INVALID_ARGUMENT
// naming If-Match.
Result<std::optional<std::string>> ExpectedVersion(const std::optional<std::string>& if_match,
                                                   const std::string& expected_update_time);

}  // namespace salesos::campaign
