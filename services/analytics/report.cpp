#include "report.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "salesos/core/csv.h"
#include "salesos/core/ids.h"
#include "salesos/core/money.h"
#include "salesos/core/text.h"
#include "salesos/core/time.h"

namespace salesos::analytics {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kDaySeconds = 86400;

int64_t CeilHour(int64_t s) { return FloorDiv(s + kHour - 1, kHour) * kHour; }

int64_t LocalDay(const TimeZone& tz, int64_t utc) { return FloorDiv(tz.ToLocal(utc), kDaySeconds); }

// A rollup hour belongs to the local hour and day its middle falls in: the one that holds most of
// it where the zone's offset is not whole hours (Asia/Kolkata, Asia/Kathmandu).
int64_t HourMiddle(int64_t hour) { return hour + kHour / 2; }

std::string DateLabel(int64_t days) {
  const CivilDate d = CivilFromDays(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(d.year), d.month,
                d.day);
  return buf;
}

// "2026-01-31T09:00:00+05:30": the local wall time of `utc` with its offset.
std::string LocalTimeLabel(const TimeZone& tz, int64_t utc) {
  const int64_t offset = tz.OffsetAt(utc);
  const int64_t local = utc + offset;
  const int64_t days = FloorDiv(local, kDaySeconds);
  const int64_t secs = local - days * kDaySeconds;
  const int64_t abs_offset = offset < 0 ? -offset : offset;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lld%c%02lld:%02lld", DateLabel(days).c_str(),
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), offset < 0 ? '-' : '+',
                static_cast<long long>(abs_offset / 3600),
                static_cast<long long>(abs_offset / 60 % 60));
  return buf;
}

// Days since the epoch of "YYYY-MM-DD", or nullopt.
std::optional<int64_t> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8};
  const size_t lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (size_t i = 0; i < lengths[p]; ++i) {
      const char c = text[starts[p] + i];
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  if (parts[0] < 1970 || parts[1] < 1 || parts[1] > 12 || parts[2] < 1) {
    return std::nullopt;
  }
  const int64_t days = DaysFromCivil(parts[0], parts[1], parts[2]);
  const CivilDate back = CivilFromDays(days);
  if (back.month != parts[1] || back.day != parts[2]) {
    return std::nullopt;  // February 30th
  }
  return days;
}

// A `from` or `to` parameter as UTC seconds; a date is its day's start (`end_of_day`: its end).
Result<int64_t> ParsePoint(std::string_view text, const TimeZone& tz, const std::string& field,
                           bool end_of_day) {
  if (auto days = ParseDate(text)) {
    return tz.FromLocal((*days + (end_of_day ? 1 : 0)) * kDaySeconds);
  }
  if (auto ms = ParseRfc3339Millis(text); ms && *ms >= 0) {
    return FloorDiv(*ms, 1000);
  }
  return FieldError(field,
                    "must be an RFC 3339 time (2026-01-31T00:00:00Z) or a date (2026-01-31)");
}

using Value = double (*)(const Totals&);

struct MetricDef {
  const char* name;
  std::vector<Counter> counters;  // what it is computed from
  Value value;                    // nullptr: not a number (revenue lists) or not a series
  bool series;
};

int64_t C(const Totals& t, Counter c) { return t.counters[c]; }
double Seconds(const Totals& t, Counter sum_ms, Counter count) {
  return C(t, count) == 0 ? 0.0 : static_cast<double>(C(t, sum_ms)) / C(t, count) / 1000.0;
}

