#include <cassert>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "salesos/core/log.h"
#include "salesos/store/store.h"
#include "sql_text.h"

namespace salesos::store {
namespace {

// A column index past the end is a caller bug: loud in debug builds, logged and answered with the
// NULL defaults in release so one bad read does not take a service down.
const Value* ValueAt(const Row& row, size_t i) {
  if (i < row.size()) {
    return &row.at(i);
  }
  log::Error("store row column index out of range",
             {{"index", static_cast<uint64_t>(i)}, {"columns", static_cast<uint64_t>(row.size())}});
  assert(false && "store row column index out of range");
  return nullptr;
}

int64_t DoubleToInt(double v) {
  constexpr double kMin = static_cast<double>(std::numeric_limits<int64_t>::min());
  // 2^63 itself is not representable as int64_t, so compare against it exclusively.
  constexpr double kMaxExclusive = -kMin;
  if (std::isnan(v)) {
    return 0;
  }
  if (v <= kMin) {
    return std::numeric_limits<int64_t>::min();
  }
  if (v >= kMaxExclusive) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(v);
}

// Text and blobs hold the same bytes for these conversions: numbers are parsed out of them.
int64_t TextToInt(const std::string& text) {
  int64_t i = 0;
  if (internal::ParseInt64(text, &i)) {
    return i;
  }
  double d = 0;
  return internal::ParseDouble(text, &d) ? DoubleToInt(d) : 0;
}

double TextToDouble(const std::string& text) {
  double d = 0;
  return internal::ParseDouble(text, &d) ? d : 0;
}

}  // namespace

Row::Row(ColumnNames names, std::vector<Value> values)
    : names_(std::move(names)), values_(std::move(values)) {}

bool Row::IsNull(size_t i) const {
  const Value* v = ValueAt(*this, i);
  return v == nullptr || std::holds_alternative<Null>(*v);
}

int64_t Row::GetInt(size_t i) const {
  const Value* v = ValueAt(*this, i);
  if (v == nullptr) {
    return 0;
  }
  return std::visit(
      [](const auto& x) -> int64_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Null>) {
          return 0;
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return x;
        } else if constexpr (std::is_same_v<T, double>) {
          return DoubleToInt(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return TextToInt(x);
        } else {
          return TextToInt(x.bytes);
        }
      },
      *v);
}

double Row::GetDouble(size_t i) const {
  const Value* v = ValueAt(*this, i);
  if (v == nullptr) {
    return 0;
  }
  return std::visit(
      [](const auto& x) -> double {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Null>) {
          return 0;
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return static_cast<double>(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return x;
        } else if constexpr (std::is_same_v<T, std::string>) {
          return TextToDouble(x);
        } else {
          return TextToDouble(x.bytes);
        }
      },
      *v);
}

std::string Row::GetText(size_t i) const {
  const Value* v = ValueAt(*this, i);
  if (v == nullptr) {
    return "";
  }
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Null>) {
          return "";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return internal::FormatDouble(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else {
          return x.bytes;
        }
      },
      *v);
}

std::string Row::GetBlob(size_t i) const {
  // Raw bytes of a blob or text column; numbers come back in their text form.
  return GetText(i);
}

int Row::Index(std::string_view column) const {
  if (names_ == nullptr) {
    return -1;
  }
  for (size_t i = 0; i < names_->size(); ++i) {
    if ((*names_)[i] == column) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace salesos::store
