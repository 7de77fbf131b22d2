#include "meta_parser.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <limits>

#include "salesos/core/ids.h"
#include "salesos/crypto/hash.h"

namespace salesos::webhook_ingest {
namespace {

namespace json = boost::json;

// Every accessor takes a possibly missing value and answers empty / zero for a missing or
// differently typed one: Meta's shapes vary by version, and no shape may make the parser throw.

const json::object* Obj(const json::value* v) { return v != nullptr ? v->if_object() : nullptr; }

const json::value* At(const json::object* o, std::string_view key) {
  return o != nullptr ? o->if_contains(key) : nullptr;
}

const json::object* ObjAt(const json::object* o, std::string_view key) { return Obj(At(o, key)); }

const json::array* ArrAt(const json::object* o, std::string_view key) {
  const json::value* v = At(o, key);
  return v != nullptr ? v->if_array() : nullptr;
}

// A string, or an id Meta happened to send as a number.
std::string Str(const json::value* v) {
  if (v == nullptr) {
    return "";
  }
  if (const auto* s = v->if_string()) {
    return std::string(*s);
  }
  if (const auto* i = v->if_int64()) {
    return std::to_string(*i);
  }
  if (const auto* u = v->if_uint64()) {
    return std::to_string(*u);
  }
  return "";
}

std::string StrAt(const json::object* o, std::string_view key) { return Str(At(o, key)); }

// A non-negative integer from a JSON number or a decimal string (WhatsApp's timestamps); 0 for
// anything else or out of range.
int64_t Int(const json::value* v) {
  if (v == nullptr) {
    return 0;
  }
  if (const auto* i = v->if_int64()) {
    return *i > 0 ? *i : 0;
  }
  if (const auto* u = v->if_uint64()) {
    return *u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? static_cast<int64_t>(*u)
               : 0;
  }
  if (const auto* d = v->if_double()) {
    return std::isfinite(*d) && *d > 0 && *d < 9.2e18 ? static_cast<int64_t>(*d) : 0;
  }
  if (const auto* s = v->if_string()) {
    int64_t out = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    return ec == std::errc() && end == s->data() + s->size() && out > 0 ? out : 0;
  }
  return 0;
}

// Unix seconds (WhatsApp) to milliseconds; 0 when it would overflow.
int64_t SecondsToMillis(int64_t seconds) {
  return seconds <= std::numeric_limits<int64_t>::max() / 1000 ? seconds * 1000 : 0;
}

double Num(const json::value* v) {
  if (v == nullptr) {
    return 0;
  }
  if (v->is_number()) {
    return v->to_number<double>();
  }
  if (const auto* s = v->if_string()) {
    double out = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    return ec == std::errc() && end == s->data() + s->size() ? out : 0;
  }
  return 0;
}

// An array's items, or none.
const json::array& Items(const json::array* a) {
  static const json::array kNone;
  return a != nullptr ? *a : kNone;
}

// "<prefix>:<name>" for the ignored counts, the name cut short: it comes from the sender.
std::string Reason(std::string_view prefix, std::string_view name) {
  constexpr size_t kMaxName = 40;
  return std::string(prefix) + ":" +
         (name.empty() ? std::string("none") : std::string(name.substr(0, kMaxName)));
}

bool Bool(const json::value* v) { return v != nullptr && v->is_bool() && v->get_bool(); }

// The key of a Messenger / Instagram messaging item that says what it is, for the count of
// unknown ones ("reaction", "optin", "referral", ...).
std::string EventKey(const json::object& item) {
  for (const auto& kv : item) {
    if (kv.key() != "sender" && kv.key() != "recipient" && kv.key() != "timestamp") {
      return std::string(kv.key());
    }
  }
  return "";
}

void SetReferral(const json::object* r, v1::InboundEvent& ev) {
  if (r == nullptr) {
    return;
  }
  v1::Referral* out = ev.mutable_referral();
  out->set_ref(StrAt(r, "ref"));
  out->set_ad_id(StrAt(r, "ad_id"));
  out->set_source(StrAt(r, "source"));
  out->set_type(StrAt(r, "type"));
}

class Parser {
 public:
  explicit Parser(ParsedWebhook& out) : out_(out) {}

