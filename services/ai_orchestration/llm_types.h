#pragma once

// What the AI jobs and the provider chain exchange: the settings of an OpenAI-compatible endpoint,
// one call to it (prompts plus the JSON Schema its answer must follow), the validator a job gives
// for that answer, and the outcome of an attempt. A job builds an LlmCall, the chain
// (provider_chain.h) tries the endpoint, and when the attempt is not `used` the job answers with
// its built-in result and the attempt's fallback_reason.

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "salesos/core/status.h"

namespace salesos::ai {

inline constexpr char kProviderBuiltin[] = "builtin";
inline constexpr char kProviderOpenAi[] = "openai-compatible";

struct ProviderSettings {
  std::string provider = kProviderBuiltin;  // "builtin" | "openai-compatible"
  std::string base_url;                     // "https://api.openai.com/v1"
  std::string model;
  std::string api_key;  // may be empty (local endpoints)
  double temperature = 0.3;
  int max_tokens = 800;
  int timeout_ms = 8000;
};

struct LlmCall {
  std::string job;          // "reply" | "assistant" | "segment_rules" | "message_generation" | "summarize"
  std::string system;       // the system prompt (never echoed back: see the reply validator)
  std::string user;         // the user message; untrusted text inside it is delimited
  std::string schema_name;  // response_format.json_schema.name
  boost::json::object schema;  // a JSON Schema (object) the answer must follow
};

// Checks a parsed answer beyond the schema (facts, prices, lengths). OkStatus, or a status whose
// message starts with the fallback reason ("wrong_price: says 39.99, the product costs 49.99").
using OutputValidator = std::function<Status(const boost::json::object& output)>;

// Fallback reasons, as logged in ai_runs and returned as fallbackReason.
inline constexpr char kReasonTimeout[] = "timeout";
inline constexpr char kReasonRateLimited[] = "rate_limited";
inline constexpr char kReasonServerError[] = "server_error";
inline constexpr char kReasonClientError[] = "client_error";  // 400, 401, 403, 404 from the endpoint
inline constexpr char kReasonUnreachable[] = "unreachable";   // DNS, connect, TLS failures
inline constexpr char kReasonEgressBlocked[] = "egress_blocked";
inline constexpr char kReasonMalformed[] = "malformed_output";  // not JSON, or not the schema
inline constexpr char kReasonInvalid[] = "invalid_output";      // the validator refused it
inline constexpr char kReasonWrongPrice[] = "wrong_price";
inline constexpr char kReasonCircuitOpen[] = "circuit_open";

struct LlmAttempt {
  bool used = false;            // the endpoint answered and the answer passed validation
  boost::json::object output;   // the parsed answer when used
  std::string fallback_reason;  // one of the kReason* constants when not used
  std::string detail;           // a person-readable detail for logs (never the API key)
  std::string model;            // as the endpoint reported it
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int64_t latency_ms = 0;
};

}  // namespace salesos::ai
