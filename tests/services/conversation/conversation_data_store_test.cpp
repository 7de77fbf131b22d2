// conversation's DataAdmin (contacts, conversations, messages) on both engines: counts, search,
// paging, get, delete with dependants and its data.deleted event, clear, and workspace isolation.

#include "conversation_data_store.h"

#include <catch2/catch.hpp>
#include <string>

#include "conversation_lib_migrations.h"
#include "salesos/data_admin/data_admin.h"
#include "salesos/redis/redis.h"
#include "support/databases.h"
#include "support/redis_server.h"

namespace salesos::conversation {
namespace {

using testing::Unwrap;
namespace pb = ::salesos::common::v1;

constexpr char kAt[] = "2026-11-21T06:30:00Z";

void AddContact(store::Store& db, const std::string& ws, const std::string& id,
                const std::string& name) {
  REQUIRE_OK(db.Exec("INSERT INTO contacts (id, workspace_id, platform, platform_user_id, "
                     "full_name, created_at) VALUES ($1, $2, 'facebook', $3, $4, $5)",
                     {id, ws, "psid-" + id, name, kAt})
                 .status());
}

void AddConversation(store::Store& db, const std::string& ws, const std::string& id,
                     const std::string& contact_id) {
  REQUIRE_OK(db.Exec("INSERT INTO conversations (id, workspace_id, contact_id, platform, "
                     "last_message_at, created_at, updated_at) VALUES ($1, $2, $3, 'facebook', "
                     "$4, $4, $4)",
                     {id, ws, contact_id, kAt})
                 .status());
}

void AddMessage(store::Store& db, const std::string& ws, const std::string& id,
                const std::string& conversation_id, const std::string& text) {
  REQUIRE_OK(db.Exec("INSERT INTO messages (id, workspace_id, conversation_id, sender, content, "
                     "created_at) VALUES ($1, $2, $3, 'customer', $4, $5)",
                     {id, ws, conversation_id, text, kAt})
                 .status());
}

// Two workspaces: w1 has contacts c1 (2 conversations, 3 messages) and c2 (1 conversation, 1
// message); w2 has one of each.
void Seed(store::Store& db) {
  AddContact(db, "w1", "c1", "Ada Lovelace");
  AddContact(db, "w1", "c2", "Grace Hopper");
  AddConversation(db, "w1", "v1", "c1");
  AddConversation(db, "w1", "v2", "c1");
  AddConversation(db, "w1", "v3", "c2");
  AddMessage(db, "w1", "m1", "v1", "Do you ship lamps?");
  AddMessage(db, "w1", "m2", "v1", "50% off?");
  AddMessage(db, "w1", "m3", "v2", "hello");
  AddMessage(db, "w1", "m4", "v3", "LAMPS please");
  AddContact(db, "w2", "c9", "Ada Other");
  AddConversation(db, "w2", "v9", "c9");
  AddMessage(db, "w2", "m9", "v9", "lamps lamps");
}

std::map<std::string, int64_t> Counts(data_admin::Catalog& catalog, const std::string& ws) {
  std::map<std::string, int64_t> out;
  for (const auto& [c, n] : Unwrap(catalog.Counts(ws))) {
    out[c->name] = n;
  }
  return out;
}

void CountsListsAndGets(store::Store& db) {
  Seed(db);
  auto catalog = ConversationDataCatalog(db);
  CHECK(Counts(*catalog, "w1") ==
        std::map<std::string, int64_t>{{"contacts", 2}, {"conversations", 3}, {"messages", 4}, {"accounts", 0}, {"contact_fields", 0}, {"jobs", 0}});
  CHECK(Counts(*catalog, "")["messages"] == 5);  // every workspace

  // q: case-insensitive substring; % and _ are literal.
  auto lamps = Unwrap(catalog->List("w1", "messages", "lamps", 0, ""));
  CHECK(lamps.documents.size() == 2);
  CHECK(Unwrap(catalog->List("w1", "messages", "50%", 0, "")).documents.size() == 1);
  CHECK(Unwrap(catalog->List("w1", "messages", "5_%", 0, "")).documents.empty());
  CHECK(Unwrap(catalog->List("w1", "contacts", "ada", 0, "")).documents.size() == 1);

  // Paging: ids in order, a token that only this list takes.
  auto first = Unwrap(catalog->List("w1", "messages", "", 3, ""));
  REQUIRE(first.documents.size() == 3);
  REQUIRE_FALSE(first.next_page_token.empty());
  auto second = Unwrap(catalog->List("w1", "messages", "", 3, first.next_page_token));
  REQUIRE(second.documents.size() == 1);
  CHECK(second.next_page_token.empty());
  CHECK(second.documents[0].find("\"id\":\"m4\"") != std::string::npos);
  CHECK(catalog->List("w1", "contacts", "", 3, first.next_page_token).status().code() ==
        Code::kInvalidArgument);
  CHECK(catalog->List("w1", "messages", "", 201, "").status().code() == Code::kInvalidArgument);

  std::string doc = Unwrap(catalog->Get("w1", "conversations", "v1"));
  CHECK(doc.find("\"contactId\":\"c1\"") != std::string::npos);
  CHECK(doc.find("\"leadScore\":0") != std::string::npos);
  CHECK(catalog->Get("w2", "conversations", "v1").status().code() == Code::kNotFound);
  Status unknown = catalog->Get("w1", "widgets", "x").status();
  CHECK(unknown.code() == Code::kNotFound);
  CHECK(unknown.message().find("contacts, conversations, messages") != std::string::npos);
}

SALESOS_TEST_BOTH_ENGINES("conversation data admin counts, searches, pages and gets one workspace",
                          "[conversation][data_admin]", conversation_lib_migrations(),
                          "conversation_data", CountsListsAndGets)

void DeletesWithDependants(store::Store& db) {
  Seed(db);
  testing::RedisServer redis_server;
  redis::ClientPtr redis = *redis::Connect(redis_server.url());
  rpc::EventPublisher events(redis, "conversation");
  auto catalog = ConversationDataCatalog(db);
  data_admin::DataAdminLogic logic(*catalog, events);

  pb::DataDeleteRequest req;
  req.set_workspace_id("w2");
  req.set_collection("contacts");
  req.set_id("c1");
  pb::DataDeleteResponse resp;
  CHECK(logic.Delete(req, &resp).code() == Code::kNotFound);  // another workspace's id

  req.set_workspace_id("w1");
  REQUIRE_OK(logic.Delete(req, &resp));
  CHECK(resp.removed() == 1 + 2 + 3);  // the contact, its 2 conversations, their 3 messages
  CHECK(Counts(*catalog, "w1") ==
        std::map<std::string, int64_t>{{"contacts", 1}, {"conversations", 1}, {"messages", 1}, {"accounts", 0}, {"contact_fields", 0}, {"jobs", 0}});
  CHECK(Counts(*catalog, "w2")["messages"] == 1);
  auto len = Unwrap(redis->Command({"XLEN", "salesos:events"}));
  CHECK(len.integer == 1);
  auto entries = Unwrap(redis->Command({"XRANGE", "salesos:events", "-", "+"}));
  CHECK(entries.elements.size() == 1);

  req.set_collection("conversations");
  req.set_id("v3");
  REQUIRE_OK(logic.Delete(req, &resp));
  CHECK(resp.removed() == 2);
  CHECK(Counts(*catalog, "w1")["messages"] == 0);
}

SALESOS_TEST_BOTH_ENGINES(
    "conversation data admin deletes a document with its dependants and says so",
    "[conversation][data_admin]", conversation_lib_migrations(), "conversation_data_delete",
    DeletesWithDependants)

void ClearsOneWorkspace(store::Store& db) {
  Seed(db);
  auto catalog = ConversationDataCatalog(db);
  auto removed = Unwrap(catalog->Clear("w1"));
  CHECK(removed ==
        std::map<std::string, int64_t>{{"contacts", 2}, {"conversations", 3}, {"messages", 4}, {"accounts", 0}, {"contact_fields", 0}, {"jobs", 0}});
  CHECK(Counts(*catalog, "w1") ==
        std::map<std::string, int64_t>{{"contacts", 0}, {"conversations", 0}, {"messages", 0}, {"accounts", 0}, {"contact_fields", 0}, {"jobs", 0}});
  CHECK(Counts(*catalog, "w2") ==
        std::map<std::string, int64_t>{{"contacts", 1}, {"conversations", 1}, {"messages", 1}, {"accounts", 0}, {"contact_fields", 0}, {"jobs", 0}});

  auto exported = Unwrap(catalog->Export("w2", {"messages"}, 0));
  REQUIRE(exported.size() == 1);
  CHECK(exported[0].count == 1);
  CHECK(exported[0].json.find("lamps lamps") != std::string::npos);
  CHECK(catalog->Export("w2", {}, 10).status().code() == Code::kFailedPrecondition);
}

SALESOS_TEST_BOTH_ENGINES("conversation data admin clears one workspace and exports within a bound",
                          "[conversation][data_admin]", conversation_lib_migrations(),
                          "conversation_data_clear", ClearsOneWorkspace)

}  // namespace
}  // namespace salesos::conversation
