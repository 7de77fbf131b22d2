#include "member_store.h"

#include "workspace_rules.h"

namespace salesos::auth {
namespace {

constexpr std::string_view kMemberSelect =
    "SELECT m.user_id, m.workspace_id, u.email, u.name, m.role, m.created_at FROM members m "
    "JOIN users u ON u.id = m.user_id AND u.workspace_id = m.workspace_id ";

MemberRecord MemberFromRow(const store::Row& r) {
  MemberRecord m;
  m.user_id = r.GetText(0);
  m.workspace_id = r.GetText(1);
  m.email = r.GetText(2);
  m.name = r.GetText(3);
  m.role = r.GetText(4);
  m.created_at = r.GetText(5);
  return m;
}

std::vector<MemberRecord> MembersFromRows(const store::Rows& rows) {
  std::vector<MemberRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(MemberFromRow(r));
  }
  return out;
}

Result<std::optional<MemberRecord>> FindIn(store::Executor& ex, const std::string& workspace_id,
                                           const std::string& user_id) {
  auto rows = ex.Query(std::string(kMemberSelect) + "WHERE m.workspace_id = $1 AND m.user_id = $2",
                       {workspace_id, user_id});
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<MemberRecord>();
  }
  return std::optional<MemberRecord>(MemberFromRow(rows->front()));
}

Result<int64_t> CountOwnersIn(store::Executor& ex, const std::string& workspace_id) {
  auto rows = ex.Query("SELECT COUNT(*) FROM members WHERE workspace_id = $1 AND role = $2",
                       {workspace_id, std::string(kOwnerRole)});
  if (!rows.ok()) {
    return rows.status();
  }
  return rows->empty() ? int64_t{0} : rows->front().GetInt(0);
}

// Serializes every guarded change of one workspace (see the header); kNotFound when it is gone.
Status LockWorkspace(store::Executor& tx, const std::string& workspace_id) {
  auto n = tx.Exec("UPDATE workspaces SET name = name WHERE id = $1", {workspace_id});
  if (!n.ok()) {
    return n.status();
  }
  return *n == 1 ? OkStatus() : NotFound("workspace not found");
}

// The member (locked with its workspace) and the owner count, after `guard` agreed.
Result<MemberRecord> GuardedMember(store::Executor& tx, const std::string& workspace_id,
                                   const std::string& user_id, const MemberGuard& guard) {
  SALESOS_RETURN_IF_ERROR(LockWorkspace(tx, workspace_id));
  auto member = FindIn(tx, workspace_id, user_id);
  if (!member.ok()) {
    return member.status();
  }
  if (!member->has_value()) {
    return NotFound("member not found");
  }
  auto owners = CountOwnersIn(tx, workspace_id);
  if (!owners.ok()) {
    return owners.status();
  }
  SALESOS_RETURN_IF_ERROR(guard(**member, *owners));
  return **member;
}

Status ExpectOneRow(Result<int64_t> changed, const char* what) {
  if (!changed.ok()) {
    return changed.status();
  }
  // The row was read under the workspace lock in this transaction: anything but one row is a
  // broken invariant, not a client error.
  return *changed == 1 ? OkStatus() : Internal(std::string("expected to change one ") + what);
}

}  // namespace

Status MemberStore::Create(const UserRecord& user) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    auto ws = tx.Query("SELECT id FROM workspaces WHERE id = $1", {user.workspace_id});
    if (!ws.ok()) {
      return ws.status();
    }
    if (ws->empty()) {
      return NotFound("workspace not found");
    }
    auto r = tx.Exec(
        "INSERT INTO users (id, workspace_id, email, email_key, name, password_hash, "
        "onboarding_completed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        {user.id, user.workspace_id, user.email, user.email_key, user.name, user.password_hash,
         int64_t{user.onboarding_completed ? 1 : 0}, user.created_at});
    if (!r.ok()) {
      return r.status();
    }
    r = tx.Exec(
        "INSERT INTO members (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        {user.workspace_id, user.id, user.role, user.created_at});
    return r.ok() ? OkStatus() : r.status();
  });
}

Result<std::optional<MemberRecord>> MemberStore::Find(const std::string& workspace_id,
                                                      const std::string& user_id) {
  return FindIn(db_, workspace_id, user_id);
}

Result<MemberPage> MemberStore::List(const std::string& workspace_id,
                                     const std::string& after_user_id, int limit) {
  // One row more than asked tells whether another page follows without a second query.
  auto rows = db_.Query(std::string(kMemberSelect) +
                            "WHERE m.workspace_id = $1 AND m.user_id > $2 ORDER BY m.user_id "
                            "LIMIT $3",
                        {workspace_id, after_user_id, int64_t{limit} + 1});
  if (!rows.ok()) {
    return rows.status();
  }
  MemberPage page;
  page.more = rows->size() > static_cast<size_t>(limit);
  if (page.more) {
    rows->resize(static_cast<size_t>(limit));
  }
  page.members = MembersFromRows(*rows);
  return page;
}

