#include "salesos/templates/template_renderer.h"

#include <algorithm>
#include <set>

#include "salesos/core/time.h"

namespace salesos::templates {
namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";
// Longer names are cut in error messages: the message should name the typo, not echo a page.
constexpr size_t kMaxNameInMessage = 64;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsClosingPunctuation(char c) {
  return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsBlank(s.front()) || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// 1-based character position of byte `offset` (counts UTF-8 lead bytes before it).
size_t CharacterPosition(std::string_view body, size_t offset) {
  size_t chars = 0;
  for (size_t i = 0; i < offset && i < body.size(); ++i) {
    if ((static_cast<unsigned char>(body[i]) & 0xC0) != 0x80) {
      ++chars;
    }
  }
  return chars + 1;
}

std::string Quoted(std::string_view name) {
  std::string shown(name.substr(0, kMaxNameInMessage));
  return "\"" + shown + (name.size() > kMaxNameInMessage ? "…" : "") + "\"";
}

std::string KnownNamesList() {
  std::string out;
  for (const auto& v : KnownTemplateVariables()) {
    out += out.empty() ? "" : ", ";
    out += v.name;
  }
  return out;
}

void RemoveTrailingBlanks(std::string& s) {
  while (!s.empty() && IsBlank(s.back())) {
    s.pop_back();
  }
}

bool AtLineStart(const std::string& out) { return out.empty() || out.back() == '\n'; }

// Appends the literal `text` that follows a placeholder which rendered empty, applying the rules
// of the header so no space is left dangling where the value would have been.
// `is_last`: `text` ends the body.
void AppendAfterEmpty(std::string& out, std::string_view text, bool is_last) {
  size_t blanks = 0;
  while (blanks < text.size() && IsBlank(text[blanks])) {
    ++blanks;
  }
  bool out_ends_blank = !out.empty() && IsBlank(out.back());
  bool line_ends = blanks == text.size() ? is_last : (text[blanks] == '\n' || text[blanks] == '\r');
  if (blanks < text.size() && IsClosingPunctuation(text[blanks])) {
    // Rule 1: "Hi {{x}}, hello" / "Hi {{x}} , hello" → "Hi, hello".
    RemoveTrailingBlanks(out);
    text.remove_prefix(blanks);
  } else if (line_ends) {
    // Rule 4: nothing follows on this line; neither side's spaces are wanted. Blanks between two
    // placeholders are no line end: the next placeholder may well render something.
    RemoveTrailingBlanks(out);
    text.remove_prefix(blanks);
  } else if (blanks > 0 && (out_ends_blank || AtLineStart(out))) {
    // Rules 2 and 3: keep the space before (or none at a line start), drop the one after.
    text.remove_prefix(blanks);
  }
  out.append(text);
}

}  // namespace

const std::vector<TemplateVariable>& KnownTemplateVariables() {
  static const std::vector<TemplateVariable> kVariables = {
      {"contact.firstName", "there", "the contact's first name"},
      {"contact.lastName", "", "the contact's last name"},
      {"contact.fullName", "there", "the contact's full name"},
      {"contact.email", "", "the contact's email address"},
      {"contact.phone", "", "the contact's phone number"},
      {"product.name", "our product", "the campaign product's name"},
      {"product.price", "", "the campaign product's price, as text"},
      {"product.description", "", "the campaign product's description"},
      {"business.name", "our team", "the workspace's business name"},
      {"campaign.name", "", "the campaign's name"},
      {kDateToday, "", "today's date, YYYY-MM-DD"},
      {"occasion.name", "your special day", "the occasion (birthday, anniversary...)"},
  };
  return kVariables;
}

const TemplateVariable* FindTemplateVariable(std::string_view name) {
  const auto& all = KnownTemplateVariables();
  auto it = std::find_if(all.begin(), all.end(),
                         [&](const TemplateVariable& v) { return v.name == name; });
  return it == all.end() ? nullptr : &*it;
}

Result<std::vector<Placeholder>> ParsePlaceholders(std::string_view body) {
  std::vector<Placeholder> out;
  size_t pos = 0;
  while (true) {
    size_t open = body.find(kOpen, pos);
    if (open == std::string_view::npos) {
      break;
    }
    size_t close = body.find(kClose, open + kOpen.size());
    // A second `{{` before the `}}` means the first one was never closed: "{{a {{b}}".
    size_t next_open = body.find(kOpen, open + kOpen.size());
    if (close == std::string_view::npos ||
        (next_open != std::string_view::npos && next_open < close)) {
      return FieldError(kBodyField, "unclosed placeholder at position " +
                                        std::to_string(CharacterPosition(body, open)) +
                                        ": close it with }}");
    }
    Placeholder p;
    p.name = std::string(Trim(body.substr(open + kOpen.size(), close - open - kOpen.size())));
    p.begin = open;
    p.end = close + kClose.size();
    out.push_back(std::move(p));
    pos = close + kClose.size();
  }
  return out;
}

Result<std::vector<std::string>> TemplateVariables(std::string_view body) {
  SALESOS_ASSIGN_OR_RETURN(auto placeholders, ParsePlaceholders(body));
  std::vector<std::string> names;
  std::vector<std::string> unknown;
  for (const auto& p : placeholders) {
    auto& bucket = FindTemplateVariable(p.name) != nullptr ? names : unknown;
    if (std::find(bucket.begin(), bucket.end(), p.name) == bucket.end()) {
      bucket.push_back(p.name);
    }
  }
  if (!unknown.empty()) {
    std::vector<FieldViolation> violations;
    std::string listed;
    for (const auto& name : unknown) {
      std::string shown = name.empty() ? "an empty placeholder {{}}" : Quoted(name);
      listed += listed.empty() ? shown : ", " + shown;
      violations.push_back({kBodyField, "unknown variable " + shown});
    }
    return Status(Code::kInvalidArgument,
                  std::string(kBodyField) + ": unknown variables " + listed +
                      "; known variables are " + KnownNamesList(),
                  std::move(violations));
  }
  return names;
}

Result<RenderedTemplate> RenderTemplateBody(std::string_view body,
                                            const std::map<std::string, std::string>& values,
                                            std::string_view today) {
  SALESOS_RETURN_IF_ERROR(TemplateVariables(body).status());
  SALESOS_ASSIGN_OR_RETURN(auto placeholders, ParsePlaceholders(body));
  RenderedTemplate result;
  std::string& out = result.text;
  out.reserve(body.size());
  // Set while the last thing rendered was an empty value: the next literal is joined to what
  // came before it by the rules in the header.
  bool after_empty = false;
  size_t pos = 0;
  auto append_literal = [&](std::string_view text, bool is_last) {
    if (!after_empty) {
      out.append(text);
      return;
    }
    if (text.empty()) {
      return;  // two placeholders side by side: keep waiting for real text
    }
    AppendAfterEmpty(out, text, is_last);
    after_empty = false;
  };
  for (const auto& p : placeholders) {
    append_literal(body.substr(pos, p.begin - pos), false);
    pos = p.end;
    std::string_view value;
    auto it = values.find(p.name);
    if (it != values.end()) {
      value = Trim(it->second);
    }
    if (value.empty() && p.name == kDateToday) {
      value = today;
    }
    if (value.empty()) {
      value = FindTemplateVariable(p.name)->fallback;
      auto& used = result.fallbacks_used;
      if (std::find(used.begin(), used.end(), p.name) == used.end()) {
        used.push_back(p.name);
      }
    }
    if (value.empty()) {
      after_empty = true;
    } else {
      out.append(value);
      after_empty = false;
    }
  }
  std::string_view rest = body.substr(pos);
  if (after_empty && rest.empty()) {
    // Rule 4 at the very end: "Hi {{contact.lastName}}" → "Hi".
    RemoveTrailingBlanks(out);
  } else {
    append_literal(rest, true);
  }
  return result;
}

std::string DateOfUnixSeconds(int64_t unix_seconds) {
  return FormatRfc3339(unix_seconds).substr(0, 10);
}

long Utf8CodePoints(std::string_view s) {
  long count = 0;
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) {
      return -1;
    }
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return -1;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMinOf[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinOf[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return -1;
    }
    ++count;
    i += len;
  }
  return count;
}

}  // namespace salesos::templates
