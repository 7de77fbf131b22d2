#include "contact_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <google/protobuf/util/json_util.h>
#include <cmath>
#include <map>

#include "contact_rules.h"
#include "contact_views.h"
#include "conversation_views.h"
#include "import_jobs.h"
#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/time.h"
#include "salesos/rpc/message_limits.h"
#include "salesos/rpc/paging.h"
#include "salesos/segments/sql.h"

namespace salesos::conversation {
namespace {

constexpr char kContactNotFound[] = "contact not found";
constexpr char kAccountNotFound[] = "account not found";
constexpr char kJobNotFound[] = "job not found";
// Distinct from other lists' kinds, so a token of one list is refused by another.
constexpr std::string_view kContactPageKind = "k1";
constexpr std::string_view kAccountPageKind = "a1";
constexpr std::string_view kSegmentPageKind = "s1";
constexpr size_t kMaxQueryBytes = 200;
constexpr int32_t kMaxSegmentPage = 1000;
// Exports read the contacts this many at a time.
constexpr int64_t kExportChunk = 1000;
// An export travels as one gRPC message; beyond this it is refused with a clear error (rather
// than the transport's) before more is read. 1 MiB is left for the rest of the message.
constexpr size_t kMaxExportBytes = rpc::kMaxMessageBytes - 1024 * 1024;

// A contact of a JSON export: the API's JSON without the fields at their defaults, so a large
// export stays small (an import reads either).
std::string ExportJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = false;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

using FieldDescriptor = google::protobuf::FieldDescriptor;

Status RequireWorkspace(const rpc::Caller& caller) {
  if (caller.workspace_id.empty()) {
    return PermissionDenied("contacts belong to a workspace; this token has none");
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

bool IsLetters(std::string_view s, size_t n) {
  if (s.size() != n) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  return true;
}

std::string Upper(std::string s) {
  for (auto& c : s) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}

std::string JoinName(const std::string& first, const std::string& last) {
  if (first.empty()) {
    return last;
  }
  return last.empty() ? first : first + " " + last;
}

std::vector<std::string> SplitPaths(const google::protobuf::RepeatedPtrField<std::string>& mask) {
  std::vector<std::string> out;
  for (const auto& entry : mask) {
    size_t start = 0;
    while (true) {
      size_t comma = entry.find(',', start);
      std::string path =
          entry.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      path.erase(0, path.find_first_not_of(' '));
      path.erase(path.find_last_not_of(' ') + 1);
      if (!path.empty()) {
        out.push_back(path);
      }
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  return out;
}

// The top-level fields of `m` that are set (proto3: not the default), by JSON name.
std::vector<std::string> PresentPaths(const google::protobuf::Message& m) {
  std::vector<const FieldDescriptor*> present;
  m.GetReflection()->ListFields(m, &present);
  std::vector<std::string> out;
  for (const auto* f : present) {
    out.push_back(f->json_name());
  }
  return out;
}

Status PlatformId(std::string value, const std::string& field, bool whatsapp, std::string* out) {
  if (value.size() > 64) {
    return FieldError(field, "must be at most 64 characters");
  }
  if (whatsapp) {
    if (!value.empty() && value.front() == '+') {
      value.erase(0, 1);
    }
    if (value.find_first_not_of("0123456789") != std::string::npos) {
      return FieldError(field, "must be the WhatsApp number's digits (wa_id)");
    }
  }
  for (unsigned char c : value) {
    if (c <= 0x20 || c == 0x7f) {
      return FieldError(field, "must not hold spaces or control characters");
    }
  }
  *out = std::move(value);
  return OkStatus();
}

// Applies one path of `src` to `row`. merge: a present-field update (customFields and platformIds
// merge key by key; a null custom value removes its key); else the path replaces, even with an
// empty value. `names_given` collects firstName / lastName / fullName.
Status ApplyContactPath(const std::string& path, const v1::Contact& src, bool merge,
                        const segments::CustomFieldDecls& decls, ContactRow& row,
                        std::map<std::string, bool>& given) {
  given[path] = true;
  auto name = [&](const std::string& value, std::string& field) -> Status {
    SALESOS_RETURN_IF_ERROR(ValidateName(value, path));
    field = value;
    return OkStatus();
  };
  if (path == "firstName") return name(src.first_name(), row.first_name);
  if (path == "lastName") return name(src.last_name(), row.last_name);
  if (path == "fullName") return name(src.full_name(), row.full_name);
  if (path == "title") return name(src.title(), row.title);
  if (path == "city") return name(src.city(), row.city);
  if (path == "email") {
    SALESOS_RETURN_IF_ERROR(ValidateEmail(src.email(), "email"));
    row.email = src.email();
    return OkStatus();
  }
  if (path == "phone") {
    SALESOS_ASSIGN_OR_RETURN(row.phone, NormalizePhone(src.phone(), "phone"));
    return OkStatus();
  }
  if (path == "country") {
    if (!src.country().empty() && !IsLetters(src.country(), 2)) {
      return FieldError("country", "must be a two-letter country code such as FR");
    }
    row.country = Upper(src.country());
    return OkStatus();
  }
  if (path == "language") {
    if (!src.language().empty() && !IsLetters(src.language(), 2)) {
      return FieldError("language", "must be a two-letter language code such as fr");
    }
    row.language = AsciiLower(src.language());
    return OkStatus();
  }
  if (path == "accountId") {
    row.account_id = src.account_id();  // checked against the workspace's accounts after
    return OkStatus();
  }
  if (path == "ownerId") {
    if (!src.owner_id().empty() && !IsUuid(src.owner_id())) {
      return FieldError("ownerId", "must be a member's user id");
    }
    row.owner_id = src.owner_id();
    return OkStatus();
  }
  if (path == "tags") {
    std::vector<std::string> tags(src.tags().begin(), src.tags().end());
    SALESOS_ASSIGN_OR_RETURN(row.tags, NormalizeTags(tags, "tags"));
    return OkStatus();
  }
  if (path == "journeyStage") {
    if (!IsJourneyStage(src.journey_stage())) {
      return FieldError("journeyStage",
                        "must be one of awareness, interest, consideration, purchase, retention");
    }
    row.journey_stage = src.journey_stage();
    return OkStatus();
  }
  if (path == "optedOut") {
    row.opted_out = src.opted_out();
    return OkStatus();
  }
  if (path == "importantDates") {
    if (static_cast<size_t>(src.important_dates_size()) > kMaxImportantDates) {
      return FieldError("importantDates", "must be at most 50 dates");
    }
    google::protobuf::RepeatedPtrField<v1::ImportantDate> dates = src.important_dates();
    for (int i = 0; i < dates.size(); ++i) {
      SALESOS_RETURN_IF_ERROR(NormalizeImportantDate(
          dates.Mutable(i), "importantDates[" + std::to_string(i) + "]"));
    }
    row.important_dates = ImportantDatesToJson(dates);
    return OkStatus();
  }
  auto custom_one = [&](const std::string& key) -> Status {
    const std::string field = "customFields." + key;
    auto decl = decls.find(key);
    if (decl == decls.end()) {
      return FieldError(field, "is not a declared field (declare it with POST /api/v1/contact-fields)");
    }
    const auto& fields = src.custom_fields().fields();
    auto it = fields.find(key);
    if (it == fields.end() || it->second.kind_case() == google::protobuf::Value::kNullValue ||
        it->second.kind_case() == google::protobuf::Value::KIND_NOT_SET) {
      row.custom.erase(key);
      return OkStatus();
    }
    SALESOS_ASSIGN_OR_RETURN(row.custom[key], CustomValueFromJson(decl->second, it->second, field));
    return OkStatus();
  };
  if (path == "customFields") {
    if (!merge) {
      row.custom.clear();
    }
    std::vector<std::string> keys;
    for (const auto& [k, v] : src.custom_fields().fields()) {
      keys.push_back(k);
    }
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
      SALESOS_RETURN_IF_ERROR(custom_one(k));
    }
    return OkStatus();
  }
  if (path.rfind("customFields.", 0) == 0) {
    return custom_one(path.substr(13));
  }
  const auto& ids = src.platform_ids();
  if (path == "platformIds") {
    if (!merge || !ids.facebook().empty()) {
      SALESOS_RETURN_IF_ERROR(
          PlatformId(ids.facebook(), "platformIds.facebook", false, &row.facebook_id));
    }
    if (!merge || !ids.instagram().empty()) {
      SALESOS_RETURN_IF_ERROR(
          PlatformId(ids.instagram(), "platformIds.instagram", false, &row.instagram_id));
    }
    if (!merge || !ids.whatsapp().empty()) {
      SALESOS_RETURN_IF_ERROR(
          PlatformId(ids.whatsapp(), "platformIds.whatsapp", true, &row.whatsapp_id));
    }
    return OkStatus();
  }
  if (path == "platformIds.facebook") {
    return PlatformId(ids.facebook(), path, false, &row.facebook_id);
  }
  if (path == "platformIds.instagram") {
    return PlatformId(ids.instagram(), path, false, &row.instagram_id);
  }
  if (path == "platformIds.whatsapp") {
    return PlatformId(ids.whatsapp(), path, true, &row.whatsapp_id);
  }
  static const char* kReadOnly[] = {"id",        "platform",  "platformUserId", "createdAt",
                                    "updatedAt", "source",    "stats",          "leadScore",
                                    "account",   "status"};
  for (const char* r : kReadOnly) {
    if (path == r) {
      if (merge) {
        return OkStatus();  // a client may send back what it read
      }
      return FieldError("updateMask", "\"" + path +
                                          "\" is not writable: it is the server's (source, "
                                          "status, leadScore, stats, ids and times)");
    }
  }
  return FieldError(merge ? path : "updateMask",
                    "\"" + path.substr(0, 64) + "\" is not a contact field");
}

// After the paths: the full name follows first and last name unless it was given.
void FinishNames(ContactRow& row, const std::map<std::string, bool>& given) {
  if (!given.count("fullName") && (given.count("firstName") || given.count("lastName"))) {
    row.full_name = JoinName(row.first_name, row.last_name);
  }
}

// "Column" text of an account: at most `max` characters, no control characters.
Status AccountText(const std::string& value, const std::string& field, long max) {
  if (Utf8Chars(value) > max) {
    return FieldError(field, "must be at most " + std::to_string(max) + " characters");
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return FieldError(field, "must not hold control characters");
    }
  }
  return OkStatus();
}

std::string AddressJson(const v1::Address& a) {
  return boost::json::serialize(boost::json::object{{"street", a.street()},
                                                    {"city", a.city()},
                                                    {"region", a.region()},
                                                    {"postalCode", a.postal_code()},
                                                    {"country", a.country()}});
}

Status ApplyAccountPath(const std::string& path, const v1::Account& src, bool merge,
                        AccountRow& row) {
  if (path == "name") {
    if (src.name().find_first_not_of(" \t") == std::string::npos) {
      return FieldError("name", "is required (1 to 200 characters)");
    }
    SALESOS_RETURN_IF_ERROR(AccountText(src.name(), "name", 200));
    row.name = src.name();
    return OkStatus();
  }
  if (path == "website") {
    SALESOS_RETURN_IF_ERROR(AccountText(src.website(), "website", 500));
    if (src.website().find(' ') != std::string::npos) {
      return FieldError("website", "must be a web address without spaces");
    }
    row.website = src.website();
    return OkStatus();
  }
  if (path == "industry") {
    SALESOS_RETURN_IF_ERROR(AccountText(src.industry(), "industry", 200));
    row.industry = src.industry();
    return OkStatus();
  }
  if (path == "type") {
    SALESOS_RETURN_IF_ERROR(AccountText(src.type(), "type", 64));
    row.type = src.type();
    return OkStatus();
  }
  if (path == "status") {
    SALESOS_RETURN_IF_ERROR(AccountText(src.status(), "status", 64));
    row.status = src.status();
    return OkStatus();
  }
  if (path == "employees") {
    if (src.employees() < 0) {
      return FieldError("employees", "must be 0 or more");
    }
    row.employees = src.employees();
    return OkStatus();
  }
  if (path == "annualRevenue") {
    if (!std::isfinite(src.annual_revenue()) || src.annual_revenue() < 0) {
      return FieldError("annualRevenue", "must be a number, 0 or more");
    }
    row.annual_revenue = src.annual_revenue();
    return OkStatus();
  }
  if (path == "ownerId") {
    if (!src.owner_id().empty() && !IsUuid(src.owner_id())) {
      return FieldError("ownerId", "must be a member's user id");
    }
    row.owner_id = src.owner_id();
    return OkStatus();
  }
  if (path == "parentAccountId") {
    row.parent_account_id = src.parent_account_id();  // checked after
    return OkStatus();
  }
  if (path == "address" || path.rfind("address.", 0) == 0) {
    const auto& a = src.address();
    const std::pair<const char*, const std::string*> parts[] = {{"street", &a.street()},
                                                                {"city", &a.city()},
                                                                {"region", &a.region()},
                                                                {"postalCode", &a.postal_code()},
                                                                {"country", &a.country()}};
    v1::Account current;
    FillAccount(row, &current);
    v1::Address out = current.address();
    bool known = path == "address";
    for (const auto& [name, value] : parts) {
      const bool selected = path == "address" || path == std::string("address.") + name;
      known = known || selected;
      if (!selected || (merge && value->empty())) {
        continue;
      }
      SALESOS_RETURN_IF_ERROR(AccountText(*value, std::string("address.") + name, 200));
      const std::string n = name;
      if (n == "street") out.set_street(*value);
      if (n == "city") out.set_city(*value);
      if (n == "region") out.set_region(*value);
      if (n == "postalCode") out.set_postal_code(*value);
      if (n == "country") out.set_country(*value);
    }
    if (!known) {
      return FieldError("updateMask", "\"" + path.substr(0, 64) + "\" is not an account field");
    }
    row.address = AddressJson(out);
    return OkStatus();
  }
  if (path == "id" || path == "createdAt" || path == "updatedAt") {
    if (merge) {
      return OkStatus();
    }
    return FieldError("updateMask", "\"" + path + "\" is not writable");
  }
  return FieldError(merge ? path : "updateMask",
                    "\"" + path.substr(0, 64) + "\" is not an account field");
}

std::string Today() { return FormatRfc3339(NowUnixSeconds()).substr(0, 10); }

}  // namespace

Status EvaluateSegment(store::Store& db, const v1::EvaluateSegmentForServiceRequest& req,
                       v1::EvaluateSegmentForServiceResponse* resp) {
  if (req.workspace_id().empty()) {
    return FieldError("workspaceId", "is required");
  }
  if (req.page_size() < 0 || req.page_size() > kMaxSegmentPage) {
    return FieldError("pageSize", "must be between 0 and 1000");
  }
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kSegmentPageKind, req.page_token()));
  ContactStore store(db);
  SALESOS_ASSIGN_OR_RETURN(auto decls, store.FieldDecls(req.workspace_id()));
  const auto dialect = segments::DialectOf(db.Engine());
  const int64_t now = NowUnixMillis();
  if (req.count()) {
    SALESOS_ASSIGN_OR_RETURN(auto compiled,
                             segments::CompileSegmentRule(req.rules(), decls, dialect, now,
                                                          ContactStore::kCountRuleFirstParam, 1));
    SALESOS_ASSIGN_OR_RETURN(int64_t n,
                             store.CountMatching(req.workspace_id(), compiled.where,
                                                 compiled.params));
    resp->set_total_count(n);
  }
  if (req.page_size() == 0) {
    if (!req.count()) {
      // Still validate the tree.
      SALESOS_ASSIGN_OR_RETURN(auto compiled,
                               segments::CompileSegmentRule(req.rules(), decls, dialect, now,
                                                            ContactStore::kCountRuleFirstParam, 1));
      (void)compiled;
    }
    return OkStatus();
  }
  SALESOS_ASSIGN_OR_RETURN(auto compiled,
                           segments::CompileSegmentRule(req.rules(), decls, dialect, now,
                                                        ContactStore::kPageRuleFirstParam, 1));
  SALESOS_ASSIGN_OR_RETURN(auto rows, store.PageMatching(req.workspace_id(), compiled.where,
                                                         compiled.params, after,
                                                         req.page_size() + 1));
  const bool more = rows.size() > static_cast<size_t>(req.page_size());
  if (more) {
    rows.resize(static_cast<size_t>(req.page_size()));
  }
  for (const auto& c : rows) {
    FillContact(c, resp->add_contacts());
  }
  if (more) {
    resp->set_next_page_token(rpc::EncodePageToken(kSegmentPageKind, rows.back().id));
  }
  return OkStatus();
}

void ContactServiceImpl::Publish(const std::string& type, const std::string& workspace_id,
                                 const google::protobuf::Message& resource) {
  if (deps_.publish) {
    deps_.publish(type, workspace_id, ToJson(resource));
  }
}

Status ContactServiceImpl::ShowContact(const ContactRow& c, v1::Contact* out) {
  FillContact(c, out);
  if (!c.account_id.empty()) {
    SALESOS_ASSIGN_OR_RETURN(auto account, store_.GetAccount(c.workspace_id, c.account_id));
    if (account.has_value()) {
      FillAccount(*account, out->mutable_account());
    }
  }
  return OkStatus();
}

Status ContactServiceImpl::CheckAccount(const std::string& workspace_id,
                                        const std::string& account_id, const char* field) {
  if (account_id.empty()) {
    return OkStatus();
  }
  if (IsUuid(account_id)) {
    SALESOS_ASSIGN_OR_RETURN(auto account, store_.GetAccount(workspace_id, account_id));
    if (account.has_value()) {
      return OkStatus();
    }
  }
  return FieldError(field, "is not an account of this workspace");
}

Status ContactServiceImpl::DoCreateContact(const rpc::Caller& caller, const v1::Contact& req,
                                           v1::Contact* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  if (!req.source().empty() && req.source() != "manual" && req.source() != "api") {
    return FieldError("source", "must be manual or api (chat and import are the system's)");
  }
  SALESOS_ASSIGN_OR_RETURN(auto decls, store_.FieldDecls(caller.workspace_id));
  const int64_t now_ms = NowUnixMillis();
  ContactRow row;
  row.id = NewUuidV7(now_ms);
  row.workspace_id = caller.workspace_id;
  row.platform_user_id = row.id;
  row.source = req.source().empty() ? "manual" : req.source();
  row.created_ms = now_ms;
  row.created_at = FormatRfc3339Millis(now_ms);
  row.updated_at = row.created_at;
  row.owner_id = caller.user_id;
  std::map<std::string, bool> given;
  for (const auto& path : PresentPaths(req)) {
    SALESOS_RETURN_IF_ERROR(ApplyContactPath(path, req, true, decls, row, given));
  }
  FinishNames(row, given);
  if (row.email.empty() && row.phone.empty() && row.first_name.empty() &&
      row.last_name.empty() && row.full_name.empty()) {
    return Status(Code::kInvalidArgument, "a contact needs an email, a phone or a name",
                  {{"email", "an email, a phone or a name is required"},
                   {"phone", "an email, a phone or a name is required"},
                   {"firstName", "an email, a phone or a name is required"}});
  }
  SALESOS_RETURN_IF_ERROR(CheckAccount(caller.workspace_id, row.account_id, "accountId"));
  row.custom_json = CustomValuesToJson(row.custom, decls);
  SALESOS_RETURN_IF_ERROR(store_.CreateContact(row));
  log::Info("contact created",
            {{"workspaceId", row.workspace_id}, {"contactId", row.id}, {"by", caller.user_id}});
  SALESOS_RETURN_IF_ERROR(ShowContact(row, resp));
  Publish("contact.created", row.workspace_id, *resp);
  return OkStatus();
}

Status ContactServiceImpl::DoGetContact(const std::string& workspace_id, const std::string& id,
                                        v1::Contact* resp) {
  SALESOS_ASSIGN_OR_RETURN(auto row, store_.GetContact(workspace_id, id));
  if (!row.has_value()) {
    return NotFound(kContactNotFound);
  }
  return ShowContact(*row, resp);
}

Status ContactServiceImpl::SegmentFilter(const std::string& workspace_id,
                                         const std::string& segment_id,
                                         const segments::CustomFieldDecls& decls,
                                         ContactStore::ContactFilter* f) {
  if (!IsUuid(segment_id)) {
    return NotFound("segment not found");
  }
  if (!deps_.segments) {
    return Unavailable("segments cannot be read right now");
  }
  auto rules = deps_.segments(workspace_id, segment_id);
  if (!rules.ok()) {
    if (rules.status().code() == Code::kNotFound) {
      return NotFound("segment not found");
    }
    return Unavailable("the segment could not be read (campaign): " + rules.status().message());
  }
  auto compiled = segments::CompileSegmentRule(*rules, decls, segments::DialectOf(db_.Engine()),
                                               NowUnixMillis(),
                                               ContactStore::kListRuleFirstParam, 1);
  if (!compiled.ok()) {
    // A stored segment that no longer compiles (a custom field it names was deleted).
    return FailedPrecondition("the segment's rules no longer apply: " +
                              compiled.status().message());
  }
  f->rule_where = std::move(compiled->where);
  f->rule_params = std::move(compiled->params);
  return OkStatus();
}

Status ContactServiceImpl::DoListContacts(const rpc::Caller& caller,
                                          const v1::ListContactsRequest& req,
                                          v1::ListContactsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  if (req.q().size() > kMaxQueryBytes) {
    return FieldError("q", "must be at most 200 bytes");
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kContactPageKind, req.page_token()));
  ContactStore::ContactFilter filter;
  filter.query = req.q();
  if (!req.tag().empty()) {
    SALESOS_ASSIGN_OR_RETURN(filter.tag, NormalizeTag(req.tag(), "tag"));
  }
  if (!req.account_id().empty()) {
    if (!IsUuid(req.account_id())) {
      return FieldError("accountId", "must be an account id");
    }
    filter.account_id = req.account_id();
  }
  if (!req.segment_id().empty()) {
    SALESOS_ASSIGN_OR_RETURN(auto decls, store_.FieldDecls(caller.workspace_id));
    SALESOS_RETURN_IF_ERROR(SegmentFilter(caller.workspace_id, req.segment_id(), decls, &filter));
  }
  SALESOS_ASSIGN_OR_RETURN(auto rows,
                           store_.ListContacts(caller.workspace_id, filter, after, page_size + 1));
  const std::string next = rpc::TakePage(rows, page_size, kContactPageKind);
  for (const auto& c : rows) {
    SALESOS_RETURN_IF_ERROR(ShowContact(c, resp->add_contacts()));
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status ContactServiceImpl::DoExportContacts(const rpc::Caller& caller,
                                            const v1::ExportContactsRequest& req,
                                            api::HttpBody* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  const std::string format = req.format().empty() ? "csv" : AsciiLower(req.format());
  if (format != "csv" && format != "json") {
    return FieldError("format", "must be csv or json");
  }
  SALESOS_ASSIGN_OR_RETURN(auto decls, store_.FieldDecls(caller.workspace_id));
  ContactStore::ContactFilter filter;
  if (!req.segment_id().empty()) {
    SALESOS_RETURN_IF_ERROR(SegmentFilter(caller.workspace_id, req.segment_id(), decls, &filter));
  }
  std::string out = format == "csv" ? ContactsCsvHeader(decls) : "{\"contacts\":[";
  std::map<std::string, std::optional<AccountRow>> accounts;
  std::string after;
  int64_t count = 0;
  while (true) {
    SALESOS_ASSIGN_OR_RETURN(auto rows,
                             store_.ListContacts(caller.workspace_id, filter, after, kExportChunk));
    for (auto& c : rows) {
      if (format == "csv") {
        c.custom = CustomValuesFromJson(c.custom_json, decls);
        AppendContactCsv(c, decls, out);
      } else {
        v1::Contact view;
        FillContact(c, &view);
        if (!c.account_id.empty()) {
          auto it = accounts.find(c.account_id);
          if (it == accounts.end()) {
            SALESOS_ASSIGN_OR_RETURN(auto a, store_.GetAccount(c.workspace_id, c.account_id));
            it = accounts.emplace(c.account_id, std::move(a)).first;
          }
          if (it->second.has_value()) {
            FillAccount(*it->second, view.mutable_account());
          }
        }
        out += (count == 0 ? "" : ",") + ExportJson(view);
      }
      ++count;
    }
    if (out.size() > kMaxExportBytes) {
      return FieldError(req.segment_id().empty() ? "segmentId" : "format",
                        "the export would be larger than " +
                            std::to_string(kMaxExportBytes / (1024 * 1024)) +
                            " MiB; export a segment of the contacts, or as CSV");
    }
    if (static_cast<int64_t>(rows.size()) < kExportChunk) {
      break;
    }
    after = rows.back().id;
  }
  if (format == "json") {
    out += "]}";
  }
  resp->set_content_type(format == "csv" ? "text/csv; charset=utf-8"
                                         : "application/json; charset=utf-8");
  resp->set_filename("contacts-" + Today() + "." + format);
  resp->set_content(std::move(out));
  log::Info("contacts exported", {{"workspaceId", caller.workspace_id},
                                  {"contacts", count},
                                  {"format", format},
                                  {"by", caller.user_id}});
  return OkStatus();
}

Status ContactServiceImpl::DoImportContacts(const rpc::Caller& caller,
                                            const v1::ImportContactsRequest& req, v1::Job* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(auto decls, store_.FieldDecls(caller.workspace_id));
  SALESOS_ASSIGN_OR_RETURN(PreparedImport prepared,
                           PrepareImport(req.file().content_type(), req.file().content(),
                                         req.mapping(), req.no_header(), decls));
  const int64_t now_ms = NowUnixMillis();
  JobRow job;
  job.id = NewUuidV7(now_ms);
  job.workspace_id = caller.workspace_id;
  job.kind = kImportJobKind;
  job.status = "queued";
  job.params = prepared.ParamsJson();
  job.input = req.file().content();
  job.total = prepared.total;
  job.created_by = caller.user_id;
  job.created_at = FormatRfc3339Millis(now_ms);
  job.updated_at = job.created_at;
  SALESOS_RETURN_IF_ERROR(store_.CreateJob(job));
  log::Info("contact import queued", {{"workspaceId", job.workspace_id},
                                      {"jobId", job.id},
                                      {"rows", job.total},
                                      {"by", caller.user_id}});
  if (deps_.wake_imports) {
    deps_.wake_imports();
  }
  FillJob(job, resp);
  return OkStatus();
}

Status ContactServiceImpl::DoUpdateContact(const rpc::Caller& caller,
                                           const v1::UpdateContactRequest& req,
                                           v1::Contact* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kContactNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto decls, store_.FieldDecls(caller.workspace_id));
  std::vector<std::string> add(req.add_tags().begin(), req.add_tags().end());
  std::vector<std::string> remove(req.remove_tags().begin(), req.remove_tags().end());
  SALESOS_ASSIGN_OR_RETURN(add, NormalizeTags(add, "addTags"));
  SALESOS_ASSIGN_OR_RETURN(remove, NormalizeTags(remove, "removeTags"));
  const std::vector<std::string> mask = SplitPaths(req.update_mask());
  const bool merge = mask.empty();
  const std::vector<std::string> paths = merge ? PresentPaths(req.contact()) : mask;
  // The account is checked before the transaction (an account deleted meanwhile leaves an id
  // that reads as no account).
  std::map<std::string, bool> given;
  {
    ContactRow probe;
    for (const auto& path : paths) {
      SALESOS_RETURN_IF_ERROR(ApplyContactPath(path, req.contact(), merge, decls, probe, given));
    }
    if (given.count("accountId")) {
      SALESOS_RETURN_IF_ERROR(CheckAccount(caller.workspace_id, probe.account_id, "accountId"));
    }
  }
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  SALESOS_ASSIGN_OR_RETURN(
      auto change,
      store_.UpdateContact(caller.workspace_id, req.id(), decls, [&](ContactRow& row) -> Status {
        std::map<std::string, bool> applied;
        for (const auto& path : paths) {
          SALESOS_RETURN_IF_ERROR(ApplyContactPath(path, req.contact(), merge, decls, row, applied));
        }
        FinishNames(row, applied);
        for (const auto& t : remove) {
          row.tags.erase(std::remove(row.tags.begin(), row.tags.end(), t), row.tags.end());
        }
        for (const auto& t : add) {
          if (std::find(row.tags.begin(), row.tags.end(), t) == row.tags.end()) {
            row.tags.push_back(t);
          }
        }
        if (row.tags.size() > kMaxTags) {
          return FieldError("tags", "must be at most 100 tags");
        }
        row.updated_at = now;
        return OkStatus();
      }));
  SALESOS_RETURN_IF_ERROR(ShowContact(change.second, resp));
  Publish("contact.updated", caller.workspace_id, *resp);
  return OkStatus();
}

Status ContactServiceImpl::DoDeleteContact(const rpc::Caller& caller,
                                           const v1::DeleteContactRequest& req) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kContactNotFound));
  SALESOS_ASSIGN_OR_RETURN(bool deleted, store_.DeleteContact(caller.workspace_id, req.id()));
  if (!deleted) {
    return NotFound(kContactNotFound);
  }
  log::Info("contact deleted",
            {{"workspaceId", caller.workspace_id}, {"contactId", req.id()}, {"by", caller.user_id}});
  v1::Contact gone;
  gone.set_id(req.id());
  Publish("contact.deleted", caller.workspace_id, gone);
  return OkStatus();
}

