#include "graph_client.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <set>
#include <utility>

#include "salesos/http/client.h"

namespace salesos::conversation {
namespace {

namespace json = boost::json;

constexpr size_t kMaxErrorBytes = 500;
constexpr size_t kMaxMetadataChars = 999;       // Graph: "< 1000 characters"
constexpr size_t kMaxQuickReplyPayload = 1000;  // bytes
constexpr size_t kMaxButtonId = 256;            // bytes
constexpr int64_t kMaxRetryAfterMs = 24LL * 3600 * 1000;

enum class Platform { kUnknown, kMessenger, kInstagram, kWhatsApp };

Platform ParsePlatform(std::string_view name) {
  if (name == "facebook") {
    return Platform::kMessenger;
  }
  if (name == "instagram") {
    return Platform::kInstagram;
  }
  if (name == "whatsapp") {
    return Platform::kWhatsApp;
  }
  return Platform::kUnknown;
}

std::string_view PlatformName(Platform p) {
  switch (p) {
    case Platform::kMessenger:
      return "Messenger";
    case Platform::kInstagram:
      return "Instagram";
    case Platform::kWhatsApp:
      return "WhatsApp";
    case Platform::kUnknown:
      break;
  }
  return "an unknown platform";
}

// --- UTF-8 -----------------------------------------------------------------------------------

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return !IsContinuation(c); }));
}

// The next code point boundary after `i`.
size_t NextBoundary(std::string_view s, size_t i) {
  ++i;
  while (i < s.size() && IsContinuation(s[i])) {
    ++i;
  }
  return i;
}

// The code point boundary before `i` (i > 0).
size_t PrevBoundary(std::string_view s, size_t i) {
  --i;
  while (i > 0 && IsContinuation(s[i])) {
    --i;
  }
  return i;
}

// The code point that starts at `i`; U+FFFD for a broken sequence.
char32_t DecodeAt(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  size_t end = NextBoundary(s, i);
  size_t len = end - i;
  unsigned char lead = b(i);
  if (len == 1 && lead < 0x80) {
    return lead;
  }
  char32_t cp;
  size_t need;
  if ((lead & 0xe0) == 0xc0) {
    cp = lead & 0x1f;
    need = 2;
  } else if ((lead & 0xf0) == 0xe0) {
    cp = lead & 0x0f;
    need = 3;
  } else if ((lead & 0xf8) == 0xf0) {
    cp = lead & 0x07;
    need = 4;
  } else {
    return 0xfffd;
  }
  if (len != need) {
    return 0xfffd;
  }
  for (size_t k = i + 1; k < end; ++k) {
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  return cp;
}

// Code points that belong to the one before them: combining marks, variation selectors, emoji
// skin-tone modifiers, tag characters, the zero-width joiner.
bool AttachesToPrevious(char32_t c) {
  return (c >= 0x0300 && c <= 0x036f) || (c >= 0x1ab0 && c <= 0x1aff) ||
         (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe00 && c <= 0xfe0f) ||
         (c >= 0x1f3fb && c <= 0x1f3ff) || (c >= 0xe0020 && c <= 0xe007f) || c == 0x200d;
}

bool IsRegionalIndicator(char32_t c) { return c >= 0x1f1e6 && c <= 0x1f1ff; }

// Whether cutting `s` before byte `i` (a code point boundary, 0 < i < size) splits what a reader
// sees as one character: an emoji sequence, a letter and its accent, a flag.
bool SplitsCluster(std::string_view s, size_t i) {
  char32_t next = DecodeAt(s, i);
  size_t prev_at = PrevBoundary(s, i);
  char32_t prev = DecodeAt(s, prev_at);
  if (AttachesToPrevious(next) || prev == 0x200d) {
    return true;
  }
  if (IsRegionalIndicator(prev) && IsRegionalIndicator(next)) {
    size_t run = 1;  // regional indicators pair up from the start of their run
    for (size_t k = prev_at; k > 0;) {
      k = PrevBoundary(s, k);
      if (!IsRegionalIndicator(DecodeAt(s, k))) {
        break;
      }
      ++run;
    }
    return run % 2 == 1;
  }
  return false;
}

// The first `max_bytes` of s or fewer, ending on a code point boundary.
std::string CutBytes(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) {
    return std::string(s);
  }
  size_t cut = max_bytes;
  while (cut > 0 && IsContinuation(s[cut])) {
    --cut;
  }
  return std::string(s.substr(0, cut));
}

