#include "salesos/segments/evaluate.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "rule_tree.h"
#include "salesos/segments/catalogue.h"

namespace salesos::segments {
namespace {

using common::v1::SegmentRule;
using google::protobuf::Value;
using internal::FieldRef;
using internal::FoldAscii;

// The catalogue's string and enum fields, and where ContactFacts keeps them.
struct TextField {
  std::string_view field;
  std::string ContactFacts::*member;
};
constexpr TextField kTextFields[] = {
    {"firstName", &ContactFacts::first_name},
    {"lastName", &ContactFacts::last_name},
    {"fullName", &ContactFacts::full_name},
    {"email", &ContactFacts::email},
    {"phone", &ContactFacts::phone},
    {"title", &ContactFacts::title},
    {"city", &ContactFacts::city},
    {"country", &ContactFacts::country},
    {"language", &ContactFacts::language},
    {"accountId", &ContactFacts::account_id},
    {"ownerId", &ContactFacts::owner_id},
    {"source", &ContactFacts::source},
    {"status", &ContactFacts::status},
    {"journeyStage", &ContactFacts::journey_stage},
};

struct NumberField {
  std::string_view field;
  double ContactFacts::*member;
};
constexpr NumberField kNumberFields[] = {
    {"leadScore", &ContactFacts::lead_score},
    {"totalSpent", &ContactFacts::total_spent},
    {"ordersCount", &ContactFacts::orders_count},
    {"visitCount", &ContactFacts::visit_count},
};

struct TimeField {
  std::string_view field;
  int64_t ContactFacts::*member;
};
constexpr TimeField kTimeFields[] = {
    {"createdAt", &ContactFacts::created_ms},
    {"lastMessageAt", &ContactFacts::last_message_ms},
    {"lastOrderAt", &ContactFacts::last_order_ms},
    {"lastVisit", &ContactFacts::last_visit_ms},
};

bool Reachable(const ContactFacts& contact, std::string_view platform) {
  if (platform == "facebook") {
    return contact.on_facebook;
  }
  if (platform == "instagram") {
    return contact.on_instagram;
  }
  if (platform == "whatsapp") {
    return contact.on_whatsapp;
  }
  return false;
}

bool AnyOf(const Value& list, const std::function<bool(const Value&)>& test) {
  const auto& values = list.list_value().values();
  return std::any_of(values.begin(), values.end(), test);
}

class Evaluator {
 public:
  Evaluator(const ContactFacts& contact, const CustomFieldDecls& custom, int64_t now_ms,
            const AutomationFacts* event = nullptr)
      : contact_(contact), custom_(custom), now_ms_(now_ms), event_(event) {}

  bool Node(const SegmentRule& node) const {
    bool holds = false;
    if (internal::IsGroup(node)) {
      const auto& children = node.conditions();
      auto test = [&](const SegmentRule& child) { return Node(child); };
      holds = node.op() == "or" ? std::any_of(children.begin(), children.end(), test)
                                : std::all_of(children.begin(), children.end(), test);
    } else {
      holds = Condition(node);
    }
    return node.not_() ? !holds : holds;
  }

 private:
  bool Condition(const SegmentRule& c) const {
    auto field = internal::ResolveField(
        c.field(), custom_, event_ != nullptr ? RuleScope::kAutomation : RuleScope::kSegment);
    if (!field) {
      return false;
    }
    const std::string& op = c.operator_();
    // ne, not_in and not_contains are exactly NOT of eq, in and contains.
    if (op == "ne") {
      return !Positive(*field, "eq", c.value());
    }
    if (op == "not_in") {
      return !Positive(*field, "in", c.value());
    }
    if (op == "not_contains") {
      return !Positive(*field, "contains", c.value());
    }
    return Positive(*field, op, c.value());
  }

  bool Positive(const FieldRef& f, std::string_view op, const Value& v) const {
    if (event_ != nullptr && IsAutomationField(f.name)) {
      return EventField(f, op, v);
    }
    if (f.name == "platform") {
      return Platform(op, v);
    }
    if (f.type == FieldType::kTags) {
      return Tags(op, v);
    }
    if (!f.custom_key.empty()) {
      auto it = contact_.custom.find(std::string(f.custom_key));
      if (op == "exists") {
        return (it != contact_.custom.end()) == v.bool_value();
      }
      if (it == contact_.custom.end()) {
        return false;  // a comparison needs a value
      }
      return Test(f.type, it->second.text, it->second.number, 0, op, v,
                  /*custom_date=*/f.type == FieldType::kTime);
    }
    for (const auto& t : kTextFields) {
      if (t.field == f.name) {
        return Test(f.type, contact_.*t.member, 0, 0, op, v, false);
      }
    }
    for (const auto& n : kNumberFields) {
      if (n.field == f.name) {
        return Test(f.type, {}, contact_.*n.member, 0, op, v, false);
      }
    }
    for (const auto& t : kTimeFields) {
      if (t.field == f.name) {
        return Test(f.type, {}, 0, contact_.*t.member, op, v, false);
      }
    }
    if (f.name == "optedOut") {
      return Test(f.type, {}, contact_.opted_out ? 1 : 0, 0, op, v, false);
    }
    return false;
  }

