#pragma once

// Events as conversation and campaign write them to salesos:events, for the analytics tests:
// serialized EventEnvelopes with typed payloads, decoded into Facts the way the consumer does.

#include <cstdint>
#include <string>
#include <vector>

#include "analytics_events.h"

namespace salesos::analytics::testing {

// Unix ms of a UTC wall time on 2026-03-02 (a Monday) plus `day_offset` days.
int64_t At(int hour, int minute, int second = 0, int day_offset = 0);

// Builds the events of one workspace; every event id is "<prefix>-<n>", unique across builders
// with different prefixes.
class Events {
 public:
  Events(std::string workspace_id, std::string id_prefix)
      : workspace_id_(std::move(workspace_id)), prefix_(std::move(id_prefix)) {}

  Fact Started(const std::string& conversation, const std::string& campaign,
               const std::string& platform, int64_t at_ms);
  Fact CustomerMessage(const std::string& conversation, const std::string& campaign,
                       const std::string& platform, int64_t at_ms);
  Fact Echo(const std::string& conversation, const std::string& campaign,
            const std::string& platform, int64_t at_ms);
  Fact Sent(const std::string& conversation, const std::string& campaign,
            const std::string& platform, const std::string& sender, int64_t at_ms);
  Fact Failed(const std::string& conversation, const std::string& campaign,
              const std::string& platform, int64_t at_ms);
  Fact AiReplied(const std::string& conversation, const std::string& campaign,
                 const std::string& fallback_reason, int64_t at_ms);
  Fact LeadScored(const std::string& conversation, const std::string& campaign, int score,
                  int64_t at_ms);
  Fact StatusChanged(const std::string& conversation, const std::string& campaign,
                     const std::string& from, const std::string& to, int64_t at_ms);
  Fact Handoff(const std::string& conversation, const std::string& campaign, const std::string& by,
               int64_t at_ms);
  Fact Conversion(const std::string& conversation, const std::string& campaign,
                  int64_t order_value_minor, const std::string& currency, int64_t at_ms);
  Fact Campaign(const std::string& change, const std::string& campaign, const std::string& name,
                const std::string& status, const std::string& target_platform, int64_t at_ms);

  // The serialized envelope of an event (what the stream entry carries).
  std::string Envelope(const std::string& type, const std::string& payload, int64_t at_ms);

 private:
  Fact Decode(const std::string& type, const std::string& payload, int64_t at_ms);
  std::string workspace_id_;
  std::string prefix_;
  int next_ = 0;
};

}  // namespace salesos::analytics::testing
