#include "contact_rules.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "salesos/core/ids.h"
#include "salesos/core/text.h"
#include "salesos/core/time_zone.h"
#include "salesos/segments/catalogue.h"

namespace salesos::conversation {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string F(std::string_view field) { return std::string(field); }

// Lower-cased, without spaces, '_' and '-': how headers and mapping targets are compared.
std::string HeaderKey(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') {
      continue;
    }
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

int DaysInMonth(int month, int year) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && year > 0) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

bool TwoDigits(std::string_view s, size_t at, int* out) {
  if (at + 2 > s.size() || !IsDigit(s[at]) || !IsDigit(s[at + 1])) {
    return false;
  }
  *out = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return true;
}

Result<segments::CustomValue> DateValue(std::string_view text, std::string_view field) {
  auto days = segments::DaysFromDate(text);
  if (text.size() != 10 || !days.has_value()) {
    return FieldError(F(field), "must be a date YYYY-MM-DD");
  }
  segments::CustomValue v;
  v.text = std::string(text);
  v.number = static_cast<double>(*days) * 86400000.0;
  return v;
}

Result<segments::CustomValue> EnumValue(const segments::CustomFieldDecl& decl,
                                        std::string_view text, std::string_view field) {
  for (const auto& o : decl.options) {
    if (o == text) {
      return segments::CustomValue{std::string(text), 0};
    }
  }
  std::string list;
  for (const auto& o : decl.options) {
    list += (list.empty() ? "" : ", ") + o;
  }
  return FieldError(F(field), "must be one of " + list);
}

Result<segments::CustomValue> StringValue(std::string_view text, std::string_view field) {
  if (Utf8Chars(text) > kMaxCustomStringChars) {
    return FieldError(F(field), "must be at most 1,000 characters");
  }
  return segments::CustomValue{std::string(text), 0};
}

std::string FormatNumber(double n) {
  if (std::floor(n) == n && std::fabs(n) < 1e15) {
    return std::to_string(static_cast<int64_t>(n));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);  // shortest text that reads back
  return ec == std::errc() ? std::string(buf, end) : std::to_string(n);
}

}  // namespace

long Utf8Chars(std::string_view text) {
  long n = 0;
  for (unsigned char ch : text) {
    n += (ch & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool IsUtf8Text(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) {
      return false;
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n;
    uint32_t cp;
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
    for (int k = 1; k <= n; ++k) {
      if (i + static_cast<size_t>(k) >= s.size()) {
        return false;
      }
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

Status ValidateName(std::string_view name, std::string_view field) {
  if (Utf8Chars(name) > kMaxNameChars) {
    return FieldError(F(field), "must be at most 200 characters");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return FieldError(F(field), "must not hold control characters");
    }
  }
  return OkStatus();
}

Status ValidateEmail(std::string_view email, std::string_view field) {
  if (email.empty()) {
    return OkStatus();
  }
  const std::string bad = "must be an email address such as ada@example.com";
  if (email.size() > kMaxEmailBytes) {
    return FieldError(F(field), "must be at most 254 characters");
  }
  size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) {
    return FieldError(F(field), bad);
  }
  for (unsigned char c : email) {
    if (c <= 0x20 || c == 0x7f || c == ',' || c == ';' || c == '<' || c == '>' || c == '"') {
      return FieldError(F(field), bad);
    }
  }
  std::string_view domain = email.substr(at + 1);
  size_t dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return FieldError(F(field), bad);
  }
  return OkStatus();
}

std::string EmailKey(std::string_view email) { return AsciiLower(email); }

Result<std::string> NormalizePhone(std::string_view phone, std::string_view field) {
  phone = TrimBlanks(phone);
  if (phone.empty()) {
    return std::string();
  }
  std::string digits;
  bool plus = false;
  for (size_t i = 0; i < phone.size(); ++i) {
    char c = phone[i];
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '\t') {
      continue;
    }
    if (c == '+' && digits.empty() && !plus) {
      plus = true;
      continue;
    }
    if (!IsDigit(c)) {
      return FieldError(F(field),
                        "must be a phone number in international form, e.g. +33612345678");
    }
    digits += c;
  }
  if (!plus) {
    if (digits.size() > 2 && digits[0] == '0' && digits[1] == '0') {
      digits.erase(0, 2);
    } else {
      return FieldError(F(field),
                        "must include the country code: start with + or 00, e.g. +33612345678");
    }
  }
  if (digits.size() < 8 || digits.size() > 15 || digits[0] == '0') {
    return FieldError(F(field), "must be a country code and number of 8 to 15 digits, e.g. "
                                "+33612345678");
  }
  return "+" + digits;
}

Result<std::string> NormalizeTag(std::string_view tag, std::string_view field) {
  tag = TrimBlanks(tag);
  if (tag.empty() || Utf8Chars(tag) > static_cast<long>(kMaxTagChars)) {
    return FieldError(F(field), "each tag must be 1 to 64 characters");
  }
  for (unsigned char c : tag) {
    if (c < 0x20 || c == 0x7f) {
      return FieldError(F(field), "a tag must not hold control characters");
    }
  }
  return AsciiLower(tag);
}

Result<std::vector<std::string>> NormalizeTags(const std::vector<std::string>& tags,
                                               std::string_view field) {
  std::vector<std::string> out;
  for (const auto& t : tags) {
    SALESOS_ASSIGN_OR_RETURN(std::string tag, NormalizeTag(t, field));
    bool seen = false;
    for (const auto& o : out) {
      seen = seen || o == tag;
    }
    if (!seen) {
      out.push_back(std::move(tag));
    }
  }
  if (out.size() > kMaxTags) {
    return FieldError(F(field), "must be at most 100 tags");
  }
  return out;
}

bool IsJourneyStage(std::string_view s) {
  return s == "awareness" || s == "interest" || s == "consideration" || s == "purchase" ||
         s == "retention";
}

bool IsContactSource(std::string_view s) {
  return s == "chat" || s == "manual" || s == "import" || s == "api";
}

bool IsFieldKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxFieldKeyChars) {
    return false;
  }
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

