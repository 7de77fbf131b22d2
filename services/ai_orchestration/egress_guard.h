#pragma once

// The egress policy for tenant-set LLM endpoints (SSRF guard): the base URL syntax AI endpoints
// accept, on top of the shared guard of libs/http (salesos/http/egress.h), which refuses loopback,
// private, link-local (including the cloud metadata address 169.254.169.254), CGNAT, multicast and
// reserved addresses unless the operator allows private egress: all of it
// (SALESOS_ALLOW_PRIVATE_EGRESS=1, for local models and tests) or only the addresses, networks and
// host names of SALESOS_EGRESS_ALLOW (http::EgressAllowList, e.g. "llm.internal:8000").
//
// The check is on the addresses the host resolves to, and ResolveEgress returns those addresses:
// the client connects to exactly them, without resolving again, so a DNS answer that changes
// between check and connect (DNS rebinding) cannot slip a private address through.
//
// Every function here is thread-safe.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/http/egress.h"

namespace salesos::ai {

inline constexpr size_t kMaxBaseUrlLength = 2048;

// A base URL taken apart: "https://api.groq.com/openai/v1" → https, "api.groq.com", 443,
// "/openai/v1".
struct EndpointUrl {
  bool https = true;
  std::string host;  // lower-cased; an IPv6 literal without its brackets
  bool host_is_ip = false;
  uint16_t port = 443;
  std::string path;  // percent-encoded as written, trailing slashes removed ("" for none)

  // The Host header value: the host, bracketed for IPv6, with the port when not the default.
  std::string HostHeader() const;
  // path + "/" + suffix with duplicate slashes folded: Target("chat/completions") on
  // ".../v1beta/openai/" is "/v1beta/openai/chat/completions".
  std::string Target(std::string_view suffix) const;
};

// Syntax only: http or https, no userinfo, a host, a valid port, no query or fragment, at most
// kMaxBaseUrlLength characters. InvalidArgument with a message naming the problem.
Result<EndpointUrl> ParseEndpointUrl(std::string_view url);

// The shared rule (salesos/http/egress.h): true for an address a tenant-set URL must not reach.
using http::IsPrivateAddress;

// Resolves url's host (IP literals without DNS) within `timeout` and checks every address it
// resolves to: one refused address refuses the URL. Errors: PermissionDenied (a refused address
// the policy does not admit), Unavailable (the name does not resolve), DeadlineExceeded (DNS did
// not answer in time).
Result<std::vector<boost::asio::ip::tcp::endpoint>> ResolveEgress(
    const EndpointUrl& url, const http::EgressPolicy& policy, std::chrono::milliseconds timeout);
// The same with only the all-or-nothing switch.
Result<std::vector<boost::asio::ip::tcp::endpoint>> ResolveEgress(
    const EndpointUrl& url, bool allow_private, std::chrono::milliseconds timeout);

// For saving settings: OkStatus, or FieldError("baseUrl", ...) for bad syntax or a host that
// resolves to a refused address. A name that does not resolve right now is accepted (DNS can be
// down for a moment); the call-time check refuses it then.
Status CheckBaseUrl(std::string_view url, const http::EgressPolicy& policy,
                    std::chrono::milliseconds dns_timeout = std::chrono::milliseconds(2000));
Status CheckBaseUrl(std::string_view url, bool allow_private,
                    std::chrono::milliseconds dns_timeout = std::chrono::milliseconds(2000));

}  // namespace salesos::ai
