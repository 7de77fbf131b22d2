#include "transcoder.h"

#include <google/protobuf/dynamic_message.h>

#include <catch2/catch.hpp>

#include "salesos/common/v1/segment.pb.h"

#include "router.h"
#include "salesos/api/http_body.pb.h"
#include "salesos/routing/v1/routing.pb.h"
#include "salesos/testing/v1/testing.pb.h"

using salesos::Code;
using salesos::gateway::AttachmentDisposition;
using salesos::gateway::BuildRequest;
using salesos::gateway::HttpAnswer;
using salesos::gateway::Match;
using salesos::gateway::Router;
using salesos::gateway::ToHttpAnswer;
using salesos::gateway::ToJson;
namespace tv1 = salesos::testing::v1;
namespace rv1 = salesos::routing::v1;

namespace {

const Router& TestRouter() {
  static const Router router = [] {
    Router r;
    REQUIRE(r.AddUpstream("testing").ok());
    return r;
  }();
  return router;
}

salesos::Status Build(const char* method, const char* path, std::string_view query,
                      std::string_view body, google::protobuf::Message* out) {
  Match m = TestRouter().Find(method, path);
  REQUIRE(m.route != nullptr);
  return BuildRequest(*m.route, m.params, query, body, out);
}

const Router& RoutingRouter() {
  static const Router router = [] {
    Router r;
    REQUIRE(r.AddUpstream("routing").ok());
    return r;
  }();
  return router;
}

salesos::Status BuildRouting(const char* method, const char* path, std::string_view query,
                             std::string_view body, std::string_view content_type,
                             google::protobuf::Message* out) {
  Match m = RoutingRouter().Find(method, path);
  REQUIRE(m.route != nullptr);
  return BuildRequest(*m.route, m.params, query, body, out, content_type);
}

}  // namespace

TEST_CASE("a path variable fills the request field of its name", "[gateway][transcoder]") {
  tv1::GetThingRequest req;
  REQUIRE(Build("GET", "/api/v1/things/abc%20d", "", "", &req).ok());
  CHECK(req.id() == "abc d");
}

TEST_CASE("query parameters fill scalar, repeated and enum fields by camelCase or proto name",
          "[gateway][transcoder]") {
  tv1::ListThingsRequest req;
  REQUIRE(Build("GET", "/api/v1/things", "pageSize=20&page_token=x%2By&color=COLOR_BLUE&tags=a&tags=b",
                "", &req)
              .ok());
  CHECK(req.page_size() == 20);
  CHECK(req.page_token() == "x+y");
  CHECK(req.color() == tv1::COLOR_BLUE);
  REQUIRE(req.tags_size() == 2);
  CHECK(req.tags(1) == "b");
}

TEST_CASE("an enum is accepted by name in a JSON body", "[gateway][transcoder]") {
  tv1::Thing thing;
  REQUIRE(Build("PATCH", "/api/v1/things/t1", "",
                R"({"displayName":"Lamp","count":"42","color":"COLOR_RED","tags":["x"],"inner":{"score":0.5}})",
                &thing)
              .ok());
  CHECK(thing.id() == "t1");
  CHECK(thing.display_name() == "Lamp");
  CHECK(thing.count() == 42);
  CHECK(thing.color() == tv1::COLOR_RED);
  CHECK(thing.inner().score() == 0.5);
}

TEST_CASE("the path wins over the same field in the body", "[gateway][transcoder]") {
  tv1::Thing thing;
  REQUIRE(Build("PATCH", "/api/v1/things/from-path", "", R"({"id":"from-body"})", &thing).ok());
  CHECK(thing.id() == "from-path");
}

TEST_CASE("an unknown body field is rejected naming the field", "[gateway][transcoder]") {
  tv1::Thing thing;
  auto st = Build("PATCH", "/api/v1/things/t1", "", R"({"displayNmae":"x"})", &thing);
  REQUIRE(st.code() == Code::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("displayNmae"));
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "displayNmae");
}

TEST_CASE("an unknown nested field is rejected with its path", "[gateway][transcoder]") {
  tv1::Thing thing;
  auto st = Build("PATCH", "/api/v1/things/t1", "", R"({"inner":{"scroe":1}})", &thing);
  REQUIRE(st.code() == Code::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("scroe"));
}

TEST_CASE("a value of the wrong type is rejected naming the field", "[gateway][transcoder]") {
  tv1::Thing thing;
  auto st = Build("PATCH", "/api/v1/things/t1", "", R"({"displayName":5})", &thing);
  REQUIRE(st.code() == Code::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("displayName"));
  CHECK_THAT(st.message(), Catch::Contains("string"));
}

TEST_CASE("an unknown enum name is rejected", "[gateway][transcoder]") {
  tv1::Thing thing;
  auto st = Build("PATCH", "/api/v1/things/t1", "", R"({"color":"COLOR_GREEN"})", &thing);
  CHECK(st.code() == Code::kInvalidArgument);
  tv1::ListThingsRequest req;
  st = Build("GET", "/api/v1/things", "color=GREEN", "", &req);
  REQUIRE(st.code() == Code::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("COLOR_RED"));
}

