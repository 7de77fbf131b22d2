#include "contact_store.h"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "occasions.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"

namespace salesos::conversation {
namespace {

// Every column a read shows, in ContactFromRow's order.
constexpr std::string_view kContactColumns[] = {
    "id",            "workspace_id",  "platform",        "platform_user_id", "first_name",
    "last_name",     "full_name",     "email",           "phone",            "title",
    "city",          "country",       "language",        "account_id",       "owner_id",
    "source",        "journey_stage", "status",          "facebook_id",      "instagram_id",
    "whatsapp_id",   "lead_score",    "opted_out",       "total_spent",      "orders_count",
    "last_order_ms", "last_message_ms", "visit_count",   "last_visit_ms",    "created_ms",
    "created_at",    "updated_at",    "tags",            "custom_fields",    "important_dates"};

// What a person (the API, an import) writes: UPDATE sets these and nothing else, so the columns
// the conversation store keeps (status, lead score, stats) are never overwritten by an edit.
constexpr std::string_view kWritableColumns[] = {
    "first_name", "last_name",   "full_name",     "email",        "email_key",   "phone",
    "title",      "city",        "country",       "language",     "account_id",  "owner_id",
    "journey_stage", "facebook_id", "instagram_id", "whatsapp_id", "opted_out",  "updated_at",
    "tags",       "custom_fields", "important_dates"};

std::string Columns(std::string_view alias) {
  std::string out;
  for (auto c : kContactColumns) {
    out += (out.empty() ? "" : ", ") + std::string(alias) + std::string(c);
  }
  return out;
}

const std::string& ContactSelect() {
  static const std::string s = "SELECT " + Columns("c.") + " FROM contacts c ";
  return s;
}

store::Value TextOrNull(const std::string& v) {
  return v.empty() ? store::Value(store::Null{}) : store::Value(v);
}

std::string TagsJson(const std::vector<std::string>& tags) {
  boost::json::array a;
  for (const auto& t : tags) {
    a.emplace_back(t);
  }
  return boost::json::serialize(a);
}

std::vector<std::string> StringsFromJson(const std::string& json) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) {
    return out;
  }
  for (const auto& e : v.as_array()) {
    if (e.is_string()) {
      out.emplace_back(e.as_string());
    }
  }
  return out;
}

ContactRow ContactFromRow(const store::Row& r) {
  ContactRow c;
  size_t i = 0;
  c.id = r.GetText(i++);
  c.workspace_id = r.GetText(i++);
  c.platform = r.GetText(i++);
  c.platform_user_id = r.GetText(i++);
  c.first_name = r.GetText(i++);
  c.last_name = r.GetText(i++);
  c.full_name = r.GetText(i++);
  c.email = r.GetText(i++);
  c.phone = r.GetText(i++);
  c.title = r.GetText(i++);
  c.city = r.GetText(i++);
  c.country = r.GetText(i++);
  c.language = r.GetText(i++);
  c.account_id = r.GetText(i++);
  c.owner_id = r.GetText(i++);
  c.source = r.GetText(i++);
  c.journey_stage = r.GetText(i++);
  c.status = r.GetText(i++);
  c.facebook_id = r.GetText(i++);
  c.instagram_id = r.GetText(i++);
  c.whatsapp_id = r.GetText(i++);
  c.lead_score = r.GetInt(i++);
  c.opted_out = r.GetInt(i++) != 0;
  c.total_spent = r.GetDouble(i++);
  c.orders_count = r.GetInt(i++);
  c.last_order_ms = r.GetInt(i++);
  c.last_message_ms = r.GetInt(i++);
  c.visit_count = r.GetInt(i++);
  c.last_visit_ms = r.GetInt(i++);
  c.created_ms = r.GetInt(i++);
  c.created_at = r.GetText(i++);
  c.updated_at = r.GetText(i++);
  c.tags = StringsFromJson(r.GetText(i++));
  c.custom_json = r.GetText(i++);
  c.important_dates = r.GetText(i++);
  return c;
}

store::Params InsertValues(const ContactRow& c) {
  return {c.id,
          c.workspace_id,
          c.platform,
          c.platform_user_id,
          c.first_name,
          c.last_name,
          c.full_name,
          c.email,
          c.phone,
          c.title,
          c.city,
          c.country,
          c.language,
          c.account_id,
          c.owner_id,
          c.source,
          c.journey_stage,
          c.status,
          TextOrNull(c.facebook_id),
          TextOrNull(c.instagram_id),
          TextOrNull(c.whatsapp_id),
          c.lead_score,
          int64_t{c.opted_out ? 1 : 0},
          c.total_spent,
          c.orders_count,
          c.last_order_ms,
          c.last_message_ms,
          c.visit_count,
          c.last_visit_ms,
          c.created_ms,
          c.created_at,
          c.updated_at,
          TagsJson(c.tags),
          c.custom_json,
          c.important_dates,
          TextOrNull(EmailKey(c.email))};
}

store::Params WritableValues(const ContactRow& c) {
  return {c.first_name,
          c.last_name,
          c.full_name,
          c.email,
          TextOrNull(EmailKey(c.email)),
          c.phone,
          c.title,
          c.city,
          c.country,
          c.language,
          c.account_id,
          c.owner_id,
          c.journey_stage,
          TextOrNull(c.facebook_id),
          TextOrNull(c.instagram_id),
          TextOrNull(c.whatsapp_id),
          int64_t{c.opted_out ? 1 : 0},
          c.updated_at,
          TagsJson(c.tags),
          c.custom_json,
          c.important_dates};
}

Status ExecOk(Result<int64_t> n) { return n.ok() ? OkStatus() : n.status(); }

constexpr std::string_view kInsertTags = "INSERT INTO contact_tags (workspace_id, contact_id, tag)";
constexpr std::string_view kInsertValues =
    "INSERT INTO contact_field_values (workspace_id, contact_id, key, text_value, num_value)";

