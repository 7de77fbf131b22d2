#include "url.h"

#include <cctype>
#include <charconv>

namespace salesos::redis::internal {
namespace {

bool ParseInt(std::string_view s, int min, int max, int* out) {
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value < min || value > max) {
    return false;
  }
  *out = value;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

// Passwords may hold ':', '@', '/' or '?' only percent-encoded, as in any URL.
bool PercentDecode(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) {
      return false;
    }
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

Status Bad(std::string_view why) {
  return InvalidArgument("redis url: " + std::string(why) +
                         " (expected redis://[[user]:password@]host[:port][/db] or "
                         "unix://[[user]:password@]/path/to/sock[?db=N])");
}

// "[user]:password" before the '@'.
Status ParseUserInfo(std::string_view info, Endpoint* ep) {
  size_t colon = info.find(':');
  if (colon == std::string_view::npos) {
    // "redis://secret@host" is ambiguous (user or password?); Redis' own tools read it as a user
    // with no password, which can never authenticate, so refuse it with a hint.
    return Bad("userinfo needs a ':' before the password, e.g. redis://:password@host");
  }
  if (!PercentDecode(info.substr(0, colon), &ep->user) ||
      !PercentDecode(info.substr(colon + 1), &ep->password)) {
    return Bad("bad percent-encoding in userinfo");
  }
  return OkStatus();
}

Status ParseQuery(std::string_view query, bool* db_seen, Endpoint* ep) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return Bad("query parameter without '=': " + std::string(pair));
    }
    std::string_view key = pair.substr(0, eq);
    std::string_view value = pair.substr(eq + 1);
    if (key == "db") {
      if (*db_seen) {
        return Bad("db given twice");
      }
      if (!ParseInt(value, 0, 1 << 20, &ep->db)) {
        return Bad("db must be a non-negative integer");
      }
      *db_seen = true;
    } else if (key == "password") {
      if (!ep->password.empty()) {
        return Bad("password given twice");
      }
      if (!PercentDecode(value, &ep->password)) {
        return Bad("bad percent-encoding in password");
      }
    } else {
      // Unknown parameters are refused rather than ignored: a typo must not silently connect to
      // the wrong database.
      return Bad("unknown query parameter '" + std::string(key) + "'");
    }
  }
  return OkStatus();
}

}  // namespace

std::string Endpoint::Describe() const {
  if (!socket_path.empty()) {
    return "unix:" + socket_path + (db != 0 ? "?db=" + std::to_string(db) : "");
  }
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port) + (db != 0 ? "/" + std::to_string(db) : "");
}

Result<Endpoint> ParseUrl(std::string_view url) {
  constexpr std::string_view kRedis = "redis://";
  constexpr std::string_view kUnix = "unix://";
  Endpoint ep;
  bool unix_socket = false;
  std::string_view rest;
  if (url.substr(0, kRedis.size()) == kRedis) {
    rest = url.substr(kRedis.size());
  } else if (url.substr(0, kUnix.size()) == kUnix) {
    rest = url.substr(kUnix.size());
    unix_socket = true;
  } else if (url.substr(0, 9) == "rediss://") {
    return Bad("rediss:// (TLS) is not supported by this build");
  } else {
    return Bad("unsupported scheme in '" + std::string(url.substr(0, url.find(':'))) + "'");
  }

  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  // In a unix URL the userinfo must come before the path (a socket path may hold '@'); in a
  // redis:// URL it ends at the last '@', so an unencoded '@' or '/' in a password still parses.
  size_t path_start = rest.find('/');
  if (!unix_socket) {
    size_t at = rest.rfind('@');
    path_start = rest.find('/', at == std::string_view::npos ? 0 : at + 1);
  }
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    SALESOS_RETURN_IF_ERROR(ParseUserInfo(authority.substr(0, at), &ep));
    authority = authority.substr(at + 1);
  }

  bool db_seen = false;
  if (unix_socket) {
    if (!authority.empty()) {
      return Bad("a unix URL has no host: write unix:///path/to/sock");
    }
    if (path.size() < 2) {
      return Bad("missing socket path");
    }
    ep.socket_path = std::string(path);
  } else {
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
      size_t close = authority.find(']');
      if (close == std::string_view::npos) {
        return Bad("unterminated '[' in host");
      }
      host = authority.substr(1, close - 1);
      std::string_view after = authority.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') {
          return Bad("unexpected text after ']'");
        }
        port = after.substr(1);
        if (port.empty()) {
          return Bad("empty port");
        }
      }
    } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) {
        return Bad("empty port");
      }
    }
    if (host.empty()) {
      return Bad("missing host");
    }
    ep.host = std::string(host);
    if (!port.empty() && !ParseInt(port, 1, 65535, &ep.port)) {
      return Bad("port must be 1-65535");
    }
    if (path.size() > 1) {
      if (!ParseInt(path.substr(1), 0, 1 << 20, &ep.db)) {
        return Bad("db in the path must be a non-negative integer");
      }
      db_seen = true;
    }
  }
  SALESOS_RETURN_IF_ERROR(ParseQuery(query, &db_seen, &ep));
  return ep;
}

}  // namespace salesos::redis::internal
