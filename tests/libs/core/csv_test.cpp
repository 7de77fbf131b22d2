#include "salesos/core/csv.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using salesos::csv::Reader;
using salesos::csv::Record;

std::vector<Record> ReadAll(std::string_view text, salesos::csv::ReaderOptions options = {}) {
  Reader reader(text, options);
  std::vector<Record> out;
  Record r;
  while (reader.Next(r)) {
    out.push_back(r);
  }
  return out;
}

using Fields = std::vector<std::string>;

}  // namespace

TEST_CASE("csv reader reads plain records with any line break", "[csv]") {
  auto records = ReadAll("a,b,c\r\n1,2,3\n4,5,6\r7,8,9");
  REQUIRE(records.size() == 4);
  CHECK(records[0].fields == Fields{"a", "b", "c"});
  CHECK(records[1].fields == Fields{"1", "2", "3"});
  CHECK(records[2].fields == Fields{"4", "5", "6"});
  CHECK(records[3].fields == Fields{"7", "8", "9"});
  CHECK(records[3].row == 4);
  CHECK(records[3].line == 4);
  for (const auto& r : records) {
    CHECK(r.error.empty());
  }
}

TEST_CASE("csv reader takes quoted delimiters, doubled quotes and line breaks", "[csv]") {
  auto records = ReadAll("name,note\n\"Núñez, José\",\"say \"\"hi\"\"\nand bye\"\nlast,\"\"\n");
  REQUIRE(records.size() == 3);
  CHECK(records[1].fields == Fields{"Núñez, José", "say \"hi\"\nand bye"});
  CHECK(records[1].row == 2);
  CHECK(records[2].fields == Fields{"last", ""});
  CHECK(records[2].row == 3);
  CHECK(records[2].line == 4);  // the quoted line break moved the lines on
}

TEST_CASE("csv reader: a final line break makes no empty record, a blank line does", "[csv]") {
  auto records = ReadAll("a\n\nb\n");
  REQUIRE(records.size() == 3);
  CHECK(records[1].blank());
  CHECK_FALSE(records[0].blank());
  CHECK(ReadAll("").empty());
  CHECK(ReadAll("a,\n")[0].fields == Fields{"a", ""});
}

TEST_CASE("csv reader skips a byte order mark", "[csv]") {
  auto records = ReadAll("\xEF\xBB\xBF" "email\nx@y.z\n");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == Fields{"email"});
}

TEST_CASE("csv reader reports a broken record and goes on with the next line", "[csv]") {
  auto records = ReadAll("a,b\nx\"y,1\n\"ok\",2\n\"closed\"junk,3\nfine,4\n");
  REQUIRE(records.size() == 5);
  CHECK(records[1].error.find("quote inside the unquoted field 1") != std::string::npos);
  CHECK(records[2].error.empty());
  CHECK(records[2].fields == Fields{"ok", "2"});
  CHECK(records[3].error.find("text after the closing quote of field 1") != std::string::npos);
  CHECK(records[4].fields == Fields{"fine", "4"});
  CHECK(records[4].row == 5);
}

TEST_CASE("csv reader reports an unterminated quote at the end", "[csv]") {
  auto records = ReadAll("a,b\n1,\"never closed\n2,3\n");
  REQUIRE(records.size() == 2);
  CHECK(records[1].error.find("opened on line 2 is never closed") != std::string::npos);
}

TEST_CASE("csv reader refuses invalid UTF-8, huge fields and too many fields", "[csv]") {
  salesos::csv::ReaderOptions options;
  options.max_field_bytes = 8;
  options.max_fields = 3;
  auto records =
      ReadAll("ok,\xC3\x28\n123456789,x\n\"123456789\",x\n1,2,3,4\nlast\n", options);
  REQUIRE(records.size() == 5);
  CHECK(records[0].error.find("field 2 is not valid UTF-8") != std::string::npos);
  CHECK(records[1].error.find("longer than 8 bytes") != std::string::npos);
  CHECK(records[2].error.find("longer than 8 bytes") != std::string::npos);
  CHECK(records[3].error.find("more than 3 fields") != std::string::npos);
  CHECK(records[4].fields == Fields{"last"});
  // Overlong encodings and surrogates are not UTF-8 either.
  CHECK_FALSE(ReadAll("\xC0\xAF")[0].error.empty());
  CHECK_FALSE(ReadAll("\xED\xA0\x80")[0].error.empty());
  CHECK(ReadAll("\xF0\x9F\x98\x80")[0].error.empty());
}

TEST_CASE("csv reader takes another delimiter", "[csv]") {
  salesos::csv::ReaderOptions options;
  options.delimiter = ';';
  auto records = ReadAll("a;\"b;c\";d,e\n", options);
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields == Fields{"a", "b;c", "d,e"});
}

TEST_CASE("csv writer quotes only what needs it and guards formulas", "[csv]") {
  CHECK(salesos::csv::Quote("plain") == "plain");
  CHECK(salesos::csv::Quote("") == "");
  CHECK(salesos::csv::Quote("a,b") == "\"a,b\"");
  CHECK(salesos::csv::Quote("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(salesos::csv::Quote("two\r\nlines") == "\"two\r\nlines\"");
  CHECK(salesos::csv::Quote("a;b", ';') == "\"a;b\"");
  CHECK(salesos::csv::SafeCell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"");
  CHECK(salesos::csv::SafeCell("+33612345678") == "'+33612345678");
  CHECK(salesos::csv::SafeCell("José") == "José");
  CHECK(salesos::csv::Unguard("'+33612345678") == "+33612345678");
  CHECK(salesos::csv::Unguard("'quoted'") == "'quoted'");
  CHECK(salesos::csv::Unguard("-") == "-");
}

TEST_CASE("csv written by AppendRow reads back the same", "[csv]") {
  std::vector<Fields> rows = {{"id", "name", "note"},
                              {"1", "Núñez, José", "line\nbreak \"quoted\""},
                              {"2", "", "'=guarded"}};
  std::string text;
  for (const auto& row : rows) {
    salesos::csv::AppendRow(text, row);
  }
  auto records = ReadAll(text);
  REQUIRE(records.size() == rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(records[i].fields == rows[i]);
  }
  CHECK(salesos::csv::CountRecords(text) == 3);
}
