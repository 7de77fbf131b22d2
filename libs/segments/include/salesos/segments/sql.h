#pragma once

// The rule compiler: a segment rule tree (common/v1/segment.proto) as a parameterised SQL
// condition over conversation's contacts table (migrations 002 and 004), for SQLite and
// PostgreSQL. Values only ever travel as parameters; field names never reach the SQL text (each
// catalogue field maps to a fixed column expression; a custom field's key is a parameter).
// evaluate.h is the same semantics in memory, and the oracle the property tests hold the SQL to.
// Pure: no I/O; safe from many threads.

#include <cstdint>
#include <string>

#include "salesos/common/v1/segment.pb.h"
#include "salesos/core/status.h"
#include "salesos/segments/custom_fields.h"
#include "salesos/store/store.h"

namespace salesos::segments {

enum class SqlDialect { kSqlite, kPostgres };

// "sqlite" -> kSqlite, "postgresql" -> kPostgres (store::Store::Engine()).
SqlDialect DialectOf(std::string_view engine);

struct CompiledRule {
  // A boolean SQL expression over the contacts row aliased `c` (and correlated subqueries on
  // contact_tags / contact_field_values), never NULL-valued, with $first.. placeholders.
  std::string where;
  store::Params params;  // bound to $first_param .. $first_param + params.size() - 1
};

// Compiles a tree that ValidateSegmentRule(rule, "rules", &custom) accepts; otherwise returns
// that INVALID_ARGUMENT unchanged (violation paths under "rules"). `now_ms` anchors
// within_last_days. `first_param` is the number of the first placeholder, so the caller can bind
// its own ($1 workspace id, ...) before. The semantics are docs/segments.md's.
//
// `workspace_param`, when > 0, is the placeholder the caller binds the workspace id to (as in
// `WHERE c.workspace_id = $1 AND (<where>)`): tag and custom-field tests then read
// `c.id IN (SELECT contact_id ... WHERE workspace_id = $<workspace_param> ...)`, built once per
// query from the (workspace_id, ...) indexes. 0 correlates them on c.workspace_id instead (same
// answers, slower on large workspaces).
Result<CompiledRule> CompileSegmentRule(const common::v1::SegmentRule& rule,
                                        const CustomFieldDecls& custom, SqlDialect dialect,
                                        int64_t now_ms, int first_param, int workspace_param = 0);

}  // namespace salesos::segments
