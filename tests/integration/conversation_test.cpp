// conversation through the whole suite: signed Meta deliveries POSTed to the gateway's
// /webhooks/meta, consumed from salesos:inbound, and read back over the API: one conversation with
// the customer's message, a redelivery (even one that reaches the stream twice) adding nothing, the
// contact readable by its workspace only, and a template rendered with that contact's name.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>

#include "salesos/core/ids.h"
#include "salesos/crypto/hash.h"
#include "salesos/redis/redis.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

constexpr char kAppSecret[] = "5b2c6f0e9d8a7b6c5d4e3f2a1b0c9d8e";
constexpr auto kWait = std::chrono::seconds(15);

SuiteOptions WithMetaSecret() {
  SuiteOptions options;
  // The AI's answers are messaging_test.cpp's story; here it stays quiet for the whole test.
  options.extra_env = {std::string("SALESOS_META_APP_SECRET=") + kAppSecret,
                       "SALESOS_AI_DEBOUNCE_MS=60000"};
  return options;
}

std::string NewChannelId() {
  std::string id = "10";
  for (char c : salesos::RandomHex(7)) {
    id += std::to_string(static_cast<unsigned char>(c) % 10);
  }
  return id;
}

HttpResult PostSigned(HttpClient& http, const std::string& body) {
  std::string signature =
      "sha256=" + salesos::HexEncode(salesos::crypto::HmacSha256(kAppSecret, body));
  return http.Request("POST", "/webhooks/meta", body,
                      {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", signature}});
}

std::string MessengerText(const std::string& page_id, const std::string& mid) {
  return R"({"object":"page","entry":[{"id":")" + page_id +
         R"(","time":1767225601234,"messaging":[{"sender":{"id":"7712345678901234"},)"
         R"("recipient":{"id":")" +
         page_id + R"("},"timestamp":1767225600987,"message":{"mid":")" + mid +
         R"(","text":"Do you ship to Lyon?"}}]}]})";
}

std::string WhatsAppText(const std::string& phone_number_id, const std::string& wamid) {
  return R"({"object":"whatsapp_business_account","entry":[{"id":"230000000000001","changes":[)"
         R"({"field":"messages","value":{"messaging_product":"whatsapp","metadata":)"
         R"({"display_phone_number":"15550001234","phone_number_id":")" +
         phone_number_id +
         R"("},"contacts":[{"profile":{"name":"Jos\u00e9 N\u00fa\u00f1ez"},"wa_id":"34612345678"}],)"
         R"("messages":[{"from":"34612345678","id":")" +
         wamid + R"(","timestamp":"1767226200","type":"text","text":{"body":"Hola"}}]}}]}]})";
}

// The workspace's conversations once `count` of them show, else the last answer.
json::array Conversations(HttpClient& http, const Account& owner, size_t count,
                          const std::string& query = "") {
  json::array last;
  WaitFor(
      [&] {
        HttpResult r = Send(http, "GET", "/api/v1/conversations" + query, owner.token);
        if (r.status != 200) {
          return false;
        }
        last = Json(r).at("conversations").as_array();
        return last.size() >= count;
      },
      kWait);
  return last;
}

size_t StreamLength(Suite& suite, const std::string& stream) {
  auto redis = salesos::redis::Connect(suite.redis().url());
  REQUIRE(redis.ok());
  auto reply = (*redis)->Command({"XLEN", stream});
  REQUIRE(reply.ok());
  return static_cast<size_t>(reply->integer);
}