// c's rows of contact_tags and of contact_field_values, appended to `tags` and `values`.
void AddTagAndValueRows(const ContactRow& c, std::vector<store::Params>& tags,
                        std::vector<store::Params>& values) {
  for (const auto& t : c.tags) {
    tags.push_back({c.workspace_id, c.id, t});
  }
  for (const auto& [key, v] : c.custom) {
    values.push_back({c.workspace_id, c.id, key, v.text, v.number});
  }
}

// New contacts with their tags and custom values, in as few statements as the engines take.
Status InsertContacts(store::Executor& tx, const std::vector<ContactRow>& contacts) {
  static const std::string head = [] {
    std::string cols;
    for (auto col : kContactColumns) {
      cols += (cols.empty() ? "" : ", ") + std::string(col);
    }
    return "INSERT INTO contacts (" + cols + ", email_key)";
  }();
  std::vector<store::Params> rows, tags, values;
  rows.reserve(contacts.size());
  for (const ContactRow& c : contacts) {
    rows.push_back(InsertValues(c));
    AddTagAndValueRows(c, tags, values);
  }
  SALESOS_RETURN_IF_ERROR(store::InsertRows(tx, head, rows).status());
  SALESOS_RETURN_IF_ERROR(store::InsertRows(tx, kInsertTags, tags).status());
  return store::InsertRows(tx, kInsertValues, values).status();
}

Status WriteContactRow(store::Executor& tx, const ContactRow& c) {
  static const std::string sql = [] {
    std::string set;
    int n = 0;
    for (auto col : kWritableColumns) {
      set += (set.empty() ? "" : ", ") + std::string(col) + " = $" + std::to_string(++n);
    }
    return "UPDATE contacts SET " + set + " WHERE workspace_id = $" + std::to_string(n + 1) +
           " AND id = $" + std::to_string(n + 2);
  }();
  store::Params p = WritableValues(c);
  p.emplace_back(c.workspace_id);
  p.emplace_back(c.id);
  return ExecOk(tx.Exec(sql, p));
}

// A contact's tags (contact_tags) or its custom values (contact_field_values) as c holds them,
// replacing what was stored.
Status ReplaceRows(store::Executor& tx, const ContactRow& c, std::string_view table) {
  const bool tags = table == "contact_tags";
  SALESOS_RETURN_IF_ERROR(ExecOk(
      tx.Exec("DELETE FROM " + std::string(table) + " WHERE workspace_id = $1 AND contact_id = $2",
              {c.workspace_id, c.id})));
  std::vector<store::Params> tag_rows, value_rows;
  AddTagAndValueRows(c, tag_rows, value_rows);
  return store::InsertRows(tx, tags ? kInsertTags : kInsertValues, tags ? tag_rows : value_rows)
      .status();
}

Status Taken(const std::string& field, const std::string& what, const std::string& other_id) {
  return Status(Code::kAlreadyExists,
                field + ": " + what + " already belongs to contact " + other_id,
                {{field, what + " already belongs to contact " + other_id}});
}

// The id of a contact of c's workspace other than c whose `column` holds `value`, or "".
Result<std::string> OtherContact(store::Executor& tx, const ContactRow& c, std::string_view column,
                                 const std::string& value) {
  SALESOS_ASSIGN_OR_RETURN(auto rows,
                           tx.Query("SELECT id FROM contacts WHERE workspace_id = $1 AND " +
                                        std::string(column) + " = $2 AND id <> $3 LIMIT 1",
                                    {c.workspace_id, value, c.id}));
  return rows.empty() ? std::string() : rows.front().GetText(0);
}

using OtherContactFn =
    std::function<Result<std::string>(std::string_view column, const std::string& value)>;

// ALREADY_EXISTS naming the first unique value (email, platform ids) that `other` finds on
// another contact; values unchanged since `before` are not asked about.
Status CheckUniqueWith(const ContactRow& c, const ContactRow* before, const OtherContactFn& other) {
  struct Check {
    const char* column;
    const char* field;
    const char* what;
    std::string value;
    std::string old;
  };
  const Check checks[] = {
      {"email_key", "email", "this email", EmailKey(c.email),
       before ? EmailKey(before->email) : ""},
      {"facebook_id", "platformIds.facebook", "this Facebook id", c.facebook_id,
       before ? before->facebook_id : ""},
      {"instagram_id", "platformIds.instagram", "this Instagram id", c.instagram_id,
       before ? before->instagram_id : ""},
      {"whatsapp_id", "platformIds.whatsapp", "this WhatsApp id", c.whatsapp_id,
       before ? before->whatsapp_id : ""},
  };
  for (const auto& ch : checks) {
    if (ch.value.empty() || ch.value == ch.old) {
      continue;
    }
    SALESOS_ASSIGN_OR_RETURN(std::string id, other(ch.column, ch.value));
    if (!id.empty()) {
      return Taken(ch.field, ch.what, id);
    }
  }
  return OkStatus();
}

Status CheckUnique(store::Executor& tx, const ContactRow& c, const ContactRow* before) {
  return CheckUniqueWith(c, before, [&](std::string_view column, const std::string& value) {
    return OtherContact(tx, c, column, value);
  });
}