TEST_CASE("broken JSON is rejected as malformed without echoing the input",
          "[gateway][transcoder]") {
  tv1::Thing thing;
  auto st = Build("PATCH", "/api/v1/things/t1", "", R"({"displayName": "secret-value)", &thing);
  REQUIRE(st.code() == Code::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::StartsWith("malformed JSON body"));
  CHECK_THAT(st.message(), !Catch::Contains("secret-value"));
}

TEST_CASE("a JSON array instead of an object is rejected", "[gateway][transcoder]") {
  tv1::Thing thing;
  CHECK(Build("PATCH", "/api/v1/things/t1", "", "[1,2]", &thing).code() == Code::kInvalidArgument);
}

TEST_CASE("unknown and malformed query parameters are rejected", "[gateway][transcoder]") {
  tv1::ListThingsRequest req;
  auto st = Build("GET", "/api/v1/things", "pageSzie=3", "", &req);
  REQUIRE(st.code() == Code::kInvalidArgument);
  CHECK(st.violations().at(0).field == "pageSzie");
  CHECK(Build("GET", "/api/v1/things", "pageSize=abc", "", &req).code() == Code::kInvalidArgument);
  CHECK(Build("GET", "/api/v1/things", "pageSize=%zz", "", &req).code() == Code::kInvalidArgument);
  CHECK(Build("GET", "/api/v1/things", "pageSize=99999999999", "", &req).code() ==
        Code::kInvalidArgument);
}

TEST_CASE("responses use lowerCamelCase and print zero values", "[gateway][transcoder]") {
  tv1::Thing thing;
  thing.set_display_name("Lamp");
  std::string json = ToJson(thing);
  CHECK_THAT(json, Catch::Contains(R"("displayName":"Lamp")"));
  CHECK_THAT(json, Catch::Contains(R"("count":"0")"));
  CHECK_THAT(json, Catch::Contains(R"("tags":[])"));
}

TEST_CASE("an HttpBody answer is its file: content type, attachment name and the raw content",
          "[gateway][transcoder][download]") {
  salesos::api::HttpBody file;
  file.set_content_type("text/csv; charset=utf-8");
  file.set_filename("analytics-2026-01-01-2026-01-31-day.csv");
  file.set_content(std::string("a,b\r\n1,\0\r\n", 10));
  HttpAnswer answer = ToHttpAnswer(file);
  CHECK(answer.content_type == "text/csv; charset=utf-8");
  CHECK(answer.content_disposition ==
        R"(attachment; filename="analytics-2026-01-01-2026-01-31-day.csv")");
  CHECK(answer.body == std::string("a,b\r\n1,\0\r\n", 10));  // bytes as they are, not JSON

  // The same file as a dynamic message (not the generated class) answers the same.
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> dynamic(
      factory.GetPrototype(salesos::api::HttpBody::descriptor())->New());
  REQUIRE(dynamic->ParseFromString(file.SerializeAsString()));
  HttpAnswer again = ToHttpAnswer(*dynamic);
  CHECK(again.content_type == answer.content_type);
  CHECK(again.content_disposition == answer.content_disposition);
  CHECK(again.body == answer.body);
}

TEST_CASE("any other answer is JSON with no attachment", "[gateway][transcoder][download]") {
  tv1::Thing thing;
  thing.set_display_name("Lamp");
  HttpAnswer answer = ToHttpAnswer(thing);
  CHECK(answer.content_type == "application/json");
  CHECK(answer.content_disposition.empty());
  CHECK(answer.body == ToJson(thing));
}

TEST_CASE("a missing or header-breaking content type is served as application/octet-stream",
          "[gateway][transcoder][download]") {
  salesos::api::HttpBody file;
  file.set_content("x");
  CHECK(ToHttpAnswer(file).content_type == "application/octet-stream");
  CHECK(ToHttpAnswer(file).content_disposition == "attachment");
  file.set_content_type("text/plain\r\nSet-Cookie: a=b");
  CHECK(ToHttpAnswer(file).content_type == "application/octet-stream");
  file.set_content_type("csv");
  CHECK(ToHttpAnswer(file).content_type == "application/octet-stream");
}

