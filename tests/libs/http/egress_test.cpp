#include "salesos/http/egress.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "support/local_http_server.h"

namespace salesos::http {
namespace {

namespace ip = boost::asio::ip;
using std::chrono::milliseconds;
using testing::LocalHttpServer;

TEST_CASE("the egress guard refuses private, loopback, link-local and reserved addresses",
          "[http][egress]") {
  for (const char* a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::",
                        "fc00::1", "fd12::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1",
                        "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a00:1::1"}) {
    INFO(a);
    CHECK(IsPrivateAddress(ip::make_address(a)));
  }
  for (const char* a : {"8.8.8.8", "203.0.113.7", "172.32.0.1", "2606:4700:4700::1111",
                        "::ffff:8.8.8.8", "2002:808:808::1"}) {
    INFO(a);
    CHECK_FALSE(IsPrivateAddress(ip::make_address(a)));
  }
}

TEST_CASE("a URL resolving to a private address is refused unless private egress is allowed",
          "[http][egress]") {
  for (const char* text : {"http://127.0.0.1:8080/x", "https://localhost/x", "http://[::1]/x",
                           "http://2130706433/x", "http://169.254.169.254/latest"}) {
    INFO(text);
    auto url = ParseUrl(text);
    REQUIRE(url.ok());
    auto refused = ResolveEgress(*url, false, milliseconds(2000));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == Code::kPermissionDenied);
    CHECK(refused.status().message().find("private") != std::string::npos);
    auto allowed = ResolveEgress(*url, true, milliseconds(2000));
    REQUIRE(allowed.ok());
    CHECK((*allowed)[0].port() == url->port);
  }
  auto public_ip = ParseUrl("https://203.0.113.7:8443/x");
  REQUIRE(public_ip.ok());
  auto endpoints = ResolveEgress(*public_ip, false, milliseconds(1000));
  REQUIRE(endpoints.ok());
  REQUIRE(endpoints->size() == 1);
  CHECK((*endpoints)[0].address().to_string() == "203.0.113.7");
  CHECK((*endpoints)[0].port() == 8443);
}

TEST_CASE("the client with the egress resolver never connects to a refused address",
          "[http][egress]") {
  std::atomic<int> hits{0};
  LocalHttpServer server([&hits](const LocalHttpServer::Request& req) {
    ++hits;
    return std::optional<LocalHttpServer::Response>(LocalHttpServer::Reply(req, 204, ""));
  });
  HttpClient client;
  HttpRequest req;
  req.url = server.origin() + "/hook";
  req.body = "{}";
  auto refused = client.Send(req, EgressResolver(false));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kPermissionDenied);
  CHECK(hits.load() == 0);
  auto allowed = client.Send(req, EgressResolver(true));
  REQUIRE(allowed.ok());
  CHECK(allowed->status == 204);
  CHECK(hits.load() == 1);
}

TEST_CASE("saving a URL names its field for bad syntax, plain http or a private host",
          "[http][egress]") {
  EgressUrlRules rules;
  rules.https_only_unless_private = true;
  rules.max_length = 100;
  for (const std::string& text :
       {std::string("ftp://example.com/"), std::string("https://u:p@example.com/"),
        std::string("http://203.0.113.7/"), std::string("https://10.0.0.5/"),
        std::string("https://example.com/") + std::string(100, 'a')}) {
    INFO(text);
    auto st = CheckEgressUrl(text, "url", rules);
    REQUIRE_FALSE(st.ok());
    CHECK(st.status().code() == Code::kInvalidArgument);
    REQUIRE(st.status().violations().size() == 1);
    CHECK(st.status().violations()[0].field == "url");
  }
  CHECK(CheckEgressUrl("https://203.0.113.7/in", "url", rules).ok());
  // A name that does not resolve now is accepted; the request-time check decides then.
  CHECK(CheckEgressUrl("https://no-such-host.invalid/in", "url", rules).ok());
  rules.allow_private = true;
  CHECK(CheckEgressUrl("http://127.0.0.1:8080/in", "url", rules).ok());
}

