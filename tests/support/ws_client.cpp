#include "support/ws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>

namespace salesos::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct WsClient::Impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool read_pending = false;
  bool read_done = false;
  beast::error_code read_ec;
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WsClient::~WsClient() {
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
}

WsConnectResult WsClient::ConnectAddr(const std::string& addr, const std::string& target,
                                      const std::string& subprotocols, int timeout_ms) {
  auto colon = addr.rfind(':');
  return Connect(addr.substr(0, colon), addr.substr(colon + 1), target, subprotocols, timeout_ms);
}

WsConnectResult WsClient::Connect(const std::string& host, const std::string& port,
                                  const std::string& target, const std::string& subprotocols,
                                  int timeout_ms) {
  WsConnectResult out;
  auto impl = std::make_unique<Impl>();
  auto& lowest = beast::get_lowest_layer(impl->ws);
  beast::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) {
    out.error = "resolve: " + ec.message();
    return out;
  }
  lowest.expires_after(std::chrono::milliseconds(timeout_ms));
  lowest.connect(endpoints, ec);
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  if (!subprotocols.empty()) {
    impl->ws.set_option(
        websocket::stream_base::decorator([subprotocols](websocket::request_type& req) {
          req.set(http::field::sec_websocket_protocol, subprotocols);
        }));
  }
  // The handshake, then the websocket's own timeouts (none while idle: a test decides how long).
  websocket::response_type res;
  bool done = false;
  impl->ws.async_handshake(res, host + ":" + port, target, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  impl->ioc.run_for(std::chrono::milliseconds(timeout_ms));
  if (!done) {  // drop the connection and let the handshake end before `res` goes away
    beast::get_lowest_layer(impl->ws).socket().close(ec);
    impl->ioc.restart();
    impl->ioc.run_for(std::chrono::milliseconds(timeout_ms));
    done = false;
  }
  impl->ioc.restart();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out.headers[name] = std::string(field.value());
  }
  out.body = res.body();
  if (!done || ec) {
    out.error = !done ? "handshake timed out" : "handshake: " + ec.message();
    return out;
  }
  lowest.expires_never();
  impl->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  out.client.reset(new WsClient(std::move(impl)));
  out.client->subprotocol_ = out.headers["sec-websocket-protocol"];
  return out;
}

bool WsClient::RunUntil(const std::function<bool()>& done, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (impl_->ioc.stopped()) {
      impl_->ioc.restart();
    }
    impl_->ioc.run_one_until(deadline);
  }
  return done();
}

bool WsClient::Await(const bool& done, int timeout_ms) {
  if (RunUntil([&] { return done; }, timeout_ms)) {
    return true;
  }
  // The operation cannot be left pending with what it refers to going away: give the connection
  // up and let it end.
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
  RunUntil([&] { return done; }, timeout_ms);
  return false;
}

std::optional<std::string> WsClient::ReadText(int timeout_ms) {
  if (closed_) {
    return std::nullopt;
  }
  if (!impl_->read_pending) {
    impl_->read_pending = true;
    impl_->read_done = false;
    impl_->ws.async_read(impl_->buffer, [this](beast::error_code ec, size_t) {
      impl_->read_done = true;
      impl_->read_ec = ec;
    });
  }
  if (!RunUntil([this] { return impl_->read_done; }, timeout_ms)) {
    return std::nullopt;  // still pending: the next call waits for it
  }
  impl_->read_pending = false;
  if (impl_->read_ec) {
    closed_ = true;
    error_ = impl_->read_ec.message();
    return std::nullopt;
  }
  std::string message = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return message;
}

std::optional<std::string> WsClient::ReadUntil(const std::function<bool(const std::string&)>& done,
                                               int timeout_ms, std::vector<std::string>* skipped) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!closed_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    auto message = ReadText(static_cast<int>(left.count()));
    if (!message) {
      continue;  // the loop ends on the deadline or the close
    }
    if (done(*message)) {
      return message;
    }
    if (skipped != nullptr) {
      skipped->push_back(std::move(*message));
    }
  }
  return std::nullopt;
}

bool WsClient::Send(const std::string& text, int timeout_ms) {
  if (closed_) {
    return false;
  }
  bool done = false;
  beast::error_code ec;
  impl_->ws.text(true);
  impl_->ws.async_write(net::buffer(text), [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  if (!Await(done, timeout_ms)) {
    closed_ = true;
    error_ = "send timed out";
    return false;
  }
  return !ec;
}

void WsClient::Close(int timeout_ms) {
  if (!closed_) {
    bool done = false;
    impl_->ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
    Await(done, timeout_ms);
    closed_ = true;
  }
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
}

int WsClient::close_code() const { return impl_->ws.reason().code; }

std::string WsClient::close_reason() const {
  const auto& reason = impl_->ws.reason().reason;
  return std::string(reason.data(), reason.size());
}

}  // namespace salesos::testing
