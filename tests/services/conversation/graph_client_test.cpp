#include "graph_client.h"

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "salesos/templates/template_renderer.h"
#include "support/fake_graph_api.h"
#include "support/local_http_server.h"

namespace salesos::conversation {
namespace {

namespace json = boost::json;
using templates::Utf8CodePoints;
using testing::ClosedPort;
using testing::FakeGraphApi;

constexpr char kPageId[] = "104857600000001";
constexpr char kPageToken[] = "EAAPage+Token/With=Odd&Chars";
constexpr char kIgToken[] = "IGQVJInstagramToken0001";
constexpr char kPhoneId[] = "106540352242922";
constexpr char kWaToken[] = "EAAWhatsAppSystemUserToken01";

struct Fixture {
  FakeGraphApi graph;
  std::unique_ptr<GraphClient> client;

  explicit Fixture(int timeout_ms = 3000) {
    graph.AcceptToken(kPageId, kPageToken);
    graph.AcceptToken("me", kIgToken);
    graph.AcceptToken(kPhoneId, kWaToken);
    auto made =
        GraphClient::Create(graph.base_url(), {.timeout_ms = timeout_ms, .extra_ca_pem = ""});
    REQUIRE(made.ok());
    client = std::move(made).value();
  }

  json::object LastBody() const {
    auto requests = graph.Requests();
    REQUIRE_FALSE(requests.empty());
    return json::parse(requests.back().body).as_object();
  }
};

ChannelAccess Messenger() { return {"facebook", kPageId, kPageToken}; }
ChannelAccess Instagram() { return {"instagram", "17841400000000001", kIgToken}; }
ChannelAccess WhatsApp() { return {"whatsapp", kPhoneId, kWaToken}; }

OutboundMessage Text(std::string platform, std::string recipient, std::string text) {
  OutboundMessage m;
  m.platform = std::move(platform);
  m.recipient_id = std::move(recipient);
  m.text = std::move(text);
  return m;
}

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Repeat(std::string_view unit, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += unit;
  }
  return out;
}

// --- requests --------------------------------------------------------------------------------

TEST_CASE("Messenger sends to the Page with the token in the query", "[conversation][graph]") {
  Fixture f;
  OutboundMessage m = Text("facebook", "7712345678901234", "Which day suits you?");
  m.metadata = "msg-0190a1b2";
  m.reply_to = "m_InboundMid0001";
  m.quick_replies = {"Today", "Tomorrow", "   ", "A very long option that goes on and on"};
  GraphSendResult r = f.client->Send(Messenger(), m);
  REQUIRE(r.sent);
  CHECK(r.message_id.rfind("m_", 0) == 0);
  CHECK(r.error.empty());
  CHECK(r.http_status == 200);

  auto requests = f.graph.Requests();
  REQUIRE(requests.size() == 1);
  const auto& req = requests[0];
  CHECK(req.method == "POST");
  CHECK(req.path == std::string("/v21.0/") + kPageId + "/messages");
  CHECK(req.access_token == kPageToken);  // percent-encoded on the wire, decoded by the fake
  CHECK(req.target.find("EAAPage%2BToken%2FWith%3DOdd%26Chars") != std::string::npos);
  CHECK(req.authorization.empty());
  CHECK(req.content_type == "application/json");
  CHECK(req.recipient == "7712345678901234");

  json::object body = f.LastBody();
  CHECK(body.at("recipient").at("id").as_string() == "7712345678901234");
  CHECK(body.at("messaging_type").as_string() == "RESPONSE");
  CHECK(body.at("reply_to").at("mid").as_string() == "m_InboundMid0001");
  const auto& message = body.at("message").as_object();
  CHECK(message.at("text").as_string() == "Which day suits you?");
  CHECK(message.at("metadata").as_string() == "msg-0190a1b2");
  const auto& quick = message.at("quick_replies").as_array();
  REQUIRE(quick.size() == 3);  // the blank one is skipped
  CHECK(quick[0].at("content_type").as_string() == "text");
  CHECK(quick[0].at("title").as_string() == "Today");
  CHECK(quick[0].at("payload").as_string() == "Today");
  CHECK(quick[2].at("title").as_string() == "A very long option t");
  CHECK(quick[2].at("payload").as_string() == "A very long option that goes on and on");
}

TEST_CASE("Messenger quick replies stop at 13 and titles at 20 characters",
          "[conversation][graph]") {
  Fixture f;
  OutboundMessage m = Text("facebook", "7712345678901234", "Pick one");
  for (int i = 0; i < 15; ++i) {
    m.quick_replies.push_back("Option " + std::to_string(i));
  }
  m.quick_replies[0] = Repeat("\xF0\x9F\x98\x80", 25);  // 25 emoji: cut to 20 code points
  REQUIRE(f.client->Send(Messenger(), m).sent);
  json::object body = f.LastBody();
  const auto& quick = body.at("message").at("quick_replies").as_array();
  REQUIRE(quick.size() == 13);
  CHECK(quick[0].at("title").as_string() == Repeat("\xF0\x9F\x98\x80", 20));
  CHECK(quick[12].at("title").as_string() == "Option 12");
}

TEST_CASE("Instagram sends to /me/messages with the token in the query", "[conversation][graph]") {
  Fixture f;
  OutboundMessage m = Text("instagram", "5566778899001122", "Hi from IG");
  m.quick_replies = {"Yes", "No"};
  m.metadata = "msg-ig-1";
  GraphSendResult r = f.client->Send(Instagram(), m);
  REQUIRE(r.sent);
  CHECK(r.message_id.rfind("m_", 0) == 0);
  auto req = f.graph.Requests().at(0);
  CHECK(req.path == "/v21.0/me/messages");
  CHECK(req.access_token == kIgToken);
  CHECK(req.authorization.empty());
  json::object body = f.LastBody();
  CHECK(body.at("recipient").at("id").as_string() == "5566778899001122");
  CHECK(body.at("message").at("text").as_string() == "Hi from IG");
  CHECK(body.at("message").at("quick_replies").as_array().size() == 2);
  CHECK_FALSE(body.contains("reply_to"));
}

TEST_CASE("WhatsApp text goes with a Bearer token and a plus-prefixed recipient",
          "[conversation][graph]") {
  Fixture f;
  OutboundMessage m = Text("whatsapp", "447700900123", "We close at 18:00 today.");
  m.reply_to = "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgg-example-1";
  m.metadata = "ignored";
  GraphSendResult r = f.client->Send(WhatsApp(), m);
  REQUIRE(r.sent);
  CHECK(r.message_id.rfind("wamid.", 0) == 0);
  auto req = f.graph.Requests().at(0);
  CHECK(req.path == std::string("/v21.0/") + kPhoneId + "/messages");
  CHECK(req.target == req.path);  // no token in the query
  CHECK(req.access_token.empty());
  CHECK(req.authorization == std::string("Bearer ") + kWaToken);
  CHECK(req.recipient == "+447700900123");
  json::object body = f.LastBody();
  CHECK(body.at("messaging_product").as_string() == "whatsapp");
  CHECK(body.at("recipient_type").as_string() == "individual");
  CHECK(body.at("to").as_string() == "+447700900123");
  CHECK(body.at("type").as_string() == "text");
  CHECK(body.at("text").at("preview_url").as_bool() == false);
  CHECK(body.at("text").at("body").as_string() == "We close at 18:00 today.");
  CHECK(body.at("context").at("message_id").as_string() == m.reply_to);
  CHECK_FALSE(body.contains("metadata"));
}

TEST_CASE("WhatsApp quick replies become up to three reply buttons", "[conversation][graph]") {
  Fixture f;
  OutboundMessage m = Text("whatsapp", "447700900123", "Book the 14:00 slot tomorrow?");
  m.quick_replies = {"Confirm", "Confirm", "Another time, please call me", "Cancel", "Later"};
  REQUIRE(f.client->Send(WhatsApp(), m).sent);
  json::object body = f.LastBody();
  CHECK(body.at("type").as_string() == "interactive");
  const auto& interactive = body.at("interactive").as_object();
  CHECK(interactive.at("type").as_string() == "button");
  CHECK(interactive.at("body").at("text").as_string() == "Book the 14:00 slot tomorrow?");
  const auto& buttons = interactive.at("action").at("buttons").as_array();
  REQUIRE(buttons.size() == 3);  // the duplicate is skipped, "Later" is the fourth
  CHECK(buttons[0].at("type").as_string() == "reply");
  CHECK(buttons[0].at("reply").at("title").as_string() == "Confirm");
  CHECK(buttons[1].at("reply").at("title").as_string() == "Another time, please");
  CHECK(buttons[1].at("reply").at("id").as_string() == "Another time, please call me");
  CHECK(buttons[2].at("reply").at("title").as_string() == "Cancel");
  CHECK(f.graph.Requests().at(0).text == "Book the 14:00 slot tomorrow?");
}

TEST_CASE("WhatsApp text too long for buttons goes plain", "[conversation][graph]") {
  Fixture f;
  OutboundMessage m = Text("whatsapp", "447700900123", std::string(1500, 'x'));
  m.quick_replies = {"Yes", "No"};
  REQUIRE(f.client->Send(WhatsApp(), m).sent);
  json::object body = f.LastBody();
  CHECK(body.at("type").as_string() == "text");
}

TEST_CASE("a WhatsApp template carries name, language and body parameters",
          "[conversation][graph]") {
  Fixture f;
  OutboundMessage m = Text("whatsapp", "447700900123", "");
  m.template_name = "order_ready";
  m.template_language = "en_GB";
  m.template_parameters = {"A-1042", "Sunday"};
  REQUIRE(f.client->Send(WhatsApp(), m).sent);
  json::object body = f.LastBody();
  CHECK(body.at("type").as_string() == "template");
  const auto& tmpl = body.at("template").as_object();
  CHECK(tmpl.at("name").as_string() == "order_ready");
  CHECK(tmpl.at("language").at("code").as_string() == "en_GB");
  CHECK(tmpl.at("language").at("policy").as_string() == "deterministic");
  const auto& component = tmpl.at("components").as_array().at(0).as_object();
  CHECK(component.at("type").as_string() == "body");
  const auto& params = component.at("parameters").as_array();
  REQUIRE(params.size() == 2);
  CHECK(params[0].at("type").as_string() == "text");
  CHECK(params[0].at("text").as_string() == "A-1042");
  CHECK(params[1].at("text").as_string() == "Sunday");
}

TEST_CASE("a base with a trailing slash reaches the same path", "[conversation][graph]") {
  FakeGraphApi graph;
  graph.AcceptToken(kPageId, kPageToken);
  auto client = GraphClient::Create(graph.base_url() + "/");
  REQUIRE(client.ok());
  CHECK((*client)->base() == graph.base_url());
  REQUIRE((*client)->Send(Messenger(), Text("facebook", "1", "hi")).sent);
  CHECK(graph.Requests().at(0).path == std::string("/v21.0/") + kPageId + "/messages");
}

TEST_CASE("a bad base URL names SALESOS_GRAPH_API_BASE", "[conversation][graph]") {
  for (const char* base : {"", "graph.facebook.com/v21.0", "ftp://graph.facebook.com/v21.0",
                           "https://graph.facebook.com/v21.0?x=1", "https:///v21.0"}) {
    INFO(base);
    auto client = GraphClient::Create(base);
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == Code::kInvalidArgument);
    CHECK_THAT(client.status().message(), Catch::Contains("SALESOS_GRAPH_API_BASE"));
  }
}

