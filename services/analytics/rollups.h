#pragma once

// The counters of one rollup row (migrations/002_rollups.sql), as plain values. Every counter only
// ever has numbers added to it, so rows of any hours, campaigns and platforms sum; the metrics of
// docs/analytics.md are computed from such sums (report.h).

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace salesos::analytics {

enum Counter : int {
  kMessagesReceived,
  kMessagesSentAi,
  kMessagesSentAgent,
  kFailedDeliveries,
  kConversationsStarted,
  kEngaged,
  kLeads,
  kQualified,
  kConverted,
  kReplied,
  kHandedOff,
  kConversions,
  kResponses,
  kResponseMsSum,
  kFirstResponses,
  kFirstResponseMsSum,
  kAiReplies,
  kAiFallbacks,
  kCounterCount
};

// The column of each counter, in Counter order.
inline constexpr std::array<const char*, kCounterCount> kCounterColumns = {"messages_received",
                                                                           "messages_sent_ai",
                                                                           "messages_sent_agent",
                                                                           "failed_deliveries",
                                                                           "conversations_started",
                                                                           "engaged",
                                                                           "leads",
                                                                           "qualified",
                                                                           "converted",
                                                                           "replied",
                                                                           "handed_off",
                                                                           "conversions",
                                                                           "responses",
                                                                           "response_ms_sum",
                                                                           "first_responses",
                                                                           "first_response_ms_sum",
                                                                           "ai_replies",
                                                                           "ai_fallbacks"};

struct Counters {
  std::array<int64_t, kCounterCount> v{};

  int64_t& operator[](Counter c) { return v[c]; }
  int64_t operator[](Counter c) const { return v[c]; }
  Counters& operator+=(const Counters& other) {
    for (int i = 0; i < kCounterCount; ++i) {
      v[i] += other.v[i];
    }
    return *this;
  }
  bool Zero() const {
    for (int64_t x : v) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }
  bool operator==(const Counters& other) const { return v == other.v; }
};

// Revenue of one currency: exact minor units and the conversions they come from.
struct Money {
  int64_t amount_minor = 0;
  int64_t orders = 0;
  bool operator==(const Money& other) const {
    return amount_minor == other.amount_minor && orders == other.orders;
  }
};
using RevenueByCurrency = std::map<std::string, Money>;

// Counters and revenue summed over some rows.
struct Totals {
  Counters counters;
  RevenueByCurrency revenue;

  Totals& operator+=(const Totals& other) {
    counters += other.counters;
    for (const auto& [currency, money] : other.revenue) {
      revenue[currency].amount_minor += money.amount_minor;
      revenue[currency].orders += money.orders;
    }
    return *this;
  }
};

// Where a rollup row is: the UTC hour's start (Unix seconds), the campaign ('' none), the platform.
struct RollupKey {
  int64_t hour = 0;
  std::string campaign_id;
  std::string platform;
  bool operator<(const RollupKey& o) const {
    return std::tie(hour, campaign_id, platform) < std::tie(o.hour, o.campaign_id, o.platform);
  }
};

// One summed row of a query: by hour, and by campaign and platform when the query asked.
struct RollupRow {
  RollupKey key;
  Totals totals;
};

inline int64_t HourOf(int64_t unix_millis) {
  const int64_t s = unix_millis >= 0 ? unix_millis / 1000 : -((-unix_millis + 999) / 1000);
  return s >= 0 ? s - s % 3600 : s - ((s % 3600) + 3600) % 3600;
}

}  // namespace salesos::analytics