Status ContactServiceImpl::DoCreateContactField(const rpc::Caller& caller,
                                                const v1::ContactField& req,
                                                v1::ContactField* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  if (!IsFieldKey(req.key())) {
    return FieldError("key", "must be 1 to 64 of A-Z, a-z, 0-9, _ and -");
  }
  if (req.label().find_first_not_of(" \t") == std::string::npos) {
    return FieldError("label", "is required (1 to 200 characters)");
  }
  SALESOS_RETURN_IF_ERROR(ValidateName(req.label(), "label"));
  auto type = ParseFieldType(req.type());
  if (!type.has_value()) {
    return FieldError("type", "must be one of string, number, date, boolean, enum");
  }
  FieldRow row;
  row.key = req.key();
  row.label = req.label();
  row.type = req.type();
  if (*type == segments::CustomFieldType::kEnum) {
    if (req.options_size() == 0 || static_cast<size_t>(req.options_size()) > kMaxEnumOptions) {
      return FieldError("options", "an enum needs 1 to 100 options");
    }
    for (const auto& o : req.options()) {
      if (o.empty()) {
        return FieldError("options", "each option must be 1 to 200 characters");
      }
      SALESOS_RETURN_IF_ERROR(ValidateName(o, "options"));
      if (std::find(row.options.begin(), row.options.end(), o) != row.options.end()) {
        return FieldError("options", "holds \"" + o + "\" twice");
      }
      row.options.push_back(o);
    }
  } else if (req.options_size() > 0) {
    return FieldError("options", "only an enum field has options");
  }
  row.created_at = FormatRfc3339Millis(NowUnixMillis());
  SALESOS_RETURN_IF_ERROR(store_.CreateField(caller.workspace_id, row));
  FillField(row, resp);
  return OkStatus();
}