TEST_CASE("a file name is quoted safely, with filename* for a name that is not plain ASCII",
          "[gateway][transcoder][download]") {
  CHECK(AttachmentDisposition("") == "attachment");
  CHECK(AttachmentDisposition("report.csv") == R"(attachment; filename="report.csv")");
  // Control characters (a header split) are dropped, path separators neutralised.
  CHECK(AttachmentDisposition("a\r\nSet-Cookie: x=1.csv") ==
        R"(attachment; filename="aSet-Cookie: x=1.csv")");
  CHECK(AttachmentDisposition("../etc\\passwd") == R"(attachment; filename=".._etc_passwd")");
  CHECK(AttachmentDisposition("\r\n") == "attachment");
  // A quote is escaped in the quoted string, and the exact name is in filename*.
  CHECK(AttachmentDisposition("say \"hi\".txt") ==
        R"(attachment; filename="say \"hi\".txt"; filename*=UTF-8''say%20%22hi%22.txt)");
  // Non-ASCII: an ASCII fallback with one '_' per character, the UTF-8 name percent-encoded.
  CHECK(AttachmentDisposition("caf\xc3\xa9 \xe2\x82\xac.csv") ==
        "attachment; filename=\"caf_ _.csv\"; filename*=UTF-8''caf%C3%A9%20%E2%82%AC.csv");
}

TEST_CASE("an upload's raw body and content type fill its HttpBody field, unparsed",
          "[gateway][transcoder][upload]") {
  // Not JSON, with a NUL byte and CRLFs: passed on byte for byte.
  std::string csv = "firstName,email\r\nAda,ada@example.com\r\n";
  csv += '\0';
  csv += "x,\"{\"\r\n";
  rv1::ImportItemsRequest req;
  REQUIRE(BuildRouting("POST", "/api/v1/items/import", "dryRun=true&listId=l1", csv,
                       "text/csv; charset=utf-8", &req)
              .ok());
  CHECK(req.file().content() == csv);
  CHECK(req.file().content_type() == "text/csv; charset=utf-8");
  CHECK(req.file().filename().empty());
  // Query parameters still fill the other fields.
  CHECK(req.dry_run());
  CHECK(req.list_id() == "l1");
}

TEST_CASE("an upload's content type is passed on as sent, even when it is not CSV or is missing",
          "[gateway][transcoder][upload]") {
  rv1::ImportItemsRequest req;
  REQUIRE(
      BuildRouting("POST", "/api/v1/items/import", "", "{\"a\":1}", "application/json", &req).ok());
  CHECK(req.file().content() == "{\"a\":1}");
  CHECK(req.file().content_type() == "application/json");
  rv1::ImportItemsRequest bare;
  REQUIRE(BuildRouting("POST", "/api/v1/items/import", "", "a,b", "", &bare).ok());
  CHECK(bare.file().content() == "a,b");
  CHECK(bare.file().content_type().empty());
}

TEST_CASE("an empty upload is refused naming its field", "[gateway][transcoder][upload]") {
  rv1::ImportItemsRequest req;
  auto st = BuildRouting("POST", "/api/v1/items/import", "", "", "text/csv", &req);
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == Code::kInvalidArgument);
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "file");
}

TEST_CASE("an upload whose Content-Type is not UTF-8 is refused naming the header",
          "[gateway][transcoder][upload]") {
  // HTTP lets a header carry any byte; the proto's string field would not survive it.
  rv1::ImportItemsRequest req;
  auto st = BuildRouting("POST", "/api/v1/items/import", "", "a,b", "text/csv; name=\xff\xfe",
                         &req);
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == Code::kInvalidArgument);
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "Content-Type");
  CHECK(req.file().content().empty());
}

TEST_CASE("a body naming a message field fills that field from JSON, the path the others",
          "[gateway][transcoder]") {
  rv1::AddNoteRequest req;
  REQUIRE(BuildRouting("POST", "/api/v1/items/it-1/notes", "", R"({"text":"hello","stars":4})",
                       "application/json", &req)
              .ok());
  CHECK(req.id() == "it-1");
  CHECK(req.note().text() == "hello");
  CHECK(req.note().stars() == 4);
  // The JSON is the field's, not the request's: an unknown key is named under the field.
  rv1::AddNoteRequest bad;
  auto st = BuildRouting("POST", "/api/v1/items/it-1/notes", "", R"({"id":"x"})",
                         "application/json", &bad);
  REQUIRE_FALSE(st.ok());
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == "note.id");
}

TEST_CASE("a segment rule tree answers as it was written, without the other kind's empty half",
          "[gateway][transcoder]") {
  salesos::common::v1::SegmentRule root;
  root.set_op("and");
  auto* city = root.add_conditions();
  city->set_field("city");
  city->set_operator_("eq");
  city->mutable_value()->set_string_value("Lyon");
  auto* group = root.add_conditions();
  group->set_op("or");
  group->set_not_(true);
  auto* score = group->add_conditions();
  score->set_field("leadScore");
  score->set_operator_("gte");
  score->mutable_value()->set_number_value(70);
  CHECK(ToJson(root) ==
        R"({"op":"and","conditions":[{"field":"city","operator":"eq","value":"Lyon"},)"
        R"({"op":"or","not":true,"conditions":[{"field":"leadScore","operator":"gte","value":70}]}]})");
  // Other messages keep every field, zeros included.
  tv1::Thing thing;
  CHECK_THAT(ToJson(thing), Catch::Contains(R"("count":"0")"));
}
