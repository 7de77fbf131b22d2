#include "salesos/http/client.h"

#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <charconv>
#include <cstring>
#include <exception>
#include <future>
#include <thread>
#include <type_traits>

namespace salesos::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ValidHostName(std::string_view host) {
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

// Header names are tokens; values must not smuggle a line break (a second header or a body).
bool ValidHeader(std::string_view name, std::string_view value) {
  bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
  });
  return name_ok && value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Runs one asynchronous operation to completion on `ioc`; the stream's expiry bounds it.
template <typename Initiate>
beast::error_code RunOp(net::io_context& ioc, Initiate&& initiate) {
  beast::error_code result = net::error::would_block;
  initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

Result<Endpoints> LookUp(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    return Unavailable("the name " + host + " does not resolve (" + ::gai_strerror(rc) + ")");
  }
  Endpoints out;
  for (addrinfo* p = found; p != nullptr; p = p->ai_next) {
    if ((p->ai_family != AF_INET && p->ai_family != AF_INET6) ||
        p->ai_addrlen > sizeof(sockaddr_in6)) {
      continue;
    }
    tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), p->ai_addr, p->ai_addrlen);
    endpoint.resize(p->ai_addrlen);
    if (std::find(out.begin(), out.end(), endpoint) == out.end()) {
      out.push_back(endpoint);
    }
  }
  ::freeaddrinfo(found);
  if (out.empty()) {
    return Unavailable("the name " + host + " has no IPv4 or IPv6 address");
  }
  return out;
}

}  // namespace

std::string Url::HostHeader() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (https() ? 443 : 80)) {
    out += ":" + std::to_string(port);
  }
  return out;
}

Result<Url> ParseUrl(std::string_view text) {
  if (text.empty()) {
    return InvalidArgument("the URL is empty");
  }
  if (text.size() > kMaxUrlLength) {
    return InvalidArgument("the URL is longer than " + std::to_string(kMaxUrlLength) +
                           " characters");
  }
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    return InvalidArgument("the URL is not a valid absolute URL");
  }
  const boost::urls::url_view& u = *parsed;
  Url out;
  out.scheme = Lower(u.scheme());
  if (out.scheme != "https" && out.scheme != "http") {
    return InvalidArgument("the URL must start with http:// or https://");
  }
  if (!u.has_authority()) {
    return InvalidArgument("the URL has no host");
  }
  if (u.has_userinfo()) {
    return InvalidArgument("the URL must not carry a user name or password");
  }
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      out.host = u.host_ipv4_address().to_string();
      out.host_is_ip = true;
      break;
    case boost::urls::host_type::ipv6:
      out.host = Lower(u.host_ipv6_address().to_string());
      out.host_is_ip = true;
      break;
    case boost::urls::host_type::name:
      out.host = Lower(u.encoded_host());
      while (!out.host.empty() && out.host.back() == '.') {
        out.host.pop_back();  // "example.com." is "example.com"
      }
      if (!ValidHostName(out.host)) {
        return InvalidArgument(out.host.empty() ? "the URL has no host"
                                                : "the URL's host is not a valid host name");
      }
      break;
    default:
      return InvalidArgument("the URL has no usable host");
  }
  out.port = out.https() ? 443 : 80;
  if (u.has_port() && !u.port().empty()) {
    std::string_view p = u.port();
    unsigned value = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (ec != std::errc() || end != p.data() + p.size() || value == 0 || value > 65535) {
      return InvalidArgument("the URL's port must be 1-65535");
    }
    out.port = static_cast<uint16_t>(value);
  }
  out.target = std::string(u.encoded_path());
  if (out.target.empty() || out.target.front() != '/') {
    out.target.insert(out.target.begin(), '/');
  }
  if (u.has_query()) {
    out.target += "?" + std::string(u.encoded_query());
  }
  return out;
}

Result<Endpoints> Resolve(const Url& url, std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  net::ip::address literal = net::ip::make_address(url.host, ec);
  if (!ec) {
    return Endpoints{tcp::endpoint(literal, url.port)};
  }
  // getaddrinfo cannot be cancelled: it runs on a thread of its own and this call stops waiting
  // at the deadline; a late answer is dropped with the task.
  auto task = std::make_shared<std::packaged_task<Result<Endpoints>()>>(
      [host = url.host, port = url.port] { return LookUp(host, port); });
  std::future<Result<Endpoints>> answer = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  if (answer.wait_for(timeout) != std::future_status::ready) {
    return Status(Code::kDeadlineExceeded, "the name " + url.host + " did not resolve within " +
                                               std::to_string(timeout.count()) + " ms");
  }
  return answer.get();
}

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return {};
}

