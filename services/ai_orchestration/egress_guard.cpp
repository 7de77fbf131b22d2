#include "egress_guard.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

namespace salesos::ai {
namespace {

namespace ip = boost::asio::ip;

bool InV4(uint32_t a, uint32_t net, int bits) {
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (a & mask) == (net & mask);
}

constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

bool IsPrivateV4(uint32_t a) {
  struct Net {
    uint32_t net;
    int bits;
  };
  static constexpr std::array<Net, 12> kRefused = {{
      {V4(0, 0, 0, 0), 8},       // "this network"
      {V4(10, 0, 0, 0), 8},      // private
      {V4(100, 64, 0, 0), 10},   // CGNAT
      {V4(127, 0, 0, 0), 8},     // loopback
      {V4(169, 254, 0, 0), 16},  // link-local, cloud metadata
      {V4(172, 16, 0, 0), 12},   // private
      {V4(192, 0, 0, 0), 24},    // IETF protocol assignments
      {V4(192, 168, 0, 0), 16},  // private
      {V4(198, 18, 0, 0), 15},   // benchmarking
      {V4(224, 0, 0, 0), 4},     // multicast
      {V4(240, 0, 0, 0), 4},     // reserved, broadcast
      {V4(255, 255, 255, 255), 32},
  }};
  return std::any_of(kRefused.begin(), kRefused.end(),
                     [a](const Net& n) { return InV4(a, n.net, n.bits); });
}

uint32_t V4At(const ip::address_v6::bytes_type& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         uint32_t{b[at + 3]};
}

bool IsPrivateV6(const ip::address_v6& a6) {
  auto b = a6.to_bytes();
  if (a6.is_unspecified() || a6.is_loopback() || a6.is_multicast()) {
    return true;
  }
  if ((b[0] & 0xfe) == 0xfc) {  // fc00::/7 unique local
    return true;
  }
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {  // fe80::/10 link-local
    return true;
  }
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) {  // fec0::/10 site-local (deprecated)
    return true;
  }
  bool first10_zero = std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return x == 0; });
  if (first10_zero && b[10] == 0xff && b[11] == 0xff) {  // ::ffff:a.b.c.d
    return IsPrivateV4(V4At(b, 12));
  }
  if (first10_zero && b[10] == 0 && b[11] == 0) {  // ::a.b.c.d (deprecated IPv4-compatible)
    return IsPrivateV4(V4At(b, 12));
  }
  static constexpr std::array<uint8_t, 12> kNat64 = {0x00, 0x64, 0xff, 0x9b, 0, 0,
                                                     0,    0,    0,    0,    0, 0};
  if (std::equal(kNat64.begin(), kNat64.end(), b.begin())) {  // 64:ff9b::/96
    return IsPrivateV4(V4At(b, 12));
  }
  if (b[0] == 0x20 && b[1] == 0x02) {  // 2002::/16 6to4 carries an IPv4 in bytes 2..5
    return IsPrivateV4(V4At(b, 2));
  }
  return false;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool ValidRegName(std::string_view host) {
  if (host.empty() || host.size() > 253) {
    return false;
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

// getaddrinfo cannot be cancelled, so it runs on its own thread and the caller stops waiting at
// the deadline; a late answer is dropped with the shared state.
struct DnsState {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int error = 0;
  std::vector<ip::address> addresses;
};

void RunGetaddrinfo(const std::shared_ptr<DnsState>& state, const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  std::vector<ip::address> out;
  if (rc == 0) {
    for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
      if (p->ai_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(p->ai_addr);
        out.emplace_back(ip::address_v4(ntohl(sin->sin_addr.s_addr)));
      } else if (p->ai_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(p->ai_addr);
        ip::address_v6::bytes_type bytes;
        std::memcpy(bytes.data(), sin6->sin6_addr.s6_addr, bytes.size());
        out.emplace_back(ip::address_v6(bytes, sin6->sin6_scope_id));
      }
    }
    ::freeaddrinfo(res);
  }
  std::lock_guard lock(state->mu);
  state->done = true;
  state->error = rc;
  state->addresses = std::move(out);
  state->cv.notify_all();
}

}  // namespace

