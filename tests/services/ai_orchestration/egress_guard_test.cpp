#include "egress_guard.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

namespace salesos::ai {
namespace {

using std::chrono::milliseconds;
namespace ip = boost::asio::ip;

TEST_CASE("a provider base URL is taken apart with its path prefix kept", "[ai][egress]") {
  auto openai = ParseEndpointUrl("https://api.openai.com/v1");
  REQUIRE(openai.ok());
  CHECK(openai->https);
  CHECK(openai->host == "api.openai.com");
  CHECK_FALSE(openai->host_is_ip);
  CHECK(openai->port == 443);
  CHECK(openai->path == "/v1");
  CHECK(openai->HostHeader() == "api.openai.com");
  CHECK(openai->Target("chat/completions") == "/v1/chat/completions");

  // Gemini's base ends in a slash; the target must not get two.
  auto gemini = ParseEndpointUrl("https://generativelanguage.googleapis.com/v1beta/openai/");
  REQUIRE(gemini.ok());
  CHECK(gemini->Target("chat/completions") == "/v1beta/openai/chat/completions");
  CHECK(gemini->Target("/chat/completions") == "/v1beta/openai/chat/completions");

  auto ollama = ParseEndpointUrl("http://127.0.0.1:11434/v1");
  REQUIRE(ollama.ok());
  CHECK_FALSE(ollama->https);
  CHECK(ollama->host_is_ip);
  CHECK(ollama->port == 11434);
  CHECK(ollama->HostHeader() == "127.0.0.1:11434");

  auto v6 = ParseEndpointUrl("http://[::1]:8000/v1");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->HostHeader() == "[::1]:8000");

