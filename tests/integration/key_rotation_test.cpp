// Key rotation with the real suite, the way docs/operations.md tells an operator to do it: auth
// restarts with a new JWT signing key and a new data key, the old ones kept as previous keys.
// Tokens signed before keep working on other services through the gateway (also ones no verifier
// has seen yet), refresh tokens and service tokens keep working, new tokens carry the new kid, and
// a channel credential sealed with the old data key still opens and is re-sealed with the new one.
//
// The suite gives every process the same environment and Restart keeps a process's arguments, so
// the key files are named from the start (SALESOS_JWT_KEY_FILE, SALESOS_JWT_PREVIOUS_KEY_FILES,
// ...) and the rotation rewrites their contents, as an operator updating a mounted Secret does.
// Before the rotation the "previous" files hold the keys of an earlier rotation.

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "salesos/auth/v1/auth.grpc.pb.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/crypto/aead.h"
#include "salesos/crypto/ed25519.h"
#include "salesos/crypto/encoding.h"
#include "salesos/crypto/hash.h"
#include "salesos/crypto/jwt.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/service_token.h"
#include "salesos/store/store.h"
#include "support/api.h"
#include "support/process.h"
#include "support/suite.h"
#include "support/temp_dir.h"

using namespace salesos::testing;
namespace json = boost::json;
namespace authv1 = salesos::auth::v1;
namespace crypto = salesos::crypto;

namespace {

// Replaces `path`'s contents atomically (write aside, rename), as a Secret volume update does.
void WriteKeyFile(const std::string& path, const std::string& contents) {
  std::string tmp = path + ".new";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << contents;
    REQUIRE(out.good());
  }
  REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
}

crypto::Ed25519Key NewSigningKey() {
  auto key = crypto::Ed25519Key::Generate();
  REQUIRE(key.ok());
  return *key;
}

std::string KidOf(const std::string& jwt) {
  auto header = crypto::Base64UrlDecode(jwt.substr(0, jwt.find('.')));
  REQUIRE(header.ok());
  return Str(json::parse(*header).at("kid"));
}

std::vector<std::string> JwksKids(HttpClient& client) {
  HttpResult r = client.Get("/.well-known/jwks.json");
  REQUIRE(r.status == 200);
  std::vector<std::string> kids;
  json::value body = Json(r);
  for (const auto& k : body.at("keys").as_array()) {
    kids.push_back(Str(k.at("kid")));
  }
  return kids;
}

// Once auth has restarted: until the gateway reaches it again, and `channel` is connected (gRPC
// channels back off after the old process vanished).
void WaitForAuth(HttpClient& client, const std::shared_ptr<grpc::Channel>& channel) {
  REQUIRE(WaitFor([&] { return client.Get("/.well-known/jwks.json").status == 200; },
                  std::chrono::seconds(10)));
  // The channel's connection to the killed process is only found broken by a call; poll a cheap
  // anonymous rpc until the new process answers on it.
  auto stub = authv1::AuthService::NewStub(channel);
  REQUIRE(WaitFor(
      [&] {
        grpc::ClientContext ctx;
        salesos::rpc::PrepareContext(ctx, 2000);
        authv1::GetJwksRequest req;
        authv1::Jwks resp;
        return stub->GetJwks(&ctx, req, &resp).ok();
      },
      std::chrono::seconds(10)));
}

// integrations.sealed_credentials of `id`, read from auth's data beside the running auth.
std::string SealedCredentials(const Suite& suite, const std::string& id) {
  auto store = suite.OpenServiceStore("auth");
  auto rows = store->Query("SELECT sealed_credentials FROM integrations WHERE id = $1", {id});
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  auto sealed = crypto::Base64Decode((*rows)[0].GetText(0));
  REQUIRE(sealed.ok());
  return *sealed;
}

