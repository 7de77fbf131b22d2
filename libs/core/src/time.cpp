#include "salesos/core/time.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace salesos {

int64_t NowUnixMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t NowUnixSeconds() { return NowUnixMillis() / 1000; }

int64_t MonotonicMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string FormatRfc3339(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string FormatRfc3339Millis(int64_t unix_millis) {
  std::time_t t = static_cast<std::time_t>(unix_millis / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_millis % 1000));
  return buf;
}

namespace {
class SystemClockImpl final : public Clock {
 public:
  int64_t NowMillis() const override { return NowUnixMillis(); }
};
}  // namespace

const Clock& SystemClock() {
  static const SystemClockImpl kClock;
  return kClock;
}

std::optional<int64_t> ParseRfc3339Millis(std::string_view t) {
  auto digits = [&](size_t at, size_t n, int* out) {
    if (at + n > t.size()) {
      return false;
    }
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') {
        return false;
      }
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, &year) || t.size() < 20 || t[4] != '-' || !digits(5, 2, &month) ||
      t[7] != '-' || !digits(8, 2, &day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !digits(11, 2, &hour) || t[13] != ':' || !digits(14, 2, &minute) || t[16] != ':' ||
      !digits(17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t at = 19;
  int64_t millis = 0;
  if (at < t.size() && t[at] == '.') {
    ++at;
    size_t start = at;
    int64_t scale = 100;
    while (at < t.size() && t[at] >= '0' && t[at] <= '9') {
      millis += (t[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start) {
      return std::nullopt;
    }
  }
  int64_t offset_minutes = 0;
  if (at < t.size() && (t[at] == 'Z' || t[at] == 'z')) {
    ++at;
  } else if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
    int oh, om;
    if (!digits(at + 1, 2, &oh) || at + 3 >= t.size() || t[at + 3] != ':' ||
        !digits(at + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (t[at] == '+' ? 1 : -1) * (oh * 60 + om);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != t.size()) {
    return std::nullopt;
  }
  // Days from the civil date (Howard Hinnant's algorithm), so no time zone state is involved.
  int y = year - (month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

}  // namespace salesos
