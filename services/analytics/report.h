#pragma once

// The reading side of analytics, pure: request parameters (ranges in a time zone, granularity,
// metric names), buckets of a range, the metrics of summed rollups, the funnel, the heatmap and
// the export file. docs/analytics.md defines every metric; this is where those definitions live
// in code. No gRPC, no SQL (the proto messages are plain data).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rollups.h"
#include "salesos/analytics/v1/analytics.pb.h"
#include "salesos/api/http_body.pb.h"
#include "salesos/core/status.h"
#include "salesos/core/time_zone.h"

namespace salesos::analytics {

inline constexpr size_t kMaxBuckets = 2000;
// A range spans at most this many hours (ten years).
inline constexpr int64_t kMaxRangeHours = 10 * 366 * 24;
// The export answers at most this much (the gateway's gRPC answers stay well under 4 MiB).
inline constexpr size_t kMaxExportBytes = 3 * 1024 * 1024;

enum class Granularity { kHour, kDay };

// "hour" | "day" ("" is `fallback`); kInvalidArgument naming "granularity".
Result<Granularity> ParseGranularity(std::string_view text, Granularity fallback);
// "" or "facebook" | "instagram" | "whatsapp"; kInvalidArgument naming "platform".
Status CheckPlatform(std::string_view platform);
// "" or a campaign id (a UUID); kInvalidArgument naming "campaignId".
Status CheckCampaignFilter(std::string_view campaign_id);

// The range of a request: UTC seconds [from, to) and the zone its days are read in.
struct Range {
  int64_t from = 0;
  int64_t to = 0;
  TimeZonePtr tz;

  // The rollup hours it holds: those whose middle is in [from, to). (An hour counts in the local
  // hour and day its middle falls in; for whole-hour offsets that is the one it starts in.)
  int64_t first_hour() const;
  int64_t end_hour() const;  // exclusive
  int64_t hours() const { return (end_hour() - first_hour()) / 3600; }
  v1::Range ToProto() const;
};

// `from`/`to` as RFC 3339 instants or YYYY-MM-DD dates in the zone `tz` ("" is UTC): a date
// `from` is that day's start, a date `to` that day's end. Empty ones default to the 30 days of the
// zone that end with today (hour granularity: the 24 hours up to the end of the current hour).
// Errors name the field ("from", "to", "tz").
Result<Range> ParseRange(std::string_view from, std::string_view to, std::string_view tz,
                         Granularity granularity, int64_t now_ms);

struct Bucket {
  int64_t start = 0;  // UTC seconds
  std::string label;  // "2026-01-31" or "2026-01-31T09:00:00+05:30"
};

// The buckets of a range at a granularity, and which one an hour falls in. An hour belongs to the
// day (in the range's zone) its middle falls on.
class Buckets {
 public:
  // kInvalidArgument naming "to" when the range has more than kMaxBuckets buckets.
  static Result<Buckets> Make(const Range& range, Granularity granularity);
  const std::vector<Bucket>& list() const { return list_; }
  // The bucket of a rollup hour inside the range.
  size_t IndexOf(int64_t hour) const;

 private:
  Granularity granularity_ = Granularity::kDay;
  int64_t first_hour_ = 0;
  int64_t first_day_ = 0;
  TimeZonePtr tz_;
  std::vector<Bucket> list_;
};

// The metric names: everything Metrics has, by its JSON name.
const std::vector<std::string>& MetricNames();
// The names a time series can show (all but activeConversations, a count of now).
const std::vector<std::string>& SeriesMetricNames();
// The metric names that depend on a counter (for analytics.updated).
std::vector<std::string> MetricsOf(Counter counter);
// Metric names asked for, each entry possibly comma-separated: deduplicated in asked order, or
// the defaults for none; kInvalidArgument naming "metrics" for unknown or non-series names.
Result<std::vector<std::string>> ParseSeriesMetrics(const std::vector<std::string>& asked);

// numerator / denominator, 0 when the denominator is 0.
double Ratio(int64_t numerator, int64_t denominator);
// The value of a numeric series metric (not revenue or avgOrderValue) over `totals`.
double MetricValue(const Totals& totals, std::string_view metric);
void FillRevenue(const RevenueByCurrency& revenue, v1::Metrics& out);
void FillRevenueLists(const RevenueByCurrency& revenue,
                      google::protobuf::RepeatedPtrField<v1::CurrencyAmount>* totals,
                      google::protobuf::RepeatedPtrField<v1::CurrencyAmount>* averages);
// Every metric of `totals`; active_conversations is `open_conversations`.
v1::Metrics MakeMetrics(const Totals& totals, int64_t open_conversations);
// started → engaged → qualified → converted of the conversations started in the totals' hours.
std::vector<v1::FunnelStep> MakeFunnel(const Totals& totals);

// Sums `rows` (hourly, of the range) into one point per bucket, zeros where nothing happened.
v1::Timeseries MakeTimeseries(const Range& range, Granularity granularity, const Buckets& buckets,
                              const std::vector<std::string>& metrics,
                              const std::vector<RollupRow>& rows);

// "messages" (default) | "messagesReceived" | "messagesSent"; kInvalidArgument naming "metric".
Result<std::string> ParseHeatmapMetric(std::string_view metric);
v1::Heatmap MakeHeatmap(const Range& range, const std::string& metric,
                        const std::vector<RollupRow>& rows);

enum class ExportFormat { kCsv, kJson };
Result<ExportFormat> ParseExportFormat(std::string_view text);
// The export file of `rows` (by hour × campaign × platform) merged into the buckets; campaign
// names from `campaign_names` (id → name). kInvalidArgument naming "to" when it would be larger
// than kMaxExportBytes.
Result<api::HttpBody> MakeExport(
    const Range& range, Granularity granularity, const Buckets& buckets, ExportFormat format,
    const std::vector<RollupRow>& rows,
    const std::vector<std::pair<std::string, std::string>>& campaign_names);

}  // namespace salesos::analytics
