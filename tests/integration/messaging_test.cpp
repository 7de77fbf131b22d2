// The main flow (DESIGN §5) end to end, with real processes, Redis and a local server that speaks
// the Graph Send API: a signed Messenger / Instagram / WhatsApp message becomes a conversation, the
// AI answers it through the platform's Send API with the channel's token, and a WebSocket client
// sees both messages live. Also: redelivery adds nothing, a bad signature stores nothing, an
// agent's reply silences the AI, the 24-hour window, a WhatsApp "failed" status, the agents'
// actions, and SIGKILL of conversation mid-stream losing and duplicating nothing.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/redis/redis.h"
#include "support/api.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/suite.h"
#include "support/ws_client.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

constexpr auto kWait = std::chrono::seconds(20);
constexpr int kWaitMs = 20000;

// A suite whose Send APIs go to a local Graph server, with a short AI debounce.
struct Messaging {
  FakeGraphApi graph;
  Suite suite{
      MetaSuiteOptions({"SALESOS_GRAPH_API_BASE=" + graph.base_url(), "SALESOS_AI_DEBOUNCE_MS=150",
                        "SALESOS_WORK_LEASE_MS=4000",
                        // The tests poll the API while they wait; limits are not the story.
                        "SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"})};
  std::unique_ptr<HttpClient> client = suite.Client();
  HttpClient& http = *client;
};

std::string Token() { return "EAA" + salesos::RandomHex(16) + "abcd"; }

int64_t Now() { return salesos::NowUnixMillis(); }

// The live feed of an account's workspace, past its "ready" event.
std::unique_ptr<WsClient> Live(Suite& suite, const Account& account) {
  auto connected = WsClient::ConnectAddr(suite.gateway_addr(), "/ws?access_token=" + account.token);
  INFO(connected.status << " " << connected.body << " " << connected.error);
  REQUIRE(connected.ok());
  auto ready = connected.client->ReadUntil(
      [](const std::string& text) { return text.find("\"ready\"") != std::string::npos; }, kWaitMs);
  REQUIRE(ready.has_value());
  return std::move(connected.client);
}

// Events of the feed until one of `type` whose data satisfies `match` (returned as JSON).
json::object NextEvent(WsClient& ws, const std::string& type,
                       const std::function<bool(const json::object& data)>& match) {
  json::object found;
  auto got = ws.ReadUntil(
      [&](const std::string& text) {
        auto event = json::parse(text).as_object();
        if (event.at("type").as_string() != type.c_str()) {
          return false;
        }
        if (!match(event.at("data").as_object())) {
          return false;
        }
        found = event;
        return true;
      },
      kWaitMs);
  INFO("waiting for " << type);
  REQUIRE(got.has_value());
  return found;
}

// The workspace's only conversation on `platform`, once it shows.
json::object OnlyConversation(HttpClient& http, const Account& owner, const std::string& query) {
  json::array list;
  WaitFor(
      [&] {
        HttpResult r = Send(http, "GET", "/api/v1/conversations" + query, owner.token);
        if (r.status != 200) {
          return false;
        }
        list = Json(r).at("conversations").as_array();
        return !list.empty();
      },
      kWait);
  REQUIRE(list.size() == 1);
  return list.at(0).as_object();
}

// The conversation's messages once `done` holds for them (else the last answer).
json::array MessagesWhen(HttpClient& http, const Account& owner, const std::string& conversation_id,
                         const std::function<bool(const json::array&)>& done) {
  json::array messages;
  bool ok = WaitFor(
      [&] {
        HttpResult r = Send(http, "GET", "/api/v1/conversations/" + conversation_id + "/messages",
                            owner.token);
        if (r.status != 200) {
          return false;
        }
        messages = Json(r).at("messages").as_array();
        return done(messages);
      },
      kWait);
  INFO(json::serialize(messages));
  CHECK(ok);
  return messages;
}

size_t CountSender(const json::array& messages, const std::string& sender) {
  size_t n = 0;
  for (const auto& m : messages) {
    n += Str(m.at("sender")) == sender ? 1 : 0;
  }
  return n;
}

