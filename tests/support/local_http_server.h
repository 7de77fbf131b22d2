#pragma once

// The HTTP/1.1 server under the fakes of third-party APIs (fake_chat_completions.h,
// fake_graph_api.h): plain http on 127.0.0.1, port 0 (the OS picks), one server thread, stopped
// and joined by the destructor.
//
// Every request is handed to the handler on the server thread. The handler answers it, or holds
// it back (returns nullopt): the connection stays open, unanswered, until ReleaseHeld answers it
// or the destructor closes it, so tests make a client time out without sleeping. The server
// thread is never blocked by a held request. Keep-alive is honoured; bodies up to 4 MiB; every
// socket operation is bounded (30 s).
//
// Thread-safe: ReleaseHeld and port() may be called from any thread. The handler runs on the
// server thread only, so it must lock what it shares with the test.

#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace salesos::testing {

// What every fake records of a request it got.
struct RecordedRequest {
  std::string method;
  std::string target;         // path and query, as sent
  std::string authorization;  // the header as sent ("" when absent)
  std::string content_type;
  std::string body;  // the raw body
};

class LocalHttpServer {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  // The answer to a request, or nullopt to hold it back.
  using Handler = std::function<std::optional<Response>(const Request&)>;
  // The answer to a held request, when it is released.
  using Answer = std::function<Response(const Request&)>;

  explicit LocalHttpServer(Handler handler);
  ~LocalHttpServer();
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:<port>"
  std::string origin() const;

  // Answers every request held so far with `answer` (run on the server thread), and returns at
  // once.
  void ReleaseHeld(Answer answer);

  static RecordedRequest Record(const Request& req);
  // A response with `body` as `content_type`, the request's version and keep-alive.
  static Response Reply(const Request& req, int status, std::string body,
                        std::string content_type = "application/json");

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// A port on 127.0.0.1 that nothing listens on (just released by the OS), for "connection
// refused" cases.
uint16_t ClosedPort();

}  // namespace salesos::testing
