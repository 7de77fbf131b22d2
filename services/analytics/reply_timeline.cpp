#include "reply_timeline.h"

#include <tuple>

namespace salesos::analytics {

bool TimelineEntry::operator<(const TimelineEntry& o) const {
  return std::tie(at_ms, kind, event_id) < std::tie(o.at_ms, o.kind, o.event_id);
}

void ComputeWaits(std::vector<TimelineEntry>& entries) {
  int64_t burst_start = -1;
  bool answered_before = false;
  for (auto& e : entries) {
    if (e.kind == 'c') {
      if (burst_start < 0) {
        burst_start = e.at_ms;
      }
      continue;
    }
    e.wait_ms = burst_start >= 0 ? e.at_ms - burst_start : -1;
    e.first = burst_start >= 0 && !answered_before;
    if (burst_start >= 0) {
      answered_before = true;
      burst_start = -1;
    }
  }
}

}  // namespace salesos::analytics