  // One field's test. The value is `text` (string, enum), `number` (number, boolean 0/1) or
  // `ms` (a built-in time); a custom date is `number` (its Unix ms) and `custom_date` is true.
  bool Test(FieldType type, const std::string& text, double number, int64_t ms, std::string_view op,
            const Value& v, bool custom_date) const {
    switch (type) {
      case FieldType::kString: {
        std::string folded = FoldAscii(text);
        if (op == "exists") {
          return !text.empty() == v.bool_value();
        }
        if (op == "eq") {
          return folded == FoldAscii(v.string_value());
        }
        if (op == "in") {
          return AnyOf(v,
                       [&](const Value& item) { return folded == FoldAscii(item.string_value()); });
        }
        if (op == "contains") {
          return folded.find(FoldAscii(v.string_value())) != std::string::npos;
        }
        return false;
      }
      case FieldType::kEnum:
        if (op == "exists") {
          return !text.empty() == v.bool_value();
        }
        if (op == "eq") {
          return text == v.string_value();
        }
        if (op == "in") {
          return AnyOf(v, [&](const Value& item) { return text == item.string_value(); });
        }
        return false;
      case FieldType::kNumber:
        if (op == "eq") {
          return number == v.number_value();
        }
        if (op == "gt") {
          return number > v.number_value();
        }
        if (op == "gte") {
          return number >= v.number_value();
        }
        if (op == "lt") {
          return number < v.number_value();
        }
        if (op == "lte") {
          return number <= v.number_value();
        }
        if (op == "in") {
          return AnyOf(v, [&](const Value& item) { return number == item.number_value(); });
        }
        if (op == "exists") return v.bool_value();  // a built-in number always has a value
        return false;
      case FieldType::kBoolean:
        if (op == "eq") {
          return (number != 0) == v.bool_value();
        }
        if (op == "exists") {
          return v.bool_value();
        }
        return false;
      case FieldType::kTime: {
        // A built-in time is Unix ms with 0 for never; a custom date (its ms at 00:00 UTC) is set
        // whenever it has a row.
        bool set = custom_date || ms != 0;
        if (op == "exists") {
          return set == v.bool_value();
        }
        if (!set) {
          return false;
        }
        std::optional<int64_t> bound;
        if (op == "before") {
          bound = BeforeBoundMs(v.string_value());
        } else if (op == "after") {
          bound = AfterBoundMs(v.string_value());
        } else if (op == "within_last_days") {
          int64_t days = static_cast<int64_t>(v.number_value());
          bound = internal::WithinBoundMs(now_ms_, days, custom_date);
        }
        if (!bound) {
          return false;
        }
        // SQL compares a custom date's num_value as a double, a built-in time as an integer.
        bool below = custom_date ? number < static_cast<double>(*bound) : ms < *bound;
        return op == "before" ? below : !below;
      }
      case FieldType::kTags:
        return false;
    }
    return false;
  }

  // An automation field: a text or a number of the event, or no value at all.
  bool EventField(const FieldRef& f, std::string_view op, const Value& v) const {
    const std::optional<ConversationFacts>& conv = event_->conversation;
    const std::optional<MessageFacts>& msg = event_->message;
    std::optional<std::string> text;
    std::optional<double> number;
    if (f.name == "conversation.status" && conv) {
      text = conv->status;
    } else if (f.name == "conversation.handler" && conv) {
      text = conv->handler;
    } else if (f.name == "conversation.platform" && conv) {
      text = conv->platform;
    } else if (f.name == "conversation.campaignId" && conv) {
      text = conv->campaign_id;
    } else if (f.name == "conversation.leadScore" && conv) {
      number = conv->lead_score;
    } else if (f.name == "message.text" && msg) {
      text = msg->text;
    } else if (f.name == "message.type" && msg) {
      text = msg->type;
    } else if (f.name == "message.sender" && msg) {
      text = msg->sender;
    } else if (f.name == "event.previousStatus") {
      text = event_->previous_status;
    }
    if (number) {
      return Test(f.type, {}, *number, 0, op, v, false);
    }
    if (!text) {
      return op == "exists" && !v.bool_value();
    }
    return Test(f.type, *text, 0, 0, op, v, false);
  }

  bool Platform(std::string_view op, const Value& v) const {
    if (op == "eq") {
      return Reachable(contact_, v.string_value());
    }
    if (op == "in") {
      return AnyOf(v, [&](const Value& item) { return Reachable(contact_, item.string_value()); });
    }
    if (op == "exists") {
      bool any = contact_.on_facebook || contact_.on_instagram || contact_.on_whatsapp;
      return any == v.bool_value();
    }
    return false;
  }

  bool HasTag(const std::string& value) const {
    std::string tag = FoldAscii(value);
    return std::find(contact_.tags.begin(), contact_.tags.end(), tag) != contact_.tags.end();
  }

  bool Tags(std::string_view op, const Value& v) const {
    if (op == "contains") {
      return HasTag(v.string_value());
    }
    if (op == "in") {
      return AnyOf(v, [&](const Value& item) { return HasTag(item.string_value()); });
    }
    if (op == "exists") {
      return !contact_.tags.empty() == v.bool_value();
    }
    return false;
  }

  const ContactFacts& contact_;
  const CustomFieldDecls& custom_;
  int64_t now_ms_;
  const AutomationFacts* event_;  // null: a segment (contact fields only)
};

}  // namespace

bool MatchesSegmentRule(const common::v1::SegmentRule& rule, const ContactFacts& contact,
                        const CustomFieldDecls& custom, int64_t now_ms) {
  return Evaluator(contact, custom, now_ms).Node(rule);
}

bool MatchesSegmentRule(const common::v1::SegmentRule& rule, const AutomationFacts& facts,
                        const CustomFieldDecls& custom, int64_t now_ms) {
  return Evaluator(facts.contact, custom, now_ms, &facts).Node(rule);
}

}  // namespace salesos::segments
