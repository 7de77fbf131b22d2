#include "provider_chain.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "egress_guard.h"
#include "salesos/core/log.h"
#include "salesos/metrics/metrics.h"

namespace salesos::ai {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 10> kReasons = {
    kReasonTimeout,     kReasonRateLimited,   kReasonServerError, kReasonClientError,
    kReasonUnreachable, kReasonEgressBlocked, kReasonMalformed,   kReasonInvalid,
    kReasonWrongPrice,  kReasonCircuitOpen,
};

bool IsReason(std::string_view s) {
  return !s.empty() && std::find(kReasons.begin(), kReasons.end(), s) != kReasons.end();
}

// Failures that say the endpoint is unhealthy, and count towards opening its circuit. A refused
// address is configuration, and an answer the validator refuses comes from a working endpoint.
bool CountsAsFailure(std::string_view reason) {
  return reason == kReasonTimeout || reason == kReasonRateLimited || reason == kReasonServerError ||
         reason == kReasonClientError || reason == kReasonUnreachable || reason == kReasonMalformed;
}

std::string HostOf(const std::string& base_url) {
  auto url = ParseEndpointUrl(base_url);
  return url.ok() ? url->HostHeader() : std::string();
}

size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

bool HasType(const json::value& v, std::string_view type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_bool();
  if (type == "null") return v.is_null();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_int64() || v.is_uint64()) return true;
    return v.is_double() && std::isfinite(v.as_double()) &&
           std::trunc(v.as_double()) == v.as_double();
  }
  return false;
}

std::optional<double> NumberOf(const json::value* v) {
  if (v == nullptr || !v->is_number()) {
    return std::nullopt;
  }
  return v->to_number<double>();
}

std::optional<size_t> SizeOf(const json::value* v) {
  auto n = NumberOf(v);
  if (!n || *n < 0) {
    return std::nullopt;
  }
  return static_cast<size_t>(*n);
}

Status Check(const json::value& value, const json::object& schema, const std::string& path) {
  auto fail = [&](std::string what) {
    return InvalidArgument((path.empty() ? std::string("the answer") : path) + ": " + what);
  };
  if (const auto* t = schema.if_contains("type")) {
    bool ok = false;
    std::string names;
    if (t->is_string()) {
      ok = HasType(value, t->as_string());
      names = t->as_string();
    } else if (t->is_array()) {
      for (const auto& alt : t->as_array()) {
        if (alt.is_string()) {
          ok = ok || HasType(value, alt.as_string());
          names += (names.empty() ? "" : " or ") + std::string(alt.as_string());
        }
      }
    }
    if (!ok) {
      return fail("is not " + names);
    }
  }
  if (const auto* e = schema.if_contains("enum"); e != nullptr && e->is_array()) {
    const auto& options = e->as_array();
    if (std::find(options.begin(), options.end(), value) == options.end()) {
      return fail("is not one of " + json::serialize(*e));
    }
  }
  if (value.is_string()) {
    size_t n = CodePoints(value.as_string());
    if (auto max = SizeOf(schema.if_contains("maxLength")); max && n > *max) {
      return fail("is longer than " + std::to_string(*max) + " characters");
    }
    if (auto min = SizeOf(schema.if_contains("minLength")); min && n < *min) {
      return fail("is shorter than " + std::to_string(*min) + " characters");
    }
  }
  if (value.is_number()) {
    double d = value.to_number<double>();
    if (auto max = NumberOf(schema.if_contains("maximum")); max && d > *max) {
      return fail("is above " + json::serialize(schema.at("maximum")));
    }
    if (auto min = NumberOf(schema.if_contains("minimum")); min && d < *min) {
      return fail("is below " + json::serialize(schema.at("minimum")));
    }
  }
  if (value.is_array()) {
    const auto& arr = value.as_array();
    if (auto max = SizeOf(schema.if_contains("maxItems")); max && arr.size() > *max) {
      return fail("has more than " + std::to_string(*max) + " items");
    }
    if (auto min = SizeOf(schema.if_contains("minItems")); min && arr.size() < *min) {
      return fail("has fewer than " + std::to_string(*min) + " items");
    }
    if (const auto* items = schema.if_contains("items"); items != nullptr && items->is_object()) {
      for (size_t i = 0; i < arr.size(); ++i) {
        SALESOS_RETURN_IF_ERROR(
            Check(arr[i], items->as_object(), path + "[" + std::to_string(i) + "]"));
      }
    }
  }
  if (value.is_object()) {
    const auto& obj = value.as_object();
    const json::object* props = nullptr;
    if (const auto* p = schema.if_contains("properties"); p != nullptr && p->is_object()) {
      props = &p->as_object();
    }
    if (const auto* r = schema.if_contains("required"); r != nullptr && r->is_array()) {
      for (const auto& name : r->as_array()) {
        if (name.is_string() && !obj.contains(name.as_string())) {
          return fail("misses " + std::string(name.as_string()));
        }
      }
    }
    const auto* additional = schema.if_contains("additionalProperties");
    bool closed = additional != nullptr && additional->is_bool() && !additional->as_bool();
    for (const auto& [k, v] : obj) {
      std::string child = path.empty() ? std::string(k) : path + "." + std::string(k);
      const json::value* sub = props != nullptr ? props->if_contains(k) : nullptr;
      if (sub != nullptr && sub->is_object()) {
        SALESOS_RETURN_IF_ERROR(Check(v, sub->as_object(), child));
      } else if (closed) {
        return InvalidArgument(child + ": is not an expected field");
      }
    }
  }
  return OkStatus();
}

