#include "knowledge_store.h"

#include <algorithm>
#include <tuple>

#include "salesos/core/time.h"

namespace salesos::ai {
namespace {

// Rows per INSERT: one statement for 50 chunks keeps a 2,000-chunk training at 40 round trips
// (8 parameters a row, far below either engine's limit).
constexpr size_t kRowsPerInsert = 50;
constexpr size_t kColumnsPerRow = 8;

std::string InsertStatement(size_t rows) {
  std::string sql =
      "INSERT INTO kb_chunks (workspace_id, id, campaign_id, source, title, position, text, "
      "created_at) VALUES ";
  size_t p = 1;
  for (size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (size_t c = 0; c < kColumnsPerRow; ++c) {
      sql += (c == 0 ? "$" : ", $") + std::to_string(p++);
    }
    sql += ")";
  }
  return sql;
}

}  // namespace

Result<int64_t> SqlKnowledgeStore::ReplaceWorkspaceKnowledge(
    const std::string& workspace_id, const std::vector<KnowledgeChunk>& chunks, int64_t documents,
    int64_t trained_at_ms) {
  const std::string trained_at = FormatRfc3339Millis(trained_at_ms);
  int64_t version = 0;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    // First, so that on PostgreSQL the status row's lock orders concurrent trainings of one
    // workspace: the second waits here, then deletes what the first inserted.
    auto bumped = tx.Query(
        "INSERT INTO kb_status (workspace_id, trained_at, documents, chunks, version) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id) DO UPDATE SET "
        "trained_at = excluded.trained_at, documents = excluded.documents, "
        "chunks = excluded.chunks, version = CASE WHEN kb_status.version + 1 > excluded.version "
        "THEN kb_status.version + 1 ELSE excluded.version END RETURNING version",
        {workspace_id, trained_at, documents, static_cast<int64_t>(chunks.size()),
         std::max<int64_t>(1, trained_at_ms)});
    if (!bumped.ok()) {
      return bumped.status();
    }
    if (bumped->size() != 1) {
      return Internal("kb_status: the upsert of workspace " + workspace_id +
                      " returned no version");
    }
    version = bumped->front().GetInt(0);
    auto deleted = tx.Exec("DELETE FROM kb_chunks WHERE workspace_id = $1", {workspace_id});
    if (!deleted.ok()) {
      return deleted.status();
    }
    for (size_t from = 0; from < chunks.size(); from += kRowsPerInsert) {
      size_t rows = std::min(kRowsPerInsert, chunks.size() - from);
      store::Params params;
      params.reserve(rows * kColumnsPerRow);
      for (size_t i = from; i < from + rows; ++i) {
        const KnowledgeChunk& c = chunks[i];
        params.emplace_back(workspace_id);
        params.emplace_back(c.id);
        params.emplace_back(c.campaign_id);
        params.emplace_back(c.source);
        params.emplace_back(c.title);
        params.emplace_back(int64_t{c.position});
        params.emplace_back(c.text);
        params.emplace_back(trained_at);
      }
      auto inserted = tx.Exec(InsertStatement(rows), params);
      if (!inserted.ok()) {
        return inserted.status();
      }
    }
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return version;
}

Result<std::vector<KnowledgeChunk>> SqlKnowledgeStore::LoadChunks(const std::string& workspace_id) {
  auto rows = db_.Query(
      "SELECT id, campaign_id, source, title, position, text FROM kb_chunks "
      "WHERE workspace_id = $1",
      {workspace_id});
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<KnowledgeChunk> chunks;
  chunks.reserve(rows->size());
  for (const auto& r : *rows) {
    KnowledgeChunk c;
    c.id = r.GetText(0);
    c.campaign_id = r.GetText(1);
    c.source = r.GetText(2);
    c.title = r.GetText(3);
    c.position = static_cast<int>(r.GetInt(4));
    c.text = r.GetText(5);
    chunks.push_back(std::move(c));
  }
  // Sorted here rather than by ORDER BY: PostgreSQL would order text by its collation.
  std::sort(chunks.begin(), chunks.end(), [](const KnowledgeChunk& a, const KnowledgeChunk& b) {
    return std::tie(a.campaign_id, a.source, a.position) <
           std::tie(b.campaign_id, b.source, b.position);
  });
  return chunks;
}

Result<std::optional<KnowledgeStatusRecord>> SqlKnowledgeStore::LoadStatus(
    const std::string& workspace_id) {
  auto rows = db_.Query(
      "SELECT trained_at, documents, chunks, version FROM kb_status WHERE workspace_id = $1",
      {workspace_id});
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<KnowledgeStatusRecord>();
  }
  const store::Row& r = rows->front();
  KnowledgeStatusRecord rec;
  rec.trained_at_ms = ParseRfc3339Millis(r.GetText(0)).value_or(0);
  rec.documents = r.GetInt(1);
  rec.chunks = r.GetInt(2);
  rec.version = r.GetInt(3);
  return std::optional<KnowledgeStatusRecord>(rec);
}

Status SqlKnowledgeStore::DeleteWorkspace(const std::string& workspace_id) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    auto status = tx.Exec("DELETE FROM kb_status WHERE workspace_id = $1", {workspace_id});
    if (!status.ok()) {
      return status.status();
    }
    auto chunks = tx.Exec("DELETE FROM kb_chunks WHERE workspace_id = $1", {workspace_id});
    if (!chunks.ok()) {
      return chunks.status();
    }
    return OkStatus();
  });
}

}  // namespace salesos::ai
