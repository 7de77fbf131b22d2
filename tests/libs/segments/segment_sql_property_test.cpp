// The rule compiler against its oracle: random contacts in conversation's real schema (its
// migrations), random valid rule trees, and on each engine the ids the compiled SQL selects must
// be exactly the ids the in-memory evaluator matches. Plus injection: values that look like SQL
// are parameters and match literally, field names that look like SQL are refused.
//
// The seed is printed on failure; SALESOS_SEGMENTS_SEED=<n> replays it.

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "salesos/segments/catalogue.h"
#include "salesos/segments/contact_facts.h"
#include "salesos/segments/evaluate.h"
#include "salesos/segments/sql.h"
#include "segments_test_migrations.h"
#include "support/databases.h"

namespace salesos::segments {
namespace {

using common::v1::SegmentRule;
using google::protobuf::Value;
using testing::Unwrap;

constexpr int64_t kDayMs = 86'400'000;
// 2026-03-09T13:37:21.123Z: not on a day boundary, so day-precision rounding shows.
constexpr int64_t kNowMs = 1'773'063'441'123;
constexpr int kContacts = 300;
constexpr int kOtherContacts = 60;
constexpr int kTrees = 500;
const char kWorkspace[] = "ws-main";
const char kOtherWorkspace[] = "ws-other";

uint64_t Seed() {
  if (const char* env = std::getenv("SALESOS_SEGMENTS_SEED")) {
    return std::strtoull(env, nullptr, 10);
  }
  return std::random_device{}();
}

const CustomFieldDecls& Declared() {
  static const CustomFieldDecls kDeclared{
      {"size", {CustomFieldType::kString, {}}},
      {"x-y_1", {CustomFieldType::kString, {}}},
      {"shoe", {CustomFieldType::kNumber, {}}},
      {"birthday", {CustomFieldType::kDate, {}}},
      {"vip", {CustomFieldType::kBoolean, {}}},
      {"tier", {CustomFieldType::kEnum, {"gold", "silver", "bronze"}}},
  };
  return kDeclared;
}

// Strings that trip up case folding (non-ASCII letters whose Unicode lower case differs), LIKE
// (wildcards), quoting and SQL.
const std::vector<std::string> kWords = {"Lyon",
                                         "lyon",
                                         "LYON",
                                         "Paris",
                                         "paris",
                                         "Émile",
                                         "émile",
                                         "ÉMILE",
                                         "émilE",
                                         "O'Brien",
                                         "o'brien",
                                         "50%",
                                         "5",
                                         "a_b",
                                         "A_B",
                                         "ab",
                                         "100% sure",
                                         "İstanbul",
                                         "istanbul",
                                         "ß",
                                         "SS",
                                         "Ünal",
                                         "x",
                                         "X",
                                         "'); DELETE FROM contacts; --",
                                         "\" OR 1=1 --",
                                         "back\\slash",
                                         "new\nline",
                                         "tab\there",
                                         " lead",
                                         "Lead ",
                                         "NULL",
                                         "null",
                                         "0",
                                         "Ω",
                                         "ω"};
const std::vector<std::string> kTagPool = {"vip", "new", "b2b",     "Émile",
                                           "50%", "a_b", "o'brien", "ab"};
const std::vector<double> kNumberPool = {
    0,    1,         -1, 0.1, 0.2, 0.30000000000000004, 0.3, 49.99, -3.5, 1000, 1000.0000001,
    1e-9, 12345.678, 70, 100};

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  int64_t Int64(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  // ASCII letters in random case, everything else kept.
  std::string Recase(std::string s) {
    for (char& c : s) {
      if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && Chance(0.5)) {
        c = static_cast<char>(c ^ 0x20);
      }
    }
    return s;
  }

  std::string Word() {
    if (Chance(0.6)) {
      return Pick(kWords);
    }
    static const std::vector<std::string> kPieces = {"a", "A", "b", "B", "é",  "É", "'", "%",
                                                     "_", " ", "o", "O", "\"", ";", "ß"};
    std::string out;
    for (int i = Int(1, 6); i > 0; --i) {
      out += Pick(kPieces);
    }
    return out;
  }

