#include "salesos/segments/sql.h"

#include <functional>
#include <utility>
#include <vector>

#include "rule_tree.h"
#include "salesos/segments/catalogue.h"

namespace salesos::segments {
namespace {

using common::v1::SegmentRule;
using google::protobuf::Value;
using internal::FieldRef;
using internal::FoldAscii;

// Each catalogue field's fixed column expression on the contacts row `c`. Field names are looked
// up here and never copied into SQL.
struct Column {
  std::string_view field;
  std::string_view sql;
};
constexpr Column kColumns[] = {
    {"firstName", "c.first_name"},
    {"lastName", "c.last_name"},
    {"fullName", "c.full_name"},
    {"email", "c.email"},
    {"phone", "c.phone"},
    {"title", "c.title"},
    {"city", "c.city"},
    {"country", "c.country"},
    {"language", "c.language"},
    {"accountId", "c.account_id"},
    {"ownerId", "c.owner_id"},
    {"source", "c.source"},
    {"status", "c.status"},
    {"journeyStage", "c.journey_stage"},
    {"leadScore", "c.lead_score"},
    {"totalSpent", "c.total_spent"},
    {"ordersCount", "c.orders_count"},
    {"visitCount", "c.visit_count"},
    {"createdAt", "c.created_ms"},
    {"lastMessageAt", "c.last_message_ms"},
    {"lastOrderAt", "c.last_order_ms"},
    {"lastVisit", "c.last_visit_ms"},
    {"optedOut", "c.opted_out"},
};

// platform X holds when the contact's X id is set (not NULL, not '').
struct PlatformColumn {
  std::string_view platform;
  std::string_view reachable;
};
constexpr PlatformColumn kPlatforms[] = {
    {"facebook", "COALESCE(c.facebook_id, '') <> ''"},
    {"instagram", "COALESCE(c.instagram_id, '') <> ''"},
    {"whatsapp", "COALESCE(c.whatsapp_id, '') <> ''"},
};

enum class ParamType { kText, kDouble, kBigint, kBoolean };

std::string Not(const std::string& expr) { return "NOT (" + expr + ")"; }

class Compiler {
 public:
  Compiler(const CustomFieldDecls& custom, SqlDialect dialect, int64_t now_ms, int first_param,
           int workspace_param)
      : custom_(custom),
        pg_(dialect == SqlDialect::kPostgres),
        now_ms_(now_ms),
        first_param_(first_param),
        workspace_param_(workspace_param) {}

  Result<std::string> Node(const SegmentRule& node) {
    std::string expr;
    if (internal::IsGroup(node)) {
      const char* sep = node.op() == "or" ? " OR " : " AND ";
      for (int i = 0; i < node.conditions_size(); ++i) {
        SALESOS_ASSIGN_OR_RETURN(std::string child, Node(node.conditions(i)));
        expr += (i == 0 ? "" : sep) + child;
      }
      expr = "(" + expr + ")";
    } else {
      SALESOS_ASSIGN_OR_RETURN(expr, Condition(node));
      expr = "(" + expr + ")";
    }
    return node.not_() ? "NOT " + expr : expr;
  }

  store::Params TakeParams() && { return std::move(params_); }

 private:
  // The placeholder of a new parameter. PostgreSQL prepares without parameter types, so each
  // carries its type; SQLite compares the bound value as it is.
  std::string Param(store::Value value, ParamType type) {
    params_.push_back(std::move(value));
    std::string p = "$" + std::to_string(first_param_ + static_cast<int>(params_.size()) - 1);
    if (!pg_) {
      return p;
    }
    switch (type) {
      case ParamType::kText:
        return p + "::text";
      case ParamType::kDouble:
        return p + "::double precision";
      case ParamType::kBigint:
        return p + "::bigint";
      case ParamType::kBoolean:
        return p + "::boolean";
    }
    return p;
  }

  std::string Text(const std::string& s) { return Param(s, ParamType::kText); }
  std::string Double(double v) { return Param(v, ParamType::kDouble); }
  std::string Bigint(int64_t v) { return Param(v, ParamType::kBigint); }
  std::string Bool(bool b) { return Param(int64_t{b ? 1 : 0}, ParamType::kBoolean); }

  // `expr` (a boolean) equals the condition's boolean value: exists true / false.
  std::string Is(const std::string& expr, bool b) { return "(" + expr + ") = " + Bool(b); }