std::optional<segments::CustomFieldType> ParseFieldType(std::string_view t) {
  using T = segments::CustomFieldType;
  if (t == "string") return T::kString;
  if (t == "number") return T::kNumber;
  if (t == "date") return T::kDate;
  if (t == "boolean") return T::kBoolean;
  if (t == "enum") return T::kEnum;
  return std::nullopt;
}

std::string_view FieldTypeName(segments::CustomFieldType type) {
  switch (type) {
    case segments::CustomFieldType::kString:
      return "string";
    case segments::CustomFieldType::kNumber:
      return "number";
    case segments::CustomFieldType::kDate:
      return "date";
    case segments::CustomFieldType::kBoolean:
      return "boolean";
    case segments::CustomFieldType::kEnum:
      return "enum";
  }
  return "string";
}

Result<segments::CustomValue> CustomValueFromJson(const segments::CustomFieldDecl& decl,
                                                  const google::protobuf::Value& value,
                                                  std::string_view field) {
  using T = segments::CustomFieldType;
  using K = google::protobuf::Value::KindCase;
  switch (decl.type) {
    case T::kNumber:
      if (value.kind_case() != K::kNumberValue || !std::isfinite(value.number_value())) {
        return FieldError(F(field), "must be a number");
      }
      return segments::CustomValue{"", value.number_value()};
    case T::kBoolean:
      if (value.kind_case() != K::kBoolValue) {
        return FieldError(F(field), "must be true or false");
      }
      return segments::CustomValue{"", value.bool_value() ? 1.0 : 0.0};
    case T::kDate:
      if (value.kind_case() != K::kStringValue) {
        return FieldError(F(field), "must be a date YYYY-MM-DD");
      }
      return DateValue(value.string_value(), field);
    case T::kEnum:
      if (value.kind_case() != K::kStringValue) {
        return FieldError(F(field), "must be one of the field's options");
      }
      return EnumValue(decl, value.string_value(), field);
    case T::kString:
      if (value.kind_case() != K::kStringValue) {
        return FieldError(F(field), "must be text");
      }
      return StringValue(value.string_value(), field);
  }
  return FieldError(F(field), "has an unknown type");
}

