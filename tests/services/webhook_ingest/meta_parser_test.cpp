// The parser on odd and broken shapes: never an exception, never a lost well-formed item, every
// skipped one counted. The shapes Meta documents are in tests/contract/.
#include "meta_parser.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesos::webhook_ingest {
namespace {

ParsedWebhook Parse(const std::string& body) {
  auto parsed = ParseMetaWebhook(body);
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

std::string Page(const std::string& messaging) {
  return R"({"object":"page","entry":[{"id":"104857600123456","time":1,"messaging":[)" + messaging +
         "]}]}";
}

std::string WhatsApp(const std::string& value_fields) {
  return R"({"object":"whatsapp_business_account","entry":[{"id":"230000000000001","changes":[)"
         R"({"field":"messages","value":{"messaging_product":"whatsapp",)"
         R"("metadata":{"phone_number_id":"110000000000001"},)" +
         value_fields + "}}]}]}";
}

constexpr char kUser[] =
    R"("sender":{"id":"7712345678901234"},"recipient":{"id":"104857600123456"})";

}  // namespace

TEST_CASE("a body that is not JSON is INVALID_ARGUMENT", "[webhook_ingest]") {
  for (const std::string body :
       {"", "not json", R"({"object":"page")", R"({"object":"page"} trailing)", "{\"a\":\"\xff\"}",
        R"({"text":"\ud83d"})"}) {
    INFO(body);
    CHECK(ParseMetaWebhook(body).status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("JSON that is not an envelope is one ignored item, not an error", "[webhook_ingest]") {
  for (const std::string body : {"42", "\"page\"", "null", "[1]", R"({"entry":[]})",
                                 R"({"object":"page"})", R"({"object":"page","entry":{}})"}) {
    INFO(body);
    ParsedWebhook p = Parse(body);
    CHECK(p.events.empty());
    CHECK(p.ignored_total() == 1);
  }
  CHECK(Parse(R"({"object":"permissions","entry":[]})").ignored ==
        std::map<std::string, int>{{"unknown_object", 1}});
}

TEST_CASE("an envelope wrapped in an array, as some of Meta's examples show, is read",
          "[webhook_ingest]") {
  std::string one = Page(std::string("{") + kUser + R"(,"message":{"mid":"m_1","text":"a"}})");
  ParsedWebhook p = Parse("[" + one + "," + one + "]");
  CHECK(p.events.size() == 2);
  CHECK(p.ignored.empty());
}

TEST_CASE("an empty batch is nothing to do", "[webhook_ingest]") {
  ParsedWebhook p = Parse(R"({"object":"page","entry":[]})");
  CHECK(p.events.empty());
  CHECK(p.ignored.empty());
}

TEST_CASE("malformed messaging items are counted and the good ones around them kept",
          "[webhook_ingest]") {
  ParsedWebhook p = Parse(Page(
      std::string(R"(7, {"recipient":{"id":"1"},"message":{"mid":"m_x","text":"no sender"}},)") +
      "{" + kUser + R"(,"message":{"text":"no mid"}},)" + "{" + kUser +
      R"(,"message":{"mid":"m_empty"}},)" + "{" + kUser + R"(,"delivery":{"mids":["m_1"]}},)" +
      "{" + kUser + R"(,"read":{}},)" + "{" + kUser + R"(,"postback":{"mid":"m_p"}},)" + "{" +
      kUser + R"(,"message":{"mid":"m_ok","text":"kept"}})"));
  REQUIRE(p.events.size() == 1);
  CHECK(p.events[0].platform_message_id() == "m_ok");
  CHECK(p.ignored == std::map<std::string, int>{{"malformed", 7}});
}

TEST_CASE("ids and timestamps sent with the other JSON type are read the same",
          "[webhook_ingest]") {
  ParsedWebhook p = Parse(
      R"({"object":"page","entry":[{"id":104857600123456,"messaging":[{"sender":{"id":7712345678901234},)"
      R"("recipient":{"id":"104857600123456"},"timestamp":"1767225600987",)"
      R"("message":{"mid":"m_1","text":"hi"}}]}]})");
  REQUIRE(p.events.size() == 1);
  CHECK(p.events[0].channel_external_id() == "104857600123456");
  CHECK(p.events[0].sender_id() == "7712345678901234");
  CHECK(p.events[0].timestamp_ms() == 1767225600987);

  ParsedWebhook wa = Parse(WhatsApp(
      R"("messages":[{"from":447700900123,"id":"wamid.1","timestamp":1767226200,"type":"text","text":{"body":"hi"}}])"));
  REQUIRE(wa.events.size() == 1);
  CHECK(wa.events[0].sender_id() == "447700900123");
  CHECK(wa.events[0].timestamp_ms() == 1767226200000);
}

TEST_CASE("wrong types, negative and huge numbers never throw", "[webhook_ingest]") {
  ParsedWebhook p = Parse(Page(
      std::string("{") + kUser +
      R"(,"timestamp":-5,"message":{"mid":"m_1","text":["x"],"attachments":[1,{"type":7,"payload":"u"}]}},)" +
      "{" + kUser + R"(,"timestamp":1e300,"message":{"mid":"m_2","text":"t","quick_reply":"x"}},)" +
      "{" + kUser + R"(,"timestamp":18446744073709551615,"message":{"mid":"m_3","text":"t"}})"));
  REQUIRE(p.events.size() == 3);
  CHECK(p.events[0].timestamp_ms() == 0);
  CHECK(p.events[0].text().empty());
  REQUIRE(p.events[0].attachments_size() == 1);
  CHECK(p.events[0].attachments(0).type() == "7");  // a number where a string belongs: its digits
  CHECK(p.events[0].attachments(0).url().empty());
  CHECK(p.events[1].timestamp_ms() == 0);
  CHECK(p.events[1].payload().empty());
  CHECK(p.events[2].timestamp_ms() == 0);
  ParsedWebhook wa = Parse(WhatsApp(
      R"("messages":[{"from":"1","id":"wamid.1","timestamp":"99999999999999999999","type":"text","text":{"body":"x"}},)"
      R"({"from":"1","id":"wamid.2","timestamp":"9223372036854776","type":"location","location":{"latitude":"45.5","longitude":{}}}],)"
      R"("statuses":[{"id":"wamid.3","status":"failed","errors":[5,{"code":99999999999}]}])"));
  REQUIRE(wa.events.size() == 3);
  CHECK(wa.events[0].timestamp_ms() == 0);
  CHECK(wa.events[1].timestamp_ms() == 0);
  CHECK(wa.events[1].location().latitude() == 45.5);
  CHECK(wa.events[1].location().longitude() == 0);
  REQUIRE(wa.events[2].status().errors_size() == 1);
  CHECK(wa.events[2].status().errors(0).code() == 0);
}

TEST_CASE(
    "Instagram deleted and unsupported messages, standby items and page feed changes are "
    "counted",
    "[webhook_ingest]") {
  ParsedWebhook p = Parse(
      R"({"object":"instagram","entry":[{"id":"17841400000000001","messaging":[)"
      R"({"sender":{"id":"1"},"recipient":{"id":"2"},"message":{"mid":"m_1","is_deleted":true}},)"
      R"({"sender":{"id":"1"},"recipient":{"id":"2"},"message":{"mid":"m_2","is_unsupported":true}},)"
      R"({"sender":{"id":"1"},"recipient":{"id":"2"},"optin":{"ref":"x"}},)"
      R"({"sender":{"id":"1"},"recipient":{"id":"2"}}]},)"
      R"({"id":"17841400000000001","standby":[{},{}]},)"
      R"({"id":"17841400000000001","changes":[{"field":"comments","value":{}}]},)"
      R"({"id":"17841400000000001"}]})");
  CHECK(p.events.empty());
  CHECK(p.ignored == std::map<std::string, int>{{"deleted", 1},
                                                {"unsupported", 1},
                                                {"unknown_event:optin", 1},
                                                {"unknown_event:none", 1},
                                                {"standby", 2},
                                                {"unknown_field", 1},
                                                {"malformed", 1}});
}

TEST_CASE("WhatsApp system errors, unknown statuses and interactive types are counted",
          "[webhook_ingest]") {
  ParsedWebhook p = Parse(WhatsApp(
      R"("errors":[{"code":130429,"title":"Rate limit hit"}],)"
      R"("statuses":[{"id":"wamid.1","status":"played","recipient_id":"1"},{"id":"wamid.2"},)"
      R"({"status":"read"}],)"
      R"("messages":[{"from":"1","id":"wamid.3","type":"interactive","interactive":{"type":"nfm_reply","nfm_reply":{}}},)"
      R"({"from":"1","id":"wamid.4","type":"interactive","interactive":{}},)"
      R"({"from":"1","id":"wamid.5","type":"text"},)"
      R"({"from":"1","id":"wamid.6"},)"
      R"({"id":"wamid.7","type":"text","text":{"body":"no sender"}}])"));
  CHECK(p.events.empty());
  CHECK(p.ignored == std::map<std::string, int>{{"system_error", 1},
                                                {"unknown_status:played", 1},
                                                {"unknown_status:none", 1},
                                                {"malformed", 3},
                                                {"unknown_type:interactive.nfm_reply", 1},
                                                {"unknown_type:interactive.", 1},
                                                {"unknown_type:none", 1}});
}

TEST_CASE("a WhatsApp change without a phone_number_id or anything in it is malformed",
          "[webhook_ingest]") {
  ParsedWebhook p = Parse(
      R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[)"
      R"({"field":"messages","value":{"messages":[{"from":"1","id":"w","type":"text","text":{"body":"x"}}]}},)"
      R"({"field":"messages","value":{"metadata":{"phone_number_id":"2"}}},)"
      R"({"field":"messages"}, 3]}, {"id":"2"}]})");
  CHECK(p.events.empty());
  CHECK(p.ignored == std::map<std::string, int>{{"malformed", 5}});
}

TEST_CASE("a sender-chosen type name is cut short in the counts", "[webhook_ingest]") {
  std::string type(5000, 'x');
  ParsedWebhook p = Parse(WhatsApp(R"("messages":[{"from":"1","id":"w","type":")" + type + "\"}]"));
  REQUIRE(p.ignored.size() == 1);
  CHECK(p.ignored.begin()->first == "unknown_type:" + std::string(40, 'x'));
}

TEST_CASE("a contact matched by wa_id, or the only contact, names the sender", "[webhook_ingest]") {
  ParsedWebhook p = Parse(WhatsApp(
      R"("contacts":[{"profile":{"name":"Only"},"user_id":"BSUID.1"}],)"
      R"("messages":[{"from":"447700900123","id":"w1","type":"text","text":{"body":"x"}}])"));
  REQUIRE(p.events.size() == 1);
  CHECK(p.events[0].contact_name() == "Only");
  ParsedWebhook two = Parse(WhatsApp(
      R"("contacts":[{"profile":{"name":"A"},"wa_id":"1"},{"profile":{"name":"B"},"wa_id":"2"}],)"
      R"("messages":[{"from":"3","id":"w1","type":"text","text":{"body":"x"}}])"));
  REQUIRE(two.events.size() == 1);
  CHECK(two.events[0].contact_name().empty());
}

TEST_CASE("an item without an entry id takes its channel from the business's side",
          "[webhook_ingest]") {
  ParsedWebhook p = Parse(
      R"({"object":"page","entry":[{"messaging":[)"
      R"({"sender":{"id":"7"},"recipient":{"id":"104"},"message":{"mid":"m_1","text":"in"}},)"
      R"({"sender":{"id":"104"},"recipient":{"id":"7"},"message":{"mid":"m_2","text":"out","is_echo":true}}]}]})");
  REQUIRE(p.events.size() == 2);
  CHECK(p.events[0].channel_external_id() == "104");
  CHECK(p.events[1].channel_external_id() == "104");
}

TEST_CASE("a postback without mid is deduplicated by sender, time and payload",
          "[webhook_ingest]") {
  auto key = [](const std::string& payload, const std::string& ts) {
    ParsedWebhook p = Parse(Page(std::string("{") + kUser + R"(,"timestamp":)" + ts +
                                 R"(,"postback":{"title":"Go","payload":")" + payload + "\"}}"));
    REQUIRE(p.events.size() == 1);
    CHECK(p.events[0].platform_message_id().empty());
    return DedupeKey(p.events[0]);
  };
  std::string a = key("BOOK", "1767225699870");
  CHECK(a.rfind("salesos:dedupe:facebook:postback:", 0) == 0);
  CHECK(a.size() == std::string("salesos:dedupe:facebook:postback:").size() + 32);
  CHECK(a == key("BOOK", "1767225699870"));
  CHECK(a != key("MENU", "1767225699870"));
  CHECK(a != key("BOOK", "1767225699871"));
}

TEST_CASE("a delivery's dedupe key is its channel, sender and watermark", "[webhook_ingest]") {
  ParsedWebhook p =
      Parse(Page(std::string("{") + kUser + R"(,"delivery":{"watermark":1767225904000}})"));
  REQUIRE(p.events.size() == 1);
  CHECK(DedupeKey(p.events[0]) ==
        "salesos:dedupe:facebook:delivery:104857600123456:7712345678901234:1767225904000");
}

}  // namespace salesos::webhook_ingest
