// salesos-conversation: see README.md for what it owns and serves.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <memory>

#include "ai_turns.h"
#include "automation_engine.h"
#include "automation_service.h"
#include "contact_service.h"
#include "contact_views.h"
#include "conversation_views.h"
#include "import_jobs.h"
#include "conversation_data_store.h"
#include "conversation_lib_migrations.h"
#include "conversation_peers.h"
#include "conversation_service.h"
#include "graph_client.h"
#include "inbound_consumer.h"
#include "notifier.h"
#include "outbox.h"
#include "occasions.h"
#include "outreach.h"
#include "salesos/data_admin/data_admin.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/realtime.h"
#include "salesos/rpc/service_main.h"
#include "salesos/rpc/stream_consumer.h"

namespace {

struct ConversationState {
  std::unique_ptr<salesos::conversation::ConversationStore> store;
  std::unique_ptr<salesos::conversation::Notifier> notifier;
  std::unique_ptr<salesos::conversation::GraphClient> graph;
  std::unique_ptr<salesos::conversation::ChannelCredentials> credentials;
  std::unique_ptr<salesos::conversation::Outbox> outbox;
  std::unique_ptr<salesos::conversation::Outreach> outreach;
  std::unique_ptr<salesos::conversation::Occasions> occasions;
  std::unique_ptr<salesos::conversation::AiTurnController> turns;
  std::unique_ptr<salesos::conversation::InboundConsumer> inbound;
  std::unique_ptr<salesos::conversation::ImportJobs> imports;
  std::unique_ptr<salesos::rpc::StreamConsumer> consumer;
  std::unique_ptr<salesos::conversation::AutomationEngine> automations;
};

// Customers whose inbound messages conversation applies side by side (InboundConsumer::OrderKey).
constexpr int kInboundConcurrency = 8;

}  // namespace

