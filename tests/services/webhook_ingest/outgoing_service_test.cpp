#include "outgoing_webhook_service.h"

#include <catch2/catch.hpp>
#include <string>

#include "outgoing_deliverer.h"
#include "outgoing_rules.h"
#include "salesos/core/ids.h"
#include "salesos/crypto/encoding.h"
#include "support/databases.h"
#include "webhook_ingest_lib_migrations.h"

namespace salesos::webhook_ingest {
namespace {

using testing::Unwrap;

const std::string kWs = "0190d6a0-0000-7000-8000-0000000000aa";
const std::string kOther = "0190d6a0-0000-7000-8000-0000000000bb";

rpc::Caller Admin(const std::string& workspace) {
  rpc::Caller c;
  c.user_id = "0190d6a0-0000-7000-8000-0000000000c1";
  c.workspace_id = workspace;
  c.role = "admin";
  c.token_type = "access";
  return c;
}

struct Fixture {
  testing::SqliteDatabase db{webhook_ingest_lib_migrations()};
  OutgoingStore store{db.store()};
  crypto::Aead key = Unwrap(crypto::Aead::FromKey(std::string(32, 'k')));
  rpc::WorkPool pool{1};
  int notified = 0;
  OutgoingWebhookServiceImpl Service(bool allow_private) {
    OutgoingServiceOptions options;
    options.allow_private = allow_private;
    return OutgoingWebhookServiceImpl(store, key, options, pool, [this] { ++notified; });
  }
};

v1::Webhook Request(const std::string& url, std::vector<std::string> events) {
  v1::Webhook w;
  w.set_url(url);
  for (const auto& e : events) {
    w.add_events(e);
  }
  return w;
}

std::string FieldOf(const Status& st) {
  return st.violations().empty() ? "" : st.violations()[0].field;
}

TEST_CASE("a webhook is created with its secret shown once and sealed at rest",
          "[webhook_ingest][outgoing]") {
  Fixture f;
  auto service = f.Service(false);
  v1::Webhook made;
  auto req = Request("https://203.0.113.7/hooks/salesos", {"message.received", "lead.scored"});
  req.set_description("CRM sync");
  REQUIRE_OK(service.DoCreate(Admin(kWs), req, &made));
  CHECK(IsUuid(made.id()));
  CHECK(made.secret().rfind("whsec_", 0) == 0);
  CHECK(made.secret_hint() == SecretHint(made.secret()));
  CHECK(made.is_active());
  CHECK(made.events_size() == 2);
  CHECK(made.created_by() == Admin(kWs).user_id);

  // Later answers show the hint only; the row holds the secret sealed, not in the clear.
  v1::GetWebhookRequest get;
  get.set_id(made.id());
  v1::Webhook got;
  REQUIRE_OK(service.DoGet(Admin(kWs), get, &got));
  CHECK(got.secret().empty());
  CHECK(got.secret_hint() == made.secret_hint());
  CHECK(got.description() == "CRM sync");
  auto row = Unwrap(f.store.GetWebhook(kWs, made.id()));
  REQUIRE(row.has_value());
  CHECK(row->secret_sealed.find(made.secret()) == std::string::npos);
  auto opened = f.key.Open(Unwrap(crypto::Base64Decode(row->secret_sealed)),
                           SecretAad(kWs, made.id()));
  REQUIRE(opened.ok());
  CHECK(*opened == made.secret());

  v1::ListWebhooksResponse list;
  REQUIRE_OK(service.DoList(Admin(kWs), {}, &list));
  REQUIRE(list.webhooks_size() == 1);
  CHECK(list.webhooks(0).secret().empty());

  // A secret of one's own is kept as given.
  auto own = Request("https://203.0.113.7/other", {"*"});
  own.set_secret("my-own-secret-0123456789");
  v1::Webhook made_own;
  REQUIRE_OK(service.DoCreate(Admin(kWs), own, &made_own));
  CHECK(made_own.secret() == "my-own-secret-0123456789");
  CHECK(made_own.secret_hint() == "\u20266789");
}

TEST_CASE("webhook URLs that are not public https are refused naming url",
          "[webhook_ingest][outgoing]") {
  Fixture f;
  auto service = f.Service(false);
  for (const char* url :
       {"", "ftp://example.com/x", "not a url", "https://user:pw@example.com/",
        "http://203.0.113.7/hook", "https://127.0.0.1/hook", "https://10.0.0.5/hook",
        "https://169.254.169.254/latest", "https://[::1]/hook", "https://localhost/hook",
        "https://[fd00::1]/hook"}) {
    INFO(url);
    v1::Webhook out;
    Status st = service.DoCreate(Admin(kWs), Request(url, {"*"}), &out);
    CHECK(st.code() == Code::kInvalidArgument);
    CHECK(FieldOf(st) == "url");
  }
  v1::Webhook out;
  std::string long_url = "https://example.com/" + std::string(2000, 'a');
  CHECK(FieldOf(service.DoCreate(Admin(kWs), Request(long_url, {"*"}), &out)) == "url");
  CHECK(FieldOf(service.DoCreate(Admin(kWs), Request("https://203.0.113.7/", {}), &out)) ==
        "events");
  auto bad_description = Request("https://203.0.113.7/", {"*"});
  bad_description.set_description(std::string(501, 'x'));
  CHECK(FieldOf(service.DoCreate(Admin(kWs), bad_description, &out)) == "description");
  CHECK(Unwrap(f.store.ListWebhooks(kWs, "", 10)).empty());

  // The operator's allowance lets a local receiver in, plain http included.
  auto local = f.Service(true);
  REQUIRE_OK(local.DoCreate(Admin(kWs), Request("http://127.0.0.1:8080/hook", {"*"}), &out));
}

TEST_CASE("a workspace has at most twenty webhooks", "[webhook_ingest][outgoing]") {
  Fixture f;
  auto service = f.Service(false);
  v1::Webhook out;
  for (int i = 0; i < kMaxWebhooksPerWorkspace; ++i) {
    REQUIRE_OK(service.DoCreate(Admin(kWs), Request("https://203.0.113.7/h", {"*"}), &out));
  }
  Status st = service.DoCreate(Admin(kWs), Request("https://203.0.113.7/h", {"*"}), &out);
  CHECK(st.code() == Code::kResourceExhausted);
  REQUIRE_OK(service.DoCreate(Admin(kOther), Request("https://203.0.113.7/h", {"*"}), &out));

  v1::ListWebhooksRequest page;
  page.set_page_size(15);
  v1::ListWebhooksResponse first;
  REQUIRE_OK(service.DoList(Admin(kWs), page, &first));
  CHECK(first.webhooks_size() == 15);
  REQUIRE_FALSE(first.next_page_token().empty());
  page.set_page_token(first.next_page_token());
  v1::ListWebhooksResponse second;
  REQUIRE_OK(service.DoList(Admin(kWs), page, &second));
  CHECK(second.webhooks_size() == 5);
  CHECK(second.next_page_token().empty());
}

TEST_CASE("other workspaces' webhooks and deliveries answer not found",
          "[webhook_ingest][outgoing]") {
  Fixture f;
  auto service = f.Service(false);
  v1::Webhook made;
  REQUIRE_OK(service.DoCreate(Admin(kWs), Request("https://203.0.113.7/h", {"*"}), &made));
  DeliveryRecord d;
  d.id = NewUuidV7();
  d.workspace_id = kWs;
  d.webhook_id = made.id();
  d.event_id = NewUuidV7();
  d.event_type = "contact.created";
  d.body = "{}";
  d.created_ms = 1000;
  REQUIRE(Unwrap(f.store.Enqueue(d)));

  v1::GetWebhookRequest get;
  get.set_id(made.id());
  v1::Webhook out;
  CHECK(service.DoGet(Admin(kOther), get, &out).code() == Code::kNotFound);
  get.set_id("not-a-uuid");
  CHECK(service.DoGet(Admin(kWs), get, &out).code() == Code::kNotFound);

  v1::ListWebhookDeliveriesRequest list;
  list.set_id(made.id());
  v1::ListWebhookDeliveriesResponse deliveries;
  CHECK(service.DoListDeliveries(Admin(kOther), list, &deliveries).code() == Code::kNotFound);
  list.set_status("done");
  CHECK(FieldOf(service.DoListDeliveries(Admin(kWs), list, &deliveries)) == "status");

  v1::RedeliverWebhookDeliveryRequest again;
  again.set_webhook_id(made.id());
  again.set_id(d.id);
  v1::WebhookDelivery redelivered;
  CHECK(service.DoRedeliver(Admin(kOther), again, &redelivered).code() == Code::kNotFound);
  CHECK(f.notified == 0);

  v1::DeleteWebhookRequest del;
  del.set_id(made.id());
  CHECK(service.DoDelete(Admin(kOther), del).code() == Code::kNotFound);
  REQUIRE_OK(service.DoDelete(Admin(kWs), del));
  CHECK(service.DoDelete(Admin(kWs), del).code() == Code::kNotFound);
  get.set_id(made.id());
  CHECK(service.DoGet(Admin(kWs), get, &out).code() == Code::kNotFound);
}

TEST_CASE("a redelivery is a new pending delivery of the same event",
          "[webhook_ingest][outgoing]") {
  Fixture f;
  auto service = f.Service(false);
  v1::Webhook made;
  REQUIRE_OK(service.DoCreate(Admin(kWs), Request("https://203.0.113.7/h", {"*"}), &made));
  DeliveryRecord d;
  d.id = NewUuidV7();
  d.workspace_id = kWs;
  d.webhook_id = made.id();
  d.event_id = NewUuidV7();
  d.event_type = "contact.created";
  d.body = R"({"id":"x"})";
  d.status = kDeliveryFailed;
  d.attempts = 30;
  d.created_ms = 1000;
  REQUIRE(Unwrap(f.store.Enqueue(d)));

  v1::RedeliverWebhookDeliveryRequest again;
  again.set_webhook_id(made.id());
  again.set_id(d.id);
  v1::WebhookDelivery redelivered;
  REQUIRE_OK(service.DoRedeliver(Admin(kWs), again, &redelivered));
  CHECK(redelivered.id() != d.id);
  CHECK(redelivered.event_id() == d.event_id);
  CHECK(redelivered.redelivery_of() == d.id);
  CHECK(redelivered.status() == "pending");
  CHECK(redelivered.attempts() == 0);
  CHECK_FALSE(redelivered.next_attempt_at().empty());
  CHECK(f.notified == 1);

  v1::ListWebhookDeliveriesRequest list;
  list.set_id(made.id());
  v1::ListWebhookDeliveriesResponse log;
  REQUIRE_OK(service.DoListDeliveries(Admin(kWs), list, &log));
  REQUIRE(log.deliveries_size() == 2);
  CHECK(log.deliveries(0).id() == redelivered.id());
  CHECK(log.deliveries(1).status() == "failed");
  list.set_status("pending");
  v1::ListWebhookDeliveriesResponse pending;
  REQUIRE_OK(service.DoListDeliveries(Admin(kWs), list, &pending));
  CHECK(pending.deliveries_size() == 1);
  auto body = Unwrap(f.store.GetDelivery(kWs, made.id(), redelivered.id()));
  REQUIRE(body.has_value());
  CHECK(body->body == d.body);
}

}  // namespace
}  // namespace salesos::webhook_ingest
