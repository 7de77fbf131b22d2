#include "outreach.h"

#include <algorithm>
#include <boost/json.hpp>

#include "contact_store.h"
#include "conversation_views.h"
#include "graph_client.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/rpc/paging.h"
#include "salesos/segments/sql.h"

namespace salesos::conversation {
namespace {

// Distinct from other lists' kinds, so a token of one list is refused by another.
constexpr std::string_view kAudiencePageKind = "aud1";
constexpr size_t kMaxIdempotencyKey = 200;

// The recipient's address on a platform, as SQL over the contacts row `c`. Fixed texts chosen by
// the validated platform: no request value reaches the SQL text.
std::string AddressSql(const std::string& platform) {
  if (platform == "facebook") {
    return "COALESCE(c.facebook_id, '')";
  }
  if (platform == "instagram") {
    return "COALESCE(c.instagram_id, '')";
  }
  return "COALESCE(c.whatsapp_id, CASE WHEN c.phone LIKE '+%' THEN substr(c.phone, 2) ELSE "
         "c.phone END)";
}

// Whether the contact's window is open on the platform: a conversation there whose customer
// wrote at or after $<since> (platform time).
std::string WindowOpenSql(int platform_param, int since_param) {
  return "EXISTS (SELECT 1 FROM conversations v WHERE v.workspace_id = c.workspace_id AND "
         "v.contact_id = c.id AND v.platform = $" +
         std::to_string(platform_param) + " AND v.last_customer_message_ms >= $" +
         std::to_string(since_param) + ")";
}

// The address of a contact read whole (SendToContact), as AddressSql computes it.
std::string AddressOf(const ContactRow& c, const std::string& platform) {
  if (platform == "facebook") {
    return c.facebook_id;
  }
  if (platform == "instagram") {
    return c.instagram_id;
  }
  if (platform != "whatsapp") {
    return "";
  }
  if (!c.whatsapp_id.empty()) {
    return c.whatsapp_id;
  }
  return !c.phone.empty() && c.phone.front() == '+' ? c.phone.substr(1) : c.phone;
}

std::string PlatformName(const std::string& platform) {
  if (platform == "facebook") {
    return "Messenger";
  }
  return platform == "instagram" ? "Instagram" : "WhatsApp";
}

// Graph's code at the front of a stored error ("131026 Message undeliverable"); 0 when none.
int64_t ErrorCodeOf(const std::string& error) {
  int64_t code = 0;
  size_t i = 0;
  for (; i < error.size() && i < 12 && error[i] >= '0' && error[i] <= '9'; ++i) {
    code = code * 10 + (error[i] - '0');
  }
  return i > 0 && (i == error.size() || error[i] == ' ') ? code : 0;
}

}  // namespace

Status ResolveAudience(store::Store& db, const v1::ResolveAudienceForServiceRequest& req,
                       v1::ResolveAudienceForServiceResponse* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  const std::string& platform = req.platform();
  if (platform != "facebook" && platform != "instagram" && platform != "whatsapp") {
    return FieldError("platform", "must be one of facebook, instagram, whatsapp");
  }
  if (req.page_size() < 0 || req.page_size() > kMaxAudiencePage) {
    return FieldError("pageSize", "must be between 0 and 5000");
  }
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kAudiencePageKind, req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(auto decls, ContactStore(db).FieldDecls(req.workspace_id()));
  const auto dialect = segments::DialectOf(db.Engine());
  const int64_t now = NowUnixMillis();
  const int64_t window_since = now - kMessagingWindowMs;
  const std::string address = AddressSql(platform);
  if (req.count() || req.page_size() == 0) {
    // $1 workspace, $2 platform, $3 window start, then the rule's.
    SALESOS_ASSIGN_OR_RETURN(auto rule,
                             segments::CompileSegmentRule(req.rules(), decls, dialect, now, 4, 1));
    if (req.count()) {
      store::Params p = {req.workspace_id(), platform, window_since};
      p.insert(p.end(), rule.params.begin(), rule.params.end());
      SALESOS_ASSIGN_OR_RETURN(
          auto rows,
          db.Query("SELECT COUNT(*), COALESCE(SUM(CASE WHEN c.opted_out <> 0 THEN 1 ELSE 0 END), "
                   "0), COALESCE(SUM(CASE WHEN c.opted_out = 0 AND " + address +
                       " = '' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN c.opted_out = 0 AND "
                       "NOT " + WindowOpenSql(2, 3) +
                       " THEN 1 ELSE 0 END), 0) FROM contacts c WHERE c.workspace_id = $1 AND (" +
                       rule.where + ")",
                   p));
      if (!rows.empty()) {
        resp->set_total_count(static_cast<int32_t>(rows.front().GetInt(0)));
        resp->set_opted_out_count(static_cast<int32_t>(rows.front().GetInt(1)));
        resp->set_unreachable_count(static_cast<int32_t>(rows.front().GetInt(2)));
        resp->set_outside_window_count(static_cast<int32_t>(rows.front().GetInt(3)));
      }
    }
  }
  if (req.page_size() == 0) {
    return OkStatus();
  }
  // $1 workspace, $2 after, $3 limit, $4 platform, $5 window start, then the rule's.
  SALESOS_ASSIGN_OR_RETURN(auto rule,
                           segments::CompileSegmentRule(req.rules(), decls, dialect, now, 6, 1));
  store::Params p = {req.workspace_id(), after, int64_t{req.page_size()} + 1, platform,
                     window_since};
  p.insert(p.end(), rule.params.begin(), rule.params.end());
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db.Query("SELECT c.id, c.first_name, c.last_name, c.full_name, c.email, c.phone, " +
                   address + ", c.opted_out, " + WindowOpenSql(4, 5) +
                   " FROM contacts c WHERE c.workspace_id = $1 AND c.id > $2 AND (" + rule.where +
                   ") ORDER BY c.id LIMIT $3",
               p));
  const bool more = rows.size() > static_cast<size_t>(req.page_size());
  const size_t n = std::min(rows.size(), static_cast<size_t>(req.page_size()));
  resp->mutable_members()->Reserve(static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) {
    const auto& r = rows[i];
    auto* m = resp->add_members();
    m->set_contact_id(r.GetText(0));
    m->set_first_name(r.GetText(1));
    m->set_last_name(r.GetText(2));
    m->set_full_name(r.GetText(3));
    m->set_email(r.GetText(4));
    m->set_phone(r.GetText(5));
    m->set_address(r.GetText(6));
    m->set_opted_out(r.GetInt(7) != 0);
    m->set_window_open(r.GetInt(8) != 0);
  }
  if (more) {
    resp->set_next_page_token(rpc::EncodePageToken(kAudiencePageKind, rows[n - 1].GetText(0)));
  }
  return OkStatus();
}

