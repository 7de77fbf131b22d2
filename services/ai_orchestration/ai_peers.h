#pragma once

// AiPeers: what ai_orchestration asks the other services for, over gRPC with its service token
// (every call has a deadline): a campaign's facts and the workspace's campaigns (campaign), the
// business profile (auth), a conversation's transcript (conversation). Converts their protos to
// the plain types of ai_types.h. Thread-safe.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ai_types.h"
#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/campaign/v1/campaign.grpc.pb.h"
#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/core/status.h"
#include "salesos/rpc/service_token.h"

namespace salesos::ai {

// The facts of a campaign as the AI may state them (price in exact minor units).
CampaignFacts FactsOf(const campaign::v1::Campaign& campaign);
BusinessProfile ProfileOf(const auth::v1::BusinessInfo& info);

struct PeerChannels {
  std::shared_ptr<grpc::Channel> auth;
  std::shared_ptr<grpc::Channel> campaign;
  std::shared_ptr<grpc::Channel> conversation;
};

class AiPeers {
 public:
  AiPeers(PeerChannels channels, rpc::ServiceTokenSource& tokens, int timeout_ms = 3000);

  // NOT_FOUND when the workspace has no such campaign.
  Result<campaign::v1::Campaign> Campaign(const std::string& workspace_id, const std::string& id);
  // Every campaign of the workspace, newest first (at most max_campaigns).
  Result<std::vector<campaign::v1::Campaign>> Campaigns(const std::string& workspace_id,
                                                        int max_campaigns = 1000);
  // The business profile; an empty one when the workspace has none yet.
  Result<BusinessProfile> Profile(const std::string& workspace_id);
  // A conversation's messages, oldest first.
  Result<std::vector<ChatMessage>> Transcript(const std::string& workspace_id,
                                              const std::string& conversation_id);

 private:
  // A client context with the deadline and this service's token; kUnavailable without a token.
  Result<std::unique_ptr<grpc::ClientContext>> Context();

  std::unique_ptr<auth::v1::WorkspaceService::Stub> workspaces_;
  std::unique_ptr<campaign::v1::CampaignService::Stub> campaigns_;
  std::unique_ptr<conversation::v1::ConversationService::Stub> conversations_;
  rpc::ServiceTokenSource& tokens_;
  int timeout_ms_;
};

}  // namespace salesos::ai
