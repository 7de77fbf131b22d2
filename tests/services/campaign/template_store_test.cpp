// TemplateStore against both engines: every check runs as "sqlite: ..." and "postgresql: ...".

#include "template_store.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "campaign_lib_migrations.h"
#include "salesos/core/ids.h"
#include "salesos/store/store.h"
#include "support/databases.h"

namespace salesos::campaign {
namespace {

using testing::Unwrap;

TemplateRecord MakeTemplate(const std::string& workspace_id, const std::string& category) {
  TemplateRecord r;
  r.id = NewUuidV7();
  r.workspace_id = workspace_id;
  r.name = "Zoë's welcome 🎉";
  r.category = category;
  r.channel = "all";
  r.body = "Hi {{contact.firstName}},\nmeet {{product.name}} — ¡hola!";
  r.variables = {"contact.firstName", "product.name"};
  r.created_at = "2026-11-21T06:30:00Z";
  r.updated_at = r.created_at;
  return r;
}

void CheckSame(const TemplateRecord& a, const TemplateRecord& b) {
  CHECK(a.id == b.id);
  CHECK(a.workspace_id == b.workspace_id);
  CHECK(a.name == b.name);
  CHECK(a.category == b.category);
  CHECK(a.channel == b.channel);
  CHECK(a.body == b.body);
  CHECK(a.variables == b.variables);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

void CheckCreateThenRead(store::Store& db) {
  TemplateStore store(db);
  TemplateRecord rec = MakeTemplate(NewUuidV7(), "outreach");
  REQUIRE_OK(store.Create(rec));
  auto got = Unwrap(store.Get(rec.workspace_id, rec.id));
  REQUIRE(got.has_value());
  CheckSame(*got, rec);
  // No variables reads back as none.
  TemplateRecord plain = MakeTemplate(rec.workspace_id, "reply");
  plain.body = "Thanks!";
  plain.variables.clear();
  REQUIRE_OK(store.Create(plain));
  auto got_plain = Unwrap(store.Get(plain.workspace_id, plain.id));
  REQUIRE(got_plain.has_value());
  CHECK(got_plain->variables.empty());
}

void CheckTenancy(store::Store& db) {
  TemplateStore store(db);
  TemplateRecord rec = MakeTemplate(NewUuidV7(), "outreach");
  REQUIRE_OK(store.Create(rec));
  std::string other = NewUuidV7();
  CHECK_FALSE(Unwrap(store.Get(other, rec.id)).has_value());
  CHECK(Unwrap(store.List(other, "", "", 10)).empty());
  TemplateUpdate update;
  update.name = "stolen";
  update.updated_at = "2026-11-22T00:00:00Z";
  CHECK_FALSE(Unwrap(store.Update(other, rec.id, update)).has_value());
  CHECK_FALSE(Unwrap(store.Delete(other, rec.id)));
  auto still = Unwrap(store.Get(rec.workspace_id, rec.id));
  REQUIRE(still.has_value());
  CheckSame(*still, rec);
}

void CheckUpdate(store::Store& db) {
  TemplateStore store(db);
  TemplateRecord rec = MakeTemplate(NewUuidV7(), "outreach");
  REQUIRE_OK(store.Create(rec));
  TemplateUpdate name_only;
  name_only.name = "Renamed";
  name_only.updated_at = "2026-11-22T00:00:00Z";
  auto after = Unwrap(store.Update(rec.workspace_id, rec.id, name_only));
  REQUIRE(after.has_value());
  CHECK(after->name == "Renamed");
  CHECK(after->body == rec.body);
  CHECK(after->category == rec.category);
  CHECK(after->channel == rec.channel);
  CHECK(after->variables == rec.variables);
  CHECK(after->created_at == rec.created_at);
  CHECK(after->updated_at == "2026-11-22T00:00:00Z");

  TemplateUpdate rest;
  rest.category = "occasion";
  rest.channel = "whatsapp";
  rest.body = "Happy {{occasion.name}}!";
  rest.variables = std::vector<std::string>{"occasion.name"};
  rest.updated_at = "2026-11-23T00:00:00Z";
  after = Unwrap(store.Update(rec.workspace_id, rec.id, rest));
  REQUIRE(after.has_value());
  CHECK(after->name == "Renamed");
  CHECK(after->category == "occasion");
  CHECK(after->channel == "whatsapp");
  CHECK(after->body == "Happy {{occasion.name}}!");
  CHECK(after->variables == std::vector<std::string>{"occasion.name"});
  CHECK_FALSE(Unwrap(store.Update(rec.workspace_id, NewUuidV7(), rest)).has_value());
}

void CheckListPages(store::Store& db) {
  TemplateStore store(db);
  std::string ws = NewUuidV7();
  std::vector<std::string> all_ids, reply_ids;
  for (int i = 0; i < 7; ++i) {
    TemplateRecord rec = MakeTemplate(ws, i % 2 == 0 ? "outreach" : "reply");
    REQUIRE_OK(store.Create(rec));
    all_ids.push_back(rec.id);
    if (rec.category == "reply") {
      reply_ids.push_back(rec.id);
    }
  }
  REQUIRE_OK(store.Create(MakeTemplate(NewUuidV7(), "reply")));  // another workspace's
  std::vector<std::string> seen;
  std::string after;
  while (true) {
    auto page = Unwrap(store.List(ws, "", after, 3));
    for (const auto& r : page) {
      seen.push_back(r.id);
    }
    if (page.size() < 3) {
      break;
    }
    after = page.back().id;
  }
  CHECK(seen == all_ids);
  std::vector<std::string> replies;
  for (const auto& r : Unwrap(store.List(ws, "reply", "", 10))) {
    CHECK(r.category == "reply");
    replies.push_back(r.id);
  }
  CHECK(replies == reply_ids);
  CHECK(Unwrap(store.List(ws, "occasion", "", 10)).empty());
}

void CheckDelete(store::Store& db) {
  TemplateStore store(db);
  TemplateRecord rec = MakeTemplate(NewUuidV7(), "reply");
  REQUIRE_OK(store.Create(rec));
  CHECK(Unwrap(store.Delete(rec.workspace_id, rec.id)));
  CHECK_FALSE(Unwrap(store.Delete(rec.workspace_id, rec.id)));
  CHECK_FALSE(Unwrap(store.Get(rec.workspace_id, rec.id)).has_value());
}

#define BOTH_ENGINES(name, check)                                                            \
  SALESOS_TEST_BOTH_ENGINES(name, "[campaign][templates][store]", campaign_lib_migrations(), \
                            "tmpl", check)

BOTH_ENGINES("a template reads back exactly as created", CheckCreateThenRead)
BOTH_ENGINES("another workspace can neither see nor change a template", CheckTenancy)
BOTH_ENGINES("a template update changes only what it sets", CheckUpdate)
BOTH_ENGINES("templates page in id order within the workspace and category", CheckListPages)
BOTH_ENGINES("a template is deleted once", CheckDelete)

}  // namespace
}  // namespace salesos::campaign