  // ASCII-only lower case: SQLite's lower() is exactly that (without ICU); PostgreSQL's lower()
  // follows Unicode, so translate() does it there.
  std::string Fold(std::string_view expr) const {
    if (pg_) {
      return "translate(" + std::string(expr) +
             ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";
    }
    return "lower(" + std::string(expr) + ")";
  }

  // `needle` occurs in `haystack`; no LIKE, so no wildcards to escape.
  std::string Substring(const std::string& haystack, const std::string& needle) const {
    return (pg_ ? "strpos(" : "instr(") + haystack + ", " + needle + ") > 0";
  }

  std::string List(const Value& v, const std::function<std::string(const Value&)>& param) {
    std::string out;
    for (const auto& item : v.list_value().values()) {
      out += (out.empty() ? "" : ", ") + param(item);
    }
    return "(" + out + ")";
  }

  static bool IsNegation(const std::string& op) {
    return op == "ne" || op == "not_in" || op == "not_contains";
  }
  static std::string Positive(const std::string& op) {
    if (op == "ne") {
      return "eq";
    }
    if (op == "not_in") {
      return "in";
    }
    if (op == "not_contains") {
      return "contains";
    }
    return op;
  }

  Result<std::string> Condition(const SegmentRule& c) {
    auto field = internal::ResolveField(c.field(), custom_);
    if (!field) {
      return InvalidArgument("unknown field");  // ValidateSegmentRule refused it first
    }
    const std::string& op = c.operator_();
    if (IsNegation(op)) {
      SALESOS_ASSIGN_OR_RETURN(std::string positive, Positive(*field, Positive(op), c.value()));
      return Not(positive);
    }
    return Positive(*field, op, c.value());
  }

  // Every operator but the negations, which are NOT of these.
  Result<std::string> Positive(const FieldRef& f, const std::string& op, const Value& v) {
    if (f.name == "platform") {
      return Platform(op, v);
    }
    if (f.type == FieldType::kTags) {
      return Tags(op, v);
    }
    if (!f.custom_key.empty()) {
      return Custom(f, op, v);
    }
    std::string_view col;
    for (const auto& c : kColumns) {
      if (c.field == f.name) {
        col = c.sql;
      }
    }
    if (col.empty()) {
      return Internal("segments: no column for catalogue field " + std::string(f.name));
    }
    return Test(f.type, std::string(col), op, v, /*custom=*/false);
  }

  // One field's test on the expression `col` (a contacts column, or v.text_value / v.num_value
  // inside a custom field's subquery, where the row exists).
  Result<std::string> Test(FieldType type, const std::string& col, const std::string& op,
                           const Value& v, bool custom) {
    switch (type) {
      case FieldType::kString: {
        if (op == "exists") {
          return Is(col + " <> ''", v.bool_value());
        }
        if (op == "eq") {
          return Fold(col) + " = " + Text(FoldAscii(v.string_value()));
        }
        if (op == "in") {
          return Fold(col) + " IN " +
                 List(v, [&](const Value& item) { return Text(FoldAscii(item.string_value())); });
        }
        if (op == "contains") {
          return Substring(Fold(col), Text(FoldAscii(v.string_value())));
        }
        break;
      }
      case FieldType::kEnum: {
        if (op == "exists") {
          return Is(col + " <> ''", v.bool_value());
        }
        if (op == "eq") {
          return col + " = " + Text(v.string_value());
        }
        if (op == "in") {
          return col + " IN " +
                 List(v, [&](const Value& item) { return Text(item.string_value()); });
        }
        break;
      }
      case FieldType::kNumber: {
        static constexpr std::pair<std::string_view, std::string_view> kCompare[] = {
            {"eq", " = "}, {"gt", " > "}, {"gte", " >= "}, {"lt", " < "}, {"lte", " <= "}};
        for (const auto& [name, sql] : kCompare) {
          if (op == name) {
            return col + std::string(sql) + Double(v.number_value());
          }
        }
        if (op == "in") {
          return col + " IN " +
                 List(v, [&](const Value& item) { return Double(item.number_value()); });
        }
        if (op == "exists") {
          return Is("1 = 1", v.bool_value());  // a built-in number always has a value
        }
        break;
      }
      case FieldType::kBoolean: {
        if (op == "eq") {
          return Is(col + " <> 0", v.bool_value());
        }
        if (op == "exists") {
          return Is("1 = 1", v.bool_value());
        }
        break;
      }
      case FieldType::kTime: {
        // A built-in time is Unix ms with 0 for never; a custom date's row is its value.
        std::string set = custom ? "" : col + " <> 0 AND ";
        auto bound = [&](int64_t ms) {
          return custom ? Double(static_cast<double>(ms)) : Bigint(ms);
        };
        if (op == "exists") {
          return Is(col + " <> 0", v.bool_value());
        }
        if (op == "before") {
          auto ms = BeforeBoundMs(v.string_value());
          if (ms) {
            return set + col + " < " + bound(*ms);
          }
        }
        if (op == "after") {
          auto ms = AfterBoundMs(v.string_value());
          if (ms) {
            return set + col + " >= " + bound(*ms);
          }
        }
        if (op == "within_last_days") {
          int64_t days = static_cast<int64_t>(v.number_value());
          return set + col + " >= " + bound(internal::WithinBoundMs(now_ms_, days, custom));
        }
        break;
      }
      case FieldType::kTags:
        break;
    }
    return InvalidArgument("operator " + op + " does not apply");  // refused by validation
  }

