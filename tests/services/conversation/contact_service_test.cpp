// ContactServiceImpl's logic without gRPC (the Do* methods) on SQLite: validation with field
// violations, PATCH semantics, isolation between workspaces, custom fields and accounts, the
// import's upfront checks; and EvaluateSegmentForService over real gRPC (ServiceServer with its
// token check) with a service token signed like auth's.
#include "contact_service.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <string>

#include "conversation_lib_migrations.h"
#include "conversation_service.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "salesos/crypto/jwt.h"
#include "salesos/rpc/server.h"
#include "salesos/rpc/token_verifier.h"
#include "salesos/rpc/work_pool.h"
#include "support/databases.h"

namespace salesos::conversation {
namespace {

using testing::Unwrap;

rpc::Caller As(const std::string& ws, const std::string& role = "admin") {
  rpc::Caller c;
  c.user_id = NewUuidV7();
  c.workspace_id = ws;
  c.role = role;
  c.token_type = "access";
  return c;
}

template <typename M>
M Json(const std::string& json) {
  M m;
  auto st = google::protobuf::util::JsonStringToMessage(json, &m);
  INFO(json);
  REQUIRE(st.ok());
  return m;
}

// The violation's field of a failed call.
std::string Violation(const Status& st) {
  INFO(st.ToString());
  REQUIRE(st.code() == Code::kInvalidArgument);
  REQUIRE_FALSE(st.violations().empty());
  return st.violations().front().field;
}

struct Fixture {
  testing::SqliteDatabase db{conversation_lib_migrations()};
  rpc::WorkPool pool{2};
  ContactServiceImpl service{db.store(), pool};
  std::string ws = NewUuidV7();
  rpc::Caller admin = As(ws);