  void Envelope(const json::value& v) {
    const json::object* env = v.if_object();
    if (env == nullptr) {
      Ignore("malformed");
      return;
    }
    std::string object = StrAt(env, "object");
    const char* platform = object == "page"                        ? kFacebook
                           : object == "instagram"                 ? kInstagram
                           : object == "whatsapp_business_account" ? kWhatsApp
                                                                   : nullptr;
    if (platform == nullptr) {
      Ignore("unknown_object");
      return;
    }
    const json::array* entries = ArrAt(env, "entry");
    if (entries == nullptr) {
      Ignore("malformed");
      return;
    }
    EachObject(*entries, [&](const json::object& entry) {
      if (platform == kWhatsApp) {
        WhatsAppEntry(entry);
      } else {
        MessagingEntry(entry, platform);
      }
    });
  }

 private:
  void Ignore(const std::string& reason, int n = 1) {
    if (n > 0) {
      out_.ignored[reason] += n;
    }
  }

  // Calls f with each object of `items`; anything else in the array is a malformed item.
  template <typename F>
  void EachObject(const json::array& items, F&& f) {
    for (const json::value& v : items) {
      if (const json::object* o = v.if_object()) {
        f(*o);
      } else {
        Ignore("malformed");
      }
    }
  }

  // ---- Messenger and Instagram -----------------------------------------------------------------

  void MessagingEntry(const json::object& entry, const char* platform) {
    const json::array* messaging = ArrAt(&entry, "messaging");
    const json::array* standby = ArrAt(&entry, "standby");
    const json::array* changes = ArrAt(&entry, "changes");
    if (messaging == nullptr && standby == nullptr && changes == nullptr) {
      Ignore("malformed");
      return;
    }
    // Standby items belong to the app that owns the thread under the handover protocol; page
    // feed changes are not messages.
    Ignore("standby", standby != nullptr ? static_cast<int>(standby->size()) : 0);
    Ignore("unknown_field", changes != nullptr ? static_cast<int>(changes->size()) : 0);
    if (messaging == nullptr) {
      return;
    }
    std::string entry_id = StrAt(&entry, "id");
    EachObject(*messaging,
               [&](const json::object& item) { MessagingItem(item, platform, entry_id); });
  }

  void MessagingItem(const json::object& item, const char* platform, const std::string& entry_id) {
    v1::InboundEvent ev;
    ev.set_platform(platform);
    ev.set_sender_id(StrAt(ObjAt(&item, "sender"), "id"));
    ev.set_recipient_id(StrAt(ObjAt(&item, "recipient"), "id"));
    ev.set_timestamp_ms(Int(At(&item, "timestamp")));
    bool ok = false;
    if (const json::object* m = ObjAt(&item, "message")) {
      if (Bool(At(m, "is_deleted"))) {
        Ignore("deleted");
        return;
      }
      if (Bool(At(m, "is_unsupported"))) {
        Ignore("unsupported");
        return;
      }
      ok = Message(*m, ev);
    } else if (const json::object* p = ObjAt(&item, "postback")) {
      ev.set_kind("postback");
      ev.set_raw_type("postback");
      ev.set_platform_message_id(StrAt(p, "mid"));
      ev.set_payload(StrAt(p, "payload"));
      ev.set_payload_title(StrAt(p, "title"));
      SetReferral(ObjAt(p, "referral"), ev);
      ok = !ev.payload().empty() || !ev.payload_title().empty();
    } else if (const json::object* r = ObjAt(&item, "read")) {
      ev.set_kind("read");
      ev.set_raw_type("read");
      ev.set_watermark_ms(Int(At(r, "watermark")));
      ev.set_platform_message_id(StrAt(r, "mid"));  // Instagram's messaging_seen
      ok = ev.watermark_ms() > 0 || !ev.platform_message_id().empty();
    } else if (const json::object* d = ObjAt(&item, "delivery")) {
      ev.set_kind("delivery");
      ev.set_raw_type("delivery");
      ev.set_watermark_ms(Int(At(d, "watermark")));
      if (const json::array* mids = ArrAt(d, "mids")) {
        for (const json::value& mid : *mids) {
          if (std::string id = Str(&mid); !id.empty()) {
            ev.add_message_ids(std::move(id));
          }
        }
      }
      ok = ev.watermark_ms() > 0;
    } else {
      Ignore(Reason("unknown_event", EventKey(item)));
      return;
    }
    if (!ok || ev.sender_id().empty() || ev.recipient_id().empty()) {
      Ignore("malformed");
      return;
    }
    // The entry is the page / IG account; items lacking it name the business on their own side.
    std::string channel = !entry_id.empty()     ? entry_id
                          : ev.kind() == "echo" ? ev.sender_id()
                                                : ev.recipient_id();
    ev.set_channel_external_id(std::move(channel));
    out_.events.push_back(std::move(ev));
  }

