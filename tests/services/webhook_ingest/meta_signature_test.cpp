// The X-Hub-Signature-256 check and the verify-token handshake (protocols.md §1–§2, §7.1).
#include "meta_signature.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesos::webhook_ingest {

TEST_CASE("the signature header is sha256= and the lowercase hex HMAC of the body",
          "[webhook_ingest]") {
  // GitHub's published test vector (protocols.md §7.1).
  CHECK(SignatureHeader("Hello, World!", "It's a Secret to Everybody") ==
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  CHECK(VerifySignature("Hello, World!",
                        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                        "It's a Secret to Everybody")
            .ok());
}

TEST_CASE("uppercase hex is the same signature", "[webhook_ingest]") {
  CHECK(VerifySignature("Hello, World!",
                        "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17",
                        "It's a Secret to Everybody")
            .ok());
}

TEST_CASE("a missing, malformed or wrong signature is UNAUTHENTICATED with its reason",
          "[webhook_ingest]") {
  const std::string body = R"({"object":"page","entry":[]})";
  const std::string good = SignatureHeader(body, "app-secret");
  auto reason = [&](const std::string& header, const std::string& secret = "app-secret") {
    Status st = VerifySignature(body, header, secret);
    CHECK(st.code() == Code::kUnauthenticated);
    return st.message();
  };
  CHECK(reason("").find("missing") != std::string::npos);
  CHECK(reason("sha1=" + good.substr(7, 40)).find("not sha256=") != std::string::npos);
  CHECK(reason(good.substr(0, good.size() - 1)).find("not sha256=") != std::string::npos);
  CHECK(reason(good + "0").find("not sha256=") != std::string::npos);
  CHECK(reason("SHA256=" + good.substr(7)).find("not sha256=") != std::string::npos);
  CHECK(reason("sha256=" + std::string(63, '0') + "g").find("not sha256=") != std::string::npos);
  CHECK(reason(good, "another-secret").find("does not match") != std::string::npos);
  CHECK(reason(SignatureHeader(body + " ", "app-secret")).find("does not match") !=
        std::string::npos);
  // The secret never shows in the message.
  CHECK(reason(good, "another-secret").find("another-secret") == std::string::npos);
}

TEST_CASE("with no app secret configured every delivery is refused, even one signed with ''",
          "[webhook_ingest]") {
  const std::string body = "{}";
  Status st = VerifySignature(body, SignatureHeader(body, ""), "");
  CHECK(st.code() == Code::kUnauthenticated);
  CHECK(st.message().find("not configured") != std::string::npos);
}

TEST_CASE("the handshake echoes the challenge byte for byte for subscribe and the right token",
          "[webhook_ingest]") {
  auto ok = CheckHandshake("subscribe", "s3cr3t-verify", "1158201444", "s3cr3t-verify");
  REQUIRE(ok.ok());
  CHECK(*ok == "1158201444");
  auto opaque =
      CheckHandshake("subscribe", "s3cr3t-verify", "abc DEF-123_\xc3\xa9", "s3cr3t-verify");
  REQUIRE(opaque.ok());
  CHECK(*opaque == "abc DEF-123_\xc3\xa9");
}

TEST_CASE("the handshake refuses a wrong token or mode (403) and missing parameters (400)",
          "[webhook_ingest]") {
  CHECK(CheckHandshake("subscribe", "wrong", "1", "s3cr3t-verify").status().code() ==
        Code::kPermissionDenied);
  CHECK(CheckHandshake("subscribe", "s3cr3t-verif", "1", "s3cr3t-verify").status().code() ==
        Code::kPermissionDenied);
  CHECK(CheckHandshake("unsubscribe", "s3cr3t-verify", "1", "s3cr3t-verify").status().code() ==
        Code::kPermissionDenied);
  CHECK(CheckHandshake("subscribe", "anything", "1", "").status().code() ==
        Code::kPermissionDenied);
  CHECK(CheckHandshake("", "s3cr3t-verify", "1", "s3cr3t-verify").status().code() ==
        Code::kInvalidArgument);
  CHECK(CheckHandshake("subscribe", "", "1", "s3cr3t-verify").status().code() ==
        Code::kInvalidArgument);
  CHECK(CheckHandshake("subscribe", "s3cr3t-verify", "", "s3cr3t-verify").status().code() ==
        Code::kInvalidArgument);
  CHECK(CheckHandshake("subscribe", "s3cr3t-verify", std::string(1025, '1'), "s3cr3t-verify")
            .status()
            .code() == Code::kInvalidArgument);
  auto refused = CheckHandshake("subscribe", "guess-1", "1", "s3cr3t-verify");
  CHECK(refused.status().message().find("s3cr3t") == std::string::npos);
}

}  // namespace salesos::webhook_ingest
