#include "conversation_service.h"

#include <boost/json.hpp>
#include <string>

#include "contact_service.h"
#include "contact_views.h"
#include "conversation_views.h"
#include "graph_client.h"
#include "outreach.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/money.h"
#include "salesos/core/time.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/rpc/paging.h"

namespace salesos::conversation {
namespace {

constexpr char kConversationNotFound[] = "conversation not found";
constexpr char kContactNotFound[] = "contact not found";
// Distinct from other lists' kinds, so a token of one list is refused by another.
constexpr std::string_view kConversationPageKind = "v1";
// GetTranscriptForService: default and most messages.
constexpr int64_t kDefaultTranscriptLimit = 200;
constexpr int64_t kMaxTranscriptLimit = 1000;
constexpr size_t kMaxQueryBytes = 200;
constexpr size_t kMaxReasonChars = 200;
constexpr size_t kMaxOrderDetailsChars = 2000;
// Messenger allows 13 quick replies, WhatsApp 3 reply buttons; titles up to 20 characters.
constexpr int kMaxQuickReplies = 13;
constexpr int kMaxWhatsAppButtons = 3;
constexpr long kMaxQuickReplyChars = 20;

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

}  // namespace

Status ConversationServiceImpl::ShowConversation(const ConversationRecord& c,
                                                 v1::Conversation* out) {
  FillConversation(c, out);
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
  std::string assigned = req.assigned_to();
  if (assigned == "me") {
    assigned = caller.user_id;
  } else if (!assigned.empty() && assigned != "none" && !IsUuid(assigned)) {
    return FieldError("assignedTo", "must be me, none or a member's user id");
  }
  if (req.q().size() > kMaxQueryBytes) {
    return FieldError("q", "must be at most 200 bytes");
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kConversationPageKind, req.page_token()));
  ConversationStore::ConversationFilter filter{req.status(),   req.handler(), req.campaign_id(),
                                               req.platform(), assigned,      req.q()};
  // One more than asked tells whether another page follows without a count query.
  SALESOS_ASSIGN_OR_RETURN(
      auto records, store_.ListConversations(caller.workspace_id, filter, after, page_size + 1));
  const std::string next = rpc::TakePage(records, page_size, kConversationPageKind);
  for (const auto& rec : records) {
    SALESOS_RETURN_IF_ERROR(ShowConversation(rec, resp->add_conversations()));
  }
  resp->set_next_page_token(next);
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
  return ShowConversation(*rec, resp);
}

Status ConversationServiceImpl::DoListMessages(const rpc::Caller& caller,
                                               const v1::ListMessagesRequest& req,
                                               v1::ListMessagesResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kConversationNotFound));
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  if (!req.before().empty() && !IsUuid(req.before())) {
    return FieldError("before", "must be a message id");
  }
  SALESOS_ASSIGN_OR_RETURN(auto conversation,
                           store_.GetConversation(caller.workspace_id, req.id()));
  if (!conversation.has_value()) {
    return NotFound(kConversationNotFound);
  }
  if (!req.before().empty()) {
    SALESOS_ASSIGN_OR_RETURN(auto cursor, store_.GetMessage(caller.workspace_id, req.before()));
    if (!cursor.has_value() || cursor->conversation_id != req.id()) {
      return FieldError("before", "is not a message of this conversation");
    }
  }
  // One more than asked tells whether older messages exist.
  SALESOS_ASSIGN_OR_RETURN(auto records, store_.MessagesBefore(caller.workspace_id, req.id(),
                                                               req.before(), page_size + 1));
  bool more = records.size() > static_cast<size_t>(page_size);
  if (more) {
    records.erase(records.begin());
  }
  for (const auto& rec : records) {
    FillMessage(rec, resp->add_messages());
  }
  resp->set_has_more(more);
  return OkStatus();
}

Status ConversationServiceImpl::FindContact(const std::string& workspace_id, const std::string& id,
                                            v1::Contact* resp) {
  SALESOS_ASSIGN_OR_RETURN(auto rec, contacts_.GetContact(workspace_id, id));
  if (!rec.has_value()) {
    return NotFound(kContactNotFound);
  }
  FillContact(*rec, resp);
  if (!rec->account_id.empty()) {
    SALESOS_ASSIGN_OR_RETURN(auto account, contacts_.GetAccount(workspace_id, rec->account_id));
    if (account.has_value()) {
      FillAccount(*account, resp->mutable_account());
    }
  }
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

Result<Change> ConversationServiceImpl::Apply(const rpc::Caller& caller, const std::string& id,
                                              const ConversationStore::Mutation& fn) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(id, "id", kConversationNotFound));
  SALESOS_ASSIGN_OR_RETURN(Change change, store_.Mutate(caller.workspace_id, id, fn));
  change.by = caller.user_id;
  return change;
}