const std::vector<MetricDef>& Defs() {
  static const std::vector<MetricDef> defs = {
      {"messagesReceived",
       {kMessagesReceived},
       [](const Totals& t) -> double { return C(t, kMessagesReceived); },
       true},
      {"messagesSent",
       {kMessagesSentAi, kMessagesSentAgent},
       [](const Totals& t) -> double { return C(t, kMessagesSentAi) + C(t, kMessagesSentAgent); },
       true},
      {"messagesSentAi",
       {kMessagesSentAi},
       [](const Totals& t) -> double { return C(t, kMessagesSentAi); },
       true},
      {"messagesSentAgent",
       {kMessagesSentAgent},
       [](const Totals& t) -> double { return C(t, kMessagesSentAgent); },
       true},
      {"conversationsStarted",
       {kConversationsStarted},
       [](const Totals& t) -> double { return C(t, kConversationsStarted); },
       true},
      {"activeConversations", {}, nullptr, false},
      {"responseRate",
       {kReplied, kConversationsStarted},
       [](const Totals& t) { return Ratio(C(t, kReplied), C(t, kConversationsStarted)); },
       true},
      {"avgResponseTimeSeconds",
       {kResponses, kResponseMsSum},
       [](const Totals& t) { return Seconds(t, kResponseMsSum, kResponses); },
       true},
      {"avgFirstResponseSeconds",
       {kFirstResponses, kFirstResponseMsSum},
       [](const Totals& t) { return Seconds(t, kFirstResponseMsSum, kFirstResponses); },
       true},
      {"leadsGenerated", {kLeads}, [](const Totals& t) -> double { return C(t, kLeads); }, true},
      {"qualifiedLeads",
       {kQualified},
       [](const Totals& t) -> double { return C(t, kQualified); },
       true},
      {"conversions",
       {kConversions},
       [](const Totals& t) -> double { return C(t, kConversions); },
       true},
      {"conversionRate",
       {kConverted, kConversationsStarted},
       [](const Totals& t) { return Ratio(C(t, kConverted), C(t, kConversationsStarted)); },
       true},
      {"revenue", {kConversions}, nullptr, true},
      {"avgOrderValue", {kConversions}, nullptr, true},
      {"aiHandoffRate",
       {kHandedOff, kConversationsStarted},
       [](const Totals& t) { return Ratio(C(t, kHandedOff), C(t, kConversationsStarted)); },
       true},
      {"failedDeliveries",
       {kFailedDeliveries},
       [](const Totals& t) -> double { return C(t, kFailedDeliveries); },
       true},
      {"aiFallbackRate",
       {kAiFallbacks, kAiReplies},
       [](const Totals& t) { return Ratio(C(t, kAiFallbacks), C(t, kAiReplies)); },
       true},
      {"aiReplies", {kAiReplies}, [](const Totals& t) -> double { return C(t, kAiReplies); }, true},
      // The funnel of a campaign (its steps are counters of their own).
      {"funnel", {kConversationsStarted, kEngaged, kQualified, kConverted}, nullptr, false},
  };
  return defs;
}

