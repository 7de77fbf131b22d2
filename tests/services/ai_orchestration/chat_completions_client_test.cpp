#include "chat_completions_client.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "support/fake_chat_completions.h"

namespace salesos::ai {
namespace {

namespace json = boost::json;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using testing::FakeChatCompletions;
using Mode = FakeChatCompletions::Mode;

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

ProviderSettings Settings(const std::string& base_url, const std::string& key = "",
                          int timeout_ms = 2000) {
  ProviderSettings s;
  s.provider = kProviderOpenAi;
  s.base_url = base_url;
  s.model = "gpt-4o-mini";
  s.api_key = key;
  s.temperature = 0.2;
  s.max_tokens = 300;
  s.timeout_ms = timeout_ms;
  return s;
}

LlmCall Call() {
  LlmCall call;
  call.job = "reply";
  call.system = "You are a test assistant.";
  call.user = "<customer_message>Hi</customer_message>";
  call.schema_name = "sales_reply";
  call.schema = json::object{
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       json::object{{"reply", json::object{{"type", "string"}, {"maxLength", 1000}}},
                    {"quickReplies", json::object{{"type", "array"},
                                                  {"items", json::object{{"type", "string"}}},
                                                  {"maxItems", 3}}}}},
      {"required", json::array{"reply", "quickReplies"}}};
  return call;
}

// A port nothing listens on.
uint16_t ClosedPort() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  uint16_t port = a.local_endpoint().port();
  a.close();
  return port;
}

TEST_CASE("the request follows the Chat Completions sheet", "[ai][llm]") {
  json::object body = BuildChatCompletionsRequest(Settings("https://api.openai.com/v1"), Call());
  CHECK(body.at("model").as_string() == "gpt-4o-mini");
  const auto& messages = body.at("messages").as_array();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].at("role").as_string() == "system");
  CHECK(messages[0].at("content").as_string() == "You are a test assistant.");
  CHECK(messages[1].at("role").as_string() == "user");
  CHECK(body.at("temperature").as_double() == Approx(0.2));
  CHECK(body.at("max_tokens").as_int64() == 300);
  CHECK(body.at("stream").as_bool() == false);
  CHECK_FALSE(body.contains("n"));
  const auto& rf = body.at("response_format").as_object();
  CHECK(rf.at("type").as_string() == "json_schema");
  const auto& js = rf.at("json_schema").as_object();
  CHECK(js.at("name").as_string() == "sales_reply");
  CHECK(js.at("strict").as_bool() == true);
  // Length and count limits stay with our own check: strict mode may refuse them.
  const auto& schema = js.at("schema").as_object();
  CHECK(schema.at("additionalProperties").as_bool() == false);
  const auto& props = schema.at("properties").as_object();
  CHECK_FALSE(props.at("reply").as_object().contains("maxLength"));
  CHECK_FALSE(props.at("quickReplies").as_object().contains("maxItems"));
  CHECK(props.at("quickReplies").at("items").at("type").as_string() == "string");

  LlmCall odd = Call();
  odd.schema_name = "sales reply/v2";
  auto named = BuildChatCompletionsRequest(Settings("https://x.example/v1"), odd);
  CHECK(named.at("response_format").at("json_schema").at("name").as_string() == "sales_reply_v2");
}

TEST_CASE("a valid answer gives content, model, tokens and request id", "[ai][llm]") {
  FakeChatCompletions server("sk-test-123456");
  server.SetContent(testing::ReplyContent("Hello there", {"Yes"}));
  server.SetUsage(211, 17);
  ChatCompletionsClient client(true);
  auto result = client.Complete(Settings(server.base_url(), "sk-test-123456"), Call());
  REQUIRE(result.ok());
  auto parsed = json::parse(result->content).as_object();
  CHECK(parsed.at("reply").as_string() == "Hello there");
  CHECK(result->model == "fake-model-2026-01");
  CHECK(result->prompt_tokens == 211);
  CHECK(result->completion_tokens == 17);
  CHECK(result->finish_reason == "stop");
  CHECK(result->request_id.rfind("req_fake_", 0) == 0);

  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].target == "/v1/chat/completions");
  CHECK(requests[0].authorization == "Bearer sk-test-123456");
  CHECK(requests[0].content_type == "application/json");
  CHECK(requests[0].model == "gpt-4o-mini");
  CHECK(requests[0].system == "You are a test assistant.");
}

TEST_CASE("a base URL with a trailing slash reaches the same path", "[ai][llm]") {
  FakeChatCompletions server;
  ChatCompletionsClient client(true);
  auto result = client.Complete(Settings(server.base_url() + "/"), Call());
  REQUIRE(result.ok());
  CHECK(server.requests().at(0).target == "/v1/chat/completions");
  CHECK(server.requests().at(0).authorization.empty());
}

TEST_CASE("a base URL without the /v1 prefix is a client error", "[ai][llm]") {
  FakeChatCompletions server;
  ChatCompletionsClient client(true);
  auto result =
      client.Complete(Settings("http://127.0.0.1:" + std::to_string(server.port())), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonClientError);
  CHECK_THAT(result.status().message(), Catch::Contains("404"));
}

