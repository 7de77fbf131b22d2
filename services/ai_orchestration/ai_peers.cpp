#include "ai_peers.h"

#include "salesos/core/money.h"
#include "salesos/core/time.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/status_mapping.h"

namespace salesos::ai {

CampaignFacts FactsOf(const campaign::v1::Campaign& c) {
  CampaignFacts f;
  f.id = c.id();
  f.name = c.name();
  f.product_name = c.product().name();
  f.product_description = c.product().description();
  f.currency = c.product().currency().empty() ? kDefaultCurrency : c.product().currency();
  // Campaign stored the price exactly; the double it answers with reads back exactly.
  auto minor = PriceToMinor(c.product().price(), f.currency);
  f.has_price = minor.ok() && *minor > 0;
  f.price_minor = minor.ok() ? *minor : 0;
  f.features.assign(c.product().features().begin(), c.product().features().end());
  f.greeting = c.chat_flow().greeting();
  f.qualification_questions.assign(c.chat_flow().qualification_questions().begin(),
                                   c.chat_flow().qualification_questions().end());
  for (const auto& o : c.chat_flow().objection_handling()) {
    f.objections.push_back({o.objection(), o.response()});
  }
  f.closing_message = c.chat_flow().closing_message();
  return f;
}

BusinessProfile ProfileOf(const auth::v1::BusinessInfo& info) {
  BusinessProfile p;
  p.business_name = info.business_name();
  p.industry = info.industry();
  p.description = info.description();
  p.website = info.website();
  p.phone = info.phone();
  for (const auto& d : info.documents()) {
    p.documents.push_back({d.name(), d.url(), d.content()});
  }
  return p;
}

AiPeers::AiPeers(PeerChannels channels, rpc::ServiceTokenSource& tokens, int timeout_ms)
    : workspaces_(auth::v1::WorkspaceService::NewStub(channels.auth)),
      campaigns_(campaign::v1::CampaignService::NewStub(channels.campaign)),
      conversations_(conversation::v1::ConversationService::NewStub(channels.conversation)),
      tokens_(tokens),
      timeout_ms_(timeout_ms) {}

Result<std::unique_ptr<grpc::ClientContext>> AiPeers::Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  SALESOS_RETURN_IF_ERROR(rpc::PrepareServiceCall(*ctx, tokens_, timeout_ms_));
  return ctx;
}

Result<campaign::v1::Campaign> AiPeers::Campaign(const std::string& workspace_id,
                                                 const std::string& id) {
  SALESOS_ASSIGN_OR_RETURN(auto ctx, Context());
  campaign::v1::GetCampaignForServiceRequest req;
  req.set_workspace_id(workspace_id);
  req.set_id(id);
  campaign::v1::Campaign resp;
  grpc::Status st = campaigns_->GetCampaignForService(ctx.get(), req, &resp);
  if (!st.ok()) {
    return rpc::FromGrpc(st);
  }
  return resp;
}

Result<std::vector<campaign::v1::Campaign>> AiPeers::Campaigns(const std::string& workspace_id,
                                                               int max_campaigns) {
  std::vector<campaign::v1::Campaign> out;
  std::string token;
  do {
    SALESOS_ASSIGN_OR_RETURN(auto ctx, Context());
    campaign::v1::ListCampaignsForServiceRequest req;
    req.set_workspace_id(workspace_id);
    req.set_page_size(200);
    req.set_page_token(token);
    campaign::v1::ListCampaignsResponse resp;
    grpc::Status st = campaigns_->ListCampaignsForService(ctx.get(), req, &resp);
    if (!st.ok()) {
      return rpc::FromGrpc(st);
    }
    for (auto& c : *resp.mutable_campaigns()) {
      if (static_cast<int>(out.size()) >= max_campaigns) {
        return out;
      }
      out.push_back(std::move(c));
    }
    token = resp.next_page_token();
  } while (!token.empty());
  return out;
}

Result<BusinessProfile> AiPeers::Profile(const std::string& workspace_id) {
  SALESOS_ASSIGN_OR_RETURN(auto ctx, Context());
  auth::v1::GetBusinessProfileForServiceRequest req;
  req.set_workspace_id(workspace_id);
  auth::v1::Onboarding resp;
  grpc::Status st = workspaces_->GetBusinessProfileForService(ctx.get(), req, &resp);
  if (!st.ok()) {
    return rpc::FromGrpc(st);
  }
  return ProfileOf(resp.business_info());
}

Result<std::vector<ChatMessage>> AiPeers::Transcript(const std::string& workspace_id,
                                                     const std::string& conversation_id) {
  SALESOS_ASSIGN_OR_RETURN(auto ctx, Context());
  conversation::v1::GetTranscriptForServiceRequest req;
  req.set_workspace_id(workspace_id);
  req.set_conversation_id(conversation_id);
  req.set_limit(1000);
  conversation::v1::Transcript resp;
  grpc::Status st = conversations_->GetTranscriptForService(ctx.get(), req, &resp);
  if (!st.ok()) {
    return rpc::FromGrpc(st);
  }
  std::vector<ChatMessage> out;
  for (const auto& m : resp.messages()) {
    out.push_back({m.sender(), m.content(), ParseRfc3339Millis(m.sent_at()).value_or(0)});
  }
  return out;
}

}  // namespace salesos::ai
