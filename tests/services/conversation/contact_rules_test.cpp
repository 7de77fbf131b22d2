// The CRM's pure rules: E.164 phones, emails, tags, custom values of each declared type,
// important dates, and how an import's header names and mapping choose fields.
#include "contact_rules.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesos::conversation {
namespace {

using segments::CustomFieldDecl;
using segments::CustomFieldDecls;
using segments::CustomFieldType;

std::string Phone(std::string_view in) {
  auto r = NormalizePhone(in, "phone");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

std::string PhoneError(std::string_view in) {
  auto r = NormalizePhone(in, "phone");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  REQUIRE(r.status().violations().size() == 1);
  CHECK(r.status().violations()[0].field == "phone");
  return r.status().violations()[0].description;
}

CustomFieldDecls Decls() {
  CustomFieldDecls d;
  d["size"] = CustomFieldDecl{CustomFieldType::kEnum, {"S", "M", "L"}};
  d["vip_since"] = CustomFieldDecl{CustomFieldType::kDate, {}};
  d["credit"] = CustomFieldDecl{CustomFieldType::kNumber, {}};
  d["newsletter"] = CustomFieldDecl{CustomFieldType::kBoolean, {}};
  d["note"] = CustomFieldDecl{CustomFieldType::kString, {}};
  return d;
}

google::protobuf::Value Num(double n) {
  google::protobuf::Value v;
  v.set_number_value(n);
  return v;
}
google::protobuf::Value Str(const std::string& s) {
  google::protobuf::Value v;
  v.set_string_value(s);
  return v;
}
google::protobuf::Value Bool(bool b) {
  google::protobuf::Value v;
  v.set_bool_value(b);
  return v;
}

TEST_CASE("phones become E.164 without spaces dashes dots or parentheses", "[conversation][crm]") {
  CHECK(Phone("+33 6 12 34 56 78") == "+33612345678");
  CHECK(Phone("+1 (415) 555-0123") == "+14155550123");
  CHECK(Phone("0044.20.7946.0958") == "+442079460958");
  CHECK(Phone("  +91-98765-43210 ") == "+919876543210");
  CHECK(Phone("") == "");
}

TEST_CASE("a phone without a country code or of the wrong length is refused", "[conversation][crm]") {
  CHECK(PhoneError("06 12 34 56 78").find("country code") != std::string::npos);
  CHECK_FALSE(PhoneError("+33 6 12").empty());               // 7 digits
  CHECK_FALSE(PhoneError("+1234567890123456").empty());      // 16 digits
  CHECK_FALSE(PhoneError("+33 6 12 34 56 7x").empty());      // a letter
  CHECK_FALSE(PhoneError("+33+612345678").empty());          // a second +
  CHECK_FALSE(PhoneError("call me").empty());
  CHECK_FALSE(PhoneError("+0612345678").empty());            // no country code starts with 0
}

TEST_CASE("emails need one at sign and a dotted domain", "[conversation][crm]") {
  CHECK(ValidateEmail("ada@example.com", "email").ok());
  CHECK(ValidateEmail("Ada.Lovelace+crm@mail.example.co.uk", "email").ok());
  CHECK(ValidateEmail("", "email").ok());
  for (std::string bad : {"ada", "ada@", "@example.com", "ada@example", "ada@@example.com",
                          "a@b@example.com", "ada @example.com", "ada@.example.com",
                          "ada@example.com.", "ada@example..com"}) {
    INFO(bad);
    auto st = ValidateEmail(bad, "email");
    CHECK(st.code() == Code::kInvalidArgument);
    REQUIRE(st.violations().size() == 1);
    CHECK(st.violations()[0].field == "email");
  }
  CHECK_FALSE(ValidateEmail(std::string(250, 'a') + "@example.com", "email").ok());
  CHECK(EmailKey("Ada@Example.COM") == "ada@example.com");
}

TEST_CASE("tags are trimmed lower-cased deduplicated and bounded", "[conversation][crm]") {
  auto tags = NormalizeTags({" VIP ", "vip", "Lead-2026"}, "tags");
  REQUIRE(tags.ok());
  CHECK(*tags == std::vector<std::string>{"vip", "lead-2026"});
  CHECK_FALSE(NormalizeTags({""}, "tags").ok());
  CHECK_FALSE(NormalizeTags({std::string(65, 'a')}, "tags").ok());
  std::vector<std::string> many;
  for (int i = 0; i < 101; ++i) {
    many.push_back("t" + std::to_string(i));
  }
  CHECK_FALSE(NormalizeTags(many, "tags").ok());
  many.pop_back();
  CHECK(NormalizeTags(many, "tags").ok());
}

TEST_CASE("custom values from JSON must have their declared type", "[conversation][crm]") {
  auto d = Decls();
  auto ok = [&](const char* key, const google::protobuf::Value& v) {
    auto r = CustomValueFromJson(d.at(key), v, std::string("customFields.") + key);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  };
  auto bad = [&](const char* key, const google::protobuf::Value& v) {
    auto r = CustomValueFromJson(d.at(key), v, std::string("customFields.") + key);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.status().violations().size() == 1);
    CHECK(r.status().violations()[0].field == std::string("customFields.") + key);
  };
  CHECK(ok("size", Str("M")).text == "M");
  bad("size", Str("XL"));
  bad("size", Num(3));
  CHECK(ok("credit", Num(12.5)).number == 12.5);
  bad("credit", Str("12.5"));
  CHECK(ok("newsletter", Bool(true)).number == 1);
  bad("newsletter", Str("true"));
  auto date = ok("vip_since", Str("2024-02-29"));
  CHECK(date.text == "2024-02-29");
  CHECK(date.number == 1709164800000.0);  // 00:00 UTC that day
  bad("vip_since", Str("2023-02-29"));
  bad("vip_since", Str("29/02/2024"));
  CHECK(ok("note", Str(std::string(1000, 'x'))).text.size() == 1000);
  bad("note", Str(std::string(1001, 'x')));
  bad("note", Num(1));
}

TEST_CASE("custom values from CSV text read back what an export writes", "[conversation][crm]") {
  auto d = Decls();
  for (const auto& [key, text] : std::vector<std::pair<std::string, std::string>>{
           {"size", "L"}, {"credit", "-3.25"}, {"credit", "1200"}, {"newsletter", "true"},
           {"vip_since", "2026-01-31"}, {"note", "=SUM(A1)"}}) {
    INFO(key << " " << text);
    auto v = CustomValueFromText(d.at(key), text, key);
    REQUIRE(v.ok());
    CHECK(CustomValueToText(d.at(key).type, *v) == text);
  }
  CHECK(CustomValueFromText(d.at("newsletter"), "No", "n")->number == 0);
  CHECK_FALSE(CustomValueFromText(d.at("credit"), "12abc", "c").ok());
  CHECK_FALSE(CustomValueFromText(d.at("credit"), "nan", "c").ok());
  CHECK_FALSE(CustomValueFromText(d.at("newsletter"), "maybe", "n").ok());
  // The JSON copy keeps each value's type.
  CustomValues values;
  values["credit"] = *CustomValueFromText(d.at("credit"), "2", "c");
  values["newsletter"] = *CustomValueFromText(d.at("newsletter"), "yes", "n");
  values["size"] = *CustomValueFromText(d.at("size"), "S", "s");
  std::string json = CustomValuesToJson(values, d);
  CHECK(json == R"({"credit":2,"newsletter":true,"size":"S"})");
  auto back = CustomValuesFromJson(json, d);
  REQUIRE(back.size() == 3);
  CHECK(back.at("credit").number == 2);
  CHECK(back.at("newsletter").number == 1);
  CHECK(back.at("size").text == "S");
}

TEST_CASE("important dates are real days with a time and an existing zone", "[conversation][crm]") {
  v1::ImportantDate d;
  d.set_type("birthday");
  d.set_date("02-29");
  REQUIRE(NormalizeImportantDate(&d, "importantDates[0]").ok());
  CHECK(d.send_time() == "09:00");
  CHECK(d.timezone() == "UTC");
  CHECK_FALSE(d.id().empty());

  auto fails = [](v1::ImportantDate date, const std::string& field) {
    auto st = NormalizeImportantDate(&date, "importantDates[1]");
    REQUIRE_FALSE(st.ok());
    REQUIRE(st.violations().size() == 1);
    CHECK(st.violations()[0].field == "importantDates[1]." + field);
  };
  v1::ImportantDate base = d;
  base.set_id("");
  auto with = [&](auto set) {
    v1::ImportantDate x = base;
    set(x);
    return x;
  };
  fails(with([](auto& x) { x.set_date("02-30"); }), "date");
  fails(with([](auto& x) { x.set_date("13-01"); }), "date");
  fails(with([](auto& x) { x.set_date("2-1"); }), "date");
  fails(with([](auto& x) { x.set_year(2023); }), "date");  // 2023 has no 29 February
  fails(with([](auto& x) { x.set_type("party"); }), "type");
  fails(with([](auto& x) { x.set_send_time("24:00"); }), "sendTime");
  fails(with([](auto& x) { x.set_timezone("Mars/Olympus"); }), "timezone");
  fails(with([](auto& x) { x.set_timezone("../../etc/passwd"); }), "timezone");
  fails(with([](auto& x) { x.set_type("custom"); }), "label");
  auto paris = with([](auto& x) {
    x.set_timezone("Europe/Paris");
    x.set_year(2024);
  });
  CHECK(NormalizeImportantDate(&paris, "importantDates[2]").ok());

  google::protobuf::RepeatedPtrField<v1::ImportantDate> list;
  *list.Add() = paris;
  google::protobuf::RepeatedPtrField<v1::ImportantDate> back;
  ImportantDatesFromJson(ImportantDatesToJson(list), &back);
  REQUIRE(back.size() == 1);
  CHECK(back[0].SerializeAsString() == paris.SerializeAsString());
}

TEST_CASE("header names map to fields ignoring case spaces underscores and dashes",
          "[conversation][crm]") {
  auto d = Decls();
  CHECK(FieldForHeader("First Name", d) == "firstName");
  CHECK(FieldForHeader("first_name", d) == "firstName");
  CHECK(FieldForHeader("E-mail", d) == "email");
  CHECK(FieldForHeader("Phone Number", d) == "phone");
  CHECK(FieldForHeader("WhatsApp ID", d) == "whatsappId");
  CHECK(FieldForHeader("tags", d) == "tags");
  CHECK(FieldForHeader("customFields.size", d) == "customFields.size");
  CHECK(FieldForHeader("Size", d) == "customFields.size");
  CHECK(FieldForHeader("VIP Since", d) == "customFields.vip_since");
  CHECK_FALSE(FieldForHeader("Favourite colour", d).has_value());
  CHECK_FALSE(FieldForHeader("customFields.colour", d).has_value());
  // Every exported column reads back as itself.
  for (const auto& column : ExportColumns()) {
    INFO(column);
    auto f = FieldForHeader(column, d);
    REQUIRE(f.has_value());
    CHECK(AsciiLower(*f) == AsciiLower(column));
  }
}

TEST_CASE("a mapping overrides header names by name or column number", "[conversation][crm]") {
  auto d = Decls();
  std::vector<std::string> header = {"Column A", "Column B", "Mail", "Colour"};
  auto m = ResolveMapping(header, false, "Column A:email, 2:firstName", d);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  CHECK(m->fields == std::vector<std::string>{"email", "firstName", "email", ""});
  CHECK(m->ignored_columns == std::vector<std::string>{"Colour"});

  auto unknown_column = ResolveMapping(header, false, "Column Z:email", d);
  REQUIRE_FALSE(unknown_column.ok());
  CHECK(unknown_column.status().violations()[0].field == "mapping");
  CHECK_FALSE(ResolveMapping(header, false, "Column A:shoeSize", d).ok());
  CHECK_FALSE(ResolveMapping(header, false, "Column A", d).ok());
  // Nothing that names a person or reaches them.
  CHECK_FALSE(ResolveMapping({"Colour", "Size"}, false, "", d).ok());
  // Without a header only numbers name columns.
  auto bare = ResolveMapping({"ada@example.com", "Ada"}, true, "1:email,2:firstName", d);
  REQUIRE(bare.ok());
  CHECK(bare->fields == std::vector<std::string>{"email", "firstName"});
  CHECK_FALSE(ResolveMapping({"ada@example.com", "Ada"}, true, "", d).ok());
}

}  // namespace
}  // namespace salesos::conversation
