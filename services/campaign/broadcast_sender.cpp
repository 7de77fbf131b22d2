#include "broadcast_sender.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>
#include <vector>

#include "campaign_rules.h"
#include "campaign_store.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/templates/template_renderer.h"

namespace salesos::campaign {

using conversation::v1::ResolveAudienceForServiceRequest;
using conversation::v1::SendToContactForServiceRequest;
using conversation::v1::SendToContactForServiceResponse;

// One integration's sender: a dispatcher thread pacing the queue through the token bucket, and
// `concurrency` workers making the sends.
class BroadcastEngine::IntegrationSender {
 public:
  IntegrationSender(BroadcastEngine& engine, std::string integration_id, int32_t rate)
      : engine_(engine),
        integration_id_(std::move(integration_id)),
        bucket_(rate, Burst(rate)),
        rate_(rate) {}
  ~IntegrationSender() { Stop(); }

  void Start() {
    dispatcher_ = std::thread([this] { Dispatch(); });
    for (int i = 0; i < engine_.options_.concurrency; ++i) {
      workers_.emplace_back([this] { Work(); });
    }
  }

  // Ends dispatching, lets the sends in flight finish, puts the buffer back in the queue.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) {
        return;
      }
      stop_ = true;
      stopped_ = true;
    }
    cv_.notify_all();
    if (dispatcher_.joinable()) {
      dispatcher_.join();
    }
    for (auto& w : workers_) {
      if (w.joinable()) {
        w.join();
      }
    }
    if (!lost_) {
      PutBack();
    }
  }

  void SetRate(int32_t rate) {
    std::lock_guard lock(mu_);
    if (rate != rate_) {
      rate_ = rate;
      bucket_.SetRate(rate, Burst(rate));
    }
  }
  void Wake() { cv_.notify_all(); }
  bool lost() const { return lost_.load(); }

 private:
  // A twentieth of a second's worth saved at most, so the pace stays even.
  static double Burst(int32_t rate) { return std::max(1.0, rate / 20.0); }

  int64_t Now() const { return engine_.clock_.NowMillis(); }

  // Buffered recipients (claimed, not handed to a worker) go back to the queue.
  void PutBack() {
    std::deque<RecipientRecord> back;
    {
      std::lock_guard lock(mu_);
      back.swap(buffer_);
    }
    for (const auto& r : back) {
      auto st = engine_.store_.Requeue(r, Now(), r.error, Now());
      if (!st.ok()) {
        log::Warn("broadcast recipient not put back; a later sender will",
                  {{"recipientId", r.id}, {"error", st.status().message()}});
      }
    }
  }

  // Fills the buffer from the queue; false when nothing is due.
  bool Fill(int64_t now) {
    int64_t limit = std::max<int64_t>(engine_.options_.concurrency, rate_ / 10 + 1);
    auto due = engine_.store_.Due(integration_id_, now, limit);
    if (!due.ok()) {
      log::Warn("broadcast queue unreadable",
                {{"integrationId", integration_id_}, {"error", due.status().message()}});
      return false;
    }
    std::vector<std::string> ids;
    std::vector<RecipientRecord> take;
    for (auto& r : *due) {
      auto it = last_sent_.find(r.contact_id);
      if (it != last_sent_.end() && it->second + kPerContactGapMs > now) {
        (void)engine_.store_.Defer(r.id, it->second + kPerContactGapMs);
        continue;
      }
      // Two recipients of one contact in this batch: the second waits its turn.
      last_sent_[r.contact_id] = now;
      ids.push_back(r.id);
      take.push_back(std::move(r));
    }
    if (ids.empty()) {
      return !due->empty();
    }
    Status st = engine_.store_.MarkSending(ids, now);
    if (!st.ok()) {
      log::Warn("broadcast recipients not claimed",
                {{"integrationId", integration_id_}, {"error", st.message()}});
      return false;
    }
    std::lock_guard lock(mu_);
    for (auto& r : take) {
      r.attempts += 1;
      r.status = "sending";
      buffer_.push_back(std::move(r));
    }
    return true;
  }

  void Dispatch() {
    auto seeded = engine_.store_.RecentContacts(integration_id_, Now() - kPerContactGapMs);
    if (seeded.ok()) {
      for (auto& [contact, at] : *seeded) {
        last_sent_[contact] = at;
      }
    }
    int64_t renew_at = Now() + engine_.options_.lease_ms / 3;
    uint64_t flush_seen = engine_.flush_gen_.load();
    while (true) {
      int64_t now = Now();
      if (now >= renew_at) {
        auto held = engine_.store_.AcquireIntegrationLease(integration_id_, engine_.options_.owner,
                                                           now, engine_.options_.lease_ms);
        if (held.ok() && !*held) {
          log::Warn("integration's sender lease lost; stopping its sender",
                    {{"integrationId", integration_id_}});
          lost_ = true;
          std::lock_guard lock(mu_);
          stop_ = true;
          buffer_.clear();  // left "sending": the new holder puts them back
          cv_.notify_all();
          return;
        }
        renew_at = now + engine_.options_.lease_ms / 3;
      }
      if (engine_.flush_gen_.load() != flush_seen) {
        // A broadcast was paused or cancelled: what was claimed for it must not go out.
        flush_seen = engine_.flush_gen_.load();
        PutBack();
      }
      // Old entries of the per-contact map are of no use.
      if (last_sent_.size() > 100000) {
        std::erase_if(last_sent_, [&](const auto& e) { return e.second + kPerContactGapMs < now; });
      }
      bool empty;
      {
        std::lock_guard lock(mu_);
        if (stop_) {
          return;
        }
        empty = buffer_.empty();
      }
      if (empty && !Fill(now)) {
        auto next = engine_.store_.NextDueMs(integration_id_);
        int64_t wait = engine_.options_.max_idle_ms;
        if (next.ok() && *next > 0) {
          wait = std::clamp<int64_t>(*next - now, 1, wait);
        }
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(wait), [&] { return stop_; });
        continue;
      }
      std::unique_lock lock(mu_);
      if (buffer_.empty()) {
        continue;
      }
      if (in_flight_ >= engine_.options_.concurrency) {
        cv_.wait_for(lock, std::chrono::milliseconds(100),
                     [&] { return stop_ || in_flight_ < engine_.options_.concurrency; });
        continue;
      }
      if (!bucket_.TryTake(now)) {
        int64_t at = bucket_.NextAt(now);
        cv_.wait_for(lock, std::chrono::milliseconds(std::clamp<int64_t>(at - now, 1, 1000)),
                     [&] { return stop_; });
        continue;
      }
      ready_.push_back(std::move(buffer_.front()));
      buffer_.pop_front();
      ++in_flight_;
      cv_.notify_all();
    }
  }

  void Work() {
    while (true) {
      RecipientRecord r;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !ready_.empty() || (stop_ && in_flight_ == 0) || stop_; });
        if (ready_.empty()) {
          if (stop_) {
            return;
          }
          continue;
        }
        r = std::move(ready_.front());
        ready_.pop_front();
      }
      SendOne(r);
      {
        std::lock_guard lock(mu_);
        --in_flight_;
      }
      cv_.notify_all();
    }
  }

  void SendOne(const RecipientRecord& r) {
    auto b = engine_.store_.GetById(r.broadcast_id);
    SendToContactForServiceRequest req;
    req.set_workspace_id(r.workspace_id);
    req.set_contact_id(r.contact_id);
    req.set_integration_id(r.integration_id);
    if (b.ok() && b->has_value()) {
      req.set_campaign_id((*b)->campaign_id);
    }
    req.set_idempotency_key(r.id);
    if (b.ok() && b->has_value() && (*b)->wa_template.has_value() && (*b)->platform == "whatsapp") {
      auto* t = req.mutable_template_();
      t->set_name((*b)->wa_template->name());
      t->set_language((*b)->wa_template->language());
      for (auto& p : DecodeParams(r.params)) {
        t->add_parameters(std::move(p));
      }
    } else {
      req.set_text(r.text);
    }
    req.set_broadcast_id(r.broadcast_id);
    req.set_broadcast_recipient_id(r.id);
    req.set_origin("broadcast");
    engine_.sends_.fetch_add(1);
    auto answer = engine_.peers_.send(req);
    int64_t now = Now();
    Result<RecipientMove> moved = RecipientMove{};
    if (answer.ok() && answer->sent()) {
      {
        std::lock_guard lock(mu_);
        consecutive_limits_ = 0;
      }
      moved = engine_.store_.MarkSent(r, answer->platform_message_id(), answer->message_id(),
                                      answer->conversation_id(), now);
    } else {
      bool retryable;
      int64_t code = 0, retry_after = 0;
      std::string error;
      if (answer.ok()) {
        retryable = answer->retryable();
        code = answer->error_code();
        retry_after = answer->retry_after_ms();
        error = code != 0 ? std::to_string(code) + " " + answer->error() : answer->error();
      } else {
        Code c = answer.status().code();
        // Refusals about the contact or the channel are final; the rest may pass later.
        retryable = !(c == Code::kNotFound || c == Code::kFailedPrecondition ||
                      c == Code::kInvalidArgument || c == Code::kPermissionDenied);
        error = std::string(answer.status().message());
      }
      int consecutive = 0;
      if (IsIntegrationRateLimit(code)) {
        // Refusals of sends that were in flight together are one burst: only a refusal after the
        // pause they caused makes the next pause longer.
        std::lock_guard lock(mu_);
        if (now >= bucket_.paused_until()) {
          ++consecutive_limits_;
        }
        consecutive = std::max(1, consecutive_limits_);
      }
      SendRetry retry = DecideRetry(retryable, code, retry_after, r.attempts, consecutive, now);
      if (retry.pause_integration_ms > 0) {
        std::lock_guard lock(mu_);
        bucket_.PauseUntil(retry.pause_integration_ms);
        log::Info("integration rate-limited; pausing its broadcasts",
                  {{"integrationId", integration_id_},
                   {"code", std::to_string(code)},
                   {"pauseMs", std::to_string(retry.pause_integration_ms - now)}});
      }
      moved = retry.give_up ? engine_.store_.MarkFailed(r, error, now)
                            : engine_.store_.Requeue(r, retry.next_attempt_ms, error, now);
    }
    if (!moved.ok()) {
      // Left "sending": the next holder of the integration's lease puts it back (same key).
      log::Warn("broadcast recipient's outcome not stored",
                {{"recipientId", r.id}, {"error", moved.status().message()}});
      return;
    }
    engine_.Changed(r.broadcast_id, moved->completed);
  }

  BroadcastEngine& engine_;
  std::string integration_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;     // guarded by mu_
  bool stopped_ = false;  // guarded by mu_
  std::atomic<bool> lost_{false};
  std::deque<RecipientRecord> buffer_;  // claimed ("sending"), waiting for a permit
  std::deque<RecipientRecord> ready_;   // permitted, waiting for a worker
  int in_flight_ = 0;
  int consecutive_limits_ = 0;
  TokenBucket bucket_;  // guarded by mu_
  int32_t rate_;
  std::map<std::string, int64_t> last_sent_;  // dispatcher only: contact → last send (ms)
  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