Result<segments::CustomValue> CustomValueFromText(const segments::CustomFieldDecl& decl,
                                                  std::string_view text, std::string_view field) {
  using T = segments::CustomFieldType;
  switch (decl.type) {
    case T::kNumber: {
      std::string s(TrimBlanks(text));
      char* end = nullptr;
      double d = s.empty() ? 0 : std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(d) ||
          s.find_first_of("xXpP") != std::string::npos || s == "-" ||
          s.find_first_of("iInN") != std::string::npos) {
        return FieldError(F(field), "must be a number");
      }
      return segments::CustomValue{"", d};
    }
    case T::kBoolean: {
      std::string s = AsciiLower(TrimBlanks(text));
      if (s == "true" || s == "yes" || s == "1") {
        return segments::CustomValue{"", 1};
      }
      if (s == "false" || s == "no" || s == "0") {
        return segments::CustomValue{"", 0};
      }
      return FieldError(F(field), "must be true or false");
    }
    case T::kDate:
      return DateValue(TrimBlanks(text), field);
    case T::kEnum:
      return EnumValue(decl, text, field);
    case T::kString:
      return StringValue(text, field);
  }
  return FieldError(F(field), "has an unknown type");
}

google::protobuf::Value CustomValueToJson(segments::CustomFieldType type,
                                          const segments::CustomValue& value) {
  google::protobuf::Value out;
  switch (type) {
    case segments::CustomFieldType::kNumber:
      out.set_number_value(value.number);
      break;
    case segments::CustomFieldType::kBoolean:
      out.set_bool_value(value.number != 0);
      break;
    default:
      out.set_string_value(value.text);
  }
  return out;
}

std::string CustomValueToText(segments::CustomFieldType type, const segments::CustomValue& value) {
  switch (type) {
    case segments::CustomFieldType::kNumber:
      return FormatNumber(value.number);
    case segments::CustomFieldType::kBoolean:
      return value.number != 0 ? "true" : "false";
    default:
      return value.text;
  }
}

std::string CustomValuesToJson(const CustomValues& values,
                               const segments::CustomFieldDecls& decls) {
  boost::json::object o;
  for (const auto& [key, v] : values) {
    auto it = decls.find(key);
    auto type = it == decls.end() ? segments::CustomFieldType::kString : it->second.type;
    switch (type) {
      case segments::CustomFieldType::kNumber:
        if (std::floor(v.number) == v.number && std::fabs(v.number) < 9e15) {
          o[key] = static_cast<int64_t>(v.number);
        } else {
          o[key] = v.number;
        }
        break;
      case segments::CustomFieldType::kBoolean:
        o[key] = v.number != 0;
        break;
      default:
        o[key] = v.text;
    }
  }
  return boost::json::serialize(o);
}

CustomValues CustomValuesFromJson(std::string_view json, const segments::CustomFieldDecls& decls) {
  CustomValues out;
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) {
    return out;
  }
  for (const auto& [k, value] : v.as_object()) {
    auto it = decls.find(std::string_view(k));
    if (it == decls.end()) {
      continue;
    }
    segments::CustomValue cv;
    if (value.is_number()) {
      cv.number = value.to_number<double>();
    } else if (value.is_bool()) {
      cv.number = value.as_bool() ? 1 : 0;
    } else if (value.is_string()) {
      cv.text = std::string(value.as_string());
      if (it->second.type == segments::CustomFieldType::kDate) {
        if (auto days = segments::DaysFromDate(cv.text); days.has_value()) {
          cv.number = static_cast<double>(*days) * 86400000.0;
        }
      }
    } else {
      continue;
    }
    out.emplace(std::string(k), std::move(cv));
  }
  return out;
}

bool TimeZoneExists(std::string_view name) { return TimeZone::Load(name).ok(); }