TEST_CASE("requests that cannot succeed are refused without a call", "[conversation][graph]") {
  Fixture f;
  auto refused = [&](const ChannelAccess& access, const OutboundMessage& m) {
    GraphSendResult r = f.client->Send(access, m);
    CHECK_FALSE(r.sent);
    CHECK_FALSE(r.retryable);
    CHECK(r.error_code == 0);
    CHECK_FALSE(r.error.empty());
    return r.error;
  };
  CHECK_THAT(refused(Messenger(), Text("telegram", "1", "hi")), Catch::Contains("platform"));
  CHECK_THAT(refused(WhatsApp(), Text("facebook", "1", "hi")), Catch::Contains("whatsapp"));
  CHECK_THAT(refused(Messenger(), Text("facebook", "", "hi")), Catch::Contains("recipient"));
  CHECK_THAT(refused({"facebook", kPageId, ""}, Text("facebook", "1", "hi")),
             Catch::Contains("token"));
  CHECK_THAT(refused(Messenger(), Text("facebook", "1", "  ")), Catch::Contains("empty"));
  CHECK_THAT(refused(Messenger(), Text("facebook", "1", std::string(2000, 'a'))),
             Catch::Contains("limit of 1999"));
  CHECK_THAT(refused(Instagram(), Text("instagram", "1", Repeat("\xE6\xBC\xA2", 334))),
             Catch::Contains("1002 bytes"));
  OutboundMessage no_language = Text("whatsapp", "447700900123", "");
  no_language.template_name = "order_ready";
  CHECK_THAT(refused(WhatsApp(), no_language), Catch::Contains("language"));
  CHECK(f.graph.request_count() == 0);
}

