#pragma once

// AiOrchestrationService: the gRPC adapter of ai_orchestration. It validates requests, gathers
// what a job needs (the campaign and business profile over gRPC, the knowledge base, the
// workspace's model settings), runs the built-in engine, tries the configured endpoint through the
// provider chain, answers, and logs the run in ai_runs. The logic lives in builtin_engine,
// knowledge_base, provider_chain and the job files; this class only wires them.
//
// Each handler runs on the work pool after the call's access decision (rpc::Handle, the rpc's
// (salesos.api.access) rule). The Do* methods are public so tests can drive them without gRPC.
// Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "ai_peers.h"
#include "ai_store.h"
#include "ai_types.h"
#include "builtin_engine.h"
#include "knowledge_base.h"
#include "llm_types.h"
#include "provider_chain.h"
#include "salesos/ai_orchestration/v1/ai_orchestration.grpc.pb.h"
#include "salesos/core/time.h"
#include "salesos/http/egress.h"
#include "salesos/crypto/aead.h"
#include "salesos/redis/redis.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/work_pool.h"

namespace salesos::ai_orchestration {

namespace v1 = salesos::ai_orchestration::v1;

struct AiServiceOptions {
  // The platform's endpoint (SALESOS_AI_*); provider "builtin" when none is configured.
  ai::ProviderSettings platform;
  // SALESOS_ALLOW_PRIVATE_EGRESS: tenant-set base URLs may reach private addresses.
  bool allow_private_egress = false;
  // SALESOS_EGRESS_ALLOW: the private targets they may reach without that switch.
  http::EgressAllowList egress_allow;

  http::EgressPolicy Egress() const { return {allow_private_egress, egress_allow}; }
  // How long a campaign's facts and a business name are reused between replies (events about
  // them drop them at once).
  int64_t facts_ttl_ms = 30'000;
};

class AiOrchestrationService final : public v1::AiOrchestrationService::CallbackService {
 public:
  AiOrchestrationService(ai::AiStore& store, ai::KnowledgeBase& knowledge,
                         ai::ProviderChain& chain, ai::AiPeers& peers,
                         const crypto::Aead& data_key, AiServiceOptions options,
                         rpc::WorkPool& pool, const Clock& clock = SystemClock());

  grpc::ServerUnaryReactor* Train(grpc::CallbackServerContext* ctx, const v1::TrainRequest* req,
                                  v1::TrainingStatus* resp) override;
  grpc::ServerUnaryReactor* GetTrainingStatus(grpc::CallbackServerContext* ctx,
                                              const v1::GetTrainingStatusRequest* req,
                                              v1::TrainingStatus* resp) override;
  grpc::ServerUnaryReactor* GenerateReply(grpc::CallbackServerContext* ctx,
                                          const v1::GenerateReplyRequest* req,
                                          v1::GenerateReplyResponse* resp) override;
  grpc::ServerUnaryReactor* PreviewReply(grpc::CallbackServerContext* ctx,
                                         const v1::PreviewReplyRequest* req,
                                         v1::GenerateReplyResponse* resp) override;
  grpc::ServerUnaryReactor* GetAiSettings(grpc::CallbackServerContext* ctx,
                                          const v1::GetAiSettingsRequest* req,
                                          v1::AiSettings* resp) override;
  grpc::ServerUnaryReactor* PutAiSettings(grpc::CallbackServerContext* ctx,
                                          const v1::AiSettings* req,
                                          v1::AiSettings* resp) override;
  grpc::ServerUnaryReactor* ListAiRuns(grpc::CallbackServerContext* ctx,
                                       const v1::ListAiRunsRequest* req,
                                       v1::ListAiRunsResponse* resp) override;
  grpc::ServerUnaryReactor* AskAssistant(grpc::CallbackServerContext* ctx,
                                         const v1::AskAssistantRequest* req,
                                         v1::AskAssistantResponse* resp) override;
  grpc::ServerUnaryReactor* ParseSegmentRules(grpc::CallbackServerContext* ctx,
                                              const v1::ParseSegmentRulesRequest* req,
                                              v1::ParseSegmentRulesResponse* resp) override;
  grpc::ServerUnaryReactor* GenerateMessages(grpc::CallbackServerContext* ctx,
                                             const v1::GenerateMessagesRequest* req,
                                             v1::GenerateMessagesResponse* resp) override;
  grpc::ServerUnaryReactor* SummarizeForService(grpc::CallbackServerContext* ctx,
                                                const v1::SummarizeForServiceRequest* req,
                                                v1::Summary* resp) override;
  grpc::ServerUnaryReactor* Summarize(grpc::CallbackServerContext* ctx,
                                      const v1::SummarizeRequest* req,
                                      v1::Summary* resp) override;