EgressAllowList AllowList(const std::string& spec) {
  auto parsed = EgressAllowList::Parse(spec);
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  return *parsed;
}

EgressPolicy Only(const std::string& spec) {
  EgressPolicy policy;
  policy.allow = AllowList(spec);
  return policy;
}

Endpoints At(std::initializer_list<const char*> addresses, uint16_t port) {
  Endpoints out;
  for (const char* a : addresses) {
    out.emplace_back(ip::make_address(a), port);
  }
  return out;
}

Url Parsed(const std::string& text) {
  auto url = ParseUrl(text);
  REQUIRE(url.ok());
  return *url;
}

TEST_CASE("an allow-list network admits its addresses and not its neighbours", "[http][egress]") {
  auto allow = AllowList(" 10.1.2.0/24 , [fd00::/8],,192.168.7.7:8443, 172.16.0.0/12 ");
  CHECK(allow.ToString() == "10.1.2.0/24,fd00::/8,192.168.7.7/32:8443,172.16.0.0/12");
  for (const char* a : {"10.1.2.0", "10.1.2.7", "10.1.2.255", "::ffff:10.1.2.7", "fd00::1",
                        "fdff:ffff::1", "172.31.255.255"}) {
    INFO(a);
    CHECK(allow.Admits("any.name", 443, ip::make_address(a)));
  }
  for (const char* a : {"10.1.1.255", "10.1.3.0", "10.0.0.1", "fc00::1", "fe80::1", "127.0.0.1",
                        "169.254.169.254", "172.32.0.0", "::ffff:10.1.3.0"}) {
    INFO(a);
    CHECK_FALSE(allow.Admits("any.name", 443, ip::make_address(a)));
  }
  // An address entry with a port admits that port only.
  CHECK(allow.Admits("x", 8443, ip::make_address("192.168.7.7")));
  CHECK_FALSE(allow.Admits("x", 443, ip::make_address("192.168.7.7")));
  CHECK_FALSE(allow.Admits("x", 8443, ip::make_address("192.168.7.8")));
  // The resolved addresses decide, whatever the name: one refused address refuses the URL.
  auto url = Parsed("https://public-looking.example.com/hook");
  CHECK(CheckEgressEndpoints(url, At({"10.1.2.9"}, 443), {false, allow}).ok());
  CHECK(CheckEgressEndpoints(url, At({"10.1.2.9", "203.0.113.7"}, 443), {false, allow}).ok());
  auto mixed = CheckEgressEndpoints(url, At({"10.1.2.9", "10.1.3.9"}, 443), {false, allow});
  CHECK(mixed.code() == Code::kPermissionDenied);
  CHECK(mixed.message().find("10.1.3.9") != std::string::npos);
  // Without the list, as before: refused; with the all-or-nothing switch: admitted.
  CHECK(CheckEgressEndpoints(url, At({"10.1.2.9"}, 443), {}).code() == Code::kPermissionDenied);
  CHECK(CheckEgressEndpoints(url, At({"10.1.3.9"}, 443), {true, {}}).ok());
}

TEST_CASE("an allow-list host entry admits that name only, not another name of its address",
          "[http][egress]") {
  auto policy = Only("llm.internal:8000,Hooks.Internal.");
  CHECK(policy.allow.ToString() == "llm.internal:8000,hooks.internal");
  auto private_at = At({"10.9.9.9"}, 8000);
  CHECK(CheckEgressEndpoints(Parsed("http://llm.internal:8000/v1"), private_at, policy).ok());
  CHECK(CheckEgressEndpoints(Parsed("http://LLM.INTERNAL.:8000/v1"), private_at, policy).ok());
  // Another port, another name with the same address, the address typed as a literal: refused.
  for (const char* text : {"http://llm.internal:8001/v1", "http://other.internal:8000/v1",
                           "http://llm.internal.evil.example:8000/v1",
                           "http://10.9.9.9:8000/v1"}) {
    INFO(text);
    auto st = CheckEgressEndpoints(Parsed(text), At({"10.9.9.9"}, Parsed(text).port), policy);
    CHECK(st.code() == Code::kPermissionDenied);
  }
  // A host entry without a port admits every port.
  CHECK(CheckEgressEndpoints(Parsed("https://hooks.internal/in"), At({"10.9.9.9"}, 443), policy)
            .ok());
  CHECK(CheckEgressEndpoints(Parsed("https://hooks.internal:9443/in"), At({"10.9.9.9"}, 9443),
                             policy)
            .ok());
}

