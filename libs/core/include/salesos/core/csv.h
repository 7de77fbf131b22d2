#pragma once

// CSV as RFC 4180 writes it: a reader for untrusted uploads (contact imports) and the writing
// helpers of every export (analytics, contacts). One implementation so a file SalesOS exports
// reads back the same.
//
// The reader never throws and never gives up on a bad record: a record it cannot read is returned
// with `error` set and reading goes on at the next line, so an import reports the row and keeps
// going. Quoted fields may hold the delimiter, quotes ("" for one) and line breaks. Line breaks
// are CRLF, LF or CR. A UTF-8 byte order mark at the start is skipped. Not thread-safe (one
// reader per thread); the text must outlive the reader.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace salesos::csv {

struct ReaderOptions {
  char delimiter = ',';
  // A field longer than this makes its record an error ("field N is longer than ... bytes").
  size_t max_field_bytes = 64 * 1024;
  // A record with more fields than this is an error.
  size_t max_fields = 1000;
};

struct Record {
  std::vector<std::string> fields;
  // The record's number as a spreadsheet counts rows: the first record (a header, usually) is 1.
  // A quoted field with line breaks makes a record span lines, so this is not a line number.
  int64_t row = 0;
  // The line (1-based) the record starts on, for messages.
  int64_t line = 0;
  // Why the record could not be read ("unterminated quoted field", "text after a closing
  // quote in field 3", "not valid UTF-8 in field 2", ...); "" when it was read. fields is then
  // what was read before the problem and should not be used.
  std::string error;
  // True for a record that is one empty line (no fields at all, "" read as one empty field).
  bool blank() const { return fields.size() == 1 && fields[0].empty() && error.empty(); }
};

class Reader {
 public:
  explicit Reader(std::string_view text, ReaderOptions options = {});

  // The next record; false at the end of the text (a final line break ends the last record and
  // does not make an empty one).
  bool Next(Record& out);
  // Bytes consumed so far (where the next record starts).
  size_t offset() const { return pos_; }

 private:
  void SkipToLineEnd();
  bool AtLineEnd() const;
  void ConsumeLineEnd();

  std::string_view text_;
  ReaderOptions options_;
  size_t pos_ = 0;
  int64_t row_ = 0;
  int64_t line_ = 1;
};

// Counts the records of `text` without keeping them (blank lines included), for a progress total.
int64_t CountRecords(std::string_view text, ReaderOptions options = {});

// One field as RFC 4180 quotes it: in double quotes, with quotes doubled, when it holds the
// delimiter, a quote, CR or LF; as it is otherwise.
std::string Quote(std::string_view text, char delimiter = ',');

// Text of an export a person opens in a spreadsheet: text starting with = + - @ TAB or CR would
// run as a formula (CSV injection), so it gets a leading apostrophe ("'+33612345678"). Numbers
// the exporter writes itself ("-3.5") are not guarded.
std::string Guard(std::string_view text);
// Quote(Guard(text)).
std::string SafeCell(std::string_view text, char delimiter = ',');

// The inverse of Guard, for importing a file SalesOS exported: "'+33612345678" →
// "+33612345678" (only an apostrophe followed by one of the guarded characters is removed).
std::string_view Unguard(std::string_view cell);

// Appends the cells as one record, each through Quote (guard text cells first), and CRLF.
void AppendRow(std::string& out, const std::vector<std::string>& cells, char delimiter = ',');

}  // namespace salesos::csv
