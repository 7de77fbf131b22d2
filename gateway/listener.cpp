#include "listener.h"

#include <boost/asio/strand.hpp>

#include "salesos/core/log.h"

namespace salesos::gateway {

namespace net = boost::asio;

Listener::Listener(net::io_context& ioc, Gateway& gateway, SessionLimits limits, RealtimeHub* hub)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), gateway_(gateway), limits_(limits), hub_(hub) {}

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
  });
}

void Listener::DoAccept() {
  acceptor_.async_accept(
      net::make_strand(ioc_), [self = shared_from_this()](boost::system::error_code ec,
                                                           net::ip::tcp::socket socket) {
        if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) {
          return;
        }
        if (ec) {
          log::Warn("accept failed", {{"error", ec.message()}});
        } else {
          std::make_shared<HttpSession>(std::move(socket), self->gateway_, self->limits_,
                                        self->hub_)
              ->Run();
        }
        self->DoAccept();
      });
}

}  // namespace salesos::gateway