  Result<std::string> Platform(const std::string& op, const Value& v) {
    auto reachable = [](const std::string& platform) -> std::string {
      for (const auto& p : kPlatforms) {
        if (p.platform == platform) {
          return std::string(p.reachable);
        }
      }
      return "1 = 0";
    };
    if (op == "eq") {
      return reachable(v.string_value());
    }
    std::string any;
    if (op == "in") {
      for (const auto& item : v.list_value().values()) {
        any += (any.empty() ? "" : " OR ") + reachable(item.string_value());
      }
      return any;
    }
    if (op == "exists") {
      for (const auto& p : kPlatforms) {
        any += (any.empty() ? "" : " OR ") + std::string(p.reachable);
      }
      return Is(any, v.bool_value());
    }
    return InvalidArgument("operator " + op + " does not apply to platform");
  }

  // `alias`'s rows of the contact's workspace. With the caller's workspace parameter the
  // subqueries below are not correlated: the engine builds each contact set once, from the
  // (workspace_id, ...) indexes, rather than probing per contact.
  std::string SameWorkspace(const char* alias) const {
    return std::string(alias) + ".workspace_id = " +
           (workspace_param_ > 0 ? "$" + std::to_string(workspace_param_) : "c.workspace_id");
  }

  Result<std::string> Tags(const std::string& op, const Value& v) {
    const std::string has =
        "c.id IN (SELECT t.contact_id FROM contact_tags t WHERE " + SameWorkspace("t");
    if (op == "contains") {
      return has + " AND t.tag = " + Text(FoldAscii(v.string_value())) + ")";
    }
    if (op == "in") {
      return has + " AND t.tag IN " +
             List(v, [&](const Value& item) { return Text(FoldAscii(item.string_value())); }) + ")";
    }
    if (op == "exists") {
      return Is(has + ")", v.bool_value());
    }
    return InvalidArgument("operator " + op + " does not apply to tags");
  }

  // A custom field's value is its row in contact_field_values; a comparison needs the row.
  Result<std::string> Custom(const FieldRef& f, const std::string& op, const Value& v) {
    std::string row = "c.id IN (SELECT v.contact_id FROM contact_field_values v WHERE " +
                      SameWorkspace("v") + " AND v.key = " + Text(std::string(f.custom_key));
    if (op == "exists") {
      return Is(row + ")", v.bool_value());
    }
    std::string col =
        f.type == FieldType::kString || f.type == FieldType::kEnum ? "v.text_value" : "v.num_value";
    SALESOS_ASSIGN_OR_RETURN(std::string test, Test(f.type, col, op, v, /*custom=*/true));
    return row + " AND " + test + ")";
  }

  const CustomFieldDecls& custom_;
  bool pg_;
  int64_t now_ms_;
  int first_param_;
  int workspace_param_;
  store::Params params_;
};

}  // namespace

SqlDialect DialectOf(std::string_view engine) {
  return engine == "postgresql" ? SqlDialect::kPostgres : SqlDialect::kSqlite;
}

Result<CompiledRule> CompileSegmentRule(const common::v1::SegmentRule& rule,
                                        const CustomFieldDecls& custom, SqlDialect dialect,
                                        int64_t now_ms, int first_param, int workspace_param) {
  SALESOS_RETURN_IF_ERROR(ValidateSegmentRule(rule, "rules", &custom));
  Compiler compiler(custom, dialect, now_ms, first_param, workspace_param);
  SALESOS_ASSIGN_OR_RETURN(std::string where, compiler.Node(rule));
  return CompiledRule{std::move(where), std::move(compiler).TakeParams()};
}

}  // namespace salesos::segments
