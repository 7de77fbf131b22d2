// SegmentServiceImpl's logic without gRPC (the Do* methods), on SQLite, with a fixed clock and a
// stand-in for conversation's EvaluateSegmentForService that keeps contacts in memory, pages them
// by id and refuses custom fields the workspace has not declared, as conversation does. The real
// client is used where conversation cannot be reached.

#include "segment_service.h"

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "campaign_lib_migrations.h"
#include "salesos/core/ids.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/service_token.h"
#include "support/databases.h"

namespace salesos::campaign {
namespace {

using conversation::v1::EvaluateSegmentForServiceRequest;
using conversation::v1::EvaluateSegmentForServiceResponse;

class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t millis) : millis_(millis) {}
  int64_t NowMillis() const override { return millis_; }

 private:
  int64_t millis_;
};

constexpr int64_t kNowMillis = 1795242600000;  // 2026-11-21T06:30:00Z

common::v1::SegmentRule Rules(const std::string& json) {
  common::v1::SegmentRule rule;
  auto st = google::protobuf::util::JsonStringToMessage(json, &rule);
  INFO(json);
  REQUIRE(st.ok());
  return rule;
}

constexpr char kLyonOrParis[] = R"({"op": "and", "conditions": [
    {"field": "city", "operator": "in", "value": ["Lyon", "Paris"]},
    {"op": "or", "conditions": [{"field": "platform", "operator": "eq", "value": "whatsapp"},
                                {"field": "leadScore", "operator": "gte", "value": 70}]}]})";

// conversation's side: `contacts` contacts with ids in order, of which every tree matches the
// same ones (what is matched is conversation's business; here only the contract is exercised);
// custom fields outside `declared` are refused with a violation naming their path.
class FakeContacts {
 public:
  explicit FakeContacts(int contacts) {
    for (int i = 0; i < contacts; ++i) {
      ids_.push_back(NewUuidV7());
    }
  }

  std::vector<EvaluateSegmentForServiceRequest> asked;
  std::set<std::string> declared = {"size"};

  SegmentEvaluator Evaluator() {
    return [this](const EvaluateSegmentForServiceRequest& req)
               -> Result<EvaluateSegmentForServiceResponse> {
      asked.push_back(req);
      std::vector<FieldViolation> violations;
      Check(req.rules(), "rules", &violations);
      if (!violations.empty()) {
        return Status(Code::kInvalidArgument,
                      violations[0].field + ": " + violations[0].description, violations);
      }
      EvaluateSegmentForServiceResponse resp;
      if (req.count()) {
        resp.set_total_count(static_cast<int64_t>(ids_.size()));
      }
      size_t i = 0;
      if (!req.page_token().empty()) {
        if (req.page_token().rfind("after:", 0) != 0) {
          return FieldError("pageToken", "is not a token of this list");
        }
        std::string after = req.page_token().substr(6);
        while (i < ids_.size() && ids_[i] <= after) {
          ++i;
        }
      }
      for (int n = 0; n < req.page_size() && i < ids_.size(); ++n, ++i) {
        auto* c = resp.add_contacts();
        c->set_id(ids_[i]);
        c->set_first_name("Contact " + std::to_string(i));
      }
      if (req.page_size() > 0 && i < ids_.size()) {
        resp.set_next_page_token("after:" + ids_[i - 1]);
      }
      return resp;
    };
  }

  const std::vector<std::string>& ids() const { return ids_; }

 private:
  void Check(const common::v1::SegmentRule& node, const std::string& path,
             std::vector<FieldViolation>* out) const {
    for (int i = 0; i < node.conditions_size(); ++i) {
      Check(node.conditions(i), path + ".conditions[" + std::to_string(i) + "]", out);
    }
    const std::string prefix = "customFields.";
    if (node.field().rfind(prefix, 0) == 0 &&
        !declared.contains(node.field().substr(prefix.size()))) {
      out->push_back({path + ".field", "\"" + node.field() + "\" is not a declared custom field"});
    }
  }

  std::vector<std::string> ids_;
};

rpc::Caller MakeCaller(const std::string& workspace_id, const std::string& role = "agent") {
  rpc::Caller c;
  c.user_id = NewUuidV7();
  c.workspace_id = workspace_id;
  c.role = role;
  c.token_type = "access";
  return c;
}

