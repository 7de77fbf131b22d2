// salesos-ai-orchestration: see README.md for what it owns and serves.
#include "ai_orchestration_lib_migrations.h"
#include "ai_orchestration_service.h"
#include "salesos/rpc/service_main.h"

int main(int argc, char** argv) {
  using namespace salesos;
  rpc::ServiceDefinition def;
  def.name = "ai_orchestration";
  def.default_listen = "127.0.0.1:50055";
  def.migrations = &ai_orchestration_lib_migrations();
  def.make_services = [](rpc::ServiceContext& ctx) {
    return rpc::Services(std::make_unique<ai_orchestration::AiOrchestrationService>(ctx.store));
  };
  return rpc::RunService(argc, argv, def);
}
