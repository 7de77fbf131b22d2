// Meta webhook payloads (tests/contract/meta/*.json, one per shape of protocols.md §4) through the
// signature check and the parser: each fixture's normalised events are compared field by field
// with the expected InboundEvents (anything not listed must be empty), and what is skipped with
// the expected ignored counts.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "meta_parser.h"
#include "meta_signature.h"

namespace salesos::webhook_ingest {
namespace {

using Ignored = std::map<std::string, int>;

constexpr char kSecret[] = "0d1e5c6b9a8f7e6d5c4b3a29181716f5";

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(SALESOS_META_FIXTURES) + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

v1::InboundEvent Event(const std::string& text_proto) {
  v1::InboundEvent ev;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text_proto, &ev));
  return ev;
}

// Parses the fixture and checks its events (in order, every field) and its ignored counts.
void Check(const std::string& name, const std::vector<std::string>& expected,
           const Ignored& ignored = {}) {
  INFO(name);
  auto parsed = ParseMetaWebhook(Fixture(name));
  REQUIRE(parsed.ok());
  CHECK(parsed->ignored == ignored);
  REQUIRE(parsed->events.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    google::protobuf::util::MessageDifferencer diff;
    // Coordinates pass through a double parser: equal within a few ULPs is the same place.
    diff.set_float_comparison(google::protobuf::util::MessageDifferencer::APPROXIMATE);
    std::string report;
    diff.ReportDifferencesToString(&report);
    INFO("event " << i);
    CHECK(diff.Compare(Event(expected[i]), parsed->events[i]));
    CHECK(report == "");
  }
}

// The fields every Messenger item from the customer to the fixtures' page shares.
const std::string kToPage = R"pb(
  platform: "facebook"
  channel_external_id: "104857600123456"
  sender_id: "7712345678901234"
  recipient_id: "104857600123456"
)pb";

// The fields every WhatsApp message from the fixtures' customer to their number shares.
const std::string kFromJose = R"pb(
  platform: "whatsapp"
  kind: "message"
  channel_external_id: "110000000000001"
  sender_id: "34612345678"
  recipient_id: "110000000000001"
  contact_name: "José Núñez"
)pb";

// The fields every WhatsApp status of a message to that customer shares.
const std::string kStatusToJose = R"pb(
  platform: "whatsapp"
  kind: "status"
  raw_type: "status"
  channel_external_id: "110000000000001"
  sender_id: "110000000000001"
  recipient_id: "34612345678"
)pb";

}  // namespace

TEST_CASE("every Meta fixture verifies over its raw bytes, and not once a byte changes",
          "[contract][webhook_ingest]") {
  int fixtures = 0;
  for (const auto& file : std::filesystem::directory_iterator(SALESOS_META_FIXTURES)) {
    std::string name = file.path().filename().string();
    INFO(name);
    std::string body = Fixture(name);
    std::string header = SignatureHeader(body, kSecret);
    CHECK(VerifySignature(body, header, kSecret).ok());
    std::string tampered = body;
    tampered[tampered.size() / 2] ^= 0x01;
    CHECK(VerifySignature(tampered, header, kSecret).code() == Code::kUnauthenticated);
    CHECK(ParseMetaWebhook(body).ok());
    ++fixtures;
  }
  CHECK(fixtures >= 25);
}

TEST_CASE("non-ASCII text is signed as escaped on the wire, so only the raw bytes verify",
          "[contract][webhook_ingest]") {
  std::string raw = Fixture("messenger_text.json");
  REQUIRE(raw.find("\\u00bfTienen env\\u00edo a Lyon? \\ud83d\\ude9a") != std::string::npos);
  std::string header = SignatureHeader(raw, kSecret);
  // Parsing and writing it again gives the same JSON with UTF-8 text: other bytes, other digest.
  std::string reserialized = boost::json::serialize(boost::json::parse(raw));
  REQUIRE(reserialized.find("¿Tienen envío a Lyon? 🚚") != std::string::npos);
  CHECK(VerifySignature(raw, header, kSecret).ok());
  CHECK_FALSE(VerifySignature(reserialized, header, kSecret).ok());
}

