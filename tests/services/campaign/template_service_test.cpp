// TemplateServiceImpl's logic without gRPC (the Do* methods), on SQLite, with a fixed clock:
// validation naming lowerCamelCase fields, server-computed variables, paging tokens, partial
// updates, rendering with a campaign and the business name, and other workspaces' ids answered
// 404.

#include "template_service.h"

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "campaign_lib_migrations.h"
#include "salesos/core/ids.h"
#include "salesos/rpc/client.h"
#include "salesos/rpc/service_token.h"
#include "support/databases.h"

namespace salesos::campaign {
namespace {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t millis) : millis_(millis) {}
  int64_t NowMillis() const override { return millis_; }

 private:
  int64_t millis_;
};

constexpr int64_t kNowMillis = 1795242600000;  // 2026-11-21T06:30:00Z

struct Fixture {
  testing::SqliteDatabase db{campaign_lib_migrations()};
  rpc::WorkPool pool{1};
  FixedClock clock{kNowMillis};
  TemplateServiceImpl service{db.store(), pool, clock};
  rpc::Caller admin = MakeCaller(NewUuidV7());

  static rpc::Caller MakeCaller(const std::string& workspace_id) {
    rpc::Caller c;
    c.user_id = NewUuidV7();
    c.workspace_id = workspace_id;
    c.role = "admin";
    c.token_type = "access";
    return c;
  }

  v1::Template Create(const std::string& body, const std::string& category = "outreach") {
    v1::Template req;
    req.set_name("Welcome");
    req.set_category(category);
    req.set_body(body);
    v1::Template resp;
    Status st = service.DoCreate(admin, req, &resp);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return resp;
  }
};

std::string FirstField(const Status& st) {
  return st.violations().empty() ? "" : st.violations().front().field;
}

TEST_CASE("a created template has server-computed variables, the default channel and times",
          "[campaign][templates][service]") {
  Fixture f;
  v1::Template req;
  req.set_name("Welcome");
  req.set_category("outreach");
  req.set_body("Hi {{ contact.firstName }}, {{product.name}} {{contact.firstName}}");
  req.add_variables("made.up");  // ignored
  v1::Template resp;
  REQUIRE(f.service.DoCreate(f.admin, req, &resp).ok());
  CHECK(IsUuid(resp.id()));
  CHECK(resp.channel() == "all");
  CHECK(std::vector<std::string>(resp.variables().begin(), resp.variables().end()) ==
        std::vector<std::string>{"contact.firstName", "product.name"});
  CHECK(resp.created_at() == "2026-11-21T06:30:00Z");
  CHECK(resp.updated_at() == resp.created_at());
}

