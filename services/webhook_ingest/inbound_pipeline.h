#pragma once

// InboundPipeline: what a Meta webhook delivery goes through before it is acknowledged
// (DESIGN §5 step 2, protocols.md §2–§3):
//   1. the body is at most 4 MiB (INVALID_ARGUMENT);
//   2. its X-Hub-Signature-256 matches the raw bytes (UNAUTHENTICATED, nothing stored);
//   3. it is JSON (INVALID_ARGUMENT) and every item is parsed (meta_parser.h);
//   4. each item's channel resolves to a workspace (ChannelResolver; an unknown channel is
//      acknowledged and counted as ignored);
//   5. each item not seen before is appended to salesos:inbound and marked seen, by one Lua script
//      per chunk of items: XADD then SET salesos:dedupe:... PX 48 h, atomically, so a crash never
//      leaves an item marked but not appended (lost) nor two concurrent redeliveries appended
//      twice.
// Only then the caller answers 200. Redis or auth out of reach is UNAVAILABLE: Meta retries, and
// the items of the delivery already appended count as duplicates then.
//
// Stream entry fields: "id" (the event's UUIDv7), "type" (its kind), "workspace", "event" (the
// serialized salesos.webhook_ingest.v1.InboundEvent). The stream is trimmed to about 1,000,000
// entries. Thread-safe; counters are process totals, logged.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "channel_resolver.h"
#include "salesos/core/status.h"
#include "salesos/core/time.h"
#include "salesos/redis/redis.h"

namespace salesos::webhook_ingest {

inline constexpr char kInboundStream[] = "salesos:inbound";
inline constexpr int64_t kInboundStreamMaxLen = 1'000'000;
inline constexpr size_t kMaxBodyBytes = 4 * 1024 * 1024;

struct PipelineOptions {
  std::string app_secret;  // empty: every delivery is refused (UNAUTHENTICATED), and logged
  int64_t dedupe_ttl_ms = 48LL * 3600 * 1000;
  std::string stream = kInboundStream;
  int64_t stream_max_len = kInboundStreamMaxLen;
  int chunk = 100;  // items per script call, so no one call holds Redis long
};

struct IngestCounts {
  int accepted = 0;
  int duplicates = 0;
  int ignored = 0;
};

// Process totals since start.
struct PipelineTotals {
  int64_t deliveries = 0;
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t ignored = 0;
  int64_t unknown_channel = 0;
  int64_t refused_signature = 0;
  int64_t refused_body = 0;
  int64_t unavailable = 0;
};

class InboundPipeline {
 public:
  InboundPipeline(redis::ClientPtr redis, ChannelResolver& resolver, PipelineOptions options,
                  const Clock& clock = SystemClock());

  Result<IngestCounts> Ingest(std::string_view body, std::string_view signature_header);

  PipelineTotals totals() const;

 private:
  Result<IngestCounts> Process(std::string_view body);

  redis::ClientPtr redis_;
  ChannelResolver& resolver_;
  PipelineOptions options_;
  const Clock& clock_;
  std::atomic<int64_t> deliveries_{0}, accepted_{0}, duplicates_{0}, ignored_{0},
      unknown_channel_{0}, refused_signature_{0}, refused_body_{0}, unavailable_{0};
};

}  // namespace salesos::webhook_ingest
