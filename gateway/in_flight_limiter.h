#pragma once

// InFlightLimiter: the bound on requests the gateway has taken on for the services (DESIGN §6:
// bounded queues everywhere). A request bound for a service holds a Permit from the moment its
// route is known until it is answered (rate-limit admission, transcoding and the gRPC call), so
// past the bound the gateway answers 503 with Retry-After at once instead of queueing without
// bound, growing memory and answering with a timeout. Two bounds: the total, and each upstream's
// own, so one slow service (an LLM call that hangs) cannot take every slot from the others.
//
// Thread-safe and lock-free: the counters are atomics, the per-upstream map is fixed at
// construction.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace salesos::gateway {

struct InFlightLimits {
  int64_t total = 1024;        // 0: no bound
  int64_t per_upstream = 512;  // 0: no bound
};

class InFlightLimiter {
 public:
  // Which bound refused a request.
  enum class Refusal { kTotal, kUpstream };

  // One request's slot; released when Release is called or the permit is destroyed, whichever
  // comes first. Movable, not copyable.
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept { *this = std::move(other); }
    Permit& operator=(Permit&& other) noexcept;
    ~Permit() { Release(); }
    void Release();

   private:
    friend class InFlightLimiter;
    Permit(std::atomic<int64_t>* total, std::atomic<int64_t>* upstream)
        : total_(total), upstream_(upstream) {}
    std::atomic<int64_t>* total_ = nullptr;
    std::atomic<int64_t>* upstream_ = nullptr;
  };

  struct Decision {
    std::optional<Permit> permit;  // set when admitted
    Refusal refusal = Refusal::kTotal;
    int64_t limit = 0;  // the bound that refused
  };

  // `upstreams`: the names requests may be bound for; any other name counts against the total
  // only.
  InFlightLimiter(InFlightLimits limits, const std::vector<std::string>& upstreams);

  // A permit for one request to `upstream`, unless either bound is reached.
  Decision TryAcquire(const std::string& upstream);

  int64_t total() const { return total_->load(); }
  int64_t of(const std::string& upstream) const;
  const InFlightLimits& limits() const { return limits_; }

 private:
  InFlightLimits limits_;
  // Held by pointer so that permits stay valid however the limiter is moved.
  std::unique_ptr<std::atomic<int64_t>> total_ = std::make_unique<std::atomic<int64_t>>(0);
  std::map<std::string, std::unique_ptr<std::atomic<int64_t>>> upstreams_;
};

}  // namespace salesos::gateway
