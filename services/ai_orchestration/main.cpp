// salesos-ai-orchestration: knowledge bases, replies, model settings, the AI run log and the other
// AI jobs. See README.md.
#include <memory>

#include "ai_orchestration_lib_migrations.h"
#include "ai_orchestration_service.h"
#include "egress_guard.h"
#include "salesos/core/log.h"
#include "salesos/data_admin/data_admin.h"
#include "salesos/rpc/data_key.h"
#include "salesos/rpc/events.h"
#include "salesos/rpc/service_main.h"

namespace {

struct AiState {
  std::optional<salesos::crypto::Aead> data_key;
  std::unique_ptr<salesos::ai::AiStore> store;
  std::unique_ptr<salesos::ai::SqlKnowledgeStore> knowledge_store;
  std::unique_ptr<salesos::ai::KnowledgeBase> knowledge;
  std::unique_ptr<salesos::ai::ProviderChain> chain;
  std::unique_ptr<salesos::ai::AiPeers> peers;
  std::unique_ptr<salesos::rpc::BackgroundReseal> reseal;  // API keys sealed with a previous key
};

bool Truthy(const std::string& v) { return v == "1" || v == "true" || v == "yes"; }

}  // namespace

int main(int argc, char** argv) {
  using namespace salesos;
  AiState state;
  rpc::ServiceDefinition def;
  def.name = "ai_orchestration";
  def.default_listen = "127.0.0.1:50055";
  def.migrations = &ai_orchestration_lib_migrations();
  def.add_settings = [](Config& c) {
    c.Add("ai-base-url", "",
          "the platform's OpenAI-compatible endpoint (e.g. https://api.openai.com/v1); empty: "
          "the built-in engine answers unless a workspace configures its own");
    c.Add("ai-model", "", "the platform endpoint's model, e.g. gpt-4o-mini");
    c.Add("ai-api-key", "", "the platform endpoint's API key", true);
    c.Add("ai-timeout-ms", "8000", "deadline of one endpoint call; past it the built-in answers");
    c.Add("allow-private-egress", "false",
          "let workspace-set base URLs reach private, loopback and link-local addresses (local "
          "tests; never on a shared platform)");
    c.Add("egress-allow", "",
          "the private targets workspace-set base URLs may reach while every other private "
          "address stays blocked: comma-separated networks, addresses and exact host names, "
          "each with an optional :port (e.g. 10.1.2.0/24,llm.internal:8000,[fd00::/8])");
    rpc::AddDataKeySettings(c, "workspaces' LLM API keys");
  };
  def.make_services = [&](rpc::ServiceContext& ctx)
      -> Result<std::vector<std::unique_ptr<grpc::Service>>> {
    auto key = rpc::LoadDataKey(ctx.config);
    if (!key.ok()) {
      return key.status();
    }
    state.data_key.emplace(std::move(*key));
    state.reseal = std::make_unique<rpc::BackgroundReseal>(
        ctx.store,
        std::vector<rpc::SealedColumn>{
            {"ai_settings", "workspace_id", "api_key_sealed", {},
             [](const std::string& id, const std::vector<std::string>&) { return id; }}},
        *state.data_key);
    ai_orchestration::AiServiceOptions options;
    options.allow_private_egress = Truthy(ctx.config.Get("allow-private-egress"));
    auto egress_allow = http::EgressAllowList::Parse(ctx.config.Get("egress-allow"));
    if (!egress_allow.ok()) {
      return InvalidArgument("bad configuration: --egress-allow (SALESOS_EGRESS_ALLOW): " +
                             egress_allow.status().message());
    }
    options.egress_allow = std::move(*egress_allow);
    if (options.allow_private_egress) {
      log::Warn(
          "SALESOS_ALLOW_PRIVATE_EGRESS is on: workspace-set AI endpoints may reach every private "
          "address");
    } else if (!options.egress_allow.empty()) {
      log::Info("workspace-set AI endpoints may reach these private targets",
                {{"egressAllow", options.egress_allow.ToString()}});
    }
    int64_t timeout = ctx.config.GetInt("ai-timeout-ms");
    if (timeout < 100 || timeout > 120000) {
      return InvalidArgument(
          "bad configuration: --ai-timeout-ms (SALESOS_AI_TIMEOUT_MS) must be 100 to 120000");
    }
    options.platform.timeout_ms = static_cast<int>(timeout);
    const std::string& base_url = ctx.config.Get("ai-base-url");
    if (!base_url.empty()) {
      auto parsed = ai::ParseEndpointUrl(base_url);
      if (!parsed.ok()) {
        return InvalidArgument("bad configuration: --ai-base-url (SALESOS_AI_BASE_URL): " +
                               parsed.status().message());
      }
      if (ctx.config.Get("ai-model").empty()) {
        return InvalidArgument(
            "bad configuration: --ai-model (SALESOS_AI_MODEL) is required with --ai-base-url");
      }
      options.platform.provider = ai::kProviderOpenAi;
      options.platform.base_url = base_url;
      options.platform.model = ctx.config.Get("ai-model");
      options.platform.api_key = ctx.config.Get("ai-api-key");
    }
    state.store = std::make_unique<ai::AiStore>(ctx.store);
    state.knowledge_store = std::make_unique<ai::SqlKnowledgeStore>(ctx.store);
    state.knowledge = std::make_unique<ai::KnowledgeBase>(*state.knowledge_store);
    // The platform's own endpoint is the operator's choice, so only tenant-set URLs are held to
    // the egress policy; the chain checks every call against it.
    state.chain = std::make_unique<ai::ProviderChain>(options.Egress());
    state.peers = std::make_unique<ai::AiPeers>(
        ai::PeerChannels{ctx.peer("auth"), ctx.peer("campaign"), ctx.peer("conversation")},
        ctx.service_tokens);
    auto service = std::make_unique<ai_orchestration::AiOrchestrationService>(
        *state.store, *state.knowledge, *state.chain, *state.peers, *state.data_key, options,
        ctx.pool);
    auto* handler = service.get();
    ctx.consume_events(
        [handler](const redis::StreamEntry& entry) { return handler->HandleEvent(entry); });
    // No collections of its own in the data manager: DataAdmin here answers Health (its database).
    return rpc::Services(std::move(service),
                         std::make_unique<data_admin::DataAdminServiceImpl>(
                             std::make_unique<data_admin::Catalog>(
                                 ctx.store, "ai_orchestration", std::vector<data_admin::Collection>{}),
                             ctx.events, ctx.pool));
  };
  def.on_stop = [&state] {
    if (state.reseal) {
      state.reseal->Stop();
    }
  };
  return rpc::RunService(argc, argv, def);
}
