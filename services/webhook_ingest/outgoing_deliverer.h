#pragma once

// OutgoingDeliverer: takes domain events in and posts them to the workspaces' webhooks
// (docs/webhooks.md).
//
// Intake (HandleEvent, on the salesos:events consumer): for each webhook of the event's workspace
// subscribed to its type ("*" for all; automation.webhook only to the webhook its payload names),
// one pending delivery row with the JSON body fixed. The row is unique per (webhook, event), so a
// stream entry handed over twice enqueues once; the entry is acknowledged only after the rows are
// committed, so nothing is lost when the process dies in between. workspace.deleted removes the
// workspace's webhooks and log.
//
// Delivery (a DueLoop over the rows): a due row is claimed with a lease (so replicas never post
// one delivery at once), posted with a fresh signature, and its outcome recorded: 2xx succeeded;
// anything else retried after 30 s, 1 min, 2 min, ... (at most 1 h; the base is a setting) until
// 24 h after the first attempt, then failed. The URL is checked again before every attempt by the
// egress guard (salesos/http/egress.h), which hands the client the addresses it checked: the
// client connects to exactly those, so DNS rebinding cannot reach a private address. A process
// that dies mid-attempt leaves the lease to run out; the delivery is tried again then (receivers
// dedupe on X-SalesOS-Event-Id).
//
// Thread-safe. The store, the key and the clock must outlive it.

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "salesos/rpc/due_loop.h"
#include "outgoing_store.h"
#include "salesos/core/status.h"
#include "salesos/core/time.h"
#include "salesos/crypto/aead.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/http/client.h"
#include "salesos/http/egress.h"
#include "salesos/redis/redis.h"

namespace salesos::webhook_ingest {

struct DelivererOptions {
  bool allow_private = false;     // --webhooks-allow-private
  http::EgressAllowList allow;    // --egress-allow: the private targets admitted without it
  int64_t retry_base_ms = 30000;  // --webhooks-retry-base-ms
  int timeout_ms = 10000;
  int concurrency = 4;
  int64_t lease_ms = 60000;       // longer than an attempt can take (DNS + timeout)
  int max_idle_ms = 1000;
  std::string extra_ca_pem;       // trusted besides the system store (tests)
};

// One HTTP exchange; the default is HttpClient::Send with the egress guard as resolver.
using WebhookSender = std::function<Result<http::HttpResponse>(const http::HttpRequest& request)>;

// The aad a webhook's secret is sealed with: it ties the sealed bytes to their row.
std::string SecretAad(const std::string& workspace_id, const std::string& webhook_id);

class OutgoingDeliverer {
 public:
  OutgoingDeliverer(OutgoingStore& store, const crypto::Aead& data_key, DelivererOptions options,
                    const Clock& clock = SystemClock(), WebhookSender sender = nullptr);
  ~OutgoingDeliverer();
  OutgoingDeliverer(const OutgoingDeliverer&) = delete;
  OutgoingDeliverer& operator=(const OutgoingDeliverer&) = delete;

  void Start();
  void Stop();
  // New work (an enqueued or redelivered delivery): look now rather than at the next idle wake.
  void Notify();

  // One salesos:events entry; an error leaves it pending for the consumer to retry.
  Status HandleEvent(const redis::StreamEntry& entry);
  // The deliveries `envelope` makes; how many rows were added.
  Result<int> Enqueue(const events::v1::EventEnvelope& envelope);

  // Attempts one delivery the caller claimed until `lease_until_ms` and records the outcome (the
  // loop's task; public for tests). Returns the outcome recorded.
  Result<AttemptOutcome> Attempt(const DeliveryRecord& delivery, int64_t lease_until_ms);

  const DelivererOptions& options() const { return options_; }

 private:
  Result<std::vector<std::function<void()>>> ClaimDue(int64_t now_ms, int max);

  OutgoingStore& store_;
  const crypto::Aead& data_key_;
  DelivererOptions options_;
  const Clock& clock_;
  std::unique_ptr<http::HttpClient> client_;
  WebhookSender sender_;
  std::atomic<int64_t> last_purge_ms_{0};
  std::unique_ptr<rpc::DueLoop> loop_;
};

}  // namespace salesos::webhook_ingest
