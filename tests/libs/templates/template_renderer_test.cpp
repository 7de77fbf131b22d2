// The template renderer alone: placeholders, the catalogue and its fallbacks, unknown names,
// unclosed braces, and the whitespace rule around values that render empty.

#include "salesos/templates/template_renderer.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

namespace salesos::templates {
namespace {

constexpr char kToday[] = "2026-11-21";

template <typename T>
T Unwrap(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

std::string Render(const std::string& body, const std::map<std::string, std::string>& values = {}) {
  return Unwrap(RenderTemplateBody(body, values, kToday)).text;
}

std::vector<std::string> Fallbacks(const std::string& body,
                                   const std::map<std::string, std::string>& values = {}) {
  return Unwrap(RenderTemplateBody(body, values, kToday)).fallbacks_used;
}

TEST_CASE("every known variable renders its sample value", "[campaign][templates][renderer]") {
  std::map<std::string, std::string> values = {
      {"contact.firstName", "Ada"},          {"contact.lastName", "Lovelace"},
      {"contact.fullName", "Ada Lovelace"},  {"contact.email", "ada@example.com"},
      {"contact.phone", "+44 20 7946 0000"}, {"product.name", "Lamp"},
      {"product.price", "49.99 USD"},        {"product.description", "A warm lamp"},
      {"business.name", "Ada Lamps"},        {"campaign.name", "Winter"},
      {"date.today", "2030-01-01"},          {"occasion.name", "birthday"}};
  REQUIRE(KnownTemplateVariables().size() == values.size());
  for (const auto& v : KnownTemplateVariables()) {
    std::string name(v.name);
    INFO(name);
    auto rendered = Unwrap(RenderTemplateBody("[{{" + name + "}}]", values, kToday));
    CHECK(rendered.text == "[" + values.at(name) + "]");
    CHECK(rendered.fallbacks_used.empty());
  }
}

TEST_CASE("every known variable without a value gets its documented fallback",
          "[campaign][templates][renderer]") {
  std::map<std::string, std::string> expected = {
      {"contact.firstName", "there"}, {"contact.lastName", ""},
      {"contact.fullName", "there"},  {"contact.email", ""},
      {"contact.phone", ""},          {"product.name", "our product"},
      {"product.price", ""},          {"product.description", ""},
      {"business.name", "our team"},  {"campaign.name", ""},
      {"date.today", kToday},         {"occasion.name", "your special day"}};
  for (const auto& [name, fallback] : expected) {
    INFO(name);
    // Between letters no whitespace rule applies, so the fallback shows as it is.
    CHECK(Render("x{{" + name + "}}y") == "x" + fallback + "y");
  }
}

TEST_CASE("fallbacks used are reported once each, in order of first use, and date.today is not one",
          "[campaign][templates][renderer]") {
  CHECK(Fallbacks("{{product.name}} {{contact.firstName}} {{product.name}} {{date.today}}") ==
        std::vector<std::string>{"product.name", "contact.firstName"});
  CHECK(Fallbacks("{{contact.firstName}}", {{"contact.firstName", "Ada"}}).empty());
  // Blank sample values count as missing.
  CHECK(Fallbacks("{{contact.firstName}}", {{"contact.firstName", "  "}}) ==
        std::vector<std::string>{"contact.firstName"});
  CHECK(Render("Hi {{contact.firstName}}!", {{"contact.firstName", "  Ada "}}) == "Hi Ada!");
}

TEST_CASE("whitespace is allowed inside the braces", "[campaign][templates][renderer]") {
  CHECK(Render("Hi {{ contact.firstName }}, {{\tproduct.name}}.", {{"contact.firstName", "Ada"}}) ==
        "Hi Ada, our product.");
  CHECK(Unwrap(TemplateVariables("{{  contact.firstName}} {{contact.firstName  }}")) ==
        std::vector<std::string>{"contact.firstName"});
}

TEST_CASE("variables of a body are distinct, in order of first use",
          "[campaign][templates][renderer]") {
  CHECK(Unwrap(TemplateVariables("{{product.name}} for {{contact.firstName}}: {{product.name}}")) ==
        std::vector<std::string>{"product.name", "contact.firstName"});
  CHECK(Unwrap(TemplateVariables("no variables here }} at all")).empty());
}

TEST_CASE("unknown variables are refused, each named", "[campaign][templates][renderer]") {
  auto result = TemplateVariables("Hi {{contact.nickname}}, {{product.name}} {{ foo }} {{foo}}");
  REQUIRE_FALSE(result.ok());
  const Status& st = result.status();
  CHECK(st.code() == Code::kInvalidArgument);
  REQUIRE(st.violations().size() == 2);
  CHECK(st.violations()[0].field == "body");
  CHECK(st.violations()[0].description == "unknown variable \"contact.nickname\"");
  CHECK(st.violations()[1].field == "body");
  CHECK(st.violations()[1].description == "unknown variable \"foo\"");
  CHECK(st.message().find("contact.nickname") != std::string::npos);
  CHECK(st.message().find("\"foo\"") != std::string::npos);
  // Names are case-sensitive, and the renderer refuses what validation refuses.
  CHECK_FALSE(TemplateVariables("{{Contact.FirstName}}").ok());
  CHECK_FALSE(TemplateVariables("{{}}").ok());
  CHECK_FALSE(RenderTemplateBody("{{foo}}", {}, kToday).ok());
}

TEST_CASE("an unclosed placeholder is refused with its position",
          "[campaign][templates][renderer]") {
  auto unclosed = TemplateVariables("Hi {{contact.firstName");
  REQUIRE_FALSE(unclosed.ok());
  CHECK(unclosed.status().code() == Code::kInvalidArgument);
  REQUIRE(unclosed.status().violations().size() == 1);
  CHECK(unclosed.status().violations()[0].field == "body");
  CHECK(unclosed.status().violations()[0].description.find("unclosed placeholder at position 4") ==
        0);
  // Positions count characters, not bytes: "Grüß " is five characters and seven bytes.
  auto utf8 = TemplateVariables("Grüß {{contact.firstName}} {{x");
  REQUIRE_FALSE(utf8.ok());
  CHECK(utf8.status().message().find("position 28") != std::string::npos);
  // A `{{` opened again before the first closes leaves the first unclosed.
  auto nested = TemplateVariables("{{contact.firstName {{product.name}}");
  REQUIRE_FALSE(nested.ok());
  CHECK(nested.status().message().find("position 1") != std::string::npos);
  // A lone `}}` is plain text.
  CHECK(Render("a }} b") == "a }} b");
}

TEST_CASE("a fallback keeps the greeting whole", "[campaign][templates][renderer]") {
  CHECK(Render("Hi {{contact.firstName}},") == "Hi there,");
  CHECK(Render("Hi {{contact.firstName}}, meet {{product.name}}.") ==
        "Hi there, meet our product.");
}

TEST_CASE("an empty value takes the space before punctuation with it",
          "[campaign][templates][renderer]") {
  CHECK(Render("Hi {{contact.lastName}}, hello") == "Hi, hello");
  CHECK(Render("Hi {{contact.lastName}} , hello") == "Hi, hello");
  CHECK(Render("Price: {{product.price}}.") == "Price:.");
  CHECK(Render("Call us ({{contact.phone}})") == "Call us ()");
  CHECK(Render("Thanks {{ contact.lastName }}!") == "Thanks!");
}

TEST_CASE("an empty value between words leaves one space", "[campaign][templates][renderer]") {
  CHECK(Render("Dear {{contact.lastName}} team") == "Dear team");
  CHECK(Render("Dear {{contact.lastName}}   team") == "Dear team");
  // Two empty values side by side act as one.
  CHECK(Render("Dear {{contact.lastName}} {{contact.email}} team") == "Dear team");
  CHECK(Render("Dear {{contact.lastName}}{{contact.email}} team") == "Dear team");
  CHECK(Render("Hi {{contact.lastName}} {{contact.email}}, hello") == "Hi, hello");
  // An empty value then a filled one: a single space between the words.
  CHECK(Render("Hi {{contact.lastName}} {{contact.firstName}}!", {{"contact.firstName", "Ada"}}) ==
        "Hi Ada!");
}

TEST_CASE("an empty value at a line's start or end leaves no stray spaces",
          "[campaign][templates][renderer]") {
  CHECK(Render("{{contact.lastName}} hello") == "hello");
  CHECK(Render("Hi {{contact.lastName}}") == "Hi");
  CHECK(Render("Hi {{contact.lastName}}  \nBye") == "Hi\nBye");
  CHECK(Render("Hi\n{{contact.lastName}} there") == "Hi\nthere");
  CHECK(Render("{{contact.lastName}}") == "");
}

TEST_CASE("whitespace away from empty values is the author's and kept",
          "[campaign][templates][renderer]") {
  CHECK(Render("Hi  {{contact.firstName}} ,  see you", {{"contact.firstName", "Ada"}}) ==
        "Hi  Ada ,  see you");
  CHECK(Render("A  {{contact.lastName}} B  C") == "A  B  C");
  CHECK(Render("Line one\n\n  Line two") == "Line one\n\n  Line two");
}

TEST_CASE("UTF-8 text and values pass through unchanged", "[campaign][templates][renderer]") {
  CHECK(Render("¡Hola {{contact.firstName}}! Grüße, 你好 🎉", {{"contact.firstName", "Zoë"}}) ==
        "¡Hola Zoë! Grüße, 你好 🎉");
  CHECK(Render("Привет {{contact.lastName}}, друг") == "Привет, друг");
}

TEST_CASE("dates and code points are counted as documented", "[campaign][templates][renderer]") {
  CHECK(DateOfUnixSeconds(1795242600) == "2026-11-21");
  CHECK(Utf8CodePoints("abc") == 3);
  CHECK(Utf8CodePoints("Zoë 🎉") == 5);
  CHECK(Utf8CodePoints("\xC0\x80") == -1);
  CHECK(Utf8CodePoints("\xE2\x82") == -1);
  CHECK(Utf8CodePoints("\xED\xA0\x80") == -1);
}

}  // namespace
}  // namespace salesos::templates
