#pragma once

// A long-lived pub/sub subscription, e.g. the gateway listening for events to push to WebSockets.
//
// Promises:
// - One thread and one connection of its own (a subscribed connection can do nothing else, so it
//   never comes from a Client's pool).
// - Survives the server: when the connection drops it reconnects with capped exponential backoff
//   (100 ms doubling to 5 s, with jitter) and subscribes again to every channel and pattern.
//   Messages published while it is disconnected are lost — Redis pub/sub does not keep them; use
//   Streams where that matters.
// - The handler runs on the subscriber's thread, one message at a time, in the order Redis sent
//   them; it should be quick (hand the work off) since it delays the next message. An exception it
//   throws is logged and swallowed.
// - Subscribe / PSubscribe / Connected are thread-safe and may be called before or after Start.
//   After Start, new channels are sent at the loop's next wake-up, which Subscribe triggers at once
//   through a self-pipe (and which happens at least every 500 ms anyway).
// - Stop (and the destructor) returns within about 500 ms plus the running handler call.

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "salesos/redis/redis.h"

namespace salesos::redis {

class Subscriber {
 public:
  // For a "pmessage" the handler gets the channel the message was published to, not the pattern.
  using Handler = std::function<void(const std::string& channel, const std::string& message)>;

  // `url` as for Connect. A malformed URL is reported (logged) by Start, and the subscriber then
  // never connects; validate configuration with Connect first.
  explicit Subscriber(std::string url, RedisOptions options = {});
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void Subscribe(std::vector<std::string> channels);
  void PSubscribe(std::vector<std::string> patterns);

  // Starts the thread. Calling it while running does nothing.
  void Start(Handler handler);
  // Stops and joins the thread; idempotent. Start may be called again afterwards.
  void Stop();
  // True while connected with every subscription requested so far confirmed by the server.
  bool Connected() const { return connected_.load(); }

 private:
  struct Conn;
  void Run();
  // Serves one connection until it fails or Stop; the reason it ended.
  Status Serve(Conn& conn);
  void Wake();
  // Sleeps up to `ms` unless woken by Stop.
  void Pause(int ms);

  const std::string url_;
  const RedisOptions options_;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;

  std::mutex mu_;
  std::set<std::string> channels_;         // guarded by mu_
  std::set<std::string> patterns_;         // guarded by mu_
  std::vector<std::string> new_channels_;  // guarded by mu_; not yet sent on this connection
  std::vector<std::string> new_patterns_;  // guarded by mu_

  Handler handler_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
};

}  // namespace salesos::redis
