// MemberStore and ProfileStore against both engines: every check runs as "sqlite: ..." and
// "postgresql: ...".

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "account_rules.h"
#include "auth_lib_migrations.h"
#include "auth_store.h"
#include "member_store.h"
#include "profile_store.h"
#include "salesos/core/ids.h"
#include "salesos/store/store.h"
#include "support/databases.h"
#include "support/postgres.h"
#include "support/temp_dir.h"
#include "workspace_rules.h"

namespace salesos::auth {
namespace {

using testing::Unwrap;

constexpr char kCreatedAt[] = "2026-11-21T06:30:00Z";
constexpr char kHash[] = "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA";

UserRecord MakeUser(const std::string& workspace_id, const std::string& email,
                    const std::string& role) {
  UserRecord u;
  u.id = NewUuidV7();
  u.workspace_id = workspace_id;
  u.email = email;
  u.email_key = EmailKey(email);
  u.name = "Member " + email;
  u.password_hash = kHash;
  u.role = role;
  u.created_at = kCreatedAt;
  return u;
}

// A workspace with its owner, made through AuthStore as sign-up makes it.
struct Workspace {
  WorkspaceRecord ws;
  UserRecord owner;
};

Workspace MakeWorkspace(store::Store& db, const std::string& name) {
  Workspace w;
  w.ws = WorkspaceRecord{NewUuidV7(), name, kCreatedAt};
  w.owner = MakeUser(w.ws.id, "owner-" + RandomHex(4) + "@example.com", "owner");
  AuthStore accounts(db);
  REQUIRE_OK(accounts.CreateOwner(w.ws, w.owner));
  return w;
}

MemberGuard Allow() {
  return [](const MemberRecord&, int64_t) { return OkStatus(); };
}

void CheckCreateFindAndTenancy(store::Store& db) {
  MemberStore members(db);
  AuthStore accounts(db);
  Workspace a = MakeWorkspace(db, "A");
  Workspace b = MakeWorkspace(db, "B");
  UserRecord agent = MakeUser(a.ws.id, "Agent@Example.com", "agent");
  REQUIRE_OK(members.Create(agent));

  auto found = Unwrap(members.Find(a.ws.id, agent.id));
  REQUIRE(found.has_value());
  CHECK(found->user_id == agent.id);
  CHECK(found->workspace_id == a.ws.id);
  CHECK(found->email == "Agent@Example.com");
  CHECK(found->name == agent.name);
  CHECK(found->role == "agent");
  CHECK(found->created_at == kCreatedAt);
  // The account signs in like any other (login reads it through AuthStore).
  auto by_email = Unwrap(accounts.FindUserByEmailKey("agent@example.com"));
  REQUIRE(by_email.has_value());
  CHECK(by_email->role == "agent");
  CHECK(by_email->password_hash == kHash);

  // Not through another workspace.
  CHECK_FALSE(Unwrap(members.Find(b.ws.id, agent.id)).has_value());
  CHECK(Unwrap(members.List(b.ws.id, "", 50)).members.size() == 1);
  CHECK(Unwrap(members.CountOwners(a.ws.id)) == 1);
  CHECK(Unwrap(members.CountOwners(b.ws.id)) == 1);
}

void CheckDuplicateEmailAndMissingWorkspace(store::Store& db) {
  MemberStore members(db);
  Workspace a = MakeWorkspace(db, "A");
  Workspace b = MakeWorkspace(db, "B");
  REQUIRE_OK(members.Create(MakeUser(a.ws.id, "taken@example.com", "viewer")));
  // Taken across workspaces and letter cases; nothing of the second try is left.
  UserRecord again = MakeUser(b.ws.id, "TAKEN@example.com", "viewer");
  Status st = members.Create(again);
  INFO(st.ToString());
  CHECK(st.code() == Code::kAlreadyExists);
  CHECK_FALSE(Unwrap(members.Find(b.ws.id, again.id)).has_value());
  CHECK(Unwrap(members.ListAll(b.ws.id)).size() == 1);

  Status missing = members.Create(MakeUser(NewUuidV7(), "lost@example.com", "agent"));
  CHECK(missing.code() == Code::kNotFound);
}

void CheckListPages(store::Store& db) {
  MemberStore members(db);
  Workspace a = MakeWorkspace(db, "A");
  Workspace other = MakeWorkspace(db, "Other");
  for (int i = 0; i < 4; ++i) {
    REQUIRE_OK(members.Create(
        MakeUser(a.ws.id, "m" + std::to_string(i) + "-" + RandomHex(3) + "@example.com", "agent")));
  }
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  while (true) {
    MemberPage page = Unwrap(members.List(a.ws.id, after, 2));
    ++pages;
    for (const auto& m : page.members) {
      CHECK(m.workspace_id == a.ws.id);
      seen.push_back(m.user_id);
    }
    if (!page.more) {
      break;
    }
    REQUIRE_FALSE(page.members.empty());
    after = page.members.back().user_id;
    REQUIRE(pages < 10);
  }
  CHECK(pages == 3);  // 2 + 2 + 1 (the owner and four agents)
  REQUIRE(seen.size() == 5);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  auto all = Unwrap(members.ListAll(a.ws.id));
  REQUIRE(all.size() == 5);
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].user_id == seen[i]);
  }
  // An exact fit says there is no more.
  MemberPage exact = Unwrap(members.List(a.ws.id, "", 5));
  CHECK(exact.members.size() == 5);
  CHECK_FALSE(exact.more);
}