// --- answers ---------------------------------------------------------------------------------

TEST_CASE("rate limits are retryable with their code", "[conversation][graph]") {
  Fixture f;
  f.graph.FailNext(1, 400, 613, "(#613) Calls to this API have exceeded the rate limit.");
  GraphSendResult r = f.client->Send(Messenger(), Text("facebook", "1", "hi"));
  CHECK_FALSE(r.sent);
  CHECK(r.retryable);
  CHECK(r.error_code == 613);
  CHECK(r.error == "613 Calls to this API have exceeded the rate limit.");
  CHECK(r.fbtrace_id.rfind("AFakeTrace", 0) == 0);
  CHECK(r.http_status == 400);
  CHECK(r.retry_after_ms == 0);

  f.graph.FailNext(1, 400, 131056,
                   "(#131056) (Business Account, Consumer Account) pair rate limit hit", 2494055,
                   "Too many messages sent to this recipient");
  r = f.client->Send(WhatsApp(), Text("whatsapp", "447700900123", "hi"));
  CHECK_FALSE(r.sent);
  CHECK(r.retryable);
  CHECK(r.error_code == 131056);
  CHECK(r.error_subcode == 2494055);
  CHECK(r.error ==
        "131056 (Business Account, Consumer Account) pair rate limit hit: Too many messages sent "
        "to this recipient");

  // The next attempt goes through.
  r = f.client->Send(WhatsApp(), Text("whatsapp", "447700900123", "hi"));
  CHECK(r.sent);
}