TEST_CASE("bad template fields get 400 naming the field", "[campaign][templates][service]") {
  Fixture f;
  auto attempt = [&](auto edit) {
    v1::Template req;
    req.set_name("Welcome");
    req.set_category("reply");
    req.set_body("Hello");
    edit(req);
    v1::Template resp;
    return f.service.DoCreate(f.admin, req, &resp);
  };
  struct Case {
    const char* what;
    std::function<void(v1::Template&)> edit;
    const char* field;
  };
  std::vector<Case> cases = {
      {"no name", [](v1::Template& r) { r.clear_name(); }, "name"},
      {"long name", [](v1::Template& r) { r.set_name(std::string(201, 'x')); }, "name"},
      {"no category", [](v1::Template& r) { r.clear_category(); }, "category"},
      {"bad category", [](v1::Template& r) { r.set_category("spam"); }, "category"},
      {"bad channel", [](v1::Template& r) { r.set_channel("myspace"); }, "channel"},
      {"no body", [](v1::Template& r) { r.clear_body(); }, "body"},
      {"long body", [](v1::Template& r) { r.set_body(std::string(4001, 'x')); }, "body"},
      {"unknown variable", [](v1::Template& r) { r.set_body("Hi {{contact.nick}}"); }, "body"},
      {"unclosed", [](v1::Template& r) { r.set_body("Hi {{contact.firstName"); }, "body"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    Status st = attempt(c.edit);
    CHECK(st.code() == Code::kInvalidArgument);
    CHECK(FirstField(st) == c.field);
  }
  // 200 names and 4,000 body characters are counted in code points, not bytes.
  CHECK(attempt([](v1::Template& r) {
          std::string name;
          for (int i = 0; i < 200; ++i) {
            name += "é";
          }
          r.set_name(name);
          std::string body;
          for (int i = 0; i < 4000; ++i) {
            body += "ü";
          }
          r.set_body(body);
        }).ok());
}

TEST_CASE("templates list by category in pages with opaque tokens",
          "[campaign][templates][service]") {
  Fixture f;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(f.Create("Hi", i < 3 ? "outreach" : "reply").id());
  }
  v1::ListTemplatesRequest req;
  req.set_page_size(2);
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    v1::ListTemplatesResponse resp;
    REQUIRE(f.service.DoList(f.admin, req, &resp).ok());
    ++pages;
    for (const auto& t : resp.templates()) {
      seen.push_back(t.id());
    }
    if (resp.next_page_token().empty()) {
      break;
    }
    req.set_page_token(resp.next_page_token());
  }
  CHECK(seen == ids);
  CHECK(pages == 3);
  v1::ListTemplatesRequest replies;
  replies.set_category("reply");
  v1::ListTemplatesResponse resp;
  REQUIRE(f.service.DoList(f.admin, replies, &resp).ok());
  CHECK(resp.templates_size() == 2);
  CHECK(resp.next_page_token().empty());

  v1::ListTemplatesRequest bad;
  bad.set_page_token("nonsense");
  CHECK(FirstField(f.service.DoList(f.admin, bad, &resp)) == "pageToken");
  bad.Clear();
  bad.set_page_size(201);
  CHECK(FirstField(f.service.DoList(f.admin, bad, &resp)) == "pageSize");
}

TEST_CASE("a template update replaces the fields present and recomputes variables",
          "[campaign][templates][service]") {
  Fixture f;
  v1::Template created = f.Create("Hi {{contact.firstName}}");
  v1::Template patch;
  patch.set_id(created.id());
  patch.set_body("Happy {{occasion.name}}, {{contact.firstName}}!");
  patch.set_channel("whatsapp");
  v1::Template resp;
  REQUIRE(f.service.DoUpdate(f.admin, patch, &resp).ok());
  CHECK(resp.name() == "Welcome");
  CHECK(resp.category() == "outreach");
  CHECK(resp.channel() == "whatsapp");
  CHECK(std::vector<std::string>(resp.variables().begin(), resp.variables().end()) ==
        std::vector<std::string>{"occasion.name", "contact.firstName"});
  patch.set_body("{{nope}}");
  CHECK(FirstField(f.service.DoUpdate(f.admin, patch, &resp)) == "body");
}

TEST_CASE("rendering fills the sample, the campaign's name and fallbacks",
          "[campaign][templates][service]") {
  Fixture f;
  v1::Template created = f.Create(
      "Hi {{contact.firstName}} {{contact.lastName}}, {{campaign.name}} by "
      "{{business.name}} on {{date.today}}");
  v1::RenderTemplateRequest req;
  req.set_id(created.id());
  (*req.mutable_sample())["contact.firstName"] = "Ada";
  v1::RenderTemplateResponse resp;
  REQUIRE(f.service.DoRender(f.admin, req, &resp).ok());
  CHECK(resp.text() == "Hi Ada, by our team on 2026-11-21");
  CHECK(std::vector<std::string>(resp.fallbacks_used().begin(), resp.fallbacks_used().end()) ==
        std::vector<std::string>{"contact.lastName", "campaign.name", "business.name"});

  std::string campaign_id = NewUuidV7();
  auto n = f.db.store().Exec(
      "INSERT INTO campaigns (id, workspace_id, name, status, created_at, updated_at) VALUES ($1, "
      "$2, 'Winter lamps', 'draft', $3, $3)",
      {campaign_id, f.admin.workspace_id, std::string("2026-11-21T06:30:00Z")});
  REQUIRE(n.ok());
  req.set_campaign_id(campaign_id);
  resp.Clear();
  REQUIRE(f.service.DoRender(f.admin, req, &resp).ok());
  CHECK(resp.text() == "Hi Ada, Winter lamps by our team on 2026-11-21");

  req.set_campaign_id(NewUuidV7());
  CHECK(f.service.DoRender(f.admin, req, &resp).code() == Code::kNotFound);
  req.set_campaign_id("not-a-uuid");
  CHECK(f.service.DoRender(f.admin, req, &resp).code() == Code::kNotFound);
  // Another workspace's campaign is not found either.
  rpc::Caller other = Fixture::MakeCaller(NewUuidV7());
  req.set_campaign_id(campaign_id);
  CHECK(f.service.DoRender(other, req, &resp).code() == Code::kNotFound);
}