// The first message of `sender` whose delivery status is `status` ("" any).
const json::object* FindMessage(const json::array& messages, const std::string& sender,
                                const std::string& status = "") {
  for (const auto& m : messages) {
    if (Str(m.at("sender")) == sender &&
        (status.empty() || Str(m.at("deliveryStatus")) == status)) {
      return &m.as_object();
    }
  }
  return nullptr;
}

int64_t StreamLength(Suite& suite, const std::string& stream) {
  auto redis = salesos::redis::Connect(suite.redis().url());
  REQUIRE(redis.ok());
  auto reply = (*redis)->Command({"XLEN", stream});
  REQUIRE(reply.ok());
  return reply->integer;
}

struct Channel {
  std::string platform;
  std::string external_id;  // Page, IG account, phone_number_id
  std::string token;
  std::string customer;  // PSID, IGSID, wa_id
  std::string graph_id;  // the id the Send API is called on: the Page, "me", the phone_number_id
};

Channel Connect(Messaging& m, const Account& owner, const std::string& platform) {
  Channel c{platform, NewMetaId(), Token(), NewMetaId(), ""};
  c.graph_id = platform == "instagram" ? "me" : c.external_id;
  ConnectChannel(m.http, owner, platform, c.external_id, c.token);
  m.graph.AcceptToken(c.graph_id, c.token);
  return c;
}

std::string CustomerMessage(const Channel& c, const std::string& mid, const std::string& text,
                            int64_t ts_ms) {
  if (c.platform == "facebook") {
    return MessengerTextBody(c.external_id, c.customer, mid, text, ts_ms);
  }
  if (c.platform == "instagram") {
    return InstagramTextBody(c.external_id, c.customer, mid, text, ts_ms);
  }
  return WhatsAppTextBody(c.external_id, c.customer, "José Núñez", mid, text, ts_ms);
}

// The Graph requests made for `c`'s customer.
std::vector<FakeGraphApi::Request> SentTo(const FakeGraphApi& graph, const Channel& c) {
  std::vector<FakeGraphApi::Request> out;
  for (auto& r : graph.Requests()) {
    std::string to = c.platform == "whatsapp" ? "+" + c.customer : c.customer;
    if (r.recipient == to) {
      out.push_back(r);
    }
  }
  return out;
}