BroadcastEngine::BroadcastEngine(store::Store& db, BroadcastPeers peers,
                                 BroadcastEngineOptions options, BroadcastListener listener,
                                 const Clock& clock)
    : store_(db),
      campaigns_(db),
      peers_(std::move(peers)),
      options_(std::move(options)),
      listener_(std::move(listener)),
      clock_(clock) {
  if (options_.owner.empty()) {
    options_.owner = NewUuidV7();
  }
}

BroadcastEngine::~BroadcastEngine() { Stop(); }

void BroadcastEngine::Start() {
  loop_ = std::thread([this] { Run(); });
  notifier_ = std::thread([this] { RunNotifier(); });
}

void BroadcastEngine::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) {
      return;
    }
    stop_ = true;
  }
  cv_.notify_all();
  if (loop_.joinable()) {
    loop_.join();
  }
  if (notifier_.joinable()) {
    notifier_.join();
  }
  for (auto& [integration, sender] : senders_) {
    sender->Stop();
    if (!sender->lost()) {
      (void)store_.ReleaseIntegrationLease(integration, options_.owner);
    }
  }
  senders_.clear();
}

void BroadcastEngine::Withdraw() {
  flush_gen_.fetch_add(1);
  Notify();
}

void BroadcastEngine::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void BroadcastEngine::Changed(const std::string& broadcast_id, bool status_changed) {
  if (!listener_) {
    return;
  }
  if (!status_changed) {
    std::lock_guard lock(mu_);
    dirty_.insert(broadcast_id);
    return;
  }
  auto b = store_.GetById(broadcast_id);
  if (!b.ok() || !b->has_value()) {
    return;
  }
  {
    std::lock_guard lock(mu_);
    dirty_.erase(broadcast_id);
    last_told_[broadcast_id] = clock_.NowMillis();
  }
  listener_(**b, true);
}