// Which values of the contacts' key columns an import batch has to look up. Load asks, in one
// query per column, which of the batch's values some contact of the workspace has; after that a
// value no contact had and no row of the batch wrote cannot match anything, so its lookup is
// skipped and a new contact costs its inserts only. A value Load was not given counts as possible.
class BatchKeys {
 public:
  Status Load(store::Executor& tx, const std::string& workspace_id,
              const std::vector<ImportRow>& rows) {
    auto add = [&](std::string_view column, const std::optional<std::string>& v) {
      if (v.has_value() && !v->empty()) {
        columns_[std::string(column)].asked.insert(*v);
      }
    };
    for (const ImportRow& in : rows) {
      if (!in.error.empty() || in.empty) {
        continue;
      }
      if (IsUuid(in.id)) {
        add("id", in.id);
      }
      if (in.email.has_value()) {
        add("email_key", EmailKey(*in.email));
      }
      add("phone", in.phone);
      add("whatsapp_id", in.whatsapp_id);
      add("facebook_id", in.facebook_id);
      add("instagram_id", in.instagram_id);
    }
    constexpr size_t kPerQuery = 500;
    for (auto& [column, keys] : columns_) {
      std::vector<std::string> asked(keys.asked.begin(), keys.asked.end());
      for (size_t start = 0; start < asked.size(); start += kPerQuery) {
        const size_t end = std::min(asked.size(), start + kPerQuery);
        std::string sql = "SELECT DISTINCT " + column +
                          " FROM contacts WHERE workspace_id = $1 AND " + column + " IN (";
        store::Params p{workspace_id};
        for (size_t i = start; i < end; ++i) {
          sql += (i == start ? "$" : ", $") + std::to_string(p.size() + 1);
          p.emplace_back(asked[i]);
        }
        SALESOS_ASSIGN_OR_RETURN(auto found, tx.Query(sql + ")", p));
        for (const auto& r : found) {
          keys.present.insert(r.GetText(0));
        }
      }
    }
    return OkStatus();
  }

  bool MayExist(std::string_view column, const std::string& value) const {
    auto it = columns_.find(column);
    if (it == columns_.end() || !it->second.asked.count(value)) {
      return true;
    }
    return it->second.present.count(value) > 0 || it->second.written.count(value) > 0;
  }

  // c is written (created or changed) by this batch: its values may match later rows.
  void Wrote(const ContactRow& c) {
    const std::pair<std::string_view, std::string> values[] = {{"id", c.id},
                                                               {"email_key", EmailKey(c.email)},
                                                               {"phone", c.phone},
                                                               {"whatsapp_id", c.whatsapp_id},
                                                               {"facebook_id", c.facebook_id},
                                                               {"instagram_id", c.instagram_id}};
    for (const auto& [column, value] : values) {
      if (!value.empty()) {
        columns_[std::string(column)].written.insert(value);
      }
    }
  }

 private:
  struct Keys {
    std::unordered_set<std::string> asked, present, written;
  };
  std::map<std::string, Keys, std::less<>> columns_;
};

// A unique index refused a write that CheckUnique let through (a concurrent write won).
Status Conflict(const Status& st) {
  if (st.code() == Code::kAlreadyExists && st.violations().empty()) {
    return AlreadyExists(
        "another contact of the workspace has this email or platform id; read it and retry");
  }
  return st;
}

template <typename T>
Result<std::optional<T>> AtMostOne(Result<store::Rows> rows, T (*from_row)(const store::Row&)) {
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<T>();
  }
  return std::optional<T>(from_row(rows->front()));
}

template <typename T>
Result<std::vector<T>> All(Result<store::Rows> rows, T (*from_row)(const store::Row&)) {
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<T> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    out.push_back(from_row(r));
  }
  return out;
}

// The LIKE pattern of a search: its wildcards escaped, lower-cased, between %.
std::string LikePattern(const std::string& query) {
  std::string pattern;
  for (char ch : AsciiLower(query)) {
    if (ch == '%' || ch == '_' || ch == '\\') {
      pattern += '\\';
    }
    pattern += ch;
  }
  return "%" + pattern + "%";
}

constexpr std::string_view kAccountColumns =
    "id, workspace_id, name, website, industry, employees, annual_revenue, address, owner_id, "
    "parent_account_id, type, status, created_at, updated_at";

AccountRow AccountFromRow(const store::Row& r) {
  AccountRow a;
  a.id = r.GetText(0);
  a.workspace_id = r.GetText(1);
  a.name = r.GetText(2);
  a.website = r.GetText(3);
  a.industry = r.GetText(4);
  a.employees = r.GetInt(5);
  a.annual_revenue = r.GetDouble(6);
  a.address = r.GetText(7);
  a.owner_id = r.GetText(8);
  a.parent_account_id = r.GetText(9);
  a.type = r.GetText(10);
  a.status = r.GetText(11);
  a.created_at = r.GetText(12);
  a.updated_at = r.GetText(13);
  return a;
}

constexpr std::string_view kJobColumns =
    "id, workspace_id, kind, status, params, next_row, total, processed, created, updated, "
    "skipped, errors, error_count, lease_until_ms, created_by, created_at, updated_at, "
    "finished_at";

std::vector<ImportErrorRow> ErrorsFromJson(const std::string& json) {
  std::vector<ImportErrorRow> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) {
    return out;
  }
  for (const auto& e : v.as_array()) {
    if (!e.is_object()) {
      continue;
    }
    ImportErrorRow row;
    if (const auto* r = e.as_object().if_contains("row"); r != nullptr && r->is_int64()) {
      row.row = r->as_int64();
    }
    if (const auto* m = e.as_object().if_contains("message"); m != nullptr && m->is_string()) {
      row.message = std::string(m->as_string());
    }
    out.push_back(std::move(row));
  }
  return out;
}

std::string ErrorsToJson(const std::vector<ImportErrorRow>& errors) {
  boost::json::array a;
  for (const auto& e : errors) {
    a.push_back(boost::json::object{{"row", e.row}, {"message", e.message}});
  }
  return boost::json::serialize(a);
}

