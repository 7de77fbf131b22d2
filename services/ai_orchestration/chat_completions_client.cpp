#include "chat_completions_client.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "egress_guard.h"
#include "salesos/http/client.h"

namespace salesos::ai {
namespace {

namespace json = boost::json;

constexpr int kDefaultTimeoutMs = 8000;
constexpr size_t kMaxErrorDetail = 300;
constexpr char kUserAgent[] = "salesos-ai/1.0";

// A failure: "<reason>: <detail>", with the API key masked should the endpoint have echoed it.
Status Fail(Code code, std::string_view reason, std::string detail, const std::string& api_key) {
  if (api_key.size() >= 6) {
    for (size_t pos = detail.find(api_key); pos != std::string::npos;
         pos = detail.find(api_key, pos)) {
      detail.replace(pos, api_key.size(), "***");
    }
  }
  return Status(code, std::string(reason) + ": " + detail);
}

std::string Truncate(std::string_view s, size_t max) {
  if (s.size() <= max) {
    return std::string(s);
  }
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) {
    --cut;  // do not split a UTF-8 sequence
  }
  return std::string(s.substr(0, cut)) + "...";
}

// "Rate limit reached ... (code rate_limit_exceeded)" from an OpenAI-style error body, which
// Gemini sometimes wraps in an array.
std::string ErrorDetail(std::string_view body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    return "";
  }
  if (v.is_array() && !v.as_array().empty()) {
    v = v.as_array()[0];
  }
  const json::object* obj = v.if_object();
  if (obj == nullptr) {
    return "";
  }
  const json::value* err = obj->if_contains("error");
  if (err == nullptr) {
    return "";
  }
  if (err->is_string()) {
    return Truncate(err->as_string(), kMaxErrorDetail);
  }
  const json::object* e = err->if_object();
  if (e == nullptr) {
    return "";
  }
  std::string out;
  if (const auto* m = e->if_contains("message"); m != nullptr && m->is_string()) {
    out = Truncate(m->as_string(), kMaxErrorDetail);
  }
  if (const auto* c = e->if_contains("code"); c != nullptr && (c->is_string() || c->is_int64())) {
    out += " (code " + (c->is_string() ? std::string(c->as_string()) : json::serialize(*c)) + ")";
  }
  return out;
}

std::optional<double> ParseNumber(std::string_view s) {
  std::string str(s);
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end == str.c_str() || *end != '\0' || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

// Seconds until the endpoint accepts calls again: retry-after-ms, then retry-after (seconds or
// an HTTP date); 0 when neither is there.
int RetryAfterSeconds(const http::HttpResponse& res) {
  if (std::string_view ms_text = res.Header("retry-after-ms"); !ms_text.empty()) {
    if (auto ms = ParseNumber(ms_text)) {
      return std::max(1, static_cast<int>(std::ceil(*ms / 1000.0)));
    }
  }
  std::string_view value = res.Header("retry-after");
  if (value.empty()) {
    return 0;
  }
  if (auto s = ParseNumber(value)) {
    return static_cast<int>(std::ceil(std::min(*s, 86400.0)));
  }
  std::tm tm{};
  std::string str(value);
  if (strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr) {
    int64_t at = timegm(&tm);
    int64_t now = std::time(nullptr);
    return static_cast<int>(std::clamp<int64_t>(at - now, 0, 86400));
  }
  return 0;
}

int IntField(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr) {
    return 0;
  }
  if (v->is_int64()) {
    return static_cast<int>(std::clamp<int64_t>(v->as_int64(), 0, 1 << 30));
  }
  if (v->is_uint64()) {
    return static_cast<int>(std::min<uint64_t>(v->as_uint64(), 1 << 30));
  }
  if (v->is_double()) {
    return static_cast<int>(std::clamp(v->as_double(), 0.0, double{1 << 30}));
  }
  return 0;
}