std::string EndpointUrl::HostHeader() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (https ? 443 : 80)) {
    out += ":" + std::to_string(port);
  }
  return out;
}

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
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return InvalidArgument("the base URL is not a valid absolute URL");
  }
  const boost::urls::url_view& u = *parsed;
  EndpointUrl out;
  std::string scheme = Lower(u.scheme());
  if (scheme == "https") {
    out.https = true;
  } else if (scheme == "http") {
    out.https = false;
  } else {
    return InvalidArgument("the base URL must start with http:// or https://");
  }
  if (!u.has_authority()) {
    return InvalidArgument("the base URL has no host");
  }
  if (u.has_userinfo()) {
    return InvalidArgument("the base URL must not carry a user name or password");
  }
  if (u.has_query() || u.has_fragment()) {
    return InvalidArgument("the base URL must not have a query or a fragment");
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
    case boost::urls::host_type::name: {
      std::string name = Lower(u.encoded_host());
      while (!name.empty() && name.back() == '.') {
        name.pop_back();  // "example.com." is "example.com"
      }
      if (!ValidRegName(name)) {
        return InvalidArgument(name.empty() ? "the base URL has no host"
                                            : "the base URL's host is not a valid host name");
      }
      out.host = std::move(name);
      break;
    }
    default:
      return InvalidArgument("the base URL has no usable host");
  }
  out.port = out.https ? 443 : 80;
  if (u.has_port() && !u.port().empty()) {
    std::string_view p = u.port();
    unsigned value = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (ec != std::errc() || end != p.data() + p.size() || value == 0 || value > 65535) {
      return InvalidArgument("the base URL's port must be 1-65535");
    }
    out.port = static_cast<uint16_t>(value);
  }
  std::string path(u.encoded_path());
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  if (!path.empty() && path.front() != '/') {
    return InvalidArgument("the base URL's path must start with /");
  }
  out.path = std::move(path);
  return out;
}

bool IsPrivateAddress(const ip::address& address) {
  if (address.is_v4()) {
    return IsPrivateV4(address.to_v4().to_uint());
  }
  return IsPrivateV6(address.to_v6());
}

Result<std::vector<ip::tcp::endpoint>> ResolveEgress(const EndpointUrl& url, bool allow_private,
                                                     std::chrono::milliseconds timeout) {
  std::vector<ip::address> addresses;
  boost::system::error_code ec;
  ip::address literal = ip::make_address(url.host, ec);
  if (!ec) {
    addresses.push_back(literal);
  } else {
    auto state = std::make_shared<DnsState>();
    std::thread([state, host = url.host] { RunGetaddrinfo(state, host); }).detach();
    std::unique_lock lock(state->mu);
    if (!state->cv.wait_for(lock, timeout, [&] { return state->done; })) {
      return Status(Code::kDeadlineExceeded, "the name " + url.host + " did not resolve within " +
                                                 std::to_string(timeout.count()) + " ms");
    }
    if (state->error != 0 || state->addresses.empty()) {
      return Unavailable("the name " + url.host + " does not resolve" +
                         (state->error != 0 ? std::string(" (") + ::gai_strerror(state->error) + ")"
                                            : std::string()));
    }
    addresses = std::move(state->addresses);
  }
  std::vector<ip::tcp::endpoint> out;
  for (const auto& a : addresses) {
    if (!allow_private && IsPrivateAddress(a)) {
      return PermissionDenied("the base URL's host " + url.host + " resolves to " + a.to_string() +
                              ", a private, loopback or link-local address");
    }
    ip::tcp::endpoint ep(a, url.port);
    if (std::find(out.begin(), out.end(), ep) == out.end()) {
      out.push_back(ep);
    }
  }
  return out;
}

Status CheckBaseUrl(std::string_view url, bool allow_private,
                    std::chrono::milliseconds dns_timeout) {
  auto parsed = ParseEndpointUrl(url);
  if (!parsed.ok()) {
    return FieldError("baseUrl", parsed.status().message());
  }
  auto resolved = ResolveEgress(*parsed, allow_private, dns_timeout);
  if (!resolved.ok() && resolved.status().code() == Code::kPermissionDenied) {
    return FieldError("baseUrl", resolved.status().message() +
                                     "; such addresses are not allowed for AI endpoints");
  }
  return OkStatus();
}

}  // namespace salesos::ai