const MetricDef* FindDef(std::string_view name) {
  for (const auto& d : Defs()) {
    if (name == d.name) {
      return &d;
    }
  }
  return nullptr;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

// "messages_sent_ai" → "messagesSentAi".
std::string CamelCase(std::string_view snake) {
  std::string out;
  bool upper = false;
  for (char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

}  // namespace

Result<Granularity> ParseGranularity(std::string_view text, Granularity fallback) {
  if (text.empty()) {
    return fallback;
  }
  if (text == "hour") {
    return Granularity::kHour;
  }
  if (text == "day") {
    return Granularity::kDay;
  }
  return FieldError("granularity", "must be hour or day");
}

Status CheckPlatform(std::string_view platform) {
  if (platform.empty() || platform == "facebook" || platform == "instagram" ||
      platform == "whatsapp") {
    return OkStatus();
  }
  return FieldError("platform", "must be facebook, instagram or whatsapp");
}

Status CheckCampaignFilter(std::string_view campaign_id) {
  if (campaign_id.empty() || IsUuid(std::string(campaign_id))) {
    return OkStatus();
  }
  return FieldError("campaignId", "must be a campaign id");
}

int64_t Range::first_hour() const { return CeilHour(from - kHour / 2); }
int64_t Range::end_hour() const { return std::max(CeilHour(to - kHour / 2), first_hour()); }

v1::Range Range::ToProto() const {
  v1::Range r;
  r.set_from(FormatRfc3339(from));
  r.set_to(FormatRfc3339(to));
  r.set_tz(tz->name());
  return r;
}

Result<Range> ParseRange(std::string_view from, std::string_view to, std::string_view tz,
                         Granularity granularity, int64_t now_ms) {
  Range range;
  SALESOS_ASSIGN_OR_RETURN(range.tz, TimeZone::Load(tz.empty() ? "UTC" : tz, "tz"));
  const TimeZone& zone = *range.tz;
  const int64_t now = FloorDiv(now_ms, 1000);
  if (to.empty()) {
    range.to = granularity == Granularity::kHour
                   ? CeilHour(now + 1)
                   : zone.FromLocal((LocalDay(zone, now) + 1) * kDaySeconds);
  } else {
    SALESOS_ASSIGN_OR_RETURN(range.to, ParsePoint(to, zone, "to", true));
  }
  if (from.empty()) {
    range.from = granularity == Granularity::kHour
                     ? range.to - 24 * kHour
                     : zone.FromLocal((LocalDay(zone, range.to - 1) - 29) * kDaySeconds);
  } else {
    SALESOS_ASSIGN_OR_RETURN(range.from, ParsePoint(from, zone, "from", false));
  }
  if (range.from >= range.to) {
    return FieldError("to", "must be after from");
  }
  if (range.hours() > kMaxRangeHours) {
    return FieldError("from", "the range may span at most ten years");
  }
  return range;
}

Result<Buckets> Buckets::Make(const Range& range, Granularity granularity) {
  Buckets b;
  b.granularity_ = granularity;
  b.tz_ = range.tz;
  b.first_hour_ = range.first_hour();
  const int64_t hours = range.hours();
  int64_t count = hours;
  if (granularity == Granularity::kDay && hours > 0) {
    b.first_day_ = LocalDay(*range.tz, HourMiddle(b.first_hour_));
    count = LocalDay(*range.tz, HourMiddle(range.end_hour() - kHour)) - b.first_day_ + 1;
  }
  if (count > static_cast<int64_t>(kMaxBuckets)) {
    return FieldError("to", "the range has " + std::to_string(count) + " " +
                                (granularity == Granularity::kHour ? "hours" : "days") +
                                "; a time series has at most " + std::to_string(kMaxBuckets) +
                                " buckets (narrow the range or use day granularity)");
  }
  b.list_.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    if (granularity == Granularity::kHour) {
      const int64_t start = b.first_hour_ + i * kHour;
      b.list_.push_back({start, LocalTimeLabel(*range.tz, start)});
    } else {
      const int64_t day = b.first_day_ + i;
      b.list_.push_back({range.tz->FromLocal(day * kDaySeconds), DateLabel(day)});
    }
  }
  return b;
}

size_t Buckets::IndexOf(int64_t hour) const {
  if (granularity_ == Granularity::kHour) {
    return static_cast<size_t>((hour - first_hour_) / kHour);
  }
  return static_cast<size_t>(LocalDay(*tz_, HourMiddle(hour)) - first_day_);
}

const std::vector<std::string>& MetricNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& d : Defs()) {
      if (std::string_view(d.name) != "funnel") {
        out.emplace_back(d.name);
      }
    }
    return out;
  }();
  return names;
}

const std::vector<std::string>& SeriesMetricNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& d : Defs()) {
      if (d.series) {
        out.emplace_back(d.name);
      }
    }
    return out;
  }();
  return names;
}

std::vector<std::string> MetricsOf(Counter counter) {
  std::vector<std::string> out;
  for (const auto& d : Defs()) {
    if (std::find(d.counters.begin(), d.counters.end(), counter) != d.counters.end()) {
      out.emplace_back(d.name);
    }
  }
  return out;
}

