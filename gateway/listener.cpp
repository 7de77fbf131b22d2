#include "listener.h"

#include <boost/asio/strand.hpp>

#include "salesos/core/log.h"

namespace salesos::gateway {

namespace net = boost::asio;

namespace {

// How long accepting pauses after it failed (EMFILE and the like clear as connections close).
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);

}  // namespace

Listener::Listener(net::io_context& ioc, Gateway& gateway, SessionLimits limits, RealtimeHub* hub,
                   ConnectionLimits connections)
    : ioc_(ioc),
      acceptor_(net::make_strand(ioc)),
      gateway_(gateway),
      limits_(limits),
      hub_(hub),
      connections_(ConnectionLimiter::Make(connections)),
      retry_timer_(acceptor_.get_executor()) {}

Status Listener::Listen(const net::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + endpoint.address().to_string() + ":" +
                       std::to_string(endpoint.port()) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  return OkStatus();
}

void Listener::Start() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->DoAccept(); });
}

void Listener::Stop() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->retry_timer_.cancel();
  });
}

void Listener::DoAccept() {
  acceptor_.async_accept(
      net::make_strand(ioc_),
      [self = shared_from_this()](boost::system::error_code ec, net::ip::tcp::socket socket) {
        self->OnAccept(ec, std::move(socket));
      });
}

void Listener::OnAccept(boost::system::error_code ec, net::ip::tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
    return;
  }
  if (ec) {
    log::Warn("accept failed", {{"error", ec.message()}});
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
      if (!wait_ec && self->acceptor_.is_open()) {
        self->DoAccept();
      }
    });
    return;
  }
  boost::system::error_code ep_ec;
  auto ep = socket.remote_endpoint(ep_ec);
  ConnectionLimiter::Ticket ticket = connections_->Admit(ep_ec ? "" : ep.address().to_string());
  if (ticket.verdict() == ConnectionLimiter::Verdict::kDropped) {
    Gateway::CountOverloaded("connections_overflow", "");
    socket.close(ep_ec);
  } else {
    std::make_shared<HttpSession>(std::move(socket), gateway_, limits_, hub_, std::move(ticket))
        ->Run();
  }
  DoAccept();
}

}  // namespace salesos::gateway
