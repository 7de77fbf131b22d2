// salesos-conversation: see README.md for what it owns and serves.
#include <memory>

#include "conversation_lib_migrations.h"
#include "conversation_service.h"
#include "inbound_consumer.h"
#include "salesos/rpc/service_main.h"
#include "salesos/rpc/stream_consumer.h"

namespace {

struct ConversationState {
  std::unique_ptr<salesos::conversation::InboundConsumer> inbound;
  std::unique_ptr<salesos::rpc::StreamConsumer> consumer;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace salesos;
  ConversationState state;
  rpc::ServiceDefinition def;
  def.name = "conversation";
  def.default_listen = "127.0.0.1:50053";
  def.migrations = &conversation_lib_migrations();
  def.make_services =
      [&](rpc::ServiceContext& ctx) -> Result<std::vector<std::unique_ptr<grpc::Service>>> {
    auto service = std::make_unique<conversation::ConversationServiceImpl>(ctx.store, ctx.pool);
    state.inbound = std::make_unique<conversation::InboundConsumer>(
        ctx.store, conversation::CampaignsOf(ctx.peer("campaign"), ctx.service_tokens),
        &ctx.events);
    // salesos:inbound, not salesos:events: its own consumer, stopped in on_stop.
    rpc::StreamConsumerOptions options;
    options.stream = conversation::kInboundStream;
    options.group = "conversation";
    auto* inbound = state.inbound.get();
    state.consumer = std::make_unique<rpc::StreamConsumer>(
        ctx.redis, options,
        [inbound](const redis::StreamEntry& entry) { return inbound->Handle(entry); });
    state.consumer->Start();
    return rpc::Services(std::move(service));
  };
  def.on_stop = [&] {
    if (state.consumer) {
      state.consumer->Stop();
    }
  };
  return rpc::RunService(argc, argv, def);
}