Result<std::vector<std::string>> ParseSeriesMetrics(const std::vector<std::string>& asked) {
  std::vector<std::string> out;
  for (const auto& entry : asked) {
    size_t begin = 0;
    while (begin <= entry.size()) {
      size_t comma = entry.find(',', begin);
      if (comma == std::string::npos) {
        comma = entry.size();
      }
      const std::string name(TrimBlanks(std::string_view(entry).substr(begin, comma - begin)));
      begin = comma + 1;
      if (name.empty()) {
        continue;
      }
      const MetricDef* def = FindDef(name);
      if (def == nullptr || !def->series) {
        return FieldError("metrics", "unknown metric " + name +
                                         " for a time series; known: " + Join(SeriesMetricNames()));
      }
      if (std::find(out.begin(), out.end(), name) == out.end()) {
        out.push_back(name);
      }
    }
  }
  if (out.empty()) {
    out = {"messagesReceived", "messagesSent", "conversationsStarted", "conversions"};
  }
  return out;
}

double Ratio(int64_t numerator, int64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / denominator;
}

double MetricValue(const Totals& totals, std::string_view metric) {
  const MetricDef* def = FindDef(metric);
  return def != nullptr && def->value != nullptr ? def->value(totals) : 0.0;
}

void FillRevenueLists(const RevenueByCurrency& revenue,
                      google::protobuf::RepeatedPtrField<v1::CurrencyAmount>* totals,
                      google::protobuf::RepeatedPtrField<v1::CurrencyAmount>* averages) {
  for (const auto& [currency, money] : revenue) {
    if (money.orders == 0 && money.amount_minor == 0) {
      continue;
    }
    if (totals != nullptr) {
      auto* r = totals->Add();
      r->set_currency(currency);
      r->set_amount_minor(money.amount_minor);
      r->set_amount(MinorToMajor(money.amount_minor, currency));
      r->set_orders(money.orders);
    }
    if (averages != nullptr && money.orders > 0) {
      // Rounded half up; amounts are never negative.
      const int64_t avg = money.amount_minor / money.orders +
                          (2 * (money.amount_minor % money.orders) >= money.orders ? 1 : 0);
      auto* a = averages->Add();
      a->set_currency(currency);
      a->set_amount_minor(avg);
      a->set_amount(MinorToMajor(avg, currency));
      a->set_orders(money.orders);
    }
  }
}

void FillRevenue(const RevenueByCurrency& revenue, v1::Metrics& out) {
  FillRevenueLists(revenue, out.mutable_revenue(), out.mutable_avg_order_value());
}

v1::Metrics MakeMetrics(const Totals& t, int64_t open_conversations) {
  v1::Metrics m;
  m.set_messages_received(C(t, kMessagesReceived));
  m.mutable_messages_sent()->set_ai(C(t, kMessagesSentAi));
  m.mutable_messages_sent()->set_agent(C(t, kMessagesSentAgent));
  m.mutable_messages_sent()->set_total(C(t, kMessagesSentAi) + C(t, kMessagesSentAgent));
  m.set_conversations_started(C(t, kConversationsStarted));
  m.set_active_conversations(open_conversations);
  m.set_response_rate(MetricValue(t, "responseRate"));
  m.set_avg_response_time_seconds(MetricValue(t, "avgResponseTimeSeconds"));
  m.set_avg_first_response_seconds(MetricValue(t, "avgFirstResponseSeconds"));
  m.set_leads_generated(C(t, kLeads));
  m.set_qualified_leads(C(t, kQualified));
  m.set_conversions(C(t, kConversions));
  m.set_conversion_rate(MetricValue(t, "conversionRate"));
  FillRevenue(t.revenue, m);
  m.set_ai_handoff_rate(MetricValue(t, "aiHandoffRate"));
  m.set_failed_deliveries(C(t, kFailedDeliveries));
  m.set_ai_fallback_rate(MetricValue(t, "aiFallbackRate"));
  m.set_ai_replies(C(t, kAiReplies));
  return m;
}