Status ConversationServiceImpl::Act(const rpc::Caller& caller, const std::string& id,
                                    const ConversationStore::Mutation& fn, v1::Conversation* resp,
                                    Change* applied) {
  SALESOS_ASSIGN_OR_RETURN(Change change, Apply(caller, id, fn));
  Tell(change);
  SALESOS_RETURN_IF_ERROR(ShowConversation(change.after, resp));
  if (applied != nullptr) {
    *applied = std::move(change);
  }
  return OkStatus();
}

void ConversationServiceImpl::Tell(const Change& change) {
  if (deps_.notifier != nullptr) {
    deps_.notifier->Changed(change);
  }
}

namespace {

// Validates what an agent asked to send; the `outbound` JSON the outbox needs.
Result<std::string> ValidateReply(const v1::SendMessageRequest& req) {
  boost::json::object outbound;
  if (req.quick_replies_size() > kMaxQuickReplies) {
    return FieldError("quickReplies", "must be at most 13");
  }
  boost::json::array quick;
  for (const auto& q : req.quick_replies()) {
    if (q.empty() || CountUtf8(q) > kMaxQuickReplyChars) {
      return FieldError("quickReplies", "each must be 1 to 20 characters");
    }
    quick.push_back(boost::json::string(q));
  }
  if (!quick.empty()) {
    outbound["quickReplies"] = std::move(quick);
  }
  if (req.has_template_()) {
    SALESOS_ASSIGN_OR_RETURN(std::string tpl, TemplateOutbound(req.template_()));
    outbound["template"] = boost::json::parse(tpl).as_object()["template"];
  } else if (req.content().find_first_not_of(" \t\r\n") == std::string::npos) {
    return FieldError("content", "is required");
  }
  return boost::json::serialize(outbound);
}

}  // namespace

Status ConversationServiceImpl::DoSendMessage(const rpc::Caller& caller,
                                              const v1::SendMessageRequest& req,
                                              v1::Message* resp) {
  SALESOS_ASSIGN_OR_RETURN(std::string outbound, ValidateReply(req));
  const bool is_template = req.has_template_();
  const int64_t now_ms = NowUnixMillis();
  const std::string now = FormatRfc3339Millis(now_ms);
  SALESOS_ASSIGN_OR_RETURN(
      auto change,
      Apply(caller, req.id(),
            [&](ConversationRecord& c, std::vector<MessageRecord>& add) -> Status {
              if (is_template && c.platform != "whatsapp") {
                return FieldError("template", "only WhatsApp sends templates");
              }
              if (!is_template && !FitsTextLimit(c.platform, req.content())) {
                return FieldError("content", c.platform == "instagram"
                                                 ? "must be at most 1,000 bytes on Instagram"
                                             : c.platform == "whatsapp"
                                                 ? "must be at most 4,096 characters on WhatsApp"
                                                 : "must be under 2,000 characters on Messenger");
              }
              if (req.quick_replies_size() > kMaxWhatsAppButtons && c.platform == "whatsapp") {
                return FieldError("quickReplies", "must be at most 3 on WhatsApp (reply buttons)");
              }
              const int64_t window = WindowExpiresMs(c);
              if (!is_template && now_ms >= window) {
                std::string msg =
                    window == 0
                        ? "the customer has not written yet, so a free-form reply is not allowed"
                        : "the 24-hour messaging window closed at " + FormatRfc3339Millis(window) +
                              ": a free-form reply is no longer allowed until the customer "
                              "writes again";
                if (c.platform == "whatsapp") {
                  msg += "; send an approved template instead (template.name)";
                }
                return Aborted(msg);
              }
              MessageRecord m;
              m.sender = "agent";
              m.content = is_template && req.content().empty()
                              ? "[template " + req.template_().name() + "]"
                              : req.content();
              m.type = is_template ? "template" : "text";
              m.delivery_status = "pending";
              m.platform_timestamp_ms = now_ms;
              m.next_attempt_ms = now_ms;
              m.created_at = now;
              m.outbound = outbound;
              add.push_back(std::move(m));
              // A person answered: the AI stays quiet until someone resumes it.
              if (c.handler != "agent") {
                c.handler = "agent";
                c.handoff_reason = "agent_replied";
              }
              c.ai_due_ms = 0;
              if (c.assigned_agent_id.empty()) {
                c.assigned_agent_id = caller.user_id;
              }
              c.unread_count = 0;
              c.last_message_at = now;
              c.updated_at = now;
              return OkStatus();
            }));
  if (deps_.wake_outbox) {
    deps_.wake_outbox();
  }
  Tell(change);
  FillMessage(change.added.front(), resp);
  return OkStatus();
}