TEST_CASE("a 429 is rate_limited with its retry-after", "[ai][llm]") {
  FakeChatCompletions server;
  server.SetMode(Mode::kRateLimited);
  server.SetRetryAfterSeconds(12);
  ChatCompletionsClient client(true);
  auto result = client.Complete(Settings(server.base_url()), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonRateLimited);
  CHECK(result.status().code() == Code::kResourceExhausted);
  CHECK(result.status().retry_after_seconds() == 12);
  CHECK_THAT(result.status().message(), Catch::Contains("rate_limit_exceeded"));
}

TEST_CASE("a 500 is a server error", "[ai][llm]") {
  FakeChatCompletions server;
  server.SetMode(Mode::kServerError);
  ChatCompletionsClient client(true);
  auto result = client.Complete(Settings(server.base_url()), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonServerError);
  CHECK_THAT(result.status().message(), Catch::Contains("HTTP 500"));
}

TEST_CASE("a cut-off answer and a refusal are malformed output", "[ai][llm]") {
  FakeChatCompletions server;
  ChatCompletionsClient client(true);
  server.SetMode(Mode::kTruncated);
  auto truncated = client.Complete(Settings(server.base_url()), Call());
  REQUIRE_FALSE(truncated.ok());
  CHECK(FailureReason(truncated.status()) == kReasonMalformed);
  CHECK_THAT(truncated.status().message(), Catch::Contains("length"));

  server.SetMode(Mode::kRefusal);
  auto refused = client.Complete(Settings(server.base_url()), Call());
  REQUIRE_FALSE(refused.ok());
  CHECK(FailureReason(refused.status()) == kReasonMalformed);
  CHECK_THAT(refused.status().message(), Catch::Contains("refused"));
}

TEST_CASE("an answer larger than the limit is malformed output", "[ai][llm]") {
  FakeChatCompletions server;
  server.SetContent(std::string(2 << 20, 'a'));
  ChatCompletionsClient client(true);
  auto result = client.Complete(Settings(server.base_url()), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonMalformed);
  CHECK_THAT(result.status().message(), Catch::Contains("larger than"));
}

TEST_CASE("a wrong API key is a client error that never repeats the key", "[ai][llm]") {
  FakeChatCompletions server("sk-right-key-000000");
  ChatCompletionsClient client(true);
  auto result = client.Complete(Settings(server.base_url(), "sk-wrong-key-987654"), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonClientError);
  CHECK_THAT(result.status().message(), Catch::Contains("401"));
  // The fake echoes the key it got, as a careless server might.
  CHECK_THAT(result.status().message(), Catch::Contains("invalid_api_key"));
  CHECK(result.status().message().find("sk-wrong-key-987654") == std::string::npos);
}

TEST_CASE("a slow endpoint times out within the deadline", "[ai][llm]") {
  FakeChatCompletions server;
  server.SetMode(Mode::kSlow);
  ChatCompletionsClient client(true);
  auto start = std::chrono::steady_clock::now();
  auto result = client.Complete(Settings(server.base_url(), "", 300), Call());
  int64_t elapsed = ElapsedMs(start);
  server.ReleaseSlow();
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonTimeout);
  CHECK(result.status().code() == Code::kDeadlineExceeded);
  CHECK(elapsed >= 290);
  CHECK(elapsed < 300 + 500);
}

TEST_CASE("a released slow answer arrives when the deadline allows it", "[ai][llm]") {
  FakeChatCompletions server;
  server.SetMode(Mode::kSlow);
  server.SetContent(testing::ReplyContent("Late but fine", {}));
  ChatCompletionsClient client(true);
  Result<ChatCompletion> result = Status(Code::kUnknown, "not run");
  std::thread caller(
      [&] { result = client.Complete(Settings(server.base_url(), "", 5000), Call()); });
  while (server.request_count() == 0) {
    std::this_thread::yield();
  }
  server.ReleaseSlow();
  caller.join();
  REQUIRE(result.ok());
  CHECK_THAT(result->content, Catch::Contains("Late but fine"));
}

TEST_CASE("a closed port is unreachable at once", "[ai][llm]") {
  ChatCompletionsClient client(true);
  auto start = std::chrono::steady_clock::now();
  auto result = client.Complete(
      Settings("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/v1", "", 2000), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonUnreachable);
  CHECK(ElapsedMs(start) < 1000);
}

TEST_CASE("a private address is egress_blocked without a connection", "[ai][llm]") {
  FakeChatCompletions server;
  ChatCompletionsClient client(false);
  auto result = client.Complete(Settings(server.base_url()), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonEgressBlocked);
  CHECK(server.request_count() == 0);

  auto bad_url = client.Complete(Settings("ftp://example.com/v1"), Call());
  REQUIRE_FALSE(bad_url.ok());
  CHECK(FailureReason(bad_url.status()) == kReasonEgressBlocked);
}

