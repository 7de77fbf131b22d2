#pragma once

#include <string>
#include <string_view>

#include "salesos/core/status.h"

namespace salesos::redis::internal {

// Where and how to connect, parsed from a redis:// or unix:// URL.
struct Endpoint {
  std::string host;  // empty for a unix socket
  int port = 6379;
  std::string socket_path;  // set for a unix socket
  std::string user;         // Redis 6 ACL user; empty for the default user
  std::string password;     // empty: no AUTH
  int db = 0;

  // "host:port/db" or "unix:/path?db=N", never the password: safe for logs and error messages.
  std::string Describe() const;
};

// kInvalidArgument with a message naming what is wrong for a malformed or unsupported URL.
Result<Endpoint> ParseUrl(std::string_view url);

}  // namespace salesos::redis::internal
