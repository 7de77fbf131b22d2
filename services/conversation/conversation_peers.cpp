#include "conversation_peers.h"

#include "salesos/ai_orchestration/v1/ai_orchestration.grpc.pb.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/campaign/v1/campaign.grpc.pb.h"
#include "salesos/core/time.h"
#include "salesos/rpc/status_mapping.h"

namespace salesos::conversation {
namespace {

// One unary call made as this service: deadline, token, the call, its status mapped.
template <typename Stub, typename Request, typename Response, typename Method>
Status CallAsService(Stub& stub, Method method, rpc::ServiceTokenSource& tokens, int timeout_ms,
                     const Request& req, Response* resp) {
  grpc::ClientContext ctx;
  SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(ctx, tokens, timeout_ms));
  grpc::Status st = (stub.*method)(&ctx, req, resp);
  return st.ok() ? OkStatus() : rpc::FromGrpc(st);
}

}  // namespace

CampaignResolver CampaignsOf(std::shared_ptr<grpc::Channel> campaign_channel,
                             rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<campaign::v1::CampaignService::Stub> stub =
      campaign::v1::CampaignService::NewStub(campaign_channel);
  return [stub, &tokens, timeout_ms](const std::string& workspace_id, const std::string& platform,
                                     const std::string& referral) -> Result<std::string> {
    campaign::v1::ResolveCampaignForChannelRequest req;
    req.set_workspace_id(workspace_id);
    req.set_platform(platform);
    req.set_referral(referral);
    campaign::v1::ResolveCampaignForChannelResponse resp;
    SALESOS_RETURN_IF_ERROR(
        CallAsService(*stub, &campaign::v1::CampaignService::Stub::ResolveCampaignForChannel,
                      tokens, timeout_ms, req, &resp));
    return resp.found() ? resp.campaign().id() : std::string();
  };
}

SegmentResolver SegmentsOf(std::shared_ptr<grpc::Channel> campaign_channel,
                           rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<campaign::v1::SegmentService::Stub> stub =
      campaign::v1::SegmentService::NewStub(campaign_channel);
  return [stub, &tokens, timeout_ms](const std::string& workspace_id,
                                     const std::string& segment_id)
             -> Result<common::v1::SegmentRule> {
    campaign::v1::GetSegmentForServiceRequest req;
    req.set_workspace_id(workspace_id);
    req.set_segment_id(segment_id);
    campaign::v1::Segment resp;
    SALESOS_RETURN_IF_ERROR(
        CallAsService(*stub, &campaign::v1::SegmentService::Stub::GetSegmentForService, tokens,
                      timeout_ms, req, &resp));
    return resp.rules();
  };
}

AiReplier RepliesOf(std::shared_ptr<grpc::Channel> ai_channel, rpc::ServiceTokenSource& tokens,
                    int timeout_ms) {
  std::shared_ptr<ai_orchestration::v1::AiOrchestrationService::Stub> stub =
      ai_orchestration::v1::AiOrchestrationService::NewStub(ai_channel);
  return [stub, &tokens, timeout_ms](const ai_orchestration::v1::GenerateReplyRequest& req)
             -> Result<ai_orchestration::v1::GenerateReplyResponse> {
    ai_orchestration::v1::GenerateReplyResponse resp;
    SALESOS_RETURN_IF_ERROR(
        CallAsService(*stub, &ai_orchestration::v1::AiOrchestrationService::Stub::GenerateReply,
                      tokens, timeout_ms, req, &resp));
    return resp;
  };
}

Summarizer SummariesOf(std::shared_ptr<grpc::Channel> ai_channel, rpc::ServiceTokenSource& tokens,
                       int timeout_ms) {
  std::shared_ptr<ai_orchestration::v1::AiOrchestrationService::Stub> stub =
      ai_orchestration::v1::AiOrchestrationService::NewStub(ai_channel);
  return [stub, &tokens, timeout_ms](const std::string& workspace_id,
                                     const std::string& conversation_id) -> Result<std::string> {
    ai_orchestration::v1::SummarizeForServiceRequest req;
    req.set_workspace_id(workspace_id);
    req.set_conversation_id(conversation_id);
    ai_orchestration::v1::Summary resp;
    SALESOS_RETURN_IF_ERROR(CallAsService(
        *stub, &ai_orchestration::v1::AiOrchestrationService::Stub::SummarizeForService, tokens,
        timeout_ms, req, &resp));
    return resp.summary();
  };
}