struct Fixture {
  testing::SqliteDatabase db{campaign_lib_migrations()};
  rpc::WorkPool pool{1};
  FixedClock clock{kNowMillis};
  FakeContacts contacts{45};
  SegmentServiceImpl service{db.store(), pool, contacts.Evaluator(), clock};
  rpc::Caller agent = MakeCaller(NewUuidV7());

  v1::Segment Create(const std::string& name, const std::string& rules = kLyonOrParis) {
    v1::Segment req;
    req.set_name(name);
    *req.mutable_rules() = Rules(rules);
    v1::Segment resp;
    Status st = service.DoCreate(agent, req, &resp);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return resp;
  }

  int Stored() {
    v1::ListSegmentsResponse list;
    REQUIRE(service.DoList(agent, v1::ListSegmentsRequest(), &list).ok());
    return list.segments_size();
  }
};

std::vector<std::string> Fields(const Status& st) {
  std::vector<std::string> out;
  for (const auto& v : st.violations()) {
    out.push_back(v.field);
  }
  return out;
}

std::string FirstField(const Status& st) {
  return st.violations().empty() ? "" : st.violations().front().field;
}

TEST_CASE("a created segment answers its rules, explanation, author and times",
          "[campaign][segments][service]") {
  Fixture f;
  v1::Segment req;
  req.set_name("Lyon or Paris, engaged");
  req.set_description("For the spring launch");
  *req.mutable_rules() = Rules(kLyonOrParis);
  req.set_explanation("ignored: the server explains");
  req.set_created_by("someone else");
  v1::Segment resp;
  REQUIRE(f.service.DoCreate(f.agent, req, &resp).ok());
  CHECK(IsUuid(resp.id()));
  CHECK(resp.name() == "Lyon or Paris, engaged");
  CHECK(resp.description() == "For the spring launch");
  CHECK(resp.rules().SerializeAsString() == req.rules().SerializeAsString());
  CHECK(resp.explanation().find("Lyon") != std::string::npos);
  CHECK(resp.explanation().find("OR") != std::string::npos);
  CHECK(resp.created_by() == f.agent.user_id);
  CHECK(resp.created_at() == "2026-11-21T06:30:00.000Z");
  CHECK(resp.updated_at() == resp.created_at());
  // conversation checked the tree for the workspace, counting only.
  REQUIRE(f.contacts.asked.size() == 1);
  CHECK(f.contacts.asked[0].workspace_id() == f.agent.workspace_id);
  CHECK(f.contacts.asked[0].count());
  CHECK(f.contacts.asked[0].page_size() == 0);

  v1::Segment got;
  REQUIRE(f.service.DoGet(f.agent, resp.id(), &got).ok());
  CHECK(got.SerializeAsString() == resp.SerializeAsString());
}

TEST_CASE("bad segment fields get 400 naming the field, without asking conversation",
          "[campaign][segments][service]") {
  Fixture f;
  auto attempt = [&](const std::string& name, const std::string& description,
                     const std::string& rules) {
    v1::Segment req;
    req.set_name(name);
    req.set_description(description);
    if (!rules.empty()) {
      *req.mutable_rules() = Rules(rules);
    }
    v1::Segment resp;
    return f.service.DoCreate(f.agent, req, &resp);
  };
  CHECK(FirstField(attempt("", "", kLyonOrParis)) == "name");
  CHECK(FirstField(attempt(std::string(201, 'x'), "", kLyonOrParis)) == "name");
  CHECK(FirstField(attempt("   ", "", kLyonOrParis)) == "name");
  CHECK(FirstField(attempt("Tab\there", "", kLyonOrParis)) == "name");
  CHECK(FirstField(attempt("Fine", std::string(2001, 'd'), kLyonOrParis)) == "description");
  CHECK(FirstField(attempt("Fine", "", "")) == "rules");
  // The tree's own problems name their paths under "rules".
  Status bad_operator = attempt("Fine", "", R"({"op": "and", "conditions": [
      {"field": "city", "operator": "gt", "value": "Lyon"}]})");
  CHECK(bad_operator.code() == Code::kInvalidArgument);
  CHECK(FirstField(bad_operator) == "rules.conditions[0].operator");
  Status bad_value = attempt("Fine", "", R"({"op": "or", "conditions": [
      {"field": "city", "operator": "eq", "value": "Lyon"},
      {"op": "and", "conditions": [{"field": "leadScore", "operator": "gte", "value": "high"}]}]})");
  CHECK(FirstField(bad_value) == "rules.conditions[1].conditions[0].value");
  Status bad_op = attempt("Fine", "", R"({"op": "xor", "conditions": [
      {"field": "city", "operator": "eq", "value": "Lyon"}]})");
  CHECK(FirstField(bad_op) == "rules.op");
  // A field name carrying SQL is just an unknown field, named as it was sent.
  Status injected = attempt("Fine", "", R"({"op": "and", "conditions": [
      {"field": "firstName) OR 1=1 --", "operator": "eq", "value": "x"}]})");
  CHECK(injected.code() == Code::kInvalidArgument);
  CHECK(FirstField(injected) == "rules.conditions[0].field");
  CHECK(injected.violations()[0].description.find("firstName) OR 1=1 --") != std::string::npos);
  // None of that reached conversation, and nothing was stored.
  CHECK(f.contacts.asked.empty());
  CHECK(f.Stored() == 0);
  // 200 characters are counted in code points, not bytes.
  std::string name;
  for (int i = 0; i < 200; ++i) {
    name += "é";
  }
  CHECK(attempt(name, "", kLyonOrParis).ok());
}

