#include "support/meta_traffic.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/meta.h"
#include "support/process.h"

namespace salesos::testing {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

void Tally::Odd(const std::string& what) {
  std::lock_guard<std::mutex> lock(mu);
  if (odd.size() < 10) {
    odd.push_back(what);
  }
}

std::string Tally::OddAnswers() {
  std::lock_guard<std::mutex> lock(mu);
  std::string shown;
  for (const auto& o : odd) {
    shown += o + "\n";
  }
  return shown;
}

void Tally::CheckOnlyRetryableAnswers() {
  INFO("answers that should not happen:\n" << OddAnswers());
  CHECK(other_5xx.load() == 0);
  CHECK(other.load() == 0);
}

bool MetaSender::Deliver(const std::string& body, Clock::time_point deadline) {
  // Meta's retries are spaced; this pace is not a wait for anything.
  auto backoff = [] { std::this_thread::sleep_for(std::chrono::milliseconds(25)); };
  while (Clock::now() < deadline) {
    tally_.posts++;
    if (!http_) {
      http_ = std::make_unique<HttpClient>(addr_);
    }
    HttpResult r;
    try {
      r = PostMetaWebhook(*http_, body);
    } catch (const std::exception& e) {
      tally_.connection_errors++;
      http_.reset();
      backoff();
      continue;
    }
    if (r.status == 200) {
      tally_.acked++;
      return true;
    }
    if (r.status == 503 && !r.Header("retry-after").empty()) {
      tally_.unavailable++;
    } else if (r.status >= 500) {
      tally_.other_5xx++;
      tally_.Odd(std::to_string(r.status) + " " + r.body);
    } else {
      tally_.other++;
      tally_.Odd(std::to_string(r.status) + " " + r.body);
    }
    if (r.Header("connection") == "close") {
      http_.reset();
    }
    backoff();
  }
  return false;
}

std::string CustomerTextBody(const Customer& c, const std::string& mid, const std::string& text) {
  const int64_t now = salesos::NowUnixMillis();
  return c.platform == "facebook" ? MessengerTextBody(c.external_id, c.id, mid, text, now)
                                  : InstagramTextBody(c.external_id, c.id, mid, text, now);
}

std::string NewPageToken() { return "EAA" + salesos::RandomHex(16) + "abcd"; }

std::map<std::string, Customer> MakeCustomers(HttpClient& http, FakeGraphApi& graph,
                                              const Account& owner, int per_channel) {
  std::map<std::string, Customer> out;
  for (const std::string platform : {"facebook", "instagram"}) {
    const std::string external = NewMetaId();
    const std::string token = NewPageToken();
    ConnectChannel(http, owner, platform, external, token);
    graph.AcceptToken(platform == "instagram" ? "me" : external, token);
    for (int i = 0; i < per_channel; ++i) {
      Customer c{platform, external, NewMetaId()};
      out[c.id] = c;
    }
  }
  return out;
}

std::vector<std::string> StrainEnv(const FakeGraphApi& graph) {
  return {"SALESOS_GRAPH_API_BASE=" + graph.base_url(), "SALESOS_AI_DEBOUNCE_MS=300",
          "SALESOS_WORK_LEASE_MS=4000", "SALESOS_DRAIN_TIMEOUT_MS=3000",
          "SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"};
}

json::array AllConversations(HttpClient& http, const Account& owner) {
  json::array out;
  std::string token;
  do {
    HttpResult r = Send(http, "GET", "/api/v1/conversations?pageSize=100&pageToken=" + token,
                        owner.token);
    if (r.status != 200) {
      return {};
    }
    json::value page = Json(r);
    for (const auto& c : page.at("conversations").as_array()) {
      out.push_back(c);
    }
    token = page.as_object().contains("nextPageToken") ? Str(page.at("nextPageToken")) : "";
  } while (!token.empty());
  return out;
}

json::array AllMessages(HttpClient& http, const Account& owner,
                        const std::string& conversation_id) {
  json::array out;  // newest page first, reversed at the end
  std::vector<json::array> pages;
  std::string before;
  while (true) {
    HttpResult r = Send(http, "GET",
                        "/api/v1/conversations/" + conversation_id +
                            "/messages?pageSize=100&before=" + before,
                        owner.token);
    REQUIRE(r.status == 200);
    json::value page = Json(r);
    json::array messages = page.at("messages").as_array();
    const bool more = page.as_object().contains("hasMore") && page.at("hasMore").as_bool();
    if (!messages.empty()) {
      before = Str(messages.front().at("id"));
    }
    pages.push_back(std::move(messages));
    if (!more || before.empty()) {
      break;
    }
  }
  for (auto it = pages.rbegin(); it != pages.rend(); ++it) {
    for (auto& m : *it) {
      out.push_back(std::move(m));
    }
  }
  return out;
}

namespace {

// Whether the AI is done with a conversation: its newest message is the AI's, sent; or the AI
// handed it to a person for a reason of the conversation's own (the builtin engine does after two
// turns it could not answer with confidence), never because the AI service was unreachable.
bool Settled(const json::value& c) {
  const auto& last = c.at("lastMessage");
  if (Str(last.at("sender")) == "ai") {
    return Str(last.at("deliveryStatus")) == "sent";
  }
  return Str(c.at("handler")) == "agent" && Str(c.at("handoffReason")) != "ai_unavailable";
}

}  // namespace

DeliveryCheck ExpectEveryMessageOnceAndEveryReplyOnce(HttpClient& http, const Account& owner,
                                                      const FakeGraphApi& graph,
                                                      const std::map<std::string, std::string>& acked,
                                                      std::chrono::seconds bound) {
  DeliveryCheck out;
  std::map<std::string, std::set<std::string>> expected;  // customer id → mids
  for (const auto& [mid, customer] : acked) {
    expected[customer].insert(mid);
  }
  const auto start = Clock::now();
  json::array list;
  bool settled = WaitFor(
      [&] {
        list = AllConversations(http, owner);
        if (list.size() != expected.size()) {
          return false;
        }
        // Every acknowledged message counted (nobody reads them here), so none is still on its
        // way: a conversation the AI had answered may yet get a message the stream holds.
        int64_t unread = 0;
        for (const auto& c : list) {
          if (!Settled(c)) {
            return false;
          }
          unread += c.at("unreadCount").as_int64();
        }
        return unread >= static_cast<int64_t>(acked.size());
      },
      bound);
  out.settle = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  std::string unsettled;
  for (const auto& c : list) {
    if (!Settled(c)) {
      unsettled += json::serialize(c) + "\n";
    }
  }
  INFO(list.size() << " conversations for " << expected.size() << " customers; not answered:\n"
                   << unsettled);
  CHECK(settled);
  REQUIRE(list.size() == expected.size());
  out.conversations = list.size();

  std::map<std::string, int> sends;  // AI message id → Send API calls carrying it
  size_t unmarked = 0;
  for (const auto& r : graph.Requests()) {
    auto body = json::parse(r.body).as_object();
    std::string metadata = Str(body.at("message").at("metadata"));
    if (metadata.rfind("salesos:", 0) == 0) {
      sends[metadata.substr(8)] += 1;
      ++out.send_api_calls;
    } else {
      ++unmarked;
    }
  }
  CHECK(unmarked == 0);

  std::set<std::string> seen_customers;
  std::set<std::string> ai_ids;
  for (const auto& c : list) {
    const std::string conversation_id = Str(c.at("id"));
    json::array messages = AllMessages(http, owner, conversation_id);
    std::map<std::string, int> mids;
    std::string customer;
    bool last_was_ai = false;
    size_t customer_messages = 0;
    std::string problems;
    for (const auto& m : messages) {
      const std::string sender = Str(m.at("sender"));
      if (sender == "customer") {
        const std::string mid = Str(m.at("platformMessageId"));
        mids[mid] += 1;
        auto owner_of = acked.find(mid);
        if (owner_of == acked.end()) {
          problems += "a message nobody acknowledged: " + mid + "\n";
          continue;
        }
        if (!customer.empty() && customer != owner_of->second) {
          problems += "another customer's message: " + mid + "\n";
        }
        customer = owner_of->second;
        last_was_ai = false;
        ++customer_messages;
      } else {
        if (sender != "ai") {
          problems += "a message from " + sender + "\n";
        }
        if (Str(m.at("deliveryStatus")) != "sent") {
          problems += "AI message " + Str(m.at("id")) + " is " + Str(m.at("deliveryStatus")) + "\n";
        }
        if (last_was_ai) {
          problems += "two AI replies in a row: " + Str(m.at("id")) + "\n";
        }
        last_was_ai = true;
        const std::string id = Str(m.at("id"));
        ai_ids.insert(id);
        const int n = sends[id];
        if (n == 0) {
          ++out.unsent_replies;
          problems += "AI message " + id + " never reached the Send API\n";
        } else if (n > 1) {
          ++out.duplicated_sends;
          problems += "AI message " + id + " reached the Send API " + std::to_string(n) + " times\n";
        }
      }
    }
    out.customer_messages += customer_messages;
    std::set<std::string> stored;
    for (const auto& [mid, n] : mids) {
      if (n > 1) {
        ++out.duplicated_messages;
        problems += mid + " stored " + std::to_string(n) + " times\n";
      }
      stored.insert(mid);
    }
    if (!customer.empty()) {
      for (const auto& mid : expected[customer]) {
        if (stored.count(mid) == 0) {
          ++out.missing_messages;
          problems += "acknowledged " + mid + " is missing\n";
        }
      }
    }
    if (c.at("unreadCount").as_int64() != static_cast<int64_t>(customer_messages)) {
      problems += "unreadCount " + std::to_string(c.at("unreadCount").as_int64()) + " for " +
                  std::to_string(customer_messages) + " messages\n";
    }
    INFO("conversation " << conversation_id << ": " << problems);
    CHECK(problems.empty());
    REQUIRE_FALSE(customer.empty());
    CHECK(seen_customers.insert(customer).second);  // one conversation per customer
  }
  out.ai_replies = ai_ids.size();
  // Every Send API call carried an AI message of these conversations.
  for (const auto& [id, n] : sends) {
    INFO("sent: " << id);
    CHECK(ai_ids.count(id) == 1);
  }
  return out;
}

}  // namespace salesos::testing