TEST_CASE("https to a plain http port fails quickly as unreachable", "[ai][llm]") {
  FakeChatCompletions server;
  ChatCompletionsClient client(true);
  auto start = std::chrono::steady_clock::now();
  auto result = client.Complete(
      Settings("https://127.0.0.1:" + std::to_string(server.port()) + "/v1", "", 3000), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonUnreachable);
  CHECK_THAT(result.status().message(), Catch::Contains("TLS"));
  CHECK(ElapsedMs(start) < 3000);
}

TEST_CASE("the client serves concurrent calls", "[ai][llm]") {
  FakeChatCompletions server;
  ChatCompletionsClient client(true);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (client.Complete(Settings(server.base_url()), Call()).ok()) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(ok == 30);
  CHECK(server.request_count() == 30);
}

// --- TLS ------------------------------------------------------------------------------------

struct Pki {
  std::string ca_pem;  // the certificate (self-signed: it is its own CA)
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed certificate with the given subjectAltName ("IP:127.0.0.1,DNS:localhost").
Pki SelfSigned(const std::string& san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("salesos test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san},
                            std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  auto to_string = [](BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<size_t>(n));
    BIO_free(bio);
    return s;
  };
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, x);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  Pki pki;
  pki.cert_pem = to_string(cert_bio);
  pki.ca_pem = pki.cert_pem;
  pki.key_pem = to_string(key_bio);
  X509_free(x);
  EVP_PKEY_free(key);
  return pki;
}

// An HTTPS server for one connection: handshakes, reads one request, answers a fixed Chat
// Completions body. Records the SNI name the client sent.
class TlsServer {
 public:
  explicit TlsServer(const Pki& pki)
      : ctx_(ssl::context::tls_server),
        acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    ctx_.use_certificate_chain(net::buffer(pki.cert_pem));
    ctx_.use_private_key(net::buffer(pki.key_pem), ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsServer() {
    // Unblock accept should the client never have connected.
    boost::system::error_code ec;
    net::io_context ioc;
    tcp::socket poke(ioc);
    poke.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::string sni() const {
    std::lock_guard lock(mu_);
    return sni_;
  }
  bool handshake_ok() const { return handshake_ok_; }

 private:
  void Serve() {
    boost::system::error_code ec;
    tcp::socket socket(ioc_);
    acceptor_.accept(socket, ec);
    if (ec) {
      return;
    }
    socket.set_option(net::socket_base::linger(true, 0), ec);
    ssl::stream<tcp::socket> stream(std::move(socket), ctx_);
    stream.handshake(ssl::stream_base::server, ec);
    if (const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      std::lock_guard lock(mu_);
      sni_ = name;
    }
    if (ec) {
      return;
    }
    handshake_ok_ = true;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(stream, buffer, req, ec);
    if (ec) {
      return;
    }
    http::response<http::string_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.body() =
        R"({"id":"chatcmpl-tls","object":"chat.completion","created":1,"model":"tls-model",)"
        R"("choices":[{"index":0,"message":{"role":"assistant","content":"{\"reply\":\"over TLS\",\"quickReplies\":[]}"},"finish_reason":"stop"}],)"
        R"("usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}})";
    res.prepare_payload();
    http::write(stream, res, ec);
  }

  net::io_context ioc_;
  ssl::context ctx_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::string sni_;
  std::atomic<bool> handshake_ok_{false};
};

TEST_CASE("https verifies the certificate against the trust store", "[ai][llm][tls]") {
  Pki pki = SelfSigned("IP:127.0.0.1,DNS:localhost");
  TlsServer server(pki);
  ChatCompletionsClient client(true);  // system trust store only
  auto start = std::chrono::steady_clock::now();
  auto result = client.Complete(
      Settings("https://127.0.0.1:" + std::to_string(server.port()) + "/v1", "", 3000), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonUnreachable);
  CHECK_THAT(result.status().message(), Catch::Contains("certificate"));
  CHECK(ElapsedMs(start) < 3000);
}

TEST_CASE("https with a trusted certificate sends SNI and gets the answer", "[ai][llm][tls]") {
  Pki pki = SelfSigned("DNS:localhost");
  TlsServer server(pki);
  ChatCompletionsClient client(true, {.extra_ca_pem = pki.ca_pem});
  auto result = client.Complete(
      Settings("https://localhost:" + std::to_string(server.port()) + "/v1", "", 3000), Call());
  REQUIRE(result.ok());
  CHECK(result->model == "tls-model");
  CHECK_THAT(result->content, Catch::Contains("over TLS"));
  CHECK(server.sni() == "localhost");
}

TEST_CASE("https refuses a trusted certificate issued for another name", "[ai][llm][tls]") {
  Pki pki = SelfSigned("DNS:api.other.example");
  TlsServer server(pki);
  ChatCompletionsClient client(true, {.extra_ca_pem = pki.ca_pem});
  auto result = client.Complete(
      Settings("https://127.0.0.1:" + std::to_string(server.port()) + "/v1", "", 3000), Call());
  REQUIRE_FALSE(result.ok());
  CHECK(FailureReason(result.status()) == kReasonUnreachable);
  CHECK_FALSE(server.handshake_ok());
}

}  // namespace
}  // namespace salesos::ai