MemberCheck MembersOf(std::shared_ptr<grpc::Channel> auth_channel, rpc::ServiceTokenSource& tokens,
                      int timeout_ms) {
  std::shared_ptr<auth::v1::WorkspaceService::Stub> stub =
      auth::v1::WorkspaceService::NewStub(auth_channel);
  return [stub, &tokens, timeout_ms](const std::string& workspace_id,
                                     const std::string& user_id) -> Status {
    auth::v1::GetMemberForServiceRequest req;
    req.set_workspace_id(workspace_id);
    req.set_user_id(user_id);
    auth::v1::Member resp;
    return CallAsService(*stub, &auth::v1::WorkspaceService::Stub::GetMemberForService, tokens,
                         timeout_ms, req, &resp);
  };
}

GreetingRenderer GreetingsOf(std::shared_ptr<grpc::Channel> campaign_channel,
                             rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<campaign::v1::TemplateService::Stub> stub =
      campaign::v1::TemplateService::NewStub(campaign_channel);
  return [stub, &tokens, timeout_ms](const std::string& workspace_id,
                                     const std::string& template_id, const std::string& contact_id,
                                     const std::string& campaign_id,
                                     const std::string& occasion) -> Result<RenderedGreeting> {
    campaign::v1::RenderTemplateForServiceRequest req;
    req.set_workspace_id(workspace_id);
    req.set_template_id(template_id);
    req.set_contact_id(contact_id);
    req.set_campaign_id(campaign_id);
    (*req.mutable_sample())["occasion.name"] = occasion;
    campaign::v1::RenderTemplateForServiceResponse resp;
    SALESOS_RETURN_IF_ERROR(
        CallAsService(*stub, &campaign::v1::TemplateService::Stub::RenderTemplateForService, tokens,
                      timeout_ms, req, &resp));
    RenderedGreeting out;
    out.text = resp.text();
    if (resp.has_whatsapp() && !resp.whatsapp().name().empty()) {
      v1::TemplateMessage& message = out.whatsapp.emplace();
      message.set_name(resp.whatsapp().name());
      message.set_language(resp.whatsapp().language());
      for (const auto& c : resp.whatsapp().components()) {
        if (c.type() == "header" && c.parameters_size() > 0) {
          return FailedPrecondition(
              "the template's WhatsApp template has header parameters, which cannot be sent yet");
        }
        if (c.type() == "body") {
          message.mutable_parameters()->Add(c.parameters().begin(), c.parameters().end());
        }
      }
    }
    return out;
  };
}

ChannelCredentials::Fetch CredentialsOf(std::shared_ptr<grpc::Channel> auth_channel,
                                        rpc::ServiceTokenSource& tokens, int timeout_ms) {
  std::shared_ptr<auth::v1::ChannelService::Stub> stub =
      auth::v1::ChannelService::NewStub(auth_channel);
  return [stub, &tokens, timeout_ms](const std::string& integration_id) -> Result<ChannelAccess> {
    auth::v1::GetChannelCredentialsRequest req;
    req.set_integration_id(integration_id);
    auth::v1::ChannelCredentials resp;
    SALESOS_RETURN_IF_ERROR(CallAsService(*stub,
                                          &auth::v1::ChannelService::Stub::GetChannelCredentials,
                                          tokens, timeout_ms, req, &resp));
    ChannelAccess access;
    access.platform = resp.platform();
    access.external_id = resp.external_id();
    access.access_token = resp.access_token();
    access.workspace_id = resp.workspace_id();
    return access;
  };
}

Result<ChannelAccess> ChannelCredentials::Get(const std::string& integration_id) {
  const int64_t now = NowUnixMillis();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(integration_id);
    if (it != cache_.end() && it->second.expires_ms > now) {
      return it->second.access;
    }
  }
  SALESOS_ASSIGN_OR_RETURN(ChannelAccess access, fetch_(integration_id));
  std::lock_guard lock(mu_);
  cache_[integration_id] = {access, now + ttl_ms_};
  return access;
}

void ChannelCredentials::Forget(const std::string& integration_id) {
  std::lock_guard lock(mu_);
  cache_.erase(integration_id);
}

}  // namespace salesos::conversation