  v1::Contact Create(const std::string& json) {
    v1::Contact out;
    Status st = service.DoCreateContact(admin, Json<v1::Contact>(json), &out);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return out;
  }
};

TEST_CASE("a created contact is normalised and shown with its account", "[conversation][crm]") {
  Fixture f;
  v1::Account acme;
  REQUIRE_OK(f.service.DoCreateAccount(f.admin, Json<v1::Account>(R"({"name": "Acme",
      "address": {"city": "Lyon"}, "employees": 40})"), &acme));
  v1::ContactField size;
  REQUIRE_OK(f.service.DoCreateContactField(
      f.admin, Json<v1::ContactField>(R"({"key": "size", "label": "Size", "type": "enum",
      "options": ["S", "M"]})"), &size));
  auto c = f.Create(R"({"firstName": "Ada", "lastName": "Lovelace", "email": "Ada@Example.com",
      "phone": "+33 6 12-34.56 78", "tags": ["VIP", "vip", "Lead"], "accountId": ")" + acme.id() +
                    R"(", "customFields": {"size": "M"}, "importantDates": [{"type": "birthday",
      "date": "12-10", "timezone": "Europe/London"}]})");
  CHECK(c.phone() == "+33612345678");
  CHECK(c.full_name() == "Ada Lovelace");
  CHECK(c.source() == "manual");
  CHECK(c.journey_stage() == "awareness");
  CHECK(c.platform().empty());
  CHECK(std::vector<std::string>(c.tags().begin(), c.tags().end()) ==
        std::vector<std::string>{"vip", "lead"});
  CHECK(c.custom_fields().fields().at("size").string_value() == "M");
  CHECK(c.account().name() == "Acme");
  CHECK(c.account().address().city() == "Lyon");
  REQUIRE(c.important_dates_size() == 1);
  CHECK(c.important_dates(0).send_time() == "09:00");
  v1::Contact got;
  REQUIRE_OK(f.service.DoGetContact(f.ws, c.id(), &got));
  CHECK(got.email() == "Ada@Example.com");
  CHECK(got.account().id() == acme.id());

  // The same email in another case is a conflict naming email.
  v1::Contact dup;
  Status taken = f.service.DoCreateContact(
      f.admin, Json<v1::Contact>(R"({"firstName": "X", "email": "ada@example.COM"})"), &dup);
  CHECK(taken.code() == Code::kAlreadyExists);
  CHECK(taken.violations().at(0).field == "email");
}

TEST_CASE("bad contact input is refused naming the field", "[conversation][crm]") {
  Fixture f;
  v1::ContactField credit;
  REQUIRE_OK(f.service.DoCreateContactField(
      f.admin, Json<v1::ContactField>(R"({"key": "credit", "label": "Credit", "type":
      "number"})"), &credit));
  auto fails = [&](const std::string& json) {
    v1::Contact out;
    return Violation(f.service.DoCreateContact(f.admin, Json<v1::Contact>(json), &out));
  };
  CHECK(fails(R"({"email": "not-an-email"})") == "email");
  CHECK(fails(R"({"phone": "06 12 34 56 78"})") == "phone");
  CHECK(fails(R"({"firstName": ")" + std::string(201, 'a') + R"("})") == "firstName");
  CHECK(fails(R"({"firstName": "A", "tags": [""]})") == "tags");
  CHECK(fails(R"({"firstName": "A", "customFields": {"credit": "12"}})") ==
        "customFields.credit");
  CHECK(fails(R"({"firstName": "A", "customFields": {"colour": "red"}})") ==
        "customFields.colour");
  CHECK(fails(R"({"firstName": "A", "journeyStage": "bored"})") == "journeyStage");
  CHECK(fails(R"({"firstName": "A", "source": "chat"})") == "source");
  CHECK(fails(R"({"firstName": "A", "accountId": ")" + NewUuidV7() + R"("})") == "accountId");
  CHECK(fails(R"({"firstName": "A", "importantDates": [{"type": "birthday", "date": "02-30"}]})") ==
        "importantDates[0].date");
  CHECK(fails(R"({"firstName": "A", "importantDates": [{"type": "birthday", "date": "02-03",
      "timezone": "Nowhere/Town"}]})") == "importantDates[0].timezone");
  CHECK(fails(R"({"title": "Nobody"})") == "email");  // no email, phone or name
  v1::ListContactsResponse list;
  REQUIRE_OK(f.service.DoListContacts(f.admin, {}, &list));
  CHECK(list.contacts_size() == 0);
}

TEST_CASE("a patch changes only what it names and the mask can clear", "[conversation][crm]") {
  Fixture f;
  auto c = f.Create(R"({"firstName": "Ada", "lastName": "Byron", "title": "Countess",
      "tags": ["a", "b"], "platformIds": {"whatsapp": "33612345678"}})");
  v1::Contact out;
  REQUIRE_OK(f.service.DoUpdateContact(
      f.admin, Json<v1::UpdateContactRequest>(R"({"id": ")" + c.id() + R"(",
      "contact": {"lastName": "Lovelace", "platformIds": {"facebook": "psid-9"}},
      "addTags": ["C"], "removeTags": ["a"]})"), &out));
  CHECK(out.first_name() == "Ada");
  CHECK(out.last_name() == "Lovelace");
  CHECK(out.full_name() == "Ada Lovelace");
  CHECK(out.title() == "Countess");
  CHECK(out.platform_ids().whatsapp() == "33612345678");
  CHECK(out.platform_ids().facebook() == "psid-9");
  CHECK(std::vector<std::string>(out.tags().begin(), out.tags().end()) ==
        std::vector<std::string>{"b", "c"});
  out.Clear();
  REQUIRE_OK(f.service.DoUpdateContact(
      f.admin, Json<v1::UpdateContactRequest>(R"({"id": ")" + c.id() + R"(",
      "updateMask": ["title", "tags", "platformIds.whatsapp"], "contact": {}})"), &out));
  CHECK(out.title().empty());
  CHECK(out.tags_size() == 0);
  CHECK(out.platform_ids().whatsapp().empty());
  CHECK(out.platform_ids().facebook() == "psid-9");
  CHECK(Violation(f.service.DoUpdateContact(
            f.admin, Json<v1::UpdateContactRequest>(R"({"id": ")" + c.id() + R"(",
            "updateMask": ["leadScore"]})"), &out)) == "updateMask");
  CHECK(Violation(f.service.DoUpdateContact(
            f.admin, Json<v1::UpdateContactRequest>(R"({"id": ")" + c.id() + R"(",
            "contact": {"phone": "12"}})"), &out)) == "phone");
}

TEST_CASE("another workspace's contacts accounts fields and jobs are not found",
          "[conversation][crm]") {
  Fixture f;
  auto c = f.Create(R"({"firstName": "Ada", "email": "ada@example.com"})");
  v1::Account acme;
  REQUIRE_OK(f.service.DoCreateAccount(f.admin, Json<v1::Account>(R"({"name": "Acme"})"), &acme));
  v1::ContactField size;
  REQUIRE_OK(f.service.DoCreateContactField(
      f.admin, Json<v1::ContactField>(R"({"key": "size", "label": "Size", "type": "string"})"),
      &size));
  v1::Job job;
  v1::ImportContactsRequest import;
  import.mutable_file()->set_content_type("text/csv");
  import.mutable_file()->set_content("email\nbea@example.com\n");
  REQUIRE_OK(f.service.DoImportContacts(f.admin, import, &job));
  CHECK(job.status() == "queued");
  CHECK(job.total() == 1);

  rpc::Caller stranger = As(NewUuidV7());
  v1::Contact contact;
  CHECK(f.service.DoGetContact(stranger.workspace_id, c.id(), &contact).code() ==
        Code::kNotFound);
  v1::UpdateContactRequest patch;
  patch.set_id(c.id());
  patch.mutable_contact()->set_title("pwned");
  CHECK(f.service.DoUpdateContact(stranger, patch, &contact).code() == Code::kNotFound);
  v1::DeleteContactRequest del;
  del.set_id(c.id());
  CHECK(f.service.DoDeleteContact(stranger, del).code() == Code::kNotFound);
  v1::GetAccountRequest get_account;
  get_account.set_id(acme.id());
  v1::Account account;
  CHECK(f.service.DoGetAccount(stranger, get_account, &account).code() == Code::kNotFound);
  v1::DeleteAccountRequest del_account;
  del_account.set_id(acme.id());
  CHECK(f.service.DoDeleteAccount(stranger, del_account).code() == Code::kNotFound);
  v1::DeleteContactFieldRequest del_field;
  del_field.set_key("size");
  CHECK(f.service.DoDeleteContactField(stranger, del_field).code() == Code::kNotFound);
  v1::GetJobRequest get_job;
  get_job.set_id(job.id());
  v1::Job seen;
  CHECK(f.service.DoGetJob(stranger, get_job, &seen).code() == Code::kNotFound);
  // A stranger's account id is not an account of mine.
  v1::Contact out;
  CHECK(Violation(f.service.DoCreateContact(
            stranger, Json<v1::Contact>(R"({"firstName": "B", "accountId": ")" + acme.id() +
                                        R"("})"), &out)) == "accountId");
  v1::ListContactsResponse theirs;
  REQUIRE_OK(f.service.DoListContacts(stranger, {}, &theirs));
  CHECK(theirs.contacts_size() == 0);
  // And everything is still mine.
  REQUIRE_OK(f.service.DoGetContact(f.ws, c.id(), &contact));
  CHECK(contact.title().empty());
  REQUIRE_OK(f.service.DoGetAccount(f.admin, get_account, &account));
}

TEST_CASE("an upload that is not CSV or too long is refused before any job", "[conversation][crm]") {
  Fixture f;
  auto refuse = [&](const std::string& type, const std::string& body, const std::string& mapping) {
    v1::ImportContactsRequest req;
    req.mutable_file()->set_content_type(type);
    req.mutable_file()->set_content(body);
    req.set_mapping(mapping);
    v1::Job job;
    return Violation(f.service.DoImportContacts(f.admin, req, &job));
  };
  CHECK(refuse("application/json", "{\"email\": 1}", "") == "file");
  CHECK(refuse("text/csv", std::string("email\n\xff\xfe\n", 10), "") == "file");
  CHECK(refuse("text/csv", "", "") == "file");
  CHECK(refuse("text/csv", "colour\nblue\n", "") == "mapping");
  CHECK(refuse("text/csv", "E-mail\na@example.com\n", "Nope:email") == "mapping");
  std::string big = "email\n";
  for (int i = 0; i <= 100000; ++i) {
    big += "p" + std::to_string(i) + "@example.com\n";
  }
  CHECK(refuse("text/csv", big, "") == "file");
  CHECK(Unwrap(f.db.store().Query("SELECT COUNT(*) FROM jobs"))[0].GetInt(0) == 0);
}

// A service token as auth signs one, for the gRPC test.
std::string ServiceToken(const crypto::Ed25519Key& key) {
  crypto::JwtClaims claims;
  claims.sub = "campaign";
  claims.role = "service";
  claims.typ = "service";
  claims.jti = NewUuidV7();
  claims.iat = NowUnixSeconds();
  claims.exp = claims.iat + 300;
  return crypto::SignJwt(claims, key, crypto::KeyId(key));
}

TEST_CASE("EvaluateSegmentForService counts and pages a workspace's matching contacts over gRPC",
          "[conversation][crm]") {
  Fixture f;
  v1::ContactField size;
  REQUIRE_OK(f.service.DoCreateContactField(
      f.admin, Json<v1::ContactField>(R"({"key": "size", "label": "Size", "type": "enum",
      "options": ["S", "M", "L"]})"), &size));
  std::vector<std::string> lyon_m;
  for (int i = 0; i < 5; ++i) {
    auto c = f.Create(R"({"firstName": "P)" + std::to_string(i) + R"(", "city": ")" +
                      (i % 2 ? "Paris" : "Lyon") + R"(", "customFields": {"size": ")" +
                      (i < 3 ? "M" : "L") + R"("}, "tags": ["vip"]})");
    if (i % 2 == 0 && i < 3) {
      lyon_m.push_back(c.id());
    }
  }
  // Another workspace's contact matches the same rules and is never counted.
  Fixture other;
  REQUIRE_OK(other.service.DoCreateContactField(other.admin, size, &size));
  other.Create(R"({"firstName": "Z", "city": "Lyon", "customFields": {"size": "M"}})");

  auto key = Unwrap(crypto::Ed25519Key::Generate());
  auto verifier = std::make_shared<rpc::JwtTokenVerifier>(
      [key]() -> Result<std::vector<crypto::Jwk>> { return std::vector{crypto::ToJwk(key)}; });
  ConversationServiceImpl conversations(f.db.store(), f.pool);
  rpc::ServerOptions options;
  options.listen_addr = "127.0.0.1:0";
  rpc::ServiceServer server(options, verifier, &f.pool);
  server.AddService(&conversations);
  REQUIRE_OK(server.Start());
  auto stub = v1::ConversationService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server.port()), grpc::InsecureChannelCredentials()));
  const std::string token = ServiceToken(key);

  auto ask = [&](const std::string& json, v1::EvaluateSegmentForServiceResponse* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub->EvaluateSegmentForService(
        &ctx, Json<v1::EvaluateSegmentForServiceRequest>(json), resp);
  };
  const std::string rules = R"("rules": {"op": "and", "conditions": [
      {"field": "city", "operator": "eq", "value": "Lyon"},
      {"field": "customFields.size", "operator": "eq", "value": "M"}]}})";
  v1::EvaluateSegmentForServiceResponse page;
  grpc::Status st = ask(R"({"workspaceId": ")" + f.ws + R"(", "count": true, "pageSize": 1, )" +
                            rules,
                        &page);
  INFO(st.error_message());
  REQUIRE(st.ok());
  CHECK(page.total_count() == 2);
  REQUIRE(page.contacts_size() == 1);
  CHECK(page.contacts(0).id() == lyon_m[0]);
  REQUIRE_FALSE(page.next_page_token().empty());
  v1::EvaluateSegmentForServiceResponse next;
  REQUIRE(ask(R"({"workspaceId": ")" + f.ws + R"(", "pageSize": 5, "pageToken": ")" +
                  page.next_page_token() + R"(", )" + rules,
              &next)
              .ok());
  REQUIRE(next.contacts_size() == 1);
  CHECK(next.contacts(0).id() == lyon_m[1]);
  CHECK(next.next_page_token().empty());

  // An undeclared custom field is refused with its path.
  v1::EvaluateSegmentForServiceResponse bad;
  grpc::Status refused = ask(R"({"workspaceId": ")" + f.ws + R"(", "count": true,
      "rules": {"op": "and", "conditions": [{"field": "customFields.colour", "operator": "eq",
      "value": "red"}]}})",
                             &bad);
  CHECK(refused.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  // A user's token may not call it.
  crypto::JwtClaims user;
  user.sub = NewUuidV7();
  user.wid = f.ws;
  user.role = "owner";
  user.typ = "access";
  user.jti = NewUuidV7();
  user.iat = NowUnixSeconds();
  user.exp = user.iat + 300;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + crypto::SignJwt(user, key, crypto::KeyId(key)));
  v1::EvaluateSegmentForServiceResponse denied;
  CHECK(stub->EvaluateSegmentForService(
               &ctx, Json<v1::EvaluateSegmentForServiceRequest>(
                         R"({"workspaceId": ")" + f.ws + R"(", "count": true, )" + rules),
               &denied)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  server.Shutdown();
}

}  // namespace
}  // namespace salesos::conversation