JobRow JobFromRow(const store::Row& r) {
  JobRow j;
  j.id = r.GetText(0);
  j.workspace_id = r.GetText(1);
  j.kind = r.GetText(2);
  j.status = r.GetText(3);
  j.params = r.GetText(4);
  j.next_row = r.GetInt(5);
  j.total = r.GetInt(6);
  j.processed = r.GetInt(7);
  j.created = r.GetInt(8);
  j.updated = r.GetInt(9);
  j.skipped = r.GetInt(10);
  j.errors = ErrorsFromJson(r.GetText(11));
  j.error_count = r.GetInt(12);
  j.lease_until_ms = r.GetInt(13);
  j.created_by = r.GetText(14);
  j.created_at = r.GetText(15);
  j.updated_at = r.GetText(16);
  j.finished_at = r.GetText(17);
  if (r.size() > 18) {
    j.input = r.GetText(18);
  }
  return j;
}

bool SameCustom(const CustomValues& a, const CustomValues& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second.text != v.text || it->second.number != v.number) {
      return false;
    }
  }
  return true;
}

// "Ada Lovelace" from first and last name.
std::string JoinName(const std::string& first, const std::string& last) {
  if (first.empty()) {
    return last;
  }
  return last.empty() ? first : first + " " + last;
}

}  // namespace

Status ContactStore::BackfillCreatedMs() {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT id, created_at FROM contacts WHERE created_ms = 0 AND "
                           "created_at <> ''"));
  for (const auto& r : rows) {
    auto ms = ParseRfc3339Millis(r.GetText(1));
    int64_t value = ms.value_or(UuidV7Millis(r.GetText(0)));
    if (value <= 0) {
      value = 1;  // unknown: at least not "never" again at the next start
    }
    SALESOS_RETURN_IF_ERROR(ExecOk(db_.Exec(
        "UPDATE contacts SET created_ms = $2 WHERE id = $1 AND created_ms = 0", {r.GetText(0), value})));
  }
  return ExecOk(db_.Exec("UPDATE contacts SET updated_at = created_at WHERE updated_at = ''"));
}

// --- custom fields

Result<segments::CustomFieldDecls> ContactStore::FieldDecls(const std::string& workspace_id) {
  SALESOS_ASSIGN_OR_RETURN(auto fields, ListFields(workspace_id));
  segments::CustomFieldDecls decls;
  for (auto& f : fields) {
    segments::CustomFieldDecl d;
    d.type = ParseFieldType(f.type).value_or(segments::CustomFieldType::kString);
    d.options = std::move(f.options);
    decls.emplace(f.key, std::move(d));
  }
  return decls;
}

Result<std::vector<FieldRow>> ContactStore::ListFields(const std::string& workspace_id) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT key, label, type, options, created_at FROM contact_fields "
                           "WHERE workspace_id = $1 ORDER BY key",
                           {workspace_id}));
  std::vector<FieldRow> out;
  for (const auto& r : rows) {
    out.push_back({r.GetText(0), r.GetText(1), r.GetText(2), StringsFromJson(r.GetText(3)),
                   r.GetText(4)});
  }
  return out;
}

Status ContactStore::CreateField(const std::string& workspace_id, const FieldRow& f) {
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        auto rows, tx.Query("SELECT key FROM contact_fields WHERE workspace_id = $1",
                            {workspace_id}));
    for (const auto& r : rows) {
      if (r.GetText(0) == f.key) {
        return Status(Code::kAlreadyExists, "key: a field " + f.key + " is already declared",
                      {{"key", "a field " + f.key + " is already declared"}});
      }
    }
    if (static_cast<int64_t>(rows.size()) >= kMaxContactFields) {
      return FailedPrecondition("a workspace declares at most 100 custom fields; delete one first");
    }
    return ExecOk(tx.Exec(
        "INSERT INTO contact_fields (workspace_id, key, label, type, options, created_at) VALUES "
        "($1, $2, $3, $4, $5, $6)",
        {workspace_id, f.key, f.label, f.type, TagsJson(f.options), f.created_at}));
  });
  if (st.code() == Code::kAlreadyExists && st.violations().empty()) {
    return Status(Code::kAlreadyExists, "key: a field " + f.key + " is already declared",
                  {{"key", "a field " + f.key + " is already declared"}});
  }
  return st;
}

Result<bool> ContactStore::DeleteField(const std::string& workspace_id, const std::string& key) {
  bool found = false;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n, tx.Exec("DELETE FROM contact_fields WHERE workspace_id = $1 AND key = $2",
                           {workspace_id, key}));
    found = n > 0;
    if (!found) {
      return OkStatus();
    }
    // The JSON copies of the contacts that had a value.
    SALESOS_ASSIGN_OR_RETURN(
        auto rows,
        tx.Query("SELECT c.id, c.custom_fields FROM contacts c WHERE c.workspace_id = $1 AND "
                 "EXISTS (SELECT 1 FROM contact_field_values v WHERE v.workspace_id = $1 AND "
                 "v.contact_id = c.id AND v.key = $2)",
                 {workspace_id, key}));
    for (const auto& r : rows) {
      boost::system::error_code ec;
      auto v = boost::json::parse(r.GetText(1), ec);
      if (ec || !v.is_object()) {
        continue;
      }
      v.as_object().erase(key);
      SALESOS_RETURN_IF_ERROR(ExecOk(
          tx.Exec("UPDATE contacts SET custom_fields = $3 WHERE workspace_id = $1 AND id = $2",
                  {workspace_id, r.GetText(0), boost::json::serialize(v)})));
    }
    return ExecOk(tx.Exec("DELETE FROM contact_field_values WHERE workspace_id = $1 AND key = $2",
                          {workspace_id, key}));
  });
  if (!st.ok()) {
    return st;
  }
  return found;
}

// --- contacts

Status ContactStore::CreateContact(const ContactRow& c) {
  return Conflict(db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_RETURN_IF_ERROR(CheckUnique(tx, c, nullptr));
    // The important dates' next greetings (occasions.h), written with the contact.
    ContactRow row = c;
    SALESOS_ASSIGN_OR_RETURN(auto occasions,
                             PlanContactOccasions(tx, row.workspace_id, row.id,
                                                  row.important_dates, row.opted_out,
                                                  NowUnixMillis()));
    SALESOS_RETURN_IF_ERROR(InsertContacts(tx, {row}));
    return occasions.rows.empty() ? OkStatus()
                                  : WriteContactOccasions(tx, row.workspace_id, row.id, occasions);
  }));
}

