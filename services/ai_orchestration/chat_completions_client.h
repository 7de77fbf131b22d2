#pragma once

// A client for OpenAI-compatible Chat Completions (POST <base>/chat/completions, non-streaming,
// Structured Outputs), over http:// or https:// through salesos::http::HttpClient.
//
// One call, one connection: the base URL's host is resolved and checked by the egress guard
// (egress_guard.h, as HttpClient's resolve hook), the client connects to exactly the checked
// addresses, verifies the server's certificate and host name against the system trust store
// (SNI on), sends the request and reads the answer. One deadline of settings.timeout_ms covers all
// of it (DNS, connect, TLS, write, read); no attempt to reach the endpoint goes on after it.
// Redirects are not followed.
//
// A failure is a Status whose message starts with its fallback reason from llm_types.h
// ("timeout: no answer within 8000 ms"); FailureReason() reads it back. A 429 carries its
// retry-after in Status::retry_after_seconds(). Messages never contain the API key.
//
// Thread-safe: one client serves concurrent calls from many threads (each call has its own
// exchange; the TLS context is shared and read-only after construction).

#include <boost/json.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "llm_types.h"
#include "salesos/core/status.h"
#include "salesos/http/client.h"
#include "salesos/http/egress.h"

namespace salesos::ai {

struct ChatCompletion {
  std::string content;        // choices[0].message.content
  std::string model;          // the model the endpoint reports
  std::string finish_reason;  // "stop"
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::string request_id;  // the x-request-id header, when the endpoint sends one
};

struct ChatCompletionsOptions {
  size_t max_response_bytes = 1 << 20;  // larger bodies are malformed_output
  size_t max_header_bytes = 64 << 10;
  // PEM certificates trusted besides the system store (a private CA; tests). Empty: system only.
  std::string extra_ca_pem;
};

class ChatCompletionsClient {
 public:
  // egress: which private addresses base URLs may reach (egress_guard.h); a bool is
  // EgressPolicy::allow_private alone.
  explicit ChatCompletionsClient(http::EgressPolicy egress, ChatCompletionsOptions options = {});
  explicit ChatCompletionsClient(bool allow_private_egress, ChatCompletionsOptions options = {});
  ~ChatCompletionsClient();
  ChatCompletionsClient(const ChatCompletionsClient&) = delete;
  ChatCompletionsClient& operator=(const ChatCompletionsClient&) = delete;

  // One attempt, no retries (the chain falls back instead). Reasons: egress_blocked, timeout,
  // unreachable, rate_limited, server_error, client_error, malformed_output (body not the
  // Chat Completions shape, a refusal, no content, or finish_reason "length"/"content_filter").
  Result<ChatCompletion> Complete(const ProviderSettings& settings, const LlmCall& call) const;

 private:
  http::EgressPolicy egress_;
  ChatCompletionsOptions options_;
  std::unique_ptr<http::HttpClient> http_;
};

// The fallback reason a failed Complete carries: the prefix of its message before ':'.
std::string_view FailureReason(const Status& status);

// The request body Complete sends: model, [system, user] messages, temperature, max_tokens,
// stream false, and response_format json_schema {name, schema, strict: true}. The schema is sent
// without the length and count limits (maxLength, minLength, maxItems, minItems, pattern,
// format), which strict mode on some providers refuses; the chain checks them on the answer.
boost::json::object BuildChatCompletionsRequest(const ProviderSettings& settings,
                                                const LlmCall& call);

// The schema as sent to the provider (see above).
boost::json::object ProviderSchema(const boost::json::object& schema);

}  // namespace salesos::ai
