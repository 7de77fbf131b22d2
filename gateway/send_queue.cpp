#include "send_queue.h"

namespace salesos::gateway {

bool SendQueue::Push(RealtimeFramePtr frame) {
  size_t size = frame->text.size();
  if (frames_.size() + 1 > limits_.max_frames || size > limits_.max_bytes ||
      bytes_ > limits_.max_bytes - size) {
    return false;
  }
  bytes_ += size;
  frames_.push_back(std::move(frame));
  return true;
}

void SendQueue::Pop() {
  bytes_ -= frames_.front()->text.size();
  frames_.pop_front();
}

void SendQueue::Clear() {
  frames_.clear();
  bytes_ = 0;
}

}  // namespace salesos::gateway
