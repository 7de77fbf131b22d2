#include "rate_limiter.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "salesos/core/log.h"
#include "salesos/core/text.h"
#include "salesos/core/time.h"

namespace salesos::gateway {
namespace {

// GCRA over each bucket of KEYS, ARGV[i] being the limit a minute of KEYS[i] and ARGV[#KEYS + 1]
// how many requests to admit at most (a reservation). A bucket is the theoretical arrival time
// (TAT, µs on Redis' clock) its next request would have if requests came evenly spaced; a request
// passes when that is at most one window (a minute, the burst of `limit` requests) ahead of now.
// The grant is what every bucket can take, up to the asked number; 0 refuses, and a refusal
// charges nothing. The 1 µs slack absorbs the rounding of TATs to whole µs.
// Returns {granted, then per bucket: remaining, µs until full, µs until a request would pass}.
// Lua 5.1 has no integers: numbers are doubles, exact for µs timestamps (< 2^53).
constexpr const char* kGcraScript = R"lua(
local window = 60000000
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tats, intervals = {}, {}
local granted = tonumber(ARGV[#KEYS + 1])
for i, key in ipairs(KEYS) do
  intervals[i] = window / tonumber(ARGV[i])
  tats[i] = math.max(tonumber(redis.call('GET', key)) or now, now)
  granted = math.min(granted, math.floor((window + 1 - (tats[i] - now)) / intervals[i]))
end
granted = math.max(granted, 0)
local out = {granted}
for i, key in ipairs(KEYS) do
  local tat = tats[i]
  if granted > 0 then
    tat = math.floor(tat + granted * intervals[i])
    redis.call('SET', key, string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
  end
  local ahead = tat - now
  out[#out + 1] = math.max(0, math.floor((window - ahead + 1) / intervals[i]))
  out[#out + 1] = math.ceil(ahead)
  out[#out + 1] = math.max(0, math.ceil(ahead + intervals[i] - window))
end
return out
)lua";

constexpr int64_t kWarnEveryMs = 5000;

struct Bucket {
  std::string_view scope;
  int64_t limit = 0;
  int64_t remaining = 0;
  int64_t reset_us = 0;
  int64_t retry_us = 0;
};

int64_t CeilSeconds(int64_t us) { return (us + 999'999) / 1'000'000; }

std::optional<boost::asio::ip::address> ParseIp(std::string_view text) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(text, ec);
  if (ec) {
    return std::nullopt;
  }
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; one client, one bucket.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::address(
        boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()));
  }
  return address;
}

}  // namespace

RateLimiter::RateLimiter(redis::ClientPtr redis, RateLimiterOptions options)
    : redis_(std::move(redis)),
      options_(options),
      last_warning_ms_(std::numeric_limits<int64_t>::min() / 2) {}

std::optional<RateLimitDecision> RateLimiter::Spend(Reservation& r, int64_t now_ms) {
  if (r.left <= 0 || now_ms >= r.expires_ms) {
    return std::nullopt;
  }
  r.left -= 1;
  RateLimitDecision d = r.decision;
  d.remaining += r.left;
  d.reset_seconds = CeilSeconds(std::max<int64_t>(0, r.reset_us - (now_ms - r.granted_ms) * 1000));
  return d;
}

std::pair<std::string, int64_t> RateLimiter::ReservationKey(std::string_view client_ip,
                                                            std::string_view user_id) const {
  std::string key;
  int64_t cap = kMaxBatch;
  if (options_.ip_per_minute > 0) {
    key = "salesos:rl:ip:" + std::string(client_ip.empty() ? "unknown" : client_ip);
    cap = std::min(cap, options_.ip_per_minute / 60);
  }
  if (options_.user_per_minute > 0 && !user_id.empty()) {
    key += (key.empty() ? "" : "\n") + ("salesos:rl:user:" + std::string(user_id));
    cap = std::min(cap, options_.user_per_minute / 60);
  }
  return {key, std::max<int64_t>(1, cap)};
}

std::optional<RateLimitDecision> RateLimiter::CheckLocal(std::string_view client_ip,
                                                         std::string_view user_id) {
  auto [key, cap] = ReservationKey(client_ip, user_id);
  if (key.empty() || cap <= 1) {
    return std::nullopt;
  }
  std::lock_guard lock(reservations_mu_);
  auto it = reservations_.find(key);
  if (it == reservations_.end()) {
    return std::nullopt;
  }
  auto local = Spend(it->second, MonotonicMillis());
  if (local) {
    allowed_.fetch_add(1, std::memory_order_relaxed);
  }
  return local;
}

RateLimitDecision RateLimiter::Check(std::string_view client_ip, std::string_view user_id) {
  std::vector<Bucket> buckets;
  std::vector<std::string> keys;
  std::vector<std::string> args;
  if (options_.ip_per_minute > 0) {
    buckets.push_back({"ip", options_.ip_per_minute});
    keys.push_back("salesos:rl:ip:" + std::string(client_ip.empty() ? "unknown" : client_ip));
    args.push_back(std::to_string(options_.ip_per_minute));
  }
  if (options_.user_per_minute > 0 && !user_id.empty()) {
    buckets.push_back({"user", options_.user_per_minute});
    keys.push_back("salesos:rl:user:" + std::string(user_id));
    args.push_back(std::to_string(options_.user_per_minute));
  }
  if (buckets.empty()) {
    return {};
  }
  // A second's worth of the tightest limit, at most kMaxBatch.
  const auto [reservation_key, cap] = ReservationKey(client_ip, user_id);
  int64_t now_ms = MonotonicMillis();
  if (now_ms < paused_until_ms_.load(std::memory_order_relaxed)) {
    failed_open_.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  int64_t ask = 1;
  if (cap > 1) {
    std::lock_guard lock(reservations_mu_);
    Reservation& r = reservations_[reservation_key];
    if (auto local = Spend(r, now_ms)) {
      allowed_.fetch_add(1, std::memory_order_relaxed);
      return *local;
    }
    // Left over (expired): ask for less; used up while the client kept coming: ask for more;
    // a client back after a pause starts again at one.
    if (r.left > 0) {
      r.batch = std::max<int64_t>(1, r.batch / 2);
    } else if (now_ms < r.expires_ms + kReservationMs) {
      r.batch = std::min(cap, r.batch * 2);
    } else {
      r.batch = 1;
    }
    r.left = 0;
    ask = r.granted_ms == 0 ? 1 : r.batch;
    if (reservations_.size() > 10'000) {
      std::erase_if(reservations_, [now_ms](const auto& kv) {
        return now_ms >= kv.second.expires_ms + kReservationMs;
      });
    }
  }
  args.push_back(std::to_string(ask));

  Result<redis::Reply> reply = redis_->Eval(kGcraScript, keys, args);
  if (!reply.ok()) {
    if (reply.status().code() == Code::kUnavailable) {
      paused_until_ms_.store(MonotonicMillis() + options_.pause_after_failure_ms,
                             std::memory_order_relaxed);
    }
    FailOpen(reply.status());
    return {};
  }
  const auto& e = reply->elements;
  bool well_formed = reply->type == redis::Reply::Type::kArray && e.size() == 1 + 3 * keys.size() &&
                     std::all_of(e.begin(), e.end(), [](const redis::Reply& r) {
                       return r.type == redis::Reply::Type::kInteger;
                     });
  if (!well_formed || e[0].integer < 0 || e[0].integer > ask) {
    FailOpen(Internal("rate limit script: unexpected reply"));
    return {};
  }

  const int64_t granted = e[0].integer;
  RateLimitDecision decision;
  decision.decided = true;
  decision.allowed = granted > 0;
  const Bucket* shown = nullptr;
  for (size_t i = 0; i < buckets.size(); ++i) {
    Bucket& b = buckets[i];
    b.remaining = e[1 + 3 * i].integer;
    b.reset_us = e[2 + 3 * i].integer;
    b.retry_us = e[3 + 3 * i].integer;
    bool more_restrictive =
        shown == nullptr ||
        (decision.allowed ? b.remaining < shown->remaining ||
                                (b.remaining == shown->remaining && b.reset_us > shown->reset_us)
                          : b.retry_us > shown->retry_us);
    if (more_restrictive) {
      shown = &b;
    }
  }
  decision.scope = shown->scope;
  decision.limit = shown->limit;
  decision.remaining = shown->remaining;
  decision.reset_seconds = CeilSeconds(shown->reset_us);
  if (!decision.allowed) {
    decision.retry_after_seconds = std::max<int64_t>(1, CeilSeconds(shown->retry_us));
    refused_.fetch_add(1, std::memory_order_relaxed);
    return decision;
  }
  allowed_.fetch_add(1, std::memory_order_relaxed);
  if (cap > 1) {
    // This request takes one token; the rest wait here for the client's next requests.
    std::lock_guard lock(reservations_mu_);
    Reservation& r = reservations_[reservation_key];
    r.left += granted - 1;
    r.granted_ms = MonotonicMillis();
    r.expires_ms = r.granted_ms + kReservationMs;
    r.decision = decision;
    r.reset_us = shown->reset_us;
    decision.remaining += r.left;
  }
  return decision;
}

void RateLimiter::FailOpen(const Status& why) {
  int64_t failed = failed_open_.fetch_add(1, std::memory_order_relaxed) + 1;
  int64_t now = MonotonicMillis();
  int64_t last = last_warning_ms_.load(std::memory_order_relaxed);
  // One line per interval is enough to alert; one per request would flood the log exactly when
  // Redis is in trouble.
  if (now - last >= kWarnEveryMs && last_warning_ms_.compare_exchange_strong(last, now)) {
    log::Warn("rate limits not checked, requests let through",
              {{"error", why.message()}, {"failedOpenTotal", failed}});
  }
}

RateLimiterStats RateLimiter::stats() const {
  return {allowed_.load(std::memory_order_relaxed), refused_.load(std::memory_order_relaxed),
          failed_open_.load(std::memory_order_relaxed)};
}

Result<TrustedProxies> TrustedProxies::Parse(std::string_view comma_list) {
  TrustedProxies proxies;
  while (!comma_list.empty()) {
    size_t comma = comma_list.find(',');
    std::string_view entry = TrimBlanks(comma_list.substr(0, comma));
    comma_list = comma == std::string_view::npos ? "" : comma_list.substr(comma + 1);
    if (entry.empty()) {
      continue;
    }
    auto address = ParseIp(entry);
    if (!address) {
      return InvalidArgument("'" + std::string(entry) + "' is not an IP address");
    }
    proxies.addresses_.push_back(*address);
  }
  return proxies;
}

std::string TrustedProxies::ClientIp(std::string_view peer, std::string_view forwarded_for) const {
  auto peer_address = ParseIp(peer);
  if (!peer_address) {
    return std::string(peer);
  }
  bool trusted = std::find(addresses_.begin(), addresses_.end(), *peer_address) != addresses_.end();
  if (trusted && !forwarded_for.empty()) {
    size_t comma = forwarded_for.rfind(',');
    auto client = ParseIp(
        TrimBlanks(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1)));
    if (client) {
      return client->to_string();
    }
  }
  return peer_address->to_string();
}

}  // namespace salesos::gateway
