// IntegrationServiceImpl and ChannelServiceImpl without gRPC: a SQLite store, a real data key and
// a private redis-server for the channel.changed events.

#include "integration_service.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "account_rules.h"
#include "auth_lib_migrations.h"
#include "auth_store.h"
#include "integration_rules.h"
#include "salesos/core/ids.h"
#include "salesos/events/v1/events.pb.h"
#include "salesos/redis/redis.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace salesos::auth {
namespace {

template <typename T>
T Unwrap(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "OK")

constexpr char kToken[] = "EAAGm0PX4ZCpsBA-secret-page-token-abcd";

crypto::Aead NewKey() { return Unwrap(crypto::Aead::FromKey(RandomBytes(32))); }

rpc::Caller Admin(const std::string& workspace_id) {
  rpc::Caller c;
  c.user_id = NewUuidV7();
  c.workspace_id = workspace_id;
  c.role = "admin";
  c.token_type = "access";
  return c;
}

rpc::Caller Service() {
  rpc::Caller c;
  c.user_id = "webhook_ingest";
  c.role = "service";
  c.token_type = "service";
  return c;
}

struct ChangedEvent {
  std::string type;
  std::string workspace;
  events::v1::ChannelChanged payload;
};

struct Fixture {
  explicit Fixture(std::string redis_url = "") {
    db = Unwrap(store::OpenStore("sqlite://" + dir.File("auth.db"), {}));
    REQUIRE_OK(db->Migrate(auth_lib_migrations()));
    redis::RedisOptions options;
    options.connect_timeout_ms = 200;
    options.command_timeout_ms = 200;
    redis = Unwrap(redis::Connect(redis_url.empty() ? server->url() : redis_url, options));
    events = std::make_unique<rpc::EventPublisher>(redis, "auth");
    integrations = std::make_unique<IntegrationServiceImpl>(*db, key, *events, pool);
    channels = std::make_unique<ChannelServiceImpl>(*db, key, pool);
  }

  std::string NewWorkspace() {
    AuthStore accounts(*db);
    WorkspaceRecord ws{NewUuidV7(), "Ada Lamps", "2026-11-21T06:30:00Z"};
    UserRecord u;
    u.id = NewUuidV7();
    u.workspace_id = ws.id;
    u.email = RandomHex(4) + "@example.com";
    u.email_key = EmailKey(u.email);
    u.name = "Ada";
    u.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA";
    u.role = "owner";
    u.created_at = ws.created_at;
    REQUIRE_OK(accounts.CreateOwner(ws, u));
    return ws.id;
  }

  v1::Integration Connect(const rpc::Caller& caller, const std::string& page_id,
                          const std::string& token = kToken) {
    v1::CreateIntegrationRequest req;
    req.set_platform("facebook");
    req.set_page_id(page_id);
    req.set_page_access_token(token);
    req.set_page_name("Ada's Lamps");
    v1::Integration out;
    REQUIRE_OK(integrations->DoCreate(caller, req, &out));
    return out;
  }

  // Every channel.changed event on salesos:events so far, in order.
  std::vector<ChangedEvent> Events() {
    auto reply = Unwrap(redis->Command({"XRANGE", rpc::kEventsStream, "-", "+"}));
    std::vector<ChangedEvent> out;
    for (const auto& entry : reply.elements) {
      REQUIRE(entry.elements.size() == 2);
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str != "envelope") {
          continue;
        }
        events::v1::EventEnvelope envelope;
        REQUIRE(envelope.ParseFromString(fields[i + 1].str));
        ChangedEvent e;
        e.type = envelope.type();
        e.workspace = envelope.workspace_id();
        REQUIRE(e.payload.ParseFromString(envelope.payload()));
        CHECK(envelope.source() == "auth");
        out.push_back(std::move(e));
      }
    }
    return out;
  }

  testing::TempDir dir;
  std::unique_ptr<testing::RedisServer> server = std::make_unique<testing::RedisServer>();
  store::StorePtr db;
  crypto::Aead key = NewKey();
  redis::ClientPtr redis;
  std::unique_ptr<rpc::EventPublisher> events;
  rpc::WorkPool pool{1};
  std::unique_ptr<IntegrationServiceImpl> integrations;
  std::unique_ptr<ChannelServiceImpl> channels;
};

