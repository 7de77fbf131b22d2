// salesos-analytics: see README.md for what it owns and serves.
#include "analytics_lib_migrations.h"
#include "analytics_service.h"
#include "salesos/rpc/service_main.h"

int main(int argc, char** argv) {
  using namespace salesos;
  rpc::ServiceDefinition def;
  def.name = "analytics";
  def.default_listen = "127.0.0.1:50056";
  def.migrations = &analytics_lib_migrations();
  def.make_services = [](rpc::ServiceContext& ctx) {
    return rpc::Services(std::make_unique<analytics::AnalyticsService>(ctx.store));
  };
  return rpc::RunService(argc, argv, def);
}
