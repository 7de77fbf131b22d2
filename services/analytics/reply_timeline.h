#pragma once

// Response times from a conversation's messages in time order, whatever order their events
// arrived in. A burst is the customer's messages after the business's last reply; the next reply
// answers it, and the customer waited from the burst's first message to that reply. The first
// reply that answers anything is the conversation's first response. Pure.

#include <cstdint>
#include <string>
#include <vector>

namespace salesos::analytics {

struct TimelineEntry {
  int64_t at_ms = 0;
  char kind = 'c';  // 'c' a customer's message, 'r' a reply (AI or agent)
  std::string event_id;
  // Replies: the wait they answered (-1: none, nothing was waiting) and whether it was the first.
  int64_t wait_ms = -1;
  bool first = false;

  // Time order; at the same millisecond a customer's message comes before a reply.
  bool operator<(const TimelineEntry& o) const;
};

// Sets wait_ms and first of every reply of `entries` (sorted by operator<).
void ComputeWaits(std::vector<TimelineEntry>& entries);

}  // namespace salesos::analytics
