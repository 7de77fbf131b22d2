#include "ai_orchestration_service.h"

#include <algorithm>
#include <cmath>

#include "assistant.h"
#include "egress_guard.h"
#include "message_generator.h"
#include "reply_prompt.h"
#include "segment_rules_parser.h"
#include "summarizer.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/crypto/encoding.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/paging.h"
#include "salesos/templates/template_renderer.h"

namespace salesos::ai_orchestration {
namespace {

using templates::Utf8CodePoints;
namespace json = boost::json;

constexpr char kRunPageKind[] = "r1";
constexpr size_t kMaxMessages = 50;
constexpr long kMaxMessageChars = 4000;
constexpr size_t kMaxCacheEntries = 10'000;

Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("this call needs a workspace member's token");
  }
  return OkStatus();
}

bool IsSender(const std::string& s) { return s == "customer" || s == "ai" || s == "agent"; }

// Text a person typed: valid UTF-8, 1..max code points, no NUL.
bool IsText(const std::string& s, long max_chars) {
  long n = Utf8CodePoints(s);
  return n >= 1 && n <= max_chars && s.find('\0') == std::string::npos;
}

Result<std::vector<ai::ChatMessage>> MessagesOf(
    const google::protobuf::RepeatedPtrField<v1::ChatTurn>& turns) {
  if (turns.empty()) {
    return FieldError("messages", "must hold at least one message");
  }
  if (static_cast<size_t>(turns.size()) > kMaxMessages) {
    return FieldError("messages", "must hold at most 50 messages (the most recent ones)");
  }
  std::vector<ai::ChatMessage> out;
  bool customer = false;
  for (int i = 0; i < turns.size(); ++i) {
    const auto& t = turns[i];
    std::string at = "messages[" + std::to_string(i) + "]";
    if (!IsSender(t.sender())) {
      return FieldError(at + ".sender", "must be customer, ai or agent");
    }
    if (!IsText(t.content(), kMaxMessageChars)) {
      return FieldError(at + ".content", "must be 1 to 4000 characters of text");
    }
    int64_t at_ms = 0;
    if (!t.sent_at().empty()) {
      auto parsed = ParseRfc3339Millis(t.sent_at());
      if (!parsed) {
        return FieldError(at + ".sentAt", "must be an RFC 3339 time such as 2026-11-21T09:30:00Z");
      }
      at_ms = *parsed;
    }
    customer = customer || t.sender() == "customer";
    out.push_back({t.sender(), t.content(), at_ms});
  }
  if (!customer) {
    return FieldError("messages", "must hold a customer message to answer");
  }
  return out;
}

void FillStatus(const ai::TrainingStatus& st, v1::TrainingStatus* resp) {
  resp->set_trained(st.trained);
  resp->set_last_trained_at(st.last_trained_at_ms > 0 ? FormatRfc3339Millis(st.last_trained_at_ms)
                                                      : "");
  resp->set_documents(static_cast<int32_t>(st.documents));
  resp->set_chunks(static_cast<int32_t>(st.chunks));
}

void FillReply(const ai::ReplyOutput& out, v1::GenerateReplyResponse* resp) {
  resp->mutable_reply()->set_text(out.text);
  for (const auto& q : out.quick_replies) {
    resp->mutable_reply()->add_quick_replies(q);
  }
  resp->set_intent(std::string(ai::IntentName(out.intent)));
  resp->set_intent_confidence(out.intent_confidence);
  resp->mutable_sentiment()->set_score(out.sentiment.score);
  resp->mutable_sentiment()->set_label(out.sentiment.label);
  resp->set_language(out.language);
  auto* score = resp->mutable_lead_score();
  score->set_score(out.lead_score.score);
  score->mutable_factors()->set_engagement(out.lead_score.engagement);
  score->mutable_factors()->set_recency(out.lead_score.recency);
  score->mutable_factors()->set_frequency(out.lead_score.frequency);
  score->mutable_factors()->set_intent(out.lead_score.intent);
  score->mutable_factors()->set_qualification(out.lead_score.qualification);
  resp->set_suggested_status(out.suggested_status);
  resp->mutable_handoff()->set_required(out.handoff.required);
  resp->mutable_handoff()->set_reason(out.handoff.reason);
  for (const auto& hit : out.sources) {
    auto* s = resp->add_sources();
    s->set_chunk_id(hit.chunk_id);
    s->set_source(hit.source);
    s->set_title(hit.title);
    s->set_text(hit.text);
    s->set_score(hit.score);
  }
  if (out.recorded_answer) {
    auto* a = resp->mutable_recorded_answer();
    a->set_question_index(out.recorded_answer->question_index);
    a->set_question(out.recorded_answer->question);
    a->set_answer(out.recorded_answer->answer);
  }
  resp->set_asked_question_index(out.asked_question_index.value_or(-1));
}

