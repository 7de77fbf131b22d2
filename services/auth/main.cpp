// salesos-auth: users, workspaces, members, sessions, the business profile, channel
// integrations, token issuing and the JWKS.
#include <filesystem>
#include <thread>

#include "admin_service.h"
#include "auth_data_store.h"
#include "auth_lib_migrations.h"
#include "auth_service.h"
#include "integration_service.h"
#include "salesos/crypto/aead.h"
#include "salesos/crypto/ed25519.h"
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
  // The data manager's sources: the other services' DataAdmin over gRPC.
  std::vector<std::unique_ptr<salesos::data_admin::GrpcDataAdminClient>> data_peers;
};

std::string InDataDir(const salesos::Config& c, const std::string& flag, const char* file) {
  const std::string& v = c.Get(flag);
  return v.empty() ? (std::filesystem::path(c.Get("data-dir")) / file).string() : v;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace salesos;
  AuthState state;
  std::optional<crypto::Ed25519Key> key;

  rpc::ServiceDefinition def;
  def.name = "auth";
  def.default_listen = "127.0.0.1:50051";
  def.migrations = &auth_lib_migrations();
  def.add_settings = [](Config& c) {
    c.Add("jwt-key-file", "",
          "Ed25519 private key (PKCS#8 PEM) that signs access tokens; empty: "
          "<data-dir>/jwt_ed25519.pem, generated on first start");
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
    auto jwk = crypto::ToJwk(*key);
    return rpc::TokenVerifierPtr(std::make_shared<rpc::JwtTokenVerifier>(
        [jwk]() -> Result<std::vector<crypto::Jwk>> { return std::vector<crypto::Jwk>{jwk}; }));
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

    crypto::SetPasswordHashCost(
        static_cast<unsigned long long>(ctx.config.GetInt("password-hash-opslimit")),
        static_cast<size_t>(ctx.config.GetInt("password-hash-memlimit-kib")) * 1024);
    int64_t slots = ctx.config.GetInt("password-hash-slots");
    if (slots <= 0) {
      slots = std::max(1u, std::thread::hardware_concurrency());
    }
    state.hasher = std::make_unique<auth::PasswordHasher>(static_cast<int>(slots));
    state.store = std::make_unique<auth::AuthStore>(ctx.store);
    state.issuer = std::make_unique<auth::TokenIssuer>(*key, ctx.redis, static_cast<int>(ttl));
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
  return rpc::RunService(argc, argv, def);
}