// The first `max_chars` code points of s.
std::string CutCodePoints(std::string_view s, size_t max_chars) {
  size_t i = 0;
  for (size_t n = 0; i < s.size() && n < max_chars; ++n) {
    i = NextBoundary(s, i);
  }
  return std::string(s.substr(0, i));
}

std::string_view TrimLeft(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) {
    ++i;
  }
  return s.substr(i);
}

std::string_view TrimRight(std::string_view s) {
  size_t n = s.size();
  while (n > 0 && IsSpace(s[n - 1])) {
    --n;
  }
  return s.substr(0, n);
}

std::string_view Trim(std::string_view s) { return TrimRight(TrimLeft(s)); }

// --- splitting -------------------------------------------------------------------------------

// The byte length of the longest prefix of `s` within `limit` units (bytes or code points),
// ending on a code point boundary; at least one code point, so splitting always moves on.
size_t FittingPrefix(std::string_view s, size_t limit, bool count_bytes) {
  size_t units = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t next = NextBoundary(s, i);
    units += count_bytes ? next - i : 1;
    if (units > limit) {
      break;
    }
    i = next;
  }
  return i == 0 ? NextBoundary(s, 0) : i;
}

bool EndsSentence(std::string_view s, size_t i) {
  if (i >= 1 && (s[i - 1] == '.' || s[i - 1] == '!' || s[i - 1] == '?') && i < s.size() &&
      IsSpace(s[i])) {
    return true;
  }
  // 。！？ end a sentence without a following space.
  if (i >= 3) {
    std::string_view last = s.substr(i - 3, 3);
    return last == "\xe3\x80\x82" || last == "\xef\xbc\x81" || last == "\xef\xbc\x9f";
  }
  return false;
}

// Where to end the next part of `s` (left-trimmed), given that its first `fit` bytes fit.
size_t ChooseCut(std::string_view s, size_t fit) {
  const size_t floor = fit / 2;
  const size_t top = std::min(fit, s.size() - 1);  // a break char may sit right at `fit`
  auto last = [&](auto&& is_break) -> size_t {
    for (size_t i = top; i > floor && i > 0; --i) {
      if (is_break(i)) {
        return i;
      }
    }
    return 0;
  };
  auto blank_line_after = [&](size_t i) {
    for (size_t k = i + 1; k < s.size() && IsSpace(s[k]); ++k) {
      if (s[k] == '\n') {
        return true;
      }
    }
    return false;
  };
  if (size_t at = last([&](size_t i) { return s[i] == '\n' && blank_line_after(i); })) {
    return at;
  }
  if (size_t at = last([&](size_t i) { return s[i] == '\n'; })) {
    return at;
  }
  if (size_t at = last([&](size_t i) { return !IsContinuation(s[i]) && EndsSentence(s, i); })) {
    return at;
  }
  if (size_t at = last([&](size_t i) { return IsSpace(s[i]); })) {
    return at;
  }
  for (size_t at = fit; at > floor && at > 0; at = PrevBoundary(s, at)) {
    if (!SplitsCluster(s, at)) {
      return at;
    }
  }
  return fit;
}

// --- requests --------------------------------------------------------------------------------

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

json::object MessengerBody(const OutboundMessage& msg, bool instagram) {
  json::object message{{"text", msg.text}};
  if (!msg.metadata.empty()) {
    message["metadata"] = CutCodePoints(msg.metadata, kMaxMetadataChars);
  }
  json::array quick;
  for (const auto& option : msg.quick_replies) {
    if (quick.size() == kMaxQuickReplies) {
      break;
    }
    std::string_view whole = Trim(option);
    std::string title = CutCodePoints(whole, kMaxQuickReplyTitle);
    if (title.empty()) {
      continue;
    }
    quick.push_back(json::object{{"content_type", "text"},
                                 {"title", std::move(title)},
                                 {"payload", CutBytes(whole, kMaxQuickReplyPayload)}});
  }
  if (!quick.empty()) {
    message["quick_replies"] = std::move(quick);
  }
  json::object body{{"recipient", json::object{{"id", msg.recipient_id}}},
                    {"messaging_type", "RESPONSE"},
                    {"message", std::move(message)}};
  if (!instagram && !msg.reply_to.empty()) {
    body["reply_to"] = json::object{{"mid", msg.reply_to}};
  }
  return body;
}