std::string HostOf(const std::string& url) {
  auto parsed = ai::ParseEndpointUrl(url);
  return parsed.ok() ? parsed->host : "";
}

}  // namespace

AiOrchestrationService::AiOrchestrationService(ai::AiStore& store, ai::KnowledgeBase& knowledge,
                                               ai::ProviderChain& chain, ai::AiPeers& peers,
                                               const crypto::Aead& data_key,
                                               AiServiceOptions options, rpc::WorkPool& pool,
                                               const Clock& clock)
    : store_(store),
      knowledge_(knowledge),
      chain_(chain),
      peers_(peers),
      data_key_(data_key),
      options_(std::move(options)),
      pool_(pool),
      clock_(clock) {}

// ---- knowledge ------------------------------------------------------------------------------

Status AiOrchestrationService::DoTrain(const std::string& workspace_id,
                                       v1::TrainingStatus* resp) {
  // The start time is what the training covers: everything committed before it is read below.
  int64_t started = clock_.NowMillis();
  SALESOS_ASSIGN_OR_RETURN(ai::BusinessProfile profile, peers_.Profile(workspace_id));
  SALESOS_ASSIGN_OR_RETURN(auto campaigns, peers_.Campaigns(workspace_id));
  std::vector<ai::CampaignFacts> facts;
  facts.reserve(campaigns.size());
  for (const auto& c : campaigns) {
    facts.push_back(ai::FactsOf(c));
  }
  SALESOS_ASSIGN_OR_RETURN(ai::TrainingResult result,
                           knowledge_.Train(workspace_id, profile, facts, started));
  Forget(workspace_id);
  log::Info("trained", {{"workspace", workspace_id},
                        {"documents", result.documents},
                        {"chunks", result.chunks},
                        {"droppedChunks", result.dropped_chunks},
                        {"ms", clock_.NowMillis() - started}});
  if (resp != nullptr) {
    return DoGetTrainingStatus(workspace_id, resp);
  }
  return OkStatus();
}

Status AiOrchestrationService::DoGetTrainingStatus(const std::string& workspace_id,
                                                   v1::TrainingStatus* resp) {
  SALESOS_ASSIGN_OR_RETURN(ai::TrainingStatus st, knowledge_.GetStatus(workspace_id));
  FillStatus(st, resp);
  return OkStatus();
}

Status AiOrchestrationService::HandleEvent(const redis::StreamEntry& entry) {
  const std::string* raw = entry.Field("envelope");
  events::v1::EventEnvelope envelope;
  if (raw == nullptr || !envelope.ParseFromString(*raw)) {
    log::Warn("ignoring an event without a readable envelope", {{"entry", entry.id}});
    return OkStatus();
  }
  const std::string& type = envelope.type();
  const std::string& ws = envelope.workspace_id();
  bool retrain = type == "workspace.profile_updated" || type.rfind("campaign.", 0) == 0;
  if (ws.empty() || (!retrain && type != "workspace.deleted")) {
    return OkStatus();
  }
  Forget(ws);
  if (type == "workspace.deleted") {
    SALESOS_RETURN_IF_ERROR(knowledge_.DeleteWorkspace(ws));
    return store_.DeleteWorkspace(ws);
  }
  int64_t occurred = ParseRfc3339Millis(envelope.occurred_at()).value_or(clock_.NowMillis());
  SALESOS_ASSIGN_OR_RETURN(ai::TrainingStatus st, knowledge_.GetStatus(ws));
  if (st.trained && st.last_trained_at_ms > occurred) {
    return OkStatus();  // a training that started after this change already holds it
  }
  Status trained = DoTrain(ws, nullptr);
  if (trained.code() == Code::kNotFound) {
    return OkStatus();  // the workspace is gone; workspace.deleted cleans up
  }
  return trained;
}

// ---- facts, with a short cache dropped by events ----------------------------------------------

void AiOrchestrationService::Forget(const std::string& workspace_id) {
  std::lock_guard<std::mutex> lock(mu_);
  profile_cache_.erase(workspace_id);
  auto it = facts_cache_.lower_bound(workspace_id + "/");
  while (it != facts_cache_.end() && it->first.rfind(workspace_id + "/", 0) == 0) {
    it = facts_cache_.erase(it);
  }
}

