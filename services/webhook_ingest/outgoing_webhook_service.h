#pragma once

// OutgoingWebhookServiceImpl: the gRPC adapter of outgoing webhooks
// (proto/salesos/webhook_ingest/v1/webhook_ingest.proto (OutgoingWebhookService), docs/webhooks.md). Rules live in
// outgoing_rules, SQL in outgoing_store, delivery in outgoing_deliverer.
//
// Each handler runs on the work pool after the call's access decision (rpc::Handle: admins and
// up), so the Do* methods only see callers the contract lets in; they are public so tests drive
// the logic without gRPC. Webhooks belong to the caller's workspace; other workspaces' ids answer
// 404. The secret is sealed with the data key and answered only by CreateWebhook.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>

#include "outgoing_store.h"
#include "salesos/core/time.h"
#include "salesos/crypto/aead.h"
#include "salesos/http/egress.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/webhook_ingest/v1/webhook_ingest.grpc.pb.h"

namespace salesos::webhook_ingest {

struct OutgoingServiceOptions {
  bool allow_private = false;  // --webhooks-allow-private: private targets and plain http
  http::EgressAllowList allow;  // --egress-allow: these private targets (plain http too)
  std::chrono::milliseconds dns_timeout{2000};
};

class OutgoingWebhookServiceImpl final : public v1::OutgoingWebhookService::CallbackService {
 public:
  // `notify` tells the deliverer a redelivery is due now.
  OutgoingWebhookServiceImpl(OutgoingStore& store, const crypto::Aead& data_key,
                             OutgoingServiceOptions options, rpc::WorkPool& pool,
                             std::function<void()> notify = nullptr,
                             const Clock& clock = SystemClock())
      : store_(store),
        data_key_(data_key),
        options_(options),
        pool_(pool),
        notify_(std::move(notify)),
        clock_(clock) {}

  grpc::ServerUnaryReactor* CreateWebhook(grpc::CallbackServerContext* ctx,
                                          const v1::Webhook* req, v1::Webhook* resp) override;
  grpc::ServerUnaryReactor* ListWebhooks(grpc::CallbackServerContext* ctx,
                                         const v1::ListWebhooksRequest* req,
                                         v1::ListWebhooksResponse* resp) override;
  grpc::ServerUnaryReactor* GetWebhook(grpc::CallbackServerContext* ctx,
                                       const v1::GetWebhookRequest* req,
                                       v1::Webhook* resp) override;
  grpc::ServerUnaryReactor* DeleteWebhook(grpc::CallbackServerContext* ctx,
                                          const v1::DeleteWebhookRequest* req,
                                          v1::DeleteWebhookResponse* resp) override;
  grpc::ServerUnaryReactor* ListWebhookDeliveries(grpc::CallbackServerContext* ctx,
                                                  const v1::ListWebhookDeliveriesRequest* req,
                                                  v1::ListWebhookDeliveriesResponse* resp) override;
  grpc::ServerUnaryReactor* RedeliverWebhookDelivery(grpc::CallbackServerContext* ctx,
                                                     const v1::RedeliverWebhookDeliveryRequest* req,
                                                     v1::WebhookDelivery* resp) override;

  Status DoCreate(const rpc::Caller& caller, const v1::Webhook& req, v1::Webhook* resp);
  Status DoList(const rpc::Caller& caller, const v1::ListWebhooksRequest& req,
                v1::ListWebhooksResponse* resp);
  Status DoGet(const rpc::Caller& caller, const v1::GetWebhookRequest& req, v1::Webhook* resp);
  Status DoDelete(const rpc::Caller& caller, const v1::DeleteWebhookRequest& req);
  Status DoListDeliveries(const rpc::Caller& caller, const v1::ListWebhookDeliveriesRequest& req,
                          v1::ListWebhookDeliveriesResponse* resp);
  Status DoRedeliver(const rpc::Caller& caller, const v1::RedeliverWebhookDeliveryRequest& req,
                     v1::WebhookDelivery* resp);

 private:
  OutgoingStore& store_;
  const crypto::Aead& data_key_;
  OutgoingServiceOptions options_;
  rpc::WorkPool& pool_;
  std::function<void()> notify_;
  const Clock& clock_;
};

// The answer form of a delivery row.
void FillDelivery(const DeliveryRecord& rec, v1::WebhookDelivery* out);

}  // namespace salesos::webhook_ingest
