#pragma once

// A local HTTP/1.1 server that speaks OpenAI-compatible Chat Completions (POST
// /v1/chat/completions, protocols.md §6), for tests of the LLM provider chain. Plain http on
// 127.0.0.1, port 0 (the OS picks), one server thread, stopped and joined by the destructor.
//
// It checks each request as a real endpoint would: the path, Content-Type, a JSON body with a
// `model` and at least one message with a role, response_format (json_schema needs name and
// schema), and `Authorization: Bearer <key>` when a key is set (400/401/404 with an OpenAI error
// body otherwise). Every request that reached the handler is recorded.
//
// The answer depends on the mode:
//   kOk          200 with the content set by SetContent (a valid reply by default)
//   kSlow        holds the answer until ReleaseSlow() or the destructor (then answers as kOk);
//                the server thread is not blocked meanwhile, and tests never sleep
//   kRateLimited 429 with `retry-after: <seconds>` and Groq's error body
//   kServerError 500 with OpenAI's error body
//   kMalformed   200 whose content is not JSON
//   kWrongPrice  200 with a reply stating another price (SetWrongPriceReply)
//   kTruncated   200 with finish_reason "length"
//   kRefusal     200 with message.refusal set and no content
//
// Thread-safe: tests change the mode and read the requests while calls are in flight.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/local_http_server.h"

namespace salesos::testing {

class FakeChatCompletions {
 public:
  enum class Mode {
    kOk,
    kSlow,
    kRateLimited,
    kServerError,
    kMalformed,
    kWrongPrice,
    kTruncated,
    kRefusal
  };

  // method, target, authorization, content_type, body; and from the JSON body:
  struct Request : RecordedRequest {
    std::string model;
    std::string system;  // the content of the first system message
    std::string user;    // the content of the last user message
  };

  // api_key: when not empty, requests must carry "Authorization: Bearer <api_key>".
  explicit FakeChatCompletions(std::string api_key = "");
  ~FakeChatCompletions();
  FakeChatCompletions(const FakeChatCompletions&) = delete;
  FakeChatCompletions& operator=(const FakeChatCompletions&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:<port>/v1"
  std::string base_url() const;

  void SetMode(Mode mode);
  // The message content kOk (and kSlow) answers with, usually a JSON document as a string.
  void SetContent(std::string content);
  // The reply text kWrongPrice answers with (default: "The Pro plan costs $39.99 a month.").
  void SetWrongPriceReply(std::string reply);
  // The model the answers report (default "fake-model-2026-01").
  void SetModel(std::string model);
  void SetUsage(int prompt_tokens, int completion_tokens);
  void SetRetryAfterSeconds(int seconds);
  // Answers every request held by kSlow now.
  void ReleaseSlow();

  int request_count() const;
  std::vector<Request> requests() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The content of a valid reply: {"reply": reply, "quickReplies": quick_replies}.
std::string ReplyContent(const std::string& reply, const std::vector<std::string>& quick_replies);

}  // namespace salesos::testing
