#include "broadcast_rules.h"

#include <algorithm>
#include <cmath>

#include "salesos/templates/template_renderer.h"

namespace salesos::campaign {

int32_t DefaultRatePerSecond(std::string_view platform) { return platform == "whatsapp" ? 80 : 40; }

Status ValidateWhatsAppTemplate(const v1::WhatsAppTemplate& t, const std::string& path) {
  const std::string& name = t.name();
  if (name.empty() || name.size() > 512 || !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return FieldError(path + ".name",
                      "must be the approved template's name: 1 to 512 of a-z, 0-9 and _");
  }
  const std::string& lang = t.language();
  if (lang.size() < 2 || lang.size() > 15 || !std::all_of(lang.begin(), lang.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      })) {
    return FieldError(path + ".language", "must be a language code such as en_US");
  }
  bool seen_header = false, seen_body = false;
  for (int i = 0; i < t.components_size(); ++i) {
    const v1::TemplateComponent& c = t.components(i);
    std::string at = path + ".components[" + std::to_string(i) + "]";
    bool* seen = c.type() == "header" ? &seen_header : c.type() == "body" ? &seen_body : nullptr;
    if (seen == nullptr) {
      return FieldError(at + ".type", "must be header or body");
    }
    if (*seen) {
      return FieldError(at + ".type", "a template has at most one " + c.type() + " component");
    }
    *seen = true;
    if (static_cast<size_t>(c.parameters_size()) > kMaxWhatsAppTemplateParameters) {
      return FieldError(at + ".parameters", "must be at most 20");
    }
    for (int p = 0; p < c.parameters_size(); ++p) {
      std::string param_path = at + ".parameters[" + std::to_string(p) + "]";
      const std::string& param = c.parameters(p);
      long length = templates::Utf8CodePoints(param);
      if (length < 1 || length > 1024) {
        return FieldError(param_path, "must be 1 to 1024 characters of text");
      }
      auto vars = templates::TemplateVariables(param);
      if (!vars.ok()) {
        // The renderer names the field "body"; here it is this parameter.
        std::string why(vars.status().message());
        if (why.rfind("body: ", 0) == 0) {
          why = why.substr(6);
        }
        return FieldError(param_path, why);
      }
    }
  }
  return OkStatus();
}

TokenBucket::TokenBucket(double rate_per_second, double burst)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)), tokens_(1.0) {}

void TokenBucket::Refill(int64_t now_ms) {
  if (last_ms_ < 0) {
    last_ms_ = now_ms;
    return;
  }
  if (now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
    last_ms_ = now_ms;
  }
}

bool TokenBucket::TryTake(int64_t now_ms) {
  if (now_ms < paused_until_ms_) {
    return false;
  }
  Refill(now_ms);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  return false;
}

int64_t TokenBucket::NextAt(int64_t now_ms) const {
  if (now_ms < paused_until_ms_) {
    return paused_until_ms_;
  }
  double tokens = tokens_;
  if (last_ms_ >= 0 && now_ms > last_ms_) {
    tokens = std::min(burst_, tokens + rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
  }
  if (tokens >= 1.0 || rate_ <= 0) {
    return now_ms;
  }
  return now_ms + static_cast<int64_t>(std::ceil((1.0 - tokens) * 1000.0 / rate_));
}

void TokenBucket::SetRate(double rate_per_second, double burst) {
  rate_ = rate_per_second;
  burst_ = std::max(1.0, burst);
  tokens_ = std::min(tokens_, burst_);
}

void TokenBucket::PauseUntil(int64_t until_ms) {
  if (until_ms > paused_until_ms_) {
    paused_until_ms_ = until_ms;
    // One permit when the pause ends, no saved burst: the platform asked us to slow down.
    tokens_ = 1.0;
    last_ms_ = std::max(last_ms_, until_ms);
  }
}

bool IsIntegrationRateLimit(int64_t error_code) {
  return error_code == 130429 || error_code == 4 || error_code == 613;
}

int64_t IntegrationBackoffMs(int consecutive, int64_t retry_after_ms) {
  int shift = std::clamp(consecutive - 1, 0, 6);
  int64_t backoff = std::min<int64_t>(1000LL << shift, 60000);
  return std::max(backoff, retry_after_ms);
}

SendRetry DecideRetry(bool retryable, int64_t error_code, int64_t retry_after_ms, int attempts,
                      int consecutive_integration_limits, int64_t now_ms) {
  SendRetry out;
  if (!retryable || attempts >= kMaxSendAttempts) {
    out.give_up = true;
    return out;
  }
  int64_t wait = 0;
  if (IsIntegrationRateLimit(error_code)) {
    wait = IntegrationBackoffMs(consecutive_integration_limits, retry_after_ms);
    out.pause_integration_ms = now_ms + wait;
  } else if (error_code == kPairRateLimitCode) {
    // 4^n seconds for the n-th refusal of this pair: 4 s, 16 s, 64 s, ...
    int n = std::clamp(attempts, 1, 8);
    int64_t pair = 1000;
    for (int i = 0; i < n; ++i) {
      pair *= 4;
    }
    wait = std::max(pair, retry_after_ms);
  } else {
    // Timeouts and transient errors: 1 s doubling per try, at most 60 s.
    int shift = std::clamp(attempts - 1, 0, 6);
    wait = std::max(std::min<int64_t>(1000LL << shift, 60000), retry_after_ms);
  }
  out.next_attempt_ms = now_ms + wait;
  return out;
}

std::string EncodeParams(const std::vector<std::string>& params) {
  std::string out;
  for (const auto& p : params) {
    out += std::to_string(p.size());
    out += ':';
    out += p;
  }
  return out;
}

std::vector<std::string> DecodeParams(std::string_view encoded) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < encoded.size()) {
    size_t colon = encoded.find(':', i);
    if (colon == std::string_view::npos) {
      break;
    }
    size_t length = 0;
    for (size_t k = i; k < colon; ++k) {
      length = length * 10 + static_cast<size_t>(encoded[k] - '0');
    }
    if (colon + 1 + length > encoded.size()) {
      break;
    }
    out.emplace_back(encoded.substr(colon + 1, length));
    i = colon + 1 + length;
  }
  return out;
}

RecipientMessage RenderForRecipient(const std::string& body, const v1::WhatsAppTemplate* wa,
                                    const std::map<std::string, std::string>& values,
                                    std::string_view today) {
  RecipientMessage out;
  if (wa != nullptr) {
    for (const auto& component : wa->components()) {
      if (component.type() != "body") {
        continue;
      }
      for (int i = 0; i < component.parameters_size(); ++i) {
        auto rendered = templates::RenderTemplateBody(component.parameters(i), values, today);
        if (!rendered.ok()) {
          out.error = "render: parameter " + std::to_string(i + 1) + ": " +
                      std::string(rendered.status().message());
          return out;
        }
        std::string value = rendered->text;
        if (value.find_first_not_of(" \t\r\n") == std::string::npos) {
          out.error = "render: parameter " + std::to_string(i + 1) +
                      " of the template's body is empty for this contact (WhatsApp refuses empty "
                      "parameters)";
          return out;
        }
        out.params.push_back(std::move(value));
      }
    }
    return out;
  }
  auto rendered = templates::RenderTemplateBody(body, values, today);
  if (!rendered.ok()) {
    out.error = "render: " + std::string(rendered.status().message());
    return out;
  }
  if (rendered->text.find_first_not_of(" \t\r\n") == std::string::npos) {
    out.error = "render: the message is empty for this contact";
    return out;
  }
  out.text = std::move(rendered->text);
  return out;
}

}  // namespace salesos::campaign
