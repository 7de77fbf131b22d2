#pragma once

// ConversationServiceImpl: the gRPC adapter of conversation: the public reads (any member of the
// workspace, viewer and up) and the service-only contract (GetTranscriptForService,
// GetContactForService, EvaluateSegmentForService, ResolveAudienceForService and
// SendToContactForService, the last two in outreach.h). The CRM's own rpcs are contact_service's. The SQL lives in conversation_store.
//
// Each handler runs on the work pool after the call's access decision (rpc::Handle: the rpc's
// (salesos.api.access) rule). The Do* methods are public so tests can drive them without gRPC.
// Rows belong to a workspace; another workspace's ids are answered NOT_FOUND.

#include <grpcpp/grpcpp.h>

#include "contact_store.h"
#include "conversation_peers.h"
#include "conversation_store.h"
#include "notifier.h"
#include "outreach.h"
#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

// What the agents' actions need besides the store.
struct ConversationDeps {
  Notifier* notifier = nullptr;       // null: nobody is told (tests)
  MemberCheck members;                // empty: any user id may be assigned (tests)
  std::function<void()> wake_outbox;  // a message was queued; may be empty
  std::function<void()> wake_ai;      // an AI turn was made due; may be empty
  int64_t ai_debounce_ms = 1200;
  Outreach* outreach = nullptr;  // SendToContactForService; null: UNAVAILABLE (tests)
};

class ConversationServiceImpl final : public v1::ConversationService::CallbackService {
 public:
  ConversationServiceImpl(store::Store& db, rpc::WorkPool& pool, ConversationDeps deps = {})
      : db_(db), store_(db), contacts_(db), pool_(pool), deps_(std::move(deps)) {}

  grpc::ServerUnaryReactor* ListConversations(grpc::CallbackServerContext* ctx,
                                              const v1::ListConversationsRequest* req,
                                              v1::ListConversationsResponse* resp) override;
  grpc::ServerUnaryReactor* GetConversation(grpc::CallbackServerContext* ctx,
                                            const v1::GetConversationRequest* req,
                                            v1::Conversation* resp) override;
  grpc::ServerUnaryReactor* ListMessages(grpc::CallbackServerContext* ctx,
                                         const v1::ListMessagesRequest* req,
                                         v1::ListMessagesResponse* resp) override;
  grpc::ServerUnaryReactor* GetContact(grpc::CallbackServerContext* ctx,
                                       const v1::GetContactRequest* req,
                                       v1::Contact* resp) override;
  grpc::ServerUnaryReactor* SendMessage(grpc::CallbackServerContext* ctx,
                                        const v1::SendMessageRequest* req,
                                        v1::Message* resp) override;
  grpc::ServerUnaryReactor* AssignConversation(grpc::CallbackServerContext* ctx,
                                               const v1::AssignConversationRequest* req,
                                               v1::Conversation* resp) override;
  grpc::ServerUnaryReactor* HandoffConversation(grpc::CallbackServerContext* ctx,
                                                const v1::HandoffConversationRequest* req,
                                                v1::Conversation* resp) override;
  grpc::ServerUnaryReactor* ResumeAi(grpc::CallbackServerContext* ctx,
                                     const v1::ResumeAiRequest* req,
                                     v1::Conversation* resp) override;
  grpc::ServerUnaryReactor* SetConversationStatus(grpc::CallbackServerContext* ctx,
                                                  const v1::SetConversationStatusRequest* req,
                                                  v1::Conversation* resp) override;
  grpc::ServerUnaryReactor* RecordConversion(grpc::CallbackServerContext* ctx,
                                             const v1::RecordConversionRequest* req,
                                             v1::Conversation* resp) override;
  grpc::ServerUnaryReactor* MarkRead(grpc::CallbackServerContext* ctx,
                                     const v1::MarkReadRequest* req,
                                     v1::Conversation* resp) override;
  grpc::ServerUnaryReactor* GetTranscriptForService(grpc::CallbackServerContext* ctx,
                                                    const v1::GetTranscriptForServiceRequest* req,
                                                    v1::Transcript* resp) override;
  grpc::ServerUnaryReactor* GetContactForService(grpc::CallbackServerContext* ctx,
                                                 const v1::GetContactForServiceRequest* req,
                                                 v1::Contact* resp) override;
  grpc::ServerUnaryReactor* EvaluateSegmentForService(
      grpc::CallbackServerContext* ctx, const v1::EvaluateSegmentForServiceRequest* req,
      v1::EvaluateSegmentForServiceResponse* resp) override;
  grpc::ServerUnaryReactor* ResolveAudienceForService(
      grpc::CallbackServerContext* ctx, const v1::ResolveAudienceForServiceRequest* req,
      v1::ResolveAudienceForServiceResponse* resp) override;
  grpc::ServerUnaryReactor* SendToContactForService(
      grpc::CallbackServerContext* ctx, const v1::SendToContactForServiceRequest* req,
      v1::SendToContactForServiceResponse* resp) override;