Result<std::optional<ContactRow>> ContactStore::GetContact(
    const std::string& workspace_id, const std::string& id,
    const segments::CustomFieldDecls* decls) {
  SALESOS_ASSIGN_OR_RETURN(
      auto row, AtMostOne(db_.Query(ContactSelect() + "WHERE c.workspace_id = $1 AND c.id = $2",
                                    {workspace_id, id}),
                          ContactFromRow));
  if (row.has_value() && decls != nullptr) {
    row->custom = CustomValuesFromJson(row->custom_json, *decls);
  }
  return row;
}

Result<std::pair<ContactRow, ContactRow>> ContactStore::UpdateContact(
    const std::string& workspace_id, const std::string& id,
    const segments::CustomFieldDecls& decls, const ContactMutation& fn) {
  std::pair<ContactRow, ContactRow> out;
  const std::string lock = db_.Engine() == "postgresql" ? " FOR UPDATE" : "";
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        auto current,
        AtMostOne(tx.Query(ContactSelect() + "WHERE c.workspace_id = $1 AND c.id = $2" + lock,
                           {workspace_id, id}),
                  ContactFromRow));
    if (!current.has_value()) {
      return NotFound("contact not found");
    }
    current->custom = CustomValuesFromJson(current->custom_json, decls);
    out.first = *current;
    out.second = *current;
    SALESOS_RETURN_IF_ERROR(fn(out.second));
    ContactRow& after = out.second;
    after.id = out.first.id;
    after.workspace_id = out.first.workspace_id;
    after.custom_json = CustomValuesToJson(after.custom, decls);
    SALESOS_RETURN_IF_ERROR(CheckUnique(tx, after, &out.first));
    // The important dates' next greetings (occasions.h), when the dates or the opt-out changed.
    std::optional<OccasionPlan> occasions;
    if (after.important_dates != out.first.important_dates ||
        after.opted_out != out.first.opted_out) {
      SALESOS_ASSIGN_OR_RETURN(occasions,
                               PlanContactOccasions(tx, workspace_id, after.id,
                                                    after.important_dates, after.opted_out,
                                                    NowUnixMillis()));
    }
    SALESOS_RETURN_IF_ERROR(WriteContactRow(tx, after));
    if (occasions.has_value()) {
      SALESOS_RETURN_IF_ERROR(WriteContactOccasions(tx, workspace_id, after.id, *occasions));
    }
    if (after.tags != out.first.tags) {
      SALESOS_RETURN_IF_ERROR(ReplaceRows(tx, after, "contact_tags"));
    }
    if (!SameCustom(after.custom, out.first.custom)) {
      SALESOS_RETURN_IF_ERROR(ReplaceRows(tx, after, "contact_field_values"));
    }
    return OkStatus();
  });
  if (!st.ok()) {
    return Conflict(st);
  }
  return out;
}

Result<bool> ContactStore::DeleteContact(const std::string& workspace_id, const std::string& id) {
  bool found = false;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        auto rows, tx.Query("SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND "
                            "contact_id = $2",
                            {workspace_id, id}));
    const int64_t conversations = rows.empty() ? 0 : rows.front().GetInt(0);
    SALESOS_ASSIGN_OR_RETURN(
        auto exists,
        tx.Query("SELECT 1 FROM contacts WHERE workspace_id = $1 AND id = $2", {workspace_id, id}));
    if (exists.empty()) {
      return OkStatus();
    }
    found = true;
    if (conversations > 0) {
      return FailedPrecondition(
          "the contact has " + std::to_string(conversations) +
          " conversation(s) and is kept with them; remove its data in the data manager to erase "
          "it with its conversations");
    }
    SALESOS_RETURN_IF_ERROR(
        ExecOk(tx.Exec("DELETE FROM contact_tags WHERE workspace_id = $1 AND contact_id = $2",
                       {workspace_id, id})));
    SALESOS_RETURN_IF_ERROR(ExecOk(
        tx.Exec("DELETE FROM contact_field_values WHERE workspace_id = $1 AND contact_id = $2",
                {workspace_id, id})));
    return ExecOk(
        tx.Exec("DELETE FROM contacts WHERE workspace_id = $1 AND id = $2", {workspace_id, id}));
  });
  if (!st.ok()) {
    return st;
  }
  return found;
}

Result<std::vector<ContactRow>> ContactStore::ListContacts(const std::string& workspace_id,
                                                           const ContactFilter& f,
                                                           const std::string& after_id,
                                                           int64_t limit) {
  std::string where =
      "WHERE c.workspace_id = $1 AND c.id > $2 AND ($3 = '%%' OR LOWER(c.full_name) LIKE $3 "
      "ESCAPE '\\' OR LOWER(c.first_name) LIKE $3 ESCAPE '\\' OR LOWER(c.last_name) LIKE $3 "
      "ESCAPE '\\' OR LOWER(c.email) LIKE $3 ESCAPE '\\' OR c.phone LIKE $3 ESCAPE '\\') AND "
      "($4 = '' OR EXISTS (SELECT 1 FROM contact_tags t WHERE t.workspace_id = $1 AND "
      "t.contact_id = c.id AND t.tag = $4)) AND ($5 = '' OR c.account_id = $5)";
  store::Params params = {workspace_id, after_id, LikePattern(f.query), f.tag, f.account_id};
  if (!f.rule_where.empty()) {
    where += " AND (" + f.rule_where + ")";
    params.insert(params.end(), f.rule_params.begin(), f.rule_params.end());
  }
  params.emplace_back(limit);
  where += " ORDER BY c.id LIMIT $" + std::to_string(params.size());
  return All(db_.Query(ContactSelect() + where, params), ContactFromRow);
}