// Reads a 2xx Chat Completions body.
Result<ChatCompletion> ParseCompletion(std::string_view body, const std::string& api_key) {
  auto malformed = [&](std::string detail) {
    return Fail(Code::kInternal, kReasonMalformed, std::move(detail), api_key);
  };
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return malformed("the answer is not a JSON object");
  }
  const json::object& root = v.as_object();
  if (root.contains("error")) {
    return Fail(Code::kUnavailable, kReasonServerError,
                "an error inside a 2xx answer: " + ErrorDetail(body), api_key);
  }
  const json::value* choices = root.if_contains("choices");
  if (choices == nullptr || !choices->is_array() || choices->as_array().empty() ||
      !choices->as_array()[0].is_object()) {
    return malformed("the answer has no choices");
  }
  const json::object& choice = choices->as_array()[0].as_object();
  ChatCompletion out;
  if (const auto* f = choice.if_contains("finish_reason"); f != nullptr && f->is_string()) {
    out.finish_reason = std::string(f->as_string());
  }
  const json::value* message = choice.if_contains("message");
  if (message == nullptr || !message->is_object()) {
    return malformed("the first choice has no message");
  }
  const json::object& msg = message->as_object();
  if (const auto* r = msg.if_contains("refusal");
      r != nullptr && r->is_string() && !r->as_string().empty()) {
    return malformed("the model refused: " + Truncate(r->as_string(), 200));
  }
  if (out.finish_reason == "length") {
    return malformed("the answer was cut off (finish_reason length)");
  }
  if (out.finish_reason == "content_filter") {
    return malformed("the answer was filtered (finish_reason content_filter)");
  }
  const json::value* content = msg.if_contains("content");
  if (content != nullptr && content->is_string()) {
    out.content = std::string(content->as_string());
  } else if (content != nullptr && content->is_array()) {
    // Content parts, as some compatible servers send: join the text parts.
    for (const auto& part : content->as_array()) {
      if (const auto* p = part.if_object()) {
        if (const auto* t = p->if_contains("text"); t != nullptr && t->is_string()) {
          out.content += t->as_string();
        }
      }
    }
  }
  if (out.content.empty()) {
    return malformed(
        "the answer has no content" +
        (out.finish_reason.empty() ? std::string() : " (finish_reason " + out.finish_reason + ")"));
  }
  if (const auto* m = root.if_contains("model"); m != nullptr && m->is_string()) {
    out.model = std::string(m->as_string());
  }
  if (const auto* u = root.if_contains("usage"); u != nullptr && u->is_object()) {
    out.prompt_tokens = IntField(u->as_object(), "prompt_tokens");
    out.completion_tokens = IntField(u->as_object(), "completion_tokens");
  }
  return out;
}

// A response_format name: [A-Za-z0-9_-], at most 64 characters.
std::string SchemaName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (out.size() == 64) {
      break;
    }
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out.empty() ? "output" : out;
}

}  // namespace

ChatCompletionsClient::ChatCompletionsClient(bool allow_private_egress,
                                             ChatCompletionsOptions options)
    : ChatCompletionsClient(http::EgressPolicy{allow_private_egress, {}}, std::move(options)) {}

ChatCompletionsClient::ChatCompletionsClient(http::EgressPolicy egress,
                                             ChatCompletionsOptions options)
    : egress_(std::move(egress)),
      options_(options),
      http_(std::make_unique<http::HttpClient>(
          http::HttpClientOptions{.max_response_bytes = options_.max_response_bytes,
                                  .max_header_bytes = options_.max_header_bytes,
                                  .extra_ca_pem = options_.extra_ca_pem,
                                  .user_agent = kUserAgent})) {}

ChatCompletionsClient::~ChatCompletionsClient() = default;