Result<ai::CampaignFacts> AiOrchestrationService::CampaignFacts(const std::string& workspace_id,
                                                                const std::string& campaign_id) {
  std::string key = workspace_id + "/" + campaign_id;
  int64_t now = clock_.NowMillis();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = facts_cache_.find(key);
    if (it != facts_cache_.end() && now - it->second.fetched_at_ms < options_.facts_ttl_ms) {
      return *it->second.facts;
    }
  }
  auto campaign = peers_.Campaign(workspace_id, campaign_id);
  if (!campaign.ok()) {
    if (campaign.status().code() == Code::kNotFound ||
        campaign.status().code() == Code::kInvalidArgument) {
      return NotFound("no such campaign in this workspace");
    }
    return campaign.status();
  }
  ai::CampaignFacts facts = ai::FactsOf(*campaign);
  std::lock_guard<std::mutex> lock(mu_);
  if (facts_cache_.size() >= kMaxCacheEntries) {
    facts_cache_.clear();
  }
  facts_cache_[key] = Cached{now, facts, ""};
  return facts;
}

Result<std::string> AiOrchestrationService::BusinessName(const std::string& workspace_id) {
  int64_t now = clock_.NowMillis();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = profile_cache_.find(workspace_id);
    if (it != profile_cache_.end() && now - it->second.fetched_at_ms < options_.facts_ttl_ms) {
      return it->second.business_name;
    }
  }
  SALESOS_ASSIGN_OR_RETURN(ai::BusinessProfile profile, peers_.Profile(workspace_id));
  std::lock_guard<std::mutex> lock(mu_);
  if (profile_cache_.size() >= kMaxCacheEntries) {
    profile_cache_.clear();
  }
  profile_cache_[workspace_id] = Cached{now, std::nullopt, profile.business_name};
  return profile.business_name;
}

// ---- replies --------------------------------------------------------------------------------

Status AiOrchestrationService::DoGenerateReply(const v1::GenerateReplyRequest& req,
                                               const std::string& kind,
                                               v1::GenerateReplyResponse* resp) {
  int64_t started = MonotonicMillis();
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  const std::string& ws = req.workspace_id();
  SALESOS_ASSIGN_OR_RETURN(std::vector<ai::ChatMessage> messages, MessagesOf(req.messages()));

  ai::ReplyInput in;
  in.workspace_id = ws;
  in.messages = std::move(messages);
  in.now_ms = clock_.NowMillis();
  if (!req.campaign_id().empty()) {
    SALESOS_ASSIGN_OR_RETURN(in.campaign, CampaignFacts(ws, req.campaign_id()));
  }
  auto name = BusinessName(ws);
  if (name.ok()) {
    in.business_name = *name;
  } else {
    // The reply does not need the name; answering without it beats not answering.
    log::Warn("answering without the business name", {{"workspace", ws},
                                                      {"error", name.status().message()}});
  }
  const auto& contact = req.contact();
  if (Utf8CodePoints(contact.name()) > 200 || contact.tags_size() > 100) {
    return FieldError("contact", "name must be at most 200 characters and tags at most 100");
  }
  in.contact.name = contact.name();
  in.contact.locale = contact.locale();
  in.contact.tags.assign(contact.tags().begin(), contact.tags().end());
  in.contact.first_seen_ms = ParseRfc3339Millis(contact.first_seen_at()).value_or(0);
  in.contact.message_count = contact.message_count();
  for (const auto& a : req.answers()) {
    in.answers.push_back({a.question_index(), a.question(), a.answer()});
  }
  SALESOS_ASSIGN_OR_RETURN(auto searcher, knowledge_.Searcher(ws, req.campaign_id()));
  in.knowledge = searcher.get();

  ai::ReplyOutput out = engine_.Reply(in);

  SALESOS_ASSIGN_OR_RETURN(ai::ProviderSettings settings, EffectiveSettings(ws));
  std::optional<ai::LlmAttempt> attempt;
  bool used = false;
  if (settings.provider == ai::kProviderOpenAi) {
    attempt = chain_.Try(settings, ai::BuildReplyCall(in, out), ai::ReplyValidator(in));
    if (attempt->used) {
      used = true;
      out.text = std::string(attempt->output.at("reply").as_string());
      out.quick_replies.clear();
      if (const auto* quick = attempt->output.if_contains("quickReplies")) {
        for (const auto& q : quick->as_array()) {
          out.quick_replies.emplace_back(q.as_string());
        }
      }
    }
  }
  FillReply(out, resp);
  resp->set_provider(used ? ai::kProviderOpenAi : ai::kProviderBuiltin);
  resp->set_model(used ? attempt->model : "");
  resp->set_fallback_reason(attempt && !used ? attempt->fallback_reason : "");
  int64_t latency = MonotonicMillis() - started;
  resp->set_latency_ms(static_cast<int32_t>(latency));
  std::string run_id;
  LogRun(ws, kind, attempt ? &*attempt : nullptr, used, latency, req.conversation_id(),
         req.campaign_id(), resp->intent(), &run_id);
  resp->set_run_id(run_id);
  return OkStatus();
}