// One customer message in, the AI's answer out through the Send API, both seen live.
void ExpectAnswered(Messaging& m, const Account& owner, WsClient& ws, const Channel& c,
                    std::string* conversation_id = nullptr, std::string* ai_platform_id = nullptr) {
  INFO(c.platform);
  std::string mid = (c.platform == "whatsapp" ? "wamid." : "m_") + salesos::RandomHex(8);
  std::string body = CustomerMessage(c, mid, "Hi! How much is the desk lamp? 💡", Now());
  REQUIRE(PostMetaWebhook(m.http, body).status == 200);

  json::object conv = OnlyConversation(m.http, owner, "?platform=" + c.platform);
  std::string id = Str(conv.at("id"));
  json::array messages = MessagesWhen(m.http, owner, id, [](const json::array& list) {
    return FindMessage(list, "ai", "sent") != nullptr;
  });
  REQUIRE(CountSender(messages, "customer") == 1);
  REQUIRE(CountSender(messages, "ai") >= 1);
  const json::object* ai = FindMessage(messages, "ai", "sent");
  REQUIRE(ai != nullptr);
  CHECK(Str(messages.at(0).at("content")) == "Hi! How much is the desk lamp? 💡");
  CHECK(Str(messages.at(0).at("platformMessageId")) == mid);
  CHECK_FALSE(Str(ai->at("content")).empty());
  CHECK_FALSE(Str(ai->at("platformMessageId")).empty());

  // The reply went to the platform's Send API with the channel's token.
  auto sent = SentTo(m.graph, c);
  REQUIRE(sent.size() == static_cast<size_t>(CountSender(messages, "ai")));
  const auto& request = sent.front();
  CHECK(request.method == "POST");
  CHECK(request.id == c.graph_id);
  CHECK(request.text == Str(ai->at("content")));
  auto sent_body = json::parse(request.body).as_object();
  if (c.platform == "whatsapp") {
    CHECK(request.authorization == "Bearer " + c.token);
    CHECK(request.access_token.empty());
    CHECK(request.type == "text");
    CHECK(Str(sent_body.at("messaging_product")) == "whatsapp");
  } else {
    CHECK(request.access_token == c.token);
    CHECK(Str(sent_body.at("message").at("metadata")) == "salesos:" + Str(ai->at("id")));
  }

  // Live: the customer's message, the AI's, and the AI's once sent.
  auto customer = NextEvent(ws, "message.created", [&](const json::object& d) {
    return Str(d.at("platformMessageId")) == mid;
  });
  CHECK(Str(customer.at("conversationId")) == id);
  CHECK(Str(customer.at("workspaceId")) == owner.workspace_id);
  CHECK(salesos::IsUuid(Str(customer.at("data").at("id"))));
  auto created = NextEvent(ws, "message.created", [&](const json::object& d) {
    return Str(d.at("id")) == Str(ai->at("id"));
  });
  CHECK(Str(created.at("data").at("deliveryStatus")) == "pending");
  NextEvent(ws, "message.updated", [&](const json::object& d) {
    return Str(d.at("id")) == Str(ai->at("id")) && Str(d.at("deliveryStatus")) == "sent";
  });
  if (conversation_id != nullptr) {
    *conversation_id = id;
  }
  if (ai_platform_id != nullptr) {
    *ai_platform_id = Str(ai->at("platformMessageId"));
  }
}

}  // namespace

