#include "sql_text.h"

#include <charconv>
#include <system_error>

namespace salesos::store::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsIdentifierByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '$' ||
         u >= 0x80;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// The index just past the quoted run that opens at sql[begin] and closes with `close`. A doubled
// closing quote is an escaped one ('it''s'); brackets have no escape. Unterminated runs end at the
// end of the text, where the engine reports the error.
size_t SkipQuoted(std::string_view sql, size_t begin, char close) {
  size_t i = begin + 1;
  while (i < sql.size()) {
    if (sql[i] == close) {
      if (close != ']' && i + 1 < sql.size() && sql[i + 1] == close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

// The index just past a comment that opens at `begin`, or `begin` when none opens there.
size_t SkipComment(std::string_view sql, size_t begin) {
  if (sql.compare(begin, 2, "--") == 0) {
    const size_t newline = sql.find('\n', begin);
    return newline == std::string_view::npos ? sql.size() : newline + 1;
  }
  if (sql.compare(begin, 2, "/*") == 0) {
    const size_t end = sql.find("*/", begin + 2);
    return end == std::string_view::npos ? sql.size() : end + 2;
  }
  return begin;
}

// The index just past a literal, quoted identifier or comment that opens at `begin`, or `begin`.
size_t SkipOpaque(std::string_view sql, size_t begin) {
  const char c = sql[begin];
  if (c == '\'' || c == '"' || c == '`') {
    return SkipQuoted(sql, begin, c);
  }
  if (c == '[') {
    return SkipQuoted(sql, begin, ']');
  }
  return SkipComment(sql, begin);
}

}  // namespace

std::string RewritePlaceholdersForSqlite(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  size_t i = 0;
  while (i < sql.size()) {
    const size_t skip = SkipOpaque(sql, i);
    if (skip != i) {
      out.append(sql.substr(i, skip - i));
      i = skip;
      continue;
    }
    const char c = sql[i];
    const bool placeholder = c == '$' && i + 1 < sql.size() && IsDigit(sql[i + 1]) &&
                             (i == 0 || !IsIdentifierByte(sql[i - 1]));
    out += placeholder ? '?' : c;
    ++i;
  }
  return out;
}

bool OnlyTrivia(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    if (IsSpace(sql[i]) || sql[i] == ';') {
      ++i;
      continue;
    }
    const size_t skip = SkipComment(sql, i);
    if (skip == i) {
      return false;
    }
    i = skip;
  }
  return true;
}

std::string SqlSnippet(std::string_view sql) {
  constexpr size_t kMaxSnippet = 120;
  std::string out;
  bool pending_space = false;
  for (char c : sql) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (out.size() >= kMaxSnippet) {
      out += "...";
      break;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    out += c;
  }
  return out;
}

int LineAt(std::string_view text, size_t offset) {
  int line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
    }
  }
  return line;
}

size_t ByteOffsetOfCharacter(std::string_view text, size_t position) {
  size_t characters = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    // UTF-8 continuation bytes (10xxxxxx) do not start a character.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && ++characters == position) {
      return i;
    }
  }
  return text.size();
}

bool IsValidSchemaName(std::string_view name) {
  constexpr size_t kMaxIdentifier = 63;
  if (name.empty() || name.size() > kMaxIdentifier || IsDigit(name[0])) {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || IsDigit(c) || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string FormatDouble(double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return ec == std::errc() ? std::string(buf, end) : std::string("nan");
}

bool ParseInt64(std::string_view text, int64_t* out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool ParseDouble(std::string_view text, double* out) {
  // from_chars rejects a leading '+', which PostgreSQL never writes but people do.
  if (!text.empty() && text[0] == '+') {
    text.remove_prefix(1);
  }
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace salesos::store::internal
