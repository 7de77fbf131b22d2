#pragma once

// Template bodies: the `{{ variable }}` placeholders they hold, the catalogue of variables a body
// may use (each with the fallback an empty value gets), and rendering. Pure: no gRPC, no SQL, no
// clock (today's date is passed in). Errors are kInvalidArgument naming the field "body".
//
// Syntax: `{{` name `}}`, spaces and tabs allowed inside the braces (`{{ contact.firstName }}`).
// A `{{` without a later `}}` is refused ("unclosed placeholder at position N", N counting
// characters from 1); a lone `}}` is plain text. Names are case-sensitive.
//
// Rendering fills each placeholder with its value when that value is not blank, else with the
// catalogue fallback. An empty result must not leave a broken sentence behind ("Hi ,", "Dear
// team" with two spaces), so around a placeholder that rendered empty, and only there:
//   1. spaces before `,` `.` `;` `:` `!` `?` `)` that follow it are removed with the spaces that
//      preceded it ("Hi {{contact.lastName}}, hello" → "Hi, hello");
//   2. a space run on both sides keeps only the one before ("Dear {{contact.lastName}} team" →
//      "Dear team");
//   3. at the start of the text or of a line, the spaces after it go ("{{x}} hi" → "hi");
//   4. at the end of the text or of a line, the spaces before it go ("Hi {{x}}" → "Hi").
// Adjacent empty placeholders behave as one. Whitespace elsewhere is the author's and is kept.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"

namespace salesos::templates {

inline constexpr char kBodyField[] = "body";

// One entry of the catalogue.
struct TemplateVariable {
  std::string_view name;      // "contact.firstName"
  std::string_view fallback;  // what an empty value renders as ("there"; "" renders nothing)
  std::string_view meaning;   // for documentation and error messages
};

// Every variable a body may use, in a stable order (documented in the service README):
//   contact.firstName   "there"            contact.lastName    ""
//   contact.fullName    "there"            contact.email       ""
//   contact.phone       ""                 product.name        "our product"
//   product.price       "" (text as given) product.description ""
//   business.name       "our team"         campaign.name       ""
//   date.today          today, YYYY-MM-DD  occasion.name       "your special day"
const std::vector<TemplateVariable>& KnownTemplateVariables();

// The catalogue entry of `name`, or nullptr for a name the catalogue does not know.
const TemplateVariable* FindTemplateVariable(std::string_view name);

inline constexpr char kDateToday[] = "date.today";

// A placeholder found in a body: its trimmed name and where it sits (byte offsets, `{{` to the
// byte after `}}`).
struct Placeholder {
  std::string name;
  size_t begin = 0;
  size_t end = 0;
};

// The placeholders of `body` in order, whatever their names; "unclosed placeholder at position
// N" (kInvalidArgument on "body") for a `{{` that is never closed.
Result<std::vector<Placeholder>> ParsePlaceholders(std::string_view body);

// The distinct variables `body` uses, in order of first use, for saving with the template.
// kInvalidArgument on "body" for an unclosed placeholder, or for unknown names: one violation
// per unknown name (each named once), and a message listing them all.
Result<std::vector<std::string>> TemplateVariables(std::string_view body);

struct RenderedTemplate {
  std::string text;
  // Variables that had no value and got their catalogue fallback, in order of first use.
  std::vector<std::string> fallbacks_used;
};

// Fills `body`. `values` by variable name; a value of only whitespace counts as empty, and
// values are used without their surrounding whitespace. date.today without a value is `today`
// (YYYY-MM-DD, the caller's clock): that is its real value, not a fallback. Fails as
// TemplateVariables does, so a body that no longer validates is never half-rendered.
Result<RenderedTemplate> RenderTemplateBody(std::string_view body,
                                            const std::map<std::string, std::string>& values,
                                            std::string_view today);

// "YYYY-MM-DD" (UTC) of a Unix time in seconds.
std::string DateOfUnixSeconds(int64_t unix_seconds);

// Code points of valid UTF-8, or -1 when `s` is not valid UTF-8.
long Utf8CodePoints(std::string_view s);

}  // namespace salesos::templates
