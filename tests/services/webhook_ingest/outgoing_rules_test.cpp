#include "outgoing_rules.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace salesos::webhook_ingest {
namespace {

namespace ev = events::v1;
namespace json = boost::json;

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

ev::EventEnvelope Envelope(const std::string& type, const google::protobuf::Message& payload) {
  ev::EventEnvelope e;
  e.set_id("0190d6a0-0000-7000-8000-000000000001");
  e.set_type(type);
  e.set_workspace_id("0190d6a0-0000-7000-8000-0000000000aa");
  e.set_occurred_at("2026-03-01T10:00:00Z");
  e.set_source("conversation");
  e.set_payload(payload.SerializeAsString());
  return e;
}

TEST_CASE("retries wait 30 s, 1 min, 2 min and so on, never more than an hour",
          "[webhook_ingest][outgoing]") {
  CHECK(RetryDelayMs(1, 30 * kSecond) == 30 * kSecond);
  CHECK(RetryDelayMs(2, 30 * kSecond) == kMinute);
  CHECK(RetryDelayMs(3, 30 * kSecond) == 2 * kMinute);
  CHECK(RetryDelayMs(4, 30 * kSecond) == 4 * kMinute);
  CHECK(RetryDelayMs(8, 30 * kSecond) == kHour);
  CHECK(RetryDelayMs(7, 30 * kSecond) == 32 * kMinute);
  CHECK(RetryDelayMs(1000, 30 * kSecond) == kHour);
  // A small base (tests) keeps the shape.
  CHECK(RetryDelayMs(1, 100) == 100);
  CHECK(RetryDelayMs(3, 100) == 400);
}

TEST_CASE("a delivery is retried until 24 hours after its first attempt and then fails",
          "[webhook_ingest][outgoing]") {
  const int64_t first = 1'700'000'000'000;
  auto next = NextAttemptMs(1, first, first + 200, 30 * kSecond);
  REQUIRE(next.has_value());
  CHECK(*next == first + 200 + 30 * kSecond);

  // Walk the whole schedule: every attempt within the window, then failed.
  int64_t now = first;
  int attempts = 0;
  std::vector<int64_t> waits;
  while (true) {
    ++attempts;
    auto at = NextAttemptMs(attempts, first, now, 30 * kSecond);
    if (!at.has_value()) {
      break;
    }
    waits.push_back(*at - now);
    REQUIRE(*at <= first + kRetryWindowMs);
    now = *at;
  }
  REQUIRE(waits.size() >= 8);
  CHECK(waits[0] == 30 * kSecond);
  CHECK(waits[1] == kMinute);
  CHECK(waits[2] == 2 * kMinute);
  CHECK(waits.back() == kHour);
  CHECK(now > first + kRetryWindowMs - kHour);  // the last attempt falls in the window's last hour
  // 30 s + ... + 32 min is about 64 min; then hourly for the rest of the day.
  CHECK(attempts == 1 + 7 + 22);
}

TEST_CASE("the signature is an HMAC-SHA256 of the timestamp, a dot and the body",
          "[webhook_ingest][outgoing]") {
  // Computed with Python's hmac module, not with this code base.
  CHECK(SignatureHeader("whsec_test_secret_0123", 1700000000, R"({"id":"e1"})") ==
        "t=1700000000,v1=e1cdcf786c05e8f93f4777b424973e5c753c9b7069c12a5acdf47980e4f4ccb4");
  CHECK(SignatureHeader("whsec_test_secret_0123", 1700000001, R"({"id":"e1"})") !=
        SignatureHeader("whsec_test_secret_0123", 1700000000, R"({"id":"e1"})"));
}

TEST_CASE("the body carries the envelope and the payload as lowerCamelCase JSON",
          "[webhook_ingest][outgoing]") {
  ev::MessageReceived m;
  m.set_workspace_id("0190d6a0-0000-7000-8000-0000000000aa");
  m.set_conversation_id("c-1");
  m.set_message_id("m-1");
  m.set_platform("whatsapp");
  m.set_sender("customer");
  m.set_platform_timestamp_ms(1700000000123);
  json::value body = json::parse(EventBody(Envelope("message.received", m)));
  const auto& o = body.as_object();
  CHECK(o.at("id").as_string() == "0190d6a0-0000-7000-8000-000000000001");
  CHECK(o.at("type").as_string() == "message.received");
  CHECK(o.at("workspaceId").as_string() == "0190d6a0-0000-7000-8000-0000000000aa");
  CHECK(o.at("occurredAt").as_string() == "2026-03-01T10:00:00Z");
  const auto& data = o.at("data").as_object();
  CHECK(data.at("conversationId").as_string() == "c-1");
  CHECK(data.at("messageId").as_string() == "m-1");
  CHECK(data.at("platform").as_string() == "whatsapp");
  CHECK(data.at("platformTimestampMs").as_string() == "1700000000123");  // int64 as a string
  CHECK(data.at("campaignId").as_string() == "");  // every field is printed
  CHECK(data.contains("conversation_id") == false);
  // The keys come in a fixed order, so the same event always gives the same bytes.
  CHECK(EventBody(Envelope("message.received", m)).rfind(R"({"id":)", 0) == 0);

  ev::CampaignChanged c;
  c.set_campaign_id("k-1");
  c.set_name("Spring sale");
  c.set_status("draft");
  json::value campaign = json::parse(EventBody(Envelope("campaign.created", c)));
  CHECK(campaign.at("data").at("name").as_string() == "Spring sale");
  CHECK(campaign.at("data").at("campaignId").as_string() == "k-1");
}

TEST_CASE("an unknown event type or an unreadable payload delivers empty data",
          "[webhook_ingest][outgoing]") {
  ev::ChannelChanged c;
  c.set_platform("facebook");
  json::value unknown = json::parse(EventBody(Envelope("something.new", c)));
  CHECK(unknown.at("data").as_object().empty());
  CHECK(unknown.at("type").as_string() == "something.new");

  ev::EventEnvelope broken = Envelope("message.received", c);
  broken.set_payload("\xff\xff\xff");
  CHECK(json::parse(EventBody(broken)).at("data").as_object().empty());
}

TEST_CASE("subscriptions name known types or the wildcard, one to fifty of them",
          "[webhook_ingest][outgoing]") {
  auto ok = ValidateEventTypes({"message.received", "conversation.started", "message.received"});
  REQUIRE(ok.ok());
  CHECK(*ok == std::vector<std::string>{"message.received", "conversation.started"});
  CHECK(ValidateEventTypes({"*"}).ok());

  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{}, std::vector<std::string>{"message.nope"},
        std::vector<std::string>{"automation.webhook"}, std::vector<std::string>{""},
        std::vector<std::string>(51, "message.sent")}) {
    auto st = ValidateEventTypes(bad);
    REQUIRE_FALSE(st.ok());
    CHECK(st.status().code() == Code::kInvalidArgument);
    REQUIRE(st.status().violations().size() == 1);
    CHECK(st.status().violations()[0].field == "events");
  }
  for (const auto& type : SubscribableEventTypes()) {
    INFO(type);
    CHECK(ValidateEventTypes({type}).ok());
  }
}