Status NormalizeImportantDate(v1::ImportantDate* d, std::string_view field) {
  const std::string f(field);
  if (d->type().empty()) {
    return FieldError(f + ".type", "is required: birthday, anniversary, work_anniversary or custom");
  }
  if (d->type() != "birthday" && d->type() != "anniversary" && d->type() != "work_anniversary" &&
      d->type() != "custom") {
    return FieldError(f + ".type", "must be one of birthday, anniversary, work_anniversary, custom");
  }
  SALESOS_RETURN_IF_ERROR(ValidateName(d->label(), f + ".label"));
  if (d->type() == "custom" && d->label().empty()) {
    return FieldError(f + ".label", "is required for a custom date");
  }
  int month = 0;
  int day = 0;
  const std::string& date = d->date();
  if (date.size() != 5 || date[2] != '-' || !TwoDigits(date, 0, &month) ||
      !TwoDigits(date, 3, &day) || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(month, d->year())) {
    return FieldError(f + ".date", "must be a real day of the year as MM-DD, e.g. 03-14");
  }
  if (d->year() != 0 && (d->year() < 1900 || d->year() > 2100)) {
    return FieldError(f + ".year", "must be between 1900 and 2100, or 0 when unknown");
  }
  if (d->send_time().empty()) {
    d->set_send_time("09:00");
  }
  int hh = 0;
  int mm = 0;
  const std::string& t = d->send_time();
  if (t.size() != 5 || t[2] != ':' || !TwoDigits(t, 0, &hh) || !TwoDigits(t, 3, &mm) || hh > 23 ||
      mm > 59) {
    return FieldError(f + ".sendTime", "must be a time of day HH:MM, e.g. 09:00");
  }
  if (d->timezone().empty()) {
    d->set_timezone("UTC");
  }
  if (!TimeZoneExists(d->timezone())) {
    return FieldError(f + ".timezone",
                      "must be an IANA time zone that exists, e.g. Europe/Paris");
  }
  if (!d->template_id().empty() && !IsUuid(d->template_id())) {
    return FieldError(f + ".templateId", "must be a template id");
  }
  if (d->id().empty()) {
    d->set_id(NewUuidV7());
  } else if (d->id().size() > 64) {
    return FieldError(f + ".id", "must be at most 64 characters");
  }
  return OkStatus();
}

std::string ImportantDatesToJson(
    const google::protobuf::RepeatedPtrField<v1::ImportantDate>& dates) {
  boost::json::array a;
  for (const auto& d : dates) {
    a.push_back(boost::json::object{{"id", d.id()},
                                    {"type", d.type()},
                                    {"label", d.label()},
                                    {"date", d.date()},
                                    {"year", d.year()},
                                    {"sendTime", d.send_time()},
                                    {"timezone", d.timezone()},
                                    {"templateId", d.template_id()},
                                    {"repeatAnnually", d.repeat_annually()},
                                    {"optOut", d.opt_out()}});
  }
  return boost::json::serialize(a);
}

void ImportantDatesFromJson(std::string_view json,
                            google::protobuf::RepeatedPtrField<v1::ImportantDate>* out) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) {
    return;
  }
  auto text = [](const boost::json::object& o, const char* k) {
    const auto* p = o.if_contains(k);
    return p != nullptr && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  auto flag = [](const boost::json::object& o, const char* k) {
    const auto* p = o.if_contains(k);
    return p != nullptr && p->is_bool() && p->as_bool();
  };
  for (const auto& e : v.as_array()) {
    if (!e.is_object()) {
      continue;
    }
    const auto& o = e.as_object();
    auto* d = out->Add();
    d->set_id(text(o, "id"));
    d->set_type(text(o, "type"));
    d->set_label(text(o, "label"));
    d->set_date(text(o, "date"));
    if (const auto* y = o.if_contains("year"); y != nullptr && y->is_int64()) {
      d->set_year(static_cast<int32_t>(y->as_int64()));
    }
    d->set_send_time(text(o, "sendTime"));
    d->set_timezone(text(o, "timezone"));
    d->set_template_id(text(o, "templateId"));
    d->set_repeat_annually(flag(o, "repeatAnnually"));
    d->set_opt_out(flag(o, "optOut"));
  }
}

