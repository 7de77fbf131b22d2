#include "support/meta.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "salesos/core/ids.h"
#include "salesos/crypto/hash.h"

namespace salesos::testing {

namespace json = boost::json;

SuiteOptions MetaSuiteOptions(std::vector<std::string> extra_env) {
  SuiteOptions options;
  options.extra_env = {std::string("SALESOS_META_APP_SECRET=") + kMetaAppSecret,
                       "SALESOS_META_VERIFY_TOKEN=verify-" + RandomHex(8)};
  for (auto& e : extra_env) {
    options.extra_env.push_back(std::move(e));
  }
  return options;
}

std::string NewMetaId() {
  std::string id = "10";
  for (char c : RandomHex(7)) {
    id += std::to_string(static_cast<unsigned char>(c) % 10);
  }
  return id;
}

std::string MetaSignature(const std::string& body) {
  return "sha256=" + HexEncode(crypto::HmacSha256(kMetaAppSecret, body));
}

HttpResult PostMetaWebhook(HttpClient& http, const std::string& body) {
  return http.Request(
      "POST", "/webhooks/meta", body,
      {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", MetaSignature(body)}});
}

std::string ConnectChannel(HttpClient& http, const Account& owner, const std::string& platform,
                           const std::string& external_id, const std::string& token) {
  json::object body{{"platform", platform}};
  if (platform == "facebook") {
    body["pageId"] = external_id;
    body["pageAccessToken"] = token;
    body["pageName"] = "Lumi Lamps";
  } else if (platform == "instagram") {
    body["accountId"] = external_id;
    body["pageAccessToken"] = token;
    body["username"] = "lumilamps";
  } else {
    body["phoneNumberId"] = external_id;
    body["wabaId"] = "102345678901";
    body["accessToken"] = token;
    body["displayPhoneNumber"] = "+1 555 0100";
  }
  // Catch-free (benchmarks link this file): a refusal is an exception, which fails a test.
  HttpResult created = http.Request(
      "POST", "/api/v1/integrations", json::serialize(body),
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + owner.token}});
  if (created.status != 200) {
    throw std::runtime_error("connecting a " + platform +
                             " channel: " + std::to_string(created.status) + " " + created.body);
  }
  return std::string(json::parse(created.body).at("id").as_string());
}

namespace {

std::string Messaging(const std::string& object, const std::string& channel,
                      const std::string& customer, const std::string& mid, const std::string& text,
                      int64_t ts_ms) {
  json::object message{{"mid", mid}, {"text", text}};
  json::object item{{"sender", {{"id", customer}}},
                    {"recipient", {{"id", channel}}},
                    {"timestamp", ts_ms},
                    {"message", message}};
  json::object entry{{"id", channel}, {"time", ts_ms + 120}, {"messaging", json::array{item}}};
  return json::serialize(json::object{{"object", object}, {"entry", json::array{entry}}});
}

std::string WhatsAppChange(const std::string& phone_number_id, json::object value) {
  value["messaging_product"] = "whatsapp";
  value["metadata"] = {{"display_phone_number", "15550001234"},
                       {"phone_number_id", phone_number_id}};
  json::object change{{"field", "messages"}, {"value", value}};
  json::object entry{{"id", "230000000000001"}, {"changes", json::array{change}}};
  return json::serialize(
      json::object{{"object", "whatsapp_business_account"}, {"entry", json::array{entry}}});
}

}  // namespace

std::string MessengerTextBody(const std::string& page_id, const std::string& psid,
                              const std::string& mid, const std::string& text, int64_t ts_ms) {
  return Messaging("page", page_id, psid, mid, text, ts_ms);
}

std::string InstagramTextBody(const std::string& account_id, const std::string& igsid,
                              const std::string& mid, const std::string& text, int64_t ts_ms) {
  return Messaging("instagram", account_id, igsid, mid, text, ts_ms);
}

std::string WhatsAppTextBody(const std::string& phone_number_id, const std::string& wa_id,
                             const std::string& profile_name, const std::string& wamid,
                             const std::string& text, int64_t ts_ms) {
  json::object message{{"from", wa_id},
                       {"id", wamid},
                       {"timestamp", std::to_string(ts_ms / 1000)},
                       {"type", "text"},
                       {"text", {{"body", text}}}};
  return WhatsAppChange(
      phone_number_id,
      json::object{{"contacts", json::array{json::object{{"profile", {{"name", profile_name}}},
                                                         {"wa_id", wa_id}}}},
                   {"messages", json::array{message}}});
}

std::string WhatsAppStatusBody(const std::string& phone_number_id, const std::string& wamid,
                               const std::string& wa_id, const std::string& status, int64_t ts_ms,
                               int64_t error_code, const std::string& error_title) {
  json::object s{{"id", wamid},
                 {"status", status},
                 {"timestamp", std::to_string(ts_ms / 1000)},
                 {"recipient_id", wa_id}};
  if (error_code != 0) {
    s["errors"] = json::array{json::object{{"code", error_code},
                                           {"title", error_title},
                                           {"message", error_title},
                                           {"error_data", {{"details", error_title}}}}};
  }
  return WhatsAppChange(phone_number_id, json::object{{"statuses", json::array{s}}});
}

}  // namespace salesos::testing
