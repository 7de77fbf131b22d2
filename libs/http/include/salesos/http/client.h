#pragma once

// An outbound HTTP/1.1 client over http:// and https:// (Boost.Beast, OpenSSL), for the
// third-party APIs the services call: OpenAI-compatible LLM endpoints, Meta's Graph API.
//
// HttpClient promises:
// - One request, one connection. The URL's host is resolved (by Resolve, or by the caller's
//   ResolveFn, which may refuse addresses: the SSRF guard of ai_orchestration), the client
//   connects to exactly the addresses it got, and for https verifies the server's certificate
//   against the system trust store (plus HttpClientOptions::extra_ca_pem) and its host name or IP
//   address, with SNI. TLS 1.2 at least. It sends `Connection: close`, reads one answer and
//   closes. Redirects are never followed: a 3xx is an answer like any other.
// - One deadline, HttpRequest::timeout_ms, covers all of it: DNS, connect, TLS handshake, write
//   and read. Nothing goes on after it.
// - Bounded: an answer whose headers exceed max_header_bytes or whose body exceeds
//   max_response_bytes is refused.
// - Any HTTP status is an answer (Send returns it, 4xx and 5xx included). Send's errors:
//     InvalidArgument   the URL, method, a header or the timeout is unusable; nothing was sent
//     DeadlineExceeded  the deadline passed ("no answer within <timeout_ms> ms"; "the name ... did
//                       not resolve within ..." when DNS took it all)
//     Unavailable       the name does not resolve, or connect, the TLS handshake or the write
//                       failed ("cannot connect to <host:port>: Connection refused")
//     DataLoss          no usable status line and headers came back: the connection broke, the
//                       peer does not speak HTTP, or the headers exceed max_header_bytes
//     OutOfRange        the body exceeds max_response_bytes
//   plus any non-ok Status of the caller's ResolveFn, passed on unchanged. Messages name the
//   host and port, never the request's headers, query or body (tokens travel there).
// - A connection that breaks after the headers arrived still gives an answer: HttpResponse with
//   the body received so far and `cut_off` saying why it stopped.
// - Thread-safe: one client serves concurrent Sends from many threads (each Send has its own
//   io_context and socket; the TLS context is read-only after construction). No exception
//   escapes.

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salesos/core/status.h"

namespace salesos::http {

inline constexpr size_t kMaxUrlLength = 8192;

// An absolute http(s) URL taken apart: "https://graph.facebook.com/v21.0/me/messages?a=b" →
// https, "graph.facebook.com", 443, "/v21.0/me/messages?a=b".
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-cased; an IPv6 literal without its brackets
  bool host_is_ip = false;
  uint16_t port = 443;
  std::string target;  // path and query, percent-encoded as written; "/" when both are empty

  bool https() const { return scheme == "https"; }
  // The Host header value: the host, bracketed for IPv6, with the port when not the default.
  std::string HostHeader() const;
};

// Syntax only: http or https, no user name or password, a host name or IP literal, a port
// 1-65535, at most kMaxUrlLength characters. A fragment is dropped (it is never sent).
// InvalidArgument with a message naming the problem (never echoing the query).
Result<Url> ParseUrl(std::string_view url);

using Endpoints = std::vector<boost::asio::ip::tcp::endpoint>;

// Turns a URL's host into the addresses to connect to, within `timeout`. The client connects to
// exactly these (no second lookup), so a hook that vets them cannot be bypassed by DNS rebinding.
using ResolveFn =
    std::function<Result<Endpoints>(const Url& url, std::chrono::milliseconds timeout)>;

// The default ResolveFn: IP literals without DNS, names through getaddrinfo. Errors: Unavailable
// (the name does not resolve), DeadlineExceeded (no DNS answer within `timeout`; the lookup
// cannot be cancelled and finishes unobserved on its own thread). Thread-safe.
Result<Endpoints> Resolve(const Url& url, std::chrono::milliseconds timeout);

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute, ParseUrl's rules
  // Sent as given; Host, Content-Length and Connection are set by Send, User-Agent when absent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int timeout_ms = 10000;  // must be > 0
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;
  // Empty when the whole answer arrived; else why the body stopped early ("end of stream"), and
  // `body` holds what came before.
  std::string cut_off;

  // The value of the first header called `name` (any case), or "" when there is none.
  std::string_view Header(std::string_view name) const;
};

struct HttpClientOptions {
  size_t max_response_bytes = 1 << 20;
  size_t max_header_bytes = 64 << 10;
  // PEM certificates trusted besides the system store (a private CA; tests). Empty: system only.
  std::string extra_ca_pem;
  std::string user_agent = "salesos/1.0";  // when the request sets none
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One exchange, no retries (the caller decides). `resolve` defaults to Resolve.
  Result<HttpResponse> Send(const HttpRequest& request, const ResolveFn& resolve = nullptr) const;

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Tls;
  HttpClientOptions options_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace salesos::http
