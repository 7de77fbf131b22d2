// salesos-webhook-ingest: see README.md for what it owns and serves.

#include "webhook_ingest_service.h"
#include "salesos/rpc/service_main.h"

int main(int argc, char** argv) {
  using namespace salesos;
  rpc::ServiceDefinition def;
  def.name = "webhook_ingest";
  def.default_listen = "127.0.0.1:50054";
  def.migrations = nullptr;
  def.make_services = [](rpc::ServiceContext& ctx) {
    return rpc::Services(std::make_unique<webhook_ingest::WebhookIngestService>(ctx.store));
  };
  return rpc::RunService(argc, argv, def);
}