Status ContactServiceImpl::DoListContactFields(const rpc::Caller& caller,
                                               v1::ListContactFieldsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_ASSIGN_OR_RETURN(auto fields, store_.ListFields(caller.workspace_id));
  for (const auto& f : fields) {
    FillField(f, resp->add_fields());
  }
  return OkStatus();
}

Status ContactServiceImpl::DoDeleteContactField(const rpc::Caller& caller,
                                                const v1::DeleteContactFieldRequest& req) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  if (!IsFieldKey(req.key())) {
    return NotFound("contact field not found");
  }
  SALESOS_ASSIGN_OR_RETURN(bool deleted, store_.DeleteField(caller.workspace_id, req.key()));
  if (!deleted) {
    return NotFound("contact field not found");
  }
  log::Info("contact field deleted",
            {{"workspaceId", caller.workspace_id}, {"key", req.key()}, {"by", caller.user_id}});
  return OkStatus();
}

namespace {

// A parent must be another account of the workspace, and not one of the account's descendants.
Status CheckParent(ContactStore& store, const std::string& workspace_id, const std::string& id,
                   const std::string& parent_id) {
  if (parent_id.empty()) {
    return OkStatus();
  }
  if (parent_id == id) {
    return FieldError("parentAccountId", "cannot be the account itself");
  }
  std::string at = parent_id;
  for (int depth = 0; depth < 100 && !at.empty(); ++depth) {
    if (!IsUuid(at)) {
      return FieldError("parentAccountId", "is not an account of this workspace");
    }
    SALESOS_ASSIGN_OR_RETURN(auto a, store.GetAccount(workspace_id, at));
    if (!a.has_value()) {
      if (depth == 0) {
        return FieldError("parentAccountId", "is not an account of this workspace");
      }
      return OkStatus();
    }
    if (a->parent_account_id == id) {
      return FieldError("parentAccountId", "would make a cycle: that account is under this one");
    }
    at = a->parent_account_id;
  }
  return OkStatus();
}

}  // namespace