Result<int64_t> ContactStore::CountMatching(const std::string& workspace_id,
                                            const std::string& where,
                                            const store::Params& params) {
  store::Params p = {workspace_id};
  p.insert(p.end(), params.begin(), params.end());
  SALESOS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT COUNT(*) FROM contacts c WHERE c.workspace_id = $1 AND (" + where + ")",
                p));
  return rows.empty() ? int64_t{0} : rows.front().GetInt(0);
}

Result<std::vector<ContactRow>> ContactStore::PageMatching(const std::string& workspace_id,
                                                           const std::string& where,
                                                           const store::Params& params,
                                                           const std::string& after_id,
                                                           int64_t limit) {
  store::Params p = {workspace_id, after_id, limit};
  p.insert(p.end(), params.begin(), params.end());
  return All(db_.Query(ContactSelect() + "WHERE c.workspace_id = $1 AND c.id > $2 AND (" + where +
                           ") ORDER BY c.id LIMIT $3",
                       p),
             ContactFromRow);
}

// --- accounts

Status ContactStore::CreateAccount(const AccountRow& a) {
  return ExecOk(db_.Exec(
      "INSERT INTO accounts (id, workspace_id, name, name_key, website, industry, employees, "
      "annual_revenue, address, owner_id, parent_account_id, type, status, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
      {a.id, a.workspace_id, a.name, AsciiLower(a.name), a.website, a.industry, a.employees,
       a.annual_revenue, a.address, a.owner_id, a.parent_account_id, a.type, a.status,
       a.created_at, a.updated_at}));
}

Result<std::optional<AccountRow>> ContactStore::GetAccount(const std::string& workspace_id,
                                                           const std::string& id) {
  return AtMostOne(db_.Query("SELECT " + std::string(kAccountColumns) +
                                 " FROM accounts WHERE workspace_id = $1 AND id = $2",
                             {workspace_id, id}),
                   AccountFromRow);
}

Result<bool> ContactStore::UpdateAccount(const AccountRow& a) {
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n,
      db_.Exec("UPDATE accounts SET name = $3, name_key = $4, website = $5, industry = $6, "
               "employees = $7, annual_revenue = $8, address = $9, owner_id = $10, "
               "parent_account_id = $11, type = $12, status = $13, updated_at = $14 WHERE "
               "workspace_id = $1 AND id = $2",
               {a.workspace_id, a.id, a.name, AsciiLower(a.name), a.website, a.industry,
                a.employees, a.annual_revenue, a.address, a.owner_id, a.parent_account_id, a.type,
                a.status, a.updated_at}));
  return n > 0;
}

Result<bool> ContactStore::DeleteAccount(const std::string& workspace_id, const std::string& id) {
  bool found = false;
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n,
        tx.Exec("DELETE FROM accounts WHERE workspace_id = $1 AND id = $2", {workspace_id, id}));
    found = n > 0;
    if (!found) {
      return OkStatus();
    }
    SALESOS_RETURN_IF_ERROR(ExecOk(tx.Exec(
        "UPDATE contacts SET account_id = '', updated_at = $3 WHERE workspace_id = $1 AND "
        "account_id = $2",
        {workspace_id, id, now})));
    return ExecOk(tx.Exec(
        "UPDATE accounts SET parent_account_id = '', updated_at = $3 WHERE workspace_id = $1 AND "
        "parent_account_id = $2",
        {workspace_id, id, now}));
  });
  if (!st.ok()) {
    return st;
  }
  return found;
}

Result<std::vector<AccountRow>> ContactStore::ListAccounts(const std::string& workspace_id,
                                                           const std::string& query,
                                                           const std::string& after_id,
                                                           int64_t limit) {
  return All(db_.Query("SELECT " + std::string(kAccountColumns) +
                           " FROM accounts WHERE workspace_id = $1 AND id > $2 AND ($3 = '%%' OR "
                           "name_key LIKE $3 ESCAPE '\\') ORDER BY id LIMIT $4",
                       {workspace_id, after_id, LikePattern(query), limit}),
             AccountFromRow);
}

// --- jobs

Status ContactStore::CreateJob(const JobRow& j) {
  return ExecOk(db_.Exec(
      "INSERT INTO jobs (id, workspace_id, kind, status, params, input, next_row, total, "
      "processed, created, updated, skipped, errors, error_count, lease_until_ms, created_by, "
      "created_at, updated_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
      "$11, $12, $13, $14, $15, $16, $17, $18, $19)",
      {j.id, j.workspace_id, j.kind, j.status, j.params, j.input, j.next_row, j.total,
       j.processed, j.created, j.updated, j.skipped, ErrorsToJson(j.errors), j.error_count,
       j.lease_until_ms, j.created_by, j.created_at, j.updated_at, j.finished_at}));
}

Result<std::optional<JobRow>> ContactStore::GetJob(const std::string& workspace_id,
                                                   const std::string& id) {
  return AtMostOne(db_.Query("SELECT " + std::string(kJobColumns) +
                                 " FROM jobs WHERE workspace_id = $1 AND id = $2",
                             {workspace_id, id}),
                   JobFromRow);
}

Result<std::vector<std::pair<std::string, std::string>>> ContactStore::DueJobs(int64_t now_ms,
                                                                              int64_t limit) {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT workspace_id, id FROM jobs WHERE status IN ('queued', "
                           "'running') AND lease_until_ms < $1 ORDER BY created_at, id LIMIT $2",
                           {now_ms, limit}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : rows) {
    out.emplace_back(r.GetText(0), r.GetText(1));
  }
  return out;
}

Result<int64_t> ContactStore::NextJobMs() {
  SALESOS_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT MIN(CASE WHEN lease_until_ms > 0 THEN lease_until_ms ELSE 1 "
                           "END) FROM jobs WHERE status IN ('queued', 'running')"));
  return rows.empty() ? int64_t{0} : rows.front().GetInt(0);
}

