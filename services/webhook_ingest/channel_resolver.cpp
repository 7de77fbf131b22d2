#include "channel_resolver.h"

namespace salesos::webhook_ingest {
namespace {

// Cached values: "<workspace id> <integration id>", or kUnknown for a channel nobody connected.
constexpr char kUnknown[] = "-";

}  // namespace

ChannelResolver::ChannelResolver(redis::ClientPtr redis, ChannelLookup lookup,
                                 ChannelResolverOptions options)
    : redis_(std::move(redis)), lookup_(std::move(lookup)), options_(options) {}

std::string ChannelResolver::CacheKey(const std::string& platform, const std::string& external_id) {
  return "salesos:channel:" + platform + ":" + external_id;
}

Result<std::optional<ChannelRef>> ChannelResolver::Resolve(const std::string& platform,
                                                           const std::string& external_id) {
  std::string key = CacheKey(platform, external_id);
  auto cached = redis_->Get(key);
  if (!cached.ok()) {
    return cached.status();
  }
  if (const std::string* value = cached->has_value() ? &**cached : nullptr) {
    if (*value == kUnknown) {
      return std::optional<ChannelRef>();
    }
    size_t space = value->find(' ');
    if (space != std::string::npos) {
      return std::optional<ChannelRef>(
          ChannelRef{value->substr(0, space), value->substr(space + 1)});
    }
    // Not written by this code: ask again and overwrite it.
  }
  SALESOS_ASSIGN_OR_RETURN(std::optional<ChannelRef> found, lookup_(platform, external_id));
  Status st =
      found.has_value()
          ? redis_->Set(key, found->workspace_id + " " + found->integration_id, options_.ttl_ms)
          : redis_->Set(key, kUnknown, options_.negative_ttl_ms);
  SALESOS_RETURN_IF_ERROR(st);
  return found;
}

Status ChannelResolver::Forget(const std::string& platform, const std::string& external_id) {
  auto removed = redis_->Del(CacheKey(platform, external_id));
  return removed.ok() ? OkStatus() : removed.status();
}

}  // namespace salesos::webhook_ingest