Status ContactServiceImpl::DoCreateAccount(const rpc::Caller& caller, const v1::Account& req,
                                           v1::Account* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  const int64_t now_ms = NowUnixMillis();
  AccountRow row;
  row.id = NewUuidV7(now_ms);
  row.workspace_id = caller.workspace_id;
  row.owner_id = caller.user_id;
  row.created_at = FormatRfc3339Millis(now_ms);
  row.updated_at = row.created_at;
  std::vector<std::string> paths = PresentPaths(req);
  if (std::find(paths.begin(), paths.end(), "name") == paths.end()) {
    paths.insert(paths.begin(), "name");  // required: fails with a clear message
  }
  for (const auto& path : paths) {
    SALESOS_RETURN_IF_ERROR(ApplyAccountPath(path, req, true, row));
  }
  SALESOS_RETURN_IF_ERROR(CheckParent(store_, row.workspace_id, row.id, row.parent_account_id));
  SALESOS_RETURN_IF_ERROR(store_.CreateAccount(row));
  FillAccount(row, resp);
  Publish("account.created", row.workspace_id, *resp);
  return OkStatus();
}

Status ContactServiceImpl::DoListAccounts(const rpc::Caller& caller,
                                          const v1::ListAccountsRequest& req,
                                          v1::ListAccountsResponse* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  if (req.q().size() > kMaxQueryBytes) {
    return FieldError("q", "must be at most 200 bytes");
  }
  SALESOS_ASSIGN_OR_RETURN(int32_t page_size, rpc::ResolvePageSize(req.page_size()));
  SALESOS_ASSIGN_OR_RETURN(std::string after,
                           rpc::DecodePageToken(kAccountPageKind, req.page_token()));
  SALESOS_ASSIGN_OR_RETURN(auto rows,
                           store_.ListAccounts(caller.workspace_id, req.q(), after, page_size + 1));
  const std::string next = rpc::TakePage(rows, page_size, kAccountPageKind);
  for (const auto& a : rows) {
    FillAccount(a, resp->add_accounts());
  }
  resp->set_next_page_token(next);
  return OkStatus();
}

