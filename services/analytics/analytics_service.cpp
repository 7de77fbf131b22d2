#include "analytics_service.h"

#include "report.h"

namespace salesos::analytics {
namespace {

// The caller's workspace: analytics answers for it only.
Result<std::string> WorkspaceOf(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("analytics needs a workspace member's token");
  }
  return caller.workspace_id;
}

// The filters every read shares, checked in the order the fields are documented.
Status CheckFilters(const std::string& campaign_id, const std::string& platform) {
  SALESOS_RETURN_IF_ERROR(CheckCampaignFilter(campaign_id));
  return CheckPlatform(platform);
}

RollupQuery QueryOf(const std::string& workspace_id, const Range& range,
                    const std::string& campaign_id, const std::string& platform) {
  RollupQuery q;
  q.workspace_id = workspace_id;
  q.from_hour = range.first_hour();
  q.to_hour = range.end_hour();
  q.campaign_id = campaign_id;
  q.platform = platform;
  return q;
}

Totals SumAll(const std::vector<RollupRow>& rows) {
  Totals t;
  for (const auto& r : rows) {
    t += r.totals;
  }
  return t;
}

// Whether a campaign counts under the filters: its id, and its target platform (or "all").
bool CampaignMatches(const CampaignInfo& c, const std::string& campaign_id,
                     const std::string& platform) {
  return (campaign_id.empty() || c.id == campaign_id) &&
         (platform.empty() || c.target_platform == platform || c.target_platform == "all" ||
          c.target_platform.empty());
}

}  // namespace

Status AnalyticsService::DoDashboard(const rpc::Caller& caller, const v1::GetDashboardRequest& req,
                                     v1::Dashboard* resp) {
  SALESOS_ASSIGN_OR_RETURN(const std::string ws, WorkspaceOf(caller));
  SALESOS_RETURN_IF_ERROR(CheckFilters(req.campaign_id(), req.platform()));
  SALESOS_ASSIGN_OR_RETURN(Range range, ParseRange(req.from(), req.to(), req.tz(),
                                                   Granularity::kDay, clock_.NowMillis()));
  SALESOS_ASSIGN_OR_RETURN(auto rows,
                           store_.Sum(QueryOf(ws, range, req.campaign_id(), req.platform())));
  SALESOS_ASSIGN_OR_RETURN(int64_t open,
                           store_.OpenConversations(ws, req.campaign_id(), req.platform()));
  SALESOS_ASSIGN_OR_RETURN(auto campaigns, store_.Campaigns(ws));
  *resp->mutable_range() = range.ToProto();
  *resp->mutable_metrics() = MakeMetrics(SumAll(rows), open);
  for (const auto& c : campaigns) {
    if (c.status != "deleted" && CampaignMatches(c, req.campaign_id(), req.platform())) {
      resp->set_total_campaigns(resp->total_campaigns() + 1);
      if (c.status == "active") {
        resp->set_active_campaigns(resp->active_campaigns() + 1);
      }
    }
  }
  return OkStatus();
}

Status AnalyticsService::DoTimeseries(const rpc::Caller& caller,
                                      const v1::GetTimeseriesRequest& req, v1::Timeseries* resp) {
  SALESOS_ASSIGN_OR_RETURN(const std::string ws, WorkspaceOf(caller));
  SALESOS_ASSIGN_OR_RETURN(auto metrics,
                           ParseSeriesMetrics({req.metrics().begin(), req.metrics().end()}));
  SALESOS_ASSIGN_OR_RETURN(Granularity granularity,
                           ParseGranularity(req.granularity(), Granularity::kDay));
  SALESOS_RETURN_IF_ERROR(CheckFilters(req.campaign_id(), req.platform()));
  SALESOS_ASSIGN_OR_RETURN(
      Range range, ParseRange(req.from(), req.to(), req.tz(), granularity, clock_.NowMillis()));
  SALESOS_ASSIGN_OR_RETURN(Buckets buckets, Buckets::Make(range, granularity));
  SALESOS_ASSIGN_OR_RETURN(auto rows,
                           store_.Sum(QueryOf(ws, range, req.campaign_id(), req.platform())));
  *resp = MakeTimeseries(range, granularity, buckets, metrics, rows);
  return OkStatus();
}