void CheckUpdateRoleIsGuarded(store::Store& db) {
  MemberStore members(db);
  Workspace a = MakeWorkspace(db, "A");
  Workspace b = MakeWorkspace(db, "B");
  UserRecord agent = MakeUser(a.ws.id, "agent-" + RandomHex(3) + "@example.com", "agent");
  REQUIRE_OK(members.Create(agent));

  // The guard sees the member as stored and the owner count, and its refusal changes nothing.
  std::string seen_role;
  int64_t seen_owners = -1;
  auto refused =
      members.UpdateRole(a.ws.id, agent.id, "admin", [&](const MemberRecord& m, int64_t owners) {
        seen_role = m.role;
        seen_owners = owners;
        return PermissionDenied("no");
      });
  CHECK(refused.status().code() == Code::kPermissionDenied);
  CHECK(seen_role == "agent");
  CHECK(seen_owners == 1);
  CHECK(Unwrap(members.Find(a.ws.id, agent.id))->role == "agent");

  MemberRecord before = Unwrap(members.UpdateRole(a.ws.id, agent.id, "admin", Allow()));
  CHECK(before.role == "agent");
  CHECK(Unwrap(members.Find(a.ws.id, agent.id))->role == "admin");

  // Another workspace's member is not found, and the guard is not even asked.
  bool asked = false;
  auto foreign = members.UpdateRole(b.ws.id, agent.id, "viewer", [&](const MemberRecord&, int64_t) {
    asked = true;
    return OkStatus();
  });
  CHECK(foreign.status().code() == Code::kNotFound);
  CHECK_FALSE(asked);
  CHECK(Unwrap(members.Find(a.ws.id, agent.id))->role == "admin");

  // The real rule: the last owner stays.
  auto last =
      members.UpdateRole(a.ws.id, a.owner.id, "admin", [](const MemberRecord& m, int64_t owners) {
        return CheckRoleChange(true, m.role, "admin", owners);
      });
  CHECK(last.status().code() == Code::kFailedPrecondition);
  CHECK(Unwrap(members.CountOwners(a.ws.id)) == 1);
}

void CheckRemoveDeletesTheAccount(store::Store& db) {
  MemberStore members(db);
  AuthStore accounts(db);
  Workspace a = MakeWorkspace(db, "A");
  Workspace b = MakeWorkspace(db, "B");
  UserRecord viewer = MakeUser(a.ws.id, "viewer-" + RandomHex(3) + "@example.com", "viewer");
  REQUIRE_OK(members.Create(viewer));

  CHECK(members.Remove(b.ws.id, viewer.id, Allow()).status().code() == Code::kNotFound);
  CHECK(members
            .Remove(a.ws.id, viewer.id,
                    [](const MemberRecord&, int64_t) { return FailedPrecondition("kept"); })
            .status()
            .code() == Code::kFailedPrecondition);
  CHECK(Unwrap(members.Find(a.ws.id, viewer.id)).has_value());

  MemberRecord removed = Unwrap(members.Remove(a.ws.id, viewer.id, Allow()));
  CHECK(removed.role == "viewer");
  CHECK_FALSE(Unwrap(members.Find(a.ws.id, viewer.id)).has_value());
  CHECK_FALSE(Unwrap(accounts.FindUserByEmailKey(viewer.email_key)).has_value());
  // The email is free again.
  REQUIRE_OK(members.Create(MakeUser(a.ws.id, viewer.email, "agent")));
  CHECK(members.Remove(a.ws.id, viewer.id, Allow()).status().code() == Code::kNotFound);
}