TEST_CASE("the wildcard matches every type but an automation's webhook action",
          "[webhook_ingest][outgoing]") {
  CHECK(Subscribes({"*"}, "message.received"));
  CHECK(Subscribes({"lead.scored", "message.sent"}, "message.sent"));
  CHECK_FALSE(Subscribes({"lead.scored"}, "message.sent"));
  CHECK_FALSE(Subscribes({"*"}, kAutomationWebhookType));
}

TEST_CASE("a secret is taken when 16 to 200 printable characters, else made",
          "[webhook_ingest][outgoing]") {
  auto made = ResolveSecret("");
  REQUIRE(made.ok());
  CHECK(made->rfind("whsec_", 0) == 0);
  CHECK(made->size() == 6 + 48);
  CHECK(*ResolveSecret("") != *made);
  CHECK(*ResolveSecret("0123456789abcdef") == "0123456789abcdef");
  for (const std::string& bad : {std::string("short"), std::string(201, 'a'),
                                 std::string("with a space in it!"), std::string("tab\there-0123456")}) {
    auto st = ResolveSecret(bad);
    REQUIRE_FALSE(st.ok());
    CHECK(st.status().violations().at(0).field == "secret");
  }
  CHECK(SecretHint("whsec_0123456789abcd") == "\u2026abcd");
}

}  // namespace
}  // namespace salesos::webhook_ingest
