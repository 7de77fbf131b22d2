#include "circuit_breaker.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace salesos::ai {
namespace {

class FakeClock : public Clock {
 public:
  int64_t NowMillis() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  std::atomic<int64_t> now_{1'000'000};
};

using State = CircuitBreaker::State;

TEST_CASE("the circuit opens after five consecutive failures and not before", "[ai][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker(clock);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(breaker.Allow("k"));
    breaker.RecordFailure("k");
  }
  CHECK(breaker.StateOf("k") == State::kClosed);
  CHECK(breaker.FailuresOf("k") == 4);
  REQUIRE(breaker.Allow("k"));
  breaker.RecordFailure("k");
  CHECK(breaker.StateOf("k") == State::kOpen);
  CHECK_FALSE(breaker.Allow("k"));
  clock.Advance(29'999);
  CHECK_FALSE(breaker.Allow("k"));
}

TEST_CASE("a success resets the count of consecutive failures", "[ai][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker(clock);
  for (int i = 0; i < 4; ++i) {
    breaker.RecordFailure("k");
  }
  breaker.RecordSuccess("k");
  CHECK(breaker.FailuresOf("k") == 0);
  for (int i = 0; i < 4; ++i) {
    breaker.RecordFailure("k");
  }
  CHECK(breaker.Allow("k"));
  CHECK(breaker.StateOf("k") == State::kClosed);
}

TEST_CASE("after the cool-down one trial goes through, and its success closes the circuit",
          "[ai][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker(clock, {.failure_threshold = 3, .cooldown_ms = 10'000});
  for (int i = 0; i < 3; ++i) {
    breaker.RecordFailure("k");
  }
  CHECK_FALSE(breaker.Allow("k"));
  clock.Advance(10'000);
  CHECK(breaker.StateOf("k") == State::kHalfOpen);
  CHECK(breaker.Allow("k"));        // the trial
  CHECK_FALSE(breaker.Allow("k"));  // others wait for it
  breaker.RecordSuccess("k");
  CHECK(breaker.StateOf("k") == State::kClosed);
  CHECK(breaker.Allow("k"));
  CHECK(breaker.Allow("k"));
}

TEST_CASE("a failed trial opens the circuit for another cool-down", "[ai][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker(clock, {.failure_threshold = 2, .cooldown_ms = 5'000});
  breaker.RecordFailure("k");
  breaker.RecordFailure("k");
  clock.Advance(5'000);
  REQUIRE(breaker.Allow("k"));
  breaker.RecordFailure("k");
  CHECK(breaker.StateOf("k") == State::kOpen);
  CHECK_FALSE(breaker.Allow("k"));
  clock.Advance(4'999);
  CHECK_FALSE(breaker.Allow("k"));
  clock.Advance(1);
  CHECK(breaker.Allow("k"));
}

TEST_CASE("a trial that never reports back is replaced after a cool-down", "[ai][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker(clock, {.failure_threshold = 1, .cooldown_ms = 1'000});
  breaker.RecordFailure("k");
  clock.Advance(1'000);
  REQUIRE(breaker.Allow("k"));
  CHECK_FALSE(breaker.Allow("k"));
  clock.Advance(1'000);
  CHECK(breaker.Allow("k"));
}

TEST_CASE("Trip opens the circuit at once for the time given", "[ai][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker(clock);
  breaker.Trip("k", 7'000);
  CHECK_FALSE(breaker.Allow("k"));
  clock.Advance(6'999);
  CHECK_FALSE(breaker.Allow("k"));
  clock.Advance(1);
  CHECK(breaker.Allow("k"));
}

TEST_CASE("endpoints have their own circuits", "[ai][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker(clock, {.failure_threshold = 1, .cooldown_ms = 1'000});
  breaker.RecordFailure("a");
  CHECK_FALSE(breaker.Allow("a"));
  CHECK(breaker.Allow("b"));

  ProviderSettings one{.provider = kProviderOpenAi,
                       .base_url = "https://api.openai.com/v1",
                       .model = "gpt-4o-mini",
                       .api_key = "sk-one-secret-key"};
  ProviderSettings two = one;
  two.api_key = "sk-two-secret-key";
  ProviderSettings other_model = one;
  other_model.model = "gpt-4o";
  CHECK(CircuitKey(one) != CircuitKey(two));
  CHECK(CircuitKey(one) != CircuitKey(other_model));
  CHECK(CircuitKey(one) == CircuitKey(one));
  CHECK(CircuitKey(one).find("sk-one-secret-key") == std::string::npos);
  ProviderSettings slash = one;
  slash.base_url += "/";
  CHECK(CircuitKey(slash) == CircuitKey(one));
}

TEST_CASE("the breaker counts exactly under concurrent use", "[ai][breaker]") {
  FakeClock clock;
  CircuitBreaker breaker(clock, {.failure_threshold = 100'000, .cooldown_ms = 1'000});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        (void)breaker.Allow("k");
        breaker.RecordFailure("k");
        (void)breaker.StateOf("other");
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(breaker.FailuresOf("k") == 4000);
  CHECK(breaker.StateOf("k") == State::kClosed);
}

}  // namespace
}  // namespace salesos::ai
