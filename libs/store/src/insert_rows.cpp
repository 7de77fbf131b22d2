#include <algorithm>
#include <string>

#include "salesos/store/store.h"

namespace salesos::store {

namespace {
// Parameters one statement carries: well under SQLite's 32,766 and PostgreSQL's 65,535, and
// large enough that a statement's round trip is spread over hundreds of rows.
constexpr size_t kMaxParams = 6000;
}  // namespace

Result<int64_t> InsertRows(Executor& tx, std::string_view head, const std::vector<Params>& rows,
                           std::string_view tail) {
  if (rows.empty()) {
    return int64_t{0};
  }
  const size_t width = rows.front().size();
  if (width == 0 || width > kMaxParams) {
    return InvalidArgument("InsertRows: a row must have between 1 and " +
                           std::to_string(kMaxParams) + " values");
  }
  for (const auto& r : rows) {
    if (r.size() != width) {
      return InvalidArgument("InsertRows: every row must have " + std::to_string(width) +
                             " values");
    }
  }
  const size_t per_statement = kMaxParams / width;
  int64_t inserted = 0;
  for (size_t start = 0; start < rows.size(); start += per_statement) {
    const size_t end = std::min(rows.size(), start + per_statement);
    std::string sql(head);
    sql += " VALUES ";
    Params params;
    params.reserve((end - start) * width);
    for (size_t i = start; i < end; ++i) {
      sql += i == start ? "(" : ", (";
      for (size_t k = 1; k <= width; ++k) {
        sql += "$" + std::to_string(params.size() + k) + (k < width ? ", " : ")");
      }
      params.insert(params.end(), rows[i].begin(), rows[i].end());
    }
    sql += tail;
    SALESOS_ASSIGN_OR_RETURN(int64_t n, tx.Exec(sql, params));
    inserted += n;
  }
  return inserted;
}

}  // namespace salesos::store