Status ContactServiceImpl::DoGetAccount(const rpc::Caller& caller,
                                        const v1::GetAccountRequest& req, v1::Account* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kAccountNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto row, store_.GetAccount(caller.workspace_id, req.id()));
  if (!row.has_value()) {
    return NotFound(kAccountNotFound);
  }
  FillAccount(*row, resp);
  return OkStatus();
}

Status ContactServiceImpl::DoUpdateAccount(const rpc::Caller& caller,
                                           const v1::UpdateAccountRequest& req,
                                           v1::Account* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kAccountNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto current, store_.GetAccount(caller.workspace_id, req.id()));
  if (!current.has_value()) {
    return NotFound(kAccountNotFound);
  }
  const std::vector<std::string> mask = SplitPaths(req.update_mask());
  const bool merge = mask.empty();
  AccountRow row = *current;
  for (const auto& path : merge ? PresentPaths(req.account()) : mask) {
    SALESOS_RETURN_IF_ERROR(ApplyAccountPath(path, req.account(), merge, row));
  }
  if (row.parent_account_id != current->parent_account_id) {
    SALESOS_RETURN_IF_ERROR(CheckParent(store_, row.workspace_id, row.id, row.parent_account_id));
  }
  row.updated_at = FormatRfc3339Millis(NowUnixMillis());
  SALESOS_ASSIGN_OR_RETURN(bool written, store_.UpdateAccount(row));
  if (!written) {
    return NotFound(kAccountNotFound);
  }
  FillAccount(row, resp);
  Publish("account.updated", row.workspace_id, *resp);
  return OkStatus();
}

