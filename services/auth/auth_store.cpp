#include "auth_store.h"

namespace salesos::auth {
namespace {

constexpr std::string_view kUserColumns =
    "u.id, u.workspace_id, u.email, u.email_key, u.name, u.password_hash, m.role, "
    "u.onboarding_completed, u.created_at";

UserRecord UserFromRow(const store::Row& r) {
  UserRecord u;
  u.id = r.GetText(0);
  u.workspace_id = r.GetText(1);
  u.email = r.GetText(2);
  u.email_key = r.GetText(3);
  u.name = r.GetText(4);
  u.password_hash = r.GetText(5);
  u.role = r.GetText(6);
  u.onboarding_completed = r.GetBool(7);
  u.created_at = r.GetText(8);
  return u;
}

Result<std::optional<UserRecord>> OneUser(Result<store::Rows> rows) {
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<UserRecord>();
  }
  return std::optional<UserRecord>(UserFromRow(rows->front()));
}

}  // namespace

Status AuthStore::CreateOwner(const WorkspaceRecord& ws, const UserRecord& user) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    auto r = tx.Exec("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)",
                     {ws.id, ws.name, ws.created_at});
    if (!r.ok()) {
      return r.status();
    }
    r = tx.Exec(
        "INSERT INTO users (id, workspace_id, email, email_key, name, password_hash, "
        "onboarding_completed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        {user.id, ws.id, user.email, user.email_key, user.name, user.password_hash,
         int64_t{user.onboarding_completed ? 1 : 0}, user.created_at});
    if (!r.ok()) {
      return r.status();
    }
    r = tx.Exec(
        "INSERT INTO members (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        {ws.id, user.id, user.role, user.created_at});
    return r.ok() ? OkStatus() : r.status();
  });
}

Result<std::optional<UserRecord>> AuthStore::FindUserByEmailKey(const std::string& email_key) {
  return OneUser(db_.Query("SELECT " + std::string(kUserColumns) +
                               " FROM users u JOIN members m ON m.user_id = u.id AND "
                               "m.workspace_id = u.workspace_id WHERE u.email_key = $1",
                           {email_key}));
}

Result<std::optional<UserRecord>> AuthStore::FindUser(const std::string& workspace_id,
                                                      const std::string& user_id) {
  return OneUser(db_.Query("SELECT " + std::string(kUserColumns) +
                               " FROM users u JOIN members m ON m.user_id = u.id AND "
                               "m.workspace_id = u.workspace_id WHERE u.workspace_id = $1 AND "
                               "u.id = $2",
                           {workspace_id, user_id}));
}

Status AuthStore::SetPasswordHash(const std::string& workspace_id, const std::string& user_id,
                                  const std::string& password_hash) {
  auto n = db_.Exec("UPDATE users SET password_hash = $1 WHERE workspace_id = $2 AND id = $3",
                    {password_hash, workspace_id, user_id});
  if (!n.ok()) {
    return n.status();
  }
  return *n == 1 ? OkStatus() : NotFound("user not found");
}

Result<std::optional<AuthStore::Membership>> AuthStore::FindMembership(
    const std::string& workspace_id, const std::string& user_id) {
  auto rows = db_.Query("SELECT " + std::string(kUserColumns) +
                            ", w.name, w.created_at FROM users u JOIN members m ON m.user_id = u.id "
                            "AND m.workspace_id = u.workspace_id JOIN workspaces w ON w.id = "
                            "u.workspace_id WHERE u.workspace_id = $1 AND u.id = $2",
                        {workspace_id, user_id});
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<Membership>();
  }
  const auto& r = rows->front();
  return std::optional<Membership>(
      Membership{UserFromRow(r), WorkspaceRecord{r.GetText(1), r.GetText(9), r.GetText(10)}});
}

Result<std::optional<WorkspaceRecord>> AuthStore::FindWorkspace(const std::string& workspace_id) {
  auto rows = db_.Query("SELECT id, name, created_at FROM workspaces WHERE id = $1", {workspace_id});
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<WorkspaceRecord>();
  }
  const auto& r = rows->front();
  return std::optional<WorkspaceRecord>(WorkspaceRecord{r.GetText(0), r.GetText(1), r.GetText(2)});
}

}  // namespace salesos::auth
