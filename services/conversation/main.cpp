// salesos-conversation: see README.md for what it owns and serves.
#include "conversation_lib_migrations.h"
#include "conversation_service.h"
#include "salesos/rpc/service_main.h"

int main(int argc, char** argv) {
  using namespace salesos;
  rpc::ServiceDefinition def;
  def.name = "conversation";
  def.default_listen = "127.0.0.1:50053";
  def.migrations = &conversation_lib_migrations();
  def.make_services = [](rpc::ServiceContext& ctx) {
    return rpc::Services(std::make_unique<conversation::ConversationService>(ctx.store));
  };
  return rpc::RunService(argc, argv, def);
}