  // A message or its echo; false when it has no mid or nothing in it.
  static bool Message(const json::object& m, v1::InboundEvent& ev) {
    bool echo = Bool(At(&m, "is_echo"));
    ev.set_kind(echo ? "echo" : "message");
    ev.set_raw_type("message");
    ev.set_platform_message_id(StrAt(&m, "mid"));
    ev.set_text(StrAt(&m, "text"));
    if (const json::array* attachments = ArrAt(&m, "attachments")) {
      for (const json::value& a : *attachments) {
        const json::object* att = a.if_object();
        if (att == nullptr) {
          continue;
        }
        v1::Attachment* out = ev.add_attachments();
        out->set_type(StrAt(att, "type"));
        out->set_url(StrAt(ObjAt(att, "payload"), "url"));
      }
    }
    if (const json::object* qr = ObjAt(&m, "quick_reply")) {
      ev.set_payload(StrAt(qr, "payload"));
      ev.set_payload_title(ev.text());
    }
    ev.set_reply_to(StrAt(ObjAt(&m, "reply_to"), "mid"));
    SetReferral(ObjAt(&m, "referral"), ev);
    if (echo) {
      ev.set_app_id(StrAt(&m, "app_id"));
      ev.set_metadata(StrAt(&m, "metadata"));
    }
    return !ev.platform_message_id().empty() &&
           (!ev.text().empty() || ev.attachments_size() > 0 || !ev.payload().empty());
  }

  // ---- WhatsApp --------------------------------------------------------------------------------

  void WhatsAppEntry(const json::object& entry) {
    const json::array* changes = ArrAt(&entry, "changes");
    if (changes == nullptr) {
      Ignore("malformed");
      return;
    }
    EachObject(*changes, [&](const json::object& change) {
      if (StrAt(&change, "field") != "messages") {
        Ignore("unknown_field");  // account_update, message_template_status_update, ...
      } else {
        WhatsAppValue(ObjAt(&change, "value"));
      }
    });
  }