json::object WhatsAppBody(const OutboundMessage& msg) {
  std::string to = msg.recipient_id;
  if (to.empty() || to.front() != '+') {
    to.insert(to.begin(), '+');  // without it the business number's country code is prepended
  }
  json::object body{
      {"messaging_product", "whatsapp"}, {"recipient_type", "individual"}, {"to", std::move(to)}};
  if (!msg.template_name.empty()) {
    json::object tmpl{
        {"name", msg.template_name},
        {"language", json::object{{"policy", "deterministic"}, {"code", msg.template_language}}}};
    if (!msg.template_parameters.empty()) {
      json::array params;
      for (const auto& p : msg.template_parameters) {
        params.push_back(json::object{{"type", "text"}, {"text", p}});
      }
      tmpl["components"] =
          json::array{json::object{{"type", "body"}, {"parameters", std::move(params)}}};
    }
    body["type"] = "template";
    body["template"] = std::move(tmpl);
  } else {
    json::array buttons;
    if (CodePoints(msg.text) <= kMaxInteractiveBodyChars) {
      std::set<std::string> titles;  // WhatsApp wants them unique
      for (const auto& option : msg.quick_replies) {
        if (buttons.size() == kMaxReplyButtons) {
          break;
        }
        std::string_view whole = Trim(option);
        std::string title = CutCodePoints(whole, kMaxQuickReplyTitle);
        if (title.empty() || !titles.insert(title).second) {
          continue;
        }
        buttons.push_back(json::object{
            {"type", "reply"},
            {"reply", json::object{{"id", CutBytes(whole, kMaxButtonId)}, {"title", title}}}});
      }
    }
    if (!buttons.empty()) {
      body["type"] = "interactive";
      body["interactive"] = json::object{{"type", "button"},
                                         {"body", json::object{{"text", msg.text}}},
                                         {"action", json::object{{"buttons", std::move(buttons)}}}};
    } else {
      body["type"] = "text";
      body["text"] = json::object{{"preview_url", false}, {"body", msg.text}};
    }
  }
  if (!msg.reply_to.empty()) {
    body["context"] = json::object{{"message_id", msg.reply_to}};
  }
  return body;
}

// --- answers ---------------------------------------------------------------------------------

// The token out of a text that may echo it, raw or percent-encoded.
std::string Mask(std::string text, const std::string& token) {
  for (const std::string& needle : {token, PercentEncode(token)}) {
    if (needle.size() < 6) {
      continue;
    }
    for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos)) {
      text.replace(pos, needle.size(), "***");
    }
  }
  return text;
}

int64_t IntOf(const json::value* v) {
  if (v == nullptr) {
    return 0;
  }
  if (v->is_int64()) {
    return v->as_int64();
  }
  if (v->is_uint64()) {
    return static_cast<int64_t>(std::min<uint64_t>(v->as_uint64(), INT64_MAX));
  }
  if (v->is_double()) {
    return static_cast<int64_t>(v->as_double());
  }
  if (v->is_string()) {
    int64_t out = 0;
    std::string_view s = v->as_string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() ? out : 0;
  }
  return 0;
}