TEST_CASE("connecting seals the token to its row, answers without it and announces it",
          "[auth][integrations]") {
  Fixture f;
  std::string ws = f.NewWorkspace();
  v1::Integration got = f.Connect(Admin(ws), "104729384756");
  CHECK(IsUuid(got.id()));
  CHECK(got.platform() == "facebook");
  CHECK(got.external_id() == "104729384756");
  CHECK(got.name() == "Ada's Lamps");
  CHECK(got.status() == "connected");
  CHECK(got.credentials_hint() == "…abcd");
  CHECK_FALSE(got.connected_at().empty());
  CHECK(got.updated_at() == got.connected_at());
  CHECK(got.settings().auto_reply());
  CHECK(got.settings().notifications().email());
  CHECK(got.SerializeAsString().find(kToken) == std::string::npos);

  // What the database holds opens with this row's aad only.
  auto row = Unwrap(IntegrationStore(*f.db).Get(ws, got.id()));
  REQUIRE(row.has_value());
  CHECK(row->sealed_credentials.find(kToken) == std::string::npos);
  CHECK(Unwrap(f.key.Open(row->sealed_credentials, ws + "/" + got.id())) == kToken);
  CHECK_FALSE(f.key.Open(row->sealed_credentials, ws + "/" + NewUuidV7()).ok());
  CHECK_FALSE(f.key.Open(row->sealed_credentials).ok());

  auto events = f.Events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "channel.changed");
  CHECK(events[0].workspace == ws);
  CHECK(events[0].payload.workspace_id() == ws);
  CHECK(events[0].payload.integration_id() == got.id());
  CHECK(events[0].payload.platform() == "facebook");
  CHECK(events[0].payload.external_id() == "104729384756");
  CHECK(events[0].payload.change() == "connected");
}

TEST_CASE("a connected external id is 409 for any workspace, with the same words",
          "[auth][integrations]") {
  Fixture f;
  std::string ws_a = f.NewWorkspace();
  std::string ws_b = f.NewWorkspace();
  f.Connect(Admin(ws_a), "104729384756");
  v1::CreateIntegrationRequest req;
  req.set_platform("facebook");
  req.set_page_id("104729384756");
  req.set_page_access_token("another-token");
  v1::Integration out;
  Status same = f.integrations->DoCreate(Admin(ws_a), req, &out);
  Status other = f.integrations->DoCreate(Admin(ws_b), req, &out);
  CHECK(same.code() == Code::kAlreadyExists);
  CHECK(other.code() == Code::kAlreadyExists);
  CHECK(other.message() == "this facebook 104729384756 is already connected to a workspace");
  CHECK(same.message() == other.message());
  CHECK(f.Events().size() == 1);
}

TEST_CASE("bad input is refused before anything is stored", "[auth][integrations]") {
  Fixture f;
  std::string ws = f.NewWorkspace();
  v1::CreateIntegrationRequest req;
  req.set_platform("myspace");
  v1::Integration out;
  Status st = f.integrations->DoCreate(Admin(ws), req, &out);
  CHECK(st.code() == Code::kInvalidArgument);
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "platform");
  CHECK(Unwrap(IntegrationStore(*f.db).ListAll(ws)).empty());
  CHECK(f.Events().empty());
}

