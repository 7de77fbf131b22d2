#include "salesos/data_admin/catalog.h"

#include <boost/json.hpp>

#include "salesos/crypto/encoding.h"
#include "salesos/rpc/paging.h"

namespace salesos::data_admin {

namespace {

constexpr char kTokenPrefix[] = "dm1:";

std::string EncodeToken(const std::string& collection, const std::string& last_id) {
  return crypto::Base64UrlEncode(kTokenPrefix + collection + ":" + last_id);
}

Result<std::string> DecodeToken(const std::string& collection, const std::string& token) {
  if (token.empty()) {
    return std::string();
  }
  auto raw = crypto::Base64UrlDecode(token);
  std::string prefix = kTokenPrefix + collection + ":";
  if (!raw.ok() || raw->compare(0, prefix.size(), prefix) != 0 || raw->size() == prefix.size()) {
    return FieldError("pageToken", "is not a page token of this list; start again without it");
  }
  return raw->substr(prefix.size());
}

// q as a LIKE pattern: lower case, its own % _ and \ escaped, wrapped in %.
std::string LikePattern(const std::string& q) {
  std::string out = "%";
  for (char c : q) {
    if (c == '%' || c == '_' || c == '\\') {
      out += '\\';
    }
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out + "%";
}

std::string SelectList(const Collection& c) {
  std::string cols = c.id_column + " AS doc_id";
  for (const auto& f : c.fields) {
    cols += ", " + f.column;
  }
  return cols;
}

}  // namespace

std::string DocumentJson(const Collection& c, const store::Row& row) {
  boost::json::object doc;
  doc["id"] = row.GetText(0);
  for (size_t i = 0; i < c.fields.size(); ++i) {
    const Field& f = c.fields[i];
    size_t col = i + 1;
    switch (f.kind) {
      case FieldKind::kInt:
        doc[f.json_name] = row.GetInt(col);
        break;
      case FieldKind::kBool:
        doc[f.json_name] = row.GetBool(col);
        break;
      case FieldKind::kJson: {
        boost::system::error_code ec;
        std::string text = row.GetText(col);
        boost::json::value v = boost::json::parse(text, ec);
        if (ec) {
          doc[f.json_name] = text;
        } else {
          doc[f.json_name] = std::move(v);
        }
        break;
      }
      case FieldKind::kText:
        doc[f.json_name] = row.GetText(col);
        break;
    }
  }
  return boost::json::serialize(doc);
}

Catalog::Catalog(store::Store& db, std::string service, std::vector<Collection> collections)
    : db_(db), service_(std::move(service)), collections_(std::move(collections)) {}

std::string Catalog::KnownNames() const {
  std::string names;
  for (const auto& c : collections_) {
    names += (names.empty() ? "" : ", ") + c.name;
  }
  return names;
}

Result<const Collection*> Catalog::Find(const std::string& name) const {
  for (const auto& c : collections_) {
    if (c.name == name) {
      return &c;
    }
  }
  return NotFound("unknown collection \"" + name + "\"; " + service_ + " has: " + KnownNames());
}

Result<store::Rows> Catalog::Select(store::Executor& ex, const Collection& c,
                                    const std::string& where, const store::Params& params,
                                    const std::string& tail) {
  return ex.Query("SELECT " + SelectList(c) + " FROM " + c.from + " WHERE " + where + tail, params);
}

Result<std::vector<CollectionCount>> Catalog::Counts(const std::string& workspace_id) {
  std::vector<CollectionCount> out;
  for (const auto& c : collections_) {
    Result<store::Rows> rows =
        workspace_id.empty()
            ? db_.Query("SELECT COUNT(*) FROM " + c.from)
            : db_.Query("SELECT COUNT(*) FROM " + c.from + " WHERE " + c.workspace_column + " = $1",
                        {workspace_id});
    SALESOS_RETURN_IF_ERROR(rows.status());
    out.push_back({&c, rows->empty() ? 0 : rows->front().GetInt(0)});
  }
  return out;
}

Result<Page> Catalog::List(const std::string& workspace_id, const std::string& collection,
                           const std::string& q, int64_t page_size, const std::string& page_token) {
  SALESOS_ASSIGN_OR_RETURN(const Collection* c, Find(collection));
  SALESOS_ASSIGN_OR_RETURN(int32_t size, rpc::ResolvePageSize(page_size));
  SALESOS_ASSIGN_OR_RETURN(std::string after, DecodeToken(collection, page_token));
  store::Params params{workspace_id, after};
  std::string where = c->workspace_column + " = $1 AND " + c->id_column + " > $2";
  if (!q.empty() && !c->search.empty()) {
    params.emplace_back(LikePattern(q));
    where += " AND (";
    for (size_t i = 0; i < c->search.size(); ++i) {
      where += (i ? " OR " : "") + ("LOWER(" + c->search[i] + ") LIKE $3 ESCAPE '\\'");
    }
    where += ")";
  }
  params.emplace_back(static_cast<int64_t>(size) + 1);
  std::string limit = "$" + std::to_string(params.size());
  SALESOS_ASSIGN_OR_RETURN(
      store::Rows rows,
      Select(db_, *c, where, params, " ORDER BY " + c->id_column + " LIMIT " + limit));
  Page page;
  bool more = rows.size() > static_cast<size_t>(size);
  if (more) {
    rows.pop_back();
  }
  for (const auto& row : rows) {
    page.documents.push_back(DocumentJson(*c, row));
  }
  if (more) {
    page.next_page_token = EncodeToken(collection, rows.back().GetText(0));
  }
  return page;
}

Result<std::string> Catalog::Get(const std::string& workspace_id, const std::string& collection,
                                 const std::string& id) {
  SALESOS_ASSIGN_OR_RETURN(const Collection* c, Find(collection));
  SALESOS_ASSIGN_OR_RETURN(
      store::Rows rows, Select(db_, *c, c->workspace_column + " = $1 AND " + c->id_column + " = $2",
                               {workspace_id, id}, ""));
  if (rows.empty()) {
    return NotFound(collection + " has no document " + id);
  }
  return DocumentJson(*c, rows.front());
}

Result<int64_t> Catalog::Delete(const std::string& workspace_id, const std::string& collection,
                                const std::string& id) {
  SALESOS_ASSIGN_OR_RETURN(const Collection* c, Find(collection));
  if (!c->deletable) {
    return FailedPrecondition(collection + " cannot be deleted here");
  }
  int64_t removed = 0;
  store::Rows gone;
  std::string match = c->workspace_column + " = $1 AND " + c->id_column + " = $2";
  SALESOS_RETURN_IF_ERROR(db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(gone, Select(tx, *c, match, {workspace_id, id}, ""));
    if (gone.empty()) {
      return NotFound(collection + " has no document " + id);
    }
    for (const auto& sql : c->delete_dependants) {
      SALESOS_ASSIGN_OR_RETURN(int64_t n, tx.Exec(sql, {workspace_id, id}));
      removed += n;
    }
    SALESOS_ASSIGN_OR_RETURN(
        int64_t n, tx.Exec("DELETE FROM " + c->from + " WHERE " + match, {workspace_id, id}));
    removed += n;
    return OkStatus();
  }));
  if (c->on_removed) {
    c->on_removed(workspace_id, gone);
  }
  return removed;
}