  void WhatsAppValue(const json::object* value) {
    std::string phone_number_id = StrAt(ObjAt(value, "metadata"), "phone_number_id");
    const json::array* messages = ArrAt(value, "messages");
    const json::array* statuses = ArrAt(value, "statuses");
    const json::array* errors = ArrAt(value, "errors");
    if (phone_number_id.empty() ||
        (messages == nullptr && statuses == nullptr && errors == nullptr)) {
      Ignore("malformed");
      return;
    }
    // System-level errors (e.g. 130429 rate limit) concern the number, not a conversation.
    Ignore("system_error", errors != nullptr ? static_cast<int>(errors->size()) : 0);
    std::map<std::string, std::string, std::less<>> names;  // wa_id → profile name
    std::string only_name;
    if (const json::array* contacts = ArrAt(value, "contacts")) {
      for (const json::value& c : *contacts) {
        const json::object* contact = c.if_object();
        std::string name = StrAt(ObjAt(contact, "profile"), "name");
        names[StrAt(contact, "wa_id")] = name;
        only_name = contacts->size() == 1 ? name : "";
      }
    }
    EachObject(Items(messages), [&](const json::object& msg) {
      v1::InboundEvent ev;
      auto name = names.find(StrAt(&msg, "from"));
      // A single contact is the sender even when newer payloads key it by a business-scoped id.
      ev.set_contact_name(name != names.end() ? name->second : only_name);
      WhatsAppMessage(msg, phone_number_id, std::move(ev));
    });
    EachObject(Items(statuses),
               [&](const json::object& st) { WhatsAppStatus(st, phone_number_id); });
  }

  void WhatsAppMessage(const json::object& msg, const std::string& phone_number_id,
                       v1::InboundEvent ev) {
    std::string type = StrAt(&msg, "type");
    ev.set_platform(kWhatsApp);
    ev.set_kind("message");
    ev.set_raw_type(type);
    ev.set_channel_external_id(phone_number_id);
    ev.set_sender_id(StrAt(&msg, "from"));
    ev.set_recipient_id(phone_number_id);
    ev.set_platform_message_id(StrAt(&msg, "id"));
    ev.set_timestamp_ms(SecondsToMillis(Int(At(&msg, "timestamp"))));
    ev.set_reply_to(StrAt(ObjAt(&msg, "context"), "id"));
    if (const json::object* r = ObjAt(&msg, "referral")) {
      // Click-to-WhatsApp: source_id is the ad (source_type "ad") or the post.
      std::string source = StrAt(r, "source_type");
      v1::Referral* ref = ev.mutable_referral();
      (source == "ad" ? ref->mutable_ad_id() : ref->mutable_ref())->assign(StrAt(r, "source_id"));
      ref->set_source(source);
      ref->set_source_url(StrAt(r, "source_url"));
    }
    if (ev.sender_id().empty() || ev.platform_message_id().empty()) {
      Ignore("malformed");
      return;
    }
    const json::object* body = ObjAt(&msg, type);
    if (type == "text") {
      ev.set_text(StrAt(body, "body"));
    } else if (type == "image" || type == "audio" || type == "video" || type == "document" ||
               type == "sticker") {
      v1::Attachment* a = ev.add_attachments();
      a->set_type(type);
      a->set_media_id(StrAt(body, "id"));
      a->set_mime_type(StrAt(body, "mime_type"));
      a->set_sha256(StrAt(body, "sha256"));
      a->set_caption(StrAt(body, "caption"));
      a->set_filename(StrAt(body, "filename"));
      a->set_url(StrAt(body, "url"));
      ev.set_text(a->caption());
    } else if (type == "interactive") {
      std::string kind = StrAt(body, "type");
      const json::object* reply = ObjAt(body, kind);
      if ((kind != "button_reply" && kind != "list_reply") || reply == nullptr) {
        Ignore(Reason("unknown_type", "interactive." + kind));
        return;
      }
      v1::InteractiveReply* out = ev.mutable_interactive();
      out->set_type(kind);
      out->set_id(StrAt(reply, "id"));
      out->set_title(StrAt(reply, "title"));
      out->set_description(StrAt(reply, "description"));
      ev.set_text(out->title());
    } else if (type == "button") {
      ev.set_payload(StrAt(body, "payload"));
      ev.set_payload_title(StrAt(body, "text"));
      ev.set_text(ev.payload_title());
    } else if (type == "location") {
      v1::Location* loc = ev.mutable_location();
      loc->set_latitude(Num(At(body, "latitude")));
      loc->set_longitude(Num(At(body, "longitude")));
      loc->set_name(StrAt(body, "name"));
      loc->set_address(StrAt(body, "address"));
    } else {
      // reaction, contacts, order, system, unsupported (with errors[]), and whatever comes next.
      Ignore(Reason("unknown_type", type));
      return;
    }
    if (body == nullptr) {
      Ignore("malformed");
      return;
    }
    out_.events.push_back(std::move(ev));
  }