Status AiOrchestrationService::DoPreviewReply(const rpc::Caller& caller,
                                              const v1::PreviewReplyRequest& req,
                                              v1::GenerateReplyResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  v1::GenerateReplyRequest full;
  full.set_workspace_id(caller.workspace_id);
  full.set_campaign_id(req.campaign_id());
  *full.mutable_messages() = req.messages();
  return DoGenerateReply(full, "preview", resp);
}

// ---- settings -------------------------------------------------------------------------------

Result<ai::ProviderSettings> AiOrchestrationService::EffectiveSettings(
    const std::string& workspace_id) {
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.GetSettings(workspace_id));
  if (!rec.has_value()) {
    return options_.platform;
  }
  ai::ProviderSettings s;
  s.provider = rec->provider;
  s.base_url = rec->base_url;
  s.model = rec->model;
  s.temperature = rec->temperature;
  s.max_tokens = rec->max_tokens;
  s.timeout_ms = rec->timeout_ms;
  if (!rec->api_key_sealed.empty()) {
    auto sealed = crypto::Base64Decode(rec->api_key_sealed);
    auto key = sealed.ok() ? data_key_.Open(*sealed, workspace_id) : Result<std::string>(sealed.status());
    if (!key.ok()) {
      // A key that no longer opens (the data key changed): the endpoint would refuse us anyway.
      log::Error("cannot open the workspace's API key; using the built-in engine",
                 {{"workspace", workspace_id}, {"error", key.status().message()}});
      return ai::ProviderSettings{};
    }
    s.api_key = *key;
  }
  return s;
}

Status AiOrchestrationService::DoGetSettings(const std::string& workspace_id,
                                             v1::AiSettings* resp) {
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.GetSettings(workspace_id));
  if (!rec.has_value()) {
    resp->set_provider(ai::kProviderBuiltin);
    resp->set_temperature(ai::ProviderSettings{}.temperature);
    resp->set_max_tokens(ai::ProviderSettings{}.max_tokens);
    resp->set_timeout_ms(options_.platform.timeout_ms);
    resp->set_effective(options_.platform.provider == ai::kProviderOpenAi ? "platform"
                                                                          : "builtin");
    return OkStatus();
  }
  resp->set_provider(rec->provider);
  resp->set_base_url(rec->base_url);
  resp->set_model(rec->model);
  resp->set_api_key_set(!rec->api_key_sealed.empty());
  resp->set_temperature(rec->temperature);
  resp->set_max_tokens(rec->max_tokens);
  resp->set_timeout_ms(rec->timeout_ms);
  resp->set_updated_at(rec->updated_at);
  resp->set_effective(rec->provider == ai::kProviderOpenAi ? "workspace" : "builtin");
  return OkStatus();
}

