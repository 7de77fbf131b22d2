#include "salesos/http/egress.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <utility>

#include "salesos/core/text.h"

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

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its IPv4 address; others as they are.
ip::address Unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  return a;
}

bool InNetwork(const ip::address& a, const ip::address& base, int prefix) {
  if (a.is_v4() != base.is_v4()) {
    return false;
  }
  if (a.is_v4()) {
    return InV4(a.to_v4().to_uint(), base.to_v4().to_uint(), prefix);
  }
  auto x = a.to_v6().to_bytes();
  auto y = base.to_v6().to_bytes();
  for (int i = 0; i < 16 && prefix > 0; ++i, prefix -= 8) {
    uint8_t mask = prefix >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - prefix));
    if ((x[i] & mask) != (y[i] & mask)) {
      return false;
    }
  }
  return true;
}

// `a` with every bit past `prefix` cleared.
ip::address NetworkOf(const ip::address& a, int prefix) {
  if (a.is_v4()) {
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return ip::address_v4(a.to_v4().to_uint() & mask);
  }
  auto b = a.to_v6().to_bytes();
  for (int i = 0; i < 16; ++i, prefix -= 8) {
    b[i] &= prefix >= 8 ? 0xff : prefix <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - prefix));
  }
  return ip::address_v6(b);
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "" or the reason `name` is no host name: letters, digits, '-' and '_' in dot-separated labels
// of 1 to 63 characters, at most 253 in all, the last label not all digits (then it was meant as
// an address).
std::string HostNameProblem(std::string_view name) {
  if (name.find('*') != std::string_view::npos) {
    return "wildcards are not supported: name each host";
  }
  if (name.size() > 253) {
    return "a host name is at most 253 characters";
  }
  std::string_view last;
  for (std::string_view rest = name; ;) {
    size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      return "is neither an address, a network nor a host name";
    }
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
        return "is neither an address, a network nor a host name";
      }
    }
    last = label;
    if (dot == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(dot + 1);
  }
  if (AllDigits(last)) {
    return "is not a valid IP address";
  }
  return "";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// A host as compared with host entries: lower case, without the root's trailing dot.
std::string CanonicalHost(std::string_view host) {
  std::string out = Lower(host);
  if (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  return out;
}

}  // namespace

Result<EgressAllowList> EgressAllowList::Parse(std::string_view spec) {
  EgressAllowList out;
  for (std::string_view rest = spec; !rest.empty();) {
    size_t comma = rest.find(',');
    std::string_view entry = TrimBlanks(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (entry.empty()) {
      continue;
    }
    auto bad = [&entry](const std::string& why) {
      return InvalidArgument("\"" + std::string(entry) + "\": " + why);
    };
    if (entry.find("://") != std::string_view::npos || entry.find_first_of("@?#") !=
                                                            std::string_view::npos) {
      return bad("is a URL; write a host name, an address or a network, with an optional :port");
    }
    // Split into the target and its port: "[v6[/n]]:port", "v6[/n]" (no port), "target[:port]".
    std::string_view target = entry;
    std::string_view port_text;
    bool has_port = false;
    if (entry.front() == '[') {
      size_t close = entry.find(']');
      if (close == std::string_view::npos) {
        return bad("has no closing ']'");
      }
      target = entry.substr(1, close - 1);
      std::string_view after = entry.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') {
          return bad("only :port may follow ']'");
        }
        port_text = after.substr(1);
        has_port = true;
      }
      if (target.find(':') == std::string_view::npos) {
        return bad("brackets are for IPv6 addresses only");
      }
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
      size_t colon = entry.find(':');
      target = entry.substr(0, colon);
      port_text = entry.substr(colon + 1);
      has_port = true;
    }
    uint16_t port = 0;
    if (has_port) {
      if (!AllDigits(port_text) || port_text.size() > 5 || std::stoi(std::string(port_text)) < 1 ||
          std::stoi(std::string(port_text)) > 65535) {
        return bad("the port must be a number from 1 to 65535");
      }
      port = static_cast<uint16_t>(std::stoi(std::string(port_text)));
    }
    if (target.empty()) {
      return bad("has no host, address or network before the port");
    }
    size_t slash = target.find('/');
    std::string_view address_text = target.substr(0, slash);
    boost::system::error_code ec;
    ip::address address = ip::make_address(std::string(address_text), ec);
    if (slash != std::string_view::npos || !ec) {
      if (ec) {
        return bad("\"" + std::string(address_text) + "\" is not an IP address");
      }
      if (address.is_v6() && address.to_v6().scope_id() != 0) {
        return bad("a zone (%...) is not allowed");
      }
      const int max_prefix = address.is_v4() ? 32 : 128;
      int prefix = max_prefix;
      if (slash != std::string_view::npos) {
        std::string_view prefix_text = target.substr(slash + 1);
        if (!AllDigits(prefix_text) || prefix_text.size() > 3 ||
            std::stoi(std::string(prefix_text)) > max_prefix) {
          return bad("the prefix length must be 0 to " + std::to_string(max_prefix));
        }
        prefix = std::stoi(std::string(prefix_text));
      }
      ip::address base = NetworkOf(address, prefix);
      if (base != address) {
        return bad("has bits set past its /" + std::to_string(prefix) + " prefix (the network is " +
                   base.to_string() + "/" + std::to_string(prefix) + ")");
      }
      out.networks_.push_back({Unmapped(base), Unmapped(base) == base ? prefix : prefix - 96, port});
      continue;
    }
    if (target.find(':') != std::string_view::npos) {
      return bad("is not an IP address (an IPv6 address with a port goes in brackets: [fd00::1]:8000)");
    }
    std::string name = CanonicalHost(target);
    if (std::string problem = HostNameProblem(name); !problem.empty()) {
      return bad(problem);
    }
    out.hosts_.push_back({std::move(name), port});
  }
  return out;
}

