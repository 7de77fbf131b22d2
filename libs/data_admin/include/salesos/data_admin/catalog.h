#pragma once

// Catalog: the data manager's view of one service's own tables (docs/data-admin.md). A service
// declares its collections — which table, which columns a document shows (never a secret), which
// columns a text search matches, what goes with a deleted document — in its own store files, and
// the catalog answers counts, pages, single documents, deletes, exports and clears over the
// service's store, always filtered by workspace. No gRPC here: data_admin_service.h adapts it.
//
// Documents are JSON objects with lowerCamelCase names. Ids are the collection's id column (or an
// expression over its columns, for tables keyed by several), ordered as the database orders text;
// page tokens carry the last id and the collection's name, so a token of one list is refused by
// another. Thread-safe as the store is; hooks run on the caller's thread after the commit.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::data_admin {

enum class FieldKind { kText, kInt, kBool, kJson };

// One column of a document: `column` as SELECT names it ("u.email", "CAST(x AS TEXT)"), shown as
// `json_name`. kJson columns hold JSON text and are shown parsed (as a string when they do not
// parse).
struct Field {
  std::string column;
  std::string json_name;
  FieldKind kind = FieldKind::kText;
};

struct Collection {
  std::string name;  // "conversations"
  std::string from;  // a table, or a join for read-only collections
  std::string workspace_column = "workspace_id";
  std::string id_column = "id";     // a column or an expression; shown as "id"
  std::vector<Field> fields;        // what a document shows, besides its id
  std::vector<std::string> search;  // text columns q matches
  bool deletable = true;            // Delete one (needs `from` to be a table)
  bool clearable = true;            // removed by Clear
  // Statements ($1 workspace, $2 id) run in Delete's transaction before the document's own row
  // goes: its dependants (a conversation's messages).
  std::vector<std::string> delete_dependants;
  // Statements ($1 workspace) run in Clear's transaction before this collection is emptied.
  std::vector<std::string> clear_dependants;
  // After a Delete or Clear committed: the removed documents' rows, as the fields select them
  // (for events that name what went, e.g. a channel's platform and external id).
  std::function<void(const std::string& workspace_id, const store::Rows& removed)> on_removed;
};

struct Page {
  std::vector<std::string> documents;  // JSON objects
  std::string next_page_token;         // empty on the last page
};

struct ExportedCollection {
  std::string name;
  int64_t count = 0;
  std::string json;  // a JSON array
};

struct CollectionCount {
  const Collection* collection;
  int64_t count;
};

inline constexpr int64_t kMaxExportBytes = 3 * 1024 * 1024;

class Catalog {
 public:
  // `collections` in their display order; Clear empties them in reverse order, so declare a parent
  // before its children (contacts, conversations, messages).
  Catalog(store::Store& db, std::string service, std::vector<Collection> collections);

  const std::string& service() const { return service_; }
  store::Store& store() { return db_; }
  const std::vector<Collection>& collections() const { return collections_; }

  // Counts per collection in `workspace_id`, or over every workspace when it is empty.
  Result<std::vector<CollectionCount>> Counts(const std::string& workspace_id);
  // NOT_FOUND naming the known collections for an unknown one; INVALID_ARGUMENT naming pageSize or
  // pageToken.
  Result<Page> List(const std::string& workspace_id, const std::string& collection,
                    const std::string& q, int64_t page_size, const std::string& page_token);
  // The document as JSON; NOT_FOUND when it is not in the workspace.
  Result<std::string> Get(const std::string& workspace_id, const std::string& collection,
                          const std::string& id);
  // Rows removed (the document and its dependants); NOT_FOUND as Get; FAILED_PRECONDITION for a
  // collection that is not deletable.
  Result<int64_t> Delete(const std::string& workspace_id, const std::string& collection,
                         const std::string& id);
  // Every document of `names` (every collection when empty), FAILED_PRECONDITION naming the
  // collection past `max_bytes` of JSON.
  Result<std::vector<ExportedCollection>> Export(const std::string& workspace_id,
                                                 const std::vector<std::string>& names,
                                                 int64_t max_bytes);
  // Empties the clearable collections of the workspace in one transaction: documents removed by
  // collection.
  Result<std::map<std::string, int64_t>> Clear(const std::string& workspace_id);

  // "users, integrations": for messages naming what exists.
  std::string KnownNames() const;

 private:
  Result<const Collection*> Find(const std::string& name) const;
  Result<store::Rows> Select(store::Executor& ex, const Collection& c, const std::string& where,
                             const store::Params& params, const std::string& tail);

  store::Store& db_;
  std::string service_;
  std::vector<Collection> collections_;
};

// The JSON object of one row selected as Catalog selects it: "id" first, then the fields.
std::string DocumentJson(const Collection& c, const store::Row& row);

}  // namespace salesos::data_admin