  std::string MaybeWord() { return Chance(0.25) ? "" : Word(); }

  double Number() {
    return Chance(0.6) ? Pick(kNumberPool)
                       : std::uniform_real_distribution<double>(-50, 2000)(rng_);
  }

  // Unix ms around now, 0 (never) a quarter of the time, often on or next to a day boundary.
  int64_t Time() {
    if (Chance(0.25)) {
      return 0;
    }
    int64_t t = kNowMs + Int64(-400 * kDayMs, 2 * kDayMs);
    if (Chance(0.05)) {
      t = -Int64(1, 400) * kDayMs;  // before 1970
    }
    if (Chance(0.3)) {
      t = (t / kDayMs) * kDayMs + Pick(std::vector<int64_t>{0, 1, -1, 500});
    }
    return t == 0 ? 1 : t;
  }

 private:
  std::mt19937_64 rng_;
};

struct Contact {
  std::string id;
  ContactFacts facts;
  std::optional<std::string> facebook_id, instagram_id, whatsapp_id;
  int64_t opted_out = 0;
};

Contact RandomContact(Random& r, const std::string& id, int n) {
  Contact c;
  c.id = id;
  ContactFacts& f = c.facts;
  f.first_name = r.MaybeWord();
  f.last_name = r.MaybeWord();
  f.full_name = f.first_name.empty() && f.last_name.empty() ? r.MaybeWord()
                                                            : f.first_name + " " + f.last_name;
  f.email = r.Chance(0.3) ? "" : r.Recase("émile.o'brien+" + std::to_string(r.Int(0, 9)) + "@x.fr");
  f.phone = r.Pick(std::vector<std::string>{"", "+33612345678", "+14155550000", "+336"});
  f.title = r.MaybeWord();
  f.city = r.MaybeWord();
  f.country = r.Pick(std::vector<std::string>{"", "FR", "fr", "ES", "Es", "DE", "US"});
  f.language = r.Pick(std::vector<std::string>{"", "fr", "FR", "en", "de", "Es"});
  f.account_id = r.Pick(std::vector<std::string>{"", "acc-1", "ACC-1", "acc-2"});
  f.owner_id = r.Pick(std::vector<std::string>{"", "user-1", "User-1", "user-2"});
  f.source = r.Pick(std::vector<std::string>{"chat", "manual", "import", "api"});
  f.journey_stage = r.Pick(
      std::vector<std::string>{"awareness", "interest", "consideration", "purchase", "retention"});
  f.status = r.Pick(
      std::vector<std::string>{"", "active", "qualified", "converted", "closed", "archived"});
  if (r.Chance(0.4)) {
    c.facebook_id = "fb-" + id;
  }
  if (r.Chance(0.4)) {
    c.instagram_id = "ig-" + id;
  }
  if (r.Chance(0.4)) {
    c.whatsapp_id = "wa-" + id;
  }
  if (n == 0) {
    c.facebook_id = "";  // an empty id is no platform (unique per workspace: once)
  }
  f.on_facebook = c.facebook_id && !c.facebook_id->empty();
  f.on_instagram = c.instagram_id && !c.instagram_id->empty();
  f.on_whatsapp = c.whatsapp_id && !c.whatsapp_id->empty();
  f.lead_score = r.Int(-5, 120);
  f.total_spent = r.Number();
  f.orders_count = r.Int(0, 20);
  f.visit_count = r.Chance(0.2) ? -1 : r.Int(0, 20);
  f.created_ms = r.Time();
  f.last_message_ms = r.Time();
  f.last_order_ms = r.Time();
  f.last_visit_ms = r.Time();
  c.opted_out = r.Pick(std::vector<int64_t>{0, 0, 1, 2});
  f.opted_out = c.opted_out != 0;
  std::set<std::string> tags;
  for (int i = r.Int(0, 3); i > 0; --i) {
    std::string tag = r.Pick(kTagPool);
    for (char& ch : tag) {
      ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);  // stored lower-cased
    }
    tags.insert(tag);
  }
  f.tags.assign(tags.begin(), tags.end());
  for (const auto& [key, decl] : Declared()) {
    if (!r.Chance(0.6)) {
      continue;
    }
    CustomValue v;
    switch (decl.type) {
      case CustomFieldType::kString:
        v.text = r.MaybeWord();
        break;
      case CustomFieldType::kNumber:
        v.number = r.Number();
        break;
      case CustomFieldType::kDate: {
        int64_t day = kNowMs / kDayMs + r.Int(-400, 10);
        v.text = DateFromDays(day);
        v.number = static_cast<double>(day * kDayMs);
        break;
      }
      case CustomFieldType::kBoolean:
        v.number = r.Chance(0.5) ? 1 : 0;
        break;
      case CustomFieldType::kEnum:
        v.text = r.Chance(0.1) ? "platinum" : r.Pick(decl.options);  // a since-removed option too
        break;
    }
    f.custom[key] = v;
  }
  return c;
}

