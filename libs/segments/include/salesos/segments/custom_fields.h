#pragma once

// The custom fields a workspace declares (conversation's contact_fields), as rule validation,
// the SQL compiler and the evaluator need them: "customFields.<key>" is only a field when <key> is
// declared, and its declared type says which operators and values it takes. Pure data.

#include <map>
#include <string>
#include <vector>

namespace salesos::segments {

// The declared type of a custom field. A date field is compared like a time field (before, after,
// within_last_days, exists) at day precision; its values are "YYYY-MM-DD".
enum class CustomFieldType { kString, kNumber, kDate, kBoolean, kEnum };

struct CustomFieldDecl {
  CustomFieldType type = CustomFieldType::kString;
  std::vector<std::string> options;  // an enum's values
};

// key -> declaration, for one workspace.
using CustomFieldDecls = std::map<std::string, CustomFieldDecl, std::less<>>;

}  // namespace salesos::segments
