// The pure rules of broadcasts: WhatsApp template validation, the token bucket and the backoffs
// with times passed in (a fake clock), the parameters' column encoding and per-recipient
// rendering.

#include "broadcast_rules.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace salesos::campaign {
namespace {

v1::WhatsAppTemplate Template(const std::string& name, std::vector<std::string> body_params) {
  v1::WhatsAppTemplate t;
  t.set_name(name);
  t.set_language("en_US");
  auto* c = t.add_components();
  c->set_type("body");
  for (auto& p : body_params) {
    c->add_parameters(p);
  }
  return t;
}

TEST_CASE("a WhatsApp template needs an approved name, a language and known variables",
          "[campaign][broadcast]") {
  CHECK(ValidateWhatsAppTemplate(Template("order_update_2", {"{{contact.firstName}}"}), "t").ok());
  auto bad_name = ValidateWhatsAppTemplate(Template("Order-Update", {}), "t");
  CHECK(bad_name.code() == Code::kInvalidArgument);
  CHECK(bad_name.ToString().find("t.name") != std::string::npos);
  v1::WhatsAppTemplate no_lang = Template("hello", {});
  no_lang.set_language("");
  CHECK(ValidateWhatsAppTemplate(no_lang, "t").ToString().find("t.language") != std::string::npos);
  auto unknown = ValidateWhatsAppTemplate(Template("hello", {"{{contact.shoeSize}}"}), "t");
  CHECK(unknown.ToString().find("t.components[0].parameters[0]") != std::string::npos);
  v1::WhatsAppTemplate footer = Template("hello", {});
  footer.mutable_components(0)->set_type("footer");
  CHECK(ValidateWhatsAppTemplate(footer, "t").ToString().find("header or body") !=
        std::string::npos);
  std::vector<std::string> many(21, "x");
  CHECK(ValidateWhatsAppTemplate(Template("hello", many), "t").ToString().find("at most 20") !=
        std::string::npos);
  std::vector<std::string> twenty(20, "x");
  CHECK(ValidateWhatsAppTemplate(Template("hello", twenty), "t").ok());
}

TEST_CASE("the token bucket hands out permits at its rate and not during a pause",
          "[campaign][broadcast]") {
  TokenBucket bucket(10, 1);  // one permit every 100 ms, none saved beyond one
  int64_t t = 1'000'000;
  CHECK(bucket.TryTake(t));
  CHECK_FALSE(bucket.TryTake(t));
  CHECK(bucket.NextAt(t) == t + 100);
  CHECK_FALSE(bucket.TryTake(t + 99));
  CHECK(bucket.TryTake(t + 100));
  // Over 10 simulated seconds, 100 permits (give or take the one at the start).
  int taken = 0;
  for (int64_t now = t + 101; now <= t + 10'100; ++now) {
    taken += bucket.TryTake(now) ? 1 : 0;
  }
  CHECK(taken == 100);
  // A pause holds everything back until it ends, and a shorter one does not shorten it.
  int64_t p = t + 20'000;
  bucket.PauseUntil(p + 2000);
  bucket.PauseUntil(p + 500);
  CHECK(bucket.paused_until() == p + 2000);
  CHECK_FALSE(bucket.TryTake(p + 1999));
  CHECK(bucket.NextAt(p) == p + 2000);
  CHECK(bucket.TryTake(p + 2000));
  CHECK_FALSE(bucket.TryTake(p + 2001));
}

TEST_CASE("a lower rate set on a running bucket takes effect at once", "[campaign][broadcast]") {
  TokenBucket bucket(100, 5);
  int64_t t = 5000;
  CHECK(bucket.TryTake(t));
  bucket.SetRate(1, 1);
  CHECK_FALSE(bucket.TryTake(t + 500));
  CHECK(bucket.TryTake(t + 1000));
}

TEST_CASE("throughput limits pause the integration with a doubling backoff",
          "[campaign][broadcast]") {
  int64_t now = 1'000'000;
  for (int64_t code : {130429, 4, 613}) {
    SendRetry first = DecideRetry(true, code, 0, 1, 1, now);
    CHECK_FALSE(first.give_up);
    CHECK(first.pause_integration_ms == now + 1000);
    CHECK(first.next_attempt_ms == now + 1000);
    CHECK(DecideRetry(true, code, 0, 2, 3, now).pause_integration_ms == now + 4000);
  }
  CHECK(DecideRetry(true, 130429, 0, 1, 30, now).pause_integration_ms == now + 60000);
  // The platform's own retry-after wins when it is longer.
  CHECK(DecideRetry(true, 130429, 9000, 1, 1, now).pause_integration_ms == now + 9000);
}

TEST_CASE("the pair rate limit delays only that recipient by 4 to the n seconds",
          "[campaign][broadcast]") {
  int64_t now = 0;
  SendRetry first = DecideRetry(true, kPairRateLimitCode, 0, 1, 0, now);
  CHECK(first.pause_integration_ms == 0);
  CHECK(first.next_attempt_ms == 4000);
  CHECK(DecideRetry(true, kPairRateLimitCode, 0, 2, 0, now).next_attempt_ms == 16000);
  CHECK(DecideRetry(true, kPairRateLimitCode, 0, 3, 0, now).next_attempt_ms == 64000);
}

TEST_CASE("a recipient is given up after eight tries or a final refusal", "[campaign][broadcast]") {
  CHECK(DecideRetry(false, 131026, 0, 1, 0, 0).give_up);
  CHECK_FALSE(DecideRetry(true, 2, 0, 7, 0, 0).give_up);
  CHECK(DecideRetry(true, 2, 0, kMaxSendAttempts, 0, 0).give_up);
  CHECK(DecideRetry(true, 130429, 0, kMaxSendAttempts, 1, 0).give_up);
  // Transient errors back off 1 s doubling.
  CHECK(DecideRetry(true, 2, 0, 1, 0, 0).next_attempt_ms == 1000);
  CHECK(DecideRetry(true, 2, 0, 3, 0, 0).next_attempt_ms == 4000);
}

TEST_CASE("template parameters survive their column whatever they hold", "[campaign][broadcast]") {
  std::vector<std::string> params = {"Ada", "", "12:30", "a\nb", "7:x:9", "ünï"};
  CHECK(DecodeParams(EncodeParams(params)) == params);
  CHECK(DecodeParams("").empty());
}

TEST_CASE("a recipient's message renders with its values and fallbacks", "[campaign][broadcast]") {
  std::map<std::string, std::string> values = {{"contact.firstName", "Ada"},
                                               {"contact.lastName", ""}};
  auto text = RenderForRecipient("Hi {{contact.firstName}}, from {{business.name}}", nullptr,
                                 values, "2026-11-21");
  CHECK(text.error.empty());
  CHECK(text.text == "Hi Ada, from our team");
  auto fallback = RenderForRecipient("Hi {{contact.firstName}}", nullptr, {}, "2026-11-21");
  CHECK(fallback.text == "Hi there");

  v1::WhatsAppTemplate wa = Template("hello", {"{{contact.firstName}}", "{{date.today}}"});
  auto params = RenderForRecipient("", &wa, values, "2026-11-21");
  CHECK(params.error.empty());
  CHECK(params.params == std::vector<std::string>{"Ada", "2026-11-21"});
  // contact.lastName's fallback is empty: WhatsApp would refuse the parameter, so the recipient
  // fails with the reason.
  v1::WhatsAppTemplate last = Template("hello", {"{{contact.lastName}}"});
  auto empty = RenderForRecipient("", &last, values, "2026-11-21");
  CHECK(empty.error.rfind("render: parameter 1", 0) == 0);
}

TEST_CASE("platforms have their default rates", "[campaign][broadcast]") {
  CHECK(DefaultRatePerSecond("whatsapp") == 80);
  CHECK(DefaultRatePerSecond("facebook") == 40);
  CHECK(DefaultRatePerSecond("instagram") == 40);
}

}  // namespace
}  // namespace salesos::campaign