Status ContactServiceImpl::DoDeleteAccount(const rpc::Caller& caller,
                                           const v1::DeleteAccountRequest& req) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kAccountNotFound));
  SALESOS_ASSIGN_OR_RETURN(bool deleted, store_.DeleteAccount(caller.workspace_id, req.id()));
  if (!deleted) {
    return NotFound(kAccountNotFound);
  }
  log::Info("account deleted",
            {{"workspaceId", caller.workspace_id}, {"accountId", req.id()}, {"by", caller.user_id}});
  v1::Account gone;
  gone.set_id(req.id());
  Publish("account.deleted", caller.workspace_id, gone);
  return OkStatus();
}

Status ContactServiceImpl::DoGetJob(const rpc::Caller& caller, const v1::GetJobRequest& req,
                                    v1::Job* resp) {
  SALESOS_RETURN_IF_ERROR(RequireWorkspace(caller));
  SALESOS_RETURN_IF_ERROR(RequireId(req.id(), "id", kJobNotFound));
  SALESOS_ASSIGN_OR_RETURN(auto job, store_.GetJob(caller.workspace_id, req.id()));
  if (!job.has_value()) {
    return NotFound(kJobNotFound);
  }
  FillJob(*job, resp);
  return OkStatus();
}

#define SALESOS_CONTACT_RPC(Method, Request, Response, Call)                              \
  grpc::ServerUnaryReactor* ContactServiceImpl::Method(grpc::CallbackServerContext* ctx,  \
                                                       const Request* req, Response* resp) { \
    return rpc::Handle(ctx, pool_, [=, this](const rpc::Caller& caller) -> Status {       \
      (void)req;                                                                          \
      (void)resp;                                                                         \
      return Call;                                                                        \
    });                                                                                   \
  }

