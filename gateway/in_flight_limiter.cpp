#include "in_flight_limiter.h"

namespace salesos::gateway {
namespace {

// Takes one slot of `counter` unless that passes `limit` (0: no bound).
bool Take(std::atomic<int64_t>& counter, int64_t limit) {
  if (counter.fetch_add(1) < limit || limit <= 0) {
    return true;
  }
  counter.fetch_sub(1);
  return false;
}

}  // namespace

InFlightLimiter::Permit& InFlightLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    Release();
    total_ = other.total_;
    upstream_ = other.upstream_;
    other.total_ = nullptr;
    other.upstream_ = nullptr;
  }
  return *this;
}

void InFlightLimiter::Permit::Release() {
  if (upstream_ != nullptr) {
    upstream_->fetch_sub(1);
    upstream_ = nullptr;
  }
  if (total_ != nullptr) {
    total_->fetch_sub(1);
    total_ = nullptr;
  }
}

InFlightLimiter::InFlightLimiter(InFlightLimits limits, const std::vector<std::string>& upstreams)
    : limits_(limits) {
  for (const auto& name : upstreams) {
    upstreams_.emplace(name, std::make_unique<std::atomic<int64_t>>(0));
  }
}

InFlightLimiter::Decision InFlightLimiter::TryAcquire(const std::string& upstream) {
  Decision decision;
  auto it = upstreams_.find(upstream);
  std::atomic<int64_t>* own = it == upstreams_.end() ? nullptr : it->second.get();
  if (!Take(*total_, limits_.total)) {
    decision.refusal = Refusal::kTotal;
    decision.limit = limits_.total;
    return decision;
  }
  if (own != nullptr && !Take(*own, limits_.per_upstream)) {
    total_->fetch_sub(1);
    decision.refusal = Refusal::kUpstream;
    decision.limit = limits_.per_upstream;
    return decision;
  }
  decision.permit = Permit(total_.get(), own);
  return decision;
}

int64_t InFlightLimiter::of(const std::string& upstream) const {
  auto it = upstreams_.find(upstream);
  return it == upstreams_.end() ? 0 : it->second->load();
}

}  // namespace salesos::gateway