TEST_CASE("another workspace's template ids are not found", "[campaign][templates][service]") {
  Fixture f;
  v1::Template created = f.Create("Hi");
  rpc::Caller other = Fixture::MakeCaller(NewUuidV7());
  v1::Template resp;
  v1::GetTemplateRequest get;
  get.set_id(created.id());
  CHECK(f.service.DoGet(other, get, &resp).code() == Code::kNotFound);
  v1::Template patch;
  patch.set_id(created.id());
  patch.set_name("Mine now");
  CHECK(f.service.DoUpdate(other, patch, &resp).code() == Code::kNotFound);
  v1::DeleteTemplateRequest del;
  del.set_id(created.id());
  CHECK(f.service.DoDelete(other, del).code() == Code::kNotFound);
  v1::RenderTemplateRequest render;
  render.set_id(created.id());
  v1::RenderTemplateResponse rendered;
  CHECK(f.service.DoRender(other, render, &rendered).code() == Code::kNotFound);
  v1::ListTemplatesResponse list;
  REQUIRE(f.service.DoList(other, v1::ListTemplatesRequest(), &list).ok());
  CHECK(list.templates_size() == 0);
  // The owner still has it, unchanged, and can delete it once.
  REQUIRE(f.service.DoGet(f.admin, get, &resp).ok());
  CHECK(resp.name() == "Welcome");
  CHECK(f.service.DoDelete(f.admin, del).ok());
  CHECK(f.service.DoDelete(f.admin, del).code() == Code::kNotFound);
}

TEST_CASE("business.name comes from the workspace's business name unless the sample gives one",
          "[campaign][templates][service]") {
  Fixture f;
  std::vector<std::string> asked;
  TemplateServiceImpl service{f.db.store(), f.pool, f.clock,
                              [&](const std::string& workspace_id) -> Result<std::string> {
                                asked.push_back(workspace_id);
                                return std::string("Cam's Lamps");
                              }};
  v1::Template created = f.Create("Hello from {{business.name}}!");
  v1::RenderTemplateRequest req;
  req.set_id(created.id());
  v1::RenderTemplateResponse resp;
  REQUIRE(service.DoRender(f.admin, req, &resp).ok());
  CHECK(resp.text() == "Hello from Cam's Lamps!");
  CHECK(resp.fallbacks_used().empty());
  CHECK(asked == std::vector<std::string>{f.admin.workspace_id});

  // The sample wins, and then nobody is asked; an empty sample value does not count.
  (*req.mutable_sample())["business.name"] = "Sample Co";
  resp.Clear();
  REQUIRE(service.DoRender(f.admin, req, &resp).ok());
  CHECK(resp.text() == "Hello from Sample Co!");
  CHECK(asked.size() == 1);
  (*req.mutable_sample())["business.name"] = "";
  resp.Clear();
  REQUIRE(service.DoRender(f.admin, req, &resp).ok());
  CHECK(resp.text() == "Hello from Cam's Lamps!");
  CHECK(asked.size() == 2);

  // A body without business.name asks nobody.
  v1::Template plain = f.Create("Hi {{contact.firstName}}");
  req.Clear();
  req.set_id(plain.id());
  resp.Clear();
  REQUIRE(service.DoRender(f.admin, req, &resp).ok());
  CHECK(asked.size() == 2);
}

