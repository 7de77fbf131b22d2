#include "store_metrics.h"

#include <string>

#include "salesos/metrics/metrics.h"

namespace salesos::store::internal {
namespace {

std::string CodeLabel(Code code) {
  switch (code) {
    case Code::kAlreadyExists: return "already_exists";
    case Code::kUnavailable: return "unavailable";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kInternal: return "internal";
    default: return "other";
  }
}

}  // namespace

Status CountedError(std::string_view engine, Status st) {
  static auto& errors = metrics::DefaultRegistry().AddCounter(
      "salesos_store_errors_total",
      "Database statements the engine refused, by engine and the Store code they map to.",
      {"engine", "code"});
  errors.WithLabels({engine, CodeLabel(st.code())}).Inc();
  return st;
}

void CountTransaction(std::string_view engine, const Status& st, bool callback_failed) {
  static auto& transactions = metrics::DefaultRegistry().AddCounter(
      "salesos_store_transactions_total",
      "Database transactions by engine and outcome: committed, rolled_back (the work returned "
      "an error) or failed (BEGIN or COMMIT failed).",
      {"engine", "outcome"});
  std::string_view outcome = st.ok() ? "committed" : callback_failed ? "rolled_back" : "failed";
  transactions.WithLabels({engine, outcome}).Inc();
}

}  // namespace salesos::store::internal
