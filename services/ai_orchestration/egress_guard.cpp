#include "egress_guard.h"

#include "salesos/http/client.h"

namespace salesos::ai {
namespace {

http::Url ToUrl(const EndpointUrl& url) {
  http::Url out;
  out.scheme = url.https ? "https" : "http";
  out.host = url.host;
  out.host_is_ip = url.host_is_ip;
  out.port = url.port;
  out.target = url.path.empty() ? "/" : url.path;
  return out;
}

// libs/http speaks of "the URL"; settings speak of the base URL.
std::string BaseUrlMessage(const std::string& message) {
  constexpr std::string_view kThe = "the URL";
  if (message.rfind(kThe, 0) == 0) {
    return "the base URL" + message.substr(kThe.size());
  }
  return message;
}

}  // namespace

std::string EndpointUrl::HostHeader() const { return ToUrl(*this).HostHeader(); }

std::string EndpointUrl::Target(std::string_view suffix) const {
  std::string joined = path + "/" + std::string(suffix);
  std::string out;
  out.reserve(joined.size() + 1);
  for (char c : joined) {
    if (c == '/' && !out.empty() && out.back() == '/') {
      continue;
    }
    out += c;
  }
  if (out.empty() || out.front() != '/') {
    out.insert(out.begin(), '/');
  }
  return out;
}

Result<EndpointUrl> ParseEndpointUrl(std::string_view url) {
  if (url.empty()) {
    return InvalidArgument("the base URL is empty");
  }
  if (url.size() > kMaxBaseUrlLength) {
    return InvalidArgument("the base URL is longer than " + std::to_string(kMaxBaseUrlLength) +
                           " characters");
  }
  // '?' and '#' only ever delimit the query and the fragment in a valid URL (elsewhere they are
  // percent-encoded), and http::ParseUrl keeps the one and drops the other.
  if (url.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgument("the base URL must not have a query or a fragment");
  }
  auto parsed = http::ParseUrl(url);
  if (!parsed.ok()) {
    return InvalidArgument(BaseUrlMessage(parsed.status().message()));
  }
  EndpointUrl out;
  out.https = parsed->https();
  out.host = std::move(parsed->host);
  out.host_is_ip = parsed->host_is_ip;
  out.port = parsed->port;
  std::string path = std::move(parsed->target);
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  out.path = std::move(path);
  return out;
}

Result<std::vector<boost::asio::ip::tcp::endpoint>> ResolveEgress(
    const EndpointUrl& url, const http::EgressPolicy& policy, std::chrono::milliseconds timeout) {
  return http::ResolveEgress(ToUrl(url), policy, timeout);
}

Result<std::vector<boost::asio::ip::tcp::endpoint>> ResolveEgress(
    const EndpointUrl& url, bool allow_private, std::chrono::milliseconds timeout) {
  return http::ResolveEgress(ToUrl(url), allow_private, timeout);
}

Status CheckBaseUrl(std::string_view url, bool allow_private,
                    std::chrono::milliseconds dns_timeout) {
  http::EgressPolicy policy;
  policy.allow_private = allow_private;
  return CheckBaseUrl(url, policy, dns_timeout);
}

Status CheckBaseUrl(std::string_view url, const http::EgressPolicy& policy,
                    std::chrono::milliseconds dns_timeout) {
  auto parsed = ParseEndpointUrl(url);
  if (!parsed.ok()) {
    return FieldError("baseUrl", parsed.status().message());
  }
  auto resolved = ResolveEgress(*parsed, policy, dns_timeout);
  if (!resolved.ok() && resolved.status().code() == Code::kPermissionDenied) {
    return FieldError("baseUrl", resolved.status().message() +
                                     "; such addresses are not allowed for AI endpoints");
  }
  return OkStatus();
}

}  // namespace salesos::ai