TEST_CASE("another workspace's integration is not found for get, update and delete",
          "[auth][integrations]") {
  Fixture f;
  std::string ws_a = f.NewWorkspace();
  std::string ws_b = f.NewWorkspace();
  v1::Integration a = f.Connect(Admin(ws_a), "111");
  rpc::Caller b = Admin(ws_b);

  v1::Integration out;
  v1::GetIntegrationRequest get;
  get.set_id(a.id());
  CHECK(f.integrations->DoGet(b, get, &out).code() == Code::kNotFound);
  v1::UpdateIntegrationRequest update;
  update.set_id(a.id());
  update.set_name("mine now");
  update.set_access_token("attacker-token");
  CHECK(f.integrations->DoUpdate(b, update, &out).code() == Code::kNotFound);
  v1::DeleteIntegrationRequest del;
  del.set_id(a.id());
  CHECK(f.integrations->DoDelete(b, del).code() == Code::kNotFound);
  v1::ListIntegrationsResponse list;
  REQUIRE_OK(f.integrations->DoList(b, {}, &list));
  CHECK(list.integrations().empty());

  // Unchanged, and its credentials are still the owner's.
  REQUIRE_OK(f.integrations->DoGet(Admin(ws_a), get, &out));
  CHECK(out.name() == "Ada's Lamps");
  v1::GetChannelCredentialsRequest creds_req;
  creds_req.set_integration_id(a.id());
  v1::ChannelCredentials creds;
  REQUIRE_OK(f.channels->DoGetChannelCredentials(Service(), creds_req, &creds));
  CHECK(creds.access_token() == kToken);
  CHECK(f.Events().size() == 1);

  // Ids that are not ours at all are simply not found; an empty one is named.
  get.set_id("../../etc/passwd");
  CHECK(f.integrations->DoGet(Admin(ws_a), get, &out).code() == Code::kNotFound);
  get.set_id("");
  CHECK(f.integrations->DoGet(Admin(ws_a), get, &out).code() == Code::kInvalidArgument);
}

TEST_CASE("a service token has no workspace to manage integrations in", "[auth][integrations]") {
  Fixture f;
  v1::CreateIntegrationRequest req;
  req.set_platform("facebook");
  req.set_page_id("1");
  req.set_page_access_token("token");
  v1::Integration out;
  CHECK(f.integrations->DoCreate(Service(), req, &out).code() == Code::kPermissionDenied);
  v1::ListIntegrationsResponse list;
  CHECK(f.integrations->DoList(Service(), {}, &list).code() == Code::kPermissionDenied);
}

TEST_CASE("update replaces settings, renames, re-seals the token and announces it",
          "[auth][integrations]") {
  Fixture f;
  std::string ws = f.NewWorkspace();
  rpc::Caller admin = Admin(ws);
  v1::Integration created = f.Connect(admin, "104729384756");

  v1::UpdateIntegrationRequest req;
  req.set_id(created.id());
  req.mutable_settings()->set_auto_reply(false);
  req.mutable_settings()->mutable_business_hours()->set_enabled(true);
  req.mutable_settings()->mutable_business_hours()->set_timezone("Europe/Paris");
  (*req.mutable_settings()->mutable_business_hours()->mutable_schedule())["mon"] = "09:00-17:00";
  req.set_name("Ada's Lamps & Shades");
  req.set_access_token("EAArotated-token-wxyz");
  v1::Integration updated;
  REQUIRE_OK(f.integrations->DoUpdate(admin, req, &updated));
  CHECK(updated.id() == created.id());
  CHECK(updated.name() == "Ada's Lamps & Shades");
  CHECK_FALSE(updated.settings().auto_reply());
  CHECK(updated.settings().business_hours().schedule().at("mon") == "09:00-17:00");
  // Replaced, not merged: notifications were not sent, so they are off now.
  CHECK_FALSE(updated.settings().notifications().email());
  CHECK(updated.credentials_hint() == "…wxyz");
  CHECK(updated.connected_at() == created.connected_at());
  CHECK_FALSE(updated.updated_at().empty());
  CHECK(updated.SerializeAsString().find("EAArotated") == std::string::npos);

  v1::GetChannelCredentialsRequest creds_req;
  creds_req.set_integration_id(created.id());
  v1::ChannelCredentials creds;
  REQUIRE_OK(f.channels->DoGetChannelCredentials(Service(), creds_req, &creds));
  CHECK(creds.access_token() == "EAArotated-token-wxyz");

  // A bad field changes nothing.
  v1::UpdateIntegrationRequest bad;
  bad.set_id(created.id());
  bad.set_name("fine");
  bad.mutable_settings()->mutable_business_hours()->set_timezone("Nowhere");
  Status st = f.integrations->DoUpdate(admin, bad, &updated);
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "settings.businessHours.timezone");
  bad.clear_settings();
  bad.set_access_token("has spaces in it");
  st = f.integrations->DoUpdate(admin, bad, &updated);
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "accessToken");

  // An empty update answers the integration as it is, without a write or an event.
  v1::UpdateIntegrationRequest nothing;
  nothing.set_id(created.id());
  v1::Integration same;
  REQUIRE_OK(f.integrations->DoUpdate(admin, nothing, &same));
  CHECK(same.name() == "Ada's Lamps & Shades");

  auto events = f.Events();
  REQUIRE(events.size() == 2);
  CHECK(events[1].payload.change() == "updated");
  CHECK(events[1].payload.integration_id() == created.id());
}