TEST_CASE("localhost is refused without an entry and admitted by an entry naming it",
          "[http][egress]") {
  LocalHttpServer server([](const LocalHttpServer::Request& req) {
    return std::optional<LocalHttpServer::Response>(LocalHttpServer::Reply(req, 204, ""));
  });
  const std::string port = std::to_string(server.port());
  auto url = Parsed("http://localhost:" + port + "/x");
  // What localhost resolves to here (127.0.0.1, and ::1 on some hosts).
  auto resolved = Resolve(url, milliseconds(2000));
  REQUIRE(resolved.ok());
  std::string exact;
  std::string neighbours;
  for (const auto& endpoint : *resolved) {
    auto a = endpoint.address();
    REQUIRE(IsPrivateAddress(a));
    std::string next;
    if (a.is_v4()) {
      next = ip::address_v4(a.to_v4().to_uint() + 1).to_string();
    } else {
      auto b = a.to_v6().to_bytes();
      b[15] = static_cast<uint8_t>(b[15] + 1);
      next = "[" + ip::address_v6(b).to_string() + "]";
    }
    exact += (exact.empty() ? "" : ",") + (a.is_v4() ? a.to_string() : "[" + a.to_string() + "]");
    neighbours += (neighbours.empty() ? "" : ",") + next;
  }
  INFO("localhost is " << exact);
  auto refused = ResolveEgress(url, EgressPolicy{}, milliseconds(2000));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kPermissionDenied);
  CHECK(ResolveEgress(url, Only(neighbours), milliseconds(2000)).status().code() ==
        Code::kPermissionDenied);
  CHECK(ResolveEgress(url, Only("localhost:" + std::to_string(server.port() + 1)),
                      milliseconds(2000))
            .status()
            .code() == Code::kPermissionDenied);
  CHECK(ResolveEgress(url, Only(exact), milliseconds(2000)).ok());
  CHECK(ResolveEgress(url, Only("localhost:" + port), milliseconds(2000)).ok());
  // The name entry admits the name, not the address typed as a literal.
  auto literal = Parsed("http://127.0.0.1:" + port + "/x");
  CHECK(ResolveEgress(literal, Only("localhost"), milliseconds(2000)).status().code() ==
        Code::kPermissionDenied);
  // And the client connects through the policy: refused without a request, or answered.
  HttpClient client;
  HttpRequest req;
  req.url = url.scheme + "://localhost:" + port + "/x";
  CHECK(client.Send(req, EgressResolver(EgressPolicy{})).status().code() ==
        Code::kPermissionDenied);
  auto answered = client.Send(req, EgressResolver(Only("localhost:" + port)));
  REQUIRE(answered.ok());
  CHECK(answered->status == 204);
}

TEST_CASE("a malformed allow-list entry is refused with the entry named", "[http][egress]") {
  for (const std::string& entry :
       {std::string("10.1.2.0/33"), std::string("10.1.2.3/24"), std::string("10.1.2.0/x"),
        std::string("300.1.2.3"), std::string("10.1.2"), std::string("fd00::/129"),
        std::string("[fd00::1"), std::string("[fd00::1]8000"), std::string("[llm.internal]"),
        std::string("fd00::1:8000:"), std::string("llm.internal:0"),
        std::string("llm.internal:65536"), std::string("llm.internal:http"),
        std::string("*.internal"), std::string("http://llm.internal"), std::string("llm internal"),
        std::string("bad..name"), std::string(":8000"), std::string("user@llm.internal")}) {
    INFO(entry);
    auto parsed = EgressAllowList::Parse("10.0.0.0/8, " + entry + ",llm.internal");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
    CHECK(parsed.status().message().find("\"" + entry + "\"") == 0);
  }
  // The prefix length is explained, and host bits past it show the network meant.
  CHECK(EgressAllowList::Parse("10.1.2.0/33").status().message() ==
        "\"10.1.2.0/33\": the prefix length must be 0 to 32");
  CHECK(EgressAllowList::Parse("10.1.2.3/24").status().message() ==
        "\"10.1.2.3/24\": has bits set past its /24 prefix (the network is 10.1.2.0/24)");
  // Empty is no list at all.
  CHECK(AllowList("").empty());
  CHECK(AllowList(" , ").empty());
}

