#include "salesos/core/ids.h"

#include <sys/random.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "salesos/core/time.h"

namespace salesos {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      std::perror("getrandom");
      std::abort();
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

std::string HexEncode(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

std::string RandomHex(size_t n_bytes) { return HexEncode(RandomBytes(n_bytes)); }

std::string NewUuidV7() { return NewUuidV7(NowUnixMillis()); }

std::string NewUuidV7(int64_t unix_millis) {
  // rand_a (12 bits) is a counter within one millisecond so that ids sort in creation order.
  static std::mutex mu;
  static int64_t last_ms = 0;
  static uint16_t seq = 0;
  uint16_t counter;
  {
    std::lock_guard lock(mu);
    if (unix_millis <= last_ms) {
      unix_millis = last_ms;
      if (++seq > 0x0fff) {
        seq = 0;
        unix_millis = ++last_ms;
      }
    } else {
      last_ms = unix_millis;
      seq = 0;
    }
    counter = seq;
  }
  std::string r = RandomBytes(8);
  unsigned char b[16];
  auto ms = static_cast<uint64_t>(unix_millis);
  for (int i = 0; i < 6; ++i) {
    b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  }
  b[6] = static_cast<unsigned char>(0x70 | ((counter >> 8) & 0x0f));
  b[7] = static_cast<unsigned char>(counter & 0xff);
  for (int i = 0; i < 8; ++i) {
    b[8 + i] = static_cast<unsigned char>(r[i]);
  }
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

int64_t UuidV7Millis(const std::string& uuid) {
  if (!IsUuid(uuid) || uuid[14] != '7') {
    return 0;
  }
  int64_t ms = 0;
  for (size_t i = 0; i < 13; ++i) {
    if (i == 8) {
      continue;  // the dash
    }
    char c = uuid[i];
    int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    ms = ms * 16 + v;
  }
  return ms;
}

bool IsUuid(const std::string& s) {
  if (s.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') {
        return false;
      }
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace salesos