std::optional<std::string> FieldForHeader(std::string_view header,
                                          const segments::CustomFieldDecls& decls) {
  header = TrimBlanks(header);
  static const std::map<std::string, std::string, std::less<>> kAliases = {
      {"id", "id"},
      {"contactid", "id"},
      {"firstname", "firstName"},
      {"first", "firstName"},
      {"givenname", "firstName"},
      {"lastname", "lastName"},
      {"last", "lastName"},
      {"surname", "lastName"},
      {"familyname", "lastName"},
      {"name", "fullName"},
      {"fullname", "fullName"},
      {"email", "email"},
      {"emailaddress", "email"},
      {"mail", "email"},
      {"phone", "phone"},
      {"phonenumber", "phone"},
      {"mobile", "phone"},
      {"mobilephone", "phone"},
      {"telephone", "phone"},
      {"tel", "phone"},
      {"title", "title"},
      {"jobtitle", "title"},
      {"accountid", "accountId"},
      {"ownerid", "ownerId"},
      {"tags", "tags"},
      {"tag", "tags"},
      {"journeystage", "journeyStage"},
      {"stage", "journeyStage"},
      {"city", "city"},
      {"country", "country"},
      {"language", "language"},
      {"facebookid", "facebookId"},
      {"platformids.facebook", "facebookId"},
      {"instagramid", "instagramId"},
      {"platformids.instagram", "instagramId"},
      {"whatsappid", "whatsappId"},
      {"whatsapp", "whatsappId"},
      {"platformids.whatsapp", "whatsappId"},
  };
  std::string key = HeaderKey(header);
  if (auto it = kAliases.find(key); it != kAliases.end()) {
    return it->second;
  }
  std::string_view rest = header;
  constexpr std::string_view kPrefix = "customfields.";
  if (AsciiLower(header.substr(0, kPrefix.size())) == kPrefix) {
    rest = TrimBlanks(header.substr(kPrefix.size()));
  }
  if (auto it = decls.find(rest); it != decls.end()) {
    return "customFields." + it->first;
  }
  std::string rest_key = HeaderKey(rest);
  for (const auto& [k, decl] : decls) {
    if (HeaderKey(k) == rest_key) {
      return "customFields." + k;
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& ExportColumns() {
  static const std::vector<std::string> kColumns = {
      "id",       "firstName",  "lastName",    "email",       "phone",     "title",
      "accountId", "ownerId",   "tags",        "journeyStage", "city",     "country",
      "language", "facebookId", "instagramId", "whatsappId"};
  return kColumns;
}

Result<ColumnMapping> ResolveMapping(const std::vector<std::string>& header, bool no_header,
                                     std::string_view mapping,
                                     const segments::CustomFieldDecls& decls) {
  ColumnMapping out;
  out.fields.assign(header.size(), "");
  if (!no_header) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (auto f = FieldForHeader(header[i], decls); f.has_value()) {
        out.fields[i] = *f;
      }
    }
  }
  std::string_view rest = mapping;
  while (!TrimBlanks(rest).empty()) {
    size_t comma = rest.find(',');
    std::string_view entry = TrimBlanks(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (entry.empty()) {
      continue;
    }
    size_t colon = entry.rfind(':');
    if (colon == std::string_view::npos) {
      return FieldError("mapping", "each entry must be <column>:<field>, e.g. \"E-mail:email\"");
    }
    std::string_view column = TrimBlanks(entry.substr(0, colon));
    std::string_view target = TrimBlanks(entry.substr(colon + 1));
    std::optional<size_t> index;
    bool numeric = !column.empty() && column.size() <= 6;
    for (char c : column) {
      numeric = numeric && IsDigit(c);
    }
    if (numeric) {
      size_t n = static_cast<size_t>(std::stoul(std::string(column)));
      if (n >= 1 && n <= header.size()) {
        index = n - 1;
      }
    }
    if (!index.has_value() && !no_header) {
      for (size_t i = 0; i < header.size(); ++i) {
        if (AsciiLower(TrimBlanks(header[i])) == AsciiLower(column)) {
          index = i;
          break;
        }
      }
    }
    if (!index.has_value()) {
      return FieldError("mapping", "names column \"" + std::string(column.substr(0, 64)) +
                                       "\", which the file does not have");
    }
    auto field = FieldForHeader(target, decls);
    if (!field.has_value()) {
      return FieldError("mapping", "maps to \"" + std::string(target.substr(0, 64)) +
                                       "\", which is not a contact field or declared custom field");
    }
    out.fields[*index] = *field;
  }
  bool identifies = false;
  for (size_t i = 0; i < out.fields.size(); ++i) {
    const auto& f = out.fields[i];
    identifies = identifies || f == "email" || f == "phone" || f == "firstName" ||
                 f == "lastName" || f == "fullName";
    if (f.empty()) {
      out.ignored_columns.push_back(no_header || TrimBlanks(header[i]).empty()
                                        ? "column " + std::to_string(i + 1)
                                        : std::string(TrimBlanks(header[i])));
    }
  }
  if (!identifies) {
    return FieldError("mapping",
                      "no column maps to email, phone or a name (name the columns in the header "
                      "or map them, e.g. mapping=E-mail:email)");
  }
  return out;
}

}  // namespace salesos::conversation
