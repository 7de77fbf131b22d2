#pragma once

// auth's ResolveChannel in memory, for the tests: the channels it knows by
// "<platform>:<external id>", a failure to answer with instead, and how often it was asked.

#include <atomic>
#include <map>
#include <optional>
#include <string>

#include "channel_resolver.h"

namespace salesos::webhook_ingest {

struct FakeChannels {
  std::map<std::string, ChannelRef> channels;
  Status failure;
  std::atomic<int> calls{0};

  ChannelLookup Lookup() {
    return [this](const std::string& platform,
                  const std::string& external_id) -> Result<std::optional<ChannelRef>> {
      ++calls;
      if (!failure.ok()) {
        return failure;
      }
      auto it = channels.find(platform + ":" + external_id);
      return it == channels.end() ? std::optional<ChannelRef>() : std::optional(it->second);
    };
  }
};

}  // namespace salesos::webhook_ingest
