// The rule language segments and automation conditions share (docs/segments.md "Operators and
// values"): which operators each field type takes, and how the console names them.

export const OPERATORS = {
  string: ["eq", "ne", "contains", "not_contains", "in", "not_in", "exists"],
  number: ["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists"],
  boolean: ["eq", "ne", "exists"],
  time: ["before", "after", "within_last_days", "exists"],
  tags: ["contains", "not_contains", "in", "not_in", "exists"],
  enum: ["eq", "ne", "in", "not_in", "exists"],
};

export const OPERATOR_LABELS = {
  eq: "is", ne: "is not", contains: "contains", not_contains: "does not contain", in: "is one of",
  not_in: "is none of", exists: "has a value", gt: "is greater than", gte: "is at least",
  lt: "is less than", lte: "is at most", before: "is before", after: "is after",
  within_last_days: "is within the last … days",
};
export const TAG_OPERATOR_LABELS = {
  contains: "has the tag", not_contains: "does not have the tag", in: "has any of the tags",
  not_in: "has none of the tags", exists: "has any tag",
};

// The words for an operator on a field of `type`.
export function operatorLabel(type, op) {
  return (type === "tags" ? TAG_OPERATOR_LABELS[op] : null) || OPERATOR_LABELS[op] || op;
}