TEST_CASE("conversation's refusal of a custom field is passed on and nothing is stored",
          "[campaign][segments][service]") {
  Fixture f;
  v1::Segment req;
  req.set_name("Shoe sizes");
  *req.mutable_rules() = Rules(R"({"op": "and", "conditions": [
      {"field": "customFields.size", "operator": "eq", "value": "42"},
      {"field": "customFields.shoe", "operator": "eq", "value": "42"}]})");
  v1::Segment resp;
  Status st = f.service.DoCreate(f.agent, req, &resp);
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(Fields(st) == std::vector<std::string>{"rules.conditions[1].field"});
  CHECK(f.Stored() == 0);
  // The same for a preview and for an update of the rules.
  v1::PreviewSegmentRequest preview;
  *preview.mutable_rules() = req.rules();
  v1::PreviewSegmentResponse previewed;
  CHECK(FirstField(f.service.DoPreview(f.agent, preview, &previewed)) ==
        "rules.conditions[1].field");
  v1::Segment created = f.Create("Sized", R"({"op": "and", "conditions": [
      {"field": "customFields.size", "operator": "eq", "value": "42"}]})");
  v1::UpdateSegmentRequest update;
  update.set_id(created.id());
  *update.mutable_segment()->mutable_rules() = req.rules();
  CHECK(FirstField(f.service.DoUpdate(f.agent, update, &resp)) == "rules.conditions[1].field");
  v1::Segment got;
  REQUIRE(f.service.DoGet(f.agent, created.id(), &got).ok());
  CHECK(got.rules().conditions_size() == 1);

  // Which operators and values a custom field takes depends on its declared type, which only
  // conversation knows: campaign leaves them to it (a declared number takes gte), but still
  // refuses a malformed key itself.
  f.contacts.asked.clear();
  *preview.mutable_rules() = Rules(R"({"op": "and", "conditions": [
      {"field": "customFields.size", "operator": "gte", "value": 42}]})");
  REQUIRE(f.service.DoPreview(f.agent, preview, &previewed).ok());
  REQUIRE(f.contacts.asked.size() == 1);
  CHECK(f.contacts.asked[0].rules().conditions(0).operator_() == "gte");
  CHECK(f.contacts.asked[0].rules().conditions(0).value().number_value() == 42);
  *preview.mutable_rules() = Rules(R"({"op": "and", "conditions": [
      {"field": "customFields.size' OR '1'='1", "operator": "eq", "value": "x"}]})");
  CHECK(FirstField(f.service.DoPreview(f.agent, preview, &previewed)) ==
        "rules.conditions[0].field");
  CHECK(f.contacts.asked.size() == 1);
}

