#pragma once

// RateLimiter: the per-client-IP and per-user request limits of /api/, shared by every gateway
// through Redis. GCRA (the generic cell rate algorithm: a token bucket kept as one timestamp per
// key) lets `limit` requests through at once, then `limit` a minute. One Lua script checks and
// charges both buckets in a single round trip, on Redis' clock, so gateways whose clocks disagree
// still share one limit.
//
// Promises:
// - Thread-safe. Check blocks for at most one Redis command, which the Client bounds by its
//   command_timeout_ms: give the limiter a Client of its own with a short timeout, since Check
//   runs on the gateway's I/O threads.
// - Fails open: when Redis does not answer (down, slow, an error reply) the request is allowed
//   without a decision, counted, and a warning is logged at most every few seconds. After a
//   failure Redis is left alone for `pause_after_failure_ms`, so a Redis that hangs costs one
//   timeout per pause instead of one per request.
// - A refused request charges no bucket; an allowed one charges every bucket it was checked
//   against. Keys: salesos:rl:ip:<ip> and salesos:rl:user:<user id>, each expiring once its bucket
//   is full again.
// - Reservations: a client sending many requests gets its tokens from Redis a few at a time (at
//   most a second's worth of its limit, at most kMaxBatch) and spends them here, so a busy client
//   costs one Redis round trip per batch instead of one per request. Nothing is admitted that Redis
//   did not charge, across any number of gateways; a batch starts at 1 and doubles while it is
//   used up within kReservationMs, halves when it is not, and what a client leaves unspent when it
//   stops (less than a second of its own rate) stays charged. Limits under 120 a minute never
//   batch, so they are decided request by request, exactly.

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"

namespace salesos::gateway {

struct RateLimiterOptions {
  int64_t ip_per_minute = 1200;   // 0: no per-IP limit
  int64_t user_per_minute = 600;  // 0: no per-user limit
  int pause_after_failure_ms = 1000;
};

struct RateLimitDecision {
  // False when nothing was checked (no limit applies, or Redis could not answer): the request is
  // allowed and no RateLimit headers are sent, since there are no numbers to tell.
  bool decided = false;
  bool allowed = true;
  // The bucket closest to refusing (fewest requests left), or when refused the one that refused
  // for longest: what the RateLimit headers report.
  std::string_view scope;  // "ip" | "user"
  int64_t limit = 0;
  int64_t remaining = 0;
  int64_t reset_seconds = 0;        // until that bucket is full again
  int64_t retry_after_seconds = 0;  // when refused: until a request would pass (at least 1)
};

struct RateLimiterStats {
  int64_t allowed = 0;
  int64_t refused = 0;
  int64_t failed_open = 0;  // requests let through without a decision
};

class RateLimiter {
 public:
  // Bad limits (negative, or more than kMaxPerMinute) are the caller's to refuse at start-up.
  static constexpr int64_t kMaxPerMinute = 1'000'000;
  static constexpr int64_t kMaxBatch = 64;
  static constexpr int64_t kReservationMs = 1000;

  RateLimiter(redis::ClientPtr redis, RateLimiterOptions options);

  // Checks the request of `client_ip` and, when not empty, of `user_id` against their limits.
  RateLimitDecision Check(std::string_view client_ip, std::string_view user_id);
  // The decision for that request from a token this client has reserved, without a call to Redis;
  // nullopt when there is none (then Check asks Redis). Never blocks: for the I/O threads.
  std::optional<RateLimitDecision> CheckLocal(std::string_view client_ip, std::string_view user_id);

  RateLimiterStats stats() const;

 private:
  void FailOpen(const Status& why);

  // Tokens granted by Redis and not spent yet, for one set of buckets (one client IP and user).
  struct Reservation {
    int64_t left = 0;
    int64_t expires_ms = 0;  // monotonic; unspent tokens are dropped after
    int64_t batch = 1;       // what to ask for next
    int64_t granted_ms = 0;  // monotonic
    RateLimitDecision decision;  // as at the grant, with `remaining` not counting `left`
    int64_t reset_us = 0;        // of the decision's bucket, at the grant
  };
  // The reservation key of a request and the largest batch its limits allow (1: no batching);
  // empty key when no limit applies.
  std::pair<std::string, int64_t> ReservationKey(std::string_view client_ip,
                                                 std::string_view user_id) const;
  // A local decision from `r` when it has a token left (and takes it).
  std::optional<RateLimitDecision> Spend(Reservation& r, int64_t now_ms);

  std::mutex reservations_mu_;
  std::unordered_map<std::string, Reservation> reservations_;
  redis::ClientPtr redis_;
  RateLimiterOptions options_;
  std::atomic<int64_t> paused_until_ms_{0};  // monotonic
  std::atomic<int64_t> last_warning_ms_{0};  // monotonic
  std::atomic<int64_t> allowed_{0};
  std::atomic<int64_t> refused_{0};
  std::atomic<int64_t> failed_open_{0};
};

// The proxies whose X-Forwarded-For the gateway believes. With none (the default) the client is
// always the socket's peer: anyone can write the header, so believing it from anyone would let a
// client pick its own rate-limit bucket.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // A comma list of IP addresses ("10.0.0.7, ::1"); kInvalidArgument naming an entry that is not
  // one. Empty: no proxy is trusted.
  static Result<TrustedProxies> Parse(std::string_view comma_list);

  // The client's address, normalised (an IPv4-mapped IPv6 address as IPv4): the last entry of
  // `forwarded_for` when `peer` is a trusted proxy and that entry is an IP address, else `peer`.
  // The last entry because it is the one our proxy appended; earlier ones are the client's word.
  std::string ClientIp(std::string_view peer, std::string_view forwarded_for) const;

  bool empty() const { return addresses_.empty(); }

 private:
  std::vector<boost::asio::ip::address> addresses_;
};

}  // namespace salesos::gateway
