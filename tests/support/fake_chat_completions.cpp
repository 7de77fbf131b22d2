#include "support/fake_chat_completions.h"

#include <algorithm>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <optional>

#include "support/local_http_server.h"

namespace salesos::testing {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr char kPath[] = "/v1/chat/completions";

json::object ErrorBody(std::string message, std::string type, json::value param, json::value code) {
  return json::object{{"error", json::object{{"message", std::move(message)},
                                             {"type", std::move(type)},
                                             {"param", std::move(param)},
                                             {"code", std::move(code)}}}};
}

bool ValidSchemaName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

struct FakeChatCompletions::Impl {
  // The settings tests change, under mu.
  mutable std::mutex mu;
  Mode mode = Mode::kOk;
  std::string content = ReplyContent("Happy to help! What would you like to know?", {});
  std::string wrong_price_reply = "The Pro plan costs $39.99 a month.";
  std::string model = "fake-model-2026-01";
  int prompt_tokens = 120;
  int completion_tokens = 30;
  int retry_after = 7;
  std::vector<Request> requests;
  int next_id = 1;

  std::string api_key;
  // Last, so it stops (and no handler runs) before the state above goes.
  std::unique_ptr<LocalHttpServer> server;

  // The answer to `req`, or nullopt when it is held back (kSlow).
  std::optional<http::response<http::string_body>> Handle(
      const http::request<http::string_body>& req);
  http::response<http::string_body> Completion(unsigned version, bool keep_alive,
                                               const std::string& content,
                                               const std::string& finish_reason,
                                               const std::string& refusal);
};

http::response<http::string_body> FakeChatCompletions::Impl::Completion(
    unsigned version, bool keep_alive, const std::string& content, const std::string& finish_reason,
    const std::string& refusal) {
  std::lock_guard lock(mu);
  int id = next_id++;
  json::object message{{"role", "assistant"}};
  message["content"] = refusal.empty() ? json::value(content) : json::value(nullptr);
  message["refusal"] = refusal.empty() ? json::value(nullptr) : json::value(refusal);
  json::object body{
      {"id", "chatcmpl-fake-" + std::to_string(id)},
      {"object", "chat.completion"},
      {"created", 1767226600},
      {"model", model},
      {"choices", json::array{json::object{{"index", 0},
                                           {"message", std::move(message)},
                                           {"logprobs", nullptr},
                                           {"finish_reason", finish_reason}}}},
      {"usage", json::object{{"prompt_tokens", prompt_tokens},
                             {"completion_tokens", completion_tokens},
                             {"total_tokens", prompt_tokens + completion_tokens}}},
      {"system_fingerprint", "fp_fake"},
  };
  http::response<http::string_body> res{http::status::ok, version};
  res.set(http::field::content_type, "application/json");
  res.set("x-request-id", "req_fake_" + std::to_string(id));
  res.keep_alive(keep_alive);
  res.body() = json::serialize(body);
  res.prepare_payload();
  return res;
}

std::optional<http::response<http::string_body>> FakeChatCompletions::Impl::Handle(
    const http::request<http::string_body>& req) {
  Request rec;
  static_cast<RecordedRequest&>(rec) = LocalHttpServer::Record(req);

  auto answer = [&](http::status status, const json::object& body) {
    return LocalHttpServer::Reply(req, static_cast<int>(status), json::serialize(body));
  };
  auto invalid = [&](std::string message, json::value param) {
    return answer(http::status::bad_request, ErrorBody(std::move(message), "invalid_request_error",
                                                       std::move(param), nullptr));
  };

  // Parse what can be parsed, record the request, then judge it.
  json::error_code ec;
  json::value parsed = json::parse(req.body(), ec);
  const json::object* body = !ec ? parsed.if_object() : nullptr;
  if (body != nullptr) {
    if (const auto* m = body->if_contains("model"); m != nullptr && m->is_string()) {
      rec.model = std::string(m->as_string());
    }
    if (const auto* ms = body->if_contains("messages"); ms != nullptr && ms->is_array()) {
      for (const auto& m : ms->as_array()) {
        const auto* mo = m.if_object();
        if (mo == nullptr) {
          continue;
        }
        const auto* role = mo->if_contains("role");
        const auto* content = mo->if_contains("content");
        if (role == nullptr || !role->is_string() || content == nullptr || !content->is_string()) {
          continue;
        }
        if (role->as_string() == "system" && rec.system.empty()) {
          rec.system = std::string(content->as_string());
        } else if (role->as_string() == "user") {
          rec.user = std::string(content->as_string());
        }
      }
    }
  }
  Mode current;
  int retry_after;
  std::string content;
  std::string wrong_reply;
  {
    std::lock_guard lock(mu);
    requests.push_back(rec);
    current = mode;
    retry_after = this->retry_after;
    content = this->content;
    wrong_reply = wrong_price_reply;
  }

  if (req.target() != kPath) {
    return answer(http::status::not_found,
                  ErrorBody("Unknown request URL: " + rec.method + " " + rec.target +
                                ". Please check the URL for typos.",
                            "invalid_request_error", nullptr, "unknown_url"));
  }
  if (req.method() != http::verb::post) {
    return answer(http::status::method_not_allowed,
                  ErrorBody("Method not allowed", "invalid_request_error", nullptr, nullptr));
  }
  if (!api_key.empty() && rec.authorization != "Bearer " + api_key) {
    // A careless server that echoes the key it got: the client must not pass it on.
    std::string got = rec.authorization.rfind("Bearer ", 0) == 0 ? rec.authorization.substr(7)
                                                                 : rec.authorization;
    return answer(http::status::unauthorized,
                  ErrorBody("Incorrect API key provided: " + got + ".", "invalid_request_error",
                            nullptr, "invalid_api_key"));
  }
  if (rec.content_type.rfind("application/json", 0) != 0) {
    return invalid("Content-Type must be application/json", nullptr);
  }
  if (body == nullptr) {
    return invalid("We could not parse the JSON body of your request.", nullptr);
  }
  if (rec.model.empty()) {
    return invalid("you must provide a model parameter", "model");
  }
  const auto* messages = body->if_contains("messages");
  if (messages == nullptr || !messages->is_array() || messages->as_array().empty()) {
    return invalid("[] is too short - 'messages'", "messages");
  }
  static constexpr std::string_view kRoles[] = {"system", "developer", "user", "assistant", "tool"};
  for (const auto& m : messages->as_array()) {
    const auto* mo = m.if_object();
    const auto* role = mo != nullptr ? mo->if_contains("role") : nullptr;
    if (role == nullptr || !role->is_string() ||
        std::find(std::begin(kRoles), std::end(kRoles), std::string_view(role->as_string())) ==
            std::end(kRoles)) {
      return invalid("each message needs a valid role", "messages");
    }
    if (!mo->contains("content")) {
      return invalid("each message needs content", "messages");
    }
  }
  if (const auto* s = body->if_contains("stream"); s != nullptr && s->is_bool() && s->as_bool()) {
    return invalid("this fake does not stream", "stream");
  }
  if (const auto* rf = body->if_contains("response_format"); rf != nullptr) {
    const auto* rfo = rf->if_object();
    const auto* type = rfo != nullptr ? rfo->if_contains("type") : nullptr;
    if (type == nullptr || !type->is_string()) {
      return invalid("response_format.type is required", "response_format");
    }
    if (type->as_string() == "json_schema") {
      const auto* js = rfo->if_contains("json_schema");
      const auto* jso = js != nullptr ? js->if_object() : nullptr;
      const auto* name = jso != nullptr ? jso->if_contains("name") : nullptr;
      const auto* schema = jso != nullptr ? jso->if_contains("schema") : nullptr;
      if (name == nullptr || !name->is_string() || !ValidSchemaName(name->as_string())) {
        return invalid("response_format.json_schema.name must match ^[a-zA-Z0-9_-]{1,64}$",
                       "response_format");
      }
      if (schema == nullptr || !schema->is_object()) {
        return invalid("response_format.json_schema.schema must be an object", "response_format");
      }
    } else if (type->as_string() != "json_object" && type->as_string() != "text") {
      return invalid("response_format.type must be text, json_object or json_schema",
                     "response_format");
    }
  }

  switch (current) {
    case Mode::kOk:
      return Completion(req.version(), req.keep_alive(), content, "stop", "");
    case Mode::kSlow:
      return std::nullopt;
    case Mode::kRateLimited: {
      auto res = answer(
          http::status::too_many_requests,
          ErrorBody("Rate limit reached for model `" + rec.model +
                        "` in organization `org_fake` on tokens per minute (TPM): Limit 15000, "
                        "Used 11972, Requested 4351. Please try again in " +
                        std::to_string(retry_after) + "s.",
                    "tokens", nullptr, "rate_limit_exceeded"));
      res.set(http::field::retry_after, std::to_string(retry_after));
      return res;
    }
    case Mode::kServerError:
      return answer(http::status::internal_server_error,
                    ErrorBody("The server had an error while processing your request. Sorry "
                              "about that!",
                              "server_error", nullptr, nullptr));
    case Mode::kMalformed:
      return Completion(req.version(), req.keep_alive(),
                        "Sure! Here is the reply you asked for: {reply: 'Hello' ...", "stop", "");
    case Mode::kWrongPrice:
      return Completion(req.version(), req.keep_alive(), ReplyContent(wrong_reply, {}), "stop", "");
    case Mode::kTruncated:
      return Completion(req.version(), req.keep_alive(), "{\"reply\": \"Our Pro plan is", "length",
                        "");
    case Mode::kRefusal:
      return Completion(req.version(), req.keep_alive(), "", "stop",
                        "I'm sorry, I can't help with that request.");
  }
  return std::nullopt;
}

FakeChatCompletions::FakeChatCompletions(std::string api_key) : impl_(std::make_shared<Impl>()) {
  impl_->api_key = std::move(api_key);
  impl_->server = std::make_unique<LocalHttpServer>(
      [impl = impl_.get()](const LocalHttpServer::Request& req) { return impl->Handle(req); });
}

FakeChatCompletions::~FakeChatCompletions() { impl_->server.reset(); }

uint16_t FakeChatCompletions::port() const { return impl_->server->port(); }

std::string FakeChatCompletions::base_url() const { return impl_->server->origin() + "/v1"; }

void FakeChatCompletions::SetMode(Mode mode) {
  std::lock_guard lock(impl_->mu);
  impl_->mode = mode;
}

void FakeChatCompletions::SetContent(std::string content) {
  std::lock_guard lock(impl_->mu);
  impl_->content = std::move(content);
}

void FakeChatCompletions::SetWrongPriceReply(std::string reply) {
  std::lock_guard lock(impl_->mu);
  impl_->wrong_price_reply = std::move(reply);
}

void FakeChatCompletions::SetModel(std::string model) {
  std::lock_guard lock(impl_->mu);
  impl_->model = std::move(model);
}

void FakeChatCompletions::SetUsage(int prompt_tokens, int completion_tokens) {
  std::lock_guard lock(impl_->mu);
  impl_->prompt_tokens = prompt_tokens;
  impl_->completion_tokens = completion_tokens;
}

void FakeChatCompletions::SetRetryAfterSeconds(int seconds) {
  std::lock_guard lock(impl_->mu);
  impl_->retry_after = seconds;
}

void FakeChatCompletions::ReleaseSlow() {
  std::string body;
  {
    std::lock_guard lock(impl_->mu);
    body = impl_->content;
  }
  impl_->server->ReleaseHeld([impl = impl_.get(), body](const LocalHttpServer::Request& req) {
    return impl->Completion(req.version(), req.keep_alive(), body, "stop", "");
  });
}

int FakeChatCompletions::request_count() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->requests.size());
}

std::vector<FakeChatCompletions::Request> FakeChatCompletions::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

std::string ReplyContent(const std::string& reply, const std::vector<std::string>& quick_replies) {
  json::array q;
  for (const auto& r : quick_replies) {
    q.push_back(json::value(r));
  }
  return json::serialize(json::object{{"reply", reply}, {"quickReplies", std::move(q)}});
}

}  // namespace salesos::testing