TEST_CASE("a retry floor is read from Retry-After and the usage header", "[conversation][graph]") {
  Fixture f;
  f.graph.AnswerNext(1, {429,
                         R"({"error":{"message":"slow down","code":4,"fbtrace_id":"T1"}})",
                         {{"Retry-After", "7"}}});
  GraphSendResult r = f.client->Send(Messenger(), Text("facebook", "1", "hi"));
  CHECK(r.retryable);
  CHECK(r.error_code == 4);
  CHECK(r.retry_after_ms == 7000);

  f.graph.AnswerNext(
      1, {400,
          R"({"error":{"message":"(#80007) Rate limit","code":80007}})",
          {{"X-Business-Use-Case-Usage",
            R"({"102290129340398":[{"type":"whatsapp","call_count":100,"total_cputime":4,)"
            R"("total_time":5,"estimated_time_to_regain_access":2}]})"}}});
  r = f.client->Send(WhatsApp(), Text("whatsapp", "447700900123", "hi"));
  CHECK(r.retryable);
  CHECK(r.error_code == 80007);
  CHECK(r.retry_after_ms == 120000);
}

TEST_CASE("a 5xx without a Graph error is retryable", "[conversation][graph]") {
  Fixture f;
  f.graph.AnswerNext(
      1, {502, "<html><body>Bad Gateway</body></html>", {{"Content-Type", "text/html"}}});
  GraphSendResult r = f.client->Send(Messenger(), Text("facebook", "1", "hi"));
  CHECK_FALSE(r.sent);
  CHECK(r.retryable);
  CHECK(r.error_code == 0);
  CHECK(r.error == "HTTP 502");
  CHECK(r.http_status == 502);

  f.graph.AnswerNext(1, {404, "not here", {}});
  r = f.client->Send(Messenger(), Text("facebook", "1", "hi"));
  CHECK_FALSE(r.retryable);
  CHECK(r.error == "HTTP 404");
}

TEST_CASE("a held answer times out, retryable, within the deadline", "[conversation][graph]") {
  Fixture f(300);
  f.graph.Hold(true);
  auto start = std::chrono::steady_clock::now();
  GraphSendResult r = f.client->Send(Messenger(), Text("facebook", "1", "hi"));
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  CHECK_FALSE(r.sent);
  CHECK(r.retryable);
  CHECK(r.error_code == 0);
  CHECK(r.error == "timeout: no answer within 300 ms");
  CHECK(elapsed >= 290);
  CHECK(elapsed < 300 + 500);
  CHECK(f.graph.WaitForRequests(1, 1000));
  f.graph.Hold(false);
  f.graph.ReleaseHeld();
}

TEST_CASE("a refused connection is retryable", "[conversation][graph]") {
  auto client = GraphClient::Create("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/v21.0");
  REQUIRE(client.ok());
  GraphSendResult r = (*client)->Send(Messenger(), Text("facebook", "1", "hi"));
  CHECK_FALSE(r.sent);
  CHECK(r.retryable);
  CHECK(r.error_code == 0);
  CHECK_THAT(r.error, Catch::StartsWith("unreachable: cannot connect to 127.0.0.1:"));
  CHECK(r.error.find(kPageToken) == std::string::npos);
}

TEST_CASE("a closed window, a bad token, a bad parameter and an unavailable person are permanent",
          "[conversation][graph]") {
  Fixture f;
  f.graph.FailNext(1, 400, 131047, "Re-engagement message", 0,
                   "Message failed to send because more than 24 hours have passed since the "
                   "customer last replied to this number.");
  GraphSendResult r = f.client->Send(WhatsApp(), Text("whatsapp", "447700900123", "hi"));
  CHECK_FALSE(r.sent);
  CHECK_FALSE(r.retryable);
  CHECK(r.error_code == 131047);
  CHECK_THAT(r.error, Catch::StartsWith("131047 Re-engagement message: Message failed"));

  r = f.client->Send({"facebook", kPageId, "EAAWrongTokenValue42"}, Text("facebook", "1", "hi"));
  CHECK_FALSE(r.sent);
  CHECK_FALSE(r.retryable);
  CHECK(r.error_code == 190);
  CHECK(r.error_subcode == 463);
  CHECK(r.error == "190 Invalid OAuth access token.");

  r = f.client->Send({"whatsapp", kPhoneId, "EAAWrongTokenValue42"},
                     Text("whatsapp", "447700900123", "hi"));
  CHECK(r.error_code == 190);
  CHECK(r.http_status == 401);
  CHECK_FALSE(r.retryable);

  f.graph.FailNext(1, 400, 100, "(#100) Invalid parameter", 2018001);
  r = f.client->Send(Messenger(), Text("facebook", "1", "hi"));
  CHECK_FALSE(r.retryable);
  CHECK(r.error_code == 100);
  CHECK(r.error_subcode == 2018001);
  CHECK(r.error == "100 Invalid parameter");

  f.graph.FailNext(1, 400, 551, "This person isn't available right now.", 1545041);
  r = f.client->Send(Instagram(), Text("instagram", "1", "hi"));
  CHECK_FALSE(r.retryable);
  CHECK(r.error_code == 551);
  CHECK(r.error == "551 This person isn't available right now.");
}

TEST_CASE("a 200 without the message id is a permanent malformed answer", "[conversation][graph]") {
  Fixture f;
  f.graph.AnswerNext(1, {200, R"({"recipient_id":"1"})", {}});
  GraphSendResult r = f.client->Send(Messenger(), Text("facebook", "1", "hi"));
  CHECK_FALSE(r.sent);
  CHECK_FALSE(r.retryable);
  CHECK_THAT(r.error, Catch::StartsWith("malformed Graph answer"));

  f.graph.AnswerNext(1, {200, R"({"messaging_product":"whatsapp","messages":[]})", {}});
  r = f.client->Send(WhatsApp(), Text("whatsapp", "447700900123", "hi"));
  CHECK_FALSE(r.sent);
  CHECK_THAT(r.error, Catch::StartsWith("malformed Graph answer"));

  f.graph.AnswerNext(1, {200, "not json", {}});
  r = f.client->Send(WhatsApp(), Text("whatsapp", "447700900123", "hi"));
  CHECK_FALSE(r.sent);
  CHECK_FALSE(r.retryable);
}

TEST_CASE("the token never appears in the error, even when echoed", "[conversation][graph]") {
  Fixture f;
  f.graph.FailNext(1, 400, 190, std::string("Malformed access token ") + kPageToken);
  GraphSendResult r = f.client->Send(Messenger(), Text("facebook", "1", "hi"));
  CHECK(r.error_code == 190);
  CHECK(r.error.find(kPageToken) == std::string::npos);
  CHECK_THAT(r.error, Catch::Contains("***"));

  f.graph.FailNext(1, 400, 100, "bad value", 0, std::string("token=") + kWaToken);
  r = f.client->Send(WhatsApp(), Text("whatsapp", "447700900123", "hi"));
  CHECK(r.error.find(kWaToken) == std::string::npos);
}

TEST_CASE("one client serves concurrent sends", "[conversation][graph]") {
  Fixture f;
  std::atomic<int> sent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        bool wa = (t + i) % 2 == 0;
        auto r = wa ? f.client->Send(WhatsApp(), Text("whatsapp", "447700900123", "hi"))
                    : f.client->Send(Messenger(), Text("facebook", "1", "hi"));
        sent += r.sent ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(sent == 20);
  CHECK(f.graph.WaitForRequests(20, 1000));
}

TEST_CASE("Graph codes are classified per the error table", "[conversation][graph]") {
  for (int64_t code : {1, 2, 4, 17, 32, 341, 613, 1200, 80007, 130429, 131000, 131056, 133004}) {
    INFO(code);
    CHECK(IsRetryableGraphCode(code));
  }
  for (int64_t code : {0, 10, 100, 190, 200, 230, 368, 551, 2018278, 1545041, 131026, 131047,
                       131048, 131049, 131050}) {
    INFO(code);
    CHECK_FALSE(IsRetryableGraphCode(code));
  }
}

// --- text limits and splitting ---------------------------------------------------------------

TEST_CASE("text limits count code points, or bytes on Instagram", "[conversation][graph]") {
  CHECK(TextLimit("facebook") == 1999);
  CHECK(TextLimit("instagram") == 999);
  CHECK(TextLimit("whatsapp") == 4096);
  CHECK(TextLimit("telegram") == 0);
  const std::string emoji = "\xF0\x9F\x98\x80";  // 4 bytes, 1 code point
  CHECK(FitsTextLimit("facebook", Repeat(emoji, 1999)));
  CHECK_FALSE(FitsTextLimit("facebook", Repeat(emoji, 2000)));
  CHECK(FitsTextLimit("whatsapp", Repeat(emoji, 4096)));
  CHECK_FALSE(FitsTextLimit("whatsapp", Repeat(emoji, 4097)));
  const std::string han = "\xE6\xBC\xA2";  // 3 bytes
  CHECK(FitsTextLimit("instagram", Repeat(han, 333)));
  CHECK_FALSE(FitsTextLimit("instagram", Repeat(han, 334)));
  CHECK_FALSE(FitsTextLimit("telegram", "hi"));
}

TEST_CASE("splitting prefers paragraphs, then sentences, then words", "[conversation][graph]") {
  std::string para1 = Repeat("Our shop opens at nine. ", 50);   // 1200 characters
  std::string para2 = Repeat("Delivery takes two days. ", 40);  // 1000 characters
  auto parts = SplitForPlatform("facebook", para1 + "\n\n" + para2);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0] == std::string(Trimmed(para1)));
  CHECK(parts[1] == std::string(Trimmed(para2)));

  // One paragraph: cuts after a sentence, never mid-word.
  std::string sentences = Repeat("Sentence number one is here. ", 100);  // 2900 characters
  parts = SplitForPlatform("facebook", sentences);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].back() == '.');
  CHECK(Utf8CodePoints(parts[0]) <= 1999);

  std::string words = Repeat("word ", 500);  // 2500 characters, no sentence end
  parts = SplitForPlatform("facebook", words);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].substr(parts[0].size() - 4) == "word");
  CHECK(parts[1].substr(0, 4) == "word");
}

