#include "support/local_http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <thread>
#include <vector>

namespace salesos::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kIoTimeout = std::chrono::seconds(30);

}  // namespace

struct LocalHttpServer::Impl {
  class Session;

  Handler handler;
  uint16_t port = 0;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  // Sessions whose request is held back; touched on the server thread only.
  std::vector<std::shared_ptr<Session>> held;
  std::thread thread;

  void Accept();
};

class LocalHttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Impl& impl) : stream_(std::move(socket)), impl_(impl) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(4 << 20);
    stream_.expires_after(kIoTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void Send(Response res) {
    res_ = std::move(res);
    stream_.expires_after(kIoTimeout);
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (!ec && self->res_.keep_alive()) {
        self->Read();
        return;
      }
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  const Request& request() const { return parser_->get(); }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    auto res = impl_.handler(parser_->get());
    if (!res) {
      stream_.expires_never();  // held until released or the server stops
      impl_.held.push_back(shared_from_this());
      return;
    }
    Send(std::move(*res));
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response res_;
  Impl& impl_;
};

void LocalHttpServer::Impl::Accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) {
      return;
    }
    if (!ec) {
      std::make_shared<Session>(std::move(socket), *this)->Read();
    }
    Accept();
  });
}

LocalHttpServer::LocalHttpServer(Handler handler) : impl_(std::make_shared<Impl>()) {
  impl_->handler = std::move(handler);
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

LocalHttpServer::~LocalHttpServer() {
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->held.clear();
  });
  impl_->ioc.stop();
  impl_->thread.join();
  impl_->held.clear();
}

uint16_t LocalHttpServer::port() const { return impl_->port; }

std::string LocalHttpServer::origin() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void LocalHttpServer::ReleaseHeld(Answer answer) {
  net::post(impl_->ioc, [impl = impl_.get(), answer = std::move(answer)] {
    auto sessions = std::move(impl->held);
    impl->held.clear();
    for (auto& s : sessions) {
      s->Send(answer(s->request()));
    }
  });
}

RecordedRequest LocalHttpServer::Record(const Request& req) {
  return {std::string(req.method_string()), std::string(req.target()),
          std::string(req[http::field::authorization]), std::string(req[http::field::content_type]),
          req.body()};
}

LocalHttpServer::Response LocalHttpServer::Reply(const Request& req, int status, std::string body,
                                                 std::string content_type) {
  Response res{static_cast<http::status>(status), req.version()};
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

uint16_t ClosedPort() {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace salesos::testing