store::Value Optional(const std::optional<std::string>& s) {
  return s ? store::Value(*s) : store::Value(store::Null{});
}

void Insert(store::Executor& db, const std::string& workspace, const Contact& c) {
  const ContactFacts& f = c.facts;
  Unwrap(db.Exec(
      "INSERT INTO contacts (id, workspace_id, platform, platform_user_id, first_name, last_name, "
      "full_name, email, phone, created_at, facebook_id, instagram_id, whatsapp_id, title, city, "
      "country, language, account_id, owner_id, source, journey_stage, status, lead_score, "
      "opted_out, total_spent, orders_count, last_order_ms, last_message_ms, visit_count, "
      "last_visit_ms, created_ms) VALUES ($1, $2, '', $3, $4, $5, $6, $7, $8, "
      "'2026-01-01T00:00:00Z', $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, "
      "$22, $23, $24, $25, $26, $27, $28, $29)",
      {c.id,
       workspace,
       c.id,
       f.first_name,
       f.last_name,
       f.full_name,
       f.email,
       f.phone,
       Optional(c.facebook_id),
       Optional(c.instagram_id),
       Optional(c.whatsapp_id),
       f.title,
       f.city,
       f.country,
       f.language,
       f.account_id,
       f.owner_id,
       f.source,
       f.journey_stage,
       f.status,
       static_cast<int64_t>(f.lead_score),
       c.opted_out,
       f.total_spent,
       static_cast<int64_t>(f.orders_count),
       f.last_order_ms,
       f.last_message_ms,
       static_cast<int64_t>(f.visit_count),
       f.last_visit_ms,
       f.created_ms}));
  for (const auto& tag : f.tags) {
    Unwrap(db.Exec("INSERT INTO contact_tags (workspace_id, contact_id, tag) VALUES ($1, $2, $3)",
                   {workspace, c.id, tag}));
  }
  for (const auto& [key, v] : f.custom) {
    Unwrap(db.Exec(
        "INSERT INTO contact_field_values (workspace_id, contact_id, key, text_value, num_value) "
        "VALUES ($1, $2, $3, $4, $5)",
        {workspace, c.id, key, v.text, v.number}));
  }
}

// The test's own view of where each field lives in ContactFacts (independent of the library's),
// so values can be drawn from the data.
std::string TextOf(const ContactFacts& f, const std::string& field) {
  static const std::map<std::string, std::string ContactFacts::*> kText = {
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
      {"ownerId", &ContactFacts::owner_id}};
  auto it = kText.find(field);
  if (it != kText.end()) {
    return f.*(it->second);
  }
  std::string key = field.substr(std::string(kCustomFieldsPrefix).size());
  auto v = f.custom.find(key);
  return v == f.custom.end() ? "" : v->second.text;
}

std::optional<double> NumberOf(const ContactFacts& f, const std::string& field) {
  if (field == "leadScore") {
    return f.lead_score;
  }
  if (field == "totalSpent") {
    return f.total_spent;
  }
  if (field == "ordersCount") {
    return f.orders_count;
  }
  if (field == "visitCount") {
    return f.visit_count;
  }
  auto v = f.custom.find(field.substr(std::string(kCustomFieldsPrefix).size()));
  return v == f.custom.end() ? std::nullopt : std::optional<double>(v->second.number);
}

