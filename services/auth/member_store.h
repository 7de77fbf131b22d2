#pragma once

// MemberStore: the members of a workspace (users + members) and the removal of a whole
// workspace, on libs/store; one code path for SQLite and PostgreSQL. Every query filters on the
// workspace id, so an id from another workspace is simply not found.
//
// Changes that a last-owner rule guards run in one transaction that first locks the workspace's
// row (a no-op UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so two concurrent
// demotions cannot both see "two owners" and leave none. The rule itself is the caller's
// (workspace_rules), handed in as a guard. Thread-safe as the Store under it.
//
// Password hashes are never read here: a MemberRecord cannot leak one.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth_store.h"
#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::auth {

struct MemberRecord {
  std::string user_id;
  std::string workspace_id;
  std::string email;
  std::string name;
  std::string role;
  std::string created_at;  // when the user joined the workspace
};

struct MemberPage {
  std::vector<MemberRecord> members;
  bool more = false;  // members after the last one exist
};

// Runs inside the transaction with the member as stored and the workspace's owner count (the
// member included). A non-ok status rolls the change back and is returned as is.
using MemberGuard = std::function<Status(const MemberRecord& member, int64_t owner_count)>;

class MemberStore {
 public:
  explicit MemberStore(store::Store& db) : db_(db) {}

  // Inserts the user (user.workspace_id) and its membership with user.role in one transaction.
  // kAlreadyExists when the email key is taken in any workspace; kNotFound when the workspace
  // does not exist (any more).
  Status Create(const UserRecord& user);

  Result<std::optional<MemberRecord>> Find(const std::string& workspace_id,
                                           const std::string& user_id);
  // Up to `limit` members with a user id above `after_user_id` ("" for the first page), in user
  // id order.
  Result<MemberPage> List(const std::string& workspace_id, const std::string& after_user_id,
                          int limit);
  // Every member, in user id order (export, deletion).
  Result<std::vector<MemberRecord>> ListAll(const std::string& workspace_id);
  Result<int64_t> CountOwners(const std::string& workspace_id);

  // Sets the member's role once `guard` agreed; returns the member as it was before. kNotFound
  // when the user is not a member of the workspace.
  Result<MemberRecord> UpdateRole(const std::string& workspace_id, const std::string& user_id,
                                  const std::string& role, const MemberGuard& guard);
  // Removes the membership and the user's account once `guard` agreed (a user belongs to one
  // workspace, so a member without it would be an account nobody can use); returns the member
  // as it was. kNotFound when the user is not a member of the workspace.
  Result<MemberRecord> Remove(const std::string& workspace_id, const std::string& user_id,
                              const MemberGuard& guard);
  // Makes `to_user_id` an owner and, when `from_user_id` is an owner, makes it an admin, in one
  // transaction. kNotFound (naming nothing of other workspaces) when `to_user_id` is not a member.
  Status TransferOwnership(const std::string& workspace_id, const std::string& from_user_id,
                           const std::string& to_user_id);

  // Deletes every row auth holds of the workspace in one transaction: its business profile, its
  // members, their accounts and the workspace itself. Returns the ids of the deleted users (their
  // sessions are the caller's to end). kNotFound when the workspace does not exist.
  Result<std::vector<std::string>> DeleteWorkspace(const std::string& workspace_id);

 private:
  store::Store& db_;
};

}  // namespace salesos::auth