TEST_CASE("when conversation cannot be reached a segment is not saved and the answer is 503",
          "[campaign][segments][service]") {
  Fixture f;
  // The real client, pointed where nothing listens.
  rpc::ServiceTokenSource tokens(rpc::MakeChannel("127.0.0.1:1"), "campaign", std::string(32, 's'));
  SegmentServiceImpl service{
      f.db.store(), f.pool,
      ConversationSegmentEvaluator(rpc::MakeChannel("127.0.0.1:1"), tokens, 500), f.clock};
  v1::Segment req;
  req.set_name("Lyon");
  *req.mutable_rules() = Rules(kLyonOrParis);
  v1::Segment resp;
  Status st = service.DoCreate(f.agent, req, &resp);
  CHECK(st.code() == Code::kUnavailable);
  CHECK(st.message().find("not saved") != std::string::npos);
  CHECK(f.Stored() == 0);
  v1::PreviewSegmentRequest preview;
  *preview.mutable_rules() = req.rules();
  v1::PreviewSegmentResponse previewed;
  CHECK(service.DoPreview(f.agent, preview, &previewed).code() == Code::kUnavailable);
  // A structural problem is still a 400: it needs no remote call.
  req.mutable_rules()->set_op("nand");
  CHECK(service.DoCreate(f.agent, req, &resp).code() == Code::kInvalidArgument);
  // A rename needs no evaluation, so it works while conversation is away.
  v1::Segment created = f.Create("Before");
  v1::UpdateSegmentRequest rename;
  rename.set_id(created.id());
  rename.mutable_segment()->set_name("After");
  REQUIRE(service.DoUpdate(f.agent, rename, &resp).ok());
  CHECK(resp.name() == "After");
}

TEST_CASE("segment names are unique in a workspace, case-insensitively: 409 naming name",
          "[campaign][segments][service]") {
  Fixture f;
  f.Create("VIP buyers");
  v1::Segment req;
  req.set_name("vip BUYERS");
  *req.mutable_rules() = Rules(kLyonOrParis);
  v1::Segment resp;
  Status st = f.service.DoCreate(f.agent, req, &resp);
  CHECK(st.code() == Code::kAlreadyExists);
  CHECK(Fields(st) == std::vector<std::string>{"name"});
  // Another workspace may use it.
  rpc::Caller other = MakeCaller(NewUuidV7());
  CHECK(f.service.DoCreate(other, req, &resp).ok());
}

TEST_CASE("segments list newest first in pages, filtered by name",
          "[campaign][segments][service]") {
  Fixture f;
  std::vector<std::string> ids;
  for (const char* name : {"Lyon buyers", "Paris buyers", "Nantes", "lyon fans", "Lille"}) {
    ids.push_back(f.Create(name).id());
  }
  v1::ListSegmentsRequest req;
  req.set_page_size(2);
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    v1::ListSegmentsResponse resp;
    REQUIRE(f.service.DoList(f.agent, req, &resp).ok());
    ++pages;
    for (const auto& s : resp.segments()) {
      seen.push_back(s.id());
      CHECK_FALSE(s.explanation().empty());
    }
    if (resp.next_page_token().empty()) {
      break;
    }
    req.set_page_token(resp.next_page_token());
  }
  CHECK(seen == std::vector<std::string>(ids.rbegin(), ids.rend()));
  CHECK(pages == 3);
  v1::ListSegmentsRequest lyon;
  lyon.set_q("LYON");
  v1::ListSegmentsResponse resp;
  REQUIRE(f.service.DoList(f.agent, lyon, &resp).ok());
  REQUIRE(resp.segments_size() == 2);
  CHECK(resp.segments(0).name() == "lyon fans");

  v1::ListSegmentsRequest bad;
  bad.set_page_token("nonsense");
  CHECK(FirstField(f.service.DoList(f.agent, bad, &resp)) == "pageToken");
  bad.Clear();
  bad.set_page_size(201);
  CHECK(FirstField(f.service.DoList(f.agent, bad, &resp)) == "pageSize");
  bad.Clear();
  bad.set_q(std::string(201, 'q'));
  CHECK(FirstField(f.service.DoList(f.agent, bad, &resp)) == "q");
}