int64_t TimeOf(const ContactFacts& f, const std::string& field) {
  if (field == "createdAt") {
    return f.created_ms;
  }
  if (field == "lastMessageAt") {
    return f.last_message_ms;
  }
  if (field == "lastOrderAt") {
    return f.last_order_ms;
  }
  if (field == "lastVisit") {
    return f.last_visit_ms;
  }
  auto v = f.custom.find(field.substr(std::string(kCustomFieldsPrefix).size()));
  return v == f.custom.end() ? 0 : static_cast<int64_t>(v->second.number);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

// An RFC 3339 form of `ms`, in some offset and fraction precision.
std::string Rfc3339(Random& r, int64_t ms) {
  int offset_min = r.Pick(std::vector<int>{0, 0, 120, -330});
  int64_t local = ms + offset_min * 60'000LL;
  int64_t day = FloorDiv(local, kDayMs);
  int64_t in_day = local - day * kDayMs;
  char buf[64];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d", static_cast<int>(in_day / 3'600'000),
                static_cast<int>(in_day / 60'000 % 60), static_cast<int>(in_day / 1000 % 60));
  std::string out = DateFromDays(day) + buf;
  int frac = static_cast<int>(in_day % 1000);
  switch (r.Int(0, 3)) {
    case 0:
      break;  // whole seconds
    case 1:
      std::snprintf(buf, sizeof buf, ".%03d", frac);
      out += buf;
      break;
    case 2:
      std::snprintf(buf, sizeof buf, ".%03d%d", frac, r.Int(0, 9));  // finer than a ms
      out += buf;
      break;
    default:
      std::snprintf(buf, sizeof buf, ".%d", frac / 100);
      out += buf;
  }
  if (offset_min == 0) {
    return out + (r.Chance(0.5) ? "Z" : "+00:00");
  }
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_min < 0 ? '-' : '+',
                std::abs(offset_min) / 60, std::abs(offset_min) % 60);
  return out + buf;
}

Value StringValue(const std::string& s) {
  Value v;
  v.set_string_value(s);
  return v;
}
Value NumberValue(double d) {
  Value v;
  v.set_number_value(d);
  return v;
}
Value BoolValue(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}

bool IsBlank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// A valid substring (whole UTF-8 characters) of `s`.
std::string Substring(Random& r, const std::string& s) {
  std::vector<size_t> starts;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      starts.push_back(i);
    }
  }
  size_t a = r.Int(0, static_cast<int>(starts.size()) - 1);
  size_t b = r.Int(static_cast<int>(a), static_cast<int>(starts.size()) - 1);
  return s.substr(starts[a], starts[b] - starts[a]);
}

class TreeMaker {
 public:
  TreeMaker(Random& r, const std::vector<Contact>& contacts) : r_(r), contacts_(contacts) {
    for (const auto& f : ContactFields()) {
      if (CustomFieldKey(f.name).empty()) {
        fields_.push_back({std::string(f.name), f.type, {f.values.begin(), f.values.end()}});
      }
    }
    for (const auto& [key, decl] : Declared()) {
      fields_.push_back({std::string(kCustomFieldsPrefix) + key, FieldTypeOf(decl.type),
                         std::vector<std::string>(decl.options.begin(), decl.options.end())});
    }
  }

  SegmentRule Tree() {
    budget_ = kMaxConditions;
    return Group(1);
  }

 private:
  struct Field {
    std::string name;
    FieldType type;
    std::vector<std::string> values;
  };

  SegmentRule Group(int depth) {
    SegmentRule g;
    g.set_op(r_.Chance(0.5) ? "and" : "or");
    g.set_not_(r_.Chance(0.2));
    int n = r_.Int(1, depth == 1 ? 5 : 3);
    for (int i = 0; i < n && (i == 0 || budget_ > 0); ++i) {
      if (depth < kMaxDepth && r_.Chance(0.3) && budget_ > 1) {
        *g.add_conditions() = Group(depth + 1);
      } else {
        *g.add_conditions() = Condition();
      }
    }
    return g;
  }