Status Outreach::SendToContact(const v1::SendToContactForServiceRequest& req,
                               v1::SendToContactForServiceResponse* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  if (req.contact_id().empty()) {
    return FieldError("contactId", "is required");
  }
  if (req.integration_id().empty()) {
    return FieldError("integrationId", "is required");
  }
  if (req.idempotency_key().size() > kMaxIdempotencyKey) {
    return FieldError("idempotencyKey", "must be at most 200 bytes");
  }
  const std::string& origin = req.origin();
  if (!origin.empty() && origin != "broadcast" && origin != "occasion" &&
      origin != "automation") {
    return FieldError("origin", "must be one of broadcast, occasion, automation");
  }
  const bool is_template = req.has_template_();
  std::string outbound = "{}";
  if (is_template) {
    SALESOS_ASSIGN_OR_RETURN(outbound, TemplateOutbound(req.template_()));
  } else if (req.text().find_first_not_of(" \t\r\n") == std::string::npos) {
    return FieldError("text", "is required (or template)");
  }
  if (!IsUuid(req.contact_id())) {
    return NotFound("contact not found");
  }
  ContactStore contacts(db_);
  SALESOS_ASSIGN_OR_RETURN(auto contact, contacts.GetContact(req.workspace_id(), req.contact_id()));
  if (!contact.has_value()) {
    return NotFound("contact not found");
  }
  auto access = credentials_.Get(req.integration_id());
  if (!access.ok()) {
    if (access.status().code() == Code::kNotFound) {
      return NotFound("integration not found");
    }
    return Unavailable("channel credentials: " + access.status().message());
  }
  if (access->workspace_id != req.workspace_id()) {
    return NotFound("integration not found");
  }
  const std::string& platform = access->platform;
  const std::string recipient = AddressOf(*contact, platform);

  // A repeat of a key answers the first send's outcome, or sends a still-pending message again.
  if (!req.idempotency_key().empty()) {
    SALESOS_ASSIGN_OR_RETURN(auto seen, store_.GetMessageByIdempotencyKey(
                                            req.workspace_id(), req.idempotency_key()));
    if (seen.has_value()) {
      if (seen->delivery_status == "pending" && contact->opted_out) {
        return FailedPrecondition("the contact has opted out of messages");
      }
      return Repeat(*seen, recipient, req.integration_id(), platform, resp);
    }
  }
  if (contact->opted_out) {
    return FailedPrecondition("the contact has opted out of messages");
  }
  if (recipient.empty()) {
    return FailedPrecondition("the contact cannot be reached on " + PlatformName(platform) +
                              ": it has no " +
                              (platform == "whatsapp" ? "WhatsApp id or phone number"
                                                      : PlatformName(platform) + " id"));
  }
  if (is_template && platform != "whatsapp") {
    return FieldError("template", "only WhatsApp sends templates");
  }
  const int64_t now_ms = NowUnixMillis();
  if (!is_template) {
    if (!FitsTextLimit(platform, req.text())) {
      return FieldError("text", "is over " + PlatformName(platform) + "'s limit");
    }
    SALESOS_ASSIGN_OR_RETURN(int64_t window, store_.ContactWindowExpiresMs(
                                                 req.workspace_id(), contact->id, platform));
    if (now_ms >= window) {
      std::string msg =
          window == 0 ? "the contact never wrote on " + PlatformName(platform) +
                            ", so a free-form message is not allowed (24-hour window)"
                      : "the contact's 24-hour messaging window on " + PlatformName(platform) +
                            " closed at " + FormatRfc3339Millis(window) +
                            ": a free-form message is not allowed";
      if (platform == "whatsapp") {
        msg += "; send an approved template instead";
      }
      return FailedPrecondition(msg);
    }
  }
  DirectSend send;
  send.workspace_id = req.workspace_id();
  send.contact_id = contact->id;
  send.platform = platform;
  send.integration_id = req.integration_id();
  send.campaign_id = req.campaign_id();
  send.now_ms = now_ms;
  send.lease_ms = lease_ms_;
  MessageRecord& m = send.message;
  m.sender = "system";
  m.content = is_template && req.text().empty() ? "[template " + req.template_().name() + "]"
                                                : req.text();
  m.type = is_template ? "template" : "text";
  m.outbound = outbound;
  m.idempotency_key = req.idempotency_key();
  m.broadcast_id = req.broadcast_id();
  m.broadcast_recipient_id = req.broadcast_recipient_id();
  m.origin = origin;
  auto started = store_.BeginDirectSend(send);
  if (!started.ok() && !req.idempotency_key().empty()) {
    // A concurrent call with the same key stored it first (the unique index refused this one).
    SALESOS_ASSIGN_OR_RETURN(auto seen, store_.GetMessageByIdempotencyKey(
                                            req.workspace_id(), req.idempotency_key()));
    if (seen.has_value()) {
      return Repeat(*seen, recipient, req.integration_id(), platform, resp);
    }
  }
  if (!started.ok()) {
    return started.status();
  }
  if (started->existing) {
    return Repeat(started->message, recipient, req.integration_id(), platform, resp);
  }
  if (started->conversation_started) {
    notifier_.ConversationCreated(started->conversation);
  }
  notifier_.MessageCreated(started->message);
  return Attempt(started->message, recipient, req.integration_id(), platform, resp);
}

