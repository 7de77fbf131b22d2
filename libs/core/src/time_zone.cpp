#include "salesos/core/time_zone.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace salesos {
namespace {

constexpr int64_t kDay = 86400;
// Bigger files are not time zones (a fat TZif file is a few KiB).
constexpr size_t kMaxTzifBytes = 256 * 1024;

int64_t ReadBigEndian(std::string_view bytes, size_t at, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  }
  if (width == 4) {
    return static_cast<int32_t>(static_cast<uint32_t>(v));
  }
  return static_cast<int64_t>(v);
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.front() == '.') {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) {
      return false;
    }
  }
  return name.find("..") == std::string_view::npos && name.find("//") == std::string_view::npos;
}

std::string ZoneInfoDir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

// Parsing of the POSIX TZ rule, left to right.
class RuleParser {
 public:
  explicit RuleParser(std::string_view s) : s_(s) {}

  bool Name() {
    if (Peek() == '<') {
      const size_t close = s_.find('>', i_);
      if (close == std::string_view::npos) {
        return false;
      }
      i_ = close + 1;
      return true;
    }
    const size_t begin = i_;
    while (i_ < s_.size() &&
           ((s_[i_] >= 'a' && s_[i_] <= 'z') || (s_[i_] >= 'A' && s_[i_] <= 'Z'))) {
      ++i_;
    }
    return i_ - begin >= 3;
  }
  // [+-]hh[:mm[:ss]] as seconds; `max_hours` bounds hh.
  bool Time(int64_t* out, int max_hours) {
    int sign = 1;
    if (Peek() == '+' || Peek() == '-') {
      sign = s_[i_++] == '-' ? -1 : 1;
    }
    int64_t parts[3] = {0, 0, 0};
    for (int p = 0; p < 3; ++p) {
      if (p > 0) {
        if (Peek() != ':') {
          break;
        }
        ++i_;
      }
      int64_t v = 0;
      if (!Number(&v)) {
        return false;
      }
      parts[p] = v;
    }
    if (parts[0] > max_hours || parts[1] > 59 || parts[2] > 59) {
      return false;
    }
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return true;
  }
  bool Date(TimeZone::Rule::Date* d) {
    int64_t a = 0, b = 0, c = 0;
    if (Peek() == 'J') {
      ++i_;
      if (!Number(&a) || a < 1 || a > 365) {
        return false;
      }
      d->kind = 'J';
      d->day = static_cast<int>(a);
    } else if (Peek() == 'M') {
      ++i_;
      if (!Number(&a) || !Eat('.') || !Number(&b) || !Eat('.') || !Number(&c) || a < 1 || a > 12 ||
          b < 1 || b > 5 || c > 6) {
        return false;
      }
      d->kind = 'M';
      d->month = static_cast<int>(a);
      d->week = static_cast<int>(b);
      d->day = static_cast<int>(c);
    } else {
      if (!Number(&a) || a > 365) {
        return false;
      }
      d->kind = 'D';
      d->day = static_cast<int>(a);
    }
    d->time = 7200;
    if (Eat('/')) {
      return Time(&d->time, 167);
    }
    return true;
  }
  bool Eat(char c) {
    if (Peek() != c) {
      return false;
    }
    ++i_;
    return true;
  }
  bool AtEnd() const { return i_ == s_.size(); }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