Result<ChatCompletion> ChatCompletionsClient::Complete(const ProviderSettings& settings,
                                                       const LlmCall& call) const {
  const std::string& key = settings.api_key;
  int timeout_ms = settings.timeout_ms > 0 ? settings.timeout_ms : kDefaultTimeoutMs;
  auto timed_out = [&] {
    return Fail(Code::kDeadlineExceeded, kReasonTimeout,
                "no answer within " + std::to_string(timeout_ms) + " ms", key);
  };

  auto url = ParseEndpointUrl(settings.base_url);
  if (!url.ok()) {
    return Fail(Code::kPermissionDenied, kReasonEgressBlocked, url.status().message(), key);
  }
  if (settings.model.empty()) {
    return Fail(Code::kFailedPrecondition, kReasonClientError, "no model is set", key);
  }

  http::HttpRequest req;
  req.method = "POST";
  req.url =
      (url->https ? "https://" : "http://") + url->HostHeader() + url->Target("chat/completions");
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  if (!key.empty()) {
    req.headers.emplace_back("Authorization", "Bearer " + key);
  }
  req.body = json::serialize(BuildChatCompletionsRequest(settings, call));
  req.timeout_ms = timeout_ms;
  // The egress guard resolves and vets the host; the client connects to exactly its addresses.
  auto guard = [&](const http::Url&, std::chrono::milliseconds left) {
    return ResolveEgress(*url, egress_, left);
  };
  auto answer = http_->Send(req, guard);
  if (!answer.ok()) {
    const std::string& detail = answer.status().message();
    switch (answer.status().code()) {
      case Code::kPermissionDenied:
        return Fail(Code::kPermissionDenied, kReasonEgressBlocked, detail, key);
      case Code::kDeadlineExceeded:
        return timed_out();
      case Code::kDataLoss:
        return Fail(Code::kUnavailable, kReasonServerError, detail, key);
      case Code::kOutOfRange:
        return Fail(Code::kInternal, kReasonMalformed, detail, key);
      case Code::kInvalidArgument:
        return Fail(Code::kFailedPrecondition, kReasonClientError, detail, key);
      default:
        return Fail(Code::kUnavailable, kReasonUnreachable, detail, key);
    }
  }

  const http::HttpResponse& res = *answer;
  const std::string where = url->HostHeader();
  int status = res.status;
  std::string status_text = "HTTP " + std::to_string(status);
  if (status >= 200 && status < 300) {
    if (!res.cut_off.empty()) {
      return Fail(Code::kUnavailable, kReasonServerError,
                  "the answer from " + where + " was cut off: " + res.cut_off, key);
    }
    auto completion = ParseCompletion(res.body, key);
    if (completion.ok()) {
      completion->request_id = Truncate(res.Header("x-request-id"), 128);
    }
    return completion;
  }
  std::string detail = res.cut_off.empty() ? ErrorDetail(res.body) : std::string();
  if (!detail.empty()) {
    status_text += ": " + detail;
  }
  if (status == 429) {
    int retry_after = RetryAfterSeconds(res);
    if (retry_after > 0) {
      status_text += " (retry after " + std::to_string(retry_after) + " s)";
    }
    return Fail(Code::kResourceExhausted, kReasonRateLimited, status_text, key)
        .WithRetryAfter(retry_after);
  }
  if (status == 408) {
    return Fail(Code::kDeadlineExceeded, kReasonTimeout, status_text, key);
  }
  if (status >= 500) {
    return Fail(Code::kUnavailable, kReasonServerError, status_text, key);
  }
  if (status >= 300 && status < 400) {
    return Fail(Code::kFailedPrecondition, kReasonClientError,
                status_text + " (redirects are not followed)", key);
  }
  return Fail(Code::kFailedPrecondition, kReasonClientError, status_text, key);
}

std::string_view FailureReason(const Status& status) {
  std::string_view m = status.message();
  size_t colon = m.find(':');
  return colon == std::string_view::npos ? std::string_view() : m.substr(0, colon);
}

boost::json::object ProviderSchema(const boost::json::object& schema) {
  static constexpr std::string_view kDropped[] = {"maxLength", "minLength", "maxItems",
                                                  "minItems",  "pattern",   "format"};
  json::object out;
  for (const auto& [k, v] : schema) {
    std::string_view key = k;
    if (std::find(std::begin(kDropped), std::end(kDropped), key) != std::end(kDropped)) {
      continue;
    }
    if ((key == "properties" || key == "$defs" || key == "definitions") && v.is_object()) {
      json::object props;
      for (const auto& [name, sub] : v.as_object()) {
        props[name] = sub.is_object() ? json::value(ProviderSchema(sub.as_object())) : sub;
      }
      out[k] = std::move(props);
    } else if (key == "items" && v.is_object()) {
      out[k] = ProviderSchema(v.as_object());
    } else if ((key == "anyOf" || key == "oneOf" || key == "allOf") && v.is_array()) {
      json::array alts;
      for (const auto& sub : v.as_array()) {
        alts.push_back(sub.is_object() ? json::value(ProviderSchema(sub.as_object())) : sub);
      }
      out[k] = std::move(alts);
    } else {
      out[k] = v;
    }
  }
  return out;
}

boost::json::object BuildChatCompletionsRequest(const ProviderSettings& settings,
                                                const LlmCall& call) {
  json::object body;
  body["model"] = settings.model;
  json::array messages;
  if (!call.system.empty()) {
    messages.push_back(json::object{{"role", "system"}, {"content", call.system}});
  }
  messages.push_back(json::object{{"role", "user"}, {"content", call.user}});
  body["messages"] = std::move(messages);
  body["temperature"] = std::clamp(settings.temperature, 0.0, 2.0);
  if (settings.max_tokens > 0) {
    body["max_tokens"] = settings.max_tokens;
  }
  body["stream"] = false;
  if (!call.schema.empty()) {
    body["response_format"] =
        json::object{{"type", "json_schema"},
                     {"json_schema", json::object{{"name", SchemaName(call.schema_name)},
                                                  {"schema", ProviderSchema(call.schema)},
                                                  {"strict", true}}}};
  } else {
    body["response_format"] = json::object{{"type", "json_object"}};
  }
  return body;
}

}  // namespace salesos::ai
