#pragma once

#include <string>
#include <string_view>

namespace salesos::redis::internal {

// The lowercase hex SHA1 of `data`: the name EVALSHA knows a script by. Not for security.
std::string Sha1Hex(std::string_view data);

}  // namespace salesos::redis::internal