TEST_CASE("business.name falls back when the workspace has none or it cannot be learnt",
          "[campaign][templates][service]") {
  Fixture f;
  v1::Template created = f.Create("Hello from {{business.name}}!");
  v1::RenderTemplateRequest req;
  req.set_id(created.id());

  SECTION("no business name") {
    TemplateServiceImpl service{
        f.db.store(), f.pool, f.clock,
        [](const std::string&) -> Result<std::string> { return std::string(); }};
    v1::RenderTemplateResponse resp;
    REQUIRE(service.DoRender(f.admin, req, &resp).ok());
    CHECK(resp.text() == "Hello from our team!");
    CHECK(std::vector<std::string>(resp.fallbacks_used().begin(), resp.fallbacks_used().end()) ==
          std::vector<std::string>{"business.name"});
  }
  SECTION("auth cannot be reached: the real client, pointed where nothing listens") {
    rpc::ServiceTokenSource tokens(rpc::MakeChannel("127.0.0.1:1"), "campaign",
                                   std::string(32, 's'));
    TemplateServiceImpl service{f.db.store(), f.pool, f.clock,
                                AuthBusinessNames(rpc::MakeChannel("127.0.0.1:1"), tokens, 500)};
    v1::RenderTemplateResponse resp;
    Status st = service.DoRender(f.admin, req, &resp);
    INFO(st.ToString());
    REQUIRE(st.ok());
    CHECK(resp.text() == "Hello from our team!");
    CHECK(std::vector<std::string>(resp.fallbacks_used().begin(), resp.fallbacks_used().end()) ==
          std::vector<std::string>{"business.name"});
  }
}

TEST_CASE("contact.* comes from the contact of contactId, under the sample's values",
          "[campaign][templates][service]") {
  Fixture f;
  std::vector<std::string> asked;
  std::string known = NewUuidV7();
  ContactLookup contacts = [&](const std::string& workspace_id, const std::string& contact_id)
      -> Result<std::map<std::string, std::string>> {
    asked.push_back(workspace_id + "/" + contact_id);
    if (contact_id != known) {
      return NotFound("no such contact");
    }
    return std::map<std::string, std::string>{{"contact.firstName", "Ana"},
                                              {"contact.lastName", "Souza"}};
  };
  TemplateServiceImpl service{f.db.store(), f.pool, f.clock, nullptr, contacts};
  v1::Template created = f.Create("Oi {{contact.firstName}} {{contact.lastName}}!");
  v1::RenderTemplateRequest req;
  req.set_id(created.id());
  req.set_contact_id(known);
  v1::RenderTemplateResponse resp;
  REQUIRE(service.DoRender(f.admin, req, &resp).ok());
  CHECK(resp.text() == "Oi Ana Souza!");
  CHECK(asked == std::vector<std::string>{f.admin.workspace_id + "/" + known});

  (*req.mutable_sample())["contact.firstName"] = "Sample";
  resp.Clear();
  REQUIRE(service.DoRender(f.admin, req, &resp).ok());
  CHECK(resp.text() == "Oi Sample Souza!");

  req.set_contact_id(NewUuidV7());
  CHECK(service.DoRender(f.admin, req, &resp).code() == Code::kNotFound);
  req.set_contact_id("not-an-id");
  CHECK(service.DoRender(f.admin, req, &resp).code() == Code::kNotFound);
}

TEST_CASE("a contactId without a contact source is refused as a precondition, not a 500",
          "[campaign][templates][service]") {
  Fixture f;
  v1::Template created = f.Create("Hi {{contact.firstName}}");
  v1::RenderTemplateRequest req;
  req.set_id(created.id());
  req.set_contact_id(NewUuidV7());
  v1::RenderTemplateResponse resp;
  CHECK(f.service.DoRender(f.admin, req, &resp).code() == Code::kFailedPrecondition);
  TemplateServiceImpl unimplemented{
      f.db.store(), f.pool, f.clock, nullptr,
      [](const std::string&, const std::string&) -> Result<std::map<std::string, std::string>> {
        return Status(Code::kUnimplemented, "not yet");
      }};
  CHECK(unimplemented.DoRender(f.admin, req, &resp).code() == Code::kFailedPrecondition);
}

}  // namespace
}  // namespace salesos::campaign
