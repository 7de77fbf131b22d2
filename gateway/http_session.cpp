#include "http_session.h"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "salesos/core/log.h"
#include "websocket_session.h"

namespace salesos::gateway {

namespace beast = boost::beast;
namespace net = boost::asio;

namespace {

constexpr size_t kFirstReadBytes = 4096;

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket&& socket, Gateway& gateway, SessionLimits limits,
                         RealtimeHub* hub, ConnectionLimiter::Ticket ticket)
    : stream_(std::move(socket)),
      gateway_(gateway),
      limits_(limits),
      hub_(hub),
      keep_alive_timer_(stream_.get_executor()),
      ticket_(std::move(ticket)) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  remote_ip_ = ec ? "" : ep.address().to_string();
  stream_.socket().set_option(net::ip::tcp::no_delay(true), ec);
}

void HttpSession::Run() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
}

void HttpSession::DoRead() {
  if (reading_ || closing_ || pending_.size() >= limits_.pipeline_limit) {
    return;
  }
  reading_ = true;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(limits_.max_header_bytes));
  // Beast checks a Content-Length against the limit as soon as the head is parsed, so the head is
  // read under the largest limit and the target's own limit is applied in OnHeader.
  parser_->body_limit(std::max(
      {limits_.max_body_bytes, limits_.max_webhook_body_bytes, limits_.max_upload_body_bytes}));
  if (first_request_ || buffer_.size() > 0) {
    // A new connection owes its first request at once; pipelined bytes have started the next.
    first_request_ = false;
    ReadHeader();
    return;
  }
  // Keep-alive: the next request may take its time to start (then it has the header timeout).
  // The wait has no timer of its own: while answers are owed the connection is not idle, and once
  // they are written the keep-alive timer bounds it (ArmKeepAlive).
  awaiting_request_ = true;
  stream_.expires_never();
  stream_.async_read_some(
      buffer_.prepare(kFirstReadBytes),
      beast::bind_front_handler(&HttpSession::OnFirstBytes, shared_from_this()));
  ArmKeepAlive();
}

void HttpSession::ArmKeepAlive() {
  if (!awaiting_request_ || writing_ || !pending_.empty()) {
    return;
  }
  keep_alive_timer_.expires_after(std::chrono::milliseconds(limits_.keep_alive_timeout_ms));
  keep_alive_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    auto self = weak.lock();
    if (!ec && self && self->awaiting_request_ && self->pending_.empty() && !self->writing_) {
      self->Close();  // idle for the whole keep-alive timeout
    }
  });
}

void HttpSession::OnFirstBytes(beast::error_code ec, size_t bytes) {
  awaiting_request_ = false;
  keep_alive_timer_.cancel();
  if (ec) {
    OnRead(ec, 0);
    return;
  }
  buffer_.commit(bytes);
  ReadHeader();
}

void HttpSession::ReadHeader() {
  auto now = std::chrono::steady_clock::now();
  request_deadline_ = now + std::chrono::milliseconds(limits_.read_timeout_ms);
  stream_.expires_at(
      std::min(*request_deadline_, now + std::chrono::milliseconds(limits_.header_timeout_ms)));
  // The head first: the body limit depends on the target.
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::OnHeader, shared_from_this()));
}

void HttpSession::OnHeader(beast::error_code ec, size_t bytes) {
  if (ec) {
    OnRead(ec, bytes);
    return;
  }
  if (ticket_.verdict() != ConnectionLimiter::Verdict::kAdmitted) {
    RefuseOverflow();
    return;
  }
  stream_.expires_at(*request_deadline_);  // the body has what is left of the read timeout
  body_limit_ = BodyLimitFor(parser_->get());
  auto length = parser_->content_length();
  if (length && *length > body_limit_) {
    OnRead(http::error::body_limit, bytes);
    return;
  }
  parser_->body_limit(body_limit_);  // for chunked bodies, counted as they arrive
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
}

size_t HttpSession::BodyLimitFor(const Request& head) const {
  std::string_view target = head.target();
  if (target.rfind("/webhooks/", 0) == 0) {
    return limits_.max_webhook_body_bytes;
  }
  // Only a body that the usual limit would refuse (or whose length is not known yet: chunked)
  // needs the route looked up.
  auto length = parser_->content_length();
  if (length && *length <= limits_.max_body_bytes) {
    return limits_.max_body_bytes;
  }
  Match match = gateway_.router().Find(head.method_string(), target.substr(0, target.find('?')));
  if (match.route != nullptr && match.route->raw_body) {
    return limits_.max_upload_body_bytes;
  }
  return limits_.max_body_bytes;
}

void HttpSession::RejectAndClose(const Status& status, unsigned http_status) {
  // Answer after what is already pending, then close: the rest of the stream cannot be trusted.
  Response res = Gateway::Error(11, false, status, Gateway::RequestIdFor(parser_->get()));
  res.result(http_status);
  auto slot = std::make_shared<Pending>();
  pending_.push_back(slot);
  closing_ = true;
  Complete(slot, std::move(res));
}

