#pragma once

// A contact as segment rules see it: the plain values the evaluator (evaluate.h) tests and the
// columns the SQL compiler (sql.h) reads hold the same facts. Pure data.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace salesos::segments {

struct CustomValue {
  std::string text;   // string / enum value, or a date "YYYY-MM-DD"
  double number = 0;  // number; boolean 0/1; a date's Unix ms at 00:00 UTC
};

struct ContactFacts {
  std::string first_name, last_name, full_name, email, phone, title, city, country, language;
  std::string account_id, owner_id;
  std::string source;         // chat | manual | import | api
  std::string journey_stage;  // awareness | interest | consideration | purchase | retention
  std::string status;         // the latest conversation's status, "" before any
  // The platforms the contact is reachable on: that platform id is set (not NULL, not '').
  bool on_facebook = false, on_instagram = false, on_whatsapp = false;
  double lead_score = 0, total_spent = 0, orders_count = 0, visit_count = 0;
  // Unix ms; 0 means never / no value.
  int64_t created_ms = 0, last_message_ms = 0, last_order_ms = 0, last_visit_ms = 0;
  bool opted_out = false;
  std::vector<std::string> tags;              // lower-cased (ASCII), as stored
  std::map<std::string, CustomValue> custom;  // only the fields that have a value
};

}  // namespace salesos::segments
