#include "salesos/rpc/revocations.h"

#include <sstream>

#include "salesos/core/log.h"

namespace salesos::rpc {

RevocationList::RevocationList(std::string redis_url, redis::ClientPtr redis,
                               int64_t refresh_interval_ms, const Clock& clock)
    : redis_url_(std::move(redis_url)),
      redis_(std::move(redis)),
      refresh_interval_ms_(refresh_interval_ms),
      clock_(clock) {}

RevocationList::~RevocationList() { Stop(); }

void RevocationList::Start() {
  subscriber_ = std::make_unique<redis::Subscriber>(redis_url_);
  subscriber_->Subscribe({kRevocationsChannel});
  subscriber_->Start([this](const std::string&, const std::string& message) { Apply(message); });
  refresher_ = std::thread([this] { RefreshLoop(); });
}

void RevocationList::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (refresher_.joinable()) {
    refresher_.join();
  }
  if (subscriber_) {
    subscriber_->Stop();
  }
}

void RevocationList::RefreshLoop() {
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    lock.unlock();
    Status st = Reload();
    if (!st.ok()) {
      log::Warn("cannot read token revocations", {{"error", st.message()}});
    }
    lock.lock();
    stop_cv_.wait_for(lock, std::chrono::milliseconds(refresh_interval_ms_),
                      [this] { return stopping_; });
  }
}

void RevocationList::Set(const std::string& key, int64_t cutoff) {
  std::unique_lock lock(mu_);
  auto& v = cutoffs_[key];
  v = std::max(v, cutoff);
}

void RevocationList::Apply(const std::string& message) {
  std::istringstream in(message);
  std::string kind, id;
  int64_t cutoff = 0;
  if (!(in >> kind >> id >> cutoff) || (kind != "user" && kind != "workspace")) {
    log::Warn("ignoring a malformed revocation message");
    return;
  }
  Set(kind + ":" + id, cutoff);
}

Status RevocationList::Reload() {
  std::string cursor = "0";
  std::unordered_map<std::string, int64_t> fresh;
  // Bounded: a cut-off lives one token lifetime, so there are few; 1,000 pages is far beyond.
  for (int page = 0; page < 1000; ++page) {
    auto reply = redis_->Command(
        {"SCAN", cursor, "MATCH", std::string(kRevokedKeyPrefix) + "*", "COUNT", "500"});
    if (!reply.ok()) {
      return reply.status();
    }
    if (reply->elements.size() != 2) {
      return Internal("unexpected SCAN reply");
    }
    cursor = reply->elements[0].str;
    for (const auto& key : reply->elements[1].elements) {
      auto value = redis_->Get(key.str);
      if (value.ok() && value->has_value()) {
        fresh[key.str.substr(sizeof(kRevokedKeyPrefix) - 1)] = std::atoll((*value)->c_str());
      }
    }
    if (cursor == "0") {
      break;
    }
  }
  std::unique_lock lock(mu_);
  // Keys that expired in Redis drop out here; live ones keep the larger of the two cut-offs.
  for (auto& [k, v] : fresh) {
    auto it = cutoffs_.find(k);
    if (it != cutoffs_.end()) {
      v = std::max(v, it->second);
    }
  }
  // Entries published but not found (yet) in Redis stay until they are a day old.
  const int64_t now_ms = clock_.NowMillis();
  for (const auto& [k, v] : cutoffs_) {
    if (!fresh.count(k) && v > now_ms - 24 * 3600 * 1000) {
      fresh[k] = v;
    }
  }
  cutoffs_ = std::move(fresh);
  return OkStatus();
}

bool RevocationList::Revoked(const Caller& caller) const {
  std::shared_lock lock(mu_);
  if (cutoffs_.empty()) {
    return false;
  }
  auto user = cutoffs_.find("user:" + caller.user_id);
  const int64_t issued = caller.issued_at_ms > 0 ? caller.issued_at_ms : caller.issued_at * 1000;
  if (user != cutoffs_.end() && issued < user->second) {
    return true;
  }
  auto ws = cutoffs_.find("workspace:" + caller.workspace_id);
  return ws != cutoffs_.end() && issued < ws->second;
}

size_t RevocationList::size() const {
  std::shared_lock lock(mu_);
  return cutoffs_.size();
}

Result<Caller> RevocationCheckingVerifier::Verify(std::string_view token) {
  auto caller = inner_->Verify(token);
  if (caller.ok() && !caller->is_service() && list_->Revoked(*caller)) {
    return Unauthenticated("this session has ended; sign in again");
  }
  return caller;
}

}  // namespace salesos::rpc
