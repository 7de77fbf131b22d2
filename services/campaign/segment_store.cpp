#include "segment_store.h"

#include <google/protobuf/util/json_util.h>

#include <utility>

namespace salesos::campaign {
namespace {

constexpr std::string_view kColumns =
    "id, workspace_id, name, description, rules, created_by, created_at, updated_at";

std::string SelectFrom(std::string_view where) {
  return "SELECT " + std::string(kColumns) + " FROM segments WHERE " + std::string(where);
}

Result<std::string> RulesToJson(const common::v1::SegmentRule& rules) {
  std::string json;
  auto st = google::protobuf::util::MessageToJsonString(rules, &json);
  if (!st.ok()) {
    return Internal("cannot write a segment's rules as JSON: " + std::string(st.message()));
  }
  return json;
}

Result<SegmentRecord> FromRow(const store::Row& r) {
  SegmentRecord rec;
  rec.id = r.GetText(0);
  rec.workspace_id = r.GetText(1);
  rec.name = r.GetText(2);
  rec.description = r.GetText(3);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // rows written by a newer version
  auto st = google::protobuf::util::JsonStringToMessage(r.GetText(4), &rec.rules, options);
  if (!st.ok()) {
    return Internal("the stored rules of segment " + rec.id +
                    " do not parse: " + std::string(st.message()));
  }
  rec.created_by = r.GetText(5);
  rec.created_at = r.GetText(6);
  rec.updated_at = r.GetText(7);
  return rec;
}

Result<std::optional<SegmentRecord>> AtMostOne(Result<store::Rows> rows) {
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<SegmentRecord>();
  }
  SALESOS_ASSIGN_OR_RETURN(SegmentRecord rec, FromRow(rows->front()));
  return std::optional<SegmentRecord>(std::move(rec));
}

// The one unique key besides the (fresh) id is the name's: a violation is a taken name.
Status NameTaken(const Status& st, const std::string& name) {
  if (st.code() != Code::kAlreadyExists) {
    return st;
  }
  std::string description = "a segment called \"" + name + "\" already exists in this workspace";
  return Status(Code::kAlreadyExists, "name: " + description, {{"name", description}});
}

// "%", "_" and the escape character itself match literally in LIKE ... ESCAPE '!'. The pattern is
// matched against name_key, so it is lower-cased the same way.
std::string LikeContains(std::string_view text) {
  std::string out = "%";
  for (char c : SegmentNameKey(text)) {
    if (c == '%' || c == '_' || c == '!') {
      out.push_back('!');
    }
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

}  // namespace

std::string SegmentNameKey(std::string_view name) {
  std::string key(name);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return key;
}

Status SegmentStore::Create(const SegmentRecord& rec, int64_t max_per_workspace) {
  SALESOS_ASSIGN_OR_RETURN(std::string rules, RulesToJson(rec.rules));
  // One statement: the count and the insert cannot be split by another writer on SQLite, and on
  // PostgreSQL at most the creates racing at the limit get past it.
  auto n = db_.Exec(
      "INSERT INTO segments (" + std::string(kColumns) +
          ", name_key) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE (SELECT COUNT(*) FROM "
          "segments WHERE workspace_id = $2) < $10",
      {rec.id, rec.workspace_id, rec.name, rec.description, rules, rec.created_by, rec.created_at,
       rec.updated_at, SegmentNameKey(rec.name), max_per_workspace});
  if (!n.ok()) {
    return NameTaken(n.status(), rec.name);
  }
  if (*n == 0) {
    return ResourceExhausted("a workspace holds at most " + std::to_string(max_per_workspace) +
                             " segments; delete one you no longer use first");
  }
  return OkStatus();
}

Result<std::optional<SegmentRecord>> SegmentStore::Get(const std::string& workspace_id,
                                                       const std::string& id) {
  return AtMostOne(db_.Query(SelectFrom("workspace_id = $1 AND id = $2"), {workspace_id, id}));
}

Result<std::vector<SegmentRecord>> SegmentStore::List(const std::string& workspace_id,
                                                      const std::string& name_contains,
                                                      const std::string& before_id, int64_t limit) {
  // One statement for both filters: an empty parameter turns its filter off.
  auto rows =
      db_.Query(SelectFrom("workspace_id = $1 AND ($2 = '' OR name_key LIKE $3 ESCAPE "
                           "'!') AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5"),
                {workspace_id, name_contains, LikeContains(name_contains), before_id, limit});
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<SegmentRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    SALESOS_ASSIGN_OR_RETURN(SegmentRecord rec, FromRow(r));
    out.push_back(std::move(rec));
  }
  return out;
}

Result<bool> SegmentStore::Update(const SegmentRecord& rec,
                                  const std::string& expected_updated_at) {
  SALESOS_ASSIGN_OR_RETURN(std::string rules, RulesToJson(rec.rules));
  auto n = db_.Exec(
      "UPDATE segments SET name = $1, name_key = $2, description = $3, rules = $4, updated_at = $5 "
      "WHERE workspace_id = $6 AND id = $7 AND updated_at = $8",
      {rec.name, SegmentNameKey(rec.name), rec.description, rules, rec.updated_at, rec.workspace_id,
       rec.id, expected_updated_at});
  if (!n.ok()) {
    return NameTaken(n.status(), rec.name);
  }
  return *n > 0;
}

Result<bool> SegmentStore::Delete(const std::string& workspace_id, const std::string& id) {
  auto n = db_.Exec("DELETE FROM segments WHERE workspace_id = $1 AND id = $2", {workspace_id, id});
  if (!n.ok()) {
    return n.status();
  }
  return *n > 0;
}

Result<int64_t> SegmentStore::Count(const std::string& workspace_id) {
  auto rows = db_.Query("SELECT COUNT(*) FROM segments WHERE workspace_id = $1", {workspace_id});
  if (!rows.ok()) {
    return rows.status();
  }
  return rows->at(0).GetInt(0);
}

}  // namespace salesos::campaign
