#pragma once

// A local server that speaks Meta's Graph Send API (protocols.md §5), for tests of the channel
// adapters: Messenger and Instagram (`POST /vNN.N/{page-id or me}/messages?access_token=...`)
// and the WhatsApp Cloud API (`POST /vNN.N/{phone-number-id}/messages` with
// `Authorization: Bearer ...`). Plain http on 127.0.0.1, port 0, one server thread (see
// local_http_server.h), stopped and joined by the destructor.
//
// It judges each request as Graph would, in this order:
//   - a path other than /vNN.N/{id}/messages: 404, code 2500 "Unknown path components"
//   - a method other than POST: 400, code 100
//   - a body that is not a JSON object: 400, code 100
//   - the token: WhatsApp (body `messaging_product: "whatsapp"`) needs `Authorization: Bearer
//     <token>`, Messenger/Instagram the `access_token` query parameter; the token must have been
//     registered for the path's id with AcceptToken. Otherwise 401 (WhatsApp) or 400, code 190
//     "Invalid OAuth access token." (type OAuthException, with a fbtrace_id)
//   - the body: Messenger/Instagram need `recipient.id` and a `message` object (text under the
//     platform's limit: 2000 characters, or 1000 bytes for /me, the Instagram path); WhatsApp
//     needs `to`, `type` and that type's object (text.body ≤ 4096 characters, interactive,
//     template.name + template.language.code). Otherwise 400, code 100.
//   - then the scripted answers (FailNext, AnswerNext) in order, else success:
//     Messenger/IG `{"recipient_id": ..., "message_id": "m_<n>"}`, WhatsApp
//     `{"messaging_product":"whatsapp","contacts":[{"input":to,"wa_id":...}],
//     "messages":[{"id":"wamid.<n>"}]}`, ids unique per server.
// While Hold(true) is on, requests are recorded but not answered until ReleaseHeld() (answered as
// above, then) or the destructor (connection closed): a client's deadline runs out without any
// sleep in the test.
//
// Every request that arrives is recorded, before it is judged. Thread-safe: tests script and read
// while calls are in flight.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/local_http_server.h"

namespace salesos::testing {

class FakeGraphApi {
 public:
  // method, target, authorization, content_type, body; and:
  struct Request : RecordedRequest {
    std::string path;          // "/v21.0/1234/messages"
    std::string id;            // the path's id: a Page id, "me" or a phone_number_id
    std::string access_token;  // the decoded query parameter ("" when absent)
    std::string recipient;     // recipient.id (Messenger/IG) or `to` (WhatsApp)
    std::string type;          // WhatsApp `type` ("text", "interactive", "template"); "" otherwise
    // message.text (Messenger/IG), text.body or interactive.body.text (WhatsApp)
    std::string text;
  };

  // A scripted answer: status, body and extra headers, sent as they are.
  struct Answer {
    int http_status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  FakeGraphApi();
  ~FakeGraphApi();
  FakeGraphApi(const FakeGraphApi&) = delete;
  FakeGraphApi& operator=(const FakeGraphApi&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:<port>/v21.0"
  std::string base_url() const;

  // Accepts `token` for requests to /{id}/messages (`id`: a Page id, "me", a phone_number_id).
  void AcceptToken(std::string id, std::string token);

  // The next `count` valid requests fail with `http_status` and a Graph error body
  // {"error":{"message","type":"OAuthException","code","error_subcode"?,
  //  "error_data":{"messaging_product":"whatsapp","details"}?,"fbtrace_id"}}.
  void FailNext(int count, int http_status, int64_t code, std::string message, int64_t subcode = 0,
                std::string details = "");
  // The next `count` valid requests get `answer` as it is (an HTML 502, a 200 without an id...).
  void AnswerNext(int count, Answer answer);

  // Holds every request from now on until Hold(false) and ReleaseHeld().
  void Hold(bool on);
  // Answers every held request now.
  void ReleaseHeld();

  std::vector<Request> Requests() const;
  size_t request_count() const;
  // Waits until at least `n` requests arrived or `timeout_ms` passed; true when they did.
  bool WaitForRequests(size_t n, int timeout_ms) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace salesos::testing