void CheckTransferOwnership(store::Store& db) {
  MemberStore members(db);
  Workspace a = MakeWorkspace(db, "A");
  Workspace b = MakeWorkspace(db, "B");
  UserRecord admin = MakeUser(a.ws.id, "admin-" + RandomHex(3) + "@example.com", "admin");
  REQUIRE_OK(members.Create(admin));

  CHECK(members.TransferOwnership(a.ws.id, a.owner.id, b.owner.id).code() == Code::kNotFound);
  CHECK(Unwrap(members.Find(a.ws.id, a.owner.id))->role == "owner");
  CHECK(Unwrap(members.Find(b.ws.id, b.owner.id))->role == "owner");

  REQUIRE_OK(members.TransferOwnership(a.ws.id, a.owner.id, admin.id));
  CHECK(Unwrap(members.Find(a.ws.id, admin.id))->role == "owner");
  CHECK(Unwrap(members.Find(a.ws.id, a.owner.id))->role == "admin");
  CHECK(Unwrap(members.CountOwners(a.ws.id)) == 1);
}

void CheckProfileRoundTripAndOnboardingFlag(store::Store& db) {
  ProfileStore profiles(db);
  AuthStore accounts(db);
  Workspace a = MakeWorkspace(db, "A");
  Workspace b = MakeWorkspace(db, "B");
  CHECK_FALSE(Unwrap(profiles.Get(a.ws.id)).has_value());

  BusinessProfile p;
  p.business_name = "Ada's \"Lamps\"";
  p.owner_name = "Ada";
  p.industry = "Lighting";
  p.description = "Lamps \xc3\xa9l\xc3\xa9gantes \xf0\x9f\x92\xa1\nsecond line\ttab \\ backslash";
  p.website = "https://example.com";
  p.phone = "+33 1 23 45 67 89";
  p.documents = {{"Prices", "https://example.com/p.pdf", "{\"json\": [1, 2]}\n</script>"},
                 {"Empty", "", ""}};
  REQUIRE_OK(profiles.Put(a.ws.id, a.owner.id, p, "2026-11-21T07:00:00Z"));

  auto got = Unwrap(profiles.Get(a.ws.id));
  REQUIRE(got.has_value());
  CHECK(got->profile.business_name == p.business_name);
  CHECK(got->profile.owner_name == p.owner_name);
  CHECK(got->profile.industry == p.industry);
  CHECK(got->profile.description == p.description);
  CHECK(got->profile.website == p.website);
  CHECK(got->profile.phone == p.phone);
  REQUIRE(got->profile.documents.size() == 2);
  CHECK(got->profile.documents[0].name == "Prices");
  CHECK(got->profile.documents[0].url == "https://example.com/p.pdf");
  CHECK(got->profile.documents[0].content == p.documents[0].content);
  CHECK(got->profile.documents[1].name == "Empty");
  CHECK(got->profile.documents[1].content.empty());
  CHECK(got->updated_at == "2026-11-21T07:00:00Z");
  CHECK(got->updated_by == a.owner.id);
  CHECK(Unwrap(accounts.FindUser(a.ws.id, a.owner.id))->onboarding_completed);

  // A second put replaces the whole profile.
  BusinessProfile smaller;
  smaller.business_name = "Ada Lamps";
  REQUIRE_OK(profiles.Put(a.ws.id, a.owner.id, smaller, "2026-11-21T08:00:00Z"));
  got = Unwrap(profiles.Get(a.ws.id));
  REQUIRE(got.has_value());
  CHECK(got->profile.business_name == "Ada Lamps");
  CHECK(got->profile.description.empty());
  CHECK(got->profile.documents.empty());
  CHECK(got->updated_at == "2026-11-21T08:00:00Z");

  // A user of another workspace writes nothing into this one (nor its own flag).
  CHECK(profiles.Put(a.ws.id, b.owner.id, p, "2026-11-21T09:00:00Z").code() == Code::kNotFound);
  CHECK(Unwrap(profiles.Get(a.ws.id))->profile.business_name == "Ada Lamps");
  CHECK_FALSE(Unwrap(profiles.Get(b.ws.id)).has_value());
  CHECK_FALSE(Unwrap(accounts.FindUser(b.ws.id, b.owner.id))->onboarding_completed);
}