  void WhatsAppStatus(const json::object& st, const std::string& phone_number_id) {
    std::string status = StrAt(&st, "status");
    if (status != "sent" && status != "delivered" && status != "read" && status != "failed") {
      Ignore(Reason("unknown_status", status));
      return;
    }
    v1::InboundEvent ev;
    ev.set_platform(kWhatsApp);
    ev.set_kind("status");
    ev.set_raw_type("status");
    ev.set_channel_external_id(phone_number_id);
    ev.set_sender_id(phone_number_id);
    ev.set_recipient_id(StrAt(&st, "recipient_id"));
    ev.set_platform_message_id(StrAt(&st, "id"));
    ev.set_timestamp_ms(SecondsToMillis(Int(At(&st, "timestamp"))));
    ev.set_metadata(StrAt(&st, "biz_opaque_callback_data"));
    v1::DeliveryStatus* out = ev.mutable_status();
    out->set_status(status);
    out->set_recipient_id(ev.recipient_id());
    if (const json::array* errors = ArrAt(&st, "errors")) {
      for (const json::value& e : *errors) {
        const json::object* err = e.if_object();
        if (err == nullptr) {
          continue;
        }
        v1::StatusError* o = out->add_errors();
        int64_t code = Int(At(err, "code"));
        o->set_code(code <= std::numeric_limits<int32_t>::max() ? static_cast<int32_t>(code) : 0);
        o->set_title(StrAt(err, "title"));
        o->set_message(StrAt(err, "message"));
        o->set_details(StrAt(ObjAt(err, "error_data"), "details"));
      }
    }
    if (ev.platform_message_id().empty()) {
      Ignore("malformed");
      return;
    }
    out_.events.push_back(std::move(ev));
  }

  ParsedWebhook& out_;
};

}  // namespace

int ParsedWebhook::ignored_total() const {
  int n = 0;
  for (const auto& [reason, count] : ignored) {
    n += count;
  }
  return n;
}

Result<ParsedWebhook> ParseMetaWebhook(std::string_view body) {
  boost::system::error_code ec;
  json::monotonic_resource mr;
  json::value root = json::parse(body, ec, &mr);
  if (ec) {
    return InvalidArgument("the webhook body is not JSON: " + ec.message());
  }
  ParsedWebhook out;
  Parser parser(out);
  if (const json::array* many = root.if_array()) {
    // Some of Meta's Instagram examples wrap the envelope in an array; real deliveries do not.
    for (const json::value& v : *many) {
      parser.Envelope(v);
    }
  } else {
    parser.Envelope(root);
  }
  return out;
}

std::string DedupeKey(const v1::InboundEvent& ev) {
  std::string key = "salesos:dedupe:" + ev.platform() + ":";
  const std::string& kind = ev.kind();
  if (kind == "status") {
    return key + ev.platform_message_id() + ":" + ev.status().status();
  }
  if (kind == "read" || kind == "delivery") {
    // Idempotent anyway (a watermark only moves forward); the key keeps redeliveries off the
    // stream.
    std::string mark =
        ev.watermark_ms() > 0 ? std::to_string(ev.watermark_ms()) : ev.platform_message_id();
    return key + kind + ":" + ev.channel_external_id() + ":" + ev.sender_id() + ":" + mark;
  }
  if (ev.platform_message_id().empty()) {
    // A postback from before v11.0 has no mid: the same tap is the same sender, time and payload.
    std::string digest = crypto::Sha256(ev.sender_id() + "\n" + std::to_string(ev.timestamp_ms()) +
                                        "\n" + ev.payload());
    return key + kind + ":" + HexEncode(digest.substr(0, 16));
  }
  return key + ev.platform_message_id();
}

}  // namespace salesos::webhook_ingest
