#pragma once

// RealtimeHub: the fan-out behind GET /ws (docs/realtime.md). The gateway's one Redis subscriber
// (PSUBSCRIBE salesos:rt:*) hands every message to Dispatch, which passes the published text,
// unchanged, to each WebSocket of the workspace the channel names, and to no other. The hub also
// decides who may connect: Admit reads the upgrade request's token and ?since, Join enforces the
// connection caps.
//
// Promises:
// - Thread-safe. The workspace → sessions map is guarded by a mutex held only to copy the
//   workspace's sessions out; Dispatch then calls RealtimeSink::Deliver, which must not block (a
//   session posts onto its strand), so the subscriber's thread never waits for a socket.
// - Sessions are held by weak pointer: one that is gone is skipped, one that ends calls Leave.
// - Replay runs RealtimeSince on threads of its own (it waits for Redis), never on the caller's.
// - Sessions must Leave before the hub is destroyed.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "gateway.h"
#include "salesos/core/status.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/realtime.h"
#include "salesos/rpc/token_verifier.h"
#include "salesos/rpc/work_pool.h"
#include "send_queue.h"

namespace salesos::gateway {

inline constexpr std::string_view kRealtimePath = "/ws";

// The hub's side of one WebSocket session.
class RealtimeSink {
 public:
  virtual ~RealtimeSink() = default;
  // An event of the session's workspace; from any thread, must not block.
  virtual void Deliver(RealtimeFramePtr frame) = 0;
  // The gateway is stopping: close with 1001 "going away". From any thread, must not block.
  virtual void GoAway() = 0;
};

struct RealtimeOptions {
  size_t max_connections = 10'000;  // WebSockets of this gateway (503 at the handshake beyond)
  size_t max_per_workspace = 500;   // WebSockets of one workspace (429 beyond)
  int idle_timeout_ms = 60'000;     // a ping after half of it without data, closed after all of it
  int handshake_timeout_ms = 10'000;  // the upgrade, and the closing handshake
  // How long a close may wait for a stuck write before the socket is dropped.
  int close_timeout_ms = 5'000;
  // How often a session's token is checked again (expiry, revocation); closed with 4001 when it
  // no longer passes.
  int reverify_interval_ms = 30'000;
  size_t max_message_bytes = 4 * 1024;  // of a client's message (closed with 1009 beyond)
  SendQueueLimits send_queue;           // per session (closed with 1008 beyond)
  // A client's messages and ping/pong frames, per second, in bursts of message_burst (closed
  // with 1008 beyond). 0: no limit.
  double max_messages_per_second = 20;
  double message_burst = 40;
};

// What an accepted upgrade request asked for.
struct RealtimeAdmission {
  rpc::Caller caller;
  std::string token;                 // kept to check it again; never logged
  std::optional<std::string> since;  // ?since=<id>
  bool bearer_subprotocol = false;   // the handshake answer selects "bearer"
};

// The credentials and options of an upgrade request, before any of them is checked: the token
// from `Sec-WebSocket-Protocol: bearer, <token>`, else `?access_token=`, else
// `Authorization: Bearer`. kInvalidArgument for a query that cannot be decoded.
struct RealtimeHandshake {
  std::string token;
  std::optional<std::string> since;
  bool bearer_subprotocol = false;
};
Result<RealtimeHandshake> ReadRealtimeHandshake(const Request& req);

// "<ms>-<seq>" as two numbers; nullopt when `id` is not that.
std::optional<std::pair<uint64_t, uint64_t>> ParseRealtimeId(std::string_view id);
// Whether the event `id` was already sent to a client whose last event was `watermark`: true when
// both are ids and id ≤ watermark. An event without an id is never taken for a duplicate.
bool CoveredBy(std::string_view id, std::string_view watermark);
// The "id" of an event's JSON text ("" when it has none).
std::string EventIdOf(std::string_view text);
// "salesos:rt:<workspace>" → "<workspace>"; "" for any other channel.
std::string_view WorkspaceOfChannel(std::string_view channel);

// How many events a reconnecting client is replayed at most: half its send queue, so live events
// still fit behind them.
size_t ReplayLimit(const SendQueueLimits& limits);
// A replay of more than ReplayLimit events, or of more than half the queue's bytes, is not sent:
// it becomes a gap (the client refetches) with no events.
void FitReplay(rpc::RealtimeReplay* replay, const SendQueueLimits& limits);

class RealtimeHub {
 public:
  RealtimeHub(RealtimeOptions options, rpc::TokenVerifierPtr verifier, redis::ClientPtr redis);
  ~RealtimeHub();
  RealtimeHub(const RealtimeHub&) = delete;
  RealtimeHub& operator=(const RealtimeHub&) = delete;

  // The verdict on an upgrade request: UNAUTHENTICATED without a valid access token (signature,
  // expiry, revocation), PERMISSION_DENIED for a token of no workspace or of a service,
  // INVALID_ARGUMENT naming `since` when it is not an event id.
  Result<RealtimeAdmission> Admit(const Request& req) const;
  // The token of an open session checked again: ok while it still passes.
  Status Reverify(std::string_view token) const;

  // Adds a session to its workspace; its id for Leave. UNAVAILABLE past max_connections,
  // RESOURCE_EXHAUSTED past max_per_workspace.
  Result<uint64_t> Join(const std::string& workspace_id, std::weak_ptr<RealtimeSink> sink);
  void Leave(const std::string& workspace_id, uint64_t id);

  // One pub/sub message: its text to every session of the channel's workspace.
  void Dispatch(std::string_view channel, std::string_view text);
  // Every session asked to close with 1001.
  void GoAway();

  // The workspace's events after `since` (RealtimeSince), `done` called on a replay thread.
  void Replay(std::string workspace_id, std::string since,
              std::function<void(Result<rpc::RealtimeReplay>)> done);

  // Finishes the replays under way and takes no more (their `done` still runs): call once the
  // I/O threads have stopped, before the io_context is destroyed.
  void Shutdown();

  size_t connections() const;
  size_t connections(const std::string& workspace_id) const;
  const RealtimeOptions& options() const { return options_; }

 private:
  RealtimeOptions options_;
  rpc::TokenVerifierPtr verifier_;
  redis::ClientPtr redis_;
  mutable std::mutex mu_;
  // workspace id → session id → session; guarded by mu_
  std::unordered_map<std::string, std::unordered_map<uint64_t, std::weak_ptr<RealtimeSink>>>
      workspaces_;
  size_t total_ = 0;      // guarded by mu_
  uint64_t next_id_ = 1;  // guarded by mu_
  rpc::WorkPool replays_;
};

}  // namespace salesos::gateway
