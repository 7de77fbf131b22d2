#pragma once

// The egress guard (SSRF): what keeps a URL a tenant typed in (an AI endpoint, an outgoing
// webhook) from reaching the platform's own network. Loopback, private, link-local (with the cloud
// metadata address 169.254.169.254), CGNAT, unique-local, multicast and reserved addresses are
// refused, in IPv4, IPv6 and the IPv6 forms that embed an IPv4 address, unless the operator
// allows private targets (for local models, local receivers and tests).
//
// The check is on the addresses the host resolves to, and ResolveEgress returns exactly those
// addresses. Passed to HttpClient::Send as its ResolveFn (EgressResolver), the client connects to
// the checked addresses without resolving again, so a DNS answer that changes between the check
// and the connect (DNS rebinding) cannot slip a private address through.
//
// Every function here is thread-safe.

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "salesos/core/status.h"
#include "salesos/http/client.h"

namespace salesos::http {

// True for an address a tenant-set URL must not reach: 0.0.0.0/8, 10/8, 100.64/10, 127/8,
// 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, 224/4, 240/4 (and broadcast); IPv6
// ::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8, and IPv4-mapped (::ffff:a.b.c.d),
// IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) forms of a refused IPv4.
bool IsPrivateAddress(const boost::asio::ip::address& address);

// Resolves url's host (IP literals without DNS, as Resolve) within `timeout` and checks every
// address: one refused address refuses the URL. Errors: PermissionDenied "the host <h> resolves
// to <a>, a private, loopback or link-local address" (unless allow_private), and Resolve's
// (Unavailable: does not resolve; DeadlineExceeded: DNS did not answer in time).
Result<Endpoints> ResolveEgress(const Url& url, bool allow_private,
                                std::chrono::milliseconds timeout);

// ResolveEgress as HttpClient::Send's ResolveFn.
ResolveFn EgressResolver(bool allow_private);

struct EgressUrlRules {
  bool allow_private = false;
  // Plain http only when private targets are allowed (a local receiver); https otherwise.
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
