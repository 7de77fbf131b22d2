#include "conversation_service.h"

#include <string>

#include "salesos/core/ids.h"
#include "salesos/rpc/paging.h"

namespace salesos::conversation {
namespace {

constexpr char kConversationNotFound[] = "conversation not found";
constexpr char kContactNotFound[] = "contact not found";
// Distinct from other lists' kinds, so a token of one list is refused by another.
constexpr std::string_view kConversationPageKind = "v1";
constexpr std::string_view kMessagePageKind = "m1";
// GetTranscriptForService: default and most messages.
constexpr int64_t kDefaultTranscriptLimit = 200;
constexpr int64_t kMaxTranscriptLimit = 1000;

// Conversations belong to a workspace; a service token has none, and uses the *ForService rpcs.
Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("conversations belong to a workspace; this token has none");
  }
  return OkStatus();
}

// Ids are UUIDs we made: anything else cannot name a row, and is answered like an id of another
// workspace without asking the database.
Status RequireId(const std::string& id, const char* field, const char* not_found) {
  if (id.empty()) {
    return FieldError(field, "is required");
  }
  return IsUuid(id) ? OkStatus() : NotFound(not_found);
}

Status RequireOneOf(const std::string& value, const char* field,
                    std::initializer_list<std::string_view> allowed) {
  if (value.empty()) {
    return OkStatus();
  }
  for (auto a : allowed) {
    if (value == a) {
      return OkStatus();
    }
  }
  std::string list;
  for (auto a : allowed) {
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return FieldError(field, "must be one of " + list);
}

void FillMessage(const MessageRecord& m, v1::Message* out) {
  out->set_id(m.id);
  out->set_conversation_id(m.conversation_id);
  out->set_sender(m.sender);
  out->set_content(m.content);
  out->set_type(m.type);
  out->set_attachments(m.attachments);
  out->set_platform_message_id(m.platform_message_id);
  out->set_delivery_status(m.delivery_status);
  out->set_error(m.error);
  out->set_platform_timestamp_ms(m.platform_timestamp_ms);
  out->set_created_at(m.created_at);
}

void FillContact(const ContactRecord& c, v1::Contact* out) {
  out->set_id(c.id);
  out->set_platform(c.platform);
  out->set_platform_user_id(c.platform_user_id);
  out->set_first_name(c.first_name);
  out->set_last_name(c.last_name);
  out->set_full_name(c.full_name);
  out->set_email(c.email);
  out->set_phone(c.phone);
  out->set_created_at(c.created_at);
}

}  // namespace

Status ConversationServiceImpl::FillConversation(const ConversationRecord& c,
                                                 v1::Conversation* out) {
  out->set_id(c.id);
  out->set_contact_id(c.contact_id);
  out->set_campaign_id(c.campaign_id);
  out->set_platform(c.platform);
  out->set_integration_id(c.integration_id);
  out->set_status(c.status);
  out->set_handler(c.handler);
  out->set_assigned_agent_id(c.assigned_agent_id);
  out->set_lead_score(c.lead_score);
  out->set_unread_count(c.unread_count);
  out->set_last_message_at(c.last_message_at);
  out->set_created_at(c.created_at);
  out->set_updated_at(c.updated_at);
  SALESOS_ASSIGN_OR_RETURN(auto last, store_.LatestMessages(c.workspace_id, c.id, 1));
  if (!last.empty()) {
    FillMessage(last.front(), out->mutable_last_message());
  }
  return OkStatus();
}

Status ConversationServiceImpl::DoListConversations(const rpc::Caller& caller,
                                                    const v1::ListConversationsRequest& req,
                                                    v1::ListConversationsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireOneOf(req.status(), "status",
                                       {"active", "qualified", "converted", "closed", "archived"}));
  SALESOS_RETURN_IF_ERROR(RequireOneOf(req.handler(), "handler", {"ai", "agent"}));
  SALESOS_RETURN_IF_ERROR(
      RequireOneOf(req.platform(), "platform", {"facebook", "instagram", "whatsapp"}));
  if (!req.campaign_id().empty() && !IsUuid(req.campaign_id())) {
    return FieldError("campaignId", "must be a campaign id");
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kConversationPageKind, req.page_token()));
  ConversationStore::ConversationFilter filter{req.status(), req.handler(), req.campaign_id(),
                                               req.platform()};
  // One more than asked tells whether another page follows without a count query.
  SALESOS_ASSIGN_OR_RETURN(
      auto records, store_.ListConversations(caller.workspace_id, filter, after, page_size + 1));
  bool more = records.size() > static_cast<size_t>(page_size);
  if (more) {
    records.resize(static_cast<size_t>(page_size));
  }
  for (const auto& rec : records) {
    SALESOS_RETURN_IF_ERROR(FillConversation(rec, resp->add_conversations()));
  }
  if (more) {
    resp->set_next_page_token(rpc::EncodePageToken(kConversationPageKind, records.back().id));
  }
  return OkStatus();
}