Status ConversationServiceImpl::DoAssignConversation(const rpc::Caller& caller,
                                                     const v1::AssignConversationRequest& req,
                                                     v1::Conversation* resp) {
  std::string agent = req.agent_id() == "me" ? caller.user_id : req.agent_id();
  if (!agent.empty()) {
    if (!IsUuid(agent)) {
      return FieldError("agentId", "must be a member's user id, me, or empty to unassign");
    }
    if (deps_.members && agent != caller.user_id) {
      Status member = deps_.members(caller.workspace_id, agent);
      if (member.code() == Code::kNotFound) {
        return FieldError("agentId", "is not a member of this workspace");
      }
      SALESOS_RETURN_IF_ERROR(member);
    }
  }
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  return Act(
      caller, req.id(),
      [&](ConversationRecord& c, auto&) -> Status {
        c.assigned_agent_id = agent;
        c.updated_at = now;
        return OkStatus();
      },
      resp);
}

Status ConversationServiceImpl::DoHandoffConversation(const rpc::Caller& caller,
                                                      const v1::HandoffConversationRequest& req,
                                                      v1::Conversation* resp) {
  if (CountUtf8(req.reason()) > static_cast<long>(kMaxReasonChars)) {
    return FieldError("reason", "must be at most 200 characters");
  }
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  return Act(
      caller, req.id(),
      [&](ConversationRecord& c, auto&) -> Status {
        c.handler = "agent";
        c.handoff_reason = req.reason().empty() ? "agent_takeover" : req.reason();
        c.next_action = "agent: " + c.handoff_reason;
        c.ai_due_ms = 0;
        c.updated_at = now;
        return OkStatus();
      },
      resp);
}

Status ConversationServiceImpl::DoResumeAi(const rpc::Caller& caller,
                                           const v1::ResumeAiRequest& req, v1::Conversation* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kConversationNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto last, store_.LatestMessages(caller.workspace_id, req.id(), 1));
  const bool customer_last = !last.empty() && last.front().sender == "customer";
  const int64_t now_ms = NowUnixMillis();
  const std::string now = FormatRfc3339Millis(now_ms);
  SALESOS_ASSIGN_OR_RETURN(auto change,
                           Apply(caller, req.id(), [&](ConversationRecord& c, auto&) -> Status {
                             if (c.status != "active" && c.status != "qualified") {
                               return Aborted("the conversation is " + c.status +
                                              "; the AI only handles open conversations");
                             }
                             c.handler = "ai";
                             c.handoff_reason.clear();
                             c.next_action.clear();
                             // The customer spoke last: the AI answers now.
                             c.ai_due_ms = customer_last ? now_ms : 0;
                             c.ai_attempts = 0;
                             c.ai_traceparent = log::CurrentTraceparent();
                             c.updated_at = now;
                             return OkStatus();
                           }));
  if (change.after.ai_due_ms > 0 && deps_.wake_ai) {
    deps_.wake_ai();
  }
  Tell(change);
  return ShowConversation(change.after, resp);
}

Status ConversationServiceImpl::DoSetConversationStatus(const rpc::Caller& caller,
                                                        const v1::SetConversationStatusRequest& req,
                                                        v1::Conversation* resp) {
  if (req.status() == "converted") {
    return FieldError("status", "record a sale with POST .../conversion instead");
  }
  if (req.status().empty()) {
    return FieldError("status", "is required");
  }
  SALESOS_RETURN_IF_ERROR(
      RequireOneOf(req.status(), "status", {"active", "qualified", "closed", "archived"}));
  const bool open = req.status() == "active" || req.status() == "qualified";
  if (open) {
    // One open conversation per contact and channel: reopening one must not make two.
    SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
    SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kConversationNotFound));
    SALESOS_ASSIGN_OR_RETURN(bool other, store_.HasOtherOpen(caller.workspace_id, req.id()));
    if (other) {
      return Aborted("the contact has another open conversation on this channel; close it first");
    }
  }
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  return Act(
      caller, req.id(),
      [&](ConversationRecord& c, auto&) -> Status {
        c.status = req.status();
        if (!open) {
          c.ai_due_ms = 0;  // a closed conversation gets no AI reply
        }
        c.updated_at = now;
        return OkStatus();
      },
      resp);
}

