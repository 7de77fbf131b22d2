#pragma once

// SegmentStore: the segments table on libs/store, one code path for SQLite and PostgreSQL. Every
// query filters on the workspace id, so another workspace's segment is simply not found. It stores
// what it is given (the rule tree as protobuf JSON text): validation is the caller's. Writes that
// depend on what was read (updates) carry that version in their WHERE, so a concurrent change
// makes them miss instead of overwrite. Thread-safe as the Store under it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/common/v1/segment.pb.h"
#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::campaign {

struct SegmentRecord {
  std::string id;
  std::string workspace_id;
  std::string name;
  std::string description;
  common::v1::SegmentRule rules;
  std::string created_by;
  std::string created_at;
  std::string updated_at;
};

// What names are unique by: the name with ASCII letters lower-cased (the same on both engines,
// whatever their collations do with other letters).
std::string SegmentNameKey(std::string_view name);

class SegmentStore {
 public:
  explicit SegmentStore(store::Store& db) : db_(db) {}

  // Inserts the segment unless the workspace already holds `max_per_workspace` segments
  // (kResourceExhausted) or one of the same name key (kAlreadyExists naming "name").
  Status Create(const SegmentRecord& record, int64_t max_per_workspace);
  Result<std::optional<SegmentRecord>> Get(const std::string& workspace_id, const std::string& id);
  // Up to `limit` segments of the workspace whose name contains `name_contains` ("" for any;
  // case-insensitive for ASCII), newest first (id descending), with ids below `before_id` ("" from
  // the newest).
  Result<std::vector<SegmentRecord>> List(const std::string& workspace_id,
                                          const std::string& name_contains,
                                          const std::string& before_id, int64_t limit);
  // Replaces name, description, rules and updated_at of `record` when the stored row still has
  // `expected_updated_at`; false when it does not (changed meanwhile, or gone). kAlreadyExists
  // naming "name" when another segment of the workspace has the new name.
  Result<bool> Update(const SegmentRecord& record, const std::string& expected_updated_at);
  // False when the workspace has no such segment.
  Result<bool> Delete(const std::string& workspace_id, const std::string& id);
  // How many segments the workspace holds.
  Result<int64_t> Count(const std::string& workspace_id);

 private:
  store::Store& db_;
};

}  // namespace salesos::campaign