struct HttpClient::Tls {
  ssl::context ctx{ssl::context::tls_client};
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), tls_(std::make_unique<Tls>()) {
  boost::system::error_code ec;
  tls_->ctx.set_default_verify_paths(ec);  // a missing trust store fails each handshake instead
  if (!options_.extra_ca_pem.empty()) {
    tls_->ctx.add_certificate_authority(net::buffer(options_.extra_ca_pem), ec);
  }
  tls_->ctx.set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(tls_->ctx.native_handle(), TLS1_2_VERSION);
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Send(const HttpRequest& request, const ResolveFn& resolve) const {
  try {
    const auto deadline = SteadyClock::now() + milliseconds(request.timeout_ms);
    if (request.timeout_ms <= 0) {
      return InvalidArgument("the timeout must be positive");
    }
    SALESOS_ASSIGN_OR_RETURN(Url url, ParseUrl(request.url));
    bhttp::verb verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown) {
      return InvalidArgument("unknown HTTP method " + request.method.substr(0, 20));
    }
    bhttp::request<bhttp::string_body> req{verb, url.target, 11};
    req.set(bhttp::field::host, url.HostHeader());
    req.set(bhttp::field::user_agent, options_.user_agent);
    for (const auto& [name, value] : request.headers) {
      if (!ValidHeader(name, value)) {
        return InvalidArgument("the request header " + name.substr(0, 40) + " is not valid");
      }
      req.set(name, value);
    }
    req.keep_alive(false);
    req.body() = request.body;
    req.prepare_payload();

    const auto timed_out = [&] {
      return Status(Code::kDeadlineExceeded,
                    "no answer within " + std::to_string(request.timeout_ms) + " ms");
    };
    auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
    left = std::max(left, milliseconds(1));
    SALESOS_ASSIGN_OR_RETURN(Endpoints endpoints,
                             resolve ? resolve(url, left) : Resolve(url, left));
    if (endpoints.empty()) {
      return Unavailable("no address to connect to for " + url.HostHeader());
    }

    net::io_context ioc;
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    parser.header_limit(
        static_cast<uint32_t>(std::min<size_t>(options_.max_header_bytes, 1u << 30)));
    const std::string where = url.HostHeader();

    // Connects, (handshakes,) writes and reads; leaves the error of the first step that failed
    // and which step it was.
    enum class Step { kConnect, kHandshake, kWrite, kRead, kDone };
    Step step = Step::kConnect;
    beast::error_code ec;
    std::string tls_detail;
    auto exchange = [&](auto& stream) {
      auto& tcp_stream = beast::get_lowest_layer(stream);
      tcp_stream.expires_at(deadline);
      ec = RunOp(ioc,
                 [&](auto handler) { tcp_stream.async_connect(endpoints, std::move(handler)); });
      if (ec) {
        return;
      }
      if constexpr (!std::is_same_v<std::decay_t<decltype(stream)>, beast::tcp_stream>) {
        step = Step::kHandshake;
        ec = RunOp(ioc, [&](auto handler) {
          stream.async_handshake(ssl::stream_base::client, std::move(handler));
        });
        if (ec) {
          long verify = SSL_get_verify_result(stream.native_handle());
          if (verify != X509_V_OK) {
            tls_detail = X509_verify_cert_error_string(verify);
          }
          return;
        }
      }
      step = Step::kWrite;
      ec = RunOp(ioc, [&](auto handler) { bhttp::async_write(stream, req, std::move(handler)); });
      if (ec) {
        return;
      }
      step = Step::kRead;
      ec = RunOp(ioc, [&](auto handler) {
        bhttp::async_read(stream, buffer, parser, std::move(handler));
      });
      if (!ec) {
        step = Step::kDone;
      }
      beast::error_code ignored;
      tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp_stream.close();
    };

    if (url.https()) {
      beast::ssl_stream<beast::tcp_stream> stream(ioc, tls_->ctx);
      SSL* ssl_handle = stream.native_handle();
      if (!url.host_is_ip) {
        SSL_set_tlsext_host_name(ssl_handle, url.host.c_str());
        SSL_set1_host(ssl_handle, url.host.c_str());
      } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), url.host.c_str());
      }
      exchange(stream);
    } else {
      beast::tcp_stream stream(ioc);
      exchange(stream);
    }

    if (ec == beast::error::timeout || (ec && SteadyClock::now() >= deadline)) {
      return timed_out();
    }
    switch (step) {
      case Step::kConnect:
        return Unavailable("cannot connect to " + where + ": " + ec.message());
      case Step::kHandshake:
        return Unavailable("TLS handshake with " + where +
                           " failed: " + (tls_detail.empty() ? ec.message() : tls_detail));
      case Step::kWrite:
        return Unavailable("sending the request to " + where + " failed: " + ec.message());
      case Step::kRead:
        if (ec == bhttp::error::body_limit) {
          return Status(Code::kOutOfRange, "the answer is larger than " +
                                               std::to_string(options_.max_response_bytes) +
                                               " bytes");
        }
        if (!parser.is_header_done()) {
          return Status(Code::kDataLoss,
                        "no valid HTTP answer from " + where + ": " + ec.message());
        }
        break;  // the status line and headers are there: an answer, cut off
      case Step::kDone:
        break;
    }

    auto& res = parser.get();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(res.body());
    if (ec) {
      out.cut_off = ec.message();
    }
    return out;
  } catch (const std::exception& e) {
    return Internal(std::string("HTTP client failure: ") + e.what());
  }
}

}  // namespace salesos::http