std::string GetCredentials(authv1::ChannelService::Stub& stub, const std::string& authorization,
                           const std::string& integration_id, grpc::Status* status) {
  authv1::GetChannelCredentialsRequest req;
  req.set_integration_id(integration_id);
  authv1::ChannelCredentials creds;
  grpc::ClientContext ctx;
  salesos::rpc::PrepareContext(ctx, 5000, {authorization, "", ""});
  *status = stub.GetChannelCredentials(&ctx, req, &creds);
  return creds.access_token();
}

}  // namespace

TEST_CASE(
    "key rotation: old tokens, sessions and sealed credentials survive a restart of auth "
    "with new keys, and new tokens carry the new kid",
    "[integration][rotation]") {
  TempDir keys;
  const std::string jwt_current = keys.File("jwt_current.pem");
  const std::string jwt_previous = keys.File("jwt_previous.pem");
  const std::string data_current = keys.File("data_current.key");
  const std::string data_previous = keys.File("data_previous.key");

  crypto::Ed25519Key retired = NewSigningKey();  // of an earlier rotation
  crypto::Ed25519Key old_jwt = NewSigningKey();
  crypto::Ed25519Key new_jwt = NewSigningKey();
  std::string retired_data = crypto::SecureRandom(32);
  std::string old_data = crypto::SecureRandom(32);
  std::string new_data = crypto::SecureRandom(32);
  WriteKeyFile(jwt_current, old_jwt.PrivatePem());
  WriteKeyFile(jwt_previous, retired.PublicPem());
  WriteKeyFile(data_current, crypto::Base64Encode(old_data) + "\n");
  WriteKeyFile(data_previous, crypto::Base64Encode(retired_data) + "\n");

  SuiteOptions options;
  options.extra_env = {
      "SALESOS_JWT_KEY_FILE=" + jwt_current, "SALESOS_JWT_PREVIOUS_KEY_FILES=" + jwt_previous,
      "SALESOS_DATA_KEY_FILE=" + data_current, "SALESOS_DATA_PREVIOUS_KEY_FILES=" + data_previous};
  Suite suite(options);
  auto client = suite.Client();

  // Before the rotation: an owner, a second session nobody has used yet, a connected channel and a
  // service token, all made under the old keys.
  Account owner = Register(*client, "Rotating Lamps");
  REQUIRE(KidOf(owner.token) == crypto::KeyId(old_jwt));
  REQUIRE(Send(*client, "GET", "/api/v1/campaigns", owner.token).status == 200);
  Account unused = FromAuthResponse(owner.email, Login(*client, owner.email));
  REQUIRE(KidOf(unused.token) == crypto::KeyId(old_jwt));
  CHECK(JwksKids(*client) ==
        std::vector<std::string>{crypto::KeyId(old_jwt), crypto::KeyId(retired)});

  const std::string channel_token = "EAArotation" + salesos::RandomHex(8) + "abcd";
  std::string phone_id = "1098765" + std::to_string(salesos::NowUnixSeconds() % 100000);
  HttpResult connected = client->Post("/api/v1/integrations",
                                      json::serialize(json::object{{"platform", "whatsapp"},
                                                                   {"phoneNumberId", phone_id},
                                                                   {"wabaId", "102345678901"},
                                                                   {"accessToken", channel_token}}),
                                      owner.token);
  REQUIRE(connected.status == 200);
  const std::string integration_id = Str(Json(connected).at("id"));
  const std::string aad = owner.workspace_id + "/" + integration_id;
  std::string sealed_before = SealedCredentials(suite, integration_id);
  REQUIRE(crypto::Aead::FromKey(old_data).value().Open(sealed_before, aad).value() ==
          channel_token);

  auto channel = salesos::rpc::MakeChannel(suite.service_addr("auth"));
  salesos::rpc::ServiceTokenSource service_tokens(channel, "webhook_ingest", SharedSecret(suite));
  auto service_authz = service_tokens.Authorization();
  REQUIRE(service_authz.ok());
  REQUIRE(KidOf(service_authz->substr(7)) == crypto::KeyId(old_jwt));

  // The rotation: new keys in place, the old ones kept as previous; auth restarts.
  WriteKeyFile(jwt_current, new_jwt.PrivatePem());
  WriteKeyFile(jwt_previous, old_jwt.PrivatePem());  // a private PEM serves as well as a public one
  WriteKeyFile(data_current, crypto::Base64Encode(new_data) + "\n");
  WriteKeyFile(data_previous, crypto::Base64Encode(old_data) + "\n");
  suite.Restart("auth");
  WaitForAuth(*client, channel);

  // The JWKS: the new key first, the old one beside it; the retired one is gone.
  CHECK(JwksKids(*client) ==
        std::vector<std::string>{crypto::KeyId(new_jwt), crypto::KeyId(old_jwt)});

  // New tokens carry the new kid; the gateway and campaign have never seen it and fetch the keys
  // (at most once a second each), so the first call may be refused for up to that second.
  Account fresh = FromAuthResponse(owner.email, Login(*client, owner.email));
  CHECK(KidOf(fresh.token) == crypto::KeyId(new_jwt));
  CHECK(
      WaitFor([&] { return Send(*client, "GET", "/api/v1/campaigns", fresh.token).status == 200; },
              std::chrono::seconds(5)));

  // Old tokens still work on another service through the gateway: the one used before (cached)
  // and the one nobody has verified yet, which only verifies if the fetched JWKS still holds the
  // old key.
  CHECK(Send(*client, "GET", "/api/v1/campaigns", owner.token).status == 200);
  HttpResult with_unused = Send(*client, "GET", "/api/v1/campaigns", unused.token);
  INFO(with_unused.body);
  CHECK(with_unused.status == 200);
  // And on auth itself, which verifies with its own key set.
  CHECK(Send(*client, "GET", "/api/v1/auth/me", unused.token).status == 200);

  // Sessions: a refresh token from before the rotation still refreshes, into a new-kid token.
  HttpResult refreshed = client->Post(
      "/api/v1/auth/refresh", json::serialize(json::object{{"refreshToken", owner.refresh_token}}));
  REQUIRE(refreshed.status == 200);
  CHECK(KidOf(Str(Json(refreshed).at("accessToken"))) == crypto::KeyId(new_jwt));

  // The service token webhook_ingest got before the rotation is still accepted by auth, and the
  // channel credential sealed with the old data key opens.
  auto stub = authv1::ChannelService::NewStub(channel);
  grpc::Status st;
  CHECK(GetCredentials(*stub, *service_authz, integration_id, &st) == channel_token);
  INFO(st.error_message());
  CHECK(st.ok());

  // The re-seal at auth's start moves it to the new data key: it then opens with the new key alone.
  const auto new_only = crypto::Aead::FromKey(new_data).value();
  bool resealed =
      WaitFor([&] { return new_only.Open(SealedCredentials(suite, integration_id), aad).ok(); },
              std::chrono::seconds(10));
  REQUIRE(resealed);
  CHECK(new_only.Open(SealedCredentials(suite, integration_id), aad).value() == channel_token);
  CHECK_THAT(ReadFile(suite.process("auth").log_path()),
             Catch::Contains("data key re-seal") && Catch::Contains("\"resealed\":1"));

  // Once re-sealed, the old data key can be retired: auth restarts with the new data key alone
  // (the previous file now names the current key, which counts for nothing) and the credential
  // still opens; the service token of before both rotations' restarts is still accepted.
  WriteKeyFile(data_previous, crypto::Base64Encode(new_data) + "\n");
  suite.Restart("auth");
  WaitForAuth(*client, channel);
  auto later = service_tokens.Authorization();  // still the cached, old-kid token
  REQUIRE(later.ok());
  CHECK(KidOf(later->substr(7)) == crypto::KeyId(old_jwt));
  grpc::Status after_retire;
  CHECK(GetCredentials(*stub, *later, integration_id, &after_retire) == channel_token);
  INFO(after_retire.error_message());
  CHECK(after_retire.ok());
}