TEST_CASE("delete removes the integration and announces it", "[auth][integrations]") {
  Fixture f;
  std::string ws = f.NewWorkspace();
  rpc::Caller admin = Admin(ws);
  v1::Integration created = f.Connect(admin, "104729384756");
  v1::DeleteIntegrationRequest del;
  del.set_id(created.id());
  REQUIRE_OK(f.integrations->DoDelete(admin, del));
  CHECK(f.integrations->DoDelete(admin, del).code() == Code::kNotFound);
  v1::ResolveChannelRequest resolve;
  resolve.set_platform("facebook");
  resolve.set_external_id("104729384756");
  v1::ResolvedChannel resolved;
  CHECK(f.channels->DoResolveChannel(resolve, &resolved).code() == Code::kNotFound);

  auto events = f.Events();
  REQUIRE(events.size() == 2);
  CHECK(events[1].payload.change() == "disconnected");
  CHECK(events[1].payload.external_id() == "104729384756");
  CHECK(events[1].payload.platform() == "facebook");
}

TEST_CASE("list pages through the workspace's integrations", "[auth][integrations]") {
  Fixture f;
  std::string ws = f.NewWorkspace();
  rpc::Caller admin = Admin(ws);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(f.Connect(admin, std::to_string(9000 + i)).id());
  }
  std::vector<std::string> seen;
  v1::ListIntegrationsRequest req;
  req.set_page_size(2);
  int pages = 0;
  do {
    v1::ListIntegrationsResponse resp;
    REQUIRE_OK(f.integrations->DoList(admin, req, &resp));
    for (const auto& i : resp.integrations()) {
      seen.push_back(i.id());
      CHECK(i.credentials_hint() == "…abcd");
    }
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen == ids);

  // Exactly a page full: no token for an empty page after it.
  req.set_page_size(5);
  req.clear_page_token();
  v1::ListIntegrationsResponse all;
  REQUIRE_OK(f.integrations->DoList(admin, req, &all));
  CHECK(all.integrations_size() == 5);
  CHECK(all.next_page_token().empty());

  req.set_page_size(201);
  v1::ListIntegrationsResponse resp;
  Status st = f.integrations->DoList(admin, req, &resp);
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "pageSize");
  req.set_page_size(0);
  req.set_page_token("garbage");
  st = f.integrations->DoList(admin, req, &resp);
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "pageToken");
}

TEST_CASE("a change still succeeds when its event cannot be published", "[auth][integrations]") {
  // Nothing listens there: every Publish fails.
  Fixture f("unix:///nonexistent/redis.sock");
  std::string ws = f.NewWorkspace();
  rpc::Caller admin = Admin(ws);
  v1::Integration created = f.Connect(admin, "104729384756");
  v1::GetIntegrationRequest get;
  get.set_id(created.id());
  v1::Integration out;
  REQUIRE_OK(f.integrations->DoGet(admin, get, &out));
  v1::DeleteIntegrationRequest del;
  del.set_id(created.id());
  REQUIRE_OK(f.integrations->DoDelete(admin, del));
}