Status ConversationServiceImpl::DoGetConversation(const rpc::Caller& caller,
                                                  const v1::GetConversationRequest& req,
                                                  v1::Conversation* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kConversationNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.GetConversation(caller.workspace_id, req.id()));
  if (!rec.has_value()) {
    return NotFound(kConversationNotFound);
  }
  return FillConversation(*rec, resp);
}

Status ConversationServiceImpl::DoListMessages(const rpc::Caller& caller,
                                               const v1::ListMessagesRequest& req,
                                               v1::ListMessagesResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kConversationNotFound));
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kMessagePageKind, req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(auto conversation,
                           store_.GetConversation(caller.workspace_id, req.id()));
  if (!conversation.has_value()) {
    return NotFound(kConversationNotFound);
  }
  SALESOS_ASSIGN_OR_RETURN(
      auto records, store_.ListMessages(caller.workspace_id, req.id(), after, page_size + 1));
  bool more = records.size() > static_cast<size_t>(page_size);
  if (more) {
    records.resize(static_cast<size_t>(page_size));
  }
  for (const auto& rec : records) {
    FillMessage(rec, resp->add_messages());
  }
  if (more) {
    resp->set_next_page_token(rpc::EncodePageToken(kMessagePageKind, records.back().id));
  }
  return OkStatus();
}

Status ConversationServiceImpl::FindContact(const std::string& workspace_id, const std::string& id,
                                            v1::Contact* resp) {
  SALESOS_ASSIGN_OR_RETURN(auto rec, store_.GetContact(workspace_id, id));
  if (!rec.has_value()) {
    return NotFound(kContactNotFound);
  }
  FillContact(*rec, resp);
  return OkStatus();
}

Status ConversationServiceImpl::DoGetContact(const rpc::Caller& caller,
                                             const v1::GetContactRequest& req, v1::Contact* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kContactNotFound));
  return FindContact(caller.workspace_id, req.id(), resp);
}

Status ConversationServiceImpl::DoGetContactForService(const v1::GetContactForServiceRequest& req,
                                                       v1::Contact* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_RETURN_IF_ERROR(RequireId(req.contact_id(), "contactId", kContactNotFound));
  return FindContact(req.workspace_id(), req.contact_id(), resp);
}

Status ConversationServiceImpl::DoGetTranscriptForService(
    const v1::GetTranscriptForServiceRequest& req, v1::Transcript* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  SALESOS_RETURN_IF_ERROR(
      RequireId(req.conversation_id(), "conversationId", kConversationNotFound));
  if (req.limit() < 0 || req.limit() > kMaxTranscriptLimit) {
    return FieldError("limit", "must be between 0 and 1000");
  }
  SALESOS_ASSIGN_OR_RETURN(auto conversation,
                           store_.GetConversation(req.workspace_id(), req.conversation_id()));
  if (!conversation.has_value()) {
    return NotFound(kConversationNotFound);
  }
  int64_t limit = req.limit() == 0 ? kDefaultTranscriptLimit : req.limit();
  SALESOS_ASSIGN_OR_RETURN(auto messages,
                           store_.LatestMessages(req.workspace_id(), req.conversation_id(), limit));
  std::string customer_name;
  SALESOS_ASSIGN_OR_RETURN(auto contact,
                           store_.GetContact(req.workspace_id(), conversation->contact_id));
  if (contact.has_value()) {
    customer_name = contact->full_name;
  }
  resp->set_conversation_id(conversation->id);
  resp->set_campaign_id(conversation->campaign_id);
  for (const auto& m : messages) {
    auto* out = resp->add_messages();
    out->set_sender(m.sender);
    out->set_sender_name(m.sender == "customer" ? customer_name : "");
    out->set_content(m.content);
    out->set_sent_at(m.created_at);
  }
  return OkStatus();
}

grpc::ServerUnaryReactor* ConversationServiceImpl::ListConversations(
    grpc::CallbackServerContext* ctx, const v1::ListConversationsRequest* req,
    v1::ListConversationsResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoListConversations(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::GetConversation(
    grpc::CallbackServerContext* ctx, const v1::GetConversationRequest* req,
    v1::Conversation* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoGetConversation(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::ListMessages(grpc::CallbackServerContext* ctx,
                                                                const v1::ListMessagesRequest* req,
                                                                v1::ListMessagesResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoListMessages(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::GetContact(grpc::CallbackServerContext* ctx,
                                                              const v1::GetContactRequest* req,
                                                              v1::Contact* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoGetContact(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::GetTranscriptForService(
    grpc::CallbackServerContext* ctx, const v1::GetTranscriptForServiceRequest* req,
    v1::Transcript* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& /*service*/) -> Status {
    return DoGetTranscriptForService(*req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::GetContactForService(
    grpc::CallbackServerContext* ctx, const v1::GetContactForServiceRequest* req,
    v1::Contact* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& /*service*/) -> Status {
    return DoGetContactForService(*req, resp);
  });
}

}  // namespace salesos::conversation
