#pragma once

#include <cstdint>
#include <string>

namespace salesos {

// A UUIDv7 (RFC 9562) in its 36-character text form: 48 bits of Unix milliseconds, then random
// bits, so ids sort by creation time. Thread-safe; ids made in the same millisecond by one process
// still sort in creation order (a monotonic counter fills rand_a).
std::string NewUuidV7();
std::string NewUuidV7(int64_t unix_millis);

// The Unix milliseconds a UUIDv7 carries; 0 for anything else.
int64_t UuidV7Millis(const std::string& uuid);

// True for the 36-character hex-and-dash form (any version).
bool IsUuid(const std::string& s);

// n random bytes from the kernel (getrandom); aborts if the kernel cannot give them.
std::string RandomBytes(size_t n);
// 2n lowercase hex characters of random bytes.
std::string RandomHex(size_t n_bytes);
std::string HexEncode(const std::string& bytes);

}  // namespace salesos