Result<std::vector<MemberRecord>> MemberStore::ListAll(const std::string& workspace_id) {
  auto rows = db_.Query(std::string(kMemberSelect) + "WHERE m.workspace_id = $1 ORDER BY m.user_id",
                        {workspace_id});
  if (!rows.ok()) {
    return rows.status();
  }
  return MembersFromRows(*rows);
}

Result<int64_t> MemberStore::CountOwners(const std::string& workspace_id) {
  return CountOwnersIn(db_, workspace_id);
}

Result<MemberRecord> MemberStore::UpdateRole(const std::string& workspace_id,
                                             const std::string& user_id, const std::string& role,
                                             const MemberGuard& guard) {
  MemberRecord before;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    auto member = GuardedMember(tx, workspace_id, user_id, guard);
    if (!member.ok()) {
      return member.status();
    }
    before = std::move(*member);
    if (before.role == role) {
      return OkStatus();
    }
    return ExpectOneRow(
        tx.Exec("UPDATE members SET role = $1 WHERE workspace_id = $2 AND user_id = $3",
                {role, workspace_id, user_id}),
        "membership");
  });
  if (!st.ok()) {
    return st;
  }
  return before;
}

Result<MemberRecord> MemberStore::Remove(const std::string& workspace_id,
                                         const std::string& user_id, const MemberGuard& guard) {
  MemberRecord removed;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    auto member = GuardedMember(tx, workspace_id, user_id, guard);
    if (!member.ok()) {
      return member.status();
    }
    removed = std::move(*member);
    SALESOS_RETURN_IF_ERROR(
        ExpectOneRow(tx.Exec("DELETE FROM members WHERE workspace_id = $1 AND user_id = $2",
                             {workspace_id, user_id}),
                     "membership"));
    return ExpectOneRow(
        tx.Exec("DELETE FROM users WHERE workspace_id = $1 AND id = $2", {workspace_id, user_id}),
        "user");
  });
  if (!st.ok()) {
    return st;
  }
  return removed;
}

Status MemberStore::TransferOwnership(const std::string& workspace_id,
                                      const std::string& from_user_id,
                                      const std::string& to_user_id) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_RETURN_IF_ERROR(LockWorkspace(tx, workspace_id));
    auto to = FindIn(tx, workspace_id, to_user_id);
    if (!to.ok()) {
      return to.status();
    }
    if (!to->has_value()) {
      return NotFound("member not found");
    }
    auto from = FindIn(tx, workspace_id, from_user_id);
    if (!from.ok()) {
      return from.status();
    }
    if ((*to)->role != kOwnerRole) {
      SALESOS_RETURN_IF_ERROR(ExpectOneRow(
          tx.Exec("UPDATE members SET role = $1 WHERE workspace_id = $2 AND user_id = $3",
                  {std::string(kOwnerRole), workspace_id, to_user_id}),
          "membership"));
    }
    // A superadmin handing a workspace over without being its owner keeps the role it has: the
    // transfer demotes an owner, it never promotes anyone but the new owner.
    if (from->has_value() && (*from)->role == kOwnerRole) {
      SALESOS_RETURN_IF_ERROR(ExpectOneRow(
          tx.Exec("UPDATE members SET role = $1 WHERE workspace_id = $2 AND user_id = $3",
                  {std::string(kAdminRole), workspace_id, from_user_id}),
          "membership"));
    }
    return OkStatus();
  });
}

Result<std::vector<std::string>> MemberStore::DeleteWorkspace(const std::string& workspace_id) {
  std::vector<std::string> user_ids;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_RETURN_IF_ERROR(LockWorkspace(tx, workspace_id));
    auto users =
        tx.Query("SELECT id FROM users WHERE workspace_id = $1 ORDER BY id", {workspace_id});
    if (!users.ok()) {
      return users.status();
    }
    for (const auto& r : *users) {
      user_ids.push_back(r.GetText(0));
    }
    // Children before parents: the foreign keys point at workspaces and users. Integrations go
    // too, so a deleted workspace leaves no sealed credentials behind.
    for (const char* sql :
         {"DELETE FROM integrations WHERE workspace_id = $1",
          "DELETE FROM business_profiles WHERE workspace_id = $1",
          "DELETE FROM members WHERE workspace_id = $1",
          "DELETE FROM users WHERE workspace_id = $1", "DELETE FROM workspaces WHERE id = $1"}) {
      auto n = tx.Exec(sql, {workspace_id});
      if (!n.ok()) {
        return n.status();
      }
    }
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return user_ids;
}

}  // namespace salesos::auth
