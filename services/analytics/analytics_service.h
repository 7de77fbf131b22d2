#pragma once

// AnalyticsService: the gRPC adapter of analytics. It checks the parameters (report.h: ranges,
// time zones, granularity, metric names; 400 naming the field), reads the caller's workspace's
// rollups (AnalyticsStore) and shapes the answer (report.h). Every rpc reads: viewers and up
// (analytics.proto). Handlers run on the work pool after the call's access decision; the Do*
// methods are public so tests drive them without gRPC.

#include "analytics_store.h"
#include "salesos/analytics/v1/analytics.grpc.pb.h"
#include "salesos/core/time.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/work_pool.h"

namespace salesos::analytics {

class AnalyticsService final : public v1::AnalyticsService::CallbackService {
 public:
  AnalyticsService(AnalyticsStore& store, rpc::WorkPool& pool, const Clock& clock = SystemClock())
      : store_(store), pool_(pool), clock_(clock) {}

  grpc::ServerUnaryReactor* GetDashboard(grpc::CallbackServerContext* ctx,
                                         const v1::GetDashboardRequest* req,
                                         v1::Dashboard* resp) override;
  grpc::ServerUnaryReactor* GetTimeseries(grpc::CallbackServerContext* ctx,
                                          const v1::GetTimeseriesRequest* req,
                                          v1::Timeseries* resp) override;
  grpc::ServerUnaryReactor* GetCampaignAnalytics(grpc::CallbackServerContext* ctx,
                                                 const v1::GetCampaignAnalyticsRequest* req,
                                                 v1::CampaignAnalytics* resp) override;
  grpc::ServerUnaryReactor* GetHeatmap(grpc::CallbackServerContext* ctx,
                                       const v1::GetHeatmapRequest* req,
                                       v1::Heatmap* resp) override;
  grpc::ServerUnaryReactor* ExportAnalytics(grpc::CallbackServerContext* ctx,
                                            const v1::ExportAnalyticsRequest* req,
                                            api::HttpBody* resp) override;

  Status DoDashboard(const rpc::Caller& caller, const v1::GetDashboardRequest& req,
                     v1::Dashboard* resp);
  Status DoTimeseries(const rpc::Caller& caller, const v1::GetTimeseriesRequest& req,
                      v1::Timeseries* resp);
  Status DoCampaign(const rpc::Caller& caller, const v1::GetCampaignAnalyticsRequest& req,
                    v1::CampaignAnalytics* resp);
  Status DoHeatmap(const rpc::Caller& caller, const v1::GetHeatmapRequest& req, v1::Heatmap* resp);
  Status DoExport(const rpc::Caller& caller, const v1::ExportAnalyticsRequest& req,
                  api::HttpBody* resp);

 private:
  // Runs `method` on the work pool after the call's access decision (rpc::Handle).
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* ctx, const Request* req,
                                  Response* resp,
                                  Status (AnalyticsService::*method)(const rpc::Caller&,
                                                                     const Request&, Response*)) {
    return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) {
      return (this->*method)(caller, *req, resp);
    });
  }

  AnalyticsStore& store_;
  rpc::WorkPool& pool_;
  const Clock& clock_;
};

}  // namespace salesos::analytics