int main(int argc, char** argv) {
  using namespace salesos;
  ConversationState state;
  rpc::ServiceDefinition def;
  def.name = "conversation";
  def.default_listen = "127.0.0.1:50053";
  def.migrations = &conversation_lib_migrations();
  def.add_settings = [](Config& c) {
    c.Add("ai-debounce-ms", "1200",
          "how long the AI waits after a customer's message for the burst to end before it "
          "answers (0 to 60000)");
    c.Add("graph-api-base", "https://graph.facebook.com/v21.0",
          "the Meta Graph API the Send APIs are called on (tests: a local server)");
    c.Add("work-lease-ms", "30000",
          "how long an AI turn or a send is held by the replica working on it; a crashed "
          "replica's work is taken over after this (2000 to 300000)");
  };
  def.make_services =
      [&](rpc::ServiceContext& ctx) -> Result<std::vector<std::unique_ptr<grpc::Service>>> {
    const int64_t debounce = ctx.config.GetInt("ai-debounce-ms");
    if (debounce < 0 || debounce > 60000) {
      return InvalidArgument(
          "bad configuration: --ai-debounce-ms (SALESOS_AI_DEBOUNCE_MS) must be 0 to 60000");
    }
    const int64_t lease = ctx.config.GetInt("work-lease-ms");
    if (lease < 2000 || lease > 300000) {
      return InvalidArgument(
          "bad configuration: --work-lease-ms (SALESOS_WORK_LEASE_MS) must be 2000 to 300000");
    }
    // Every remote call ends well inside its lease, so no other replica takes the work over while
    // it is still in flight.
    conversation::GraphClientOptions graph_options;
    graph_options.timeout_ms = static_cast<int>(std::min<int64_t>(10000, lease / 2));
    auto graph = conversation::GraphClient::Create(ctx.config.Get("graph-api-base"), graph_options);
    if (!graph.ok()) {
      return InvalidArgument("bad configuration: --graph-api-base (SALESOS_GRAPH_API_BASE): " +
                             graph.status().message());
    }
    state.graph = std::move(*graph);
    state.store = std::make_unique<conversation::ConversationStore>(ctx.store);
    state.notifier = std::make_unique<conversation::Notifier>(*state.store, ctx.redis, &ctx.events);
    state.credentials = std::make_unique<conversation::ChannelCredentials>(
        conversation::CredentialsOf(ctx.auth_channel, ctx.service_tokens));
    conversation::OutboxOptions outbox_options;
    outbox_options.lease_ms = lease;
    state.outbox = std::make_unique<conversation::Outbox>(
        ctx.store, *state.graph, *state.credentials, *state.notifier, outbox_options);
    conversation::AiTurnOptions turn_options;
    turn_options.lease_ms = lease;
    auto* outbox = state.outbox.get();
    turn_options.on_reply = [outbox] { outbox->Notify(); };
    turn_options.summarize =
        conversation::SummariesOf(ctx.peer("ai_orchestration"), ctx.service_tokens,
                                  static_cast<int>(lease * 3 / 4));
    state.turns = std::make_unique<conversation::AiTurnController>(
        ctx.store,
        conversation::RepliesOf(ctx.peer("ai_orchestration"), ctx.service_tokens,
                                static_cast<int>(lease * 3 / 4)),
        *state.notifier, turn_options);
    auto* turns = state.turns.get();

    conversation::ConversationDeps deps;
    deps.notifier = state.notifier.get();
    deps.members = conversation::MembersOf(ctx.auth_channel, ctx.service_tokens);
    deps.wake_outbox = [outbox] { outbox->Notify(); };
    deps.wake_ai = [turns] { turns->Notify(); };
    deps.ai_debounce_ms = debounce;
    state.outreach = std::make_unique<conversation::Outreach>(
        ctx.store, *state.outbox, *state.credentials, *state.notifier, lease);
    deps.outreach = state.outreach.get();
    conversation::OccasionsOptions occasion_options;
    occasion_options.lease_ms = lease;
    state.occasions = std::make_unique<conversation::Occasions>(
        ctx.store, *state.outreach,
        conversation::GreetingsOf(ctx.peer("campaign"), ctx.service_tokens), occasion_options);
    auto service =
        std::make_unique<conversation::ConversationServiceImpl>(ctx.store, ctx.pool, deps);

    // Contacts written before the CRM migration get their created_ms (rules need it).
    SALESOS_RETURN_IF_ERROR(conversation::ContactStore(ctx.store).BackfillCreatedMs());
    redis::ClientPtr redis = ctx.redis;
    auto publish = [redis](const std::string& type, const std::string& workspace_id,
                           const std::string& json) {
      if (redis) {
        (void)rpc::PublishRealtime(*redis, {type, workspace_id, "", json});
      }
    };
    conversation::ImportJobsOptions import_options;
    import_options.lease_ms = lease;
    // Imported contacts are contact.created events too (automations run on them).
    import_options.on_created = [events = &ctx.events](const std::string& workspace_id,
                                                        const std::vector<std::string>& ids) {
      for (const auto& id : ids) {
        events::v1::ContactCreated created;
        created.set_workspace_id(workspace_id);
        created.set_contact_id(id);
        created.set_source("import");
        (void)events->Publish("contact.created", workspace_id, created);
      }
    };
    state.imports = std::make_unique<conversation::ImportJobs>(
        ctx.store,
        [publish](const conversation::JobRow& job) {
          conversation::v1::Job view;
          conversation::FillJob(job, &view);
          publish("job.updated", job.workspace_id, conversation::ToJson(view));
        },
        import_options);
    auto* imports = state.imports.get();
    conversation::ContactDeps contact_deps;
    contact_deps.segments = conversation::SegmentsOf(ctx.peer("campaign"), ctx.service_tokens);
    // A contact made by hand or the API is also a domain event (automations' contact.created).
    rpc::EventPublisher* events = &ctx.events;
    contact_deps.publish = [publish, events](const std::string& type,
                                             const std::string& workspace_id,
                                             const std::string& json) {
      publish(type, workspace_id, json);
      if (type == "contact.created") {
        conversation::v1::Contact made;
        if (google::protobuf::util::JsonStringToMessage(json, &made).ok()) {
          events::v1::ContactCreated created;
          created.set_workspace_id(workspace_id);
          created.set_contact_id(made.id());
          created.set_source(made.source());
          (void)events->Publish("contact.created", workspace_id, created);
        }
      }
    };
    contact_deps.wake_imports = [imports] { imports->Notify(); };
    auto contacts = std::make_unique<conversation::ContactServiceImpl>(ctx.store, ctx.pool,
                                                                       std::move(contact_deps));

    conversation::InboundOptions inbound_options;
    inbound_options.ai_debounce_ms = debounce;
    inbound_options.on_ai_turn = [turns](int64_t due_ms) { turns->NotifyDue(due_ms); };
    state.inbound = std::make_unique<conversation::InboundConsumer>(
        ctx.store, conversation::CampaignsOf(ctx.peer("campaign"), ctx.service_tokens),
        *state.notifier, inbound_options);
    // salesos:inbound, not salesos:events: its own consumer, stopped in on_stop.
    rpc::StreamConsumerOptions options;
    options.stream = conversation::kInboundStream;
    options.group = "conversation";
    // Named after the host and the listen address (see StableConsumerName).
    options.consumer = rpc::StableConsumerName("conversation", ctx.config.Get("listen"));
    // Each message waits on SQLite and Redis round trips: one customer's in order, several
    // customers' side by side, so a busy minute does not queue every customer behind the others.
    options.concurrency = kInboundConcurrency;
    // A batch is acknowledged when its slowest entry is done and only then is the next read:
    // small batches keep a message from waiting behind many others that came just before it.
    options.batch = kInboundConcurrency;
    options.key = conversation::InboundConsumer::OrderKey;
    auto* inbound = state.inbound.get();
    state.consumer = std::make_unique<rpc::StreamConsumer>(
        ctx.redis, options,
        [inbound](const redis::StreamEntry& entry) { return inbound->Handle(entry); });
    state.outbox->Start();
    state.turns->Start();
    state.consumer->Start();
    state.imports->Start();
    state.occasions->Start();
    // Automations: rules run on salesos:events (this service's consumer group), and the daily loop.
    conversation::AutomationEngineDeps automation_deps;
    automation_deps.conversations = service.get();
    automation_deps.contacts = contacts.get();
    automation_deps.notifier = state.notifier.get();
    automation_deps.events = &ctx.events;
    automation_deps.wake_outbox = [outbox] { outbox->Notify(); };
    automation_deps.render_template =
        conversation::GreetingsOf(ctx.peer("campaign"), ctx.service_tokens);
    state.automations =
        std::make_unique<conversation::AutomationEngine>(ctx.store, automation_deps);
    auto* automations = state.automations.get();
    ctx.consume_events(
        [automations](const redis::StreamEntry& entry) { return automations->Handle(entry); });
    state.automations->Start();
    auto automation_service = std::make_unique<conversation::AutomationServiceImpl>(
        ctx.store, ctx.pool, conversation::MembersOf(ctx.auth_channel, ctx.service_tokens));
    return rpc::Services(std::move(service), std::move(contacts), std::move(automation_service),
                         std::make_unique<data_admin::DataAdminServiceImpl>(
                             conversation::ConversationDataCatalog(ctx.store), ctx.events, ctx.pool));
  };
  def.on_stop = [&] {
    // Intake first, then the AI (which feeds the outbox), then the outbox.
    if (state.consumer) {
      state.consumer->Stop();
    }
    if (state.turns) {
      state.turns->Stop();
    }
    if (state.outbox) {
      state.outbox->Stop();
    }
    if (state.automations) {
      state.automations->Stop();
    }
    if (state.imports) {
      state.imports->Stop();
    }
    if (state.occasions) {
      state.occasions->Stop();
    }
  };
  return rpc::RunService(argc, argv, def);
}