  const ContactFacts& SomeContact() { return r_.Pick(contacts_).facts; }

  SegmentRule Condition() {
    --budget_;
    const Field& f = r_.Pick(fields_);
    std::vector<std::string_view> ops = OperatorsFor(f.type);
    std::string op(r_.Pick(ops));
    SegmentRule c;
    c.set_field(f.name);
    c.set_operator_(op);
    c.set_not_(r_.Chance(0.1));
    if (op == "exists") {
      *c.mutable_value() = BoolValue(r_.Chance(0.5));
    } else if (op == "in" || op == "not_in") {
      auto* list = c.mutable_value()->mutable_list_value();
      for (int i = r_.Int(1, 4); i > 0; --i) {
        *list->add_values() = Scalar(f, "eq");
      }
    } else {
      *c.mutable_value() = Scalar(f, op);
    }
    return c;
  }

  Value Scalar(const Field& f, const std::string& op) {
    bool from_data = r_.Chance(0.5);
    switch (f.type) {
      case FieldType::kEnum:
        if (f.name == "platform" || !from_data) {
          return StringValue(r_.Pick(f.values));
        }
        {
          const ContactFacts& c = SomeContact();
          if (f.name == "source") {
            return StringValue(c.source);
          }
          if (f.name == "journeyStage") {
            return StringValue(c.journey_stage);
          }
          if (f.name == "status" && !c.status.empty()) {
            return StringValue(c.status);
          }
          if (!CustomFieldKey(f.name).empty()) {
            std::string v = TextOf(c, f.name);
            if (std::find(f.values.begin(), f.values.end(), v) != f.values.end()) {
              return StringValue(v);
            }
          }
        }
        return StringValue(r_.Pick(f.values));
      case FieldType::kString: {
        if (f.name == "language") {
          return StringValue(r_.Pick(std::vector<std::string>{"fr", "en", "de", "es"}));
        }
        if (f.name == "country") {
          return StringValue(r_.Pick(std::vector<std::string>{"FR", "ES", "DE", "US"}));
        }
        std::string s = from_data ? TextOf(SomeContact(), f.name) : r_.Word();
        if (from_data && op == "contains") {
          s = Substring(r_, s);
        }
        s = r_.Recase(s);
        return StringValue(IsBlank(s) ? r_.Pick(kWords) : s);
      }
      case FieldType::kTags: {
        const auto& tags = SomeContact().tags;
        std::string tag = from_data && !tags.empty() ? r_.Pick(tags) : r_.Pick(kTagPool);
        return StringValue(r_.Recase(r_.Chance(0.1) ? "ÉMILE" : tag));
      }
      case FieldType::kNumber: {
        std::optional<double> n = from_data ? NumberOf(SomeContact(), f.name) : std::nullopt;
        return NumberValue(n ? *n : r_.Number());
      }
      case FieldType::kBoolean:
        return BoolValue(r_.Chance(0.5));
      case FieldType::kTime: {
        if (op == "within_last_days") {
          return NumberValue(r_.Pick(std::vector<double>{1, 2, 7, 30, 90, 365, 36500}));
        }
        int64_t t = TimeOf(SomeContact(), f.name);
        if (!from_data || t == 0) {
          t = kNowMs + r_.Int64(-400 * kDayMs, 2 * kDayMs);
        }
        if (r_.Chance(0.5)) {
          return StringValue(DateFromDays(FloorDiv(t, kDayMs) + r_.Int(-1, 1)));
        }
        return StringValue(Rfc3339(r_, t + r_.Pick(std::vector<int64_t>{0, 0, 1, -1})));
      }
    }
    return StringValue("?");
  }

  Random& r_;
  const std::vector<Contact>& contacts_;
  std::vector<Field> fields_;
  int budget_ = 0;
};

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