void BroadcastEngine::RunNotifier() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_; });
    int64_t now = clock_.NowMillis();
    std::vector<std::string> due;
    for (auto it = dirty_.begin(); it != dirty_.end();) {
      if (last_told_[*it] + 1000 <= now) {
        due.push_back(*it);
        last_told_[*it] = now;
        it = dirty_.erase(it);
      } else {
        ++it;
      }
    }
    if (last_told_.size() > 10000) {
      std::erase_if(last_told_, [&](const auto& e) { return e.second + 60000 < now; });
    }
    lock.unlock();
    for (const auto& id : due) {
      auto b = store_.GetById(id);
      if (b.ok() && b->has_value() && listener_) {
        listener_(**b, false);
      }
    }
    lock.lock();
  }
}

void BroadcastEngine::Run() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (stop_) {
        return;
      }
    }
    Tick();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(options_.max_idle_ms),
                 [&] { return stop_ || notified_; });
    notified_ = false;
  }
}

void BroadcastEngine::Tick() {
  // Resolve what is due (one broadcast after another; their sends go on meanwhile).
  for (int i = 0; i < 100; ++i) {
    auto resolved = ResolveOnce();
    if (!resolved.ok()) {
      log::Warn("broadcast audience not resolved; retried later",
                {{"error", resolved.status().message()}});
      break;
    }
    if (!*resolved) {
      break;
    }
    std::lock_guard lock(mu_);
    if (stop_) {
      return;
    }
  }
  (void)store_.SweepCancelled();
  auto active = store_.ActiveIntegrations();
  if (!active.ok()) {
    log::Warn("broadcasts unreadable", {{"error", active.status().message()}});
    return;
  }
  std::map<std::string, int32_t> wanted(active->begin(), active->end());
  // Senders whose integration has nothing running any more, or that lost their lease, end.
  for (auto it = senders_.begin(); it != senders_.end();) {
    if (!wanted.contains(it->first) || it->second->lost()) {
      bool lost = it->second->lost();
      it->second->Stop();
      if (!lost) {
        (void)store_.ReleaseIntegrationLease(it->first, options_.owner);
      }
      it = senders_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [integration, rate] : wanted) {
    auto it = senders_.find(integration);
    if (it != senders_.end()) {
      it->second->SetRate(rate);
      it->second->Wake();
      continue;
    }
    int64_t now = clock_.NowMillis();
    auto held = store_.AcquireIntegrationLease(integration, options_.owner, now, options_.lease_ms);
    if (!held.ok() || !*held) {
      continue;  // another replica sends for it
    }
    // Whoever held it before is gone: what it left "sending" goes out again, same key.
    auto orphans = store_.RequeueOrphans(integration);
    if (orphans.ok() && *orphans > 0) {
      log::Info("broadcast recipients taken over from a previous sender",
                {{"integrationId", integration}, {"count", std::to_string(*orphans)}});
    }
    auto sender = std::make_unique<IntegrationSender>(*this, integration, rate);
    sender->Start();
    senders_.emplace(integration, std::move(sender));
  }
}

Result<bool> BroadcastEngine::ResolveOnce() {
  bool started = false;
  SALESOS_ASSIGN_OR_RETURN(auto claimed, store_.ClaimResolution(options_.owner, clock_.NowMillis(),
                                                                options_.lease_ms, &started));
  if (!claimed.has_value()) {
    return false;
  }
  if (started) {
    Changed(claimed->id, true);
  }
  SALESOS_RETURN_IF_ERROR(Resolve(std::move(*claimed)));
  return true;
}

Status BroadcastEngine::Resolve(BroadcastRecord b) {
  // The values every recipient shares.
  std::map<std::string, std::string> shared;
  auto campaign = campaigns_.Get(b.workspace_id, b.campaign_id);
  if (campaign.ok() && campaign->has_value()) {
    shared["campaign.name"] = (*campaign)->name;
    shared["product.name"] = (*campaign)->product.name();
    shared["product.description"] = (*campaign)->product.description();
    if ((*campaign)->price_minor > 0) {
      shared["product.price"] = FormatPrice((*campaign)->price_minor, (*campaign)->currency);
    }
  }
  if (peers_.business_name) {
    auto name = peers_.business_name(b.workspace_id);
    if (name.ok()) {
      shared["business.name"] = *name;
    }
  }
  std::string today = templates::DateOfUnixSeconds(clock_.NowSeconds());
  const v1::WhatsAppTemplate* wa =
      b.wa_template.has_value() && b.platform == "whatsapp" ? &*b.wa_template : nullptr;
  std::string token = b.resolve_token;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) {
        return OkStatus();  // the lease runs out; the next start resumes from `token`
      }
    }
    ResolveAudienceForServiceRequest req;
    req.set_workspace_id(b.workspace_id);
    *req.mutable_rules() = b.rules;
    req.set_platform(b.platform);
    req.set_page_size(options_.resolve_page_size);
    req.set_page_token(token);
    auto page = peers_.resolve_audience(req);
    int64_t now = clock_.NowMillis();
    if (!page.ok()) {
      Code c = page.status().code();
      if (c == Code::kInvalidArgument || c == Code::kNotFound) {
        SALESOS_ASSIGN_OR_RETURN(RecipientMove t,
                                 store_.FailResolution(b.id, options_.owner,
                                                       "the audience could not be resolved: " +
                                                           std::string(page.status().message()),
                                                       now));
        Changed(b.id, t.completed);
        return OkStatus();
      }
      return page.status();
    }
    std::vector<RecipientRecord> queued, failed;
    int64_t opted_out = 0;
    queued.reserve(page->members_size());
    for (const auto& m : page->members()) {
      if (m.opted_out()) {
        ++opted_out;
        continue;
      }
      RecipientRecord r;
      r.id = NewUuidV7(now);
      r.broadcast_id = b.id;
      r.workspace_id = b.workspace_id;
      r.integration_id = b.integration_id;
      r.contact_id = m.contact_id();
      r.name = !m.full_name().empty()
                   ? m.full_name()
                   : m.first_name() + (m.last_name().empty() ? "" : " ") + m.last_name();
      r.address = m.address();
      if (m.address().empty()) {
        r.status = "failed";
        r.error = "unreachable: the contact has no address on " + b.platform;
        failed.push_back(std::move(r));
        continue;
      }
      std::map<std::string, std::string> values = shared;
      values["contact.firstName"] = m.first_name();
      values["contact.lastName"] = m.last_name();
      values["contact.fullName"] = m.full_name();
      values["contact.email"] = m.email();
      values["contact.phone"] = m.phone();
      RecipientMessage msg = RenderForRecipient(b.body, wa, values, today);
      if (!msg.error.empty()) {
        r.status = "failed";
        r.error = std::move(msg.error);
        failed.push_back(std::move(r));
        continue;
      }
      r.status = "queued";
      r.text = std::move(msg.text);
      r.params = EncodeParams(msg.params);
      queued.push_back(std::move(r));
    }
    bool last = page->next_page_token().empty();
    SALESOS_ASSIGN_OR_RETURN(
        RecipientMove t,
        store_.AddRecipients(b.id, options_.owner, queued, failed, opted_out,
                             page->next_page_token(), last, now, options_.lease_ms));
    Changed(b.id, t.completed);
    if (!queued.empty()) {
      Notify();  // senders: new work
    }
    if (last) {
      log::Info("broadcast audience resolved", {{"broadcastId", b.id}});
      return OkStatus();
    }
    token = page->next_page_token();
  }
}

}  // namespace salesos::campaign
