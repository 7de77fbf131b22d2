#include "support/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace salesos::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpClient::Impl {
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

namespace {
std::pair<std::string, std::string> Split(const std::string& addr) {
  auto c = addr.rfind(':');
  return {addr.substr(0, c), addr.substr(c + 1)};
}
}  // namespace

HttpClient::HttpClient(std::string addr) : impl_(new Impl), addr_(std::move(addr)) {}
HttpClient::~HttpClient() { delete impl_; }

std::map<std::string, std::string> HttpClient::BearerHeaders(const std::string& bearer) {
  if (bearer.empty()) {
    return {};
  }
  return {{"Authorization", "Bearer " + bearer}};
}

HttpResult HttpClient::Request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->stream) {
      auto [host, port] = Split(addr_);
      tcp::resolver resolver(impl_->ioc);
      impl_->stream.emplace(impl_->ioc);
      impl_->stream->expires_after(std::chrono::seconds(15));
      impl_->stream->connect(resolver.resolve(host, port));
      impl_->buffer.clear();
    }
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, addr_);
    req.keep_alive(true);
    for (const auto& [k, v] : headers) {
      req.set(k, v);
    }
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      if (req.find(http::field::content_type) == req.end()) {
        req.set(http::field::content_type, "application/json");
      }
      req.body() = body;
      req.prepare_payload();
    }
    beast::error_code ec;
    impl_->stream->expires_after(std::chrono::seconds(15));
    http::write(*impl_->stream, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!ec) {
      http::read(*impl_->stream, impl_->buffer, parser, ec);
    }
    if (ec) {
      impl_->stream.reset();  // a closed keep-alive connection: reconnect once
      if (attempt == 1) {
        throw std::runtime_error("HTTP " + method + " " + target + " failed: " + ec.message());
      }
      continue;
    }
    auto res = parser.release();
    HttpResult out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      out.headers[name] = std::string(f.value());
    }
    out.body = res.body();
    if (!res.keep_alive()) {
      impl_->stream.reset();
    }
    return out;
  }
  throw std::runtime_error("unreachable");
}

std::string HttpClient::Raw(const std::string& bytes) {
  auto [host, port] = Split(addr_);
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(5));
  stream.connect(resolver.resolve(host, port));
  beast::error_code ec;
  net::write(stream, net::buffer(bytes), ec);
  std::string out;
  char buf[4096];
  while (true) {
    stream.expires_after(std::chrono::seconds(5));
    size_t n = stream.read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) {
      break;
    }
  }
  return out;
}

}  // namespace salesos::testing