  Status DoTrain(const std::string& workspace_id, v1::TrainingStatus* resp);
  Status DoGetTrainingStatus(const std::string& workspace_id, v1::TrainingStatus* resp);
  // kind: "reply" (conversation) or "preview" (the business's test drive).
  Status DoGenerateReply(const v1::GenerateReplyRequest& req, const std::string& kind,
                         v1::GenerateReplyResponse* resp);
  Status DoPreviewReply(const rpc::Caller& caller, const v1::PreviewReplyRequest& req,
                        v1::GenerateReplyResponse* resp);
  Status DoGetSettings(const std::string& workspace_id, v1::AiSettings* resp);
  Status DoPutSettings(const std::string& workspace_id, const v1::AiSettings& req,
                       v1::AiSettings* resp);
  Status DoListRuns(const std::string& workspace_id, const v1::ListAiRunsRequest& req,
                    v1::ListAiRunsResponse* resp);
  Status DoAskAssistant(const std::string& workspace_id, const v1::AskAssistantRequest& req,
                        v1::AskAssistantResponse* resp);
  Status DoParseSegmentRules(const std::string& workspace_id,
                             const v1::ParseSegmentRulesRequest& req,
                             v1::ParseSegmentRulesResponse* resp);
  Status DoGenerateMessages(const std::string& workspace_id, const v1::GenerateMessagesRequest& req,
                            v1::GenerateMessagesResponse* resp);
  Status DoSummarize(const std::string& workspace_id, const v1::SummarizeRequest& req,
                     v1::Summary* resp);

  // One entry of salesos:events: retrains on workspace.profile_updated and campaign.*, forgets a
  // workspace on workspace.deleted, ignores the rest. Idempotent: an event older than the last
  // training (which read everything committed before it started) changes nothing.
  Status HandleEvent(const redis::StreamEntry& entry);

  // The settings a job of the workspace runs with: the workspace's own when it saved any, else
  // the platform's.
  Result<ai::ProviderSettings> EffectiveSettings(const std::string& workspace_id);

  // The run log row of one job (kind, provider and outcome); never fails the job.
  void LogRun(const std::string& workspace_id, const std::string& kind,
              const ai::LlmAttempt* attempt, bool used_endpoint, int64_t latency_ms,
              const std::string& conversation_id, const std::string& campaign_id,
              const std::string& intent, std::string* run_id = nullptr);

 private:
  struct Cached {
    int64_t fetched_at_ms = 0;
    std::optional<ai::CampaignFacts> facts;
    std::string business_name;
  };
  // The endpoint's answer to a job, when the workspace has an endpoint and the answer passed
  // `validator` and `parse`; else nullopt, with the attempt (if any) for the run log.
  template <typename T>
  std::optional<T> TryEndpoint(const std::string& workspace_id, const ai::LlmCall& call,
                               const ai::OutputValidator& validator,
                               Result<T> (*parse)(const boost::json::object&),
                               std::optional<ai::LlmAttempt>* attempt);
  // The provider and fallbackReason fields of an answer, and its run log row.
  template <typename Resp>
  void Conclude(const std::string& workspace_id, const std::string& kind, int64_t started_ms,
                const std::optional<ai::LlmAttempt>& attempt, bool used, Resp* resp,
                const std::string& campaign_id = "", const std::string& conversation_id = "");

  Result<ai::CampaignFacts> CampaignFacts(const std::string& workspace_id,
                                          const std::string& campaign_id);
  Result<std::string> BusinessName(const std::string& workspace_id);
  void Forget(const std::string& workspace_id);

  ai::AiStore& store_;
  ai::KnowledgeBase& knowledge_;
  ai::ProviderChain& chain_;
  ai::AiPeers& peers_;
  const crypto::Aead& data_key_;
  AiServiceOptions options_;
  rpc::WorkPool& pool_;
  const Clock& clock_;
  ai::BuiltinEngine engine_;

  std::mutex mu_;
  std::map<std::string, Cached> facts_cache_;     // workspace + "/" + campaign id; guarded by mu_
  std::map<std::string, Cached> profile_cache_;   // workspace id; guarded by mu_
};

}  // namespace salesos::ai_orchestration