Result<std::optional<JobRow>> ContactStore::ClaimJob(const std::string& workspace_id,
                                                     const std::string& id, int64_t now_ms,
                                                     int64_t lease_until_ms) {
  SALESOS_ASSIGN_OR_RETURN(
      int64_t n,
      db_.Exec("UPDATE jobs SET status = 'running', lease_until_ms = $3 WHERE workspace_id = $1 "
               "AND id = $2 AND status IN ('queued', 'running') AND lease_until_ms < $4",
               {workspace_id, id, lease_until_ms, now_ms}));
  if (n != 1) {
    return std::optional<JobRow>();
  }
  return AtMostOne(db_.Query("SELECT " + std::string(kJobColumns) +
                                 ", input FROM jobs WHERE workspace_id = $1 AND id = $2",
                             {workspace_id, id}),
                   JobFromRow);
}

Status ContactStore::RefreshStatistics() {
  for (const char* table : {"contacts", "contact_tags", "contact_field_values"}) {
    SALESOS_RETURN_IF_ERROR(db_.Exec(std::string("ANALYZE ") + table).status());
  }
  return OkStatus();
}

Status ContactStore::FinishJob(const JobRow& j, const std::string& status,
                               const std::string& message, const std::string& now) {
  std::string params = j.params;
  if (!message.empty()) {
    boost::system::error_code ec;
    auto v = boost::json::parse(params, ec);
    if (ec || !v.is_object()) {
      v = boost::json::object();
    }
    v.as_object()["message"] = message;
    params = boost::json::serialize(v);
  }
  return ExecOk(db_.Exec(
      "UPDATE jobs SET status = $3, params = $4, input = '', lease_until_ms = 0, updated_at = $5, "
      "finished_at = $5 WHERE workspace_id = $1 AND id = $2",
      {j.workspace_id, j.id, status, params, now}));
}