std::vector<v1::FunnelStep> MakeFunnel(const Totals& t) {
  const std::array<std::pair<const char*, Counter>, 4> steps = {{{"started", kConversationsStarted},
                                                                 {"engaged", kEngaged},
                                                                 {"qualified", kQualified},
                                                                 {"converted", kConverted}}};
  std::vector<v1::FunnelStep> out;
  const int64_t started = C(t, kConversationsStarted);
  int64_t previous = started;
  for (const auto& [name, counter] : steps) {
    v1::FunnelStep s;
    s.set_name(name);
    s.set_count(C(t, counter));
    s.set_rate(Ratio(s.count(), previous));
    s.set_overall_rate(Ratio(s.count(), started));
    previous = s.count();
    out.push_back(std::move(s));
  }
  return out;
}

v1::Timeseries MakeTimeseries(const Range& range, Granularity granularity, const Buckets& buckets,
                              const std::vector<std::string>& metrics,
                              const std::vector<RollupRow>& rows) {
  std::vector<Totals> sums(buckets.list().size());
  for (const auto& row : rows) {
    const size_t i = buckets.IndexOf(row.key.hour);
    if (i < sums.size()) {
      sums[i] += row.totals;
    }
  }
  const bool revenue = std::find(metrics.begin(), metrics.end(), "revenue") != metrics.end();
  const bool average = std::find(metrics.begin(), metrics.end(), "avgOrderValue") != metrics.end();
  v1::Timeseries out;
  *out.mutable_range() = range.ToProto();
  out.set_granularity(granularity == Granularity::kHour ? "hour" : "day");
  for (const auto& m : metrics) {
    out.add_metrics(m);
  }
  for (size_t i = 0; i < sums.size(); ++i) {
    auto* p = out.add_points();
    p->set_start(FormatRfc3339(buckets.list()[i].start));
    p->set_label(buckets.list()[i].label);
    for (const auto& m : metrics) {
      if (m != "revenue" && m != "avgOrderValue") {
        (*p->mutable_values())[m] = MetricValue(sums[i], m);
      }
    }
    FillRevenueLists(sums[i].revenue, revenue ? p->mutable_revenue() : nullptr,
                     average ? p->mutable_avg_order_value() : nullptr);
  }
  return out;
}

Result<std::string> ParseHeatmapMetric(std::string_view metric) {
  if (metric.empty()) {
    return std::string("messages");
  }
  if (metric == "messages" || metric == "messagesReceived" || metric == "messagesSent") {
    return std::string(metric);
  }
  return FieldError("metric", "must be messages, messagesReceived or messagesSent");
}

v1::Heatmap MakeHeatmap(const Range& range, const std::string& metric,
                        const std::vector<RollupRow>& rows) {
  std::array<std::array<int64_t, 24>, 7> cells{};
  for (const auto& row : rows) {
    const int64_t local = range.tz->ToLocal(HourMiddle(row.key.hour));
    const int64_t day = FloorDiv(local, kDaySeconds);
    const int64_t hour = (local - day * kDaySeconds) / kHour;
    const Counters& c = row.totals.counters;
    int64_t n = 0;
    if (metric != "messagesSent") {
      n += c[kMessagesReceived];
    }
    if (metric != "messagesReceived") {
      n += c[kMessagesSentAi] + c[kMessagesSentAgent];
    }
    cells[WeekdayFromDays(day)][hour] += n;
  }
  static constexpr const char* kWeekdays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                              "friday", "saturday", "sunday"};
  v1::Heatmap out;
  *out.mutable_range() = range.ToProto();
  out.set_metric(metric);
  for (int d = 0; d < 7; ++d) {
    auto* day = out.add_days();
    day->set_weekday(kWeekdays[d]);
    for (int64_t n : cells[d]) {
      day->add_hours(n);
    }
  }
  return out;
}

Result<ExportFormat> ParseExportFormat(std::string_view text) {
  if (text.empty() || text == "csv") {
    return ExportFormat::kCsv;
  }
  if (text == "json") {
    return ExportFormat::kJson;
  }
  return FieldError("format", "must be csv or json");
}

