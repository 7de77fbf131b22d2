#include "salesos/core/csv.h"

namespace salesos::csv {
namespace {

constexpr std::string_view kGuarded = "=+-@\t\r";

// Whether s is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) {
        return false;
      }
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

Reader::Reader(std::string_view text, ReaderOptions options) : text_(text), options_(options) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
    pos_ = 3;
  }
}

bool Reader::AtLineEnd() const {
  return pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r');
}

void Reader::ConsumeLineEnd() {
  if (pos_ < text_.size() && text_[pos_] == '\r') {
    ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
    }
    ++line_;
  } else if (pos_ < text_.size() && text_[pos_] == '\n') {
    ++pos_;
    ++line_;
  }
}

void Reader::SkipToLineEnd() {
  while (pos_ < text_.size() && !AtLineEnd()) {
    ++pos_;
  }
  ConsumeLineEnd();
}

bool Reader::Next(Record& out) {
  out.fields.clear();
  out.error.clear();
  if (pos_ >= text_.size()) {
    return false;
  }
  out.row = ++row_;
  out.line = line_;
  const char delim = options_.delimiter;
  std::string field;
  auto fail = [&](std::string message) {
    out.error = std::move(message);
    return true;
  };
  while (true) {
    field.clear();
    const size_t number = out.fields.size() + 1;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      // A quoted field: up to the quote that is not doubled.
      const int64_t started_on = line_;
      ++pos_;
      bool closed = false;
      while (pos_ < text_.size()) {
        const char c = text_[pos_];
        if (c == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            field += '"';
            pos_ += 2;
            continue;
          }
          ++pos_;
          closed = true;
          break;
        }
        if (c == '\n' || (c == '\r' && !(pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n'))) {
          ++line_;
        }
        field += c;
        ++pos_;
        if (field.size() > options_.max_field_bytes) {
          break;
        }
      }
      if (field.size() > options_.max_field_bytes) {
        // Find the closing quote to resynchronise; a runaway quote ends the text.
        while (pos_ < text_.size()) {
          if (text_[pos_] == '"' && !(pos_ + 1 < text_.size() && text_[pos_ + 1] == '"')) {
            ++pos_;
            break;
          }
          pos_ += (text_[pos_] == '"') ? 2 : 1;
        }
        SkipToLineEnd();
        return fail("field " + std::to_string(number) + " is longer than " +
                    std::to_string(options_.max_field_bytes) + " bytes");
      }
      if (!closed) {
        return fail("the quoted field " + std::to_string(number) + " opened on line " +
                    std::to_string(started_on) + " is never closed");
      }
      if (pos_ < text_.size() && text_[pos_] != delim && !AtLineEnd()) {
        SkipToLineEnd();
        return fail("text after the closing quote of field " + std::to_string(number));
      }
    } else {
      while (pos_ < text_.size() && text_[pos_] != delim && !AtLineEnd()) {
        if (text_[pos_] == '"') {
          SkipToLineEnd();
          return fail("a quote inside the unquoted field " + std::to_string(number) +
                      " (quote the whole field and double the quote)");
        }
        field += text_[pos_++];
        if (field.size() > options_.max_field_bytes) {
          SkipToLineEnd();
          return fail("field " + std::to_string(number) + " is longer than " +
                      std::to_string(options_.max_field_bytes) + " bytes");
        }
      }
    }
    if (!IsUtf8(field)) {
      SkipToLineEnd();
      return fail("field " + std::to_string(number) + " is not valid UTF-8");
    }
    out.fields.push_back(field);
    if (out.fields.size() > options_.max_fields) {
      SkipToLineEnd();
      return fail("more than " + std::to_string(options_.max_fields) + " fields");
    }
    if (pos_ < text_.size() && text_[pos_] == delim) {
      ++pos_;
      continue;
    }
    ConsumeLineEnd();
    return true;
  }
}

int64_t CountRecords(std::string_view text, ReaderOptions options) {
  Reader reader(text, options);
  Record record;
  int64_t n = 0;
  while (reader.Next(record)) {
    ++n;
  }
  return n;
}

std::string Quote(std::string_view text, char delimiter) {
  if (text.find_first_of(std::string{'"', '\r', '\n', delimiter}) == std::string_view::npos) {
    return std::string(text);
  }
  std::string out = "\"";
  for (char c : text) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  out += '"';
  return out;
}

std::string Guard(std::string_view text) {
  if (!text.empty() && kGuarded.find(text.front()) != std::string_view::npos) {
    return "'" + std::string(text);
  }
  return std::string(text);
}

std::string SafeCell(std::string_view text, char delimiter) {
  return Quote(Guard(text), delimiter);
}

std::string_view Unguard(std::string_view cell) {
  if (cell.size() >= 2 && cell[0] == '\'' && kGuarded.find(cell[1]) != std::string_view::npos) {
    return cell.substr(1);
  }
  return cell;
}

void AppendRow(std::string& out, const std::vector<std::string>& cells, char delimiter) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) {
      out += delimiter;
    }
    out += Quote(cells[i], delimiter);
  }
  out += "\r\n";
}

}  // namespace salesos::csv
