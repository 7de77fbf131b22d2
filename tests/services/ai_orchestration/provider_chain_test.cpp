#include "provider_chain.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "reply_prompt.h"
#include "salesos/core/log.h"
#include "support/fake_chat_completions.h"

namespace salesos::ai {
namespace {

namespace json = boost::json;
using testing::FakeChatCompletions;
using testing::ReplyContent;
using Mode = FakeChatCompletions::Mode;

class FakeClock : public Clock {
 public:
  int64_t NowMillis() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  std::atomic<int64_t> now_{5'000'000};
};

// Collects what the process writes to stderr (the JSON log lines) while it lives.
class StderrCapture {
 public:
  StderrCapture() {
    char path[] = "/tmp/salesos-llm-log-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    path_ = path;
    log::Flush();
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrCapture() {
    Restore();
    ::unlink(path_.c_str());
  }
  std::string Finish() {
    Restore();
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  void Restore() {
    if (saved_ < 0) {
      return;
    }
    log::Flush();
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

ReplyInput Input() {
  ReplyInput in;
  in.workspace_id = "ws_1";
  in.business_name = "Acme Fitness";
  CampaignFacts c;
  c.id = "cmp_1";
  c.name = "Spring launch";
  c.product_name = "Pro plan";
  c.product_description = "Unlimited classes and a personal coach.";
  c.has_price = true;
  c.price_minor = 4999;
  c.currency = "USD";
  c.features = {"Unlimited classes", "Personal coach"};
  c.qualification_questions = {"What is your fitness goal?"};
  in.campaign = c;
  in.messages = {{"customer", "How much is the Pro plan?", 0}};
  return in;
}

ReplyOutput Builtin() {
  ReplyOutput out;
  out.text = "The Pro plan is 49.99 USD.";
  out.language = "en";
  out.asked_question_index = 0;
  return out;
}

ProviderSettings Settings(const FakeChatCompletions& server, int timeout_ms = 2000) {
  ProviderSettings s;
  s.provider = kProviderOpenAi;
  s.base_url = server.base_url();
  s.model = "gpt-4o-mini";
  s.api_key = "sk-chain-test-key-42";
  s.timeout_ms = timeout_ms;
  return s;
}

TEST_CASE("a valid endpoint answer is used, with tokens, model and latency", "[ai][chain]") {
  FakeChatCompletions server("sk-chain-test-key-42");
  server.SetContent(ReplyContent("The Pro plan is 49.99 USD a month. What is your fitness goal?",
                                 {"Sign me up", "Tell me more"}));
  server.SetUsage(321, 42);
  ProviderChain chain(true);
  ReplyInput input = Input();
  StderrCapture capture;
  LlmAttempt attempt =
      chain.Try(Settings(server), BuildReplyCall(input, Builtin()), ReplyValidator(input));
  std::string logs = capture.Finish();
  INFO(attempt.detail);
  REQUIRE(attempt.used);
  CHECK(attempt.fallback_reason.empty());
  CHECK(attempt.output.at("reply").as_string() ==
        "The Pro plan is 49.99 USD a month. What is your fitness goal?");
  CHECK(attempt.output.at("quickReplies").as_array().size() == 2);
  CHECK(attempt.model == "fake-model-2026-01");
  CHECK(attempt.prompt_tokens == 321);
  CHECK(attempt.completion_tokens == 42);
  CHECK(attempt.latency_ms >= 0);
  CHECK(attempt.latency_ms < 2000);

  // The endpoint got the reply prompt, and the log line says what happened without the secrets.
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK_THAT(requests[0].system, Catch::Contains("49.99 USD"));
  CHECK_THAT(requests[0].user,
             Catch::Contains("<customer_message>How much is the Pro plan?</customer_message>"));
  CHECK_THAT(logs, Catch::Contains("\"msg\":\"llm attempt\""));
  CHECK_THAT(logs, Catch::Contains("\"job\":\"reply\""));
  CHECK_THAT(logs, Catch::Contains("\"used\":true"));
  CHECK_THAT(logs, Catch::Contains("\"model\":\"fake-model-2026-01\""));
  CHECK(logs.find("sk-chain-test-key-42") == std::string::npos);
  CHECK(logs.find("Unlimited classes and a personal coach") == std::string::npos);
  CHECK(logs.find("How much is the Pro plan") == std::string::npos);
}

TEST_CASE("each failing mode falls back within the timeout and logs its reason", "[ai][chain]") {
  struct Case {
    Mode mode;
    const char* reason;
    int timeout_ms;
  };
  for (const Case& c :
       {Case{Mode::kSlow, kReasonTimeout, 400}, Case{Mode::kRateLimited, kReasonRateLimited, 2000},
        Case{Mode::kServerError, kReasonServerError, 2000},
        Case{Mode::kMalformed, kReasonMalformed, 2000},
        Case{Mode::kTruncated, kReasonMalformed, 2000},
        Case{Mode::kRefusal, kReasonMalformed, 2000},
        Case{Mode::kWrongPrice, kReasonWrongPrice, 2000}}) {
    DYNAMIC_SECTION("mode " << static_cast<int>(c.mode) << " → " << c.reason) {
      FakeChatCompletions server("sk-chain-test-key-42");
      server.SetMode(c.mode);
      ProviderChain chain(true);
      ReplyInput input = Input();
      StderrCapture capture;
      auto start = std::chrono::steady_clock::now();
      LlmAttempt attempt = chain.Try(Settings(server, c.timeout_ms),
                                     BuildReplyCall(input, Builtin()), ReplyValidator(input));
      int64_t elapsed = ElapsedMs(start);
      server.ReleaseSlow();
      std::string logs = capture.Finish();
      INFO(attempt.detail);
      CHECK_FALSE(attempt.used);
      CHECK(attempt.output.empty());
      CHECK(attempt.fallback_reason == c.reason);
      CHECK(elapsed < c.timeout_ms + 500);
      CHECK(attempt.latency_ms < c.timeout_ms + 500);
      CHECK(server.request_count() == 1);
      CHECK_THAT(logs, Catch::Contains(std::string("\"reason\":\"") + c.reason + "\""));
      CHECK_THAT(logs, Catch::Contains("\"used\":false"));
      CHECK(logs.find("sk-chain-test-key-42") == std::string::npos);
    }
  }
}

TEST_CASE("the wrong-price detail names both prices", "[ai][chain]") {
  FakeChatCompletions server;
  server.SetMode(Mode::kWrongPrice);
  server.SetWrongPriceReply("Good news: the Pro plan is only 39,99 € today!");
  ProviderChain chain(true);
  ReplyInput input = Input();
  LlmAttempt attempt =
      chain.Try(Settings(server), BuildReplyCall(input, Builtin()), ReplyValidator(input));
  CHECK(attempt.fallback_reason == kReasonWrongPrice);
  CHECK_THAT(attempt.detail, Catch::Contains("39,99 €"));
  CHECK_THAT(attempt.detail, Catch::Contains("49.99 USD"));
  // The endpoint answered: tokens and model are known even though the answer was refused.
  CHECK(attempt.model == "fake-model-2026-01");
  CHECK(attempt.prompt_tokens == 120);
}

TEST_CASE("JSON that is not the schema is malformed output", "[ai][chain]") {
  FakeChatCompletions server;
  ProviderChain chain(true, SystemClock(), {.failure_threshold = 100});
  ReplyInput input = Input();
  LlmCall call = BuildReplyCall(input, Builtin());
  for (const char* content :
       {R"({"reply": "Hi"})", R"({"reply": 5, "quickReplies": []})",
        R"({"reply": "Hi", "quickReplies": [], "price": "39.99"})",
        R"({"reply": "Hi", "quickReplies": ["a", "b", "c", "d"]})", R"(["Hi"])", "42"}) {
    INFO(content);
    server.SetContent(content);
    LlmAttempt attempt = chain.Try(Settings(server), call, ReplyValidator(input));
    CHECK_FALSE(attempt.used);
    CHECK(attempt.fallback_reason == kReasonMalformed);
  }
  std::string long_reply = ReplyContent(std::string(1001, 'a'), {});
  server.SetContent(long_reply);
  LlmAttempt too_long = chain.Try(Settings(server), call, ReplyValidator(input));
  CHECK(too_long.fallback_reason == kReasonMalformed);
  CHECK_THAT(too_long.detail, Catch::Contains("reply"));
}

TEST_CASE("a validator message without a known reason is invalid_output", "[ai][chain]") {
  FakeChatCompletions server;
  ProviderChain chain(true);
  LlmCall call = BuildReplyCall(Input(), Builtin());
  auto refuse = [](const std::string& message) {
    return [message](const json::object&) { return InvalidArgument(message); };
  };
  CHECK(chain.Try(Settings(server), call, refuse("too rude")).fallback_reason == kReasonInvalid);
  CHECK(chain.Try(Settings(server), call, refuse("reply: has no greeting")).fallback_reason ==
        kReasonInvalid);
  CHECK(chain.Try(Settings(server), call, refuse("wrong_price: 10 is not 20")).fallback_reason ==
        kReasonWrongPrice);
  LlmAttempt ok = chain.Try(Settings(server), call, nullptr);
  CHECK(ok.used);
}

TEST_CASE("the built-in provider is not tried and reports no fallback", "[ai][chain]") {
  FakeChatCompletions server;
  ProviderChain chain(true);
  ProviderSettings settings = Settings(server);
  settings.provider = kProviderBuiltin;
  LlmAttempt attempt = chain.Try(settings, BuildReplyCall(Input(), Builtin()), nullptr);
  CHECK_FALSE(attempt.used);
  CHECK(attempt.fallback_reason.empty());
  CHECK(server.request_count() == 0);
}

TEST_CASE("the breaker opens after five failures and skips the endpoint until the cool-down",
          "[ai][chain]") {
  FakeChatCompletions server;
  server.SetMode(Mode::kServerError);
  FakeClock clock;
  ProviderChain chain(true, clock);
  ReplyInput input = Input();
  LlmCall call = BuildReplyCall(input, Builtin());
  for (int i = 0; i < 5; ++i) {
    CHECK(chain.Try(Settings(server), call, ReplyValidator(input)).fallback_reason ==
          kReasonServerError);
  }
  CHECK(server.request_count() == 5);
  for (int i = 0; i < 3; ++i) {
    auto start = std::chrono::steady_clock::now();
    LlmAttempt skipped = chain.Try(Settings(server), call, ReplyValidator(input));
    CHECK(skipped.fallback_reason == kReasonCircuitOpen);
    CHECK(ElapsedMs(start) < 100);
  }
  CHECK(server.request_count() == 5);

  // Another key on the same endpoint has its own circuit.
  ProviderSettings other = Settings(server);
  other.model = "another-model";
  CHECK(chain.Try(other, call, ReplyValidator(input)).fallback_reason == kReasonServerError);
  CHECK(server.request_count() == 6);

  // After the cool-down one trial goes through; the endpoint is well again and is used.
  clock.Advance(30'000);
  server.SetMode(Mode::kOk);
  server.SetContent(ReplyContent("It is 49.99 USD.", {}));
  LlmAttempt trial = chain.Try(Settings(server), call, ReplyValidator(input));
  CHECK(trial.used);
  CHECK(server.request_count() == 7);
  CHECK(chain.Try(Settings(server), call, ReplyValidator(input)).used);
}

TEST_CASE("a 429 falls back now and keeps the endpoint closed for its retry-after", "[ai][chain]") {
  FakeChatCompletions server;
  server.SetMode(Mode::kRateLimited);
  server.SetRetryAfterSeconds(7);
  FakeClock clock;
  ProviderChain chain(true, clock);
  ReplyInput input = Input();
  LlmCall call = BuildReplyCall(input, Builtin());
  auto start = std::chrono::steady_clock::now();
  CHECK(chain.Try(Settings(server), call, ReplyValidator(input)).fallback_reason ==
        kReasonRateLimited);
  CHECK(ElapsedMs(start) < 1000);  // no waiting for the retry-after
  CHECK(chain.Try(Settings(server), call, ReplyValidator(input)).fallback_reason ==
        kReasonCircuitOpen);
  CHECK(server.request_count() == 1);
  clock.Advance(7'000);
  server.SetMode(Mode::kOk);
  server.SetContent(ReplyContent("Sure, happy to help.", {}));
  CHECK(chain.Try(Settings(server), call, ReplyValidator(input)).used);
  CHECK(server.request_count() == 2);
}

TEST_CASE("a private endpoint is egress_blocked unless the operator allows it", "[ai][chain]") {
  FakeChatCompletions server;
  ProviderChain strict(false);
  ReplyInput input = Input();
  LlmCall call = BuildReplyCall(input, Builtin());
  for (int i = 0; i < 6; ++i) {
    CHECK(strict.Try(Settings(server), call, ReplyValidator(input)).fallback_reason ==
          kReasonEgressBlocked);
  }
  CHECK(server.request_count() == 0);
  // A refused address is configuration, not an unhealthy endpoint: no circuit opened.
  CHECK(strict.breaker().StateOf(CircuitKey(Settings(server))) == CircuitBreaker::State::kClosed);
  ProviderChain allowed(true);
  server.SetContent(ReplyContent("Hello!", {}));
  CHECK(allowed.Try(Settings(server), call, ReplyValidator(input)).used);
}

TEST_CASE("the JSON Schema check covers the subset the jobs use", "[ai][chain]") {
  json::object schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", json::array{"name", "kind", "count", "ok", "tags"}},
      {"properties",
       json::object{{"name", json::object{{"type", "string"}, {"maxLength", 3}}},
                    {"kind", json::object{{"type", "string"}, {"enum", json::array{"a", "b"}}}},
                    {"count", json::object{{"type", "integer"}, {"minimum", 0}, {"maximum", 10}}},
                    {"ratio", json::object{{"type", "number"}}},
                    {"ok", json::object{{"type", "boolean"}}},
                    {"tags", json::object{{"type", "array"},
                                          {"maxItems", 2},
                                          {"items", json::object{{"type", "string"}}}}}}}};
  auto check = [&](const char* doc) { return CheckJsonSchema(json::parse(doc), schema); };
  CHECK(check(R"({"name":"abc","kind":"a","count":3,"ok":true,"tags":["x"]})").ok());
  CHECK(check(R"({"name":"äöü","kind":"b","count":3.0,"ratio":0.5,"ok":false,"tags":[]})").ok());
  CHECK_FALSE(check(R"({"name":"abcd","kind":"a","count":3,"ok":true,"tags":[]})").ok());
  CHECK_FALSE(check(R"({"name":"abc","kind":"c","count":3,"ok":true,"tags":[]})").ok());
  CHECK_FALSE(check(R"({"name":"abc","kind":"a","count":3.5,"ok":true,"tags":[]})").ok());
  CHECK_FALSE(check(R"({"name":"abc","kind":"a","count":11,"ok":true,"tags":[]})").ok());
  CHECK_FALSE(check(R"({"name":"abc","kind":"a","count":3,"ok":"yes","tags":[]})").ok());
  CHECK_FALSE(check(R"({"name":"abc","kind":"a","count":3,"ok":true,"tags":[1]})").ok());
  CHECK_FALSE(check(R"({"name":"abc","kind":"a","count":3,"ok":true,"tags":["a","b","c"]})").ok());
  CHECK_FALSE(check(R"({"name":"abc","kind":"a","count":3,"ok":true})").ok());
  CHECK_FALSE(check(R"({"name":"abc","kind":"a","count":3,"ok":true,"tags":[],"x":1})").ok());
  Status st = check(R"({"name":"abc","kind":"a","count":3,"ok":true,"tags":["a", 2]})");
  CHECK_THAT(st.message(), Catch::Contains("tags[1]"));
}


}  // namespace
}  // namespace salesos::ai