void HttpSession::RefuseOverflow() {
  const Request& head = parser_->get();
  std::string_view target = head.target();
  if (target.substr(0, target.find('?')) == "/healthz") {
    // Probes answer however busy the gateway is: a liveness probe must not restart it for that.
    closing_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
    return;
  }
  reading_ = false;
  if (ticket_.verdict() == ConnectionLimiter::Verdict::kOverPerIp) {
    Gateway::CountOverloaded("connections_per_ip", "");
    RejectAndClose(
        ResourceExhausted("too many connections from this address; retry in 1 s").WithRetryAfter(1),
        429);
    return;
  }
  Gateway::CountOverloaded("connections", "");
  RejectAndClose(Unavailable("the gateway holds as many connections as it may; retry in 1 s")
                     .WithRetryAfter(1),
                 503);
}

void HttpSession::OnRead(beast::error_code ec, size_t) {
  reading_ = false;
  request_deadline_.reset();
  if (ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == beast::error::timeout ||
      ec == net::error::operation_aborted) {
    if (pending_.empty() && !writing_) {
      Close();
    } else {
      closing_ = true;
    }
    return;
  }
  if (ec == http::error::header_limit) {
    RejectAndClose(Status(Code::kInvalidArgument, "request headers are larger than " +
                                                      std::to_string(limits_.max_header_bytes) +
                                                      " bytes"),
                   431);
    return;
  }
  if (ec == http::error::body_limit) {
    RejectAndClose(Status(Code::kInvalidArgument,
                          "request body is larger than " + std::to_string(body_limit_) + " bytes"),
                   413);
    return;
  }
  if (ec) {
    RejectAndClose(InvalidArgument("malformed HTTP request: " + ec.message()), 400);
    return;
  }

  if (HandOverUpgrade()) {
    return;
  }
  auto slot = std::make_shared<Pending>();
  pending_.push_back(slot);
  Request req = parser_->release();
  if (!req.keep_alive()) {
    closing_ = true;  // read nothing more; close once answered
  }
  // The answer holds the session: with no read pending (Connection: close, or the pipeline
  // full) nothing else does, and the session must live to write it. Bounded: the gateway answers
  // exactly once, every upstream call having a deadline.
  auto executor = stream_.get_executor();
  gateway_.Handle(std::move(req), remote_ip_,
                  [self = shared_from_this(), slot, executor](Response res) mutable {
                    net::post(executor,
                              [self = std::move(self), slot, res = std::move(res)]() mutable {
                                self->Complete(slot, std::move(res));
                              });
                  });
  DoRead();
}

bool HttpSession::HandOverUpgrade() {
  const Request& req = parser_->get();
  std::string_view target = req.target();
  if (hub_ == nullptr || !beast::websocket::is_upgrade(req) ||
      target.substr(0, target.find('?')) != kRealtimePath) {
    return false;
  }
  if (!pending_.empty() || writing_) {
    // The connection changes protocol after the 101: no earlier answer may still be owed on it.
    RejectAndClose(InvalidArgument("a WebSocket upgrade cannot be pipelined behind other requests"),
                   400);
    return true;
  }
  closing_ = true;  // this session is done with the connection
  std::make_shared<WebSocketSession>(stream_.release_socket(), *hub_, remote_ip_)
      ->Run(parser_->release());
  return true;
}

void HttpSession::Complete(const std::shared_ptr<Pending>& slot, Response&& res) {
  slot->response = std::move(res);
  WriteNext();
}

void HttpSession::WriteNext() {
  if (writing_ || pending_.empty() || !pending_.front()->response) {
    return;
  }
  writing_ = true;
  in_flight_ = std::make_shared<Response>(std::move(*pending_.front()->response));
  pending_.pop_front();
  if (closing_ && pending_.empty()) {
    in_flight_->keep_alive(false);
  }
  bool close = !in_flight_->keep_alive();
  // Sets the write's timer only: a pending read keeps its own.
  stream_.expires_after(std::chrono::milliseconds(limits_.read_timeout_ms));
  http::async_write(stream_, *in_flight_,
                    beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(), close));
}

void HttpSession::OnWrite(bool close, beast::error_code ec, size_t) {
  writing_ = false;
  in_flight_.reset();
  if (ec || close) {
    Close();
    return;
  }
  if (!pending_.empty()) {
    WriteNext();
    return;
  }
  if (closing_) {
    Close();
    return;
  }
  DoRead();
  ArmKeepAlive();  // when the read was already waiting for the next request
}

void HttpSession::Close() {
  closing_ = true;
  keep_alive_timer_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  stream_.close();
}

}  // namespace salesos::gateway