  auto bare = ParseEndpointUrl("HTTPS://API.Groq.com");
  REQUIRE(bare.ok());
  CHECK(bare->host == "api.groq.com");
  CHECK(bare->path.empty());
  CHECK(bare->Target("chat/completions") == "/chat/completions");
  CHECK(bare->HostHeader() == "api.groq.com");
}

TEST_CASE("base URLs outside http and https, with credentials or without a host are refused",
          "[ai][egress]") {
  for (const char* url :
       {"", "ftp://example.com/v1", "file:///etc/passwd", "gopher://example.com",
        "https://user:pass@api.example.com/v1", "https://user@api.example.com/v1", "https:///v1",
        "//api.example.com/v1", "api.example.com/v1", "https://api.example.com/v1?x=1",
        "https://api.example.com/v1#frag", "https://api.example.com:0/v1",
        "https://api.example.com:99999/v1", "https://exa mple.com/v1", "not a url"}) {
    INFO(url);
    auto parsed = ParseEndpointUrl(url);
    CHECK_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
  }
  std::string long_url = "https://api.example.com/" + std::string(kMaxBaseUrlLength, 'a');
  CHECK_FALSE(ParseEndpointUrl(long_url).ok());
}

TEST_CASE("private, loopback, link-local and reserved addresses are refused", "[ai][egress]") {
  for (const char* a : {"127.0.0.1",
                        "127.1.2.3",
                        "10.0.0.1",
                        "10.255.255.255",
                        "172.16.0.1",
                        "172.31.255.255",
                        "192.168.1.1",
                        "169.254.169.254",
                        "169.254.0.1",
                        "100.64.0.1",
                        "100.127.255.255",
                        "0.0.0.0",
                        "0.1.2.3",
                        "224.0.0.1",
                        "239.255.255.250",
                        "240.0.0.1",
                        "255.255.255.255",
                        "192.0.0.8",
                        "198.18.0.1",
                        "::1",
                        "::",
                        "fc00::1",
                        "fd12:3456::1",
                        "fe80::1",
                        "febf::1",
                        "ff02::1",
                        "::ffff:127.0.0.1",
                        "::ffff:10.0.0.1",
                        "::ffff:169.254.169.254",
                        "::127.0.0.1",
                        "64:ff9b::a9fe:a9fe",
                        "2002:a9fe:a9fe::1",
                        "2002:7f00:1::"}) {
    INFO(a);
    CHECK(IsPrivateAddress(ip::make_address(a)));
  }
  for (const char* a :
       {"8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "100.63.255.255",
        "169.253.1.1", "192.169.0.1", "11.0.0.1", "2606:4700:4700::1111", "2a00:1450:4001::200e",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"}) {
    INFO(a);
    CHECK_FALSE(IsPrivateAddress(ip::make_address(a)));
  }
}

TEST_CASE("a URL reaching a private address is refused unless private egress is allowed",
          "[ai][egress]") {
  for (const char* url : {"http://127.0.0.1:8080/v1", "http://169.254.169.254/latest/meta-data",
                          "http://[::1]:8000/v1", "http://[::ffff:10.1.2.3]/v1",
                          "https://192.168.0.10/v1", "http://localhost:11434/v1"}) {
    INFO(url);
    auto parsed = ParseEndpointUrl(url);
    REQUIRE(parsed.ok());
    auto refused = ResolveEgress(*parsed, false, milliseconds(2000));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == Code::kPermissionDenied);
    auto allowed = ResolveEgress(*parsed, true, milliseconds(2000));
    REQUIRE(allowed.ok());
    REQUIRE_FALSE(allowed->empty());
    CHECK((*allowed)[0].port() == parsed->port);
  }
}

TEST_CASE("the client connects to the checked address and port", "[ai][egress]") {
  auto parsed = ParseEndpointUrl("http://127.0.0.1:18080/v1");
  REQUIRE(parsed.ok());
  auto endpoints = ResolveEgress(*parsed, true, milliseconds(1000));
  REQUIRE(endpoints.ok());
  REQUIRE(endpoints->size() == 1);
  CHECK((*endpoints)[0].address().to_string() == "127.0.0.1");
  CHECK((*endpoints)[0].port() == 18080);
}

TEST_CASE("numeric host spellings that resolve to loopback are refused", "[ai][egress]") {
  // getaddrinfo reads "2130706433" and "0x7f.1" as 127.0.0.1: the check is on what a name resolves
  // to, so they are caught like any other name.
  for (const char* url : {"http://2130706433/v1", "http://0x7f.1/v1", "http://017700000001/v1"}) {
    INFO(url);
    auto parsed = ParseEndpointUrl(url);
    if (!parsed.ok()) {
      continue;  // refused already
    }
    auto resolved = ResolveEgress(*parsed, false, milliseconds(2000));
    CHECK_FALSE(resolved.ok());
  }
}

TEST_CASE("a name that does not resolve is unavailable at call time and accepted in settings",
          "[ai][egress]") {
  auto parsed = ParseEndpointUrl("https://no-such-host.invalid/v1");
  REQUIRE(parsed.ok());
  auto resolved = ResolveEgress(*parsed, false, milliseconds(3000));
  REQUIRE_FALSE(resolved.ok());
  CHECK((resolved.status().code() == Code::kUnavailable ||
         resolved.status().code() == Code::kDeadlineExceeded));
  CHECK(CheckBaseUrl("https://no-such-host.invalid/v1", false, milliseconds(3000)).ok());
}

TEST_CASE("saving settings names baseUrl when the URL is refused", "[ai][egress]") {
  for (const char* url : {"ftp://example.com", "https://u:p@example.com/v1",
                          "http://10.0.0.5:8000/v1", "http://169.254.169.254/"}) {
    INFO(url);
    Status st = CheckBaseUrl(url, false);
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == Code::kInvalidArgument);
    REQUIRE(st.violations().size() == 1);
    CHECK(st.violations()[0].field == "baseUrl");
  }
  CHECK(CheckBaseUrl("http://127.0.0.1:11434/v1", true).ok());
  CHECK(CheckBaseUrl("http://203.0.113.7/v1", false).ok());
}


}  // namespace
}  // namespace salesos::ai
