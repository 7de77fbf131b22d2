#pragma once

// The in-memory evaluator: whether one contact matches a rule tree, with exactly the semantics of
// the SQL the compiler (sql.h) writes. The oracle of the property tests, and what evaluates a
// tree against one contact without a query (automation rules). Pure; safe from many threads.

#include <cstdint>

#include "salesos/common/v1/segment.pb.h"
#include "salesos/segments/contact_facts.h"
#include "salesos/segments/custom_fields.h"

namespace salesos::segments {

// Meant for trees ValidateSegmentRule(rule, path, &custom) accepts; anything it cannot test
// (an unknown field, a value of the wrong kind) does not match.
bool MatchesSegmentRule(const common::v1::SegmentRule& rule, const ContactFacts& contact,
                        const CustomFieldDecls& custom, int64_t now_ms);

}  // namespace salesos::segments
