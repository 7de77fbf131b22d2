#pragma once

// ChannelResolver: which workspace and integration a platform channel (page id, IG account id,
// WhatsApp phone_number_id) belongs to. The answer of `lookup` (auth's ResolveChannel) is cached
// in Redis under salesos:channel:<platform>:<external id> — a found channel for `ttl_ms`, an
// unknown one for the shorter `negative_ttl_ms`, so a channel connected while its event was lost
// is found soon — and dropped by Forget when auth says the channel changed (channel.changed).
// Thread-safe when `lookup` is.

#include <functional>
#include <optional>
#include <string>

#include "salesos/core/status.h"
#include "salesos/redis/redis.h"

namespace salesos::webhook_ingest {

struct ChannelRef {
  std::string workspace_id;
  std::string integration_id;
};

// The source of truth: the channel, nullopt when no workspace has connected it, an error when it
// cannot be asked (kUnavailable, ...).
using ChannelLookup = std::function<Result<std::optional<ChannelRef>>(
    const std::string& platform, const std::string& external_id)>;

struct ChannelResolverOptions {
  int64_t ttl_ms = 5 * 60 * 1000;
  int64_t negative_ttl_ms = 30 * 1000;
};

class ChannelResolver {
 public:
  ChannelResolver(redis::ClientPtr redis, ChannelLookup lookup,
                  ChannelResolverOptions options = {});

  // The cached answer, else the lookup's (then cached). Errors of Redis or of the lookup pass
  // through: the caller cannot route the item and must not acknowledge it.
  Result<std::optional<ChannelRef>> Resolve(const std::string& platform,
                                            const std::string& external_id);
  // Drops the cached answer for the channel.
  Status Forget(const std::string& platform, const std::string& external_id);

  static std::string CacheKey(const std::string& platform, const std::string& external_id);

 private:
  redis::ClientPtr redis_;
  ChannelLookup lookup_;
  ChannelResolverOptions options_;
};

}  // namespace salesos::webhook_ingest