std::string Describe(const Contact& c) {
  const ContactFacts& f = c.facts;
  std::ostringstream out;
  out << c.id << " {first_name=" << f.first_name << " last_name=" << f.last_name
      << " city=" << f.city << " country=" << f.country << " language=" << f.language
      << " status=" << f.status << " fb=" << f.on_facebook << " ig=" << f.on_instagram
      << " wa=" << f.on_whatsapp << " lead=" << f.lead_score << " spent=" << f.total_spent
      << " visits=" << f.visit_count << " created=" << f.created_ms
      << " last_msg=" << f.last_message_ms << " last_order=" << f.last_order_ms
      << " last_visit=" << f.last_visit_ms << " opted_out=" << f.opted_out << " tags=";
  for (const auto& t : f.tags) {
    out << t << ",";
  }
  out << " custom=";
  for (const auto& [k, v] : f.custom) {
    out << k << ":" << v.text << "/" << v.number << ",";
  }
  out << "}";
  return out.str();
}

std::set<std::string> SelectIds(store::Store& db, const SegmentRule& rule) {
  auto compiled = CompileSegmentRule(rule, Declared(), DialectOf(db.Engine()), kNowMs, 2);
  INFO(compiled.status().ToString());
  REQUIRE(compiled.ok());
  store::Params params{std::string(kWorkspace)};
  params.insert(params.end(), compiled->params.begin(), compiled->params.end());
  std::string sql =
      "SELECT c.id FROM contacts c WHERE c.workspace_id = $1 AND (" + compiled->where + ")";
  INFO(sql);
  auto rows = Unwrap(db.Query(sql, params));
  std::set<std::string> ids;
  for (const auto& row : rows) {
    ids.insert(row.GetText(0));
  }
  return ids;
}

void SqlMatchesTheEvaluator(store::Store& db) {
  uint64_t seed = Seed();
  INFO("seed " << seed << " (SALESOS_SEGMENTS_SEED=" << seed << " replays it)");
  Random r(seed);
  std::vector<Contact> contacts;
  REQUIRE_OK(db.InTransaction([&](store::Executor& tx) {
    for (int i = 0; i < kContacts; ++i) {
      contacts.push_back(RandomContact(r, "c" + std::to_string(i), i));
      Insert(tx, kWorkspace, contacts.back());
    }
    // Another workspace's contacts, never returned.
    for (int i = 0; i < kOtherContacts; ++i) {
      Insert(tx, kOtherWorkspace, RandomContact(r, "o" + std::to_string(i), i));
    }
    return OkStatus();
  }));

  TreeMaker maker(r, contacts);
  int nonempty = 0, partial = 0;
  for (int t = 0; t < kTrees; ++t) {
    SegmentRule tree = maker.Tree();
    INFO("tree " << t << ": " << Json(tree));
    Status valid = ValidateSegmentRule(tree, "rules", &Declared());
    INFO(valid.ToString());
    REQUIRE(valid.ok());
    std::set<std::string> expected;
    for (const auto& c : contacts) {
      if (MatchesSegmentRule(tree, c.facts, Declared(), kNowMs)) {
        expected.insert(c.id);
      }
    }
    std::set<std::string> got = SelectIds(db, tree);
    if (got != expected) {
      std::string diff;
      for (const auto& c : contacts) {
        if (got.count(c.id) != expected.count(c.id)) {
          diff += (got.count(c.id) ? "\nSQL only: " : "\nevaluator only: ") + Describe(c);
        }
      }
      for (const auto& id : got) {
        if (id[0] == 'o') {
          diff += "\nanother workspace's contact: " + id;
        }
      }
      FAIL("the SQL and the evaluator disagree on " << db.Engine() << ":" << diff);
    }
    nonempty += expected.empty() ? 0 : 1;
    partial += !expected.empty() && expected.size() < contacts.size() ? 1 : 0;
  }
  // The trees must discriminate, or the property says little.
  CHECK(partial > kTrees / 3);
  CHECK(nonempty > kTrees / 2);
}

SALESOS_TEST_BOTH_ENGINES(
    "compiled segment rules select exactly the contacts the evaluator matches", "[segments][sql]",
    segments_test_migrations(), "segments_prop", SqlMatchesTheEvaluator)

