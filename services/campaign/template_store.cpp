#include "template_store.h"

#include <google/protobuf/util/json_util.h>

#include <utility>

namespace salesos::campaign {
namespace {

constexpr std::string_view kColumns =
    "id, workspace_id, name, category, channel, body, variables, created_at, updated_at, whatsapp";

std::string SelectFrom(std::string_view where) {
  return "SELECT " + std::string(kColumns) + " FROM templates WHERE " + std::string(where);
}

// Variable names are catalogue names (letters, digits, dots), so a space separates them safely.
std::string JoinVariables(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += out.empty() ? n : " " + n;
  }
  return out;
}

std::vector<std::string> SplitVariables(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t space = text.find(' ', start);
    size_t end = space == std::string::npos ? text.size() : space;
    if (end > start) {
      out.push_back(text.substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

TemplateRecord FromRow(const store::Row& r) {
  TemplateRecord rec;
  rec.id = r.GetText(0);
  rec.workspace_id = r.GetText(1);
  rec.name = r.GetText(2);
  rec.category = r.GetText(3);
  rec.channel = r.GetText(4);
  rec.body = r.GetText(5);
  rec.variables = SplitVariables(r.GetText(6));
  rec.created_at = r.GetText(7);
  rec.updated_at = r.GetText(8);
  std::string whatsapp = r.GetText(9);
  if (!whatsapp.empty()) {
    v1::WhatsAppTemplate t;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;  // rows written by a newer version
    if (google::protobuf::util::JsonStringToMessage(whatsapp, &t, options).ok()) {
      rec.whatsapp = std::move(t);
    }
  }
  return rec;
}

// The column's text: protobuf JSON, "" for none.
std::string WhatsAppText(const std::optional<v1::WhatsAppTemplate>& t) {
  std::string json;
  if (t.has_value()) {
    (void)google::protobuf::util::MessageToJsonString(*t, &json);
  }
  return json;
}

Result<std::optional<TemplateRecord>> AtMostOne(Result<store::Rows> rows) {
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<TemplateRecord>();
  }
  return std::optional<TemplateRecord>(FromRow(rows->front()));
}

store::Value TextOrNull(const std::optional<std::string>& v) {
  return v.has_value() ? store::Value(*v) : store::Value(store::Null{});
}

}  // namespace

Status TemplateStore::Create(const TemplateRecord& rec) {
  auto n = db_.Exec(
      "INSERT INTO templates (id, workspace_id, name, category, channel, body, variables, "
      "created_at, updated_at, whatsapp) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {rec.id, rec.workspace_id, rec.name, rec.category, rec.channel, rec.body,
       JoinVariables(rec.variables), rec.created_at, rec.updated_at, WhatsAppText(rec.whatsapp)});
  return n.ok() ? OkStatus() : n.status();
}

Result<std::optional<TemplateRecord>> TemplateStore::Get(const std::string& workspace_id,
                                                         const std::string& id) {
  return AtMostOne(db_.Query(SelectFrom("workspace_id = $1 AND id = $2"), {workspace_id, id}));
}

Result<std::vector<TemplateRecord>> TemplateStore::List(const std::string& workspace_id,
                                                        const std::string& category,
                                                        const std::string& after_id,
                                                        int64_t limit) {
  // Two statements rather than "$2 = '' OR ...": each keeps a plain plan on its index.
  auto rows =
      category.empty()
          ? db_.Query(SelectFrom("workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3"),
                      {workspace_id, after_id, limit})
          : db_.Query(
                SelectFrom("workspace_id = $1 AND category = $2 AND id > $3 ORDER BY id LIMIT $4"),
                {workspace_id, category, after_id, limit});
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<TemplateRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    out.push_back(FromRow(r));
  }
  return out;
}

Result<std::optional<TemplateRecord>> TemplateStore::Update(const std::string& workspace_id,
                                                            const std::string& id,
                                                            const TemplateUpdate& update) {
  std::optional<std::string> variables;
  if (update.variables.has_value()) {
    variables = JoinVariables(*update.variables);
  }
  std::optional<std::string> whatsapp;
  if (update.whatsapp.has_value()) {
    whatsapp = WhatsAppText(*update.whatsapp);
  }
  std::optional<TemplateRecord> after;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    // NULL keeps a column as it is: one statement for every combination of changes.
    auto n = tx.Exec(
        "UPDATE templates SET name = COALESCE($1, name), category = COALESCE($2, category), "
        "channel = COALESCE($3, channel), body = COALESCE($4, body), variables = COALESCE($5, "
        "variables), updated_at = $6, whatsapp = COALESCE($9, whatsapp) WHERE workspace_id = $7 "
        "AND id = $8",
        {TextOrNull(update.name), TextOrNull(update.category), TextOrNull(update.channel),
         TextOrNull(update.body), TextOrNull(variables), update.updated_at, workspace_id, id,
         TextOrNull(whatsapp)});
    if (!n.ok()) {
      return n.status();
    }
    if (*n == 0) {
      return OkStatus();
    }
    SALESOS_ASSIGN_OR_RETURN(after, AtMostOne(tx.Query(SelectFrom("workspace_id = $1 AND id = $2"),
                                                       {workspace_id, id})));
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return after;
}

Result<bool> TemplateStore::Delete(const std::string& workspace_id, const std::string& id) {
  auto n =
      db_.Exec("DELETE FROM templates WHERE workspace_id = $1 AND id = $2", {workspace_id, id});
  if (!n.ok()) {
    return n.status();
  }
  return *n > 0;
}

}  // namespace salesos::campaign