SALESOS_CONTACT_RPC(CreateContact, v1::Contact, v1::Contact, DoCreateContact(caller, *req, resp))
SALESOS_CONTACT_RPC(ListContacts, v1::ListContactsRequest, v1::ListContactsResponse,
                    DoListContacts(caller, *req, resp))
SALESOS_CONTACT_RPC(ExportContacts, v1::ExportContactsRequest, api::HttpBody,
                    DoExportContacts(caller, *req, resp))
SALESOS_CONTACT_RPC(ImportContacts, v1::ImportContactsRequest, v1::Job,
                    DoImportContacts(caller, *req, resp))
SALESOS_CONTACT_RPC(UpdateContact, v1::UpdateContactRequest, v1::Contact,
                    DoUpdateContact(caller, *req, resp))
SALESOS_CONTACT_RPC(DeleteContact, v1::DeleteContactRequest, v1::DeleteContactResponse,
                    DoDeleteContact(caller, *req))
SALESOS_CONTACT_RPC(CreateContactField, v1::ContactField, v1::ContactField,
                    DoCreateContactField(caller, *req, resp))
SALESOS_CONTACT_RPC(ListContactFields, v1::ListContactFieldsRequest,
                    v1::ListContactFieldsResponse, DoListContactFields(caller, resp))
SALESOS_CONTACT_RPC(DeleteContactField, v1::DeleteContactFieldRequest,
                    v1::DeleteContactFieldResponse, DoDeleteContactField(caller, *req))
SALESOS_CONTACT_RPC(CreateAccount, v1::Account, v1::Account, DoCreateAccount(caller, *req, resp))
SALESOS_CONTACT_RPC(ListAccounts, v1::ListAccountsRequest, v1::ListAccountsResponse,
                    DoListAccounts(caller, *req, resp))
SALESOS_CONTACT_RPC(GetAccount, v1::GetAccountRequest, v1::Account,
                    DoGetAccount(caller, *req, resp))
SALESOS_CONTACT_RPC(UpdateAccount, v1::UpdateAccountRequest, v1::Account,
                    DoUpdateAccount(caller, *req, resp))
SALESOS_CONTACT_RPC(DeleteAccount, v1::DeleteAccountRequest, v1::DeleteAccountResponse,
                    DoDeleteAccount(caller, *req))
SALESOS_CONTACT_RPC(GetJob, v1::GetJobRequest, v1::Job, DoGetJob(caller, *req, resp))

#undef SALESOS_CONTACT_RPC

}  // namespace salesos::conversation
