#pragma once

// What conversation asks other services, as plain functions so the logic can be driven by tests
// with real peers or none: campaign (which campaign a new conversation joins), ai_orchestration
// (the AI's reply), auth (a channel's send credentials, whether a user is a member). Each call is
// made as this service (its token) with a deadline. All thread-safe; `tokens` must outlive them.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "graph_client.h"
#include "salesos/ai_orchestration/v1/ai_orchestration.pb.h"
#include "salesos/common/v1/segment.pb.h"
#include "salesos/conversation/v1/conversation.pb.h"
#include "salesos/core/status.h"
#include "salesos/rpc/service_token.h"

namespace salesos::conversation {

// The campaign a new conversation of (workspace, platform, referral) belongs to: its id, or "" for
// none.
using CampaignResolver = std::function<Result<std::string>(
    const std::string& workspace_id, const std::string& platform, const std::string& referral)>;
CampaignResolver CampaignsOf(std::shared_ptr<grpc::Channel> campaign_channel,
                             rpc::ServiceTokenSource& tokens, int timeout_ms = 2000);

// A segment's rule tree (campaign's GetSegmentForService): NOT_FOUND for a segment the workspace
// does not have.
using SegmentResolver = std::function<Result<common::v1::SegmentRule>(
    const std::string& workspace_id, const std::string& segment_id)>;
SegmentResolver SegmentsOf(std::shared_ptr<grpc::Channel> campaign_channel,
                           rpc::ServiceTokenSource& tokens, int timeout_ms = 3000);

// The AI's answer to a conversation's latest customer messages.
using AiReplier = std::function<Result<ai_orchestration::v1::GenerateReplyResponse>(
    const ai_orchestration::v1::GenerateReplyRequest& request)>;
AiReplier RepliesOf(std::shared_ptr<grpc::Channel> ai_channel, rpc::ServiceTokenSource& tokens,
                    int timeout_ms = 30000);

// A summary of a workspace's conversation (ai_orchestration's SummarizeForService).
using Summarizer = std::function<Result<std::string>(const std::string& workspace_id,
                                                     const std::string& conversation_id)>;
Summarizer SummariesOf(std::shared_ptr<grpc::Channel> ai_channel, rpc::ServiceTokenSource& tokens,
                       int timeout_ms = 20000);

// An occasion greeting rendered by campaign (RenderTemplateForService, as this service, for the
// workspace named in the call) for a contact, with the sample {"occasion.name": occasion} and the
// campaign's fields when campaign_id is not empty: the text, and the template's WhatsApp template
// with its body parameters rendered the same way, ready for SendToContactForService (unset when
// the template has none). A WhatsApp template with header parameters is FAILED_PRECONDITION:
// TemplateMessage carries body parameters only (as broadcasts refuse them). NOT_FOUND for a
// template or contact the workspace does not have.
struct RenderedGreeting {
  std::string text;
  std::optional<v1::TemplateMessage> whatsapp;
};
using GreetingRenderer = std::function<Result<RenderedGreeting>(
    const std::string& workspace_id, const std::string& template_id,
    const std::string& contact_id, const std::string& campaign_id, const std::string& occasion)>;
GreetingRenderer GreetingsOf(std::shared_ptr<grpc::Channel> campaign_channel,
                             rpc::ServiceTokenSource& tokens, int timeout_ms = 5000);

// Whether the user is a member of the workspace: ok, NOT_FOUND, or the failure to ask.
using MemberCheck =
    std::function<Status(const std::string& workspace_id, const std::string& user_id)>;
MemberCheck MembersOf(std::shared_ptr<grpc::Channel> auth_channel, rpc::ServiceTokenSource& tokens,
                      int timeout_ms = 2000);

// A channel's credentials for the Send API (auth's GetChannelCredentials), kept for ttl_ms so a
// busy channel does not ask auth for every message. Forget drops one (its token was refused, or the
// channel changed).
class ChannelCredentials {
 public:
  using Fetch = std::function<Result<ChannelAccess>(const std::string& integration_id)>;
  explicit ChannelCredentials(Fetch fetch, int64_t ttl_ms = 60'000)
      : fetch_(std::move(fetch)), ttl_ms_(ttl_ms) {}
  Result<ChannelAccess> Get(const std::string& integration_id);
  void Forget(const std::string& integration_id);

 private:
  struct Entry {
    ChannelAccess access;
    int64_t expires_ms = 0;
  };
  Fetch fetch_;
  int64_t ttl_ms_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // guarded by mu_
};
ChannelCredentials::Fetch CredentialsOf(std::shared_ptr<grpc::Channel> auth_channel,
                                        rpc::ServiceTokenSource& tokens, int timeout_ms = 2000);

}  // namespace salesos::conversation