TEST_CASE("resolve finds the workspace and settings of a channel", "[auth][integrations]") {
  Fixture f;
  std::string ws = f.NewWorkspace();
  v1::CreateIntegrationRequest req;
  req.set_platform("whatsapp");
  req.set_phone_number_id("109876543210");
  req.set_waba_id("102345678901");
  req.set_access_token("EAAwhatsapp-token");
  req.mutable_settings()->set_auto_reply(true);
  req.mutable_settings()->mutable_notifications()->set_push(true);
  v1::Integration created;
  REQUIRE_OK(f.integrations->DoCreate(Admin(ws), req, &created));
  CHECK(created.waba_id() == "102345678901");

  v1::ResolveChannelRequest resolve;
  resolve.set_platform("whatsapp");
  resolve.set_external_id("109876543210");
  v1::ResolvedChannel resolved;
  REQUIRE_OK(f.channels->DoResolveChannel(resolve, &resolved));
  CHECK(resolved.workspace_id() == ws);
  CHECK(resolved.integration_id() == created.id());
  CHECK(resolved.settings().auto_reply());
  CHECK(resolved.settings().notifications().push());

  resolve.set_platform("facebook");
  CHECK(f.channels->DoResolveChannel(resolve, &resolved).code() == Code::kNotFound);
  resolve.set_platform("sms");
  CHECK(f.channels->DoResolveChannel(resolve, &resolved).code() == Code::kInvalidArgument);
  resolve.set_platform("whatsapp");
  resolve.set_external_id("not-a-number");
  CHECK(f.channels->DoResolveChannel(resolve, &resolved).code() == Code::kInvalidArgument);

  v1::GetChannelCredentialsRequest creds_req;
  creds_req.set_integration_id(created.id());
  v1::ChannelCredentials creds;
  REQUIRE_OK(f.channels->DoGetChannelCredentials(Service(), creds_req, &creds));
  CHECK(creds.integration_id() == created.id());
  CHECK(creds.workspace_id() == ws);
  CHECK(creds.platform() == "whatsapp");
  CHECK(creds.external_id() == "109876543210");
  CHECK(creds.waba_id() == "102345678901");
  CHECK(creds.access_token() == "EAAwhatsapp-token");

  creds_req.set_integration_id(NewUuidV7());
  CHECK(f.channels->DoGetChannelCredentials(Service(), creds_req, &creds).code() ==
        Code::kNotFound);
}

TEST_CASE("credentials that do not open are an internal error, never the sealed bytes",
          "[auth][integrations]") {
  Fixture f;
  std::string ws = f.NewWorkspace();
  v1::Integration first = f.Connect(Admin(ws), "111", "first-token-1111");
  v1::Integration second = f.Connect(Admin(ws), "222", "second-token-2222");
  IntegrationStore store(*f.db);

  // A sealed value copied into another row does not open there (the aad names the row).
  auto first_row = Unwrap(store.Get(ws, first.id()));
  IntegrationUpdate copy;
  copy.sealed_credentials = first_row->sealed_credentials;
  copy.credentials_hint = first_row->credentials_hint;
  copy.updated_at = "2026-11-22T00:00:00Z";
  REQUIRE(Unwrap(store.Update(ws, second.id(), copy)).has_value());
  v1::GetChannelCredentialsRequest req;
  req.set_integration_id(second.id());
  v1::ChannelCredentials creds;
  Status st = f.channels->DoGetChannelCredentials(Service(), req, &creds);
  CHECK(st.code() == Code::kInternal);
  CHECK(creds.access_token().empty());

  // Sealed under another data key (a key file replaced): the same.
  crypto::Aead replaced = NewKey();
  ChannelServiceImpl other_key(*f.db, replaced, f.pool);
  req.set_integration_id(first.id());
  st = other_key.DoGetChannelCredentials(Service(), req, &creds);
  CHECK(st.code() == Code::kInternal);
  CHECK(creds.access_token().empty());
  CHECK(st.message().find(first_row->sealed_credentials) == std::string::npos);
  // And the right key still opens it.
  REQUIRE_OK(f.channels->DoGetChannelCredentials(Service(), req, &creds));
  CHECK(creds.access_token() == "first-token-1111");
}

}  // namespace
}  // namespace salesos::auth