Result<ImportBatchResult> ContactStore::ApplyImportBatch(
    JobRow& job, int64_t lease_until_ms, int64_t new_lease_until_ms,
    const std::vector<ImportRow>& rows, int64_t next_row, const segments::CustomFieldDecls& decls,
    const std::string& now) {
  ImportBatchResult result;
  const std::string& ws = job.workspace_id;
  const int64_t now_ms = ParseRfc3339Millis(now).value_or(NowUnixMillis());
  std::map<std::string, bool> accounts;  // account id → exists, for this batch
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    result = ImportBatchResult();
    accounts.clear();
    // New contacts wait in `created` and go in together, before any lookup that could see them
    // and at the end: every query still sees every earlier row's write.
    BatchKeys keys;
    SALESOS_RETURN_IF_ERROR(keys.Load(tx, ws, rows));
    std::vector<ContactRow> created;
    auto insert_created = [&]() -> Status {
      Status inserted = InsertContacts(tx, created);
      created.clear();
      return inserted;
    };
    auto find = [&](std::string_view column,
                    const std::string& value) -> Result<std::optional<ContactRow>> {
      if (!keys.MayExist(column, value)) {
        return std::optional<ContactRow>();
      }
      SALESOS_RETURN_IF_ERROR(insert_created());
      return AtMostOne(tx.Query(ContactSelect() + "WHERE c.workspace_id = $1 AND c." +
                                    std::string(column) + " = $2 ORDER BY c.id LIMIT 1",
                                {ws, value}),
                       ContactFromRow);
    };
    auto other = [&](const ContactRow& c, std::string_view column,
                     const std::string& value) -> Result<std::string> {
      if (!keys.MayExist(column, value)) {
        return std::string();
      }
      SALESOS_RETURN_IF_ERROR(insert_created());
      return OtherContact(tx, c, column, value);
    };
    auto account_exists = [&](const std::string& id) -> Result<bool> {
      if (auto it = accounts.find(id); it != accounts.end()) {
        return it->second;
      }
      SALESOS_ASSIGN_OR_RETURN(
          auto r, tx.Query("SELECT 1 FROM accounts WHERE workspace_id = $1 AND id = $2", {ws, id}));
      accounts[id] = !r.empty();
      return !r.empty();
    };
    for (const ImportRow& in : rows) {
      auto error = [&](std::string message) {
        result.errors.push_back({in.row, std::move(message)});
      };
      if (!in.error.empty()) {
        error(in.error);
        continue;
      }
      if (in.empty) {
        ++result.skipped;
        continue;
      }
      // The match: id, then email, then phone (only a contact without another email), then
      // platform ids.
      std::optional<ContactRow> match;
      if (!in.id.empty()) {
        if (IsUuid(in.id)) {
          SALESOS_ASSIGN_OR_RETURN(match, find("id", in.id));
        }
        if (!match.has_value()) {
          error("id: no contact of this workspace has id " + in.id.substr(0, 64));
          continue;
        }
      }
      if (!match.has_value() && in.email.has_value()) {
        SALESOS_ASSIGN_OR_RETURN(match, find("email_key", EmailKey(*in.email)));
      }
      if (!match.has_value() && in.phone.has_value()) {
        SALESOS_ASSIGN_OR_RETURN(match, find("phone", *in.phone));
        if (match.has_value() && in.email.has_value() && !match->email.empty()) {
          match.reset();  // another person with the same phone
        }
      }
      const std::pair<std::string_view, const std::optional<std::string>*> platform_keys[] = {
          {"whatsapp_id", &in.whatsapp_id},
          {"facebook_id", &in.facebook_id},
          {"instagram_id", &in.instagram_id}};
      for (const auto& [column, value] : platform_keys) {
        if (!match.has_value() && value->has_value()) {
          SALESOS_ASSIGN_OR_RETURN(match, find(column, **value));
        }
      }
      if (in.account_id.has_value()) {
        SALESOS_ASSIGN_OR_RETURN(bool exists, account_exists(*in.account_id));
        if (!exists) {
          error("accountId: no account of this workspace has id " + in.account_id->substr(0, 64));
          continue;
        }
      }
      ContactRow c;
      if (match.has_value()) {
        c = *match;
        c.custom = CustomValuesFromJson(c.custom_json, decls);
      } else {
        if (!in.email && !in.phone && !in.first_name && !in.last_name && !in.full_name) {
          error("the row has no email, phone or name");
          continue;
        }
        c.id = NewUuidV7(now_ms);
        c.workspace_id = ws;
        c.platform_user_id = c.id;
        c.source = "import";
        c.created_ms = now_ms;
        c.created_at = now;
        c.updated_at = now;
      }
      const ContactRow before = c;
      auto set = [](std::string& field, const std::optional<std::string>& v) {
        if (v.has_value()) {
          field = *v;
        }
      };
      set(c.first_name, in.first_name);
      set(c.last_name, in.last_name);
      set(c.email, in.email);
      set(c.phone, in.phone);
      set(c.title, in.title);
      set(c.account_id, in.account_id);
      set(c.owner_id, in.owner_id);
      set(c.journey_stage, in.journey_stage);
      set(c.city, in.city);
      set(c.country, in.country);
      set(c.language, in.language);
      set(c.facebook_id, in.facebook_id);
      set(c.instagram_id, in.instagram_id);
      set(c.whatsapp_id, in.whatsapp_id);
      if (in.full_name.has_value()) {
        c.full_name = *in.full_name;
        if (!in.first_name && !in.last_name && c.first_name.empty() && c.last_name.empty()) {
          size_t space = in.full_name->find(' ');
          c.first_name = in.full_name->substr(0, space);
          c.last_name = space == std::string::npos ? "" : in.full_name->substr(space + 1);
        }
      } else if (in.first_name || in.last_name) {
        c.full_name = JoinName(c.first_name, c.last_name);
      }
      for (const auto& t : in.tags) {
        bool has = false;
        for (const auto& o : c.tags) {
          has = has || o == t;
        }
        if (!has) {
          c.tags.push_back(t);
        }
      }
      if (c.tags.size() > kMaxTags) {
        error("tags: a contact has at most 100 tags");
        continue;
      }
      for (const auto& [k, v] : in.custom) {
        c.custom[k] = v;
      }
      c.custom_json = CustomValuesToJson(c.custom, decls);
      if (match.has_value()) {
        const bool same =
            c.first_name == before.first_name && c.last_name == before.last_name &&
            c.full_name == before.full_name && c.email == before.email &&
            c.phone == before.phone && c.title == before.title &&
            c.account_id == before.account_id && c.owner_id == before.owner_id &&
            c.journey_stage == before.journey_stage && c.city == before.city &&
            c.country == before.country && c.language == before.language &&
            c.facebook_id == before.facebook_id && c.instagram_id == before.instagram_id &&
            c.whatsapp_id == before.whatsapp_id && c.tags == before.tags &&
            SameCustom(c.custom, before.custom);
        if (same) {
          ++result.skipped;
          continue;
        }
      }
      Status unique = CheckUniqueWith(c, match.has_value() ? &before : nullptr,
                                      [&](std::string_view column, const std::string& value) {
                                        return other(c, column, value);
                                      });
      if (!unique.ok()) {
        if (unique.code() != Code::kAlreadyExists) {
          return unique;
        }
        error(unique.message());
        continue;
      }
      if (match.has_value()) {
        c.updated_at = now;
        SALESOS_RETURN_IF_ERROR(WriteContactRow(tx, c));
        if (c.tags != before.tags) {
          SALESOS_RETURN_IF_ERROR(ReplaceRows(tx, c, "contact_tags"));
        }
        if (!SameCustom(c.custom, before.custom)) {
          SALESOS_RETURN_IF_ERROR(ReplaceRows(tx, c, "contact_field_values"));
        }
        ++result.updated;
      } else {
        created.push_back(c);
        ++result.created;
        result.created_ids.push_back(c.id);
      }
      keys.Wrote(c);
    }
    SALESOS_RETURN_IF_ERROR(insert_created());
    // The job moves on in the same transaction, only while this worker still holds it.
    std::vector<ImportErrorRow> errors = job.errors;
    for (const auto& e : result.errors) {
      if (errors.size() < kMaxJobErrors) {
        errors.push_back(e);
      }
    }
    const int64_t n_errors = static_cast<int64_t>(result.errors.size());
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n,
        tx.Exec("UPDATE jobs SET processed = processed + $4, created = created + $5, updated = "
                "updated + $6, skipped = skipped + $7, error_count = error_count + $8, errors = "
                "$9, next_row = $10, lease_until_ms = $11, updated_at = $12 WHERE workspace_id = "
                "$1 AND id = $2 AND lease_until_ms = $3 AND status = 'running'",
                {ws, job.id, lease_until_ms,
                 result.created + result.updated + result.skipped + n_errors, result.created,
                 result.updated, result.skipped, n_errors, ErrorsToJson(errors), next_row,
                 new_lease_until_ms, now}));
    if (n != 1) {
      return Aborted("the import job was taken over by another worker");
    }
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  const int64_t n_errors = static_cast<int64_t>(result.errors.size());
  job.processed += result.created + result.updated + result.skipped + n_errors;
  job.created += result.created;
  job.updated += result.updated;
  job.skipped += result.skipped;
  job.error_count += n_errors;
  for (const auto& e : result.errors) {
    if (job.errors.size() < kMaxJobErrors) {
      job.errors.push_back(e);
    }
  }
  job.next_row = next_row;
  job.lease_until_ms = new_lease_until_ms;
  job.updated_at = now;
  return result;
}

}  // namespace salesos::conversation