// salesos_ai_provider_call_seconds{provider,outcome}: every attempt at a configured endpoint,
// outcome "ok" or its fallback reason (llm_types.h: a bounded set); salesos_ai_fallbacks_total
// {provider,reason}: the attempts whose answer could not be used, so the built-in engine answered.
void RecordAttempt(const std::string& provider, const LlmAttempt& attempt,
                   std::chrono::steady_clock::duration took) {
  static auto& calls = metrics::DefaultRegistry().AddHistogram(
      "salesos_ai_provider_call_seconds",
      "Attempts at a configured AI provider (an OpenAI-compatible endpoint), by provider and "
      "outcome (ok, or the reason its answer was not used).",
      {"provider", "outcome"});
  static auto& fallbacks = metrics::DefaultRegistry().AddCounter(
      "salesos_ai_fallbacks_total",
      "Answers the built-in engine gave because the configured provider's could not be used, by "
      "provider and reason.",
      {"provider", "reason"});
  std::string outcome = attempt.used ? "ok" : attempt.fallback_reason;
  calls.WithLabels({provider, outcome})
      .Observe(std::chrono::duration<double>(took).count());
  if (!attempt.used) {
    fallbacks.WithLabels({provider, attempt.fallback_reason}).Inc();
  }
}

}  // namespace

Status CheckJsonSchema(const json::value& value, const json::object& schema) {
  return Check(value, schema, "");
}

ProviderChain::ProviderChain(http::EgressPolicy egress, const Clock& clock,
                             CircuitBreakerOptions breaker)
    : client_(std::move(egress)), breaker_(clock, breaker) {}

ProviderChain::ProviderChain(bool allow_private_egress, const Clock& clock,
                             CircuitBreakerOptions breaker)
    : ProviderChain(http::EgressPolicy{allow_private_egress, {}}, clock, breaker) {}

LlmAttempt ProviderChain::Try(const ProviderSettings& settings, const LlmCall& call,
                              const OutputValidator& validator) {
  LlmAttempt attempt;
  if (settings.provider != kProviderOpenAi) {
    return attempt;  // the built-in engine answers; nothing fell back
  }
  const int64_t start = MonotonicMillis();
  const auto started = std::chrono::steady_clock::now();
  const std::string key = CircuitKey(settings);
  attempt.model = settings.model;

  auto finish = [&](std::string reason, std::string detail) {
    attempt.fallback_reason = std::move(reason);
    attempt.detail = std::move(detail);
    attempt.used = attempt.fallback_reason.empty();
    if (!attempt.used) {
      attempt.output = {};
    }
    attempt.latency_ms = MonotonicMillis() - start;
    RecordAttempt(settings.provider, attempt, std::chrono::steady_clock::now() - started);
    log::Info("llm attempt", {{"job", call.job},
                              {"provider", settings.provider},
                              {"host", HostOf(settings.base_url)},
                              {"model", attempt.model},
                              {"latencyMs", attempt.latency_ms},
                              {"used", attempt.used},
                              {"reason", attempt.fallback_reason},
                              {"detail", attempt.detail},
                              {"promptTokens", attempt.prompt_tokens},
                              {"completionTokens", attempt.completion_tokens}});
    return attempt;
  };

  if (!breaker_.Allow(key)) {
    return finish(kReasonCircuitOpen, "skipped after repeated failures; trying again later");
  }

  auto completion = client_.Complete(settings, call);
  if (!completion.ok()) {
    const Status& st = completion.status();
    std::string reason(FailureReason(st));
    if (!IsReason(reason)) {
      reason = kReasonUnreachable;
    }
    if (reason == kReasonRateLimited && st.retry_after_seconds() > 0) {
      breaker_.Trip(key,
                    std::min<int64_t>(int64_t{st.retry_after_seconds()} * 1000, kMaxRetryAfterMs));
    } else if (CountsAsFailure(reason)) {
      breaker_.RecordFailure(key);
    }
    return finish(reason, st.message());
  }

  if (!completion->model.empty()) {
    attempt.model = completion->model;
  }
  attempt.prompt_tokens = completion->prompt_tokens;
  attempt.completion_tokens = completion->completion_tokens;

  json::error_code ec;
  json::value parsed = json::parse(completion->content, ec);
  if (ec || !parsed.is_object()) {
    breaker_.RecordFailure(key);
    return finish(kReasonMalformed, "malformed_output: the content is not a JSON object");
  }
  if (Status st = CheckJsonSchema(parsed, call.schema); !st.ok()) {
    breaker_.RecordFailure(key);
    return finish(kReasonMalformed, "malformed_output: " + st.message());
  }
  breaker_.RecordSuccess(key);  // the endpoint works; what it said is the validator's business

  if (validator) {
    if (Status st = validator(parsed.as_object()); !st.ok()) {
      std::string_view msg = st.message();
      size_t colon = msg.find(':');
      std::string reason(colon == std::string_view::npos ? std::string_view()
                                                         : msg.substr(0, colon));
      if (!IsReason(reason)) {
        reason = kReasonInvalid;
      }
      return finish(reason, st.message());
    }
  }
  attempt.output = std::move(parsed.as_object());
  return finish("", "");
}

}  // namespace salesos::ai
