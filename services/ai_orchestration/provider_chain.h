#pragma once

// The provider chain: [configured endpoint, built-in]. Try() makes one attempt at the configured
// OpenAI-compatible endpoint and says whether its answer can be used; when it cannot, the job
// answers with its built-in result and the attempt's fallback_reason (llm_types.h).
//
// One attempt: skip a built-in provider (not used, empty reason: the caller already has its
// answer) → circuit_open when the endpoint's breaker is open → the call (egress check, one
// deadline of timeout_ms, see chat_completions_client.h) → the content parsed as JSON
// (malformed_output) → checked against the call's JSON Schema (malformed_output) → the job's
// validator (its message's prefix is the reason, invalid_output when it is not a known one).
// A 429 falls back at once and keeps the endpoint closed for its retry-after (capped); nothing
// ever waits for a provider beyond the call's timeout.
//
// Each attempt writes one JSON log line ("llm attempt": job, provider, host, model, latencyMs,
// used, reason, detail, tokens), never the prompt, the answer or the API key.
//
// Metrics (metrics::DefaultRegistry()): salesos_ai_provider_call_seconds{provider,outcome}, a
// histogram of every attempt (outcome "ok" or its fallback reason), and
// salesos_ai_fallbacks_total{provider,reason}, the attempts the built-in engine answered instead.
//
// Thread-safe: one chain serves the whole worker pool.

#include <boost/json.hpp>
#include <cstdint>
#include <functional>

#include "chat_completions_client.h"
#include "circuit_breaker.h"
#include "llm_types.h"
#include "salesos/core/status.h"
#include "salesos/core/time.h"

namespace salesos::ai {

// The longest a 429's retry-after keeps an endpoint's circuit open.
inline constexpr int64_t kMaxRetryAfterMs = 300'000;

class ProviderChain {
 public:
  // `egress`: which private addresses tenant-set endpoints may reach (egress_guard.h); a bool is
  // EgressPolicy::allow_private alone.
  explicit ProviderChain(http::EgressPolicy egress, const Clock& clock = SystemClock(),
                         CircuitBreakerOptions breaker = {});
  explicit ProviderChain(bool allow_private_egress, const Clock& clock = SystemClock(),
                         CircuitBreakerOptions breaker = {});

  LlmAttempt Try(const ProviderSettings& settings, const LlmCall& call,
                 const OutputValidator& validator);

  CircuitBreaker& breaker() { return breaker_; }

 private:
  ChatCompletionsClient client_;
  CircuitBreaker breaker_;
};

// Checks `value` against the JSON Schema subset the jobs generate: type (object, string, number,
// integer, boolean, array, null, or a list of those), properties, required,
// additionalProperties false, enum, items, minLength/maxLength (in code points),
// minItems/maxItems, minimum/maximum. The message names the path ("quickReplies[1]: ...").
Status CheckJsonSchema(const boost::json::value& value, const boost::json::object& schema);

}  // namespace salesos::ai
