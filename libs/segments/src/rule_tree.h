#pragma once

// What the validator, the SQL compiler and the evaluator share about a tree: which nodes are
// groups and conditions, which field a condition names, and how text is folded for comparison.
// Internal to libs/segments.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "salesos/common/v1/segment.pb.h"
#include "salesos/segments/catalogue.h"
#include "salesos/segments/custom_fields.h"

namespace salesos::segments::internal {

inline bool IsGroup(const common::v1::SegmentRule& node) {
  return !node.op().empty() || node.conditions_size() > 0;
}

inline bool IsCondition(const common::v1::SegmentRule& node) {
  return !node.field().empty() || !node.operator_().empty() || node.has_value();
}

// The field a condition names: a catalogue field, or a declared custom field.
struct FieldRef {
  FieldType type = FieldType::kString;
  std::string_view name;        // the catalogue name ("city"); the whole name for custom fields
  std::string_view custom_key;  // "" for catalogue fields
  const CustomFieldDecl* decl = nullptr;
};

// nullopt when the field is neither in the catalogue nor declared.
// `scope` kAutomation also resolves the automation fields (catalogue.h).
inline std::optional<FieldRef> ResolveField(std::string_view name, const CustomFieldDecls& custom,
                                            RuleScope scope = RuleScope::kSegment) {
  const FieldSpec* spec = FindField(name, scope);
  if (spec == nullptr) {
    return std::nullopt;
  }
  std::string_view key = CustomFieldKey(name);
  if (key.empty()) {
    return FieldRef{spec->type, spec->name, {}, nullptr};
  }
  auto it = custom.find(key);
  if (it == custom.end()) {
    return std::nullopt;
  }
  return FieldRef{FieldTypeOf(it->second.type), name, key, &it->second};
}

// ASCII letters lower-cased, every other byte as it is (SQLite's lower() without ICU).
inline std::string FoldAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

inline constexpr int64_t kDayMs = 86'400'000;

// The first Unix ms a within_last_days condition takes: a time at or after now minus the days;
// a custom date (day precision) on or after today's date minus the days.
inline int64_t WithinBoundMs(int64_t now_ms, int64_t days, bool day_precision) {
  if (!day_precision) {
    return now_ms - days * kDayMs;
  }
  int64_t today = now_ms / kDayMs - (now_ms % kDayMs < 0 ? 1 : 0);
  return (today - days) * kDayMs;
}

}  // namespace salesos::segments::internal