TEST_CASE("a segment update replaces the fields present, or the masked paths",
          "[campaign][segments][service]") {
  Fixture f;
  v1::Segment created = f.Create("Lyon");
  f.contacts.asked.clear();
  v1::UpdateSegmentRequest req;
  req.set_id(created.id());

  // A description only: no evaluation, a new version.
  req.mutable_segment()->set_description("Customers of the Lyon shop");
  v1::Segment resp;
  REQUIRE(f.service.DoUpdate(f.agent, req, &resp).ok());
  CHECK(resp.name() == "Lyon");
  CHECK(resp.description() == "Customers of the Lyon shop");
  CHECK(resp.rules().SerializeAsString() == created.rules().SerializeAsString());
  CHECK(resp.updated_at() > created.updated_at());
  CHECK(resp.created_at() == created.created_at());
  CHECK(f.contacts.asked.empty());
  const std::string v2 = resp.updated_at();

  // New rules are checked by conversation, then stored and explained.
  req.Clear();
  req.set_id(created.id());
  *req.mutable_segment()->mutable_rules() = Rules(
      R"({"op": "and", "conditions": [{"field": "tags", "operator": "contains", "value": "vip"}]})");
  REQUIRE(f.service.DoUpdate(f.agent, req, &resp).ok());
  CHECK(f.contacts.asked.size() == 1);
  CHECK(resp.explanation().find("vip") != std::string::npos);
  CHECK(resp.description() == "Customers of the Lyon shop");

  // The mask clears a description; it cannot clear a name or the rules.
  req.Clear();
  req.set_id(created.id());
  req.add_update_mask("description");
  REQUIRE(f.service.DoUpdate(f.agent, req, &resp).ok());
  CHECK(resp.description().empty());
  req.clear_update_mask();
  req.add_update_mask("name");
  CHECK(FirstField(f.service.DoUpdate(f.agent, req, &resp)) == "name");
  req.clear_update_mask();
  req.add_update_mask("rules");
  CHECK(FirstField(f.service.DoUpdate(f.agent, req, &resp)) == "rules");
  req.clear_update_mask();
  req.add_update_mask("createdAt");
  CHECK(FirstField(f.service.DoUpdate(f.agent, req, &resp)) == "updateMask");
  req.clear_update_mask();
  req.add_update_mask("shoeSize");
  CHECK(FirstField(f.service.DoUpdate(f.agent, req, &resp)) == "updateMask");

  // A stale version is a conflict and writes nothing.
  req.Clear();
  req.set_id(created.id());
  req.mutable_segment()->set_name("Stale");
  req.set_expected_update_time(v2);
  CHECK(f.service.DoUpdate(f.agent, req, &resp).code() == Code::kAborted);
  CHECK(f.service.DoUpdate(f.agent, req, &resp, "\"" + v2 + "\"").code() == Code::kAborted);
  v1::Segment current;
  REQUIRE(f.service.DoGet(f.agent, created.id(), &current).ok());
  CHECK(current.name() == "Lyon");
  req.set_expected_update_time(current.updated_at());
  REQUIRE(f.service.DoUpdate(f.agent, req, &resp).ok());
  CHECK(resp.name() == "Stale");
  req.clear_expected_update_time();
  CHECK(FirstField(f.service.DoUpdate(f.agent, req, &resp, std::string("W/\"x\""))) == "If-Match");

  // A rename onto another segment's name is a 409 naming name.
  f.Create("Paris");
  req.Clear();
  req.set_id(created.id());
  req.mutable_segment()->set_name("PARIS");
  Status taken = f.service.DoUpdate(f.agent, req, &resp);
  CHECK(taken.code() == Code::kAlreadyExists);
  CHECK(Fields(taken) == std::vector<std::string>{"name"});
}

