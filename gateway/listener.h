#pragma once

// Listener: accepts connections and starts an HttpSession for each on its own strand (which hands
// /ws upgrades on to the realtime hub), each with its place from the ConnectionLimiter: past the
// limiter's overflow a connection is closed as soon as it is accepted. When accepting fails (out
// of file descriptors, say) it pauses before trying again instead of spinning.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

#include "http_session.h"

namespace salesos::gateway {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `hub`: where /ws upgrades go (nullptr: no WebSockets).
  Listener(boost::asio::io_context& ioc, Gateway& gateway, SessionLimits limits,
           RealtimeHub* hub = nullptr, ConnectionLimits connections = {});
  // Binds and listens; kUnavailable naming the address when it cannot.
  Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const { return port_; }
  const ConnectionLimiter& connections() const { return *connections_; }
  void Start();
  void Stop();

 private:
  void DoAccept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Gateway& gateway_;
  SessionLimits limits_;
  RealtimeHub* hub_;
  std::shared_ptr<ConnectionLimiter> connections_;
  boost::asio::steady_timer retry_timer_;  // the pause after a failed accept
  uint16_t port_ = 0;
};

}  // namespace salesos::gateway
