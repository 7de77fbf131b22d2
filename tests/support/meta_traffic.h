#pragma once

// Customers' traffic as Meta sends it, for the tests that put the whole flow under strain (the
// replicas, the rolling restart, the fault-injection soak): signed deliveries retried until they
// are acknowledged, as Meta retries them, a tally of every answer, and the final check that
// every acknowledged message is stored exactly once and every AI reply reached the Send API
// exactly once.

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/api.h"
#include "support/fake_graph_api.h"
#include "support/http_client.h"

namespace salesos::testing {

// What a Meta-like sender saw: every answer, by kind.
struct Tally {
  std::atomic<int64_t> posts{0};
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> unavailable{0};  // 503 with Retry-After: retried
  std::atomic<int64_t> other_5xx{0};    // any other 5xx (or a 503 without Retry-After)
  std::atomic<int64_t> other{0};        // any other answer that is not 200
  std::atomic<int64_t> connection_errors{0};
  std::mutex mu;
  std::vector<std::string> odd;  // the first few answers that should not happen

  void Odd(const std::string& what);
  // The odd answers, one a line.
  std::string OddAnswers();
  // No answer but 200 and 503-with-Retry-After (both retried), each odd one shown.
  void CheckOnlyRetryableAnswers();
};

// Posts a signed delivery until it is acknowledged with 200, as Meta does: any other answer and
// any connection error is tried again, a little later.
class MetaSender {
 public:
  MetaSender(std::string addr, Tally& tally) : addr_(std::move(addr)), tally_(tally) {}
  // False when `deadline` passed first.
  bool Deliver(const std::string& body, std::chrono::steady_clock::time_point deadline);

 private:
  std::string addr_;
  Tally& tally_;
  std::unique_ptr<HttpClient> http_;
};

struct Customer {
  std::string platform;     // facebook | instagram
  std::string external_id;  // the Page or IG account
  std::string id;           // PSID / IGSID
};

// A delivery of one text message from `c`, timed now.
std::string CustomerTextBody(const Customer& c, const std::string& mid, const std::string& text);

// "EAA..." — a made-up page access token.
std::string NewPageToken();

// Connects a Page and an Instagram account of `owner` (the Graph server accepting their tokens)
// and makes `per_channel` customers on each; by customer id.
std::map<std::string, Customer> MakeCustomers(HttpClient& http, FakeGraphApi& graph,
                                              const Account& owner, int per_channel);

// The environment of a suite under strain: the Send API at `graph`, a short AI debounce, short
// work leases (a killed process's work is taken over soon), a short drain, no rate limits (the
// driver posts as fast as Meta would; limits are not the story).
std::vector<std::string> StrainEnv(const FakeGraphApi& graph);

// Every conversation of `owner`'s workspace, page by page (empty when a page is refused).
boost::json::array AllConversations(HttpClient& http, const Account& owner);
// Every message of a conversation, oldest first.
boost::json::array AllMessages(HttpClient& http, const Account& owner,
                               const std::string& conversation_id);

// What the final check found.
struct DeliveryCheck {
  size_t conversations = 0;
  size_t customer_messages = 0;  // stored
  size_t ai_replies = 0;         // stored AI messages
  size_t send_api_calls = 0;     // AI message sends the Graph server saw
  size_t duplicated_messages = 0;
  size_t missing_messages = 0;
  size_t duplicated_sends = 0;   // AI messages sent more than once
  size_t unsent_replies = 0;     // AI messages never sent
  std::chrono::milliseconds settle{0};
};

// Waits (up to `bound`) until every customer has one conversation the AI is done with and every
// acknowledged message is counted unread, then checks, through the API and the Graph server's
// record, that
//   - each conversation holds exactly the acknowledged messages of one customer, each once, and
//     counts them all unread;
//   - the AI answered every batch of customer messages once: never two AI replies in a row;
//   - each AI message went to the Send API exactly once, and nothing else did.
// `acked`: platform message id → customer id.
DeliveryCheck ExpectEveryMessageOnceAndEveryReplyOnce(HttpClient& http, const Account& owner,
                                                      const FakeGraphApi& graph,
                                                      const std::map<std::string, std::string>& acked,
                                                      std::chrono::seconds bound);

}  // namespace salesos::testing
