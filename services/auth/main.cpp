// salesos-auth: users, workspaces, members, sessions, the business profile, channel
// integrations, token issuing and the JWKS.
#include <filesystem>
#include <thread>

#include "admin_service.h"
#include "auth_data_store.h"
#include "auth_lib_migrations.h"
#include "auth_service.h"
#include "integration_service.h"
#include "integration_store.h"
#include "salesos/core/log.h"
#include "salesos/crypto/aead.h"
#include "salesos/crypto/ed25519.h"
#include "salesos/crypto/jwt.h"
#include "salesos/crypto/password.h"
#include "salesos/rpc/data_key.h"
#include "salesos/rpc/service_main.h"
#include "workspace_service.h"

namespace {

struct AuthState {
  std::unique_ptr<salesos::auth::AuthStore> store;
  std::unique_ptr<salesos::auth::TokenIssuer> issuer;
  std::unique_ptr<salesos::auth::PasswordHasher> hasher;
  std::unique_ptr<salesos::auth::Sessions> sessions;
  std::unique_ptr<salesos::auth::LoginGuard> login_guard;
  std::optional<salesos::crypto::Aead> data_key;
  // Moves channel credentials sealed with a previous data key to the current one.
  std::unique_ptr<salesos::rpc::BackgroundReseal> reseal;
  // The data manager's sources: the other services' DataAdmin over gRPC.
  std::vector<std::unique_ptr<salesos::data_admin::GrpcDataAdminClient>> data_peers;
};

std::string InDataDir(const salesos::Config& c, const std::string& flag, const char* file) {
  const std::string& v = c.Get(flag);
  return v.empty() ? (std::filesystem::path(c.Get("data-dir")) / file).string() : v;
}

// "a.pem, b.pem" → {"a.pem", "b.pem"}; blanks dropped.
std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  std::string item;
  for (size_t i = 0; i <= list.size(); ++i) {
    if (i == list.size() || list[i] == ',') {
      size_t b = item.find_first_not_of(" \t");
      if (b != std::string::npos) {
        out.push_back(item.substr(b, item.find_last_not_of(" \t") - b + 1));
      }
      item.clear();
    } else {
      item += list[i];
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace salesos;
  AuthState state;
  std::optional<crypto::Ed25519Key> key;
  std::vector<crypto::Ed25519Key> previous_keys;

  rpc::ServiceDefinition def;
  def.name = "auth";
  def.default_listen = "127.0.0.1:50051";
  def.migrations = &auth_lib_migrations();
  def.add_settings = [](Config& c) {
    c.Add("jwt-key-file", "",
          "Ed25519 private key (PKCS#8 PEM) that signs access tokens; empty: "
          "<data-dir>/jwt_ed25519.pem, generated on first start");
    c.Add("jwt-previous-key-files", "",
          "comma-separated Ed25519 PEM files (private or public keys) published in the JWKS "
          "beside the signing key but never signing: keys of before a rotation, until their "
          "tokens have expired (or the next key, published ahead of signing with it)");
    rpc::AddDataKeySettings(c, "channel credentials");
    c.Add("superadmin-emails", "", "comma-separated emails of platform superadmins");
    c.Add("access-token-ttl-seconds", "900", "lifetime of access tokens");
    c.Add("password-hash-opslimit", "2", "argon2id passes (libsodium opslimit)");
    c.Add("password-hash-memlimit-kib", "65536", "argon2id memory in KiB");
    c.Add("password-hash-slots", "0", "password hashes running at once (0: one per core)");
  };
  def.make_verifier = [&](rpc::ServiceContext& ctx) -> Result<rpc::TokenVerifierPtr> {
    auto loaded = crypto::LoadOrCreateSigningKey(InDataDir(ctx.config, "jwt-key-file", "jwt_ed25519.pem"));
    if (!loaded.ok()) {
      return InvalidArgument("bad configuration: --jwt-key-file (SALESOS_JWT_KEY_FILE): " +
                             loaded.status().message());
    }
    key = *loaded;
    for (const std::string& file : SplitList(ctx.config.Get("jwt-previous-key-files"))) {
      auto previous = crypto::LoadVerifyingKey(file);
      if (!previous.ok()) {
        return InvalidArgument(
            "bad configuration: --jwt-previous-key-files (SALESOS_JWT_PREVIOUS_KEY_FILES): " +
            previous.status().message());
      }
      previous_keys.push_back(*previous);
    }
    // The same set the JWKS publishes (TokenIssuer::PublicKeys), so auth accepts whatever the
    // other services accept.
    std::vector<crypto::Jwk> jwks{crypto::ToJwk(*key)};
    std::string previous_kids;
    for (const auto& previous : previous_keys) {
      crypto::Jwk jwk = crypto::ToJwk(previous);
      bool seen = false;
      for (const auto& held : jwks) {
        seen = seen || held.kid == jwk.kid;
      }
      if (!seen) {
        previous_kids += (previous_kids.empty() ? "" : ",") + jwk.kid;
        jwks.push_back(std::move(jwk));
      }
    }
    log::Info("token signing keys",
              {{"kid", jwks.front().kid}, {"previousKids", previous_kids}});
    return rpc::TokenVerifierPtr(std::make_shared<rpc::JwtTokenVerifier>(
        [jwks]() -> Result<std::vector<crypto::Jwk>> { return jwks; }));
  };
  def.make_services = [&](rpc::ServiceContext& ctx)
      -> Result<std::vector<std::unique_ptr<grpc::Service>>> {
    int64_t ttl = ctx.config.GetInt("access-token-ttl-seconds");
    if (ttl < 10 || ttl > 24 * 3600) {
      return InvalidArgument(
          "bad configuration: --access-token-ttl-seconds must be between 10 and 86400");
    }
    auto aead = rpc::LoadDataKey(ctx.config);
    if (!aead.ok()) {
      return aead.status();
    }
    state.data_key.emplace(std::move(*aead));
    state.reseal = std::make_unique<rpc::BackgroundReseal>(
        ctx.store, std::vector<rpc::SealedColumn>{auth::SealedCredentialsColumn()},
        *state.data_key);

    crypto::SetPasswordHashCost(
        static_cast<unsigned long long>(ctx.config.GetInt("password-hash-opslimit")),
        static_cast<size_t>(ctx.config.GetInt("password-hash-memlimit-kib")) * 1024);
    int64_t slots = ctx.config.GetInt("password-hash-slots");
    if (slots <= 0) {
      slots = std::max(1u, std::thread::hardware_concurrency());
    }
    state.hasher = std::make_unique<auth::PasswordHasher>(static_cast<int>(slots));
    state.store = std::make_unique<auth::AuthStore>(ctx.store);
    state.issuer = std::make_unique<auth::TokenIssuer>(*key, ctx.redis, static_cast<int>(ttl),
                                                       SystemClock(), previous_keys);
    state.sessions = std::make_unique<auth::Sessions>(ctx.redis, *state.issuer);
    state.login_guard = std::make_unique<auth::LoginGuard>(ctx.redis);

    auth::AuthServiceOptions options;
    options.superadmin_emails = auth::ParseEmailList(ctx.config.Get("superadmin-emails"));
    options.service_secret = ctx.service_secret;

    auto data_admin = std::make_unique<data_admin::DataAdminServiceImpl>(
        auth::AuthDataCatalog(ctx.store, ctx.events), ctx.events, ctx.pool);
    std::vector<data_admin::DataAdminClient*> sources{&data_admin->logic()};
    auth::AdminServiceOptions admin_options;
    for (const auto& [name, channel] : ctx.peers) {
      if (name == "auth") {
        continue;
      }
      admin_options.peers[name] = channel;
      if (name != "webhook_ingest") {  // the one service without a database
        state.data_peers.push_back(std::make_unique<data_admin::GrpcDataAdminClient>(
            name, channel, ctx.service_tokens, /*timeout_ms=*/10000));
        sources.push_back(state.data_peers.back().get());
      }
    }
    return rpc::Services(
        std::make_unique<auth::AuthService>(*state.store, *state.issuer, *state.hasher,
                                            *state.sessions, *state.login_guard, options, ctx.pool),
        std::make_unique<auth::WorkspaceServiceImpl>(ctx.store, *state.store, *state.hasher,
                                                     *state.sessions, ctx.events, ctx.pool),
        std::make_unique<auth::IntegrationServiceImpl>(ctx.store, *state.data_key, ctx.events,
                                                       ctx.pool),
        std::make_unique<auth::ChannelServiceImpl>(ctx.store, *state.data_key, ctx.pool),
        std::make_unique<auth::AdminServiceImpl>(*state.store, std::move(sources), ctx.redis,
                                                 std::move(admin_options), ctx.pool),
        std::move(data_admin));
  };
  def.on_stop = [&state] {
    if (state.reseal) {
      state.reseal->Stop();
    }
  };
  return rpc::RunService(argc, argv, def);
}
