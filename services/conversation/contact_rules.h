#pragma once

// The CRM's pure rules (docs/crm.md): validation and normalisation of what a person or a CSV file
// says about a contact — names, email, phone (E.164), tags, custom field values of their declared
// type, important dates, journey stages — and how an import's columns map to contact fields. No
// gRPC, no SQL; every function is safe from many threads.

#include <google/protobuf/struct.pb.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/conversation/v1/conversation.pb.h"
#include "salesos/core/status.h"
#include "salesos/segments/contact_facts.h"
#include "salesos/segments/custom_fields.h"

namespace salesos::conversation {

inline constexpr long kMaxNameChars = 200;
inline constexpr size_t kMaxEmailBytes = 254;
inline constexpr size_t kMaxTags = 100;
inline constexpr size_t kMaxTagChars = 64;
inline constexpr long kMaxCustomStringChars = 1000;
inline constexpr size_t kMaxFieldKeyChars = 64;
inline constexpr int64_t kMaxContactFields = 100;
inline constexpr size_t kMaxEnumOptions = 100;
inline constexpr size_t kMaxImportantDates = 50;
inline constexpr int64_t kMaxImportRows = 100000;

// A contact's custom values by key (only the fields that have one).
using CustomValues = std::map<std::string, segments::CustomValue, std::less<>>;

// Code points of UTF-8 text.
long Utf8Chars(std::string_view text);
// ASCII letters lower-cased, everything else as it is.
std::string AsciiLower(std::string_view text);
// Whether the bytes are valid UTF-8 (and hold no NUL).
bool IsUtf8Text(std::string_view text);

// At most 200 characters; `field` names it in the violation.
Status ValidateName(std::string_view name, std::string_view field);

// One '@' with something before it, a domain with a dot (not at either end), no spaces or
// control characters, at most 254 bytes. "" is fine (no email).
Status ValidateEmail(std::string_view email, std::string_view field);
// The case-insensitive key an email is unique by: ASCII lower-cased.
std::string EmailKey(std::string_view email);

// "+33 6 12-34.56 (78)" → "+33612345678": spaces, dashes, dots and parentheses go; a leading '+'
// or "00" starts the country code; then 8 to 15 digits. A number without either is refused
// (asking for the country code). "" stays "".
Result<std::string> NormalizePhone(std::string_view phone, std::string_view field);

// 1..64 characters, lower-cased (ASCII), no control characters; surrounding spaces trimmed.
Result<std::string> NormalizeTag(std::string_view tag, std::string_view field);
// Each tag normalised, duplicates dropped (first kept), at most 100.
Result<std::vector<std::string>> NormalizeTags(const std::vector<std::string>& tags,
                                               std::string_view field);

bool IsJourneyStage(std::string_view stage);
bool IsContactSource(std::string_view source);

// Custom fields. A key is 1..64 of A-Z a-z 0-9 _ -.
bool IsFieldKey(std::string_view key);
std::optional<segments::CustomFieldType> ParseFieldType(std::string_view type);
std::string_view FieldTypeName(segments::CustomFieldType type);

// A value as the API's JSON gives it, checked against its declaration: number a JSON number,
// boolean a JSON boolean, date "YYYY-MM-DD" (a real date), enum one of the options, string text of
// at most 1,000 characters. `field` names it ("customFields.size").
Result<segments::CustomValue> CustomValueFromJson(const segments::CustomFieldDecl& decl,
                                                  const google::protobuf::Value& value,
                                                  std::string_view field);
// A value as a CSV cell gives it: numbers as decimal text, booleans true/false/yes/no/1/0.
Result<segments::CustomValue> CustomValueFromText(const segments::CustomFieldDecl& decl,
                                                  std::string_view text, std::string_view field);
// The API's JSON of a value of that type.
google::protobuf::Value CustomValueToJson(segments::CustomFieldType type,
                                          const segments::CustomValue& value);
// The text a CSV export writes (CustomValueFromText reads it back to the same value).
std::string CustomValueToText(segments::CustomFieldType type, const segments::CustomValue& value);
// The values as a JSON object's text (what contacts.custom_fields keeps), typed by `decls`.
std::string CustomValuesToJson(const CustomValues& values, const segments::CustomFieldDecls& decls);
// The inverse, for the keys `decls` declares (others are dropped).
CustomValues CustomValuesFromJson(std::string_view json, const segments::CustomFieldDecls& decls);

// Checks an important date and fills its defaults (an id, send time "09:00", time zone "UTC").
// `field` names it ("importantDates[0]").
Status NormalizeImportantDate(v1::ImportantDate* date, std::string_view field);
// Whether `name` is an IANA time zone the system's tz database has ("UTC" always is).
bool TimeZoneExists(std::string_view name);
// JSON text (contacts.important_dates) <-> the API's messages.
std::string ImportantDatesToJson(const google::protobuf::RepeatedPtrField<v1::ImportantDate>& dates);
void ImportantDatesFromJson(std::string_view json,
                            google::protobuf::RepeatedPtrField<v1::ImportantDate>* out);

// Import columns. A header maps to a field when, lower-cased and without spaces, '_' and '-', it
// is a field's name or alias ("First Name" → firstName, "E-mail" → email), "customFields.<key>"
// or a declared key. The fields an import writes:
//   id firstName lastName fullName email phone title accountId ownerId tags journeyStage city
//   country language facebookId instagramId whatsappId customFields.<key>
// nullopt for a header no field takes.
std::optional<std::string> FieldForHeader(std::string_view header,
                                          const segments::CustomFieldDecls& decls);

// The columns an export writes, in order (what FieldForHeader reads back to the same fields),
// before one column per declared custom field ("customFields.<key>").
const std::vector<std::string>& ExportColumns();

struct ColumnMapping {
  std::vector<std::string> fields;           // per column (0-based): a field, or "" for none
  std::vector<std::string> ignored_columns;  // header names (or "column N") of unmapped columns
};

// Which field each column of the file fills: the header's own names (unless no_header), then
// `mapping` ("Column A:email,2:firstName": header names, matched case-insensitively, or 1-based
// column numbers, to field names as FieldForHeader reads them). `columns` is the number of columns
// (the header's, or the first row's). INVALID_ARGUMENT naming "mapping" for an entry that is not
// "<column>:<field>", names an unknown column or field; or when no column maps to email, phone or
// a name.
Result<ColumnMapping> ResolveMapping(const std::vector<std::string>& header, bool no_header,
                                     std::string_view mapping,
                                     const segments::CustomFieldDecls& decls);

}  // namespace salesos::conversation