std::string StringOf(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// "(#131056) (Business Account, ...) pair rate limit hit" → "(Business Account, ...) pair ...".
std::string_view WithoutCodePrefix(std::string_view message) {
  if (message.substr(0, 2) == "(#") {
    size_t close = message.find(')');
    if (close != std::string_view::npos) {
      return TrimLeft(message.substr(close + 1));
    }
  }
  return message;
}

// The floor the answer sets for the next attempt: Retry-After (seconds), or the longest
// estimated_time_to_regain_access (minutes) in X-Business-Use-Case-Usage.
int64_t RetryAfterMs(const http::HttpResponse& res) {
  int64_t out = 0;
  std::string_view retry_after = res.Header("retry-after");
  int64_t seconds = 0;
  auto [end, ec] =
      std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
  if (!retry_after.empty() && ec == std::errc() && end == retry_after.data() + retry_after.size()) {
    out = std::max<int64_t>(out, std::min<int64_t>(seconds, kMaxRetryAfterMs / 1000) * 1000);
  }
  json::error_code jec;
  json::value usage = json::parse(res.Header("x-business-use-case-usage"), jec);
  if (!jec && usage.is_object()) {
    for (const auto& [business, entries] : usage.as_object()) {
      if (!entries.is_array()) {
        continue;
      }
      for (const auto& entry : entries.as_array()) {
        if (const auto* e = entry.if_object()) {
          int64_t minutes = IntOf(e->if_contains("estimated_time_to_regain_access"));
          out = std::max(out, std::min<int64_t>(minutes, kMaxRetryAfterMs / 60000) * 60000);
        }
      }
    }
  }
  return std::max<int64_t>(out, 0);
}

// Reads the answer Graph gave (any status) into `out`.
void ReadAnswer(const http::HttpResponse& res, Platform platform, GraphSendResult& out) {
  out.http_status = res.status;
  const bool ok_status = res.status >= 200 && res.status < 300;
  const bool transient_status = res.status >= 500 || res.status == 408 || res.status == 429;
  json::error_code ec;
  json::value parsed = res.cut_off.empty() ? json::parse(res.body, ec) : json::value();
  const json::object* root = res.cut_off.empty() && !ec ? parsed.if_object() : nullptr;
  const json::value* error = root != nullptr ? root->if_contains("error") : nullptr;

  if (error != nullptr && error->is_object()) {
    const json::object& e = error->as_object();
    out.error_code = IntOf(e.if_contains("code"));
    out.error_subcode = IntOf(e.if_contains("error_subcode"));
    out.fbtrace_id = StringOf(e, "fbtrace_id");
    std::string message(WithoutCodePrefix(StringOf(e, "message")));
    std::string details;
    if (const auto* data = e.if_contains("error_data"); data != nullptr && data->is_object()) {
      details = StringOf(data->as_object(), "details");
    }
    if (out.error_code != 0) {
      out.error = std::to_string(out.error_code) + " " + message;
      out.retryable = IsRetryableGraphCode(out.error_code);
    } else {
      out.error = "HTTP " + std::to_string(res.status) + (message.empty() ? "" : ": " + message);
      out.retryable = transient_status;
    }
    if (!details.empty() && details != message) {
      out.error += ": " + details;
    }
  } else if (ok_status && res.cut_off.empty()) {
    const json::value* id = nullptr;
    if (root != nullptr && platform == Platform::kWhatsApp) {
      const auto* messages = root->if_contains("messages");
      if (messages != nullptr && messages->is_array() && !messages->as_array().empty() &&
          messages->as_array()[0].is_object()) {
        id = messages->as_array()[0].as_object().if_contains("id");
      }
    } else if (root != nullptr) {
      id = root->if_contains("message_id");
    }
    if (id != nullptr && id->is_string() && !id->as_string().empty()) {
      out.sent = true;
      out.message_id = std::string(id->as_string());
      return;
    }
    out.error = "malformed Graph answer: no message id";
  } else if (ok_status) {
    out.error = "the answer was cut off: " + res.cut_off;
    out.retryable = true;
  } else {
    out.error = "HTTP " + std::to_string(res.status);
    if (res.status >= 300 && res.status < 400) {
      out.error += " (redirects are not followed)";
    }
    out.retryable = transient_status;
  }
  if (out.retryable) {
    out.retry_after_ms = RetryAfterMs(res);
  }
}

GraphSendResult Refused(std::string why) {
  GraphSendResult out;
  out.error = std::move(why);
  return out;
}

}  // namespace

bool IsRetryableGraphCode(int64_t code) {
  static constexpr int64_t kRetryable[] = {1,    2,     4,      17,     32,     341,   613,
                                           1200, 80007, 130429, 131000, 131056, 133004};
  return std::find(std::begin(kRetryable), std::end(kRetryable), code) != std::end(kRetryable);
}

size_t TextLimit(std::string_view platform) {
  switch (ParsePlatform(platform)) {
    case Platform::kMessenger:
      return 1999;
    case Platform::kInstagram:
      return 999;
    case Platform::kWhatsApp:
      return 4096;
    case Platform::kUnknown:
      break;
  }
  return 0;
}

bool FitsTextLimit(std::string_view platform, std::string_view text) {
  size_t limit = TextLimit(platform);
  bool count_bytes = ParsePlatform(platform) == Platform::kInstagram;
  return limit > 0 && (count_bytes ? text.size() : CodePoints(text)) <= limit;
}

std::vector<std::string> SplitForPlatform(std::string_view platform, std::string_view text) {
  std::vector<std::string> parts;
  std::string_view rest = Trim(text);
  const size_t limit = TextLimit(platform);
  if (limit == 0) {
    if (!rest.empty()) {
      parts.emplace_back(text);
    }
    return parts;
  }
  const bool count_bytes = ParsePlatform(platform) == Platform::kInstagram;
  while (!rest.empty()) {
    size_t fit = FittingPrefix(rest, limit, count_bytes);
    if (fit >= rest.size()) {
      parts.emplace_back(rest);
      break;
    }
    size_t cut = ChooseCut(rest, fit);
    parts.emplace_back(TrimRight(rest.substr(0, cut)));
    rest = TrimLeft(rest.substr(cut));
  }
  return parts;
}

