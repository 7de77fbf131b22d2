#pragma once

// RevocationList: access tokens that must stop working before they expire (a password changed,
// a member removed, logout-all, a workspace deleted). auth records a cut-off per user or
// workspace ("tokens issued before T are refused", T in unix milliseconds) in Redis and publishes it on
// salesos:auth:revocations; this list follows that channel, and re-reads the recorded cut-offs
// every refresh interval so one missed message costs at most that long. A cut-off is kept one
// token lifetime, after which every token it refused has expired anyway. Thread-safe.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "salesos/core/time.h"
#include "salesos/redis/redis.h"
#include "salesos/redis/subscriber.h"
#include "salesos/rpc/token_verifier.h"

namespace salesos::rpc {

inline constexpr char kRevocationsChannel[] = "salesos:auth:revocations";
inline constexpr char kRevokedKeyPrefix[] = "salesos:auth:revoked:";

class RevocationList {
 public:
  RevocationList(std::string redis_url, redis::ClientPtr redis, int64_t refresh_interval_ms = 30'000,
                 const Clock& clock = SystemClock());
  ~RevocationList();

  // Subscribes and loads the recorded cut-offs; returns at once (work happens on threads).
  void Start();
  void Stop();

  // True when the caller's token was issued before a cut-off of its user or workspace.
  bool Revoked(const Caller& caller) const;
  // Applies one published message: "user <id> <unix ms>" or "workspace <id> <unix ms>".
  void Apply(const std::string& message);
  // Reads every recorded cut-off from Redis (SCAN, bounded).
  Status Reload();
  size_t size() const;

 private:
  void Set(const std::string& key, int64_t cutoff);
  void RefreshLoop();

  std::string redis_url_;
  redis::ClientPtr redis_;
  int64_t refresh_interval_ms_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, int64_t> cutoffs_;  // "user:<id>" / "workspace:<id>" → unix ms
  std::unique_ptr<redis::Subscriber> subscriber_;
  std::thread refresher_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

// A TokenVerifier that also refuses revoked tokens (after the inner verifier's checks and cache).
class RevocationCheckingVerifier final : public TokenVerifier {
 public:
  RevocationCheckingVerifier(TokenVerifierPtr inner, std::shared_ptr<RevocationList> list)
      : inner_(std::move(inner)), list_(std::move(list)) {}
  Result<Caller> Verify(std::string_view token) override;

 private:
  TokenVerifierPtr inner_;
  std::shared_ptr<RevocationList> list_;
};

}  // namespace salesos::rpc