  Status DoListConversations(const rpc::Caller& caller, const v1::ListConversationsRequest& req,
                             v1::ListConversationsResponse* resp);
  Status DoGetConversation(const rpc::Caller& caller, const v1::GetConversationRequest& req,
                           v1::Conversation* resp);
  Status DoListMessages(const rpc::Caller& caller, const v1::ListMessagesRequest& req,
                        v1::ListMessagesResponse* resp);
  Status DoGetContact(const rpc::Caller& caller, const v1::GetContactRequest& req,
                      v1::Contact* resp);
  Status DoSendMessage(const rpc::Caller& caller, const v1::SendMessageRequest& req,
                       v1::Message* resp);
  Status DoAssignConversation(const rpc::Caller& caller, const v1::AssignConversationRequest& req,
                              v1::Conversation* resp);
  Status DoHandoffConversation(const rpc::Caller& caller, const v1::HandoffConversationRequest& req,
                               v1::Conversation* resp);
  Status DoResumeAi(const rpc::Caller& caller, const v1::ResumeAiRequest& req,
                    v1::Conversation* resp);
  Status DoSetConversationStatus(const rpc::Caller& caller,
                                 const v1::SetConversationStatusRequest& req,
                                 v1::Conversation* resp);
  Status DoRecordConversion(const rpc::Caller& caller, const v1::RecordConversionRequest& req,
                            v1::Conversation* resp);
  Status DoMarkRead(const rpc::Caller& caller, const v1::MarkReadRequest& req,
                    v1::Conversation* resp);
  Status DoGetTranscriptForService(const v1::GetTranscriptForServiceRequest& req,
                                   v1::Transcript* resp);
  Status DoGetContactForService(const v1::GetContactForServiceRequest& req, v1::Contact* resp);

 private:
  // The conversation with its newest message, as the API shows it.
  Status ShowConversation(const ConversationRecord& rec, v1::Conversation* out);
  Status FindContact(const std::string& workspace_id, const std::string& id, v1::Contact* resp);
  // An agent's change of one conversation: the id validated, the mutation applied, `by` the
  // caller.
  Result<Change> Apply(const rpc::Caller& caller, const std::string& id,
                       const ConversationStore::Mutation& fn);
  // Apply, then Tell, then the conversation as it is now into `resp` (and the change into
  // `applied` when given).
  Status Act(const rpc::Caller& caller, const std::string& id,
             const ConversationStore::Mutation& fn, v1::Conversation* resp,
             Change* applied = nullptr);
  // The screens told of an applied change (the conversation, and any message it added).
  void Tell(const Change& change);

  store::Store& db_;
  ConversationStore store_;
  ContactStore contacts_;
  rpc::WorkPool& pool_;
  ConversationDeps deps_;
};

}  // namespace salesos::conversation