Status Outreach::Repeat(const MessageRecord& seen, const std::string& recipient,
                        const std::string& integration_id, const std::string& platform,
                        v1::SendToContactForServiceResponse* resp) {
  resp->set_message_id(seen.id);
  resp->set_conversation_id(seen.conversation_id);
  if (seen.delivery_status == "pending") {
    const int64_t now_ms = NowUnixMillis();
    SALESOS_ASSIGN_OR_RETURN(bool mine,
                             store_.ClaimSend(seen.workspace_id, seen.id, now_ms, lease_ms_));
    if (!mine) {
      // Another call holds it (or it just finished): ask again shortly.
      SALESOS_ASSIGN_OR_RETURN(auto now, store_.GetMessage(seen.workspace_id, seen.id));
      if (now.has_value() && now->delivery_status != "pending") {
        return Repeat(*now, recipient, integration_id, platform, resp);
      }
      resp->set_retryable(true);
      resp->set_error("a send with this idempotency key is in progress");
      resp->set_retry_after_ms(1000);
      return OkStatus();
    }
    MessageRecord again = seen;
    again.send_attempts += 1;
    return Attempt(again, recipient, integration_id, platform, resp);
  }
  return Answer(seen, resp);
}

Status Outreach::Attempt(const MessageRecord& m, const std::string& recipient,
                         const std::string& integration_id, const std::string& platform,
                         v1::SendToContactForServiceResponse* resp) {
  OutboxItem item;
  item.message = m;
  item.platform = platform;
  item.integration_id = integration_id;
  item.recipient_id = recipient;
  // The outbox's own attempt: Graph, the outcome committed, the screens and events told.
  outbox_.Send(item);
  SALESOS_ASSIGN_OR_RETURN(auto after, store_.GetMessage(m.workspace_id, m.id));
  if (!after.has_value()) {
    return Internal("the message just stored is gone");
  }
  return Answer(*after, resp);
}