Status ConversationServiceImpl::DoRecordConversion(const rpc::Caller& caller,
                                                   const v1::RecordConversionRequest& req,
                                                   v1::Conversation* resp) {
  SALESOS_ASSIGN_OR_RETURN(std::string currency, NormalizeCurrency(req.currency(), "currency"));
  SALESOS_ASSIGN_OR_RETURN(int64_t minor,
                           PriceToMinor(req.order_value(), currency, "orderValue", "currency"));
  if (CountUtf8(req.order_details()) > static_cast<long>(kMaxOrderDetailsChars)) {
    return FieldError("orderDetails", "must be at most 2,000 characters");
  }
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  SALESOS_ASSIGN_OR_RETURN(
      auto change, Apply(caller, req.id(), [&](ConversationRecord& c, auto&) -> Status {
        if (!c.converted_at.empty()) {
          return Aborted("a sale was recorded for this conversation at " + c.converted_at);
        }
        c.status = "converted";
        c.converted_at = now;
        c.order_value_minor = minor;
        c.currency = currency;
        c.order_details = req.order_details();
        c.ai_due_ms = 0;
        c.next_action.clear();
        c.updated_at = now;
        return OkStatus();
      }));
  Tell(change);
  if (deps_.notifier != nullptr) {
    const auto& c = change.after;
    events::v1::ConversionRecorded recorded;
    recorded.set_workspace_id(c.workspace_id);
    recorded.set_conversation_id(c.id);
    recorded.set_contact_id(c.contact_id);
    recorded.set_campaign_id(c.campaign_id);
    recorded.set_order_value_minor(c.order_value_minor);
    recorded.set_currency(c.currency);
    recorded.set_recorded_by(caller.user_id);
    recorded.set_converted_at(c.converted_at);
    deps_.notifier->Event("conversion.recorded", c.workspace_id, recorded);
  }
  return ShowConversation(change.after, resp);
}

Status ConversationServiceImpl::DoMarkRead(const rpc::Caller& caller,
                                           const v1::MarkReadRequest& req, v1::Conversation* resp) {
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  return Act(
      caller, req.id(),
      [&](ConversationRecord& c, auto&) -> Status {
        c.unread_count = 0;
        c.updated_at = now;
        return OkStatus();
      },
      resp);
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

grpc::ServerUnaryReactor* ConversationServiceImpl::EvaluateSegmentForService(
    grpc::CallbackServerContext* ctx, const v1::EvaluateSegmentForServiceRequest* req,
    v1::EvaluateSegmentForServiceResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& /*service*/) -> Status {
    return EvaluateSegment(db_, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::ResolveAudienceForService(
    grpc::CallbackServerContext* ctx, const v1::ResolveAudienceForServiceRequest* req,
    v1::ResolveAudienceForServiceResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& /*service*/) -> Status {
    return ResolveAudience(db_, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::SendToContactForService(
    grpc::CallbackServerContext* ctx, const v1::SendToContactForServiceRequest* req,
    v1::SendToContactForServiceResponse* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& /*service*/) -> Status {
    if (deps_.outreach == nullptr) {
      return Unavailable("sending to contacts is not set up in this process");
    }
    return deps_.outreach->SendToContact(*req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::SendMessage(grpc::CallbackServerContext* ctx,
                                                               const v1::SendMessageRequest* req,
                                                               v1::Message* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoSendMessage(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::AssignConversation(
    grpc::CallbackServerContext* ctx, const v1::AssignConversationRequest* req,
    v1::Conversation* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoAssignConversation(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::HandoffConversation(
    grpc::CallbackServerContext* ctx, const v1::HandoffConversationRequest* req,
    v1::Conversation* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoHandoffConversation(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::ResumeAi(grpc::CallbackServerContext* ctx,
                                                            const v1::ResumeAiRequest* req,
                                                            v1::Conversation* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoResumeAi(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::SetConversationStatus(
    grpc::CallbackServerContext* ctx, const v1::SetConversationStatusRequest* req,
    v1::Conversation* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoSetConversationStatus(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::RecordConversion(
    grpc::CallbackServerContext* ctx, const v1::RecordConversionRequest* req,
    v1::Conversation* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoRecordConversion(caller, *req, resp);
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::MarkRead(grpc::CallbackServerContext* ctx,
                                                            const v1::MarkReadRequest* req,
                                                            v1::Conversation* resp) {
  return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {
    return DoMarkRead(caller, *req, resp);
  });
}

}  // namespace salesos::conversation
