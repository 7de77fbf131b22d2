#pragma once

// HttpSession: one HTTP/1.1 connection, as in Beast's advanced server. Keep-alive, pipelining up
// to a cap (requests are read ahead while earlier answers are pending; answers are written in
// request order), header and body limits answered with 431 and 413, and a timeout on every read
// and write. The body limit is chosen from the head, before any of the body is read: the webhook
// limit for /webhooks/, the upload limit for an upload route of the request's method and path,
// else max_body_bytes. A WebSocket upgrade of /ws is handed, with the socket, to a WebSocketSession
// (when the gateway has a realtime hub). All of a session's handlers run on its strand.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "connection_limiter.h"
#include "gateway.h"
#include "realtime_hub.h"

namespace salesos::gateway {

struct SessionLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  // Meta's webhooks (/webhooks/...) batch up to hundreds of items; they may be this large.
  size_t max_webhook_body_bytes = 4 * 1024 * 1024;
  // Uploads (routes whose body is a salesos.api.HttpBody field, router.h) carry files, such as
  // a CSV of 100,000 contacts; they may be this large (--max-upload-bytes).
  size_t max_upload_body_bytes = 32 * 1024 * 1024;
  int header_timeout_ms = 10'000;      // for a request's head, from its first byte (or the accept)
  int read_timeout_ms = 30'000;        // for a whole request, from its first byte (or the accept)
  int keep_alive_timeout_ms = 30'000;  // idle, for the first byte of the next request
  size_t pipeline_limit = 16;          // answers pending before reading stops
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `hub`: where /ws upgrades go; nullptr answers them like any other request.
  // `ticket`: the connection's place (ConnectionLimiter); a ticket over a bound makes this a
  // session that answers one request and closes.
  HttpSession(boost::asio::ip::tcp::socket&& socket, Gateway& gateway, SessionLimits limits,
              RealtimeHub* hub = nullptr,
              ConnectionLimiter::Ticket ticket = ConnectionLimiter::Ticket());
  void Run();

 private:
  struct Pending {
    std::optional<Response> response;
  };
  void DoRead();
  // Keep-alive: waits for the first bytes of the next request.
  void OnFirstBytes(boost::beast::error_code ec, size_t bytes);
  // Starts the keep-alive timer when the connection is idle: waiting for a request, owing none.
  void ArmKeepAlive();
  void ReadHeader();
  void OnHeader(boost::beast::error_code ec, size_t bytes);
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void Complete(const std::shared_ptr<Pending>& slot, Response&& res);
  void WriteNext();
  void OnWrite(bool close, boost::beast::error_code ec, size_t bytes);
  void Close();
  void RejectAndClose(const Status& status, unsigned http_status);
  // The answer of a connection over a ConnectionLimiter bound, its head just read.
  void RefuseOverflow();
  // Whether the request just read is a WebSocket upgrade of /ws, now handed over.
  bool HandOverUpgrade();
  // The body limit of the request whose head was just read.
  size_t BodyLimitFor(const Request& head) const;

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  Gateway& gateway_;
  SessionLimits limits_;
  RealtimeHub* hub_;
  std::string remote_ip_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<std::shared_ptr<Pending>> pending_;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  size_t body_limit_ = 0;  // of the request being read
  bool first_request_ = true;
  bool awaiting_request_ = false;  // a read waits for the first byte of the next request
  boost::asio::steady_timer keep_alive_timer_;
  // While a request is being read (its first byte in): when the whole of it is due.
  std::optional<std::chrono::steady_clock::time_point> request_deadline_;
  ConnectionLimiter::Ticket ticket_;
  std::shared_ptr<Response> in_flight_;
};

}  // namespace salesos::gateway