TEST_CASE("another workspace's segment ids are not found", "[campaign][segments][service]") {
  Fixture f;
  v1::Segment created = f.Create("Lyon");
  rpc::Caller other = MakeCaller(NewUuidV7());
  v1::Segment resp;
  CHECK(f.service.DoGet(other, created.id(), &resp).code() == Code::kNotFound);
  v1::UpdateSegmentRequest update;
  update.set_id(created.id());
  update.mutable_segment()->set_name("Mine now");
  CHECK(f.service.DoUpdate(other, update, &resp).code() == Code::kNotFound);
  CHECK(f.service.DoDelete(other, created.id()).code() == Code::kNotFound);
  v1::ListSegmentContactsRequest contacts;
  contacts.set_id(created.id());
  v1::ListSegmentContactsResponse listed;
  size_t asked = f.contacts.asked.size();
  CHECK(f.service.DoListContacts(other, contacts, &listed).code() == Code::kNotFound);
  CHECK(f.contacts.asked.size() == asked);  // conversation was not asked for it
  CHECK(f.service.DoGet(f.agent, "not-an-id", &resp).code() == Code::kNotFound);

  v1::GetSegmentForServiceRequest for_service;
  for_service.set_workspace_id(other.workspace_id);
  for_service.set_segment_id(created.id());
  CHECK(f.service.DoGetForService(for_service, &resp).code() == Code::kNotFound);
  for_service.set_workspace_id(f.agent.workspace_id);
  REQUIRE(f.service.DoGetForService(for_service, &resp).ok());
  CHECK(resp.name() == "Lyon");
  CHECK_FALSE(resp.explanation().empty());

  // The owner still has it, and can delete it once.
  REQUIRE(f.service.DoGet(f.agent, created.id(), &resp).ok());
  CHECK(f.service.DoDelete(f.agent, created.id()).ok());
  CHECK(f.service.DoDelete(f.agent, created.id()).code() == Code::kNotFound);
  CHECK(f.service.DoGetForService(for_service, &resp).code() == Code::kNotFound);
}

TEST_CASE("a preview answers the count and a sample of at most 20 contacts",
          "[campaign][segments][service]") {
  Fixture f;
  v1::PreviewSegmentRequest req;
  *req.mutable_rules() = Rules(kLyonOrParis);
  v1::PreviewSegmentResponse resp;
  REQUIRE(f.service.DoPreview(f.agent, req, &resp).ok());
  CHECK(resp.count() == 45);
  REQUIRE(resp.sample_size() == 20);
  CHECK(resp.sample(0).id() == f.contacts.ids()[0]);
  REQUIRE(f.contacts.asked.size() == 1);
  CHECK(f.contacts.asked[0].count());
  CHECK(f.contacts.asked[0].page_size() == 20);
  CHECK(f.contacts.asked[0].workspace_id() == f.agent.workspace_id);
  // Nothing is saved by a preview.
  CHECK(f.Stored() == 0);
  v1::PreviewSegmentRequest empty;
  CHECK(FirstField(f.service.DoPreview(f.agent, empty, &resp)) == "rules");
}

TEST_CASE("a segment's contacts are listed in pages with their total",
          "[campaign][segments][service]") {
  Fixture f;
  v1::Segment created = f.Create("Lyon");
  v1::ListSegmentContactsRequest req;
  req.set_id(created.id());
  req.set_page_size(20);
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    v1::ListSegmentContactsResponse resp;
    REQUIRE(f.service.DoListContacts(f.agent, req, &resp).ok());
    ++pages;
    CHECK(resp.total_count() == 45);
    for (const auto& c : resp.contacts()) {
      seen.push_back(c.id());
    }
    if (resp.next_page_token().empty()) {
      break;
    }
    req.set_page_token(resp.next_page_token());
  }
  CHECK(seen == f.contacts.ids());
  CHECK(pages == 3);
  // The stored rules are what conversation evaluated.
  CHECK(f.contacts.asked.back().rules().SerializeAsString() == created.rules().SerializeAsString());
  // Page sizes as every list takes them; a page token conversation refuses is a 400.
  v1::ListSegmentContactsResponse resp;
  req.set_page_size(201);
  CHECK(FirstField(f.service.DoListContacts(f.agent, req, &resp)) == "pageSize");
  req.set_page_size(0);
  req.set_page_token("forged");
  CHECK(FirstField(f.service.DoListContacts(f.agent, req, &resp)) == "pageToken");
  req.clear_page_token();
  REQUIRE(f.service.DoListContacts(f.agent, req, &resp).ok());
  CHECK(resp.contacts_size() == 45);  // the default page of 50
}

TEST_CASE("segments need a workspace: a service token is refused the public rpcs",
          "[campaign][segments][service]") {
  Fixture f;
  rpc::Caller service;
  service.user_id = "conversation";
  service.token_type = "service";
  service.role = "service";
  v1::Segment resp;
  v1::Segment req;
  req.set_name("x");
  CHECK(f.service.DoCreate(service, req, &resp).code() == Code::kPermissionDenied);
  v1::ListSegmentsResponse list;
  CHECK(f.service.DoList(service, v1::ListSegmentsRequest(), &list).code() ==
        Code::kPermissionDenied);
}

}  // namespace
}  // namespace salesos::campaign