// True once the group "conversation" was handed `entry_id` and has nothing pending.
bool Consumed(salesos::redis::Client& redis, const std::string& entry_id) {
  auto groups = redis.Command({"XINFO", "GROUPS", "salesos:inbound"});
  if (!groups.ok()) {
    return false;
  }
  for (const auto& group : groups->elements) {
    std::map<std::string, const salesos::redis::Reply*> fields;
    for (size_t i = 0; i + 1 < group.elements.size(); i += 2) {
      fields[group.elements[i].str] = &group.elements[i + 1];
    }
    if (fields.count("name") && fields["name"]->str == "conversation") {
      return fields.count("last-delivered-id") && fields["last-delivered-id"]->str == entry_id &&
             fields.count("pending") && fields["pending"]->integer == 0;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("conversation: a Meta message becomes one conversation, readable by its workspace only",
          "[integration][conversation][gateway]") {
  Suite suite{WithMetaSecret()};
  auto client = suite.Client();
  HttpClient& http = *client;
  Account owner = Register(http, "Lumi Lamps");
  std::string page_id = NewChannelId();
  HttpResult page = Send(http, "POST", "/api/v1/integrations", owner.token,
                         json::value{{"platform", "facebook"},
                                     {"pageId", page_id},
                                     {"pageAccessToken", "EAA" + salesos::RandomHex(12) + "abcd"},
                                     {"pageName", "Lumi Lamps"}});
  REQUIRE(page.status == 200);

  std::string body = MessengerText(page_id, "m_conv-" + salesos::RandomHex(6));
  REQUIRE(PostSigned(http, body).status == 200);
  json::array list = Conversations(http, owner, 1);
  REQUIRE(list.size() == 1);
  const json::value& conv = list.at(0);
  std::string conversation_id = Str(conv.at("id"));
  std::string contact_id = Str(conv.at("contactId"));
  CHECK(salesos::IsUuid(conversation_id));
  CHECK(Str(conv.at("platform")) == "facebook");
  CHECK(Str(conv.at("status")) == "active");
  CHECK(Str(conv.at("handler")) == "ai");
  CHECK(Str(conv.at("lastMessage").at("content")) == "Do you ship to Lyon?");
  CHECK(Str(conv.at("lastMessage").at("sender")) == "customer");

  // The same delivery again: webhook_ingest drops it; and even a copy that reaches the stream
  // (a redelivery after its dedupe mark expired) adds no message.
  REQUIRE(PostSigned(http, body).status == 200);
  auto redis = salesos::redis::Connect(suite.redis().url());
  REQUIRE(redis.ok());
  auto entries = (*redis)->Command({"XRANGE", "salesos:inbound", "-", "+"});
  REQUIRE(entries.ok());
  REQUIRE(entries->elements.size() == 1);
  std::vector<std::string> copy = {"XADD", "salesos:inbound", "*"};
  for (const auto& field : entries->elements.at(0).elements.at(1).elements) {
    copy.push_back(field.str);
  }
  auto copied = (*redis)->Command(copy);
  REQUIRE(copied.ok());
  REQUIRE(StreamLength(suite, "salesos:inbound") == 2);
  // The copy is consumed (delivered to the group and acknowledged) without a second message.
  CHECK(WaitFor([&] { return Consumed(**redis, copied->str); }, kWait));
  HttpResult messages =
      Send(http, "GET", "/api/v1/conversations/" + conversation_id + "/messages", owner.token);
  REQUIRE(messages.status == 200);
  auto message_list = Json(messages).at("messages").as_array();
  REQUIRE(message_list.size() == 1);
  CHECK(Str(message_list.at(0).at("content")) == "Do you ship to Lyon?");
  CHECK_FALSE(Json(messages).at("hasMore").as_bool());
  CHECK(Conversations(http, owner, 1).size() == 1);

  HttpResult got = Send(http, "GET", "/api/v1/conversations/" + conversation_id, owner.token);
  REQUIRE(got.status == 200);
  CHECK(Str(Json(got).at("contactId")) == contact_id);
  HttpResult contact = Send(http, "GET", "/api/v1/contacts/" + contact_id, owner.token);
  REQUIRE(contact.status == 200);
  CHECK(Str(Json(contact).at("platformUserId")) == "7712345678901234");
  CHECK(Conversations(http, owner, 0, "?handler=agent").empty());
  CHECK(Send(http, "GET", "/api/v1/conversations?status=sleeping", owner.token).status == 400);

  // Another workspace: nothing of it.
  Account stranger = Register(http, "Tia's Lamps");
  CHECK(Send(http, "GET", "/api/v1/conversations/" + conversation_id, stranger.token).status ==
        404);
  CHECK(Send(http, "GET", "/api/v1/conversations/" + conversation_id + "/messages", stranger.token)
            .status == 404);
  CHECK(Send(http, "GET", "/api/v1/contacts/" + contact_id, stranger.token).status == 404);
  HttpResult theirs = Send(http, "GET", "/api/v1/conversations", stranger.token);
  REQUIRE(theirs.status == 200);
  CHECK(Json(theirs).at("conversations").as_array().empty());
  CHECK(Send(http, "GET", "/api/v1/conversations", "").status == 401);

  // A WhatsApp customer with a profile name: templates render with it by contactId.
  std::string phone_id = NewChannelId();
  HttpResult wa = Send(http, "POST", "/api/v1/integrations", owner.token,
                       json::object{{"platform", "whatsapp"},
                                    {"phoneNumberId", phone_id},
                                    {"wabaId", "102345678901"},
                                    {"accessToken", "EAA" + salesos::RandomHex(12) + "abcd"},
                                    {"displayPhoneNumber", "+1 555 0100"}});
  REQUIRE(wa.status == 200);
  REQUIRE(PostSigned(http, WhatsAppText(phone_id, "wamid.conv-" + salesos::RandomHex(6))).status ==
          200);
  json::array whatsapp = Conversations(http, owner, 1, "?platform=whatsapp");
  REQUIRE(whatsapp.size() == 1);
  std::string wa_contact = Str(whatsapp.at(0).at("contactId"));
  HttpResult tmpl = Send(http, "POST", "/api/v1/templates", owner.token,
                         json::object{{"name", "Welcome"},
                                      {"category", "outreach"},
                                      {"body", "Hi {{contact.firstName}} {{contact.lastName}}!"}});
  REQUIRE(tmpl.status == 200);
  std::string template_id = Str(Json(tmpl).at("id"));
  HttpResult rendered = Send(http, "POST", "/api/v1/templates/" + template_id + "/render",
                             owner.token, json::object{{"contactId", wa_contact}});
  INFO(rendered.body);
  REQUIRE(rendered.status == 200);
  CHECK(Str(Json(rendered).at("text")) ==
        "Hi Jos\xc3\xa9 N\xc3\xba\xc3\xb1"
        "ez!");
  // Another workspace's contact is no contact of this one.
  HttpResult foreign = Send(http, "POST", "/api/v1/templates/" + template_id + "/render",
                            owner.token, json::object{{"contactId", salesos::NewUuidV7()}});
  CHECK(foreign.status == 404);
}
