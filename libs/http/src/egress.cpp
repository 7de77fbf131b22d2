#include "salesos/http/egress.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace salesos::http {
namespace {

namespace ip = boost::asio::ip;

constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

bool InV4(uint32_t a, uint32_t net, int bits) {
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (a & mask) == (net & mask);
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

}  // namespace

bool IsPrivateAddress(const ip::address& address) {
  if (address.is_v4()) {
    return IsPrivateV4(address.to_v4().to_uint());
  }
  return IsPrivateV6(address.to_v6());
}

Result<Endpoints> ResolveEgress(const Url& url, bool allow_private,
                                std::chrono::milliseconds timeout) {
  SALESOS_ASSIGN_OR_RETURN(Endpoints endpoints, Resolve(url, timeout));
  if (allow_private) {
    return endpoints;
  }
  for (const auto& endpoint : endpoints) {
    if (IsPrivateAddress(endpoint.address())) {
      return PermissionDenied("the host " + url.host + " resolves to " +
                              endpoint.address().to_string() +
                              ", a private, loopback or link-local address");
    }
  }
  return endpoints;
}

ResolveFn EgressResolver(bool allow_private) {
  return [allow_private](const Url& url, std::chrono::milliseconds timeout) {
    return ResolveEgress(url, allow_private, timeout);
  };
}

Result<Url> CheckEgressUrl(std::string_view text, std::string_view field,
                           const EgressUrlRules& rules) {
  const std::string name(field);
  if (text.size() > rules.max_length) {
    return FieldError(name, "must be at most " + std::to_string(rules.max_length) + " characters");
  }
  auto url = ParseUrl(text);
  if (!url.ok()) {
    return FieldError(name, url.status().message());
  }
  if (rules.https_only_unless_private && !rules.allow_private && !url->https()) {
    return FieldError(name, "must be an https:// URL");
  }
  auto resolved = ResolveEgress(*url, rules.allow_private, rules.dns_timeout);
  if (!resolved.ok() && resolved.status().code() == Code::kPermissionDenied) {
    return FieldError(name, resolved.status().message() + "; such addresses are not allowed");
  }
  return url;
}

}  // namespace salesos::http