 private:
  bool Number(int64_t* out) {
    const size_t begin = i_;
    int64_t v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9' && i_ - begin < 6) {
      v = v * 10 + (s_[i_] - '0');
      ++i_;
    }
    *out = v;
    return i_ > begin;
  }
  std::string_view s_;
  size_t i_ = 0;
};

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Local seconds (since the epoch, in the rule's standard or daylight wall time) at which `d`
// happens in `year`.
int64_t RuleDateLocal(const TimeZone::Rule::Date& d, int64_t year) {
  int64_t day = DaysFromCivil(year, 1, 1);
  if (d.kind == 'J') {
    day += d.day - 1 + (IsLeap(year) && d.day >= 60 ? 1 : 0);
  } else if (d.kind == 'D') {
    day += d.day;
  } else {
    const int64_t first = DaysFromCivil(year, d.month, 1);
    // Sunday = 0 in the rule; WeekdayFromDays has Monday = 0.
    const int first_weekday = (WeekdayFromDays(first) + 1) % 7;
    int64_t dom = 1 + (d.day - first_weekday + 7) % 7 + 7 * (d.week - 1);
    static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int64_t days_in_month = kMonthDays[d.month - 1] + (d.month == 2 && IsLeap(year) ? 1 : 0);
    while (dom > days_in_month) {
      dom -= 7;  // week 5: the last such weekday
    }
    day = first + dom - 1;
  }
  return day * kDay + d.time;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

int WeekdayFromDays(int64_t days) {
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

Result<TimeZone::Rule> TimeZone::ParseRule(std::string_view text) {
  const Status bad = InvalidArgument("bad TZ rule: " + std::string(text));
  RuleParser p(text);
  Rule rule;
  int64_t posix_offset = 0;
  if (!p.Name() || !p.Time(&posix_offset, 24)) {
    return bad;
  }
  rule.std_offset = -posix_offset;  // POSIX counts west of UTC as positive
  if (p.AtEnd()) {
    return rule;
  }
  if (!p.Name()) {
    return bad;
  }
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (p.Peek() != ',' && !p.AtEnd()) {
    if (!p.Time(&posix_offset, 24)) {
      return bad;
    }
    rule.dst_offset = -posix_offset;
  }
  if (p.AtEnd()) {
    // No dates: POSIX leaves them to the implementation; the US rules are the usual choice.
    rule.start = {'M', 0, 2, 3, 7200};
    rule.end = {'M', 0, 1, 11, 7200};
    return rule;
  }
  if (!p.Eat(',') || !p.Date(&rule.start) || !p.Eat(',') || !p.Date(&rule.end) || !p.AtEnd()) {
    return bad;
  }
  return rule;
}

Result<TimeZone> TimeZone::FromTzif(std::string name, std::string_view tzif) {
  const Status bad = InvalidArgument("the tz database file of " + name + " is not TZif");
  constexpr size_t kHeader = 44;
  if (tzif.size() < kHeader || tzif.substr(0, 4) != "TZif") {
    return bad;
  }
  auto counts = [&](size_t at, int64_t c[6]) {
    for (int i = 0; i < 6; ++i) {
      c[i] = ReadBigEndian(tzif, at + 20 + 4 * i, 4);
      if (c[i] < 0) {
        return false;
      }
    }
    return true;
  };
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  int64_t c[6];
  if (!counts(0, c)) {
    return bad;
  }
  const char version = tzif[4];
  size_t at = kHeader;
  int time_width = 4;
  if (version >= '2') {
    // Skip the 32-bit block; the 64-bit one follows with a header of its own.
    at += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (tzif.size() < at + kHeader || tzif.substr(at, 4) != "TZif" || !counts(at, c)) {
      return bad;
    }
    at += kHeader;
    time_width = 8;
  }
  const int64_t timecnt = c[3], typecnt = c[4];
  const size_t block =
      timecnt * time_width + timecnt + typecnt * 6 + c[5] + c[2] * (time_width + 4) + c[1] + c[0];
  if (typecnt < 1 || tzif.size() < at + block) {
    return bad;
  }
  TimeZone tz;
  tz.name_ = std::move(name);
  const size_t types_at = at + timecnt * time_width + timecnt;
  std::vector<int64_t> type_offsets(typecnt);
  for (int64_t t = 0; t < typecnt; ++t) {
    type_offsets[t] = ReadBigEndian(tzif, types_at + 6 * t, 4);
  }
  for (int64_t i = 0; i < timecnt; ++i) {
    const auto index = static_cast<unsigned char>(tzif[at + timecnt * time_width + i]);
    if (index >= typecnt) {
      return bad;
    }
    tz.transitions_.push_back(ReadBigEndian(tzif, at + i * time_width, time_width));
    tz.offsets_.push_back(type_offsets[index]);
  }
  if (!std::is_sorted(tz.transitions_.begin(), tz.transitions_.end())) {
    return bad;
  }
  tz.initial_offset_ = type_offsets[0];
  if (version >= '2') {
    const size_t footer = at + block;
    if (footer < tzif.size() && tzif[footer] == '\n') {
      const size_t end = tzif.find('\n', footer + 1);
      std::string_view text = tzif.substr(
          footer + 1, end == std::string_view::npos ? std::string_view::npos : end - footer - 1);
      if (!text.empty()) {
        auto rule = ParseRule(text);
        if (!rule.ok()) {
          return rule.status();
        }
        tz.rule_ = *rule;
        tz.has_rule_ = true;
      }
    }
  }
  return tz;
}

TimeZone TimeZone::Utc() {
  TimeZone tz;
  tz.name_ = "UTC";
  return tz;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Load(std::string_view name,
                                                       std::string_view field) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> cache;
  const std::string f(field);
  if (!ValidName(name)) {
    return FieldError(f, "must be an IANA time zone name such as Europe/Paris");
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(name); it != cache.end()) {
      return it->second;
    }
  }
  std::shared_ptr<const TimeZone> zone;
  if (name == "UTC" || name == "Etc/UTC") {
    auto utc = std::make_shared<TimeZone>(Utc());
    utc->name_ = std::string(name);
    zone = std::move(utc);
  } else {
    std::ifstream in(ZoneInfoDir() + "/" + std::string(name), std::ios::binary);
    std::ostringstream bytes;
    if (in) {
      bytes << in.rdbuf();
    }
    const std::string data = bytes.str();
    if (!in || data.size() > kMaxTzifBytes) {
      return FieldError(
          f, "unknown time zone " + std::string(name) + " (an IANA name such as Europe/Paris)");
    }
    auto parsed = FromTzif(std::string(name), data);
    if (!parsed.ok()) {
      return FieldError(
          f, "unknown time zone " + std::string(name) + " (an IANA name such as Europe/Paris)");
    }
    zone = std::make_shared<const TimeZone>(std::move(*parsed));
  }
  std::lock_guard<std::mutex> lock(mu);
  // A bounded cache: names are checked above, but the files under zoneinfo are many.
  if (cache.size() < 1024) {
    cache.emplace(std::string(name), zone);
  }
  return zone;
}

int64_t TimeZone::OffsetAt(int64_t utc) const {
  if (transitions_.empty() || utc < transitions_.front()) {
    if (transitions_.empty() && has_rule_) {
      return RuleOffsetAt(utc);
    }
    return initial_offset_;
  }
  if (utc >= transitions_.back() && has_rule_) {
    return RuleOffsetAt(utc);
  }
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  return offsets_[it - transitions_.begin() - 1];
}

int64_t TimeZone::RuleOffsetAt(int64_t utc) const {
  if (!rule_.has_dst) {
    return rule_.std_offset;
  }
  const int64_t year = CivilFromDays(FloorDiv(utc + rule_.std_offset, kDay)).year;
  // The year's change to daylight time happens in standard wall time, the change back in daylight
  // wall time. Neighbouring years too: rules whose dates spill over a year's end.
  for (int64_t y = year + 1; y >= year - 1; --y) {
    const int64_t start = RuleDateLocal(rule_.start, y) - rule_.std_offset;
    const int64_t end = RuleDateLocal(rule_.end, y) - rule_.dst_offset;
    if (start < end) {  // northern hemisphere: daylight time inside the year
      if (utc >= end) {
        return rule_.std_offset;
      }
      if (utc >= start) {
        return rule_.dst_offset;
      }
    } else {  // southern: daylight time across the year's end
      if (utc >= start) {
        return rule_.dst_offset;
      }
      if (utc >= end) {
        return rule_.std_offset;
      }
    }
  }
  return rule_.std_offset;
}

int64_t TimeZone::FromLocal(int64_t local) const {
  // The offsets in force around `local`: a candidate is right when it maps back to `local`.
  const int64_t before = OffsetAt(local - kDay);
  const int64_t after = OffsetAt(local + kDay);
  int64_t best = 0;
  bool found = false;
  for (int64_t offset : {before, after, OffsetAt(local)}) {
    const int64_t utc = local - offset;
    if (ToLocal(utc) == local && (!found || utc < best)) {
      best = utc;
      found = true;
    }
  }
  return found ? best : local - before;  // in a gap: where the gap ends
}

}  // namespace salesos
