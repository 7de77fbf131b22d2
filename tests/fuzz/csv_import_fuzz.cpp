// Fuzz target: the contacts CSV importer (libs/core csv.cpp and services/conversation
// import_jobs.cpp). The input is "<mapping>\n<CSV file>"; a mapping line starting with '!' means
// the file has no header row. The upload is checked as PrepareImport checks it, then every record
// is read and made an ImportRow as the import worker does. Checks, besides the sanitizers: the
// worker reads exactly the number of data rows the job was given as its total (so processed ends
// equal to total); every record read without error reads back the same from the CSV the exporter
// writes (csv::AppendRow).

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "import_jobs.h"
#include "salesos/core/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salesos;
  using namespace salesos::conversation;
  static const segments::CustomFieldDecls decls = {
      {"size", {segments::CustomFieldType::kString, {}}},
      {"score", {segments::CustomFieldType::kNumber, {}}},
      {"birthday", {segments::CustomFieldType::kDate, {}}},
      {"vip", {segments::CustomFieldType::kBoolean, {}}},
      {"tier", {segments::CustomFieldType::kEnum, {"gold", "silver"}}},
  };
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) {
    return 0;
  }
  std::string_view mapping = in.substr(0, nl);
  const std::string_view text = in.substr(nl + 1);
  const bool no_header = !mapping.empty() && mapping.front() == '!';
  if (no_header) {
    mapping.remove_prefix(1);
  }

  // The reader alone, over any bytes (the worker reads what PrepareImport let through).
  csv::Reader reader(text);
  csv::Record record;
  int64_t last_row = 0;
  while (reader.Next(record)) {
    FUZZ_REQUIRE(record.row == last_row + 1);
    last_row = record.row;
    if (!record.error.empty() || record.fields.empty() ||
        record.fields[0].rfind("\xEF\xBB\xBF", 0) == 0) {
      continue;  // a byte order mark opening a file is skipped, by design
    }
    std::string written;
    csv::AppendRow(written, record.fields);
    csv::Reader again(written);
    csv::Record back;
    FUZZ_REQUIRE(again.Next(back));
    FUZZ_REQUIRE(back.error.empty());
    FUZZ_REQUIRE(back.fields == record.fields);
  }
  FUZZ_REQUIRE(last_row == csv::CountRecords(text));

  auto prepared = PrepareImport("text/csv", text, mapping, no_header, decls);
  if (!prepared.ok()) {
    FUZZ_REQUIRE(prepared.status().code() == Code::kInvalidArgument);
    return 0;
  }
  (void)prepared->ParamsJson();
  csv::Reader worker(text);
  int64_t data_rows = 0;
  const int64_t first_data_row = no_header ? 1 : 2;
  while (worker.Next(record)) {
    if (record.row < first_data_row) {
      continue;
    }
    ++data_rows;
    ImportRow row = ParseImportRow(record, *prepared, decls);
    FUZZ_REQUIRE(row.row == record.row);
  }
  FUZZ_REQUIRE(data_rows == prepared->total);
  return 0;
}