GraphClient::GraphClient(std::string base, GraphClientOptions options)
    : base_(std::move(base)),
      options_(std::move(options)),
      http_(std::make_unique<http::HttpClient>(
          http::HttpClientOptions{.max_response_bytes = 64 << 10,
                                  .max_header_bytes = 64 << 10,
                                  .extra_ca_pem = options_.extra_ca_pem,
                                  .user_agent = "salesos-conversation/1.0"})) {}

GraphClient::~GraphClient() = default;

Result<std::unique_ptr<GraphClient>> GraphClient::Create(std::string base,
                                                         GraphClientOptions options) {
  auto url = http::ParseUrl(base);
  if (!url.ok()) {
    return InvalidArgument("SALESOS_GRAPH_API_BASE: " + url.status().message());
  }
  if (url->target.find('?') != std::string::npos || base.find('#') != std::string::npos) {
    return InvalidArgument("SALESOS_GRAPH_API_BASE: must not have a query or a fragment");
  }
  if (options.timeout_ms <= 0) {
    return InvalidArgument("the Graph API timeout must be positive");
  }
  std::string normalized = url->scheme + "://" + url->HostHeader() + url->target;
  while (!normalized.empty() && normalized.back() == '/') {
    normalized.pop_back();
  }
  return std::unique_ptr<GraphClient>(new GraphClient(std::move(normalized), std::move(options)));
}

GraphSendResult GraphClient::Send(const ChannelAccess& access, const OutboundMessage& msg) const {
  const Platform platform = ParsePlatform(msg.platform);
  if (platform == Platform::kUnknown) {
    return Refused("unknown platform \"" + CutBytes(msg.platform, 32) + "\"");
  }
  if (!access.platform.empty() && ParsePlatform(access.platform) != platform) {
    return Refused("the channel access is for " + CutBytes(access.platform, 32) +
                   ", the message for " + msg.platform);
  }
  if (msg.recipient_id.empty()) {
    return Refused("no recipient");
  }
  if (access.access_token.empty()) {
    return Refused("no access token for the channel");
  }
  if (access.external_id.empty() && platform != Platform::kInstagram) {
    return Refused(platform == Platform::kWhatsApp ? "no phone_number_id for the channel"
                                                   : "no Page id for the channel");
  }
  const bool use_template = platform == Platform::kWhatsApp && !msg.template_name.empty();
  if (use_template && msg.template_language.empty()) {
    return Refused("the template " + CutBytes(msg.template_name, 64) + " has no language");
  }
  if (!use_template && Trim(msg.text).empty()) {
    return Refused("nothing to send: the text is empty");
  }
  if (!use_template && !FitsTextLimit(msg.platform, msg.text)) {
    bool bytes = platform == Platform::kInstagram;
    return Refused(
        "the text has " + std::to_string(bytes ? msg.text.size() : CodePoints(msg.text)) +
        (bytes ? " bytes" : " characters") + ", over " + std::string(PlatformName(platform)) +
        "'s limit of " + std::to_string(TextLimit(msg.platform)) + "; split it first");
  }

  http::HttpRequest req;
  req.method = "POST";
  req.timeout_ms = options_.timeout_ms;
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  const std::string node = platform == Platform::kInstagram ? "me" : access.external_id;
  req.url = base_ + "/" + PercentEncode(node) + "/messages";
  if (platform == Platform::kWhatsApp) {
    req.headers.emplace_back("Authorization", "Bearer " + access.access_token);
    req.body = json::serialize(WhatsAppBody(msg));
  } else {
    req.url += "?access_token=" + PercentEncode(access.access_token);
    req.body = json::serialize(MessengerBody(msg, platform == Platform::kInstagram));
  }

  GraphSendResult out;
  auto answer = http_->Send(req);
  if (!answer.ok()) {
    const std::string& detail = answer.status().message();
    switch (answer.status().code()) {
      case Code::kDeadlineExceeded:
        out.error = "timeout: " + detail;
        out.retryable = true;
        break;
      case Code::kUnavailable:
        out.error = "unreachable: " + detail;
        out.retryable = true;
        break;
      case Code::kDataLoss:
        out.error = detail;
        out.retryable = true;
        break;
      case Code::kOutOfRange:
        out.error = "malformed Graph answer: " + detail;
        break;
      default:
        out.error = "not sent: " + detail;
        break;
    }
  } else {
    ReadAnswer(*answer, platform, out);
  }
  out.error = CutBytes(Mask(std::move(out.error), access.access_token), kMaxErrorBytes);
  return out;
}

}  // namespace salesos::conversation