bool EgressAllowList::Admits(std::string_view host, uint16_t port,
                             const ip::address& address) const {
  const ip::address a = Unmapped(address);
  for (const auto& n : networks_) {
    if ((n.port == 0 || n.port == port) && InNetwork(a, n.base, n.prefix)) {
      return true;
    }
  }
  if (hosts_.empty()) {
    return false;
  }
  const std::string name = CanonicalHost(host);
  return std::any_of(hosts_.begin(), hosts_.end(), [&](const Host& h) {
    return (h.port == 0 || h.port == port) && h.name == name;
  });
}

std::string EgressAllowList::ToString() const {
  std::string out;
  auto add = [&out](const std::string& entry) { out += (out.empty() ? "" : ",") + entry; };
  for (const auto& n : networks_) {
    std::string net = n.base.to_string() + "/" + std::to_string(n.prefix);
    if (n.port == 0) {
      add(net);
    } else if (n.base.is_v6()) {
      add("[" + net + "]:" + std::to_string(n.port));
    } else {
      add(net + ":" + std::to_string(n.port));
    }
  }
  for (const auto& h : hosts_) {
    add(h.port == 0 ? h.name : h.name + ":" + std::to_string(h.port));
  }
  return out;
}

bool IsPrivateAddress(const ip::address& address) {
  if (address.is_v4()) {
    return IsPrivateV4(address.to_v4().to_uint());
  }
  return IsPrivateV6(address.to_v6());
}

Status CheckEgressEndpoints(const Url& url, const Endpoints& endpoints,
                            const EgressPolicy& policy) {
  if (policy.allow_private) {
    return OkStatus();
  }
  for (const auto& endpoint : endpoints) {
    const ip::address address = endpoint.address();
    if (IsPrivateAddress(address) && !policy.allow.Admits(url.host, url.port, address)) {
      return PermissionDenied("the host " + url.host + " resolves to " + address.to_string() +
                              ", a private, loopback or link-local address");
    }
  }
  return OkStatus();
}

Result<Endpoints> ResolveEgress(const Url& url, const EgressPolicy& policy,
                                std::chrono::milliseconds timeout) {
  SALESOS_ASSIGN_OR_RETURN(Endpoints endpoints, Resolve(url, timeout));
  SALESOS_RETURN_IF_ERROR(CheckEgressEndpoints(url, endpoints, policy));
  return endpoints;
}

Result<Endpoints> ResolveEgress(const Url& url, bool allow_private,
                                std::chrono::milliseconds timeout) {
  EgressPolicy policy;
  policy.allow_private = allow_private;
  return ResolveEgress(url, policy, timeout);
}

ResolveFn EgressResolver(EgressPolicy policy) {
  return [policy = std::move(policy)](const Url& url, std::chrono::milliseconds timeout) {
    return ResolveEgress(url, policy, timeout);
  };
}

ResolveFn EgressResolver(bool allow_private) {
  EgressPolicy policy;
  policy.allow_private = allow_private;
  return EgressResolver(std::move(policy));
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
  const bool plain_http =
      rules.https_only_unless_private && !rules.allow_private && !url->https();
  if (plain_http && rules.allow.empty()) {
    return FieldError(name, "must be an https:// URL");
  }
  EgressPolicy policy;
  policy.allow_private = rules.allow_private;
  policy.allow = rules.allow;
  auto resolved = ResolveEgress(*url, policy, rules.dns_timeout);
  if (!resolved.ok() && resolved.status().code() == Code::kPermissionDenied) {
    return FieldError(name, resolved.status().message() + "; such addresses are not allowed");
  }
  if (plain_http) {
    // Plain http only to a private target the operator admitted (a local receiver).
    bool admitted = resolved.ok() && !resolved->empty() &&
                    std::all_of(resolved->begin(), resolved->end(), [&](const auto& endpoint) {
                      return IsPrivateAddress(endpoint.address());
                    });
    if (!admitted) {
      return FieldError(name, "must be an https:// URL");
    }
  }
  return url;
}

}  // namespace salesos::http
