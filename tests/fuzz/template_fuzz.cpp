// Fuzz target: the template renderer (libs/templates). The input is a template body, optionally
// followed by a line "--" and then values, one "name=value" a line. Checks, besides the
// sanitizers: placeholders lie inside the body and are delimited by {{ }}; rendering succeeds
// exactly when the body validates; a rendered text of UTF-8 parts is UTF-8.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "salesos/templates/template_renderer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salesos::templates;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view body = in;
  std::map<std::string, std::string> values;
  if (size_t sep = in.find("\n--\n"); sep != std::string_view::npos) {
    body = in.substr(0, sep);
    std::string_view rest = in.substr(sep + 4);
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      size_t eq = line.find('=');
      if (eq != std::string_view::npos) {
        values[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
      }
    }
  }

  auto placeholders = ParsePlaceholders(body);
  if (placeholders.ok()) {
    size_t last_end = 0;
    for (const auto& p : *placeholders) {
      FUZZ_REQUIRE(p.begin >= last_end && p.begin + 4 <= p.end && p.end <= body.size());
      FUZZ_REQUIRE(body.substr(p.begin, 2) == "{{" && body.substr(p.end - 2, 2) == "}}");
      last_end = p.end;
    }
  }
  auto variables = TemplateVariables(body);
  FUZZ_REQUIRE(placeholders.ok() || !variables.ok());
  for (const auto& v : variables.ok() ? *variables : std::vector<std::string>{}) {
    FUZZ_REQUIRE(FindTemplateVariable(v) != nullptr);
  }
  auto rendered = RenderTemplateBody(body, values, "2026-11-22");
  FUZZ_REQUIRE(rendered.ok() == variables.ok());
  if (rendered.ok()) {
    bool utf8_in = Utf8CodePoints(body) >= 0;
    for (const auto& [k, v] : values) {
      utf8_in = utf8_in && Utf8CodePoints(v) >= 0;
    }
    // Only whole placeholders, blanks and ASCII spaces are ever removed, so UTF-8 stays UTF-8.
    FUZZ_REQUIRE(!utf8_in || Utf8CodePoints(rendered->text) >= 0);
  }
  return 0;
}
