#pragma once

// Create-once files for key material, shared by LoadOrCreateKeyFile and LoadOrCreateSigningKey.

#include <functional>
#include <string>

#include "salesos/core/status.h"

namespace salesos::crypto::internal {

// Key files are a few hundred bytes; anything far larger is not one of ours.
inline constexpr size_t kMaxKeyFileBytes = 64 * 1024;

// The contents of `path`. If it does not exist, writes `make_contents()` there with mode 0600 and
// returns that. Creation is atomic (written to a temporary file, fsynced, then hard-linked into
// place, which fails rather than replaces if the name exists), so racing processes all end up with
// the winner's contents and nobody ever reads a half-written key. Errors name the path.
Result<std::string> LoadOrCreateFile(const std::string& path,
                                     const std::function<Result<std::string>()>& make_contents);

// The contents of an existing key file; never creates one. kNotFound naming the path when it does
// not exist (a key that is only read, such as a previous key kept for rotation, must be there).
Result<std::string> ReadExistingFile(const std::string& path);

}  // namespace salesos::crypto::internal
