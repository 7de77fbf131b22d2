#pragma once

// Text helpers shared by both engines: placeholder rewriting, statement tails, error snippets,
// schema names and the number formats values travel in.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace salesos::store::internal {

// Rewrites PostgreSQL-style $N placeholders to SQLite's ?N, leaving string literals, quoted
// identifiers ("x", `x`, [x]) and comments untouched. A '$' that continues an identifier (a$1) is
// not a placeholder either.
std::string RewritePlaceholdersForSqlite(std::string_view sql);

// True when `sql` holds nothing but whitespace, ';' and comments (what may follow the one
// statement of a Query or Exec).
bool OnlyTrivia(std::string_view sql);

// One line of at most ~120 characters of `sql` for error messages (whitespace runs collapsed).
std::string SqlSnippet(std::string_view sql);

// 1-based line of the byte at `offset` in `text`.
int LineAt(std::string_view text, size_t offset);

// Byte offset of the 1-based character `position` in UTF-8 `text` (PostgreSQL reports error
// positions in characters).
size_t ByteOffsetOfCharacter(std::string_view text, size_t position);

// [a-z_][a-z0-9_]*, at most 63 bytes (PostgreSQL truncates longer identifiers), so the name can
// be quoted into DDL without escaping.
bool IsValidSchemaName(std::string_view name);

// Shortest text that parses back to exactly `value` ("inf", "-inf", "nan" for the specials).
std::string FormatDouble(double value);

// Whole-string parses; false when `text` is not entirely a number.
bool ParseInt64(std::string_view text, int64_t* out);
bool ParseDouble(std::string_view text, double* out);

}  // namespace salesos::store::internal
