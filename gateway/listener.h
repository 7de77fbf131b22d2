#pragma once

// Listener: accepts connections and starts an HttpSession for each on its own strand (which hands
// /ws upgrades on to the realtime hub).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

#include "http_session.h"

namespace salesos::gateway {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `hub`: where /ws upgrades go (nullptr: no WebSockets).
  Listener(boost::asio::io_context& ioc, Gateway& gateway, SessionLimits limits,
           RealtimeHub* hub = nullptr);
  // Binds and listens; kUnavailable naming the address when it cannot.
  Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const { return port_; }
  void Start();
  void Stop();

 private:
  void DoAccept();
  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Gateway& gateway_;
  SessionLimits limits_;
  RealtimeHub* hub_;
  uint16_t port_ = 0;
};

}  // namespace salesos::gateway
