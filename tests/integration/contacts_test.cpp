// The CRM end to end over HTTP (docs/crm.md): contacts, custom fields and accounts — CRUD,
// validation, roles and isolation between workspaces — and a 100,000-row CSV import with bad
// rows whose job counts are exact, a second import that creates nothing, and an export that
// imports back as all skipped. All seven processes, a real Redis.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "salesos/core/csv.h"
#include "salesos/core/ids.h"
#include "support/api.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;

namespace {

HttpResult Post(HttpClient& client, const std::string& path, const std::string& token,
                const json::object& body) {
  return client.Post(path, json::serialize(body), token);
}

// A POST with a CSV body (the client's own requests are JSON): a raw HTTP/1.1 request on a fresh
// connection, closed after the answer.
HttpResult PostCsv(HttpClient& client, const std::string& path, const std::string& token,
                   const std::string& csv, const std::string& content_type = "text/csv") {
  std::string request = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                        "Authorization: Bearer " + token + "\r\nContent-Type: " + content_type +
                        "\r\nContent-Length: " + std::to_string(csv.size()) + "\r\n\r\n" + csv;
  std::string raw = client.Raw(request);
  HttpResult r;
  size_t space = raw.find(' ');
  if (space != std::string::npos) {
    r.status = std::atoi(raw.c_str() + space + 1);
  }
  size_t end = raw.find("\r\n\r\n");
  if (end != std::string::npos) {
    r.body = raw.substr(end + 4);
  }
  return r;
}

// Polls the job until it is done (or the bound passes); the job as last seen.
json::value WaitForJob(HttpClient& client, const std::string& token, const std::string& id,
                       std::chrono::seconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  json::value job;
  int64_t last_processed = 0;
  while (std::chrono::steady_clock::now() < until) {
    HttpResult r = client.Get("/api/v1/jobs/" + id, token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    job = Json(r);
    const int64_t processed = job.at("processed").to_number<int64_t>();
    CHECK(processed >= last_processed);  // progress only moves forward
    last_processed = processed;
    if (Str(job.at("status")) == "succeeded" || Str(job.at("status")) == "failed") {
      return job;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling interval, not a sync
  }
  FAIL("the import did not finish within the bound");
  return job;
}

int64_t N(const json::value& v, const char* key) { return v.at(key).to_number<int64_t>(); }

void ContactsFieldsAndAccounts(Suite& suite) {
  auto client = suite.Client();
  Account owner = Register(*client, "Tia's Lamps");
  Account agent = AddMember(*client, owner, "agent");
  Account viewer = AddMember(*client, owner, "viewer");
  Account stranger = Register(*client, "Someone Else");

  // Custom fields: admins declare them; values are checked by type.
  CHECK(Post(*client, "/api/v1/contact-fields", agent.token,
             json::object{{"key", "size"}, {"label", "Size"}, {"type", "string"}})
            .status == 403);
  HttpResult field = Post(*client, "/api/v1/contact-fields", owner.token,
                          json::object{{"key", "size"},
                                       {"label", "Size"},
                                       {"type", "enum"},
                                       {"options", json::array{"S", "M", "L"}}});
  INFO(field.body);
  REQUIRE(field.status == 200);
  HttpResult again = Post(*client, "/api/v1/contact-fields", owner.token,
                          json::object{{"key", "size"}, {"label", "Size"}, {"type", "string"}});
  CHECK(again.status == 409);
  CHECK(ErrorField(again) == "key");
  CHECK(Post(*client, "/api/v1/contact-fields", owner.token,
             json::object{{"key", "bad key!"}, {"label", "x"}, {"type", "string"}})
            .status == 400);
  HttpResult fields = client->Get("/api/v1/contact-fields", viewer.token);
  REQUIRE(fields.status == 200);
  CHECK(Json(fields).at("fields").as_array().size() == 1);

  // Accounts.
  HttpResult acme = Post(*client, "/api/v1/accounts", agent.token,
                         json::object{{"name", "Acme"},
                                      {"website", "https://acme.example"},
                                      {"employees", 40},
                                      {"address", json::object{{"city", "Lyon"}}}});
  INFO(acme.body);
  REQUIRE(acme.status == 200);
  const std::string acme_id = Str(Json(acme).at("id"));
  CHECK(Post(*client, "/api/v1/accounts", agent.token, json::object{{"website", "x.example"}})
            .status == 400);
  CHECK(Post(*client, "/api/v1/accounts", viewer.token, json::object{{"name", "No"}}).status ==
        403);

  // Contacts: created by agents, normalised, shown with their account.
  HttpResult created =
      Post(*client, "/api/v1/contacts", agent.token,
           json::object{{"firstName", "Ada"},
                        {"lastName", "Lovelace"},
                        {"email", "Ada@Example.com"},
                        {"phone", "+33 6 12 34 56 78"},
                        {"tags", json::array{"VIP", "lead"}},
                        {"accountId", acme_id},
                        {"customFields", json::object{{"size", "M"}}},
                        {"importantDates", json::array{json::object{
                                               {"type", "birthday"},
                                               {"date", "12-10"},
                                               {"timezone", "Europe/Paris"}}}}});
  INFO(created.body);
  REQUIRE(created.status == 200);
  auto ada = Json(created);
  const std::string ada_id = Str(ada.at("id"));
  CHECK(Str(ada.at("phone")) == "+33612345678");
  CHECK(Strings(ada.at("tags")) == std::vector<std::string>{"vip", "lead"});
  CHECK(Str(ada.at("source")) == "manual");
  CHECK(Str(ada.at("account").at("name")) == "Acme");
  CHECK(Str(ada.at("customFields").at("size")) == "M");
  CHECK(Str(ada.at("importantDates").at(0).at("sendTime")) == "09:00");
  CHECK(Post(*client, "/api/v1/contacts", viewer.token, json::object{{"firstName", "No"}})
            .status == 403);

  // Validation: 400 naming the field; the same email in another case 409 naming email.
  struct Bad {
    json::object body;
    std::string field;
  };
  for (const auto& bad : std::vector<Bad>{
           {{{"email", "nope"}}, "email"},
           {{{"phone", "06 12 34 56 78"}}, "phone"},
           {{{"firstName", "A"}, {"customFields", json::object{{"size", "XL"}}}},
            "customFields.size"},
           {{{"firstName", "A"}, {"customFields", json::object{{"colour", "red"}}}},
            "customFields.colour"},
           {{{"firstName", "A"}, {"journeyStage", "bored"}}, "journeyStage"},
           {{{"firstName", "A"}, {"accountId", salesos::NewUuidV7()}}, "accountId"},
           {{{"firstName", "A"},
             {"importantDates",
              json::array{json::object{{"type", "birthday"}, {"date", "02-30"}}}}},
            "importantDates[0].date"}}) {
    HttpResult r = Post(*client, "/api/v1/contacts", agent.token, bad.body);
    INFO(json::serialize(bad.body) << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(ErrorField(r) == bad.field);
  }
  HttpResult dup = Post(*client, "/api/v1/contacts", agent.token,
                        json::object{{"firstName", "Other"}, {"email", "ADA@example.COM"}});
  CHECK(dup.status == 409);
  CHECK(ErrorField(dup) == "email");

  // PATCH changes only what it names; the mask clears.
  HttpResult patched = Send(*client, "PATCH", "/api/v1/contacts/" + ada_id, agent.token,
                            json::value(json::object{{"contact", json::object{{"title", "CTO"}}},
                                                     {"addTags", json::array{"customer"}}}));
  INFO(patched.body);
  REQUIRE(patched.status == 200);
  CHECK(Str(Json(patched).at("title")) == "CTO");
  CHECK(Str(Json(patched).at("email")) == "Ada@Example.com");
  CHECK(Strings(Json(patched).at("tags")) == std::vector<std::string>{"vip", "lead", "customer"});
  HttpResult cleared = Send(*client, "PATCH", "/api/v1/contacts/" + ada_id, agent.token,
                            json::value(json::object{{"contact", json::object{}},
                                                     {"updateMask", json::array{"title"}}}));
  REQUIRE(cleared.status == 200);
  CHECK(Str(Json(cleared).at("title")).empty());

  // Lists: q, tag, paging.
  REQUIRE(Post(*client, "/api/v1/contacts", agent.token,
               json::object{{"firstName", "Grace"}, {"email", "grace@example.com"}})
              .status == 200);
  auto list = [&](const std::string& query) {
    HttpResult r = client->Get("/api/v1/contacts" + query, viewer.token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return Json(r);
  };
  CHECK(list("?q=LOVE").at("contacts").as_array().size() == 1);
  CHECK(list("?tag=customer").at("contacts").as_array().size() == 1);
  auto first_page = list("?pageSize=1");
  REQUIRE(first_page.at("contacts").as_array().size() == 1);
  CHECK(Str(first_page.at("contacts").at(0).at("id")) == ada_id);
  auto second_page = list("?pageSize=1&pageToken=" + Str(first_page.at("nextPageToken")));
  CHECK(Str(second_page.at("contacts").at(0).at("firstName")) == "Grace");
  CHECK(Str(second_page.at("nextPageToken")).empty());
  CHECK(client->Get("/api/v1/contacts?segmentId=" + salesos::NewUuidV7(), viewer.token).status ==
        404);

  // Another workspace: 404 for every id, never data; its list is empty.
  CHECK(client->Get("/api/v1/contacts/" + ada_id, stranger.token).status == 404);
  CHECK(Send(*client, "PATCH", "/api/v1/contacts/" + ada_id, stranger.token,
             json::value(json::object{{"contact", json::object{{"title", "pwned"}}}}))
            .status == 404);
  CHECK(Send(*client, "DELETE", "/api/v1/contacts/" + ada_id, stranger.token).status == 404);
  CHECK(client->Get("/api/v1/accounts/" + acme_id, stranger.token).status == 404);
  CHECK(Send(*client, "DELETE", "/api/v1/accounts/" + acme_id, stranger.token).status == 404);
  CHECK(Send(*client, "DELETE", "/api/v1/contact-fields/size", stranger.token).status == 404);
  HttpResult theirs = client->Get("/api/v1/contacts", stranger.token);
  REQUIRE(theirs.status == 200);
  CHECK(Json(theirs).at("contacts").as_array().empty());
  HttpResult borrowed = Post(*client, "/api/v1/contacts", stranger.token,
                             json::object{{"firstName", "B"}, {"accountId", acme_id}});
  CHECK(borrowed.status == 400);
  CHECK(ErrorField(borrowed) == "accountId");
  CHECK(Str(Json(client->Get("/api/v1/contacts/" + ada_id, owner.token)).at("title")).empty());

  // Deleting the account clears the contact's accountId; deleting the field its value.
  CHECK(Send(*client, "DELETE", "/api/v1/accounts/" + acme_id, agent.token).status == 403);
  REQUIRE(Send(*client, "DELETE", "/api/v1/accounts/" + acme_id, owner.token).status == 200);
  CHECK(client->Get("/api/v1/accounts/" + acme_id, owner.token).status == 404);
  auto after_account = Json(client->Get("/api/v1/contacts/" + ada_id, owner.token));
  CHECK(Str(after_account.at("accountId")).empty());
  REQUIRE(Send(*client, "DELETE", "/api/v1/contact-fields/size", owner.token).status == 200);
  auto after_field = Json(client->Get("/api/v1/contacts/" + ada_id, owner.token));
  CHECK(after_field.at("customFields").as_object().empty());

  // Deleting the contact: admins only.
  CHECK(Send(*client, "DELETE", "/api/v1/contacts/" + ada_id, agent.token).status == 403);
  REQUIRE(Send(*client, "DELETE", "/api/v1/contacts/" + ada_id, owner.token).status == 200);
  CHECK(client->Get("/api/v1/contacts/" + ada_id, owner.token).status == 404);
}

// 100,000 data rows: every 1,000th (from data row 500) has a bad email, every 2,500th (from 700)
// a phone without a country code, every 10,000th (from 1,234) is empty, and one record is
// malformed (an unterminated quote at data row 99,990 swallows nothing after it but itself: it is
// the last line but ten, and the reader resumes at the next line).
struct BigCsv {
  std::string text;
  int64_t rows = 0, bad_email = 0, bad_phone = 0, empty = 0, malformed = 0;
};

BigCsv MakeBigCsv() {
  BigCsv csv;
  csv.text = "First Name,Last Name,E-mail,Phone,Tags,Size,Notes\r\n";
  for (int i = 0; i < 100000; ++i) {
    ++csv.rows;
    if (i % 10000 == 1234) {
      csv.text += ",,,,,,\r\n";
      ++csv.empty;
      continue;
    }
    if (i == 99990) {
      csv.text += "Broken,\"Row,oops\"x,broken@example.com,,,,\r\n";
      ++csv.malformed;
      continue;
    }
    std::string email = "person" + std::to_string(i) + "@example.com";
    if (i % 1000 == 500) {
      email = "person" + std::to_string(i) + "-at-example.com";
      ++csv.bad_email;
    }
    std::string phone = "+44 7700 " + std::to_string(100000 + i);
    if (i % 2500 == 700) {
      phone = "07700 900" + std::to_string(i % 1000);
      ++csv.bad_phone;
    }
    csv.text += "Person," + std::to_string(i) + "," + email + "," + phone + ",import;" +
                (i % 2 ? "odd" : "even") + "," + (i % 3 ? "M" : "L") + ",\"says \"\"hi\"\", ok\"\r\n";
  }
  return csv;
}

void ImportExportRoundTrip(Suite& suite) {
  auto client = suite.Client();
  Account owner = Register(*client, "Bulk Lamps");
  Account agent = AddMember(*client, owner, "agent");
  REQUIRE(Post(*client, "/api/v1/contact-fields", owner.token,
               json::object{{"key", "size"},
                            {"label", "Size"},
                            {"type", "enum"},
                            {"options", json::array{"S", "M", "L"}}})
              .status == 200);
  const BigCsv csv = MakeBigCsv();
  const int64_t errors = csv.bad_email + csv.bad_phone + csv.malformed;

  // Refused before any job: an agent, a body that is not CSV, a mapping to nothing.
  CHECK(PostCsv(*client, "/api/v1/contacts/import", agent.token, csv.text).status == 403);
  HttpResult not_csv = PostCsv(*client, "/api/v1/contacts/import", owner.token, "{\"a\": 1}",
                               "application/json");
  CHECK(not_csv.status == 400);
  CHECK(PostCsv(*client, "/api/v1/contacts/import?mapping=Nope:email", owner.token, csv.text)
            .status == 400);

  const auto started = std::chrono::steady_clock::now();
  HttpResult queued = PostCsv(*client, "/api/v1/contacts/import", owner.token, csv.text);
  INFO(queued.body.substr(0, 500));
  REQUIRE(queued.status == 200);
  auto job = Json(queued);
  CHECK(Str(job.at("status")) == "queued");
  CHECK(N(job, "total") == csv.rows);
  CHECK(Strings(job.at("ignoredColumns")) == std::vector<std::string>{"Notes"});
  auto done = WaitForJob(*client, owner.token, Str(job.at("id")), std::chrono::seconds(300));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  WARN("imported " << csv.rows << " rows in " << ms << " ms (upload to job done, "
                   << suite.data_dir() << ")");
  INFO(json::serialize(done).substr(0, 2000));
  REQUIRE(Str(done.at("status")) == "succeeded");
  CHECK(N(done, "processed") == csv.rows);
  CHECK(N(done, "errorCount") == errors);
  CHECK(N(done, "skipped") == csv.empty);
  CHECK(N(done, "updated") == 0);
  CHECK(N(done, "created") == csv.rows - errors - csv.empty);
  const auto& errs = done.at("errors").as_array();
  REQUIRE(static_cast<int64_t>(errs.size()) == errors);
  CHECK(N(errs.at(0), "row") == 502);  // data row 500; the header is row 1
  CHECK(Str(errs.at(0).at("message")).find("E-mail") != std::string::npos);
  bool phone_named = false;
  bool malformed_named = false;
  for (const auto& e : errs) {
    const std::string m = Str(e.at("message"));
    phone_named = phone_named || (N(e, "row") == 702 && m.find("country code") != std::string::npos);
    malformed_named = malformed_named || (N(e, "row") == 99992 && m.find("CSV") != std::string::npos);
  }
  CHECK(phone_named);
  CHECK(malformed_named);

  // The same file again: nothing new, nothing changed.
  HttpResult second = PostCsv(*client, "/api/v1/contacts/import", owner.token, csv.text);
  REQUIRE(second.status == 200);
  auto again = WaitForJob(*client, owner.token, Str(Json(second).at("id")),
                          std::chrono::seconds(300));
  CHECK(Str(again.at("status")) == "succeeded");
  CHECK(N(again, "created") == 0);
  CHECK(N(again, "updated") == 0);
  CHECK(N(again, "skipped") == csv.rows - errors);
  CHECK(N(again, "errorCount") == errors);

  // The export: a CSV of every contact with the columns the import reads; imported back, all
  // skipped. A contact from the file looks as it should.
  HttpResult exported = client->Get("/api/v1/contacts/export?format=csv", owner.token);
  INFO(exported.body.substr(0, 300));
  REQUIRE(exported.status == 200);
  CHECK(exported.Header("content-type").find("text/csv") != std::string::npos);
  CHECK(exported.Header("content-disposition").find("contacts-") != std::string::npos);
  salesos::csv::Reader reader(exported.body);
  salesos::csv::Record record;
  REQUIRE(reader.Next(record));
  const std::vector<std::string> header = record.fields;
  CHECK(header.back() == "customFields.size");
  int64_t exported_rows = 0;
  bool found = false;
  while (reader.Next(record)) {
    REQUIRE(record.error.empty());
    ++exported_rows;
    if (record.fields[3] == "person42@example.com") {
      found = true;
      CHECK(record.fields[4] == "'+447700100042");  // guarded against formulas
      CHECK(record.fields[8] == "import;even");
      CHECK(record.fields.back() == "L");
    }
  }
  CHECK(found);
  CHECK(exported_rows == N(done, "created"));
  HttpResult back = PostCsv(*client, "/api/v1/contacts/import", owner.token, exported.body);
  REQUIRE(back.status == 200);
  auto roundtrip = WaitForJob(*client, owner.token, Str(Json(back).at("id")),
                              std::chrono::seconds(300));
  CHECK(N(roundtrip, "total") == exported_rows);
  CHECK(N(roundtrip, "skipped") == exported_rows);
  CHECK(N(roundtrip, "created") == 0);
  CHECK(N(roundtrip, "updated") == 0);
  CHECK(N(roundtrip, "errorCount") == 0);
  CHECK(Json(back).at("ignoredColumns").as_array().empty());

  HttpResult as_json = client->Get("/api/v1/contacts/export?format=json", owner.token);
  REQUIRE(as_json.status == 200);
  auto contacts = json::parse(as_json.body).at("contacts").as_array();
  CHECK(static_cast<int64_t>(contacts.size()) == exported_rows);
  CHECK(Str(contacts.at(0).at("source")) == "import");
  CHECK(client->Get("/api/v1/contacts/export", agent.token).status == 403);
}

SuiteOptions NoRateLimits() {
  SuiteOptions options;
  options.extra_env = {"SALESOS_RATE_LIMIT_IP_PER_MIN=0", "SALESOS_RATE_LIMIT_USER_PER_MIN=0"};
  return options;
}

}  // namespace

TEST_CASE("contacts: CRUD, validation, roles and isolation for contacts, fields and accounts",
          "[integration][contacts]") {
  Suite suite(NoRateLimits());
  ContactsFieldsAndAccounts(suite);
}

TEST_CASE("contacts: a 100,000-row import with bad rows counts exactly, repeats as nothing new "
          "and an export imports back as all skipped",
          "[integration][contacts][import]") {
  Suite suite(NoRateLimits());
  ImportExportRoundTrip(suite);
}