void CheckDeleteWorkspace(store::Store& db) {
  MemberStore members(db);
  ProfileStore profiles(db);
  AuthStore accounts(db);
  Workspace a = MakeWorkspace(db, "A");
  Workspace b = MakeWorkspace(db, "B");
  UserRecord agent = MakeUser(a.ws.id, "agent-" + RandomHex(3) + "@example.com", "agent");
  REQUIRE_OK(members.Create(agent));
  BusinessProfile p;
  p.business_name = "A";
  REQUIRE_OK(profiles.Put(a.ws.id, a.owner.id, p, kCreatedAt));
  REQUIRE_OK(profiles.Put(b.ws.id, b.owner.id, p, kCreatedAt));

  std::vector<std::string> removed = Unwrap(members.DeleteWorkspace(a.ws.id));
  std::vector<std::string> expected{a.owner.id, agent.id};
  std::sort(expected.begin(), expected.end());
  CHECK(removed == expected);
  CHECK_FALSE(Unwrap(accounts.FindWorkspace(a.ws.id)).has_value());
  CHECK_FALSE(Unwrap(accounts.FindUserByEmailKey(a.owner.email_key)).has_value());
  CHECK_FALSE(Unwrap(accounts.FindUserByEmailKey(agent.email_key)).has_value());
  CHECK(Unwrap(members.ListAll(a.ws.id)).empty());
  CHECK_FALSE(Unwrap(profiles.Get(a.ws.id)).has_value());
  CHECK(members.DeleteWorkspace(a.ws.id).status().code() == Code::kNotFound);

  // The other workspace is whole.
  CHECK(Unwrap(accounts.FindWorkspace(b.ws.id)).has_value());
  CHECK(Unwrap(members.ListAll(b.ws.id)).size() == 1);
  CHECK(Unwrap(profiles.Get(b.ws.id)).has_value());
}

void CheckConcurrentDemotionsKeepAnOwner(store::Store& db) {
  MemberStore members(db);
  for (int round = 0; round < 5; ++round) {
    Workspace a = MakeWorkspace(db, "A");
    UserRecord second = MakeUser(a.ws.id, "second-" + RandomHex(4) + "@example.com", "owner");
    REQUIRE_OK(members.Create(second));
    // Each owner demotes the other at the same moment: without the workspace lock both would see
    // two owners and the workspace would be left with none.
    // Catch2's assertions are not thread-safe: the threads only record, the checks come after.
    std::vector<Status> results(2);
    std::vector<std::string> targets{a.owner.id, second.id};
    std::vector<std::thread> threads;
    for (size_t i = 0; i < targets.size(); ++i) {
      threads.emplace_back([&, i] {
        results[i] = members
                         .UpdateRole(a.ws.id, targets[i], "admin",
                                     [](const MemberRecord& m, int64_t owners) {
                                       return CheckRoleChange(true, m.role, "admin", owners);
                                     })
                         .status();
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    INFO(results[0].ToString() << " / " << results[1].ToString());
    CHECK(results[0].ok() != results[1].ok());
    const Status& refused = results[0].ok() ? results[1] : results[0];
    CHECK(refused.code() == Code::kFailedPrecondition);
    CHECK(Unwrap(members.CountOwners(a.ws.id)) == 1);
  }
}

#define BOTH_ENGINES(name, check) \
  SALESOS_TEST_BOTH_ENGINES(name, "[auth][store][workspace]", auth_lib_migrations(), "auth", check)

BOTH_ENGINES("a created member is found in its workspace only", CheckCreateFindAndTenancy)
BOTH_ENGINES("a taken email is already exists and a missing workspace not found",
             CheckDuplicateEmailAndMissingWorkspace)
BOTH_ENGINES("members list in user id order, page by page", CheckListPages)
BOTH_ENGINES("a role change asks the guard inside its transaction", CheckUpdateRoleIsGuarded)
BOTH_ENGINES("removing a member deletes its account", CheckRemoveDeletesTheAccount)
BOTH_ENGINES("ownership moves to a member of the same workspace only", CheckTransferOwnership)
BOTH_ENGINES("the business profile round-trips and marks onboarding completed",
             CheckProfileRoundTripAndOnboardingFlag)
BOTH_ENGINES("deleting a workspace removes its rows and nothing else", CheckDeleteWorkspace)
BOTH_ENGINES("two owners demoting each other at once leave one owner",
             CheckConcurrentDemotionsKeepAnOwner)

TEST_CASE("documents encode as a JSON array and decode back", "[auth][store][workspace]") {
  CHECK(EncodeDocuments({}) == "[]");
  std::vector<ProfileDocument> docs{{"A \"quoted\" name", "https://x.example", "line\nnext"},
                                    {"B", "", ""}};
  std::string json = EncodeDocuments(docs);
  CHECK(json.front() == '[');
  CHECK(json.back() == ']');
  auto back = DecodeDocuments(json);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 2);
  CHECK((*back)[0].name == docs[0].name);
  CHECK((*back)[0].url == docs[0].url);
  CHECK((*back)[0].content == docs[0].content);
  CHECK((*back)[1].name == "B");
  CHECK(DecodeDocuments("").ok());
  CHECK(DecodeDocuments("{\"not\": \"an array\"}").status().code() == Code::kInternal);
}

}  // namespace
}  // namespace salesos::auth
