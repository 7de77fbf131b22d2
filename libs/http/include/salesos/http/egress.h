#pragma once

// The egress guard (SSRF): what keeps a URL a tenant typed in (an AI endpoint, an outgoing
// webhook) from reaching the platform's own network. Loopback, private, link-local (with the cloud
// metadata address 169.254.169.254), CGNAT, unique-local, multicast and reserved addresses are
// refused, in IPv4, IPv6 and the IPv6 forms that embed an IPv4 address, unless the operator
// allows them: all of them (a service's allow-private switch, for local models, local receivers
// and tests), or only those an allow-list names (SALESOS_EGRESS_ALLOW, EgressAllowList below).
//
// The check is on the addresses the host resolves to, and ResolveEgress returns exactly those
// addresses. Passed to HttpClient::Send as its ResolveFn (EgressResolver), the client connects to
// the checked addresses without resolving again, so a DNS answer that changes between the check
// and the connect (DNS rebinding) cannot slip a private address through.
//
// Every function here is thread-safe.

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/http/client.h"

namespace salesos::http {

// True for an address a tenant-set URL must not reach: 0.0.0.0/8, 10/8, 100.64/10, 127/8,
// 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, 224/4, 240/4 (and broadcast); IPv6
// ::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8, and IPv4-mapped (::ffff:a.b.c.d),
// IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) forms of a refused IPv4.
bool IsPrivateAddress(const boost::asio::ip::address& address);

// The operator's exceptions to the guard, finer than allowing every private address: the
// private addresses, networks and host names tenant URLs may reach after all. Written as a
// comma-separated list (SALESOS_EGRESS_ALLOW="10.1.2.0/24,llm.internal:8000,[fd00::/8]"), each
// entry one of
//   a network or an address   10.1.2.0/24, 10.1.2.7, fd00::/8, [fd00::/8], [fd00::1]
//   a host name, exactly      llm.internal (any case, no wildcards)
// optionally followed by :port (IPv6 then in brackets): 10.1.2.7:8000, [fd00::1]:8000,
// llm.internal:8000; without a port every port is admitted.
//
// A network or address entry admits the addresses in it, whatever name resolved to them (an
// IPv4-mapped IPv6 address counts as its IPv4 address). A host entry admits the addresses its
// name resolves to, for a URL with exactly that host (not another name that resolves to the same
// addresses, nor the address typed as an IP literal). Only private addresses need an entry:
// public ones are reached anyway. Immutable after Parse, so thread-safe.
class EgressAllowList {
 public:
  EgressAllowList() = default;  // empty: admits nothing

  // InvalidArgument naming the first bad entry and why: `"10.1.2.0/33": the prefix length must
  // be 0 to 32`. Empty entries (",,", a trailing comma) and spaces around entries are ignored.
  static Result<EgressAllowList> Parse(std::string_view spec);

  bool empty() const { return networks_.empty() && hosts_.empty(); }
  // Whether a URL to host:port may reach `address` although it is private.
  bool Admits(std::string_view host, uint16_t port, const boost::asio::ip::address& address) const;
  // The entries as parsed, normalised, comma-separated (for the start-up log).
  std::string ToString() const;

 private:
  struct Network {
    boost::asio::ip::address base;  // its host bits zero
    int prefix = 0;
    uint16_t port = 0;  // 0: any
  };
  struct Host {
    std::string name;  // lower case, no trailing dot
    uint16_t port = 0;
  };
  std::vector<Network> networks_;
  std::vector<Host> hosts_;
};

// What tenant URLs may reach besides public addresses.
struct EgressPolicy {
  bool allow_private = false;  // every private address (the services' allow-private switches)
  EgressAllowList allow;       // otherwise only what these entries admit
};

// Resolves url's host (IP literals without DNS, as Resolve) within `timeout` and checks every
// address: one refused address refuses the URL. Errors: PermissionDenied "the host <h> resolves
// to <a>, a private, loopback or link-local address" (unless the policy admits it), and
// Resolve's (Unavailable: does not resolve; DeadlineExceeded: DNS did not answer in time).
Result<Endpoints> ResolveEgress(const Url& url, const EgressPolicy& policy,
                                std::chrono::milliseconds timeout);
// The same with only the all-or-nothing switch.
Result<Endpoints> ResolveEgress(const Url& url, bool allow_private,
                                std::chrono::milliseconds timeout);

// The check alone, on addresses already resolved for `url`: OkStatus or the PermissionDenied
// above.
Status CheckEgressEndpoints(const Url& url, const Endpoints& endpoints, const EgressPolicy& policy);

// ResolveEgress as HttpClient::Send's ResolveFn.
ResolveFn EgressResolver(EgressPolicy policy);
ResolveFn EgressResolver(bool allow_private);

struct EgressUrlRules {
  bool allow_private = false;
  EgressAllowList allow;  // SALESOS_EGRESS_ALLOW
  // Plain http only when private targets are allowed (a local receiver): allow_private, or every
  // address the host resolves to is private and admitted by `allow`; https otherwise.
  bool https_only_unless_private = false;
  size_t max_length = 2000;
  std::chrono::milliseconds dns_timeout{2000};
};

// For saving a tenant's URL: the parsed URL, or FieldError(field, ...) for bad syntax, a scheme
// the rules refuse, or a host that resolves to a refused address. A name that does not resolve
// right now is accepted (DNS can be down for a moment); the check before each request refuses it
// then.
Result<Url> CheckEgressUrl(std::string_view url, std::string_view field,
                           const EgressUrlRules& rules);

}  // namespace salesos::http
