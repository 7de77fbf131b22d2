#include "support/fake_graph_api.h"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "support/local_http_server.h"

namespace salesos::testing {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using HttpRequest = LocalHttpServer::Request;
using HttpResponse = LocalHttpServer::Response;

size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// The string at obj[a][b] (b empty: obj[a]), or nullptr.
const json::string* StringAt(const json::object* obj, std::string_view a, std::string_view b = {}) {
  const json::value* v = obj != nullptr ? obj->if_contains(a) : nullptr;
  if (v != nullptr && !b.empty()) {
    v = v->is_object() ? v->as_object().if_contains(b) : nullptr;
  }
  return v != nullptr ? v->if_string() : nullptr;
}

std::string Str(const json::string* s) { return s != nullptr ? std::string(*s) : std::string(); }

// Splits "/v21.0/1234/messages" into its id; false for any other path.
bool SendPath(std::string_view path, std::string* id) {
  constexpr std::string_view kSuffix = "/messages";
  if (path.size() < 3 || path.substr(0, 2) != "/v" || path.size() <= kSuffix.size() ||
      path.substr(path.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  size_t slash = path.find('/', 2);
  std::string_view version = path.substr(2, slash == std::string_view::npos ? 0 : slash - 2);
  size_t dot = version.find('.');
  bool version_ok = dot != std::string_view::npos && dot > 0 && dot + 1 < version.size() &&
                    std::all_of(version.begin(), version.end(), [](char c) {
                      return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
                    });
  if (!version_ok) {
    return false;
  }
  std::string_view rest = path.substr(slash + 1, path.size() - kSuffix.size() - slash - 1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    return false;
  }
  *id = std::string(rest);
  return true;
}

}  // namespace

struct FakeGraphApi::Impl {
  mutable std::mutex mu;
  mutable std::condition_variable arrived;
  std::vector<Request> requests;
  std::set<std::pair<std::string, std::string>> tokens;  // (id, token)
  std::deque<Answer> scripted;
  bool hold = false;
  int next_id = 1;
  // Last, so it stops (and no handler runs) before the state above goes.
  std::unique_ptr<LocalHttpServer> server;

  std::optional<HttpResponse> Handle(const HttpRequest& req);
  HttpResponse Judge(const HttpRequest& req);
  HttpResponse GraphError(const HttpRequest& req, int status, int64_t code, std::string message);
  std::string NextTrace();
};

std::string FakeGraphApi::Impl::NextTrace() {
  std::lock_guard lock(mu);
  return "AFakeTrace" + std::to_string(next_id++);
}

HttpResponse FakeGraphApi::Impl::GraphError(const HttpRequest& req, int status, int64_t code,
                                            std::string message) {
  json::object error{{"message", std::move(message)},
                     {"type", "OAuthException"},
                     {"code", code},
                     {"fbtrace_id", NextTrace()}};
  if (code == 190) {
    error["error_subcode"] = 463;
  }
  return LocalHttpServer::Reply(req, status, json::serialize(json::object{{"error", error}}));
}

std::optional<HttpResponse> FakeGraphApi::Impl::Handle(const HttpRequest& req) {
  Request rec;
  static_cast<RecordedRequest&>(rec) = LocalHttpServer::Record(req);
  if (auto u = boost::urls::parse_origin_form(req.target()); u) {
    rec.path = std::string(u->encoded_path());
    SendPath(rec.path, &rec.id);
    for (auto param : u->params()) {
      if (param.key == "access_token") {
        rec.access_token = param.value;
      }
    }
  }
  json::error_code ec;
  json::value parsed = json::parse(req.body(), ec);
  if (const json::object* body = !ec ? parsed.if_object() : nullptr) {
    if (body->contains("messaging_product")) {
      rec.recipient = Str(StringAt(body, "to"));
      rec.type = Str(StringAt(body, "type"));
      rec.text = Str(StringAt(body, "text", "body"));
      if (const auto* interactive = body->if_contains("interactive");
          interactive != nullptr && interactive->is_object()) {
        rec.text = Str(StringAt(&interactive->as_object(), "body", "text"));
      }
    } else {
      rec.recipient = Str(StringAt(body, "recipient", "id"));
      rec.text = Str(StringAt(body, "message", "text"));
    }
  }
  bool held;
  {
    std::lock_guard lock(mu);
    requests.push_back(std::move(rec));
    held = hold;
  }
  arrived.notify_all();
  if (held) {
    return std::nullopt;
  }
  return Judge(req);
}

HttpResponse FakeGraphApi::Impl::Judge(const HttpRequest& req) {
  auto u = boost::urls::parse_origin_form(req.target());
  std::string id;
  if (!u || !SendPath(u->encoded_path(), &id)) {
    return GraphError(req, 404, 2500, "Unknown path components: " + std::string(req.target()));
  }
  if (req.method() != http::verb::post) {
    return GraphError(req, 400, 100,
                      "Unsupported " + std::string(req.method_string()) + " request.");
  }
  json::error_code ec;
  json::value parsed = json::parse(req.body(), ec);
  const json::object* body = !ec ? parsed.if_object() : nullptr;
  if (body == nullptr) {
    return GraphError(req, 400, 100, "(#100) The parameter recipient is required");
  }
  const bool whatsapp = body->contains("messaging_product");

  // The token, from where this product's clients send it.
  std::string token;
  if (whatsapp) {
    std::string auth(req[http::field::authorization]);
    if (auth.rfind("Bearer ", 0) == 0) {
      token = auth.substr(7);
    }
  } else {
    for (auto param : u->params()) {
      if (param.key == "access_token") {
        token = param.value;
      }
    }
  }
  bool accepted;
  {
    std::lock_guard lock(mu);
    accepted = !token.empty() && tokens.count({id, token}) > 0;
  }
  if (!accepted) {
    return GraphError(req, whatsapp ? 401 : 400, 190, "Invalid OAuth access token.");
  }

  // The body, per product.
  auto invalid = [&](std::string message) { return GraphError(req, 400, 100, std::move(message)); };
  std::string recipient;
  std::string wa_id;
  if (whatsapp) {
    if (Str(StringAt(body, "messaging_product")) != "whatsapp") {
      return invalid("(#100) Param messaging_product must be whatsapp");
    }
    recipient = Str(StringAt(body, "to"));
    std::string type = Str(StringAt(body, "type"));
    if (recipient.empty()) {
      return invalid("(#100) The parameter to is required.");
    }
    if (type == "text") {
      const auto* text = StringAt(body, "text", "body");
      if (text == nullptr || text->empty() || CodePoints(*text) > 4096) {
        return invalid("(#100) Param text['body'] is required and at most 4096 characters");
      }
    } else if (type == "interactive") {
      const auto* i = body->if_contains("interactive");
      if (i == nullptr || !i->is_object() || StringAt(&i->as_object(), "body", "text") == nullptr) {
        return invalid("(#100) Param interactive['body']['text'] is required");
      }
    } else if (type == "template") {
      const auto* t = body->if_contains("template");
      const json::object* to = t != nullptr ? t->if_object() : nullptr;
      if (StringAt(to, "name") == nullptr || StringAt(to, "language", "code") == nullptr) {
        return invalid(
            "(#100) Param template['name'] and template['language']['code'] are "
            "required");
      }
    } else {
      return invalid("(#100) Param type must be one of {TEXT, INTERACTIVE, TEMPLATE, ...}");
    }
    wa_id = recipient.substr(recipient.rfind('+') == 0 ? 1 : 0);
  } else {
    recipient = Str(StringAt(body, "recipient", "id"));
    const auto* message = body->if_contains("message");
    if (recipient.empty()) {
      return invalid("(#100) The parameter recipient is required");
    }
    if (message == nullptr || !message->is_object()) {
      return invalid("(#100) The parameter message is required");
    }
    if (const auto* text = StringAt(body, "message", "text")) {
      bool instagram = id == "me";
      if (instagram ? text->size() >= 1000 : CodePoints(*text) >= 2000) {
        return invalid(instagram ? "(#100) Length of param message[text] must be less than 1000"
                                 : "(#100) Length of param message[text] must be less than or "
                                   "equal to 2000");
      }
    }
  }

  std::optional<Answer> script;
  int n;
  {
    std::lock_guard lock(mu);
    if (!scripted.empty()) {
      script = std::move(scripted.front());
      scripted.pop_front();
    }
    n = next_id++;
  }
  if (script) {
    auto res = LocalHttpServer::Reply(req, script->http_status, std::move(script->body));
    for (const auto& [name, value] : script->headers) {
      res.set(name, value);
    }
    return res;
  }
  if (whatsapp) {
    json::object ok{
        {"messaging_product", "whatsapp"},
        {"contacts", json::array{json::object{{"input", recipient}, {"wa_id", wa_id}}}},
        {"messages", json::array{json::object{{"id", "wamid.HBgFake" + std::to_string(n)}}}}};
    return LocalHttpServer::Reply(req, 200, json::serialize(ok));
  }
  json::object ok{{"recipient_id", recipient}, {"message_id", "m_Fake" + std::to_string(n)}};
  return LocalHttpServer::Reply(req, 200, json::serialize(ok));
}

FakeGraphApi::FakeGraphApi() : impl_(std::make_shared<Impl>()) {
  impl_->server = std::make_unique<LocalHttpServer>(
      [impl = impl_.get()](const LocalHttpServer::Request& req) { return impl->Handle(req); });
}

FakeGraphApi::~FakeGraphApi() { impl_->server.reset(); }

uint16_t FakeGraphApi::port() const { return impl_->server->port(); }

std::string FakeGraphApi::base_url() const { return impl_->server->origin() + "/v21.0"; }

void FakeGraphApi::AcceptToken(std::string id, std::string token) {
  std::lock_guard lock(impl_->mu);
  impl_->tokens.emplace(std::move(id), std::move(token));
}

void FakeGraphApi::FailNext(int count, int http_status, int64_t code, std::string message,
                            int64_t subcode, std::string details) {
  json::object error{{"message", std::move(message)}, {"type", "OAuthException"}, {"code", code}};
  if (subcode != 0) {
    error["error_subcode"] = subcode;
  }
  if (!details.empty()) {
    error["error_data"] =
        json::object{{"messaging_product", "whatsapp"}, {"details", std::move(details)}};
  }
  std::lock_guard lock(impl_->mu);
  for (int i = 0; i < count; ++i) {
    error["fbtrace_id"] = "AFakeTrace" + std::to_string(impl_->next_id++);
    impl_->scripted.push_back({http_status, json::serialize(json::object{{"error", error}}), {}});
  }
}

void FakeGraphApi::AnswerNext(int count, Answer answer) {
  std::lock_guard lock(impl_->mu);
  for (int i = 0; i < count; ++i) {
    impl_->scripted.push_back(answer);
  }
}

void FakeGraphApi::Hold(bool on) {
  std::lock_guard lock(impl_->mu);
  impl_->hold = on;
}

void FakeGraphApi::ReleaseHeld() {
  impl_->server->ReleaseHeld(
      [impl = impl_.get()](const LocalHttpServer::Request& req) { return impl->Judge(req); });
}

std::vector<FakeGraphApi::Request> FakeGraphApi::Requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

size_t FakeGraphApi::request_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests.size();
}

bool FakeGraphApi::WaitForRequests(size_t n, int timeout_ms) const {
  std::unique_lock lock(impl_->mu);
  return impl_->arrived.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                 [&] { return impl_->requests.size() >= n; });
}

}  // namespace salesos::testing