TEST_CASE("splitting never breaks an emoji or a UTF-8 sequence", "[conversation][graph]") {
  const std::string emoji = "\xF0\x9F\x98\x80";
  auto parts = SplitForPlatform("facebook", Repeat(emoji, 4500));
  REQUIRE(parts.size() == 3);
  long total = 0;
  for (const auto& p : parts) {
    CHECK(Utf8CodePoints(p) >= 0);
    CHECK(FitsTextLimit("facebook", p));
    total += Utf8CodePoints(p);
  }
  CHECK(total == 4500);

  // A family emoji (man ZWJ woman ZWJ girl) is one picture: no cut inside it.
  const std::string family =
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  parts = SplitForPlatform("facebook", Repeat(family, 900));  // 4500 code points
  REQUIRE(parts.size() >= 3);
  for (const auto& p : parts) {
    CHECK(Utf8CodePoints(p) >= 0);
    CHECK(FitsTextLimit("facebook", p));
    CHECK(p.rfind("\xF0\x9F\x91\xA8", 0) == 0);           // starts with the man
    CHECK(p.substr(p.size() - 4) == "\xF0\x9F\x91\xA7");  // ends with the girl
  }
}

TEST_CASE("splitting CJK for Instagram counts bytes and uses full stops", "[conversation][graph]") {
  const std::string han = "\xE6\xBC\xA2";
  auto parts = SplitForPlatform("instagram", Repeat(han, 700));  // 2100 bytes, no breaks
  REQUIRE(parts.size() == 3);
  for (const auto& p : parts) {
    CHECK(Utf8CodePoints(p) >= 0);
    CHECK(p.size() <= 999);
    CHECK(p.size() % 3 == 0);
  }
  CHECK(parts[0].size() == 999);

  // 。 ends a sentence without a space: the cut goes right after it.
  std::string sentence = Repeat(han, 99) + "\xE3\x80\x82";     // 100 characters, 300 bytes
  parts = SplitForPlatform("instagram", Repeat(sentence, 5));  // 1500 bytes
  REQUIRE(parts.size() == 2);
  CHECK(parts[0] == Repeat(sentence, 3));
  CHECK(parts[1] == Repeat(sentence, 2));
}

