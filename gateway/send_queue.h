#pragma once

// SendQueue: the frames one WebSocket still has to write, with a bound on how many and how many
// bytes, so a client that reads slower than its workspace publishes costs a fixed amount of memory
// before it is let go. The front frame stays queued (and counted) while it is being written. Not
// thread-safe: a session uses it on its strand.

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

namespace salesos::gateway {

// One text frame for a WebSocket: what is sent, and for events the id it carries (for ?since).
struct RealtimeFrame {
  std::string text;
  std::string id;  // "" for the hub's own messages (ready, pong, resync)
};
using RealtimeFramePtr = std::shared_ptr<const RealtimeFrame>;

struct SendQueueLimits {
  size_t max_frames = 512;
  size_t max_bytes = 4 * 1024 * 1024;
};

class SendQueue {
 public:
  explicit SendQueue(SendQueueLimits limits) : limits_(limits) {}

  // Appends `frame` unless that would pass either bound; false then, and nothing changes. A frame
  // larger than max_bytes on its own is refused even when the queue is empty.
  bool Push(RealtimeFramePtr frame);
  const RealtimeFramePtr& front() const { return frames_.front(); }
  void Pop();
  void Clear();

  bool empty() const { return frames_.empty(); }
  size_t frames() const { return frames_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  SendQueueLimits limits_;
  std::deque<RealtimeFramePtr> frames_;
  size_t bytes_ = 0;
};

}  // namespace salesos::gateway
