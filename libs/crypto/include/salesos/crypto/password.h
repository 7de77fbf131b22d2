#pragma once

// Password hashing with argon2id (libsodium). Hashes are self-describing PHC strings
// ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"), so VerifyPassword checks hashes made at any cost
// and the cost can be raised later without a migration. Thread-safe; libsodium is initialised once
// on first use.

#include <cstddef>
#include <string>
#include <string_view>

#include "salesos/core/status.h"

namespace salesos::crypto {

// argon2id with libsodium's INTERACTIVE limits (2 passes, 64 MiB) unless SetPasswordHashCost
// lowered them. kResourceExhausted when the memory cannot be allocated.
Result<std::string> HashPassword(std::string_view password);
// False for a wrong password and for anything that is not a valid argon2 hash string.
bool VerifyPassword(std::string_view hash, std::string_view password);

// Sets the cost of later HashPassword calls in this process, for tests and benchmarks that would
// otherwise spend ~100 ms and 64 MiB a hash. Production code must not call it. Values below
// libsodium's minimum (opslimit 1, memlimit 8 KiB) are raised to it. Thread-safe, but a hash racing
// with the call may use either the old or the new pair.
void SetPasswordHashCost(unsigned long long opslimit, size_t memlimit);

}  // namespace salesos::crypto