TEST_CASE("messaging: Messenger, Instagram and WhatsApp messages are answered by the AI, live",
          "[integration][messaging][e2e]") {
  Messaging m;
  Account owner = Register(m.http, "Lumi Lamps");
  auto ws = Live(m.suite, owner);
  Account stranger = Register(m.http, "Tia's Lamps");
  auto their_ws = Live(m.suite, stranger);

  Channel messenger = Connect(m, owner, "facebook");
  ExpectAnswered(m, owner, *ws, messenger);
  Channel instagram = Connect(m, owner, "instagram");
  ExpectAnswered(m, owner, *ws, instagram);
  Channel whatsapp = Connect(m, owner, "whatsapp");
  std::string wa_conversation;
  std::string wa_reply;
  ExpectAnswered(m, owner, *ws, whatsapp, &wa_conversation, &wa_reply);

  // Another workspace's feed saw none of it.
  auto theirs = their_ws->ReadText(200);
  CHECK_FALSE(theirs.has_value());

  // A WhatsApp "failed" status marks the AI's message failed, with the error.
  std::string failed = WhatsAppStatusBody(whatsapp.external_id, wa_reply, whatsapp.customer,
                                          "failed", Now(), 131047, "Re-engagement message");
  REQUIRE(PostMetaWebhook(m.http, failed).status == 200);
  json::array messages = MessagesWhen(m.http, owner, wa_conversation, [](const json::array& l) {
    return FindMessage(l, "ai", "failed") != nullptr;
  });
  const json::object* marked = FindMessage(messages, "ai", "failed");
  REQUIRE(marked != nullptr);
  CHECK(Str(marked->at("error")).find("131047") != std::string::npos);
  NextEvent(*ws, "message.updated", [&](const json::object& d) {
    return Str(d.at("platformMessageId")) == wa_reply && Str(d.at("deliveryStatus")) == "failed";
  });
  // A later "delivered" does not undo it.
  REQUIRE(PostMetaWebhook(m.http, WhatsAppStatusBody(whatsapp.external_id, wa_reply,
                                                     whatsapp.customer, "delivered", Now()))
              .status == 200);

  // The same delivery twice, and a forged one: nothing new reaches the stream.
  const int64_t before = StreamLength(m.suite, "salesos:inbound");
  std::string again =
      CustomerMessage(messenger, "m_twice-" + salesos::RandomHex(6), "Twice?", Now());
  REQUIRE(PostMetaWebhook(m.http, again).status == 200);
  REQUIRE(PostMetaWebhook(m.http, again).status == 200);
  HttpResult forged = m.http.Request(
      "POST", "/webhooks/meta", CustomerMessage(messenger, "m_forged", "forged", Now()),
      {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", MetaSignature("other")}});
  CHECK(forged.status == 401);
  CHECK(StreamLength(m.suite, "salesos:inbound") == before + 1);
  json::object conv = OnlyConversation(m.http, owner, "?platform=facebook");
  json::array fb = MessagesWhen(m.http, owner, Str(conv.at("id")), [](const json::array& l) {
    return CountSender(l, "customer") == 2;
  });
  CHECK(CountSender(fb, "customer") == 2);
  for (const auto& msg : fb) {
    CHECK(Str(msg.at("content")) != "forged");
  }

  // The domain events of the flow.
  CHECK(WaitFor([&] { return CountEvents(m.suite, "message.sent", owner.workspace_id) >= 3; },
                kWait));
  CHECK(CountEvents(m.suite, "ai.replied", owner.workspace_id) >= 3);
  CHECK(CountEvents(m.suite, "conversation.started", owner.workspace_id) == 3);
  CHECK(CountEvents(m.suite, "message.received", owner.workspace_id) >= 4);
}

TEST_CASE(
    "messaging: an agent's reply silences the AI, the agents' actions, and the 24-hour window",
    "[integration][messaging][e2e]") {
  Messaging m;
  Account owner = Register(m.http, "Lumi Lamps");
  Account agent = AddMember(m.http, owner, "agent");
  Account viewer = AddMember(m.http, owner, "viewer");
  auto ws = Live(m.suite, owner);
  Channel messenger = Connect(m, owner, "facebook");
  std::string id;
  ExpectAnswered(m, owner, *ws, messenger, &id);
  const std::string base = "/api/v1/conversations/" + id;

  // Viewers read but do not act; bad input changes nothing.
  CHECK(Send(m.http, "POST", base + "/messages", viewer.token, json::value{{"content", "Hi"}})
            .status == 403);
  HttpResult empty =
      Send(m.http, "POST", base + "/messages", agent.token, json::value{{"content", " "}});
  CHECK(empty.status == 400);
  CHECK(ErrorField(empty) == "content");
  HttpResult too_long = Send(m.http, "POST", base + "/messages", agent.token,
                             json::value{{"content", std::string(2000, 'x')}});
  CHECK(too_long.status == 400);
  HttpResult tmpl =
      Send(m.http, "POST", base + "/messages", agent.token,
           json::value{{"content", "x"},
                       {"template", {{"name", "order_ready"}, {"language", "en_GB"}}}});
  CHECK(tmpl.status == 400);  // Messenger has no templates
  Account stranger = Register(m.http, "Tia's Lamps");
  CHECK(Send(m.http, "POST", base + "/messages", stranger.token, json::value{{"content", "Hi"}})
            .status == 404);
  CHECK(Send(m.http, "POST", "/api/v1/conversations/not-an-id/messages", agent.token,
             json::value{{"content", "Hi"}})
            .status == 404);
  CHECK(Send(m.http, "POST", base + "/messages", agent.token, "{broken").status == 400);

  // The agent answers: sent through the Send API, and the conversation is the agents' now.
  HttpResult reply = Send(m.http, "POST", base + "/messages", agent.token,
                          json::value{{"content", "Hi, Sam here — the lamp is 49.99 USD."},
                                      {"quickReplies", json::array{"Buy", "Later"}}});
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  CHECK(Str(Json(reply).at("sender")) == "agent");
  CHECK(Str(Json(reply).at("deliveryStatus")) == "pending");
  std::string agent_message = Str(Json(reply).at("id"));
  HttpResult got = Send(m.http, "GET", base, owner.token);
  CHECK(Str(Json(got).at("handler")) == "agent");
  CHECK(Str(Json(got).at("assignedAgentId")) == agent.user_id);
  json::array messages = MessagesWhen(m.http, owner, id, [&](const json::array& l) {
    return FindMessage(l, "agent", "sent") != nullptr;
  });
  auto sent = SentTo(m.graph, messenger);
  REQUIRE(sent.size() == 2);
  CHECK(sent.back().text == "Hi, Sam here — the lamp is 49.99 USD.");
  auto quick = json::parse(sent.back().body).at("message").at("quick_replies").as_array();
  REQUIRE(quick.size() == 2);
  CHECK(Str(quick.at(0).at("title")) == "Buy");
  const size_t ai_before = CountSender(messages, "ai");

  // The customer writes again: no AI reply. A second, AI-handled conversation written to after it
  // is the bound: once that one is answered, this one's turn (due earlier) would have run.
  REQUIRE(PostMetaWebhook(m.http, CustomerMessage(messenger, "m_" + salesos::RandomHex(8),
                                                  "And shipping?", Now()))
              .status == 200);
  Channel sentinel = Connect(m, owner, "instagram");
  REQUIRE(PostMetaWebhook(m.http,
                          CustomerMessage(sentinel, "m_" + salesos::RandomHex(8), "Hello?", Now()))
              .status == 200);
  json::object other = OnlyConversation(m.http, owner, "?platform=instagram");
  MessagesWhen(m.http, owner, Str(other.at("id")),
               [](const json::array& l) { return FindMessage(l, "ai", "sent") != nullptr; });
  messages = MessagesWhen(m.http, owner, id,
                          [](const json::array& l) { return CountSender(l, "customer") == 2; });
  CHECK(CountSender(messages, "ai") == ai_before);

  // Filters: handler, assignee, search.
  auto count = [&](const std::string& query, const Account& who) {
    HttpResult r = Send(m.http, "GET", "/api/v1/conversations" + query, who.token);
    REQUIRE(r.status == 200);
    return Json(r).at("conversations").as_array().size();
  };
  CHECK(count("?handler=agent", owner) == 1);
  CHECK(count("?assignedTo=me", agent) == 1);
  CHECK(count("?assignedTo=me", owner) == 0);
  CHECK(count("?assignedTo=none", owner) == 1);
  CHECK(count("?q=shipping", owner) == 1);
  CHECK(count("?q=SHIPPING", owner) == 1);
  CHECK(count("?q=nothing-like-it", owner) == 0);
  CHECK(Send(m.http, "GET", "/api/v1/conversations?assignedTo=bob", owner.token).status == 400);

  // Assign, hand back to the AI (it answers the waiting customer), hand off, read, convert.
  HttpResult assigned =
      Send(m.http, "POST", base + "/assign", owner.token, json::value{{"agentId", owner.user_id}});
  REQUIRE(assigned.status == 200);
  CHECK(Str(Json(assigned).at("assignedAgentId")) == owner.user_id);
  HttpResult foreign = Send(m.http, "POST", base + "/assign", owner.token,
                            json::value{{"agentId", stranger.user_id}});
  CHECK(foreign.status == 400);
  CHECK(ErrorField(foreign) == "agentId");
  HttpResult resumed = Send(m.http, "POST", base + "/resume-ai", agent.token, "{}");
  REQUIRE(resumed.status == 200);
  CHECK(Str(Json(resumed).at("handler")) == "ai");
  messages = MessagesWhen(m.http, owner, id, [&](const json::array& l) {
    return CountSender(l, "ai") == ai_before + 1 && Str(l.back().at("sender")) == "ai";
  });
  HttpResult handed =
      Send(m.http, "POST", base + "/handoff", agent.token, json::value{{"reason", "VIP customer"}});
  REQUIRE(handed.status == 200);
  CHECK(Str(Json(handed).at("handler")) == "agent");
  CHECK(Str(Json(handed).at("handoffReason")) == "VIP customer");
  CHECK(Json(handed).at("unreadCount").as_int64() > 0);
  HttpResult read = Send(m.http, "POST", base + "/read", agent.token, "{}");
  REQUIRE(read.status == 200);
  CHECK(Json(read).at("unreadCount").as_int64() == 0);
  HttpResult bad_status =
      Send(m.http, "POST", base + "/status", agent.token, json::value{{"status", "sleeping"}});
  CHECK(bad_status.status == 400);
  HttpResult bad_value = Send(m.http, "POST", base + "/conversion", agent.token,
                              json::value{{"orderValue", 49.999}, {"currency", "USD"}});
  CHECK(bad_value.status == 400);
  HttpResult converted = Send(
      m.http, "POST", base + "/conversion", agent.token,
      json::value{{"orderValue", 49.99}, {"currency", "usd"}, {"orderDetails", "1 × desk lamp"}});
  REQUIRE(converted.status == 200);
  auto conversion = Json(converted).at("conversion");
  CHECK(conversion.at("converted").as_bool());
  CHECK(conversion.at("orderValue").as_double() == 49.99);
  CHECK(Str(conversion.at("currency")) == "USD");
  CHECK(Str(Json(converted).at("status")) == "converted");
  CHECK(Send(m.http, "POST", base + "/conversion", agent.token,
             json::value{{"orderValue", 10}, {"currency", "USD"}})
            .status == 409);
  CHECK(WaitFor(
      [&] { return CountEvents(m.suite, "conversion.recorded", owner.workspace_id) == 1; }, kWait));
  CHECK(CountEvents(m.suite, "conversation.handoff", owner.workspace_id) >= 2);
  CHECK(CountEvents(m.suite, "conversation.status_changed", owner.workspace_id) >= 1);
  NextEvent(*ws, "conversation.updated", [&](const json::object& d) {
    return Str(d.at("id")) == id && Str(d.at("status")) == "converted";
  });

  // A customer who asks for a person: the AI hands over, with a summary for the agents.
  Channel human = messenger;
  human.customer = NewMetaId();
  REQUIRE(PostMetaWebhook(m.http, CustomerMessage(human, "m_" + salesos::RandomHex(8),
                                                  "I want to talk to a real person, please", Now()))
              .status == 200);
  json::object handed_over;
  CHECK(WaitFor(
      [&] {
        HttpResult r = Send(m.http, "GET", "/api/v1/conversations?handler=agent", owner.token);
        json::value list = Json(r);
        for (const auto& c : list.at("conversations").as_array()) {
          if (Str(c.at("handoffReason")) == "human_request" &&
              !Str(c.at("aiContext").at("summary")).empty()) {
            handed_over = c.as_object();
            return true;
          }
        }
        return false;
      },
      kWait));
  CHECK(Str(handed_over.at("aiContext").at("nextAction")) == "agent: human_request");

  // Paging back through the messages.
  HttpResult page = Send(m.http, "GET", base + "/messages?pageSize=2", owner.token);
  REQUIRE(page.status == 200);
  auto newest = Json(page).at("messages").as_array();
  REQUIRE(newest.size() == 2);
  CHECK(Json(page).at("hasMore").as_bool());
  HttpResult older =
      Send(m.http, "GET", base + "/messages?pageSize=50&before=" + Str(newest.at(0).at("id")),
           owner.token);
  REQUIRE(older.status == 200);
  CHECK_FALSE(Json(older).at("hasMore").as_bool());
  CHECK(Json(older).at("messages").as_array().size() + 2 == messages.size());
  CHECK(Send(m.http, "GET", base + "/messages?before=" + agent_message + "x", owner.token).status ==
        400);

  // The 24-hour window: a customer who last wrote two days ago gets no free-form reply; on
  // WhatsApp a template is the way.
  Channel whatsapp = Connect(m, owner, "whatsapp");
  const int64_t two_days_ago = Now() - 48LL * 3600 * 1000;
  REQUIRE(PostMetaWebhook(m.http, CustomerMessage(whatsapp, "wamid." + salesos::RandomHex(8),
                                                  "Are you open?", two_days_ago))
              .status == 200);
  json::object wa = OnlyConversation(m.http, owner, "?platform=whatsapp");
  const std::string wa_base = "/api/v1/conversations/" + Str(wa.at("id"));
  HttpResult closed = Send(m.http, "POST", wa_base + "/messages", agent.token,
                           json::value{{"content", "Yes, until 18:00"}});
  CHECK(closed.status == 409);
  CHECK(ErrorMessage(closed).find("24-hour") != std::string::npos);
  CHECK(ErrorMessage(closed).find("template") != std::string::npos);
  HttpResult templated = Send(
      m.http, "POST", wa_base + "/messages", agent.token,
      json::value{{"template",
                   {{"name", "order_ready"}, {"language", "en_GB"}, {"parameters", {"A-1042"}}}}});
  INFO(templated.body);
  REQUIRE(templated.status == 200);
  CHECK(WaitFor(
      [&] {
        for (const auto& r : SentTo(m.graph, whatsapp)) {
          if (r.type == "template") {
            return true;
          }
        }
        return false;
      },
      kWait));
}

TEST_CASE("messaging: SIGKILL of conversation mid-stream loses nothing and duplicates nothing",
          "[integration][messaging][e2e][crash]") {
  Messaging m;
  Account owner = Register(m.http, "Lumi Lamps");
  Channel page = Connect(m, owner, "facebook");
  constexpr int kCustomers = 24;
  std::vector<std::string> customers;
  for (int i = 0; i < kCustomers; ++i) {
    customers.push_back(NewMetaId());
  }
  auto post = [&](int i) {
    Channel c = page;
    c.customer = customers[static_cast<size_t>(i)];
    REQUIRE(
        PostMetaWebhook(
            m.http, CustomerMessage(c, "m_crash-" + std::to_string(i) + "-" + salesos::RandomHex(4),
                                    "Message " + std::to_string(i), Now()))
            .status == 200);
  };
  for (int i = 0; i < kCustomers / 2; ++i) {
    post(i);
  }
  // Killed while it works through the stream and the AI turns, then started again.
  WaitFor([&] { return m.graph.request_count() >= 2; }, kWait);
  m.suite.Restart("conversation");
  for (int i = kCustomers / 2; i < kCustomers; ++i) {
    post(i);
  }
  // Every customer: one conversation, one customer message, one AI reply, sent.
  json::array list;
  CHECK(WaitFor(
      [&] {
        HttpResult r = Send(m.http, "GET", "/api/v1/conversations?pageSize=100", owner.token);
        if (r.status != 200) {
          return false;  // the restarted service may not answer yet: ask again
        }
        list = Json(r).at("conversations").as_array();
        if (list.size() != static_cast<size_t>(kCustomers)) {
          return false;
        }
        for (const auto& c : list) {
          auto last = c.at("lastMessage");
          if (Str(last.at("sender")) != "ai" || Str(last.at("deliveryStatus")) != "sent") {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(60)));
  REQUIRE(list.size() == static_cast<size_t>(kCustomers));
  for (const auto& c : list) {
    json::array messages =
        MessagesWhen(m.http, owner, Str(c.at("id")), [](const json::array&) { return true; });
    CHECK(CountSender(messages, "customer") == 1);
    CHECK(CountSender(messages, "ai") == 1);
  }
  // Every customer got the reply. Meta's Send API has no idempotency key: only a message whose
  // send was in flight at the kill could go out twice (at most the outbox's concurrency, 8).
  std::map<std::string, int> per_customer;
  for (const auto& r : m.graph.Requests()) {
    per_customer[r.recipient] += 1;
  }
  for (const auto& customer : customers) {
    CHECK(per_customer[customer] >= 1);
  }
  CHECK(m.graph.request_count() <= static_cast<size_t>(kCustomers + 8));
}