SegmentRule FromJson(const std::string& json) {
  SegmentRule rule;
  auto status = google::protobuf::util::JsonStringToMessage(json, &rule);
  INFO(json);
  REQUIRE(status.ok());
  return rule;
}

int64_t CountRows(store::Store& db, const std::string& table) {
  return Unwrap(db.Query("SELECT COUNT(*) FROM " + table)).front().GetInt(0);
}

void ValuesThatLookLikeSqlMatchLiterally(store::Store& db) {
  const std::string evil = "'); DELETE FROM contacts; --";
  const std::string evil_tag = "x'); drop table contact_tags; --";
  Random r(7);
  std::vector<Contact> contacts;
  REQUIRE_OK(db.InTransaction([&](store::Executor& tx) {
    for (int i = 0; i < 5; ++i) {
      contacts.push_back(RandomContact(r, "c" + std::to_string(i), i));
    }
    contacts[1].facts.first_name = evil;
    contacts[2].facts.tags = {evil_tag};
    contacts[3].facts.custom["size"] = CustomValue{"x' OR '1'='1", 0};
    contacts[4].facts.city = "100%";
    for (const auto& c : contacts) {
      Insert(tx, kWorkspace, c);
    }
    return OkStatus();
  }));
  int64_t before = CountRows(db, "contacts");
  int64_t tags_before = CountRows(db, "contact_tags");

  auto ids = [&](const std::string& json) {
    auto got = SelectIds(db, FromJson(json));
    return std::vector<std::string>(got.begin(), got.end());
  };
  CHECK(ids(R"({"op":"and","conditions":[{"field":"firstName","operator":"eq","value":"')"
            R"(); DELETE FROM contacts; --"}]})") == std::vector<std::string>{"c1"});
  CHECK(ids(R"({"op":"and","conditions":[{"field":"tags","operator":"contains","value":"X'); )"
            R"(DROP TABLE contact_tags; --"}]})") == std::vector<std::string>{"c2"});
  CHECK(ids(R"({"op":"or","conditions":[{"field":"customFields.size","operator":"in","value":)"
            R"(["x' OR '1'='1", "' OR ''='"]}]})") == std::vector<std::string>{"c3"});
  // '%' and '_' are not wildcards.
  CHECK(ids(R"({"op":"and","conditions":[{"field":"city","operator":"contains","value":"0%"}]})") ==
        std::vector<std::string>{"c4"});
  std::vector<std::string> underscored;
  for (const auto& c : contacts) {
    if (c.facts.city.find('_') != std::string::npos) {
      underscored.push_back(c.id);
    }
  }
  CHECK(ids(R"({"op":"and","conditions":[{"field":"city","operator":"contains","value":"_"}]})") ==
        underscored);
  CHECK(CountRows(db, "contacts") == before);
  CHECK(CountRows(db, "contact_tags") == tags_before);

  // Field names never reach SQL: ones that look like it are unknown fields.
  for (const std::string field :
       {"firstName; DROP TABLE contacts", "customFields.x' OR '1'='1", "first_name"}) {
    SegmentRule rule;
    rule.set_op("and");
    SegmentRule* c = rule.add_conditions();
    c->set_field(field);
    c->set_operator_("eq");
    c->mutable_value()->set_string_value("a");
    auto compiled = CompileSegmentRule(rule, Declared(), DialectOf(db.Engine()), kNowMs, 2);
    REQUIRE(compiled.status().code() == Code::kInvalidArgument);
    REQUIRE(compiled.status().violations().size() == 1);
    CHECK(compiled.status().violations().front().field == "rules.conditions[0].field");
  }
  CHECK(CountRows(db, "contacts") == before);
}

SALESOS_TEST_BOTH_ENGINES("values that look like SQL are parameters and match literally",
                          "[segments][sql][injection]", segments_test_migrations(), "segments_inj",
                          ValuesThatLookLikeSqlMatchLiterally)

}  // namespace
}  // namespace salesos::segments
