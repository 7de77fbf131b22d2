#pragma once

// ConnectionLimiter: the bound on HTTP connections a gateway holds, in all and (optionally) per
// client address. A connection past a bound is not dropped at once: it is read for one request
// head, under the header timeout, and answered — /healthz as usual (a liveness probe must not
// kill a gateway for being busy), anything else 503 (all) or 429 (one address) with Retry-After,
// then closed. Only `overflow` such connections are held at a time; past those a connection is
// closed as soon as it is accepted. WebSockets, once upgraded, are counted by the realtime hub
// instead (--ws-max-connections).
//
// Thread-safe (one mutex, held for a map update per accept and per close). Tickets keep the
// limiter alive.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace salesos::gateway {

struct ConnectionLimits {
  size_t max_connections = 10'000;  // 0: no bound
  size_t max_per_ip = 0;            // 0: no bound (behind a proxy every client is the proxy)
  size_t overflow = 64;             // connections past a bound answered before they are closed
};

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  enum class Verdict { kAdmitted, kOverTotal, kOverPerIp, kDropped };

  // One connection's place; given back when destroyed. Movable, not copyable.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { Release(); }
    Verdict verdict() const { return verdict_; }

   private:
    friend class ConnectionLimiter;
    void Release();
    std::shared_ptr<ConnectionLimiter> limiter_;
    std::string ip_;
    Verdict verdict_ = Verdict::kAdmitted;
  };

  static std::shared_ptr<ConnectionLimiter> Make(ConnectionLimits limits) {
    return std::shared_ptr<ConnectionLimiter>(new ConnectionLimiter(limits));
  }

  // A place for a new connection from `ip`: admitted, over a bound (to be answered and closed),
  // or dropped (past the overflow too: close it now; the ticket holds nothing).
  Ticket Admit(const std::string& ip);

  size_t connections() const;  // admitted and open
  size_t overflowing() const;  // over a bound, still being answered
  const ConnectionLimits& limits() const { return limits_; }

 private:
  explicit ConnectionLimiter(ConnectionLimits limits) : limits_(limits) {}
  void Release(const std::string& ip, Verdict verdict);

  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  size_t admitted_ = 0;                             // guarded by mu_
  size_t overflowing_ = 0;                          // guarded by mu_
  std::unordered_map<std::string, size_t> per_ip_;  // admitted, by address; guarded by mu_
};

}  // namespace salesos::gateway