Status Outreach::Answer(const MessageRecord& m, v1::SendToContactForServiceResponse* resp) {
  resp->set_message_id(m.id);
  resp->set_conversation_id(m.conversation_id);
  if (m.delivery_status == "pending") {
    // Not sent, and may be tried again (Outbox::Send left it pending, due at next_attempt_ms).
    resp->set_retryable(true);
    resp->set_error(m.error.empty() ? "not sent" : m.error);
    resp->set_error_code(ErrorCodeOf(m.error));
    resp->set_retry_after_ms(std::max<int64_t>(0, m.next_attempt_ms - NowUnixMillis()));
    return OkStatus();
  }
  if (m.delivery_status == "failed") {
    resp->set_error(m.error.empty() ? "not sent" : m.error);
    resp->set_error_code(ErrorCodeOf(m.error));
    return OkStatus();
  }
  resp->set_sent(true);
  resp->set_platform_message_id(m.platform_message_id);
  return OkStatus();
}

Result<std::string> TemplateOutbound(const v1::TemplateMessage& t) {
  if (t.name().empty() || t.name().size() > 512) {
    return FieldError("template.name", "is required (an approved template's name)");
  }
  for (char ch : t.name()) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) {
      return FieldError("template.name", "must be lower-case letters, digits and _");
    }
  }
  if (t.language().empty() || t.language().size() > 16) {
    return FieldError("template.language", "is required, e.g. en_GB");
  }
  if (t.parameters_size() > kMaxTemplateParameters) {
    return FieldError("template.parameters", "must be at most 20");
  }
  boost::json::array params;
  for (const auto& p : t.parameters()) {
    if (p.empty() || CountUtf8(p) > 1024) {
      return FieldError("template.parameters", "each must be 1 to 1,024 characters");
    }
    params.push_back(boost::json::string(p));
  }
  boost::json::object outbound;
  outbound["template"] = boost::json::object{
      {"name", t.name()}, {"language", t.language()}, {"parameters", std::move(params)}};
  return boost::json::serialize(outbound);
}

}  // namespace salesos::conversation
