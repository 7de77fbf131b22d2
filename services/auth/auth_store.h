#pragma once

// AuthStore: auth's tables (workspaces, users, members) on libs/store; one code path for SQLite
// and PostgreSQL. Every query of workspace data filters on the workspace id. Thread-safe as the
// Store under it.

#include <optional>
#include <string>

#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::auth {

struct WorkspaceRecord {
  std::string id;
  std::string name;
  std::string created_at;
};

struct UserRecord {
  std::string id;
  std::string workspace_id;
  std::string email;          // as the user typed it (trimmed)
  std::string email_key;      // lower-cased: the unique key
  std::string name;
  std::string password_hash;  // argon2id string; never leaves this service
  std::string role;           // from members
  bool onboarding_completed = false;
  std::string created_at;
};

class AuthStore {
 public:
  explicit AuthStore(store::Store& db) : db_(db) {}

  // Creates the workspace, the user and the user's owner membership in one transaction.
  // kAlreadyExists when the email (case-insensitively) is taken.
  Status CreateOwner(const WorkspaceRecord& workspace, const UserRecord& user);
  Result<std::optional<UserRecord>> FindUserByEmailKey(const std::string& email_key);
  Result<std::optional<UserRecord>> FindUser(const std::string& workspace_id,
                                             const std::string& user_id);
  Result<std::optional<WorkspaceRecord>> FindWorkspace(const std::string& workspace_id);
  Status SetPasswordHash(const std::string& workspace_id, const std::string& user_id,
                         const std::string& password_hash);
  // The user as a member of the workspace, and the workspace, in one query (the hot path of
  // every "who am I"); nullopt when either is gone.
  struct Membership {
    UserRecord user;
    WorkspaceRecord workspace;
  };
  Result<std::optional<Membership>> FindMembership(const std::string& workspace_id,
                                                   const std::string& user_id);

 private:
  store::Store& db_;
};

}  // namespace salesos::auth