TEST_CASE("saving a plain http URL is allowed only to a private target the allow-list admits",
          "[http][egress]") {
  EgressUrlRules rules;
  rules.https_only_unless_private = true;
  rules.allow = AllowList("127.0.0.1:8080");
  CHECK(CheckEgressUrl("http://127.0.0.1:8080/in", "url", rules).ok());
  auto other_port = CheckEgressUrl("http://127.0.0.1:8081/in", "url", rules);
  REQUIRE_FALSE(other_port.ok());
  CHECK(other_port.status().violations().at(0).description.find("private") != std::string::npos);
  // A public target still needs https.
  auto public_http = CheckEgressUrl("http://203.0.113.7/in", "url", rules);
  REQUIRE_FALSE(public_http.ok());
  CHECK(public_http.status().violations().at(0).description == "must be an https:// URL");
}

// A 3xx is an answer, never followed: its Location (loopback, the metadata address) is not
// fetched, even by a client whose policy would let it reach them.
TEST_CASE("the client returns a redirect to loopback or the metadata address without following it",
          "[http][egress]") {
  std::atomic<int> target_hits{0};
  LocalHttpServer target([&target_hits](const LocalHttpServer::Request& req) {
    ++target_hits;
    return std::optional<LocalHttpServer::Response>(
        LocalHttpServer::Reply(req, 200, "{\"secret\":\"internal\"}"));
  });
  const std::string target_url = target.origin() + "/latest/meta-data/";
  std::atomic<int> redirector_hits{0};
  LocalHttpServer redirector([&](const LocalHttpServer::Request& req) {
    ++redirector_hits;
    auto res = LocalHttpServer::Reply(req, req.target() == "/to-metadata" ? 307 : 302, "");
    res.set(boost::beast::http::field::location,
            req.target() == "/to-metadata" ? std::string("http://169.254.169.254/latest/meta-data/")
                                           : target_url);
    return std::optional<LocalHttpServer::Response>(std::move(res));
  });
  HttpClient client;
  // The allow-list admits the redirecting endpoint only.
  const ResolveFn only_redirector =
      EgressResolver(Only("127.0.0.1:" + std::to_string(redirector.port())));
  HttpRequest req;
  req.url = redirector.origin() + "/to-loopback";
  auto answer = client.Send(req, only_redirector);
  REQUIRE(answer.ok());
  CHECK(answer->status == 302);
  CHECK(answer->Header("Location") == target_url);
  req.url = redirector.origin() + "/to-metadata";
  answer = client.Send(req, only_redirector);
  REQUIRE(answer.ok());
  CHECK(answer->status == 307);
  CHECK(answer->Header("Location") == "http://169.254.169.254/latest/meta-data/");
  // Even a policy that admits the loopback target does not make the client follow.
  req.url = redirector.origin() + "/to-loopback";
  answer = client.Send(req, EgressResolver(true));
  REQUIRE(answer.ok());
  CHECK(answer->status == 302);
  CHECK(redirector_hits.load() == 3);
  CHECK(target_hits.load() == 0);
  // The target is there: a direct request reaches it (so 0 above means "not followed").
  req.url = target_url;
  REQUIRE(client.Send(req, EgressResolver(true)).ok());
  CHECK(target_hits.load() == 1);
}

}  // namespace
}  // namespace salesos::http
