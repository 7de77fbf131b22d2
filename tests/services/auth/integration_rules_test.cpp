// The pure rules of channel integrations: what each platform needs, ids, tokens, names,
// settings, the hint, the aad and list paging.

#include "integration_rules.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "salesos/core/ids.h"

namespace salesos::auth {
namespace {

// The field the first violation names, or "" when the status is ok.
std::string FieldOf(const Status& st) {
  INFO(st.ToString());
  if (st.ok()) {
    return "";
  }
  REQUIRE(st.code() == Code::kInvalidArgument);
  REQUIRE(st.violations().size() == 1);
  return st.violations().front().field;
}

template <typename T>
std::string FieldOf(const Result<T>& r) {
  return FieldOf(r.status());
}

v1::CreateIntegrationRequest Facebook() {
  v1::CreateIntegrationRequest req;
  req.set_platform("facebook");
  req.set_page_id("104729384756");
  req.set_page_access_token("EAAGm0PX4ZCpsBAabcd");
  req.set_page_name("Ada's Lamps");
  return req;
}

v1::CreateIntegrationRequest Instagram() {
  v1::CreateIntegrationRequest req;
  req.set_platform("instagram");
  req.set_account_id("17841400000000001");
  req.set_page_access_token("IGQVJabcd1234");
  req.set_username("adaslamps");
  return req;
}

v1::CreateIntegrationRequest WhatsApp() {
  v1::CreateIntegrationRequest req;
  req.set_platform("whatsapp");
  req.set_phone_number_id("109876543210");
  req.set_waba_id("102345678901");
  req.set_access_token("EAAwhatsappTOKENwxyz");
  req.set_display_phone_number("+1 555 0100");
  return req;
}

TEST_CASE("each platform's request becomes one connection shape", "[auth][integrations]") {
  auto fb = ValidateCreateIntegration(Facebook());
  REQUIRE(fb.ok());
  CHECK(fb->platform == "facebook");
  CHECK(fb->external_id == "104729384756");
  CHECK(fb->access_token == "EAAGm0PX4ZCpsBAabcd");
  CHECK(fb->name == "Ada's Lamps");
  CHECK(fb->waba_id.empty());

  auto ig = ValidateCreateIntegration(Instagram());
  REQUIRE(ig.ok());
  CHECK(ig->platform == "instagram");
  CHECK(ig->external_id == "17841400000000001");
  CHECK(ig->access_token == "IGQVJabcd1234");
  CHECK(ig->name == "adaslamps");

  auto wa = ValidateCreateIntegration(WhatsApp());
  REQUIRE(wa.ok());
  CHECK(wa->platform == "whatsapp");
  CHECK(wa->external_id == "109876543210");
  CHECK(wa->waba_id == "102345678901");
  CHECK(wa->access_token == "EAAwhatsappTOKENwxyz");
  CHECK(wa->name == "+1 555 0100");
}

TEST_CASE("the display name is optional on every platform", "[auth][integrations]") {
  auto fb = Facebook();
  fb.clear_page_name();
  CHECK(ValidateCreateIntegration(fb).ok());
  auto ig = Instagram();
  ig.clear_username();
  CHECK(ValidateCreateIntegration(ig).ok());
  auto wa = WhatsApp();
  wa.clear_display_phone_number();
  CHECK(ValidateCreateIntegration(wa).ok());
}

TEST_CASE("an unknown or missing platform is refused naming platform", "[auth][integrations]") {
  auto req = Facebook();
  for (const char* platform : {"", "telegram", "Facebook", "facebook "}) {
    INFO(platform);
    req.set_platform(platform);
    CHECK(FieldOf(ValidateCreateIntegration(req)) == "platform");
  }
}

TEST_CASE("each platform's required fields are named when missing", "[auth][integrations]") {
  auto fb = Facebook();
  fb.clear_page_id();
  auto missing = ValidateCreateIntegration(fb);
  CHECK(FieldOf(missing) == "pageId");
  CHECK(missing.status().violations().front().description == "is required for facebook");
  fb = Facebook();
  fb.clear_page_access_token();
  CHECK(FieldOf(ValidateCreateIntegration(fb)) == "pageAccessToken");
  // Another platform's token field does not stand in.
  fb.set_access_token("EAAGm0PX4ZCpsBAabcd");
  CHECK(FieldOf(ValidateCreateIntegration(fb)) == "pageAccessToken");

  auto ig = Instagram();
  ig.clear_account_id();
  ig.set_page_id("104729384756");
  CHECK(FieldOf(ValidateCreateIntegration(ig)) == "accountId");
  ig = Instagram();
  ig.clear_page_access_token();
  CHECK(FieldOf(ValidateCreateIntegration(ig)) == "pageAccessToken");

  auto wa = WhatsApp();
  wa.clear_phone_number_id();
  CHECK(FieldOf(ValidateCreateIntegration(wa)) == "phoneNumberId");
  wa = WhatsApp();
  wa.clear_waba_id();
  CHECK(FieldOf(ValidateCreateIntegration(wa)) == "wabaId");
  wa = WhatsApp();
  wa.clear_access_token();
  wa.set_page_access_token("EAAwhatsappTOKENwxyz");
  CHECK(FieldOf(ValidateCreateIntegration(wa)) == "accessToken");
}

TEST_CASE("external ids are 1 to 64 digits", "[auth][integrations]") {
  CHECK(ValidateExternalId("1", "pageId").ok());
  CHECK(ValidateExternalId(std::string(64, '9'), "pageId").ok());
  CHECK(FieldOf(ValidateExternalId("", "pageId")) == "pageId");
  CHECK(FieldOf(ValidateExternalId(std::string(65, '9'), "pageId")) == "pageId");
  for (const char* bad : {"abc", "12a4", "-12", "12 34", " 1234", "1.5", "１２３"}) {
    INFO(bad);
    CHECK(FieldOf(ValidateExternalId(bad, "accountId")) == "accountId");
  }
  auto fb = Facebook();
  fb.set_page_id("my-page");
  CHECK(FieldOf(ValidateCreateIntegration(fb)) == "pageId");
  auto wa = WhatsApp();
  wa.set_waba_id("waba");
  CHECK(FieldOf(ValidateCreateIntegration(wa)) == "wabaId");
}

TEST_CASE("tokens are 1 to 4096 printable ASCII characters without spaces",
          "[auth][integrations]") {
  CHECK(ValidateAccessToken("a", "accessToken").ok());
  CHECK(ValidateAccessToken(std::string(4096, 'x'), "accessToken").ok());
  CHECK(ValidateAccessToken("EAA-._~+/=!#$%&*?|0123456789abcdefXYZ", "accessToken").ok());
  CHECK(FieldOf(ValidateAccessToken("", "accessToken")) == "accessToken");
  CHECK(FieldOf(ValidateAccessToken(std::string(4097, 'x'), "accessToken")) == "accessToken");
  for (const std::string& bad :
       std::vector<std::string>{"EAA abc", "EAA\n", "\tEAA", std::string("EA\0A", 4), "EAAé"}) {
    CHECK(FieldOf(ValidateAccessToken(bad, "pageAccessToken")) == "pageAccessToken");
  }
}

TEST_CASE("names have at most 200 characters and no controls", "[auth][integrations]") {
  CHECK(ValidateIntegrationName("", "name").ok());
  CHECK(ValidateIntegrationName(std::string(200, 'n'), "name").ok());
  // Counted in characters, not bytes: 200 two-byte letters fit.
  std::string accents;
  for (int i = 0; i < 200; ++i) {
    accents += "é";
  }
  CHECK(ValidateIntegrationName(accents, "pageName").ok());
  CHECK(FieldOf(ValidateIntegrationName(accents + "é", "pageName")) == "pageName");
  CHECK(FieldOf(ValidateIntegrationName(std::string(201, 'n'), "name")) == "name");
  CHECK(FieldOf(ValidateIntegrationName("line\nbreak", "username")) == "username");
  CHECK(FieldOf(ValidateIntegrationName(std::string("nul\0", 4), "username")) == "username");
  CHECK(FieldOf(ValidateIntegrationName("c1\xC2\x85", "username")) == "username");
  CHECK(FieldOf(ValidateIntegrationName("\xff\xfe", "username")) == "username");
  auto fb = Facebook();
  fb.set_page_name(std::string(201, 'n'));
  CHECK(FieldOf(ValidateCreateIntegration(fb)) == "pageName");
}

TEST_CASE("time zones are UTC or Area/Location names", "[auth][integrations]") {
  for (const char* good : {"UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5",
                           "Etc/GMT-14", "America/Port-au-Prince"}) {
    INFO(good);
    CHECK(ValidateTimezone(good, "tz").ok());
  }
  for (const char* bad :
       {"", "Paris", "utc", "GMT", "Europe/", "/Paris", "Europe//Paris", "Europe/Paris ",
        "Europe/Par is", "../../etc/passwd", "Europe\\Paris", "1Europe/Paris"}) {
    INFO(bad);
    CHECK(FieldOf(ValidateTimezone(bad, "tz")) == "tz");
  }
  CHECK(FieldOf(ValidateTimezone("Europe/" + std::string(58, 'a'), "tz")) == "tz");
  CHECK(ValidateTimezone("Europe/" + std::string(57, 'a'), "tz").ok());
}

TEST_CASE("a day's opening hours are ordered HH:MM ranges", "[auth][integrations]") {
  for (const char* good : {"09:00-17:00", "00:00-24:00", "09:00-12:00,13:30-18:00",
                           "09:00-12:00, 12:00-13:00", "23:59-24:00"}) {
    INFO(good);
    CHECK(ValidateDaySchedule(good, "d").ok());
  }
  for (const char* bad :
       {"", " ", "9:00-17:00", "09:00-17:00,", ",09:00-17:00", "17:00-09:00", "09:00-09:00",
        "09:00-25:00", "24:00-24:30", "09:60-10:00", "09:00 - 17:00", "09:00-17:00;18:00-19:00",
        "13:00-14:00,09:00-10:00", "09:00-12:00,11:00-13:00", "0900-1700", "ab:cd-ef:gh"}) {
    INFO(bad);
    CHECK(FieldOf(ValidateDaySchedule(bad, "d")) == "d");
  }
  std::string many;
  for (int h = 0; h < 25; ++h) {
    many += (h ? "," : "") + std::string(h < 10 ? "0" : "") + std::to_string(h % 24) + ":00-" +
            (h < 10 ? "0" : "") + std::to_string(h % 24) + ":30";
  }
  CHECK(FieldOf(ValidateDaySchedule(many, "d")) == "d");
}

TEST_CASE("settings are checked with the full path of the bad field", "[auth][integrations]") {
  v1::IntegrationSettings s;
  s.set_auto_reply(true);
  s.mutable_business_hours()->set_enabled(true);
  s.mutable_business_hours()->set_timezone("Europe/Paris");
  (*s.mutable_business_hours()->mutable_schedule())["mon"] = "09:00-17:00";
  (*s.mutable_business_hours()->mutable_schedule())["sun"] = "10:00-12:00";
  CHECK(ValidateIntegrationSettings(s).ok());

  auto bad_tz = s;
  bad_tz.mutable_business_hours()->set_timezone("Mars/Olympus Mons");
  CHECK(FieldOf(ValidateIntegrationSettings(bad_tz)) == "settings.businessHours.timezone");

  auto no_tz = s;
  no_tz.mutable_business_hours()->clear_timezone();
  CHECK(FieldOf(ValidateIntegrationSettings(no_tz)) == "settings.businessHours.timezone");
  // Off, the hours need no time zone, but one given is still checked.
  no_tz.mutable_business_hours()->set_enabled(false);
  CHECK(ValidateIntegrationSettings(no_tz).ok());
  bad_tz.mutable_business_hours()->set_enabled(false);
  CHECK(FieldOf(ValidateIntegrationSettings(bad_tz)) == "settings.businessHours.timezone");

  auto bad_day = s;
  (*bad_day.mutable_business_hours()->mutable_schedule())["monday"] = "09:00-17:00";
  CHECK(FieldOf(ValidateIntegrationSettings(bad_day)) == "settings.businessHours.schedule");

  auto bad_hours = s;
  (*bad_hours.mutable_business_hours()->mutable_schedule())["tue"] = "17:00-09:00";
  CHECK(FieldOf(ValidateIntegrationSettings(bad_hours)) == "settings.businessHours.schedule.tue");

  auto fb = Facebook();
  *fb.mutable_settings() = bad_hours;
  CHECK(FieldOf(ValidateCreateIntegration(fb)) == "settings.businessHours.schedule.tue");
}

TEST_CASE("absent settings default to auto-reply, always open, email notifications",
          "[auth][integrations]") {
  auto fb = ValidateCreateIntegration(Facebook());
  REQUIRE(fb.ok());
  CHECK(fb->settings.auto_reply());
  CHECK_FALSE(fb->settings.business_hours().enabled());
  CHECK(fb->settings.notifications().email());
  CHECK_FALSE(fb->settings.notifications().push());

  // Settings given are taken as given, including falses.
  auto req = Facebook();
  req.mutable_settings()->set_auto_reply(false);
  req.mutable_settings()->mutable_notifications()->set_push(true);
  auto given = ValidateCreateIntegration(req);
  REQUIRE(given.ok());
  CHECK_FALSE(given->settings.auto_reply());
  CHECK_FALSE(given->settings.notifications().email());
  CHECK(given->settings.notifications().push());
}

TEST_CASE("the credentials hint shows the last four characters only", "[auth][integrations]") {
  CHECK(CredentialsHint("EAAGm0PX4ZCpsBAabcd") == "…abcd");
  CHECK(CredentialsHint("12345678") == "…5678");
  // Short tokens show at most half of themselves.
  CHECK(CredentialsHint("123456") == "…456");
  CHECK(CredentialsHint("a") == "…");
}

TEST_CASE("the aad binds credentials to their workspace and row", "[auth][integrations]") {
  CHECK(CredentialsAad("w1", "i1") == "w1/i1");
  CHECK(CredentialsAad("w1", "i1") != CredentialsAad("w2", "i1"));
  CHECK(CredentialsAad("w1", "i1") != CredentialsAad("w1", "i2"));
}

TEST_CASE("page sizes default to 50 and stop at 200", "[auth][integrations]") {
  CHECK(*ResolveIntegrationPageSize(0) == 50);
  CHECK(*ResolveIntegrationPageSize(1) == 1);
  CHECK(*ResolveIntegrationPageSize(200) == 200);
  CHECK(FieldOf(ResolveIntegrationPageSize(201)) == "pageSize");
  CHECK(FieldOf(ResolveIntegrationPageSize(-1)) == "pageSize");
}

TEST_CASE("page tokens round-trip and anything else is refused", "[auth][integrations]") {
  std::string id = NewUuidV7();
  std::string token = EncodeIntegrationPageToken(id);
  CHECK(token.find(id) == std::string::npos);  // opaque
  CHECK(*DecodeIntegrationPageToken(token) == id);
  CHECK(DecodeIntegrationPageToken("")->empty());
  for (const std::string& bad : {std::string("nope"), id, std::string("aTE6"),
                                 EncodeIntegrationPageToken("not-a-uuid"), token + "x"}) {
    INFO(bad);
    CHECK(FieldOf(DecodeIntegrationPageToken(bad)) == "pageToken");
  }
}

}  // namespace
}  // namespace salesos::auth