TEST_CASE("Messenger text with non-ASCII escapes", "[contract][webhook_ingest]") {
  Check("messenger_text.json", {kToPage + R"pb(
                                  kind: "message"
                                  raw_type: "message"
                                  platform_message_id: "m_AbCdEf0123456789-text-es"
                                  timestamp_ms: 1767225600987
                                  text: "¿Tienen envío a Lyon? 🚚"
                                )pb"});
}

TEST_CASE("Messenger attachments keep their type and URL, in order", "[contract][webhook_ingest]") {
  Check("messenger_attachments.json",
        {kToPage + R"pb(
           kind: "message"
           raw_type: "message"
           platform_message_id: "m_Attach0001-example"
           timestamp_ms: 1767225649321
           attachments {
             type: "image"
             url: "https://scontent.xx.fbcdn.net/v/t1.15752-9/lamp-photo.jpg?_nc_cat=1&oh=00_AfA"
           }
           attachments {
             type: "file"
             url: "https://cdn.fbsbx.com/v/t59.2708-21/invoice-4711.pdf?_nc_cat=2&oh=00_AfB"
           }
         )pb"});
}

TEST_CASE("Messenger postback with its title, payload and link referral",
          "[contract][webhook_ingest]") {
  Check("messenger_postback.json",
        {kToPage + R"pb(
           kind: "postback"
           raw_type: "postback"
           platform_message_id: "m_Postback0001-example"
           timestamp_ms: 1767225699870
           payload: "GET_STARTED"
           payload_title: "Get Started"
           referral { ref: "spring-sale-2026" source: "SHORTLINK" type: "OPEN_THREAD" }
         )pb"});
}

TEST_CASE("Messenger quick reply: the title as text and as payload title, and the payload",
          "[contract][webhook_ingest]") {
  Check("messenger_quick_reply.json", {kToPage + R"pb(
                                         kind: "message"
                                         raw_type: "message"
                                         platform_message_id: "m_QuickReply0001-example"
                                         timestamp_ms: 1767225799500
                                         text: "Mañana"
                                         payload: "DAY_TOMORROW"
                                         payload_title: "Mañana"
                                       )pb"});
}

TEST_CASE("Messenger read receipt carries its watermark", "[contract][webhook_ingest]") {
  Check("messenger_read.json", {kToPage + R"pb(
                                  kind: "read"
                                  raw_type: "read"
                                  timestamp_ms: 1767225899000
                                  watermark_ms: 1767225898000
                                )pb"});
}

TEST_CASE("Messenger delivery carries its watermark and mids (and no timestamp)",
          "[contract][webhook_ingest]") {
  Check("messenger_delivery.json", {kToPage + R"pb(
                                      kind: "delivery"
                                      raw_type: "delivery"
                                      watermark_ms: 1767225904000
                                      message_ids: "m_OutboundReply0001-example"
                                      message_ids: "m_OutboundReply0002-example"
                                    )pb"});
}

TEST_CASE("Messenger echo is kind echo, sent by the page, with its app id and metadata",
          "[contract][webhook_ingest]") {
  Check("messenger_echo.json", {R"pb(
                                  platform: "facebook"
                                  kind: "echo"
                                  raw_type: "message"
                                  channel_external_id: "104857600123456"
                                  sender_id: "104857600123456"
                                  recipient_id: "7712345678901234"
                                  platform_message_id: "m_OutboundReply0001-example"
                                  timestamp_ms: 1767225999000
                                  text: "Yes, 10:00–16:00 on Sundays."
                                  app_id: "1234567890123"
                                  metadata: "llm-reply:conv-42"
                                )pb"});
}

TEST_CASE("Messenger message from an ad carries ref, ad id and source",
          "[contract][webhook_ingest]") {
  Check(
      "messenger_ad_referral.json",
      {R"pb(
         platform: "facebook"
         kind: "message"
         raw_type: "message"
         channel_external_id: "104857600123456"
         sender_id: "7712345678905555"
         recipient_id: "104857600123456"
         platform_message_id: "m_FromAd0001-example"
         timestamp_ms: 1767226049000
         text: "Is the Lumi desk lamp still 49 €?"
         referral { ref: "lumi-lamp" ad_id: "120210000000000123" source: "ADS" type: "OPEN_THREAD" }
       )pb"});
}

TEST_CASE("Instagram message in raw UTF-8 with a reply_to", "[contract][webhook_ingest]") {
  Check("instagram_text.json",
        {R"pb(
           platform: "instagram"
           kind: "message"
           raw_type: "message"
           channel_external_id: "17841400000000001"
           sender_id: "5566778899001122"
           recipient_id: "17841400000000001"
           platform_message_id: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3-example"
           timestamp_ms: 1767226100001
           text: "Livrez-vous à Lyon ? Merci 🙏"
           reply_to: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE2-story"
         )pb"});
}

TEST_CASE("Instagram echo arrives on messages with is_echo", "[contract][webhook_ingest]") {
  Check("instagram_echo.json", {R"pb(
                                  platform: "instagram"
                                  kind: "echo"
                                  raw_type: "message"
                                  channel_external_id: "17841400000000001"
                                  sender_id: "17841400000000001"
                                  recipient_id: "5566778899001122"
                                  platform_message_id: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE4-echo"
                                  timestamp_ms: 1767226159000
                                  text: "Oui, livraison à Lyon en 48 h."
                                )pb"});
}

TEST_CASE("Instagram seen names the message seen instead of a watermark",
          "[contract][webhook_ingest]") {
  Check("instagram_seen.json", {R"pb(
                                  platform: "instagram"
                                  kind: "read"
                                  raw_type: "read"
                                  channel_external_id: "17841400000000001"
                                  sender_id: "5566778899001122"
                                  recipient_id: "17841400000000001"
                                  platform_message_id: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE4-echo"
                                  timestamp_ms: 1767226200400
                                )pb"});
}

TEST_CASE("WhatsApp text: seconds become milliseconds, the contact's name comes along",
          "[contract][webhook_ingest]") {
  Check("whatsapp_text.json",
        {kFromJose + R"pb(raw_type: "text"
                          platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-text"
                          timestamp_ms: 1767226200000
                          text: "¿Tienen envío a Lyon? 🚚"
         )pb"});
}

TEST_CASE("WhatsApp media keep their media id, MIME type, hash, caption and file name",
          "[contract][webhook_ingest]") {
  Check("whatsapp_image.json",
        {kFromJose + R"pb(
           raw_type: "image"
           timestamp_ms: 1767226500000
           platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-image"
           text: "¿Es este el cable correcto?"
           attachments {
             type: "image"
             media_id: "1234567890123456"
             mime_type: "image/jpeg"
             sha256: "3f1c9b0e6d5a4c2b1a09f8e7d6c5b4a3928170615f4e3d2c1b0a998877665544"
             caption: "¿Es este el cable correcto?"
           }
         )pb"});
  Check("whatsapp_audio.json",
        {kFromJose + R"pb(
           raw_type: "audio"
           timestamp_ms: 1767226510000
           platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-audio"
           attachments {
             type: "audio"
             media_id: "2234567890123456"
             mime_type: "audio/ogg; codecs=opus"
             sha256: "b2a1c3d4e5f60718293a4b5c6d7e8f901a2b3c4d5e6f708192a3b4c5d6e7f809"
           }
         )pb"});
  Check("whatsapp_video.json",
        {kFromJose + R"pb(
           raw_type: "video"
           timestamp_ms: 1767226520000
           platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-video"
           text: "Mira cómo parpadea"
           attachments {
             type: "video"
             media_id: "3234567890123456"
             mime_type: "video/mp4"
             sha256: "c3b2a1d4e5f60718293a4b5c6d7e8f901a2b3c4d5e6f708192a3b4c5d6e7f80a"
             caption: "Mira cómo parpadea"
           }
         )pb"});
  Check("whatsapp_document.json",
        {kFromJose + R"pb(
           raw_type: "document"
           timestamp_ms: 1767226530000
           platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-document"
           text: "Factura de marzo"
           attachments {
             type: "document"
             media_id: "4234567890123456"
             mime_type: "application/pdf"
             sha256: "d4c3b2a1e5f60718293a4b5c6d7e8f901a2b3c4d5e6f708192a3b4c5d6e7f80b"
             caption: "Factura de marzo"
             filename: "factura-2026-03.pdf"
           }
         )pb"});
}

TEST_CASE("WhatsApp interactive button and list replies, replying to the business's message",
          "[contract][webhook_ingest]") {
  const std::string common = kFromJose + R"pb(raw_type: "interactive"
  )pb";
  Check("whatsapp_button_reply.json",
        {common + R"pb(
           platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-button"
           timestamp_ms: 1767226400000
           text: "Confirmar"
           reply_to: "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-outbound-9"
           interactive { type: "button_reply" id: "confirm-booking" title: "Confirmar" }
         )pb"});
  Check("whatsapp_list_reply.json",
        {common + R"pb(
           platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-list"
           timestamp_ms: 1767226410000
           text: "Lumi blanca"
           reply_to: "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-outbound-10"
           interactive {
             type: "list_reply"
             id: "lamp-lumi-white"
             title: "Lumi blanca"
             description: "Lámpara de escritorio, 49 €"
           }
         )pb"});
}

TEST_CASE("WhatsApp template button: its text and payload", "[contract][webhook_ingest]") {
  Check("whatsapp_template_button.json",
        {kFromJose +
         R"pb(raw_type: "button"
              platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-tbutton"
              timestamp_ms: 1767226420000
              text: "No más promociones"
              payload: "STOP_PROMOS"
              payload_title: "No más promociones"
              reply_to: "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-template-3"
         )pb"});
}

TEST_CASE("WhatsApp location", "[contract][webhook_ingest]") {
  Check("whatsapp_location.json",
        {kFromJose +
         R"pb(raw_type: "location"
              platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-location"
              timestamp_ms: 1767226430000
              location {
                latitude: 45.764043
                longitude: 4.835659
                name: "Place Bellecour"
                address: "Place Bellecour, 69002 Lyon, France"
              }
         )pb"});
}

TEST_CASE("WhatsApp statuses sent, delivered and read of one message, each its own event",
          "[contract][webhook_ingest]") {
  const std::string common =
      kStatusToJose + R"pb(platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-outbound-7")pb";
  Check("whatsapp_statuses.json",
        {common + R"pb(timestamp_ms: 1767226250000
                       metadata: "conv-42"
                       status { status: "sent" recipient_id: "34612345678" })pb",
         common + R"pb(timestamp_ms: 1767226260000
                       status { status: "delivered" recipient_id: "34612345678" })pb",
         common + R"pb(timestamp_ms: 1767226275000
                       status { status: "read" recipient_id: "34612345678" })pb"});
}

TEST_CASE("WhatsApp failed status carries its errors", "[contract][webhook_ingest]") {
  Check(
      "whatsapp_status_failed.json",
      {kStatusToJose +
       R"pb(platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-outbound-8"
            timestamp_ms: 1767229999000
            status {
              status: "failed"
              recipient_id: "34612345678"
              errors {
                code: 131047
                title: "Re-engagement message"
                message: "Re-engagement message"
                details: "More than 24 hours have passed since the recipient last replied to the sender number."
              }
            }
       )pb"});
}

TEST_CASE("a Messenger batch: every entry and every item, unknown items counted",
          "[contract][webhook_ingest]") {
  Check("messenger_batch.json",
        {R"pb(platform: "facebook"
              kind: "message"
              raw_type: "message"
              channel_external_id: "104857600123456"
              sender_id: "7712345678901234"
              recipient_id: "104857600123456"
              platform_message_id: "m_Batch0001-example"
              timestamp_ms: 1767227000100
              text: "Bonjour 👋")pb",
         R"pb(platform: "facebook"
              kind: "echo"
              raw_type: "message"
              channel_external_id: "104857600123456"
              sender_id: "104857600123456"
              recipient_id: "7712345678901234"
              platform_message_id: "m_Batch0002-example"
              timestamp_ms: 1767227000200
              text: "Bonjour ! Comment puis-je vous aider ?"
              app_id: "1234567890123")pb",
         R"pb(platform: "facebook"
              kind: "delivery"
              raw_type: "delivery"
              channel_external_id: "104857600123456"
              sender_id: "7712345678901234"
              recipient_id: "104857600123456"
              watermark_ms: 1767227000300
              message_ids: "m_Batch0002-example")pb",
         R"pb(platform: "facebook"
              kind: "read"
              raw_type: "read"
              channel_external_id: "104857600999888"
              sender_id: "6600112233445566"
              recipient_id: "104857600999888"
              timestamp_ms: 1767227000400
              watermark_ms: 1767227000350)pb",
         R"pb(platform: "facebook"
              kind: "message"
              raw_type: "message"
              channel_external_id: "104857600999888"
              sender_id: "6600112233445566"
              recipient_id: "104857600999888"
              platform_message_id: "m_Batch0003-example"
              timestamp_ms: 1767227000500
              text: "Rouge"
              payload: "COLOR_RED"
              payload_title: "Rouge")pb"},
        {{"unknown_event:reaction", 1}});
}

TEST_CASE("a WhatsApp batch: several entries, changes, contacts, messages and statuses",
          "[contract][webhook_ingest]") {
  Check("whatsapp_batch.json",
        {kFromJose +
             R"pb(raw_type: "text"
                  platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-batch-1"
                  timestamp_ms: 1767227100000
                  text: "Hola")pb",
         R"pb(platform: "whatsapp"
              kind: "message"
              raw_type: "text"
              channel_external_id: "110000000000001"
              sender_id: "79161234567"
              recipient_id: "110000000000001"
              contact_name: "Анна"
              platform_message_id: "wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzRUIwQ0E4RkQ1-batch-2"
              timestamp_ms: 1767227101000
              text: "Здравствуйте")pb",
         kStatusToJose + R"pb(platform_message_id: "wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-outbound-11"
                              timestamp_ms: 1767227102000
                              status { status: "delivered" recipient_id: "34612345678" })pb",
         R"pb(platform: "whatsapp"
              kind: "message"
              raw_type: "text"
              channel_external_id: "110000000000002"
              sender_id: "447700900123"
              recipient_id: "110000000000002"
              contact_name: "Amina K."
              platform_message_id: "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgg-batch-3"
              timestamp_ms: 1767227103000
              text: "I saw your ad — is it still available?"
              referral {
                ad_id: "120210000000000456"
                source: "ad"
                source_url: "https://fb.me/3cr4Wqqkv"
              })pb"},
        {{"unknown_field", 1}});
}

TEST_CASE("unknown WhatsApp message types are counted, not forwarded",
          "[contract][webhook_ingest]") {
  Check("whatsapp_unknown_type.json", {},
        {{"unknown_type:reaction", 1},
         {"unknown_type:hologram", 1},
         {"unknown_type:unsupported", 1}});
}

TEST_CASE("an unknown object is acknowledged and counted", "[contract][webhook_ingest]") {
  Check("unknown_object.json", {}, {{"unknown_object", 1}});
}

TEST_CASE("dedupe keys: mid, wamid, wamid and status, and a watermark per sender",
          "[contract][webhook_ingest]") {
  auto keys = [](const std::string& name) {
    auto parsed = ParseMetaWebhook(Fixture(name));
    REQUIRE(parsed.ok());
    std::vector<std::string> out;
    for (const auto& ev : parsed->events) {
      out.push_back(DedupeKey(ev));
    }
    return out;
  };
  CHECK(keys("messenger_text.json") ==
        std::vector<std::string>{"salesos:dedupe:facebook:m_AbCdEf0123456789-text-es"});
  CHECK(keys("instagram_echo.json") ==
        std::vector<std::string>{
            "salesos:dedupe:instagram:aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE4-echo"});
  CHECK(keys("whatsapp_text.json") ==
        std::vector<std::string>{
            "salesos:dedupe:whatsapp:wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzRUIwQ0E4RkQ1-text"});
  CHECK(keys("whatsapp_statuses.json") ==
        std::vector<std::string>{
            "salesos:dedupe:whatsapp:wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-outbound-7:sent",
            "salesos:dedupe:whatsapp:wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-outbound-7:delivered",
            "salesos:dedupe:whatsapp:wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-outbound-7:read"});
  CHECK(keys("messenger_read.json") ==
        std::vector<std::string>{
            "salesos:dedupe:facebook:read:104857600123456:7712345678901234:1767225898000"});
  CHECK(keys("instagram_seen.json") ==
        std::vector<std::string>{"salesos:dedupe:instagram:read:17841400000000001:"
                                 "5566778899001122:aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE4-echo"});
}

}  // namespace salesos::webhook_ingest
