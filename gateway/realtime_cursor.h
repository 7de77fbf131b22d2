#pragma once

// RealtimeCursor: what one WebSocket sends, and in which order, around the replay of ?since. The
// session joins the hub before it reads the log, so a live event may arrive before the replay, or
// be in it too: live events are held until the replay is in, then those it already covered are
// dropped. Pure logic, no sockets; not thread-safe (a session uses it on its strand).

#include <optional>
#include <string>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/rpc/realtime.h"
#include "send_queue.h"

namespace salesos::gateway {

class RealtimeCursor {
 public:
  // `since`: the client's last event id, if it gave one. `hold`: the bound on live events held
  // while catching up; past it they are dropped and the client told to resync.
  RealtimeCursor(std::optional<std::string> since, SendQueueLimits hold);

  // A live event: true when it is to be sent now. While catching up it is held (false).
  bool Live(RealtimeFramePtr frame);

  struct CatchUpPlan {
    bool resync = false;                   // send {"type":"resync"} first
    std::vector<RealtimeFramePtr> frames;  // then these, in order
  };
  // The end of catching up, with the replay of `since` (an empty one when there was no since):
  // resync when the replay failed, has a gap, or live events had to be dropped; then the replayed
  // events and the held ones it did not cover. Live from then on.
  CatchUpPlan CatchUp(Result<rpc::RealtimeReplay> replay);

  bool live() const { return live_; }

 private:
  bool live_ = false;
  std::string watermark_;  // the last event id sent before going live
  SendQueue held_;
  bool held_overflowed_ = false;
};

}  // namespace salesos::gateway