Result<std::vector<ExportedCollection>> Catalog::Export(const std::string& workspace_id,
                                                        const std::vector<std::string>& names,
                                                        int64_t max_bytes) {
  if (max_bytes <= 0 || max_bytes > kMaxExportBytes) {
    max_bytes = kMaxExportBytes;
  }
  std::vector<const Collection*> chosen;
  if (names.empty()) {
    for (const auto& c : collections_) {
      chosen.push_back(&c);
    }
  }
  for (const auto& name : names) {
    SALESOS_ASSIGN_OR_RETURN(const Collection* c, Find(name));
    chosen.push_back(c);
  }
  std::vector<ExportedCollection> out;
  int64_t total = 0;
  for (const Collection* c : chosen) {
    ExportedCollection e{c->name, 0, "["};
    std::string token;
    do {
      SALESOS_ASSIGN_OR_RETURN(Page page,
                               List(workspace_id, c->name, "", rpc::kMaxPageSize, token));
      for (const auto& doc : page.documents) {
        e.json += (e.count++ ? "," : "") + doc;
        if (total + static_cast<int64_t>(e.json.size()) > max_bytes) {
          return FailedPrecondition("the export is larger than " + std::to_string(max_bytes) +
                                    " bytes at collection " + c->name +
                                    "; export fewer collections at a time");
        }
      }
      token = page.next_page_token;
    } while (!token.empty());
    e.json += "]";
    total += static_cast<int64_t>(e.json.size());
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::map<std::string, int64_t>> Catalog::Clear(const std::string& workspace_id) {
  std::map<std::string, int64_t> removed;
  std::map<const Collection*, store::Rows> gone;
  SALESOS_RETURN_IF_ERROR(db_.InTransaction([&](store::Executor& tx) -> Status {
    removed.clear();
    gone.clear();
    for (auto it = collections_.rbegin(); it != collections_.rend(); ++it) {
      const Collection& c = *it;
      if (!c.clearable) {
        continue;
      }
      if (c.on_removed) {
        SALESOS_ASSIGN_OR_RETURN(gone[&c],
                                 Select(tx, c, c.workspace_column + " = $1", {workspace_id}, ""));
      }
      for (const auto& sql : c.clear_dependants) {
        SALESOS_RETURN_IF_ERROR(tx.Exec(sql, {workspace_id}).status());
      }
      SALESOS_ASSIGN_OR_RETURN(removed[c.name], tx.Exec("DELETE FROM " + c.from + " WHERE " +
                                                            c.workspace_column + " = $1",
                                                        {workspace_id}));
    }
    return OkStatus();
  }));
  for (const auto& [c, rows] : gone) {
    c->on_removed(workspace_id, rows);
  }
  return removed;
}

}  // namespace salesos::data_admin
