#pragma once

// ConversationServiceImpl: the gRPC adapter of conversation: the public reads (any member of the
// workspace, viewer and up) and the service-only contract (GetTranscriptForService,
// GetContactForService). The SQL lives in conversation_store.
//
// Each handler runs on the work pool after the call's access decision (rpc::Handle: the rpc's
// (salesos.api.access) rule). The Do* methods are public so tests can drive them without gRPC.
// Rows belong to a workspace; another workspace's ids are answered NOT_FOUND.

#include <grpcpp/grpcpp.h>

#include "conversation_store.h"
#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

class ConversationServiceImpl final : public v1::ConversationService::CallbackService {
 public:
  ConversationServiceImpl(store::Store& db, rpc::WorkPool& pool) : store_(db), pool_(pool) {}

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
  grpc::ServerUnaryReactor* GetTranscriptForService(grpc::CallbackServerContext* ctx,
                                                    const v1::GetTranscriptForServiceRequest* req,
                                                    v1::Transcript* resp) override;
  grpc::ServerUnaryReactor* GetContactForService(grpc::CallbackServerContext* ctx,
                                                 const v1::GetContactForServiceRequest* req,
                                                 v1::Contact* resp) override;

  Status DoListConversations(const rpc::Caller& caller, const v1::ListConversationsRequest& req,
                             v1::ListConversationsResponse* resp);
  Status DoGetConversation(const rpc::Caller& caller, const v1::GetConversationRequest& req,
                           v1::Conversation* resp);
  Status DoListMessages(const rpc::Caller& caller, const v1::ListMessagesRequest& req,
                        v1::ListMessagesResponse* resp);
  Status DoGetContact(const rpc::Caller& caller, const v1::GetContactRequest& req,
                      v1::Contact* resp);
  Status DoGetTranscriptForService(const v1::GetTranscriptForServiceRequest& req,
                                   v1::Transcript* resp);
  Status DoGetContactForService(const v1::GetContactForServiceRequest& req, v1::Contact* resp);

 private:
  Status FillConversation(const ConversationRecord& rec, v1::Conversation* out);
  Status FindContact(const std::string& workspace_id, const std::string& id, v1::Contact* resp);

  ConversationStore store_;
  rpc::WorkPool& pool_;
};

}  // namespace salesos::conversation