Status AnalyticsService::DoCampaign(const rpc::Caller& caller,
                                    const v1::GetCampaignAnalyticsRequest& req,
                                    v1::CampaignAnalytics* resp) {
  SALESOS_ASSIGN_OR_RETURN(const std::string ws, WorkspaceOf(caller));
  const Status missing = NotFound("no campaign " + req.id() + " in this workspace");
  if (!CheckCampaignFilter(req.id()).ok() || req.id().empty()) {
    return missing;
  }
  SALESOS_RETURN_IF_ERROR(CheckPlatform(req.platform()));
  SALESOS_ASSIGN_OR_RETURN(Range range, ParseRange(req.from(), req.to(), req.tz(),
                                                   Granularity::kDay, clock_.NowMillis()));
  SALESOS_ASSIGN_OR_RETURN(auto campaign, store_.FindCampaign(ws, req.id()));
  if (!campaign.has_value()) {
    return missing;
  }
  SALESOS_ASSIGN_OR_RETURN(auto rows, store_.Sum(QueryOf(ws, range, req.id(), req.platform())));
  SALESOS_ASSIGN_OR_RETURN(int64_t open, store_.OpenConversations(ws, req.id(), req.platform()));
  const Totals totals = SumAll(rows);
  resp->set_campaign_id(req.id());
  resp->set_name(campaign->name);
  resp->set_status(campaign->status);
  *resp->mutable_range() = range.ToProto();
  *resp->mutable_metrics() = MakeMetrics(totals, open);
  for (auto& step : MakeFunnel(totals)) {
    *resp->add_funnel() = std::move(step);
  }
  return OkStatus();
}

Status AnalyticsService::DoHeatmap(const rpc::Caller& caller, const v1::GetHeatmapRequest& req,
                                   v1::Heatmap* resp) {
  SALESOS_ASSIGN_OR_RETURN(const std::string ws, WorkspaceOf(caller));
  SALESOS_RETURN_IF_ERROR(CheckFilters(req.campaign_id(), req.platform()));
  SALESOS_ASSIGN_OR_RETURN(std::string metric, ParseHeatmapMetric(req.metric()));
  SALESOS_ASSIGN_OR_RETURN(Range range, ParseRange(req.from(), req.to(), req.tz(),
                                                   Granularity::kDay, clock_.NowMillis()));
  SALESOS_ASSIGN_OR_RETURN(auto rows,
                           store_.Sum(QueryOf(ws, range, req.campaign_id(), req.platform())));
  *resp = MakeHeatmap(range, metric, rows);
  return OkStatus();
}

Status AnalyticsService::DoExport(const rpc::Caller& caller, const v1::ExportAnalyticsRequest& req,
                                  api::HttpBody* resp) {
  SALESOS_ASSIGN_OR_RETURN(const std::string ws, WorkspaceOf(caller));
  SALESOS_ASSIGN_OR_RETURN(ExportFormat format, ParseExportFormat(req.format()));
  SALESOS_ASSIGN_OR_RETURN(Granularity granularity,
                           ParseGranularity(req.granularity(), Granularity::kDay));
  SALESOS_RETURN_IF_ERROR(CheckFilters(req.campaign_id(), req.platform()));
  SALESOS_ASSIGN_OR_RETURN(
      Range range, ParseRange(req.from(), req.to(), req.tz(), granularity, clock_.NowMillis()));
  SALESOS_ASSIGN_OR_RETURN(Buckets buckets, Buckets::Make(range, granularity));
  RollupQuery q = QueryOf(ws, range, req.campaign_id(), req.platform());
  q.by_slice = true;
  SALESOS_ASSIGN_OR_RETURN(auto rows, store_.Sum(q));
  SALESOS_ASSIGN_OR_RETURN(auto campaigns, store_.Campaigns(ws));
  std::vector<std::pair<std::string, std::string>> names;
  names.reserve(campaigns.size());
  for (const auto& c : campaigns) {
    names.emplace_back(c.id, c.name);
  }
  SALESOS_ASSIGN_OR_RETURN(*resp, MakeExport(range, granularity, buckets, format, rows, names));
  return OkStatus();
}

grpc::ServerUnaryReactor* AnalyticsService::GetDashboard(grpc::CallbackServerContext* ctx,
                                                         const v1::GetDashboardRequest* req,
                                                         v1::Dashboard* resp) {
  return Serve(ctx, req, resp, &AnalyticsService::DoDashboard);
}

grpc::ServerUnaryReactor* AnalyticsService::GetTimeseries(grpc::CallbackServerContext* ctx,
                                                          const v1::GetTimeseriesRequest* req,
                                                          v1::Timeseries* resp) {
  return Serve(ctx, req, resp, &AnalyticsService::DoTimeseries);
}

grpc::ServerUnaryReactor* AnalyticsService::GetCampaignAnalytics(
    grpc::CallbackServerContext* ctx, const v1::GetCampaignAnalyticsRequest* req,
    v1::CampaignAnalytics* resp) {
  return Serve(ctx, req, resp, &AnalyticsService::DoCampaign);
}

grpc::ServerUnaryReactor* AnalyticsService::GetHeatmap(grpc::CallbackServerContext* ctx,
                                                       const v1::GetHeatmapRequest* req,
                                                       v1::Heatmap* resp) {
  return Serve(ctx, req, resp, &AnalyticsService::DoHeatmap);
}

grpc::ServerUnaryReactor* AnalyticsService::ExportAnalytics(grpc::CallbackServerContext* ctx,
                                                            const v1::ExportAnalyticsRequest* req,
                                                            api::HttpBody* resp) {
  return Serve(ctx, req, resp, &AnalyticsService::DoExport);
}

}  // namespace salesos::analytics
