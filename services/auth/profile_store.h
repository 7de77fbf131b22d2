#pragma once

// ProfileStore: the business profile of a workspace (business_profiles, migration 002) and the
// onboarding flag of its users, on libs/store; one code path for SQLite and PostgreSQL.
// Documents are kept as a JSON array in one TEXT column: read and written whole with the
// profile, never queried. Thread-safe as the Store under it.

#include <optional>
#include <string>

#include "salesos/core/status.h"
#include "salesos/store/store.h"
#include "workspace_rules.h"

namespace salesos::auth {

struct ProfileRecord {
  BusinessProfile profile;
  std::string updated_at;
  std::string updated_by;  // user id
};

class ProfileStore {
 public:
  explicit ProfileStore(store::Store& db) : db_(db) {}

  // nullopt when the workspace has no profile yet.
  Result<std::optional<ProfileRecord>> Get(const std::string& workspace_id);
  // Replaces the workspace's profile and marks the onboarding of `user_id` completed, in one
  // transaction. kNotFound when the user is not in the workspace (any more).
  Status Put(const std::string& workspace_id, const std::string& user_id,
             const BusinessProfile& profile, const std::string& updated_at);

 private:
  store::Store& db_;
};

// The documents column: a JSON array of {"name","url","content"} (protobuf JSON of
// salesos.auth.v1.Document, empty fields left out). Exposed for tests.
std::string EncodeDocuments(const std::vector<ProfileDocument>& documents);
Result<std::vector<ProfileDocument>> DecodeDocuments(const std::string& json);

}  // namespace salesos::auth
