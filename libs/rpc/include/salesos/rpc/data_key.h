#pragma once

// The data key: the 32-byte AES-256-GCM key a service seals secrets at rest with (channel
// credentials in auth, LLM API keys in ai_orchestration). From --data-key (base64, e.g. from a
// Kubernetes Secret through SALESOS_DATA_KEY) or, when that is empty, from --data-key-file
// (default <data-dir>/data.key, created with a random key on first start).

#include <string>

#include "salesos/core/config.h"
#include "salesos/core/status.h"
#include "salesos/crypto/aead.h"

namespace salesos::rpc {

// Adds --data-key and --data-key-file; `sealing` says what the key protects, for --help.
void AddDataKeySettings(Config& config, const std::string& sealing);

// The key the settings name; kInvalidArgument with a "bad configuration: ..." line naming the
// setting when it cannot be read or is not 32 bytes.
Result<crypto::Aead> LoadDataKey(const Config& config);

}  // namespace salesos::rpc