Status AiOrchestrationService::DoPutSettings(const std::string& workspace_id,
                                             const v1::AiSettings& req, v1::AiSettings* resp) {
  std::vector<FieldViolation> bad;
  const std::string& provider = req.provider();
  if (provider != ai::kProviderBuiltin && provider != ai::kProviderOpenAi) {
    bad.push_back({"provider", "must be builtin or openai-compatible"});
  }
  if (provider == ai::kProviderOpenAi) {
    if (req.base_url().empty()) {
      bad.push_back({"baseUrl", "is required for an openai-compatible provider"});
    } else {
      Status url = ai::CheckBaseUrl(req.base_url(), options_.Egress());
      if (!url.ok()) {
        for (const auto& v : url.violations()) {
          bad.push_back(v);
        }
        if (url.violations().empty()) {
          bad.push_back({"baseUrl", url.message()});
        }
      }
    }
    if (!IsText(req.model(), 200)) {
      bad.push_back({"model", "is required: 1 to 200 characters, e.g. gpt-4o-mini"});
    }
  } else if (req.base_url().size() > 2048 || Utf8CodePoints(req.model()) > 200) {
    bad.push_back({"baseUrl", "must be at most 2048 characters (and model at most 200)"});
  }
  if (!req.api_key().empty() &&
      (req.api_key().size() > 512 ||
       std::any_of(req.api_key().begin(), req.api_key().end(),
                   [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))) {
    bad.push_back({"apiKey", "must be at most 512 printable characters without spaces"});
  }
  if (!std::isfinite(req.temperature()) || req.temperature() < 0 || req.temperature() > 2) {
    bad.push_back({"temperature", "must be between 0 and 2"});
  }
  if (req.max_tokens() < 0 || req.max_tokens() > 4096) {
    bad.push_back({"maxTokens", "must be between 1 and 4096 (0: the default, 800)"});
  }
  if (req.timeout_ms() != 0 && (req.timeout_ms() < 500 || req.timeout_ms() > 60000)) {
    bad.push_back({"timeoutMs", "must be between 500 and 60000 (0: the platform's default)"});
  }
  if (!bad.empty()) {
    std::string message = bad.front().field + ": " + bad.front().description;
    if (bad.size() > 1) {
      message += " (and " + std::to_string(bad.size() - 1) + " more)";
    }
    return Status(Code::kInvalidArgument, message, bad);
  }
  SALESOS_ASSIGN_OR_RETURN(auto old, store_.GetSettings(workspace_id));
  ai::SettingsRecord rec;
  rec.workspace_id = workspace_id;
  rec.provider = provider;
  rec.base_url = req.base_url();
  rec.model = req.model();
  if (!req.api_key().empty()) {
    rec.api_key_sealed = crypto::Base64Encode(data_key_.Seal(req.api_key(), workspace_id));
  } else if (!req.clear_api_key() && old.has_value()) {
    rec.api_key_sealed = old->api_key_sealed;
  }
  rec.temperature = req.temperature();
  rec.max_tokens = req.max_tokens() == 0 ? ai::ProviderSettings{}.max_tokens : req.max_tokens();
  rec.timeout_ms = req.timeout_ms() == 0 ? options_.platform.timeout_ms : req.timeout_ms();
  rec.updated_at = FormatRfc3339Millis(clock_.NowMillis());
  SALESOS_RETURN_IF_ERROR(store_.PutSettings(rec));
  log::Info("ai settings changed", {{"workspace", workspace_id},
                                    {"provider", provider},
                                    {"host", HostOf(rec.base_url)},
                                    {"apiKeySet", !rec.api_key_sealed.empty()}});
  return DoGetSettings(workspace_id, resp);
}

// ---- runs -----------------------------------------------------------------------------------

void AiOrchestrationService::LogRun(const std::string& workspace_id, const std::string& kind,
                                    const ai::LlmAttempt* attempt, bool used_endpoint,
                                    int64_t latency_ms, const std::string& conversation_id,
                                    const std::string& campaign_id, const std::string& intent,
                                    std::string* run_id) {
  ai::RunRecord run;
  run.id = NewUuidV7();
  run.workspace_id = workspace_id;
  run.kind = kind;
  run.provider = used_endpoint ? ai::kProviderOpenAi : ai::kProviderBuiltin;
  run.model = attempt != nullptr ? attempt->model : "";
  run.status = attempt != nullptr && !used_endpoint ? "fallback" : "ok";
  run.latency_ms = latency_ms;
  if (attempt != nullptr) {
    run.prompt_tokens = attempt->prompt_tokens;
    run.completion_tokens = attempt->completion_tokens;
    run.fallback_reason = used_endpoint ? "" : attempt->fallback_reason;
  }
  run.conversation_id = conversation_id;
  run.campaign_id = campaign_id;
  run.intent = intent;
  run.created_at = FormatRfc3339Millis(clock_.NowMillis());
  Status st = store_.AddRun(run);
  if (!st.ok()) {
    log::Warn("cannot log an ai run", {{"workspace", workspace_id}, {"error", st.message()}});
  }
  if (!run.fallback_reason.empty()) {
    log::Info("ai fell back to the built-in engine", {{"workspace", workspace_id},
                                                     {"kind", kind},
                                                     {"reason", run.fallback_reason},
                                                     {"run", run.id}});
  }
  if (run_id != nullptr) {
    *run_id = run.id;
  }
}

Status AiOrchestrationService::DoListRuns(const std::string& workspace_id,
                                          const v1::ListAiRunsRequest& req,
                                          v1::ListAiRunsResponse* resp) {
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string before, rpc::DecodePageToken(kRunPageKind, req.page_token()));
  if (req.conversation_id().size() > 100) {
    return FieldError("conversationId", "must be at most 100 characters");
  }
  if (req.kind().size() > 40) {
    return FieldError("kind", "must be at most 40 characters");
  }
  SALESOS_ASSIGN_OR_RETURN(
      auto runs, store_.ListRuns(workspace_id, {req.conversation_id(), req.kind()}, before,
                                 page_size + 1));
  const std::string next = rpc::TakePage(runs, page_size, kRunPageKind);
  for (const auto& r : runs) {
    auto* out = resp->add_runs();
    out->set_id(r.id);
    out->set_kind(r.kind);
    out->set_provider(r.provider);
    out->set_model(r.model);
    out->set_latency_ms(static_cast<int32_t>(r.latency_ms));
    out->set_prompt_tokens(r.prompt_tokens);
    out->set_completion_tokens(r.completion_tokens);
    out->set_fallback_reason(r.fallback_reason);
    out->set_conversation_id(r.conversation_id);
    out->set_campaign_id(r.campaign_id);
    out->set_intent(r.intent);
    out->set_created_at(r.created_at);
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

// ---- the other jobs -------------------------------------------------------------------------

template <typename T>
std::optional<T> AiOrchestrationService::TryEndpoint(const std::string& workspace_id,
                                                     const ai::LlmCall& call,
                                                     const ai::OutputValidator& validator,
                                                     Result<T> (*parse)(const json::object&),
                                                     std::optional<ai::LlmAttempt>* attempt) {
  auto settings = EffectiveSettings(workspace_id);
  if (!settings.ok() || settings->provider != ai::kProviderOpenAi) {
    return std::nullopt;
  }
  *attempt = chain_.Try(*settings, call, validator);
  if (!(*attempt)->used) {
    return std::nullopt;
  }
  Result<T> parsed = parse((*attempt)->output);
  if (!parsed.ok()) {
    // The validator passed it, so this is a shape the job cannot use after all.
    (*attempt)->used = false;
    (*attempt)->fallback_reason = ai::kReasonInvalid;
    (*attempt)->detail = parsed.status().message();
    return std::nullopt;
  }
  return std::move(*parsed);
}

template <typename Resp>
void AiOrchestrationService::Conclude(const std::string& workspace_id, const std::string& kind,
                                      int64_t started_ms,
                                      const std::optional<ai::LlmAttempt>& attempt, bool used,
                                      Resp* resp, const std::string& campaign_id,
                                      const std::string& conversation_id) {
  resp->set_provider(used ? ai::kProviderOpenAi : ai::kProviderBuiltin);
  resp->set_fallback_reason(attempt && !used ? attempt->fallback_reason : "");
  LogRun(workspace_id, kind, attempt ? &*attempt : nullptr, used,
         MonotonicMillis() - started_ms, conversation_id, campaign_id, "");
}

Status AiOrchestrationService::DoAskAssistant(const std::string& workspace_id,
                                              const v1::AskAssistantRequest& req,
                                              v1::AskAssistantResponse* resp) {
  int64_t started = MonotonicMillis();
  if (Status st = ai::ValidateQuestion(req.question()); !st.ok()) {
    return st;
  }
  ai::AssistantData data;
  auto name = BusinessName(workspace_id);
  data.workspace_name = name.ok() ? *name : "";
  SALESOS_ASSIGN_OR_RETURN(auto campaigns, peers_.Campaigns(workspace_id));
  for (const auto& c : campaigns) {
    ai::AssistantCampaign a;
    a.id = c.id();
    a.name = c.name();
    a.status = c.status();
    a.platform = c.target_platform();
    a.stats.messages_sent = c.stats().messages_sent();
    a.stats.responses = c.stats().responses();
    a.stats.conversions = c.stats().conversions();
    a.stats.revenue = c.stats().revenue();
    a.stats.currency = c.product().price() > 0 ? c.product().currency() : "";
    data.campaigns.push_back(std::move(a));
  }
  if (auto st = knowledge_.GetStatus(workspace_id); st.ok()) {
    data.training = ai::AssistantTraining{
        st->trained, static_cast<int>(st->documents), static_cast<int>(st->chunks),
        st->last_trained_at_ms > 0 ? FormatRfc3339Millis(st->last_trained_at_ms) : ""};
  }
  if (auto settings = EffectiveSettings(workspace_id); settings.ok()) {
    data.ai_provider = settings->provider;
  }
  std::optional<ai::LlmAttempt> attempt;
  auto from_endpoint = TryEndpoint<ai::AssistantAnswer>(
      workspace_id, ai::AssistantCall(req.question(), data),
      ai::AssistantValidator(req.question(), data), &ai::AssistantAnswerFromOutput, &attempt);
  ai::AssistantAnswer answer =
      from_endpoint ? std::move(*from_endpoint) : ai::Answer(req.question(), data);
  resp->set_answer(answer.answer);
  for (const auto& f : answer.facts) {
    auto* out = resp->add_facts();
    out->set_label(f.label);
    out->set_value(f.value);
  }
  for (const auto& s : answer.suggestions) {
    resp->add_suggestions(s);
  }
  Conclude(workspace_id, "assistant", started, attempt, from_endpoint.has_value(), resp);
  return OkStatus();
}

Status AiOrchestrationService::DoParseSegmentRules(const std::string& workspace_id,
                                                   const v1::ParseSegmentRulesRequest& req,
                                                   v1::ParseSegmentRulesResponse* resp) {
  int64_t started = MonotonicMillis();
  if (!IsText(req.text(), static_cast<long>(ai::kMaxSegmentTextChars))) {
    return FieldError("text", "must be 1 to 2000 characters of text");
  }
  std::string today = templates::DateOfUnixSeconds(clock_.NowSeconds());
  std::optional<ai::LlmAttempt> attempt;
  auto from_endpoint = TryEndpoint<ai::ParsedSegment>(
      workspace_id, ai::SegmentRulesCall(req.text(), today), ai::SegmentRulesValidator(),
      &ai::ParsedSegmentFromOutput, &attempt);
  ai::ParsedSegment parsed;
  if (from_endpoint) {
    parsed = std::move(*from_endpoint);
  } else {
    SALESOS_ASSIGN_OR_RETURN(parsed, ai::ParseSegmentText(req.text(), today));
  }
  *resp->mutable_rules() = parsed.rule;
  resp->set_explanation(parsed.explanation);
  for (const auto& u : parsed.unparsed) {
    resp->add_unparsed(u);
  }
  Conclude(workspace_id, "segment_rules", started, attempt, from_endpoint.has_value(), resp);
  return OkStatus();
}

Status AiOrchestrationService::DoGenerateMessages(const std::string& workspace_id,
                                                  const v1::GenerateMessagesRequest& req,
                                                  v1::GenerateMessagesResponse* resp) {
  int64_t started = MonotonicMillis();
  if (req.campaign_id().empty()) {
    return FieldError("campaignId", "is required: the campaign the messages sell");
  }
  ai::MessageRequest request{req.goal(), req.tone(), req.channel(), req.count()};
  SALESOS_ASSIGN_OR_RETURN(request, ai::NormalizeMessageRequest(request));
  SALESOS_ASSIGN_OR_RETURN(ai::CampaignFacts facts, CampaignFacts(workspace_id, req.campaign_id()));
  auto name = BusinessName(workspace_id);
  std::string business = name.ok() ? *name : "";
  std::optional<ai::LlmAttempt> attempt;
  auto from_endpoint = TryEndpoint<std::vector<ai::MessageVariant>>(
      workspace_id, ai::MessagesCall(request, facts, business),
      ai::MessagesValidator(request, facts, business), &ai::MessageVariantsFromOutput, &attempt);
  std::vector<ai::MessageVariant> variants;
  if (from_endpoint) {
    variants = std::move(*from_endpoint);
  } else {
    SALESOS_ASSIGN_OR_RETURN(variants, ai::GenerateMessageVariants(request, facts, business));
  }
  for (const auto& v : variants) {
    auto* out = resp->add_variants();
    out->set_text(v.text);
    for (const auto& name : v.variables) {
      out->add_variables(name);
    }
  }
  Conclude(workspace_id, "message_generation", started, attempt, from_endpoint.has_value(), resp,
           req.campaign_id());
  return OkStatus();
}

Status AiOrchestrationService::DoSummarize(const std::string& workspace_id,
                                           const v1::SummarizeRequest& req, v1::Summary* resp) {
  int64_t started = MonotonicMillis();
  if (req.conversation_id().empty() == req.transcript().empty()) {
    return FieldError("transcript", "give either conversationId or transcript (not both)");
  }
  std::vector<ai::TranscriptLine> lines;
  if (!req.transcript().empty()) {
    if (Utf8CodePoints(req.transcript()) < 0) {
      return FieldError("transcript", "is not valid UTF-8");
    }
    SALESOS_ASSIGN_OR_RETURN(lines, ai::ParseTranscript(req.transcript()));
  } else {
    if (req.conversation_id().size() > 100) {
      return FieldError("conversationId", "must be at most 100 characters");
    }
    auto messages = peers_.Transcript(workspace_id, req.conversation_id());
    if (!messages.ok()) {
      if (messages.status().code() == Code::kUnimplemented) {
        return Status(Code::kFailedPrecondition,
                      "conversation history is not available yet; send the transcript instead");
      }
      if (messages.status().code() == Code::kNotFound ||
          messages.status().code() == Code::kInvalidArgument) {
        return NotFound("no such conversation in this workspace");
      }
      return messages.status();
    }
    lines = ai::TranscriptFromMessages(*messages);
    if (lines.empty()) {
      return Status(Code::kFailedPrecondition, "the conversation has no messages to summarise");
    }
  }
  std::string today = templates::DateOfUnixSeconds(clock_.NowSeconds());
  std::optional<ai::LlmAttempt> attempt;
  auto from_endpoint = TryEndpoint<ai::SummaryResult>(
      workspace_id, ai::SummaryCall(lines, today), ai::SummaryValidator(lines),
      &ai::SummaryFromOutput, &attempt);
  ai::SummaryResult summary =
      from_endpoint ? std::move(*from_endpoint) : ai::Summarize(lines, today);
  resp->set_summary(summary.summary);
  for (const auto& k : summary.key_points) {
    resp->add_key_points(k);
  }
  for (const auto& a : summary.action_items) {
    auto* out = resp->add_action_items();
    out->set_description(a.description);
    out->set_due_date(a.due_date);
    out->set_priority(a.priority);
  }
  resp->mutable_sentiment()->set_overall(summary.sentiment);
  resp->mutable_sentiment()->set_score(summary.sentiment_score);
  for (const auto& t : summary.topics) {
    resp->add_topics(t);
  }
  Conclude(workspace_id, "summarize", started, attempt, from_endpoint.has_value(), resp, "",
           req.conversation_id());
  return OkStatus();
}

// ---- gRPC -----------------------------------------------------------------------------------

grpc::ServerUnaryReactor* AiOrchestrationService::Train(grpc::CallbackServerContext* ctx,
                                                        const v1::TrainRequest* /*req*/,
                                                        v1::TrainingStatus* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    return DoTrain(caller.workspace_id, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::GetTrainingStatus(
    grpc::CallbackServerContext* ctx, const v1::GetTrainingStatusRequest* /*req*/,
    v1::TrainingStatus* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    return DoGetTrainingStatus(caller.workspace_id, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::GenerateReply(
    grpc::CallbackServerContext* ctx, const v1::GenerateReplyRequest* req,
    v1::GenerateReplyResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller&) -> Status {
    return DoGenerateReply(*req, "reply", resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::PreviewReply(
    grpc::CallbackServerContext* ctx, const v1::PreviewReplyRequest* req,
    v1::GenerateReplyResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoPreviewReply(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::GetAiSettings(
    grpc::CallbackServerContext* ctx, const v1::GetAiSettingsRequest* /*req*/,
    v1::AiSettings* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    return DoGetSettings(caller.workspace_id, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::PutAiSettings(grpc::CallbackServerContext* ctx,
                                                                const v1::AiSettings* req,
                                                                v1::AiSettings* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    return DoPutSettings(caller.workspace_id, *req, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::ListAiRuns(grpc::CallbackServerContext* ctx,
                                                             const v1::ListAiRunsRequest* req,
                                                             v1::ListAiRunsResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    return DoListRuns(caller.workspace_id, *req, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::AskAssistant(
    grpc::CallbackServerContext* ctx, const v1::AskAssistantRequest* req,
    v1::AskAssistantResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    return DoAskAssistant(caller.workspace_id, *req, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::ParseSegmentRules(
    grpc::CallbackServerContext* ctx, const v1::ParseSegmentRulesRequest* req,
    v1::ParseSegmentRulesResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    return DoParseSegmentRules(caller.workspace_id, *req, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::GenerateMessages(
    grpc::CallbackServerContext* ctx, const v1::GenerateMessagesRequest* req,
    v1::GenerateMessagesResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    return DoGenerateMessages(caller.workspace_id, *req, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::SummarizeForService(
    grpc::CallbackServerContext* ctx, const v1::SummarizeForServiceRequest* req,
    v1::Summary* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& /*service*/) -> Status {
    if (req->workspace_id().empty()) {
      return FieldError("workspaceId", "is required");
    }
    if (req->conversation_id().empty()) {
      return FieldError("conversationId", "is required");
    }
    v1::SummarizeRequest by_id;
    by_id.set_conversation_id(req->conversation_id());
    return DoSummarize(req->workspace_id(), by_id, resp);
  });
}

grpc::ServerUnaryReactor* AiOrchestrationService::Summarize(grpc::CallbackServerContext* ctx,
                                                            const v1::SummarizeRequest* req,
                                                            v1::Summary* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    return DoSummarize(caller.workspace_id, *req, resp);
  });
}

}  // namespace salesos::ai_orchestration