Result<api::HttpBody> MakeExport(
    const Range& range, Granularity granularity, const Buckets& buckets, ExportFormat format,
    const std::vector<RollupRow>& rows,
    const std::vector<std::pair<std::string, std::string>>& campaign_names) {
  // Hours merged into their buckets, per campaign and platform.
  std::map<std::tuple<size_t, std::string, std::string>, Totals> merged;
  std::set<std::string> currencies;
  for (const auto& row : rows) {
    const size_t i = buckets.IndexOf(row.key.hour);
    if (i >= buckets.list().size()) {
      continue;
    }
    merged[{i, row.key.campaign_id, row.key.platform}] += row.totals;
    for (const auto& [currency, money] : row.totals.revenue) {
      currencies.insert(currency);
    }
  }
  const std::map<std::string, std::string> names(campaign_names.begin(), campaign_names.end());
  auto name_of = [&](const std::string& id) {
    auto it = names.find(id);
    return it == names.end() ? std::string() : it->second;
  };
  const char* gran = granularity == Granularity::kHour ? "hour" : "day";
  api::HttpBody out;
  std::string content;
  if (format == ExportFormat::kCsv) {
    content = "bucket_start,bucket,campaign_id,campaign_name,platform";
    for (const char* c : kCounterColumns) {
      content += std::string(",") + c;
    }
    for (const auto& cur : currencies) {
      content += ",revenue_minor_" + cur + ",orders_" + cur;
    }
    content += "\r\n";
    for (const auto& [slot, totals] : merged) {
      const auto& [i, campaign, platform] = slot;
      const Bucket& b = buckets.list()[i];
      content += csv::Quote(FormatRfc3339(b.start)) + "," + csv::Quote(b.label) + "," +
                 csv::Quote(campaign) + "," + csv::SafeCell(name_of(campaign)) + "," +
                 csv::Quote(platform);
      for (int64_t v : totals.counters.v) {
        content += "," + std::to_string(v);
      }
      for (const auto& cur : currencies) {
        auto it = totals.revenue.find(cur);
        const Money m = it == totals.revenue.end() ? Money{} : it->second;
        content += "," + std::to_string(m.amount_minor) + "," + std::to_string(m.orders);
      }
      content += "\r\n";
      if (content.size() > kMaxExportBytes) {
        break;
      }
    }
    out.set_content_type("text/csv; charset=utf-8");
  } else {
    boost::json::array list;
    for (const auto& [slot, totals] : merged) {
      const auto& [i, campaign, platform] = slot;
      const Bucket& b = buckets.list()[i];
      boost::json::object row{{"bucketStart", FormatRfc3339(b.start)},
                              {"bucket", b.label},
                              {"campaignId", campaign},
                              {"campaignName", name_of(campaign)},
                              {"platform", platform}};
      for (int c = 0; c < kCounterCount; ++c) {
        row[CamelCase(kCounterColumns[c])] = totals.counters.v[c];
      }
      boost::json::array revenue;
      for (const auto& [cur, m] : totals.revenue) {
        revenue.push_back(boost::json::object{
            {"currency", cur}, {"amountMinor", m.amount_minor}, {"orders", m.orders}});
      }
      row["revenue"] = std::move(revenue);
      list.push_back(std::move(row));
    }
    const v1::Range r = range.ToProto();
    content = boost::json::serialize(
        boost::json::object{{"range", {{"from", r.from()}, {"to", r.to()}, {"tz", r.tz()}}},
                            {"granularity", gran},
                            {"rows", std::move(list)}});
    out.set_content_type("application/json");
  }
  if (content.size() > kMaxExportBytes) {
    return FieldError("to",
                      "the export would be larger than 3 MiB; narrow the range, pick a "
                      "campaign or use day granularity");
  }
  const std::string first = DateLabel(LocalDay(*range.tz, range.from));
  const std::string last = DateLabel(LocalDay(*range.tz, range.to - 1));
  out.set_filename("analytics-" + first + "-" + last + "-" + gran +
                   (format == ExportFormat::kCsv ? ".csv" : ".json"));
  out.set_content(std::move(content));
  return out;
}

}  // namespace salesos::analytics