TEST_CASE("a word longer than the limit is cut at the limit", "[conversation][graph]") {
  auto parts = SplitForPlatform("facebook", std::string(5000, 'a'));
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].size() == 1999);
  CHECK(parts[1].size() == 1999);
  CHECK(parts[2].size() == 1002);

  parts = SplitForPlatform("whatsapp", "Short answer.");
  REQUIRE(parts.size() == 1);
  CHECK(parts[0] == "Short answer.");
  CHECK(SplitForPlatform("whatsapp", "  \n ").empty());
  CHECK(SplitForPlatform("telegram", std::string(5000, 'a')).size() == 1);
}

TEST_CASE("every split part of a long reply is accepted by the fake Graph",
          "[conversation][graph]") {
  Fixture f;
  std::string reply =
      Repeat("Our Pro plan costs $39.99 a month \xF0\x9F\x98\x80 and includes support. ", 80);
  for (const char* platform : {"facebook", "instagram", "whatsapp"}) {
    INFO(platform);
    ChannelAccess access = std::string(platform) == "facebook"    ? Messenger()
                           : std::string(platform) == "instagram" ? Instagram()
                                                                  : WhatsApp();
    auto parts = SplitForPlatform(platform, reply);
    CHECK(parts.size() >= 2);
    for (const auto& part : parts) {
      GraphSendResult r = f.client->Send(access, Text(platform, "447700900123", part));
      CHECK(r.sent);
    }
  }
}

}  // namespace
}  // namespace salesos::conversation
